//! TaintToleration: NoSchedule/NoExecute taints must be tolerated; untolerated
//! PreferNoSchedule taints lower the score.
//! Upstream: pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go.

use super::profile::{default_normalize_score, FilterPlugin, ScorePlugin, MAX_NODE_SCORE};
use crate::model::{Node, Pod, TaintEffect};

pub struct TaintToleration;

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn filter(&self, pod: &Pod, node: &Node, reasons: &mut Vec<String>) {
        let untolerated = node.taints.iter().map(|(t, _)| t).find(|t| {
            matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !pod.tolerations.iter().any(|tol| tol.tolerates(t))
        });
        if let Some(t) = untolerated {
            reasons.push(format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value));
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    /// Counts intolerable PreferNoSchedule taints (normalized in reverse).
    fn score(&self, pod: &Pod, node: &Node) -> i64 {
        node.taints
            .iter()
            .filter(|(t, _)| t.effect == TaintEffect::PreferNoSchedule)
            .filter(|(t, _)| {
                !pod.tolerations
                    .iter()
                    .filter(|tol| tol.effect.is_none_or(|e| e == TaintEffect::PreferNoSchedule))
                    .any(|tol| tol.tolerates(t))
            })
            .count() as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Time;
    use crate::model::testing::{node, pod};
    use crate::model::{Resources, Taint, Toleration, TolerationOperator};

    fn taint(key: &str, effect: TaintEffect) -> (Taint, Time) {
        (Taint { key: key.into(), value: "v".into(), effect }, Time::ZERO)
    }

    #[test]
    fn untolerated_no_schedule_taint_filters_with_upstream_message() {
        let mut n = node(1000, 1000, Resources::default());
        n.taints.push(taint("dedicated", TaintEffect::NoSchedule));
        let mut p = pod(&[(1, 1)]);
        let mut reasons = Vec::new();
        TaintToleration.filter(&p, &n, &mut reasons);
        assert_eq!(reasons, ["node(s) had untolerated taint {dedicated: v}"]);
        p.tolerations.push(Toleration {
            key: "dedicated".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
            toleration_seconds: None,
        });
        reasons.clear();
        TaintToleration.filter(&p, &n, &mut reasons);
        assert!(reasons.is_empty());
    }

    #[test]
    fn prefer_no_schedule_scores_like_upstream() {
        // taint_toleration_test.go: more intolerable PreferNoSchedule taints, lower score.
        let p = pod(&[(1, 1)]);
        let clean = node(1000, 1000, Resources::default());
        let mut one = clean.clone();
        one.taints.push(taint("a", TaintEffect::PreferNoSchedule));
        let mut two = one.clone();
        two.taints.push(taint("b", TaintEffect::PreferNoSchedule));
        let mut scores: Vec<i64> = [&clean, &one, &two].iter().map(|n| TaintToleration.score(&p, n)).collect();
        TaintToleration.normalize(&mut scores);
        assert_eq!(scores, [100, 50, 0]);
    }
}
