//! NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory use stay balanced.
//! Upstream: pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go.

use super::super::framework::{Ctx, Plugin, MAX_NODE_SCORE};
use crate::model::{Node, NodeId};

pub struct BalancedAllocation;

impl Plugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }

    /// A best-effort pod (no requests) is skipped, as upstream's PreScore does.
    fn pre_score(&mut self, ctx: &Ctx, _feasible: &[NodeId]) -> bool {
        ctx.pod.requests.cpu_millis != 0 || ctx.pod.requests.memory_bytes != 0
    }

    /// `int((1 - std) * 100)` over the requested fractions (no non-zero defaults).
    fn score(&self, ctx: &Ctx, node: &Node) -> i64 {
        let requested = node.requested + ctx.pod.requests;
        let (a, c) = (node.allocatable.cpu_millis, node.allocatable.memory_bytes);
        let std = if a > 0 && c > 0 {
            let fc = (requested.cpu_millis as f64 / a as f64).min(1.0);
            let fm = (requested.memory_bytes as f64 / c as f64).min(1.0);
            (fc - fm).abs() / 2.0
        } else {
            0.0
        };
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{node, pod};
    use crate::model::{Resources, Store};

    #[test]
    fn matches_upstream_table() {
        // balanced_allocation_test.go: "nothing scheduled, resources requested, differently sized nodes".
        let store = Store::default();
        let topology = Default::default();
        let p = pod(&[(1000, 2000), (2000, 3000)]);
        let ctx = Ctx { store: &store, pod: &p, topology: &topology };
        assert_eq!(BalancedAllocation.score(&ctx, &node(4000, 10000, Resources::default())), 87);
        assert_eq!(BalancedAllocation.score(&ctx, &node(6000, 10000, Resources::default())), 100);
        let best_effort = pod(&[(0, 0)]);
        assert!(!BalancedAllocation.pre_score(&Ctx { store: &store, pod: &best_effort, topology: &topology }, &[]));
    }
}
