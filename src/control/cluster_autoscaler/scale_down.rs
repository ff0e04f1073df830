//! Which nodes the cluster can do without: under-used nodes whose pods all fit elsewhere.
//! Upstream: cluster-autoscaler/core/scaledown/unneeded/nodes.go, simulator/cluster.go
//! (FindNodesToRemove), simulator/utilization/info.go and simulator/drainability/rules.

use super::simulation::Simulator;
use crate::control::pdb;
use crate::control::scheduler::config::SchedulerConfig;
use crate::engine::{Duration, RandomStream, Time};
use crate::model::{Node, NodeId, Pod, PodId, Store};

/// Upstream: --scale-down-non-empty-candidates-count (30).
pub const NON_EMPTY_CANDIDATES: usize = 30;

/// Upstream: utils/drain (PodLongTerminatingExtraThreshold).
const LONG_TERMINATING_EXTRA: Duration = Duration::from_secs(30);

/// A pod deleted long ago that is still there (its kubelet is gone): its deletion
/// timestamp (the deletion plus its grace period) plus the grace period again and 30 s
/// have passed. Upstream: utils/drain/drain.go (IsPodLongTerminating).
fn long_terminating(pod: &Pod, now: Time) -> bool {
    let grace = pod.template.spec.termination_grace_period;
    pod.deletion.is_some_and(|deleted| deleted + grace + grace + LONG_TERMINATING_EXTRA < now)
}

/// The larger of the node's cpu and memory requested / allocatable, long-terminating pods
/// left out. Upstream: simulator/utilization/info.go (Calculate; no DaemonSet or mirror pods here).
pub fn utilization(store: &Store, node: &Node, now: Time) -> f64 {
    let mut requested = node.requested;
    for pod in node.pods.iter().map(|p| store.pod(*p)).filter(|p| long_terminating(p, now)) {
        requested -= pod.requests;
    }
    let part = |req: i64, cap: i64| if cap > 0 { req as f64 / cap as f64 } else { 0.0 };
    part(requested.cpu_millis, node.allocatable.cpu_millis)
        .max(part(requested.memory_bytes, node.allocatable.memory_bytes))
}

/// Of `candidates` (in order), the nodes that can be removed together: empty nodes, and
/// up to [`NON_EMPTY_CANDIDATES`] non-empty ones whose pods all have a controller, stay
/// within their PodDisruptionBudgets and pass the filters on the nodes that remain (each
/// removal's moved pods count against the next).
pub fn removable(
    store: &Store,
    config: &SchedulerConfig,
    what_if: &RandomStream,
    candidates: &[NodeId],
    now: Time,
) -> Vec<NodeId> {
    if candidates.is_empty() {
        return Vec::new(); // no copy of the store for nothing
    }
    let mut sim = store.clone();
    let mut simulator = Simulator::new(config, what_if.clone());
    let mut allowed: Vec<i64> = store.pdbs.iter().map(|b| pdb::disruptions_allowed(store, b)).collect();
    let mut removed: Vec<NodeId> = Vec::new();
    let mut non_empty = 0;
    for &node in candidates {
        // DaemonSet pods stay with their node (they need no room elsewhere): a node that
        // runs only them is empty. Upstream: simulator/drainability/rules/daemonset.
        let pods: Vec<PodId> = sim
            .node(node)
            .pods
            .iter()
            .copied()
            .filter(|p| sim.pod(*p).is_active() && !sim.pod(*p).is_daemon())
            .collect();
        if pods.is_empty() {
            sim.node_mut(node).unschedulable = true;
            removed.push(node);
            continue;
        }
        if non_empty == NON_EMPTY_CANDIDATES {
            continue;
        }
        non_empty += 1;
        // A pod without a controller would be gone for good. Upstream: drainability/rules/replicated.
        if pods.iter().any(|p| sim.pod(*p).owner.is_none()) {
            continue;
        }
        // Upstream: drainability/rules/pdb (remaining disruptions across the nodes chosen so far).
        let mut needed = vec![0i64; store.pdbs.len()];
        for p in &pods {
            let pod = sim.pod(*p);
            for (i, b) in store.pdbs.iter().enumerate() {
                needed[i] += i64::from(b.selects(pod));
            }
        }
        if needed.iter().zip(&allowed).any(|(n, a)| n > a) {
            continue;
        }
        let mut trial = sim.clone();
        trial.node_mut(node).unschedulable = true;
        let destinations: Vec<NodeId> =
            trial.nodes.iter().map(|n| n.id).filter(|id| *id != node && !removed.contains(id)).collect();
        if move_pods(&mut trial, &mut simulator, &pods, &destinations, now) {
            sim = trial;
            removed.push(node);
            allowed.iter_mut().zip(&needed).for_each(|(a, n)| *a -= n);
        }
    }
    removed
}

/// Re-creates each pod as a pending copy and binds it to the first destination that
/// passes the filters; false if one fits nowhere.
fn move_pods(store: &mut Store, simulator: &mut Simulator, pods: &[PodId], destinations: &[NodeId], now: Time) -> bool {
    for &p in pods {
        let old = store.remove_pod(p);
        let copy = store.create_pod_in(
            old.namespace,
            format!("{}~moved", old.name),
            old.template,
            old.tolerations,
            old.owner,
            now,
        );
        match simulator.first_fit(store, copy, destinations) {
            Some(dest) => store.bind(copy, dest),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::node;
    use crate::model::Resources;

    #[test]
    fn utilization_is_the_larger_share_without_long_terminating_pods() {
        let mut store = Store::default();
        let n = store.add_node(|id| Node { id, ..node(4000, 1000, Resources::default()) });
        let template = crate::model::testing::pod(&[(1000, 600)]).template;
        let p = store.create_pod("p".into(), template, vec![], None, Time::ZERO);
        store.bind(p, n);
        assert_eq!(utilization(&store, store.node(n), Time::ZERO), 0.6);
        store.mark_terminating(p, Time::from_secs(100));
        // Grace 30 s: the deletion timestamp is 130 s; long terminating after 130 + 30 + 30.
        assert_eq!(utilization(&store, store.node(n), Time::from_secs(190)), 0.6);
        assert_eq!(utilization(&store, store.node(n), Time::from_secs(191)), 0.0);
    }
}
