//! DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting
//! lower-priority pods makes room, choosing the fewest and least important victims and
//! sparing PodDisruptionBudgets where possible.
//! Upstream: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and
//! pkg/scheduler/framework/preemption/preemption.go.
//!
//! Victims are chosen for resources (cpu, memory, pod count): a node whose filter failure
//! was anything else (affinity, spread, taints) is not a candidate.

use super::framework::{Failure, Reason};
use super::plugins::NodeResourcesFit;
use crate::control::pdb::disruptions_allowed;
use crate::engine::RandomStream;
use crate::model::{NodeId, Pod, PodId, Store};
use std::cmp::Ordering;

/// Upstream: minCandidateNodesPercentage and minCandidateNodesAbsolute.
const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// A node and the pods to evict there.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub node: NodeId,
    pub victims: Vec<PodId>,
    pub pdb_violations: usize,
}

/// Whether the pod may preempt now: not while victims on its nominated node are still
/// terminating. Upstream: PodEligibleToPreemptOthers.
pub fn eligible(store: &Store, pod: &Pod, nominated: Option<NodeId>) -> bool {
    let Some(node) = nominated else { return true };
    !store.node(node).pods.iter().map(|id| store.pod(*id)).any(|p| !p.is_active() && p.priority < pod.priority)
}

pub fn find_candidate(
    store: &Store,
    pod: &Pod,
    failures: &[(NodeId, Failure)],
    rng: &mut RandomStream,
) -> Option<Candidate> {
    let potential: Vec<NodeId> = failures
        .iter()
        .filter(|(_, f)| !f.unresolvable && matches!(f.reason, Reason::Insufficient(_)))
        .map(|(n, _)| *n)
        .collect();
    if potential.is_empty() {
        return None;
    }
    let n = potential.len();
    let want = (store.nodes.len() * MIN_CANDIDATE_NODES_PERCENTAGE / 100).max(MIN_CANDIDATE_NODES_ABSOLUTE).min(n);
    let offset = rng.below(n as u64) as usize;
    // No bound pod of lower priority anywhere: no node has a victim (checked in O(1)).
    if store.lowest_bound_priority().is_none_or(|lowest| lowest >= pod.priority) {
        return None;
    }
    let pdb_allowed: Vec<i64> = store.pdbs.iter().map(|p| disruptions_allowed(store, p)).collect();
    let candidates: Vec<Candidate> = (0..n)
        .map(|i| potential[(offset + i) % n])
        .filter_map(|node| select_victims(store, pod, node, &pdb_allowed))
        .take(want)
        .collect();
    pick_one(store, candidates)
}

/// Highest priority first, then the one that started earlier. Upstream: MoreImportantPod.
fn more_important(a: &Pod, b: &Pod) -> Ordering {
    b.priority.cmp(&a.priority).then(a.created.cmp(&b.created)).then(a.id.cmp(&b.id))
}

/// Upstream: selectVictimsOnNode.
fn select_victims(store: &Store, pod: &Pod, node_id: NodeId, pdb_allowed: &[i64]) -> Option<Candidate> {
    let node = store.node(node_id);
    let priority = pod.priority;
    let mut lower: Vec<&Pod> =
        node.pods.iter().map(|id| store.pod(*id)).filter(|p| p.is_active() && p.priority < priority).collect();
    if lower.is_empty() {
        return None;
    }
    let mut used = node.requested;
    let mut count = node.pods.len();
    for p in &lower {
        used -= p.requests;
        count -= 1;
    }
    if NodeResourcesFit::fits(pod, node, used, count).is_some() {
        return None;
    }
    lower.sort_by(|a, b| more_important(a, b));
    // Split by whether evicting would break a PDB (filterPodsWithPDBViolation).
    let mut allowed = pdb_allowed.to_vec();
    let (mut violating, mut non_violating) = (Vec::new(), Vec::new());
    for p in lower {
        let mut violates = false;
        for (i, pdb) in store.pdbs.iter().enumerate() {
            if pdb.selector.matches(&p.template.labels) {
                allowed[i] -= 1;
                violates |= allowed[i] < 0;
            }
        }
        if violates {
            violating.push(p);
        } else {
            non_violating.push(p);
        }
    }
    // Reprieve as many as possible, PDB-protected pods first.
    let mut victims = Vec::new();
    let mut pdb_violations = 0;
    for (group, is_violating) in [(violating, true), (non_violating, false)] {
        for p in group {
            let (u, c) = (used + p.requests, count + 1);
            if NodeResourcesFit::fits(pod, node, u, c).is_none() {
                used = u;
                count = c;
            } else {
                victims.push(p.id);
                pdb_violations += usize::from(is_violating);
            }
        }
    }
    Some(Candidate { node: node_id, victims, pdb_violations })
}

/// Upstream: pickOneNodeForPreemption — fewest PDB violations, lowest highest-victim
/// priority, smallest priority sum, fewest victims, latest start of the most important
/// victim, then the first.
fn pick_one(store: &Store, candidates: Vec<Candidate>) -> Option<Candidate> {
    let key = |c: &Candidate| {
        let victims: Vec<&Pod> = c.victims.iter().map(|id| store.pod(*id)).collect();
        let highest = victims.iter().map(|p| p.priority).max().unwrap_or(i32::MIN);
        let sum: i64 = victims.iter().map(|p| i64::from(p.priority) + i64::from(i32::MAX) + 1).sum();
        let earliest_of_highest = victims.iter().filter(|p| p.priority == highest).map(|p| p.created).min();
        (c.pdb_violations, highest, sum, victims.len(), std::cmp::Reverse(earliest_of_highest))
    };
    candidates.into_iter().min_by(|a, b| key(a).cmp(&key(b)))
}
