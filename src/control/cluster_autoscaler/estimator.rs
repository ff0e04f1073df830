//! How many new nodes of a group the pending pods need: first-fit over freshly added
//! template nodes, pods in decreasing size. Upstream:
//! cluster-autoscaler/estimator/binpacking_estimator.go (BinpackingNodeEstimator.Estimate)
//! and estimator/decreasing_pod_orderer.go (score = cpu/alloc + memory/alloc).

use super::simulation::{add_template_node, Simulator};
use crate::model::{NodeId, PodId, Store};
use crate::scenario::NodePool;

/// What adding nodes to one group would achieve.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub nodes: u32,
    /// The pending pods those nodes would take.
    pub pods: Vec<PodId>,
}

/// Pods in the order the estimator places them: largest share of a template node first.
fn decreasing(store: &Store, pool: &NodePool, pods: &[PodId]) -> Vec<PodId> {
    let alloc = pool.capacity;
    let share = |p: PodId| {
        let r = store.pod(p).requests;
        let part = |req: i64, cap: i64| if cap > 0 { req as f64 / cap as f64 } else { 0.0 };
        part(r.cpu_millis, alloc.cpu_millis) + part(r.memory_bytes, alloc.memory_bytes)
    };
    let mut sorted = pods.to_vec();
    // Stable sort: equal shares keep the pending order (priority, then age).
    sorted.sort_by(|a, b| share(*b).total_cmp(&share(*a)));
    sorted
}

/// Binpacks `pods` onto at most `limit` new nodes of `pool` added to `store` (a
/// simulation copy). Pods that fit no fresh node of the group are left out.
pub fn estimate(
    store: &mut Store,
    sim: &mut Simulator,
    pool: &NodePool,
    pool_index: usize,
    pods: &[PodId],
    limit: u32,
) -> Estimate {
    let mut new_nodes: Vec<NodeId> = Vec::new();
    let mut placed = Vec::new();
    for pod in decreasing(store, pool, pods) {
        // The node added last first (upstream's lastNodeName), then the others.
        let order: Vec<NodeId> = new_nodes.iter().rev().copied().collect();
        if let Some(node) = sim.first_fit(store, pod, &order) {
            store.bind(pod, node);
            placed.push(pod);
            continue;
        }
        if new_nodes.len() as u32 >= limit {
            continue;
        }
        let node = add_template_node(store, pool, pool_index);
        if sim.first_fit(store, pod, &[node]).is_some() {
            store.bind(pod, node);
            placed.push(pod);
            new_nodes.push(node);
        } else {
            // Not even an empty node of this group takes the pod.
            store.remove_node(node);
        }
    }
    Estimate { nodes: new_nodes.len() as u32, pods: placed }
}
