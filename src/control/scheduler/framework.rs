//! The scheduling framework: plugins at upstream's extension points and the per-pod
//! context they read. Upstream: pkg/scheduler/framework/interface.go.
//!
//! A plugin keeps its per-cycle state in itself: `pre_filter`/`pre_score` (which take
//! `&mut self`) prepare it for the pod being scheduled; `filter`/`score` read it per node.

use super::topology::TopologyIndex;
use crate::model::{Node, NodeId, Pod, Store};

/// Maximum score a plugin may give a node. Upstream: framework.MaxNodeScore.
pub const MAX_NODE_SCORE: i64 = 100;

/// Why a node cannot take the pod. Cheap to build; turned into text only for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A fixed upstream message such as "node(s) were unschedulable".
    Text(&'static str),
    /// NodeResourcesFit shortages, a bit per [`FIT_REASONS`] entry, then a bit per scalar
    /// resource slot (bit `FIT_REASONS.len() + slot`: "Insufficient <its name>").
    Insufficient(u32),
}

/// NodeResourcesFit's messages, in upstream's order (scalar resources follow).
pub const FIT_REASONS: [&str; 3] = ["Too many pods", "Insufficient cpu", "Insufficient memory"];

const _: () = assert!(FIT_REASONS.len() + crate::model::MAX_SCALAR_RESOURCES <= 32, "Insufficient's bits");

/// A filter failure. `unresolvable` means preemption cannot help on this node
/// (upstream's UnschedulableAndUnresolvable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    pub reason: Reason,
    pub unresolvable: bool,
}

impl Failure {
    pub const fn resolvable(reason: Reason) -> Self {
        Failure { reason, unresolvable: false }
    }
    pub const fn unresolvable(reason: Reason) -> Self {
        Failure { reason, unresolvable: true }
    }
}

/// What plugins may read while scheduling one pod.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub pod: &'a Pod,
    pub topology: &'a TopologyIndex,
}

/// A scheduling plugin. Every method has a do-nothing default, so a plugin implements
/// only the extension points it has.
pub trait Plugin {
    fn name(&self) -> &'static str;

    /// PreFilter: prepare per-pod state. `Ok(false)` skips this plugin's Filter for the
    /// pod (upstream's Skip status); `Err` rejects the pod on every node.
    fn pre_filter(&mut self, _ctx: &Ctx) -> Result<bool, Failure> {
        Ok(true)
    }

    /// PreFilterResult: the only nodes worth filtering for this pod (by name), when the
    /// plugin knows them; `None` means every node. Called after `pre_filter` passed.
    fn pre_filter_nodes(&self, _ctx: &Ctx) -> Option<Vec<String>> {
        None
    }

    /// PreFilter extension RemovePod: `pod` leaves `node` in a preemption dry run; update
    /// what PreFilter computed (counts per domain). Undone by `add_pod`.
    fn remove_pod(&mut self, _ctx: &Ctx, _pod: &Pod, _node: &Node) {}

    /// PreFilter extension AddPod: `pod` is back on `node` in a preemption dry run.
    fn add_pod(&mut self, _ctx: &Ctx, _pod: &Pod, _node: &Node) {}

    /// Filter: `Some` if the node cannot run the pod.
    fn filter(&self, _ctx: &Ctx, _node: &Node) -> Option<Failure> {
        None
    }

    /// PreScore over the feasible nodes; `false` skips this plugin's scoring for the pod.
    fn pre_score(&mut self, _ctx: &Ctx, _feasible: &[NodeId]) -> bool {
        true
    }

    /// After `pre_score`: `Some(s)` when every feasible node would get the same
    /// normalized score `s`, so the per-node pass can be skipped without changing a number.
    fn uniform_score(&self) -> Option<i64> {
        None
    }

    /// Score one feasible node (raw; normalized afterwards).
    fn score(&self, _ctx: &Ctx, _node: &Node) -> i64 {
        0
    }

    /// Scores each of `nodes` into `out` (same order). The default body is compiled per
    /// plugin, so the per-node `score` calls in it are static and inlined: one dynamic
    /// call per plugin per cycle instead of one per node.
    fn score_all(&self, ctx: &Ctx, nodes: &[NodeId], out: &mut [i64]) {
        for (id, out) in nodes.iter().zip(out) {
            *out = self.score(ctx, ctx.store.node(*id));
        }
    }

    /// NormalizeScore: scale raw scores into 0..=100 (default: already in range).
    fn normalize(&self, _scores: &mut [i64]) {}
}

/// `any` over the store's nodes, remembered until the node epoch changes.
pub fn any_node_cached(cache: &mut Option<(u64, bool)>, ctx: &Ctx, any: impl Fn(&Node) -> bool) -> bool {
    let epoch = ctx.store.node_epoch();
    if cache.is_none_or(|(e, _)| e != epoch) {
        *cache = Some((epoch, ctx.store.nodes.iter().any(any)));
    }
    cache.is_some_and(|(_, any)| any)
}

/// Upstream: pkg/scheduler/framework/plugins/helper/normalize_score.go (DefaultNormalizeScore).
pub fn default_normalize_score(max: i64, reverse: bool, scores: &mut [i64]) {
    let highest = scores.iter().copied().max().unwrap_or(0);
    if highest == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = max * *s / highest;
        if reverse {
            *s = max - *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_normalize_matches_upstream_table() {
        // Upstream: normalize_score_test.go.
        let mut s = [10, 20, 30, 40];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, [25, 50, 75, 100]);
        let mut s = [10, 20, 30, 40];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, [75, 50, 25, 0]);
        let mut s = [0, 0];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, [100, 100]);
        let mut s = [1000, 10, 20, 30];
        default_normalize_score(10, false, &mut s);
        assert_eq!(s, [10, 0, 0, 0]);
    }
}
