//! Messages that must not mislead (issue 12, item 10) and the upstream validation texts
//! they follow: each bad input names its own line and column, echoes the bad value and
//! gives a hint.

mod common;
use common::*;

const HEAD: &str = "name: t\nduration: 5m\ncluster:\n  nodePools:\n    - {name: worker, count: 2, capacity: {cpu: \"2\", memory: 4Gi}}\n";

/// An HPA manifest whose `behavior` is `behavior` (one line of flow YAML).
fn hpa(behavior: &str) -> String {
    format!(
        "{HEAD}manifests:\n  - inline: {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: web}}, spec: {{replicas: 1, selector: {{matchLabels: {{app: web}}}}, template: {{metadata: {{labels: {{app: web}}}}, spec: {{containers: [{{name: c, image: x, resources: {{requests: {{cpu: 100m}}}}}}]}}}}}}}}\n  - inline:\n      apiVersion: autoscaling/v2\n      kind: HorizontalPodAutoscaler\n      metadata: {{name: web}}\n      spec:\n        scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n        maxReplicas: 5\n        behavior: {behavior}\n"
    )
}

/// (scenario, (line, col), message fragment, hint fragment)
fn expect_error(yaml: &str, at: (u32, u32), message: &str, hint: &str) {
    let err = match load_str(yaml) {
        Ok(_) => panic!("loaded but should fail: {yaml}"),
        Err(e) => e,
    };
    assert!(err.message.contains(message), "message {:?} lacks {message:?}", err.message);
    let got = err.hint.clone().unwrap_or_default();
    assert!(got.contains(hint), "hint {got:?} lacks {hint:?}");
    assert_eq!((err.span.line, err.span.col), at, "{err}");
}

#[test]
fn hpa_tolerance_is_a_non_negative_quantity() {
    // Upstream: pkg/apis/autoscaling/validation/validation.go (validateScalingRules).
    expect_error(
        &hpa("{scaleUp: {tolerance: -0.05}}"),
        (15, 41),
        "tolerance \"-0.05\" must be greater than or equal to 0",
        "tolerance: 0.05",
    );
    expect_error(&hpa("{scaleUp: {tolerance: 5 percent}}"), (15, 41), "\"5 percent\" is not a valid quantity", "");
    // A quantity string is read like upstream's AsApproximateFloat64: "50m" is 0.05.
    let s = load_str(&hpa("{scaleUp: {tolerance: 50m}, scaleDown: {tolerance: \"0.2\"}}")).unwrap();
    let h = s
        .objects
        .iter()
        .find_map(|o| match o {
            clustersim::scenario::Object::HorizontalPodAutoscaler(h) => Some(h),
            _ => None,
        })
        .unwrap();
    let t = clustersim::control::hpa::tolerances_for(0.1, h.behavior.as_ref());
    assert_eq!((t.scale_up, t.scale_down), (0.05, 0.2));
}
