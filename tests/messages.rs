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

#[test]
fn a_misspelled_required_key_is_reported_at_its_own_line() {
    // Not "the scenario is missing the required field `duration`" at 1:1.
    let yaml = HEAD.replace("duration: 5m", "durration: 5m");
    expect_error(&yaml, (2, 1), "unknown key `durration` in the scenario", "did you mean `duration`?");
    // With neither the key nor a likely typo of it, the missing field is reported.
    let yaml = HEAD.replace("duration: 5m\n", "");
    // A block mapping is located at its first key.
    expect_error(&yaml, (1, 1), "missing the required field `duration`", "add `duration:`");
}

#[test]
fn range_errors_echo_the_bad_value() {
    let deployment = |strategy: &str| {
        format!("{HEAD}manifests:\n  - inline: {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: w}}, spec: {{replicas: 3, strategy: {{rollingUpdate: {strategy}}}, selector: {{matchLabels: {{a: b}}}}, template: {{metadata: {{labels: {{a: b}}}}, spec: {{containers: [{{name: c, image: x}}]}}}}}}}}\n")
    };
    let yaml = deployment("{maxUnavailable: \"150%\"}");
    let col = yaml.lines().nth(6).unwrap().find("\"150%\"").unwrap() as u32 + 1;
    expect_error(&yaml, (7, col), "maxUnavailable \"150%\" may not exceed 100%", "0% to 100%");
    let yaml = deployment("{maxSurge: 0, maxUnavailable: \"0%\"}");
    let col = yaml.lines().nth(6).unwrap().find("{maxSurge").unwrap() as u32 + 1;
    expect_error(&yaml, (7, col), "maxSurge 0 and maxUnavailable 0% may not both be zero", "maxSurge: 1");
    let cases = [
        (format!("{HEAD}controlPlane:\n  nodeEvictionRate: -0.5\n"), "nodeEvictionRate -0.5 must be positive"),
        (
            format!("{HEAD}controlPlane:\n  nodeMonitorGracePeriod: 0s\n"),
            "nodeMonitorGracePeriod \"0s\" must be positive",
        ),
        (format!("{HEAD}controlPlane:\n  podStartup: {{uniform: {{min: 5s, max: 1s}}}}\n"), "found min 5s, max 1s"),
        (
            format!("{HEAD}controlPlane:\n  podStartup: {{lognormal: {{median: 9s, p99: 1s}}}}\n"),
            "found median 9s, p99 1s",
        ),
        (
            format!("{HEAD}expect:\n  - noPodOn: {{node: worker-1, from: 3m, to: 1m}}\n"),
            "`to` 1m0s is before `from` 3m0s",
        ),
        (HEAD.replace("count: 2,", "count: 2, costPerHour: -1.5,"), "costPerHour -1.5 must not be negative"),
    ];
    for (yaml, message) in cases {
        let err = load_str(&yaml).expect_err(&yaml);
        assert!(err.message.contains(message), "{:?} lacks {message:?}", err.message);
    }
}

#[test]
fn set_reaches_a_map_key_with_dots_through_quotes() {
    let dir = scratch("set-quoted");
    let file = dir.join("s.yaml");
    std::fs::write(&file, HEAD).unwrap();
    let out =
        sim(&["validate", file.to_str().unwrap(), "--set", r#"cluster.nodePools.0.labels."kubernetes.io/os"=linux"#]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let s =
        clustersim::scenario::load_scenario(&file, &[r#"cluster.nodePools.0.labels."kubernetes.io/os"=linux"#.into()])
            .unwrap()
            .scenario;
    assert_eq!(s.cluster.node_pools[0].labels.get("kubernetes.io/os").map(String::as_str), Some("linux"));
    let out =
        sim(&["validate", file.to_str().unwrap(), "--set", r#"cluster.nodePools.0.labels."kubernetes.io/os=linux"#]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not closed"));
}
