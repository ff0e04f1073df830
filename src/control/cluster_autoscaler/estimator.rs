//! How many new nodes of a group the pending pods need: binpacking onto freshly added
//! template nodes, largest pods first. Upstream:
//! cluster-autoscaler/estimator/binpacking_estimator.go (BinpackingNodeEstimator.Estimate)
//! and estimator/decreasing_pod_orderer.go (score = cpu/alloc + memory/alloc).

use super::simulation::{add_template_node, Simulator};
use crate::control::cluster_autoscaler::config::NodePool;
use crate::model::{NodeId, PodId, Store};

/// What adding nodes to one group would achieve.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub nodes: u32,
    /// The pending pods those nodes would take.
    pub pods: Vec<PodId>,
}

/// Pending pods by pod group (upstream's equivalence groups: same controller, same
/// spec), groups in decreasing share of a template node, pods in their pending order.
fn equivalence_groups(store: &Store, pool: &NodePool, pods: &[PodId]) -> Vec<Vec<PodId>> {
    let mut groups: Vec<(u32, Vec<PodId>)> = Vec::new();
    for &p in pods {
        let g = store.pod(p).group;
        match groups.iter_mut().find(|(id, _)| *id == g) {
            Some((_, members)) => members.push(p),
            None => groups.push((g, vec![p])),
        }
    }
    let alloc = pool.capacity;
    let share = |p: PodId| {
        let r = store.pod(p).template.spec.container_requests();
        let part = |req: i64, cap: i64| if cap > 0 { req as f64 / cap as f64 } else { 0.0 };
        part(r.cpu_millis, alloc.cpu_millis) + part(r.memory_bytes, alloc.memory_bytes)
    };
    // Stable: equal shares keep the pending order (priority, then age).
    groups.sort_by(|(_, a), (_, b)| share(b[0]).total_cmp(&share(a[0])));
    groups.into_iter().map(|(_, members)| members).collect()
}

/// Binpacks `pods` onto at most `limit` new nodes of `pool` added to `store` (a
/// simulation copy), as upstream's Estimate: each group's pods first go to any node added
/// so far, then to the node added last, and a new node is added when that fails too. A
/// group stops when even a fresh node does not take its next pod (a pod that does not
/// fit an empty node of the group cannot be helped by it). Nodes left empty do not count.
pub fn estimate(
    store: &mut Store,
    sim: &mut Simulator,
    pool: &NodePool,
    pool_index: usize,
    pods: &[PodId],
    limit: u32,
) -> Estimate {
    let mut added: Vec<NodeId> = Vec::new();
    let mut with_pods: Vec<NodeId> = Vec::new();
    let mut placed = Vec::new();
    let mut place = |store: &mut Store, pod: PodId, node: NodeId, with_pods: &mut Vec<NodeId>| {
        store.bind(pod, node);
        placed.push(pod);
        if !with_pods.contains(&node) {
            with_pods.push(node);
        }
    };
    for group in equivalence_groups(store, pool, pods) {
        // Upstream: tryToScheduleOnExistingNodes (any node added in this estimate).
        let mut rest = group.as_slice();
        while let Some((&pod, tail)) = rest.split_first() {
            let Some(node) = sim.first_fit(store, pod, &added) else { break };
            place(store, pod, node, &mut with_pods);
            rest = tail;
        }
        // Upstream: tryToScheduleOnNewNodes.
        for &pod in rest {
            if let Some(&last) = added.last() {
                if sim.first_fit(store, pod, &[last]).is_some() {
                    place(store, pod, last, &mut with_pods);
                    continue;
                }
                if !with_pods.contains(&last) {
                    break; // the pod did not fit an empty node: no new node would take it
                }
            }
            if added.len() as u32 >= limit {
                break;
            }
            let node = add_template_node(store, pool, pool_index);
            added.push(node);
            if sim.first_fit(store, pod, &[node]).is_none() {
                break;
            }
            place(store, pod, node, &mut with_pods);
        }
    }
    Estimate { nodes: with_pods.len() as u32, pods: placed }
}
