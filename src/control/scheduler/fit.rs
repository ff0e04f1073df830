//! NodeResourcesFit: the fit filter for cpu, memory and pod count, and its scoring
//! strategies. Upstream: pkg/scheduler/framework/plugins/noderesources/fit.go,
//! least_allocated.go, most_allocated.go.

use super::profile::{FilterPlugin, ScorePlugin, MAX_NODE_SCORE};
use crate::model::{Node, Pod};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoringStrategy {
    /// Prefer the emptiest node (upstream default).
    LeastAllocated,
    /// Prefer the fullest node (bin packing).
    MostAllocated,
}

pub struct NodeResourcesFit {
    strategy: ScoringStrategy,
}

impl NodeResourcesFit {
    pub fn new(strategy: ScoringStrategy) -> Self {
        NodeResourcesFit { strategy }
    }
}

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    /// Failures in upstream order: pods, cpu, memory; equality fits.
    fn filter(&self, pod: &Pod, node: &Node, reasons: &mut Vec<String>) {
        if node.pods.len() as i64 + 1 > node.allocatable.pods {
            reasons.push("Too many pods".into());
        }
        let req = pod.requests;
        if req.cpu_millis == 0 && req.memory_bytes == 0 {
            return;
        }
        let free = node.free();
        if req.cpu_millis > 0 && req.cpu_millis > free.cpu_millis {
            reasons.push("Insufficient cpu".into());
        }
        if req.memory_bytes > 0 && req.memory_bytes > free.memory_bytes {
            reasons.push("Insufficient memory".into());
        }
    }
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    /// cpu and memory with weight 1 each, integer arithmetic as upstream.
    fn score(&self, pod: &Pod, node: &Node) -> i64 {
        let requested = node.nonzero_requested + pod.nonzero_requests;
        let pairs = [
            (requested.cpu_millis, node.allocatable.cpu_millis),
            (requested.memory_bytes, node.allocatable.memory_bytes),
        ];
        let (mut total, mut weights) = (0i64, 0i64);
        for (req, alloc) in pairs {
            if alloc == 0 {
                continue;
            }
            let s = match self.strategy {
                ScoringStrategy::LeastAllocated if req > alloc => 0,
                ScoringStrategy::LeastAllocated => (alloc - req) * MAX_NODE_SCORE / alloc,
                ScoringStrategy::MostAllocated => req.min(alloc) * MAX_NODE_SCORE / alloc,
            };
            total += s;
            weights += 1;
        }
        if weights == 0 {
            0
        } else {
            total / weights
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{node, pod};
    use crate::model::Resources;

    #[test]
    fn least_allocated_matches_upstream_table() {
        // least_allocated_test.go: "nothing scheduled, resources requested, differently sized nodes".
        let p = pod(&[(1000, 2000), (2000, 3000)]);
        let plugin = NodeResourcesFit::new(ScoringStrategy::LeastAllocated);
        assert_eq!(plugin.score(&p, &node(4000, 10000, Resources::default())), 37);
        assert_eq!(plugin.score(&p, &node(6000, 10000, Resources::default())), 50);
        // "resources requested, pods scheduled with resources": node1 has 3000m/0 requested.
        assert_eq!(plugin.score(&p, &node(10000, 20000, Resources::new(3000, 0, 0))), 57);
    }

    #[test]
    fn most_allocated_matches_upstream_table() {
        // most_allocated_test.go: "nothing scheduled, resources requested, differently sized nodes".
        let p = pod(&[(1000, 2000), (2000, 3000)]);
        let plugin = NodeResourcesFit::new(ScoringStrategy::MostAllocated);
        assert_eq!(plugin.score(&p, &node(4000, 10000, Resources::default())), 62);
        assert_eq!(plugin.score(&p, &node(6000, 10000, Resources::default())), 50);
        // Over-committed nodes score 100 per resource, not 0.
        assert_eq!(plugin.score(&p, &node(1000, 1000, Resources::default())), 100);
    }

    #[test]
    fn filter_reports_every_shortage_and_equality_fits() {
        let plugin = NodeResourcesFit::new(ScoringStrategy::LeastAllocated);
        let mut reasons = Vec::new();
        plugin.filter(&pod(&[(500, 100)]), &node(1000, 100, Resources::new(600, 1, 1)), &mut reasons);
        assert_eq!(reasons, ["Insufficient cpu", "Insufficient memory"]);
        reasons.clear();
        plugin.filter(&pod(&[(400, 99)]), &node(1000, 100, Resources::new(600, 1, 1)), &mut reasons);
        assert!(reasons.is_empty());
        let mut full = node(1000, 100, Resources::default());
        full.allocatable.pods = 0;
        plugin.filter(&pod(&[(0, 0)]), &full, &mut reasons);
        assert_eq!(reasons, ["Too many pods"]);
    }
}
