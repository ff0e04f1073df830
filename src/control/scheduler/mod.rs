//! The scheduler: a queue of pending pods and a profile of plugins at upstream's
//! extension points (Filter, Score, NormalizeScore), choosing a node per pod.
//! Upstream: pkg/scheduler/schedule_one.go.

mod balanced_allocation;
mod fit;
mod node_name;
mod node_selector;
mod node_unschedulable;
mod profile;
mod queue;
mod taint_toleration;

pub use fit::ScoringStrategy;
pub use profile::{FilterPlugin, Profile, ScorePlugin};
pub use queue::SchedulingQueue;

use super::{Decision, ScoreTable};
use crate::engine::RandomStream;
use crate::model::{Node, NodeId, Pod, PodId, Store};
use crate::scenario::{SchedulerConfig, SchedulerPolicy};
use std::collections::BTreeMap;

/// Upstream: pkg/scheduler/schedule_one.go (minFeasibleNodesToFind).
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// Upstream: pkg/scheduler/schedule_one.go (minFeasibleNodesPercentageToFind).
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;

/// The scheduler with its queue, profile and tie-breaking stream.
pub struct Scheduler {
    pub queue: SchedulingQueue,
    profile: Profile,
    percentage_of_nodes_to_score: usize,
    next_start_node_index: usize,
    rng: RandomStream,
    explain: bool,
}

impl Scheduler {
    pub fn new(config: &SchedulerConfig, rng: RandomStream, explain: bool) -> Self {
        let profile = match config.policy {
            SchedulerPolicy::Default => Profile::default_profile(),
            SchedulerPolicy::Binpack => Profile::binpack(),
        };
        Scheduler {
            queue: SchedulingQueue::default(),
            profile,
            percentage_of_nodes_to_score: config.percentage_of_nodes_to_score as usize,
            next_start_node_index: 0,
            rng,
            explain,
        }
    }

    /// How many feasible nodes to find before scoring.
    /// Upstream: pkg/scheduler/schedule_one.go (numFeasibleNodesToFind).
    pub fn num_feasible_nodes_to_find(percentage: usize, num_all_nodes: usize) -> usize {
        if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
            return num_all_nodes;
        }
        let mut pct = percentage;
        if pct == 0 {
            pct = 50usize.saturating_sub(num_all_nodes / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
        }
        (num_all_nodes * pct / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
    }

    /// One scheduling cycle for `pod_id`: a bind, or why it cannot be placed.
    pub fn schedule_one(&mut self, store: &Store, pod_id: PodId) -> Decision {
        let pod = store.pod(pod_id);
        let n = store.nodes.len();
        if n == 0 {
            return Decision::Unschedulable {
                pod: pod_id,
                reason: "0/0 nodes are available: no nodes available to schedule pods.".into(),
            };
        }
        let want = Self::num_feasible_nodes_to_find(self.percentage_of_nodes_to_score, n);
        let mut feasible: Vec<NodeId> = Vec::with_capacity(want.min(n));
        let mut failures: BTreeMap<String, usize> = BTreeMap::new();
        let mut processed = 0;
        for i in 0..n {
            let node = &store.nodes[(self.next_start_node_index + i) % n];
            processed += 1;
            let reasons = self.profile.filter(pod, node);
            if reasons.is_empty() {
                feasible.push(node.id);
                if feasible.len() >= want {
                    break;
                }
            } else {
                for r in reasons {
                    *failures.entry(r).or_default() += 1;
                }
            }
        }
        self.next_start_node_index = (self.next_start_node_index + processed) % n;
        if feasible.is_empty() {
            return Decision::Unschedulable { pod: pod_id, reason: fit_error(n, &failures) };
        }
        if feasible.len() == 1 {
            return Decision::Bind { pod: pod_id, node: feasible[0], scores: self.explain.then(ScoreTable::default) };
        }
        let nodes: Vec<&Node> = feasible.iter().map(|&id| store.node(id)).collect();
        let table = self.profile.score(pod, &nodes);
        let chosen = self.select_host(&table);
        Decision::Bind { pod: pod_id, node: chosen, scores: self.explain.then_some(table) }
    }

    /// The highest total wins; ties are broken by reservoir sampling (each of m tied nodes
    /// wins with probability 1/m) from the scheduler's seeded stream.
    /// Upstream: pkg/scheduler/schedule_one.go (selectHost).
    fn select_host(&mut self, table: &ScoreTable) -> NodeId {
        let mut best = table.nodes[0].node;
        let mut best_score = table.nodes[0].total;
        let mut ties = 1u64;
        for row in &table.nodes[1..] {
            if row.total > best_score {
                best = row.node;
                best_score = row.total;
                ties = 1;
            } else if row.total == best_score {
                ties += 1;
                if self.rng.below(ties) == 0 {
                    best = row.node;
                }
            }
        }
        best
    }

    /// Whether a pod is one the scheduler should place.
    pub fn wants(pod: &Pod) -> bool {
        pod.node.is_none() && pod.is_active()
    }
}

/// Upstream-style FitError text: "0/5 nodes are available: 3 Insufficient cpu, ...".
/// Upstream: pkg/scheduler/framework/types.go (FitError.Error) sorts the "count reason"
/// strings themselves.
fn fit_error(num_nodes: usize, failures: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = failures.iter().map(|(reason, count)| format!("{count} {reason}")).collect();
    parts.sort();
    format!("0/{num_nodes} nodes are available: {}.", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_feasible_nodes_matches_upstream_table() {
        // Upstream: pkg/scheduler/schedule_one_test.go (TestNumFeasibleNodesToFind).
        let f = Scheduler::num_feasible_nodes_to_find;
        assert_eq!(f(0, 10), 10);
        assert_eq!(f(40, 10), 10);
        assert_eq!(f(0, 1000), 420);
        assert_eq!(f(40, 1000), 400);
        assert_eq!(f(0, 6000), 300);
        assert_eq!(f(40, 6000), 2400);
        assert_eq!(f(0, 5000), 500);
        assert_eq!(f(100, 5000), 5000);
    }

    #[test]
    fn fit_error_lists_reasons_sorted() {
        let mut f = BTreeMap::new();
        f.insert("node(s) were unschedulable".to_string(), 2);
        f.insert("Insufficient cpu".to_string(), 3);
        assert_eq!(fit_error(5, &f), "0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient cpu.");
    }
}
