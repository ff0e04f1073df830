//! WorkloadSpread (the `spread` policy's plugin, not upstream): prefer the nodes running
//! the fewest pods of the pod's own workload (its Deployment, ReplicaSet or itself), so
//! per-node counts stay within one whenever the emptiest nodes are feasible.

use super::super::framework::{Ctx, Plugin, MAX_NODE_SCORE};
use crate::model::{Node, NodeId};

#[derive(Default)]
pub struct WorkloadSpread {
    per_node: Vec<u32>,
    min: u32,
}

impl Plugin for WorkloadSpread {
    fn name(&self) -> &'static str {
        "WorkloadSpread"
    }

    fn pre_score(&mut self, ctx: &Ctx, feasible: &[NodeId]) -> bool {
        let family = ctx.store.groups[ctx.pod.group as usize].family;
        self.per_node.clear();
        self.per_node.resize(ctx.store.node_id_bound(), 0);
        for g in ctx.store.groups.iter().filter(|g| g.family == family && g.bound > 0) {
            for (i, n) in g.per_node.iter().enumerate() {
                self.per_node[i] += n;
            }
        }
        self.min = feasible.iter().map(|id| self.per_node[id.0 as usize]).min().unwrap_or(0);
        true
    }

    /// 100 on the feasible nodes with the fewest pods of the workload, else 0.
    fn score(&self, _ctx: &Ctx, node: &Node) -> i64 {
        if self.per_node[node.id.0 as usize] == self.min {
            MAX_NODE_SCORE
        } else {
            0
        }
    }
}
