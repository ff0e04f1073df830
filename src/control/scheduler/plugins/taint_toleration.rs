//! TaintToleration: NoSchedule/NoExecute taints must be tolerated; untolerated
//! PreferNoSchedule taints lower the score.
//! Upstream: pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go.

use super::super::framework::{any_node_cached, default_normalize_score, Ctx, Failure, Plugin, Reason, MAX_NODE_SCORE};
use crate::model::{Node, NodeId, TaintEffect};

/// The Filter's reason. Upstream: taint_toleration.go (Filter).
pub const UNTOLERATED: &str = "node(s) had untolerated taint(s)";

/// Holds whether any feasible node has a PreferNoSchedule taint in this cycle.
#[derive(Default)]
pub struct TaintToleration {
    no_preferences: bool,
    /// Per store node epoch: does any node carry a NoSchedule or NoExecute taint?
    hard_taints: Option<(u64, bool)>,
    /// Per store node epoch: does any node carry a PreferNoSchedule taint?
    soft_taints: Option<(u64, bool)>,
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    /// With no NoSchedule/NoExecute taint anywhere the filter cannot fail: skip it.
    fn pre_filter(&mut self, ctx: &Ctx) -> Result<bool, Failure> {
        Ok(any_node_cached(&mut self.hard_taints, ctx, |n| {
            n.taints.iter().any(|(t, _)| matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute))
        }))
    }

    fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        let untolerated = node.taints.iter().any(|(t, _)| {
            matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !ctx.pod.tolerations.iter().any(|tol| tol.tolerates(t))
        });
        // The taint itself is no longer named (taints may be sensitive): kubernetes#134740.
        untolerated.then_some(Failure::unresolvable(Reason::Text(UNTOLERATED)))
    }

    fn pre_score(&mut self, ctx: &Ctx, feasible: &[NodeId]) -> bool {
        let prefer = |n: &Node| n.taints.iter().any(|(t, _)| t.effect == TaintEffect::PreferNoSchedule);
        self.no_preferences = !any_node_cached(&mut self.soft_taints, ctx, prefer)
            || !feasible.iter().any(|id| prefer(ctx.store.node(*id)));
        true
    }

    /// No PreferNoSchedule taint anywhere: every node counts 0, normalized to 100.
    fn uniform_score(&self) -> Option<i64> {
        self.no_preferences.then_some(MAX_NODE_SCORE)
    }

    /// Counts intolerable PreferNoSchedule taints (normalized in reverse).
    fn score(&self, ctx: &Ctx, node: &Node) -> i64 {
        node.taints
            .iter()
            .filter(|(t, _)| t.effect == TaintEffect::PreferNoSchedule)
            .filter(|(t, _)| {
                !ctx.pod
                    .tolerations
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
    use crate::model::{Resources, Store, Taint, Toleration, TolerationOperator};

    fn taint(key: &str, effect: TaintEffect) -> (Taint, Time) {
        (Taint { key: key.into(), value: "v".into(), effect }, Time::ZERO)
    }

    #[test]
    fn untolerated_no_schedule_taint_filters() {
        let store = Store::default();
        let topology = Default::default();
        let mut n = node(1000, 1000, Resources::default());
        n.taints.push(taint("other", TaintEffect::PreferNoSchedule));
        n.taints.push(taint("dedicated", TaintEffect::NoSchedule));
        let mut p = pod(&[(1, 1)]);
        let f = TaintToleration::default().filter(&Ctx { store: &store, pod: &p, topology: &topology }, &n).unwrap();
        assert_eq!(f.reason, Reason::Text("node(s) had untolerated taint(s)"));
        p.tolerations.push(Toleration {
            key: "dedicated".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
            toleration_seconds: None,
        });
        assert!(TaintToleration::default().filter(&Ctx { store: &store, pod: &p, topology: &topology }, &n).is_none());
    }

    #[test]
    fn prefer_no_schedule_scores_like_upstream() {
        // taint_toleration_test.go: more intolerable PreferNoSchedule taints, lower score.
        let store = Store::default();
        let topology = Default::default();
        let p = pod(&[(1, 1)]);
        let ctx = Ctx { store: &store, pod: &p, topology: &topology };
        let clean = node(1000, 1000, Resources::default());
        let mut one = clean.clone();
        one.taints.push(taint("a", TaintEffect::PreferNoSchedule));
        let mut two = one.clone();
        two.taints.push(taint("b", TaintEffect::PreferNoSchedule));
        let mut scores: Vec<i64> =
            [&clean, &one, &two].iter().map(|n| TaintToleration::default().score(&ctx, n)).collect();
        TaintToleration::default().normalize(&mut scores);
        assert_eq!(scores, [100, 50, 0]);
    }
}
