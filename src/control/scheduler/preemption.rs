//! DefaultPreemption (PostFilter): when a pod fits nowhere, find a node where evicting
//! lower-priority pods makes room, choosing the fewest and least important victims and
//! sparing PodDisruptionBudgets where possible.
//! Upstream: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and
//! pkg/scheduler/framework/preemption/preemption.go.
//!
//! Preemption helps wherever removing pods can resolve the failure: every node whose
//! filter failure is not UnschedulableAndUnresolvable is dry-run. The victims are taken
//! off a copy of the node (resources) and out of the filter plugins' PreFilter state
//! through their `remove_pod`/`add_pod` extensions (PodTopologySpread's domain counts,
//! InterPodAffinity's (anti-)affinity counts), and the profile's filters decide, so
//! required anti-affinity of the incoming or of existing pods and hard spread constraints
//! are resolved like resources. Nominated pods count for resources only.

use super::framework::{Ctx, Failure};
use super::profile::Profile;
use crate::control::pdb::disruptions_allowed;
use crate::engine::{RandomStream, Time};
use crate::model::{Node, NodeId, Pod, PodId, Store};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Upstream: pkg/scheduler/apis/config/v1/defaults.go (DefaultPreemptionArgs:
/// minCandidateNodesPercentage 10, minCandidateNodesAbsolute 100).
const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// A node and the pods to evict there.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub node: NodeId,
    pub victims: Vec<PodId>,
    pub pdb_violations: usize,
}

/// Whether the pod may preempt now: not while lower-priority pods on its nominated node
/// are still terminating, unless that node has become UnschedulableAndUnresolvable for it.
/// Upstream: default_preemption.go (PodEligibleToPreemptOthers).
pub fn eligible(store: &Store, pod: &Pod, nominated: Option<NodeId>, failures: &[(NodeId, Failure)]) -> bool {
    let Some(node) = nominated.filter(|n| store.has_node(*n)) else { return true };
    if failures.iter().any(|(n, f)| *n == node && f.unresolvable) {
        return true;
    }
    !store.node(node).pods.iter().map(|id| store.pod(*id)).any(|p| !p.is_active() && p.priority < pod.priority)
}

/// How many candidates to dry-run among `potential` nodes: 10% of them, at least 100,
/// at most all. Upstream: default_preemption.go (calculateNumCandidates, GetOffsetAndNumCandidates).
pub fn num_candidates(potential: usize) -> usize {
    (potential * MIN_CANDIDATE_NODES_PERCENTAGE / 100).max(MIN_CANDIDATE_NODES_ABSOLUTE).min(potential)
}

/// FindCandidates and SelectCandidate: the nodes where preemption might help (their
/// failure is not UnschedulableAndUnresolvable), dry-run from a random offset until at
/// least one candidate spares every PDB and there are `num_candidates` in all; then the
/// best by upstream's order. `profile` has run PreFilter for `ctx.pod`.
// Upstream: preemption.go (FindCandidates, nodesWherePreemptionMightHelp, DryRunPreemption, SelectCandidate).
pub fn find_candidate(
    ctx: &Ctx,
    profile: &mut Profile,
    failures: &[(NodeId, Failure)],
    nominated: &BTreeMap<NodeId, super::Reserved>,
    rng: &mut RandomStream,
    now: Time,
) -> Option<Candidate> {
    let store = ctx.store;
    let potential: Vec<NodeId> = failures.iter().filter(|(_, f)| !f.unresolvable).map(|(n, _)| *n).collect();
    if potential.is_empty() {
        return None;
    }
    let n = potential.len();
    let (offset, want) = (rng.below(n as u64) as usize, num_candidates(n));
    // No bound pod of lower priority anywhere: no node has a victim (checked in O(1)).
    if store.lowest_bound_priority().is_none_or(|lowest| lowest >= ctx.pod.priority) {
        return None;
    }
    let candidates = dry_run(ctx, profile, &potential, offset, want, nominated, now);
    pick_one(store, candidates, now)
}

