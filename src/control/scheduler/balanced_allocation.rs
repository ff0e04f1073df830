//! NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory use stay balanced.
//! Upstream: pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go.

use super::profile::{ScorePlugin, MAX_NODE_SCORE};
use crate::model::{Node, Pod};

pub struct BalancedAllocation;

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }

    /// `int((1 - std) * 100)` over the requested fractions (no non-zero defaults); a
    /// best-effort pod is skipped (scores nothing), as upstream's PreScore does.
    fn score(&self, pod: &Pod, node: &Node) -> i64 {
        if pod.requests.cpu_millis == 0 && pod.requests.memory_bytes == 0 {
            return 0;
        }
        let requested = node.requested + pod.requests;
        let mut fractions = Vec::with_capacity(2);
        for (req, alloc) in [
            (requested.cpu_millis, node.allocatable.cpu_millis),
            (requested.memory_bytes, node.allocatable.memory_bytes),
        ] {
            if alloc > 0 {
                fractions.push((req as f64 / alloc as f64).min(1.0));
            }
        }
        let std = match fractions.as_slice() {
            [a, b] => (a - b).abs() / 2.0,
            _ => 0.0,
        };
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{node, pod};
    use crate::model::Resources;

    #[test]
    fn matches_upstream_table() {
        // balanced_allocation_test.go: "nothing scheduled, resources requested, differently sized nodes".
        let p = pod(&[(1000, 2000), (2000, 3000)]);
        assert_eq!(BalancedAllocation.score(&p, &node(4000, 10000, Resources::default())), 87);
        assert_eq!(BalancedAllocation.score(&p, &node(6000, 10000, Resources::default())), 100);
        // Best-effort pods are skipped.
        assert_eq!(BalancedAllocation.score(&pod(&[(0, 0)]), &node(4000, 10000, Resources::default())), 0);
    }
}
