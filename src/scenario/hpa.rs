//! `autoscaling/v2` (and v1) HorizontalPodAutoscaler manifests: CPU utilization targets
//! and `behavior`, defaulted as the API server does.
//! Upstream: pkg/apis/autoscaling/v2/defaults.go, pkg/apis/autoscaling/validation.

use super::decode::Reader;
use super::diag::Diagnostic;
use super::manifest::missing;
use super::schema::HpaObject;
use super::yaml::Node;
use crate::control::hpa::{
    Behavior, PolicyKind, ScalingPolicy, ScalingRulesSpec, SelectPolicy, DEFAULT_CPU_UTILIZATION, DEFAULT_MIN_REPLICAS,
};

type R<T> = Result<T, Diagnostic>;

pub fn decode_hpa(r: Reader, doc: &Node, name: &str, spec: Option<&Node>, api_version: &str) -> R<HpaObject> {
    let spec = spec.ok_or_else(|| missing(r, doc, "HorizontalPodAutoscaler", name, "spec"))?;
    let mut f = r.fields(spec, "spec")?;
    let target = f.req("scaleTargetRef")?;
    let mut tf = r.fields(target, "scaleTargetRef")?;
    let kind_node = tf.req("kind")?;
    let kind = r.string(kind_node, "kind")?;
    if kind != "Deployment" {
        return Err(r
            .error(kind_node.span, format!("scaleTargetRef kind {kind:?} is not modelled"))
            .with_hint("target a Deployment"));
    }
    let deployment = r.string(tf.req("name")?, "scaleTargetRef.name")?;
    tf.ignore(&["apiVersion"]);
    tf.deny_unknown(&["kind", "name", "apiVersion"])?;
    let min_replicas = f
        .opt("minReplicas")
        .map(|n| r.count(n, "minReplicas", 2_000_000))
        .transpose()?
        .map_or(DEFAULT_MIN_REPLICAS, |v| v as i32);
    let max_node = f.req("maxReplicas")?;
    let max_replicas = r.count(max_node, "maxReplicas", 2_000_000)? as i32;
    if max_replicas < min_replicas.max(1) {
        return Err(r
            .error(max_node.span, format!("maxReplicas {max_replicas} is below minReplicas {min_replicas}"))
            .with_hint("maxReplicas must be at least minReplicas and at least 1"));
    }
    let mut target_utilization = DEFAULT_CPU_UTILIZATION;
    if api_version == "autoscaling/v1" {
        if let Some(n) = f.opt("targetCPUUtilizationPercentage") {
            target_utilization = r.count(n, "targetCPUUtilizationPercentage", 100_000)? as i32;
        }
    } else if let Some(list) = f.opt("metrics") {
        let items = r.list(list, "metrics")?;
        for m in items {
            let util =
                m.get("resource").filter(|res| res.get("name").and_then(|n| n.scalar_text()).as_deref() == Some("cpu"));
            let value = util.and_then(|res| res.get("target")).and_then(|t| t.get("averageUtilization"));
            match value {
                Some(v) => target_utilization = r.count(v, "averageUtilization", 100_000)? as i32,
                None => {
                    return Err(r
                        .error(m.span, "only the cpu Resource metric with an averageUtilization target is modelled")
                        .with_hint("metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]"))
                }
            }
        }
    }
    if target_utilization == 0 {
        return Err(r
            .error(spec.span, "the cpu utilization target 0 must be positive")
            .with_hint("e.g. averageUtilization: 60"));
    }
    let behavior = match f.opt("behavior") {
        Some(b) => {
            let mut bf = r.fields(b, "behavior")?;
            let up = bf.opt("scaleUp").map(|n| rules(r, n)).transpose()?;
            let down = bf.opt("scaleDown").map(|n| rules(r, n)).transpose()?;
            bf.deny_unknown(&["scaleUp", "scaleDown"])?;
            Some(Behavior::from_spec(up.as_ref(), down.as_ref()))
        }
        None => None,
    };
    f.deny_unknown(&[
        "scaleTargetRef",
        "minReplicas",
        "maxReplicas",
        "metrics",
        "targetCPUUtilizationPercentage",
        "behavior",
    ])?;
    Ok(HpaObject {
        name: name.to_string(),
        namespace: crate::model::DEFAULT_NAMESPACE.into(),
        deployment,
        min_replicas,
        max_replicas,
        target_utilization,
        behavior,
    })
}

fn rules(r: Reader, node: &Node) -> R<ScalingRulesSpec> {
    let mut f = r.fields(node, "scaling rules")?;
    let mut spec = ScalingRulesSpec::default();
    if let Some(n) = f.opt("stabilizationWindowSeconds") {
        spec.stabilization_window_seconds = Some(r.count(n, "stabilizationWindowSeconds", 3600)? as i32);
    }
    if let Some(n) = f.opt("selectPolicy") {
        spec.select_policy = Some(match r.string(n, "selectPolicy")?.as_str() {
            "Max" => SelectPolicy::Max,
            "Min" => SelectPolicy::Min,
            "Disabled" => SelectPolicy::Disabled,
            other => {
                return Err(r
                    .error(n.span, format!("unknown selectPolicy {other:?}"))
                    .with_hint("use Max, Min or Disabled"))
            }
        });
    }
    if let Some(list) = f.opt("policies") {
        let mut policies = Vec::new();
        for p in r.list(list, "policies")? {
            let mut pf = r.fields(p, "a scaling policy")?;
            let type_node = pf.req("type")?;
            let kind = match r.string(type_node, "type")?.as_str() {
                "Pods" => PolicyKind::Pods,
                "Percent" => PolicyKind::Percent,
                other => {
                    return Err(r
                        .error(type_node.span, format!("unknown policy type {other:?}"))
                        .with_hint("use Pods or Percent"))
                }
            };
            let value = r.count(pf.req("value")?, "value", 100_000)? as i32;
            let period_seconds = r.count(pf.req("periodSeconds")?, "periodSeconds", 1800)? as i32;
            pf.deny_unknown(&["type", "value", "periodSeconds"])?;
            policies.push(ScalingPolicy { kind, value, period_seconds });
        }
        spec.policies = Some(policies);
    }
    if let Some(n) = f.opt("tolerance") {
        spec.tolerance = Some(tolerance(r, n)?);
    }
    f.deny_unknown(&["stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"])?;
    Ok(spec)
}

/// `behavior.scale{Up,Down}.tolerance`: a quantity (`0.05`, `"50m"`) of at least 0, read
/// as a float like upstream's `AsApproximateFloat64`.
// Upstream: pkg/apis/autoscaling/validation/validation.go (validateScalingRules: tolerance "must be greater than or equal to 0").
fn tolerance(r: Reader, n: &Node) -> R<f64> {
    let text = n.scalar_text().unwrap_or_default();
    let q = match &n.value {
        super::yaml::Value::Str(_) | super::yaml::Value::Int(_) | super::yaml::Value::Float(_) => {
            super::quantity::parse_quantity(&text).map_err(|e| {
                r.error(n.span, format!("tolerance {text:?} is not a valid quantity: {e}")).with_hint(e.hint())
            })?
        }
        _ => {
            return Err(r
                .error(n.span, format!("tolerance must be a quantity, found {}", n.describe()))
                .with_hint("e.g. tolerance: 0.05 (5%) or tolerance: 50m"))
        }
    };
    if q.is_negative() {
        return Err(r
            .error(n.span, format!("tolerance {text:?} must be greater than or equal to 0"))
            .with_hint("e.g. tolerance: 0.05 (5%)"));
    }
    Ok(q.nanos() as f64 / 1e9)
}