/// DryRunPreemption, one node after the other from `offset`: stops once a candidate spares
/// every PDB and `want` candidates are found; those sparing PDBs come first.
// Upstream: preemption.go (DryRunPreemption).
fn dry_run(
    ctx: &Ctx,
    profile: &mut Profile,
    potential: &[NodeId],
    offset: usize,
    want: usize,
    nominated: &BTreeMap<NodeId, super::Reserved>,
    now: Time,
) -> Vec<Candidate> {
    let store = ctx.store;
    let pdb_allowed: Vec<i64> = store.pdbs.iter().map(|p| disruptions_allowed(store, p)).collect();
    let (mut non_violating, mut violating) = (Vec::new(), Vec::new());
    let n = potential.len();
    for i in 0..n {
        let node = potential[(offset + i) % n];
        let Some(c) = select_victims(ctx, profile, node, nominated, &pdb_allowed, now) else { continue };
        if c.pdb_violations == 0 {
            non_violating.push(c);
        } else {
            violating.push(c);
        }
        if !non_violating.is_empty() && non_violating.len() + violating.len() >= want {
            break;
        }
    }
    non_violating.extend(violating);
    non_violating
}

/// `status.startTime`, or now for a pod that has not started (upstream's GetPodStartTime).
fn start_time(p: &Pod, now: Time) -> Time {
    p.started.unwrap_or(now)
}

/// Higher priority first, then the one that started earlier (pod id breaks ties, which
/// upstream's unstable sort leaves open). Upstream: pkg/scheduler/util/utils.go (MoreImportantPod).
fn more_important(a: &Pod, b: &Pod, now: Time) -> Ordering {
    b.priority.cmp(&a.priority).then(start_time(a, now).cmp(&start_time(b, now))).then(a.id.cmp(&b.id))
}

/// The profile's filters on the node as the dry run leaves it (resources from `node`).
fn fits(ctx: &Ctx, profile: &Profile, node: &Node) -> bool {
    profile.filter(ctx, node).is_none()
}

/// SelectVictimsOnNode: every lower-priority pod on the node leaves (the node copy's
/// requests and the plugins' PreFilter state); if the pod then passes the filters,
/// victims are reprieved from the most important down, PDB-protected ones first, as long
/// as the pod still passes. The plugins' state is restored before returning.
// Upstream: default_preemption.go (SelectVictimsOnNode, filterPodsWithPDBViolation).
fn select_victims(
    ctx: &Ctx,
    profile: &mut Profile,
    node_id: NodeId,
    nominated: &BTreeMap<NodeId, super::Reserved>,
    pdb_allowed: &[i64],
    now: Time,
) -> Option<Candidate> {
    let store = ctx.store;
    let mut node = store.node(node_id).clone();
    // Nominated pods of at least this priority keep their room (resources only).
    if let Some(extra) = nominated.get(&node_id) {
        node.add_requests(extra.resources, (!extra.scalars.is_zero()).then_some(&extra.scalars));
    }
    let mut lower: Vec<&Pod> =
        node.pods.iter().map(|id| store.pod(*id)).filter(|p| p.priority < ctx.pod.priority).collect();
    if lower.is_empty() {
        return None;
    }
    for p in &lower {
        node.remove_requests(p.requests, p.scalar_requests.as_deref());
        profile.remove_pod(ctx, p, &node);
    }
    if !fits(ctx, profile, &node) {
        for p in &lower {
            profile.add_pod(ctx, p, &node);
        }
        return None;
    }
    lower.sort_by(|a, b| more_important(a, b, now));
    // Split by whether evicting would break a PDB (a pod already in a budget's
    // disruptedPods is not counted again; the eviction API keeps none for deleted pods).
    // A budget counts only pods of its own namespace.
    // Upstream: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go
    // (filterPodsWithPDBViolation skips budgets with pdb.Namespace != pod.Namespace).
    let mut allowed = pdb_allowed.to_vec();
    let (mut violating, mut non_violating) = (Vec::new(), Vec::new());
    for p in lower {
        let mut violates = false;
        if !p.template.labels.is_empty() {
            for (i, pdb) in store.pdbs.iter().enumerate() {
                if !pdb.selector.is_empty() && pdb.selects(p) {
                    allowed[i] -= 1;
                    violates |= allowed[i] < 0;
                }
            }
        }
        if violates {
            violating.push(p);
        } else {
            non_violating.push(p);
        }
    }
    let mixed = !violating.is_empty() && !non_violating.is_empty();
    let mut victims: Vec<&Pod> = Vec::new();
    let mut pdb_violations = 0;
    for (group, is_violating) in [(violating, true), (non_violating, false)] {
        for p in group {
            node.add_requests(p.requests, p.scalar_requests.as_deref());
            profile.add_pod(ctx, p, &node);
            if !fits(ctx, profile, &node) {
                node.remove_requests(p.requests, p.scalar_requests.as_deref());
                profile.remove_pod(ctx, p, &node);
                victims.push(p);
                pdb_violations += usize::from(is_violating);
            }
        }
    }
    for p in &victims {
        profile.add_pod(ctx, p, &node);
    }
    if victims.is_empty() {
        return None; // upstream: "expected at least one victim pod on node"
    }
    if mixed {
        victims.sort_by(|a, b| more_important(a, b, now));
    }
    Some(Candidate { node: node_id, victims: victims.iter().map(|p| p.id).collect(), pdb_violations })
}

/// Upstream: preemption.go (pickOneNodeForPreemption) — fewest PDB violations, lowest
/// highest-victim priority, smallest priority sum, fewest victims, latest start time of
/// the most important victims, then the first.
fn pick_one(store: &Store, candidates: Vec<Candidate>, now: Time) -> Option<Candidate> {
    let key = |c: &Candidate| {
        let victims: Vec<&Pod> = c.victims.iter().map(|id| store.pod(*id)).collect();
        let highest = victims.iter().map(|p| p.priority).max().unwrap_or(i32::MIN);
        let sum: i64 = victims.iter().map(|p| i64::from(p.priority) + i64::from(i32::MAX) + 1).sum();
        let earliest_of_highest = victims.iter().filter(|p| p.priority == highest).map(|p| start_time(p, now)).min();
        (c.pdb_violations, highest, sum, victims.len(), std::cmp::Reverse(earliest_of_highest))
    };
    candidates.into_iter().min_by(|a, b| key(a).cmp(&key(b)))
}

#[cfg(test)]
mod tests {
    use super::super::plugins::{Defaults, InterPodAffinity, NodeResourcesFit, PodTopologySpread, ScoringStrategy};
    use super::super::topology::TopologyIndex;
    use super::*;
    use crate::model::testing::node;
    use crate::model::{
        LabelSelector, PodAffinityTerm, PodTemplate, Requirement, Resources, SelectorOp, TopologySpreadConstraint,
        WhenUnsatisfiable,
    };
    use std::sync::Arc;

    const LOW: i32 = 0;
    const MID: i32 = 100;
    const HIGH: i32 = 1000;
    // Upstream: default_preemption_test.go (smallRes 100m/100, mediumRes 200m/200,
    // largeRes 300m/300, veryLargeRes 500m/500; nodes have veryLargeRes).
    const SMALL: i64 = 100;
    const MEDIUM: i64 = 200;
    const LARGE: i64 = 300;
    const VERY_LARGE: i64 = 500;

    fn exists(key: &str) -> LabelSelector {
        LabelSelector {
            match_labels: Default::default(),
            match_expressions: vec![Requirement { key: key.into(), op: SelectorOp::Exists, values: vec![] }],
        }
    }

    /// A pod spec: (name, node index, labels, priority, request, start time s, anti-affinity on `foo`).
    struct P(&'static str, usize, &'static [&'static str], i32, i64, u64, bool);

    fn template(labels: &[&str], req: i64, anti: bool, spread: Vec<TopologySpreadConstraint>) -> Arc<PodTemplate> {
        let mut t = PodTemplate {
            labels: labels.iter().map(|l| (l.to_string(), String::new())).collect(),
            ..PodTemplate::default()
        };
        t.spec.containers = vec![crate::model::Container {
            cpu_request_millis: Some(req),
            memory_request_bytes: Some(req),
            ..Default::default()
        }];
        if anti {
            t.spec.affinity.pod_anti.required = vec![PodAffinityTerm {
                selector: exists("foo"),
                topology_key: "hostname".into(),
                ..PodAffinityTerm::default()
            }];
        }
        t.spec.topology_spread = spread;
        Arc::new(t)
    }

    /// Upstream's TestDryRunPreemption harness: nodes "name" or "name/zone" with
    /// veryLargeRes, existing pods, the incoming pod, the filter plugins; every node is a
    /// potential node, offset 0, all candidates wanted. Returns (node, victim names, PDB violations).
    fn dry(
        nodes: &[&str],
        pods: &[P],
        incoming: (&[&str], i32, i64, Vec<TopologySpreadConstraint>),
        plugins: &[&str],
    ) -> Vec<(String, Vec<String>, usize)> {
        let mut store = Store::default();
        for spec in nodes {
            let (name, zone) = spec.split_once('/').map_or((*spec, None), |(n, z)| (n, Some(z)));
            store.add_node(|id| {
                let mut n = node(VERY_LARGE, VERY_LARGE, Resources::default());
                n.id = id;
                n.name = name.into();
                n.labels.insert("hostname".into(), name.into());
                if let Some(z) = zone {
                    n.labels.insert("zone".into(), z.into());
                }
                n
            });
        }
        for P(name, on, labels, priority, req, start, anti) in pods {
            let id =
                store.create_pod(name.to_string(), template(labels, *req, *anti, vec![]), vec![], None, Time::ZERO);
            store.set_priority(id, *priority);
            store.bind(id, NodeId(*on as u32));
            store.pod_mut(id).started = Some(Time::from_secs(*start));
        }
        let (labels, priority, req, spread) = incoming;
        let p = store.create_pod("p".into(), template(labels, req, false, spread), vec![], None, Time::ZERO);
        store.set_priority(p, priority);
        store.account();
        let mut topology = TopologyIndex::default();
        topology.ensure("hostname", &store);
        topology.ensure("zone", &store);
        let mut profile = Profile::new(super::super::profile::HostSelection::TopScore);
        for name in plugins {
            profile = match *name {
                "NodeResourcesFit" => {
                    profile.with(Box::new(NodeResourcesFit::new(ScoringStrategy::LeastAllocated)), true, None)
                }
                "InterPodAffinity" => profile.with(Box::new(InterPodAffinity::default()), true, None),
                _ => profile.with(Box::new(PodTopologySpread::new(Defaults::System)), true, None),
            };
        }
        let ctx = Ctx { store: &store, pod: store.pod(p), topology: &topology };
        profile.pre_filter(&ctx).expect("prefilter");
        let potential: Vec<NodeId> = store.nodes.iter().map(|n| n.id).collect();
        let now = Time::from_secs(1000);
        dry_run(&ctx, &mut profile, &potential, 0, potential.len(), &BTreeMap::new(), now)
            .into_iter()
            .map(|c| {
                // Compared as sets, sorted by name, as upstream's test does.
                let mut victims: Vec<String> = c.victims.iter().map(|v| store.pod(*v).name.clone()).collect();
                victims.sort();
                (store.node(c.node).name.clone(), victims, c.pdb_violations)
            })
            .collect()
    }

    fn cand(node: &str, victims: &[&str]) -> (String, Vec<String>, usize) {
        (node.into(), victims.iter().map(|v| v.to_string()).collect(), 0)
    }

    const FIT: &[&str] = &["NodeResourcesFit"];

    #[test]
    fn dry_run_matches_upstream_table() {
        // Upstream: default_preemption_test.go (TestDryRunPreemption).
        // "a pod that fits on both nodes when lower priority pods are preempted"
        let pods = [P("p1", 0, &[], MID, LARGE, 1, false), P("p2", 1, &[], MID, LARGE, 1, false)];
        assert_eq!(
            dry(&["node1", "node2"], &pods, (&[], HIGH, LARGE, vec![]), FIT),
            [cand("node1", &["p1"]), cand("node2", &["p2"])]
        );
        // "a pod that would fit on the nodes, but other pods running are higher priority"
        assert!(dry(&["node1", "node2"], &pods, (&[], LOW, LARGE, vec![]), FIT).is_empty());
        // "medium priority pod is preempted, but lower priority one stays as it is small"
        let pods = [
            P("p1.1", 0, &[], LOW, SMALL, 1, false),
            P("p1.2", 0, &[], MID, LARGE, 1, false),
            P("p2", 1, &[], MID, LARGE, 1, false),
        ];
        assert_eq!(
            dry(&["node1", "node2"], &pods, (&[], HIGH, LARGE, vec![]), FIT),
            [cand("node1", &["p1.2"]), cand("node2", &["p2"])]
        );
        // "mixed priority pods are preempted"
        let pods = [
            P("p1.1", 0, &[], MID, SMALL, 1, false),
            P("p1.2", 0, &[], LOW, SMALL, 1, false),
            P("p1.3", 0, &[], MID, MEDIUM, 1, false),
            P("p1.4", 0, &[], HIGH, SMALL, 1, false),
            P("p2", 1, &[], HIGH, LARGE, 1, false),
        ];
        assert_eq!(
            dry(&["node1", "node2"], &pods, (&[], HIGH, LARGE, vec![]), FIT),
            [cand("node1", &["p1.2", "p1.3"])]
        );
        // "mixed priority pods are preempted, pick later StartTime one when priorities are equal"
        let pods = [
            P("p1.1", 0, &[], LOW, SMALL, 5, false),
            P("p1.2", 0, &[], LOW, SMALL, 4, false),
            P("p1.3", 0, &[], MID, MEDIUM, 3, false),
            P("p1.4", 0, &[], HIGH, SMALL, 2, false),
            P("p2", 1, &[], HIGH, LARGE, 1, false),
        ];
        assert_eq!(
            dry(&["node1", "node2"], &pods, (&[], HIGH, LARGE, vec![]), FIT),
            [cand("node1", &["p1.1", "p1.3"])]
        );
        // "pod with anti-affinity is preempted": the victim's required anti-affinity on
        // `foo` is what blocks the incoming pod, not resources.
        let pods = [
            P("p1.1", 0, &["foo"], LOW, SMALL, 1, true),
            P("p1.2", 0, &[], MID, SMALL, 1, false),
            P("p1.3", 0, &[], HIGH, SMALL, 1, false),
            P("p2", 1, &[], HIGH, SMALL, 1, false),
        ];
        assert_eq!(
            dry(&["node1", "node2"], &pods, (&["foo"], HIGH, SMALL, vec![]), &["NodeResourcesFit", "InterPodAffinity"]),
            [cand("node1", &["p1.1"])]
        );
        // "preemption to resolve pod topology spread filter failure"
        let hard = |key: &str| TopologySpreadConstraint {
            max_skew: 1,
            topology_key: key.into(),
            when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
            selector: exists("foo"),
            min_domains: None,
            match_label_keys: vec![],
        };
        let pods = [
            P("pod-a1", 0, &["foo"], MID, 0, 1, false),
            P("pod-a2", 0, &["foo"], LOW, 0, 1, false),
            P("pod-b1", 1, &["foo"], LOW, 0, 1, false),
            P("pod-x1", 2, &["foo"], HIGH, 0, 1, false),
            P("pod-x2", 2, &["foo"], HIGH, 0, 1, false),
        ];
        assert_eq!(
            dry(
                &["node-a/zone1", "node-b/zone1", "node-x/zone2"],
                &pods,
                (&["foo"], HIGH, 0, vec![hard("zone"), hard("hostname")]),
                &["PodTopologySpread"]
            ),
            [cand("node-a", &["pod-a2"]), cand("node-b", &["pod-b1"])]
        );
    }

    #[test]
    fn candidate_count_follows_upstream() {
        // Upstream: default_preemption_test.go (TestGetOffsetAndNumCandidates /
        // calculateNumCandidates with the default args 10% and 100).
        assert_eq!(num_candidates(1), 1);
        assert_eq!(num_candidates(10), 10);
        assert_eq!(num_candidates(100), 100);
        assert_eq!(num_candidates(1000), 100);
        assert_eq!(num_candidates(5000), 500);
    }
}
