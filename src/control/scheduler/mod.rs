//! The scheduler: a queue of pending pods and a profile of plugins at upstream's
//! extension points (PreFilter, Filter, PostFilter, PreScore, Score, NormalizeScore).
//! Upstream: pkg/scheduler/schedule_one.go.

pub mod config;
mod framework;
mod plugins;
mod policies;
mod preemption;
mod profile;
mod queue;
mod topology;

pub use framework::{Ctx, Failure, Plugin, Reason, FIT_REASONS, MAX_NODE_SCORE};
pub use plugins::{required_node_affinity_matches, scalar_shortage};
pub use policies::{check_profile, profile_for, ProfileProblem};
pub use profile::{HostSelection, Profile};
pub use queue::{backoff_for, SchedulingQueue};

use super::{Decision, ScoreTable};
use crate::control::scheduler::config::SchedulerConfig;
use crate::engine::{RandomStream, Time};
use crate::model::{NodeId, PodId, Store};
use std::collections::BTreeMap;
use topology::TopologyIndex;

/// Upstream: pkg/scheduler/schedule_one.go (minFeasibleNodesToFind).
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// Upstream: pkg/scheduler/schedule_one.go (minFeasibleNodesPercentageToFind).
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
/// Topology keys the system-default spread constraints use.
const DEFAULT_SPREAD_KEYS: [&str; 2] = ["kubernetes.io/hostname", "topology.kubernetes.io/zone"];

/// The scheduler with its queue, profile and tie-breaking stream.
pub struct Scheduler {
    pub queue: SchedulingQueue,
    profile: Profile,
    percentage_of_nodes_to_score: usize,
    next_start_node_index: usize,
    last_round_robin: Option<NodeId>,
    topology: TopologyIndex,
    /// Pod groups whose topology keys are already indexed.
    indexed_groups: usize,
    rng: RandomStream,
    explain: bool,
    bind_guards: crate::model::BindGuards,
}

/// The highest total wins; ties are broken uniformly at random (each of m tied nodes
/// wins with probability 1/m) with one draw from the scheduler's seeded stream.
/// Upstream: pkg/scheduler/schedule_one.go (selectHost) draws the same distribution by
/// reservoir sampling, one draw per tie; one draw per cycle is cheaper and as fair.
fn select_host(rng: &mut RandomStream, nodes: &[NodeId], totals: &[i64]) -> NodeId {
    let best = totals.iter().copied().max().expect("select_host: no nodes");
    let ties = totals.iter().filter(|t| **t == best).count();
    let pick = if ties > 1 { rng.below(ties as u64) as usize } else { 0 };
    let (node, _) = nodes.iter().zip(totals).filter(|(_, t)| **t == best).nth(pick).expect("pick < ties");
    *node
}

/// Filter failures counted by message, for the upstream-style FitError text.
struct ReasonCounts<'a> {
    texts: Vec<(&'a str, usize)>,
    /// What scalar resource shortages are called.
    names: &'a crate::model::ScalarNames,
}

impl<'a> ReasonCounts<'a> {
    fn new(store: &'a Store) -> Self {
        ReasonCounts { texts: Vec::new(), names: &store.scalar_names }
    }

    fn add(&mut self, f: &Failure) {
        let mut bump = |text: &'a str| match self.texts.iter_mut().find(|(t, _)| *t == text) {
            Some((_, c)) => *c += 1,
            None => self.texts.push((text, 1)),
        };
        match f.reason {
            Reason::Text(t) => bump(t),
            Reason::Insufficient(mask) => {
                for (bit, text) in FIT_REASONS.iter().enumerate() {
                    if mask & (1 << bit) != 0 {
                        bump(text);
                    }
                }
                for slot in 0..self.names.len() {
                    if mask & (1 << (FIT_REASONS.len() + slot)) != 0 {
                        bump(self.names.reason(slot));
                    }
                }
            }
        }
    }

    /// "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint(s)."
    /// Upstream: pkg/scheduler/framework/types.go (FitError.Error) sorts "count reason" strings.
    fn message(&self, num_nodes: usize) -> String {
        let mut parts: Vec<String> = self.texts.iter().map(|(t, c)| format!("{c} {t}")).collect();
        parts.sort();
        format!("0/{num_nodes} nodes are available: {}.", parts.join(", "))
    }
}

/// The status of nodes a PreFilterResult left out (only NodeAffinity narrows).
/// Upstream: schedule_one.go (SetAbsentNodesStatus "node(s) didn't satisfy plugin(s) %v").
const NARROWED_OUT: &str = "node(s) didn't satisfy plugin(s) [NodeAffinity]";

impl Scheduler {
    pub fn new(config: &SchedulerConfig, rng: RandomStream, explain: bool) -> Self {
        let profile = profile_for(config);
        let filters = profile.filter_names();
        let bind_guards = crate::model::BindGuards {
            cordon: filters.contains(&"NodeUnschedulable"),
            readiness: filters.contains(&"TaintToleration"),
        };
        Scheduler {
            queue: SchedulingQueue::default(),
            profile,
            bind_guards,
            percentage_of_nodes_to_score: config.percentage_of_nodes_to_score as usize,
            next_start_node_index: 0,
            last_round_robin: None,
            topology: TopologyIndex::default(),
            indexed_groups: 0,
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

    /// Indexes every topology key a cycle can touch: the system-default spreading keys and
    /// every key in any pod group's spread constraints and (anti-)affinity terms. Groups are
    /// indexed once, when first seen; nodes that joined since are added to every key.
    fn index_topology(&mut self, store: &Store) {
        if self.indexed_groups == 0 {
            for k in DEFAULT_SPREAD_KEYS {
                self.topology.ensure(k, store);
            }
        }
        self.topology.refresh(store);
        for g in &store.groups[self.indexed_groups..] {
            let spec = &g.template.spec;
            let mut keys: Vec<&str> = spec.topology_spread.iter().map(|c| c.topology_key.as_str()).collect();
            for rules in [&spec.affinity.pod, &spec.affinity.pod_anti] {
                keys.extend(rules.required.iter().map(|t| t.topology_key.as_str()));
                keys.extend(rules.preferred.iter().map(|(_, t)| t.topology_key.as_str()));
            }
            for k in keys {
                self.topology.ensure(k, store);
            }
        }
        self.indexed_groups = store.groups.len();
    }

    /// One scheduling cycle for `pod_id` at `now`: bind, preempt, or explain why not.
    pub fn schedule_one(&mut self, store: &Store, pod_id: PodId, now: Time) -> Decision {
        let n = store.nodes.len();
        if n == 0 {
            return Decision::Unschedulable {
                pod: pod_id,
                reason: "0/0 nodes are available: no nodes available to schedule pods.".into(),
            };
        }
        self.index_topology(store);
        let pod = store.pod(pod_id);
        let ctx = Ctx { store, pod, topology: &self.topology };
        if let Err(f) = self.profile.pre_filter(&ctx) {
            let mut counts = ReasonCounts::new(store);
            for _ in &store.nodes {
                counts.add(&f);
            }
            return Decision::Unschedulable { pod: pod_id, reason: counts.message(n) };
        }
        // A PreFilterResult (a DaemonSet pod's node) narrows the cycle to its nodes; the
        // rest fail as "didn't satisfy plugin(s)". Upstream: schedule_one.go (findNodesThatFitPod).
        let narrowed: Option<Vec<&crate::model::Node>> = self.profile.pre_filter_nodes(&ctx).map(|(names, _)| {
            let mut nodes: Vec<&crate::model::Node> =
                names.iter().filter_map(|name| store.node_id(name)).map(|id| store.node(id)).collect();
            nodes.sort_by_key(|node| node.id);
            nodes
        });
        let candidates = narrowed.as_ref().map_or(n, Vec::len);
        let want = if self.profile.score_all_nodes {
            candidates
        } else {
            Self::num_feasible_nodes_to_find(self.percentage_of_nodes_to_score, candidates)
        };
        // Failure reasons are not kept during the scan: they matter only when no node is
        // feasible, and then every node was scanned, so post_filter recomputes them all.
        let mut feasible: Vec<NodeId> = Vec::with_capacity(want.min(n));
        let mut processed = 0;
        let (tail, head) = store.nodes.split_at(self.next_start_node_index.min(n));
        let nominated = self.nominated_requests(store, pod_id);
        let scan: Box<dyn Iterator<Item = &crate::model::Node>> = match &narrowed {
            Some(nodes) => Box::new(nodes.iter().copied()),
            None => Box::new(head.iter().chain(tail)),
        };
        for node in scan {
            processed += 1;
            if self.profile.passes(&ctx, node)
                && (nominated.is_empty() || nominated_shortage(&ctx, node, &nominated).is_none())
            {
                feasible.push(node.id);
                if feasible.len() >= want {
                    break;
                }
            }
        }
        if narrowed.is_none() {
            self.next_start_node_index = (self.next_start_node_index + processed) % n;
        }
        if feasible.is_empty() {
            let absent = Failure::unresolvable(Reason::Text(NARROWED_OUT));
            let failures: Vec<(NodeId, Failure)> = store
                .nodes
                .iter()
                .filter_map(|node| {
                    if narrowed.as_ref().is_some_and(|c| !c.iter().any(|c| c.id == node.id)) {
                        return Some((node.id, absent));
                    }
                    let failure =
                        self.profile.filter(&ctx, node).or_else(|| nominated_shortage(&ctx, node, &nominated));
                    Some((node.id, failure?))
                })
                .collect();
            return self.post_filter(store, pod_id, &failures, &nominated, now);
        }
        let chosen = match self.profile.selection {
            HostSelection::RoundRobin => {
                feasible.sort();
                let next = self.last_round_robin.and_then(|last| feasible.iter().find(|id| **id > last).copied());
                let chosen = next.unwrap_or(feasible[0]);
                self.last_round_robin = Some(chosen);
                return Decision::Bind { pod: pod_id, node: chosen, scores: self.explain.then(ScoreTable::default) };
            }
            HostSelection::TopScore if feasible.len() == 1 => {
                return Decision::Bind {
                    pod: pod_id,
                    node: feasible[0],
                    scores: self.explain.then(ScoreTable::default),
                };
            }
            HostSelection::TopScore => {
                let (totals, table) = self.profile.score(&ctx, &feasible, self.explain);
                (select_host(&mut self.rng, &feasible, totals), table)
            }
        };
        Decision::Bind { pod: pod_id, node: chosen.0, scores: chosen.1 }
    }

    /// Requests of pods nominated to each node (waiting there for preemption victims to
    /// go) whose priority is at least `pod_id`'s: a lower-priority pod must not take the
    /// room being freed for them.
    /// Upstream: pkg/scheduler/framework/runtime/framework.go (RunFilterPluginsWithNominatedPods, addGENominatedPods).
    fn nominated_requests(&self, store: &Store, pod_id: PodId) -> BTreeMap<NodeId, Reserved> {
        let mut out: BTreeMap<NodeId, Reserved> = BTreeMap::new();
        let priority = store.pod(pod_id).priority;
        for (&p, &node) in &self.queue.nominated {
            let Some(other) = store.pods().get(&p) else { continue };
            if p != pod_id && other.node.is_none() && other.priority >= priority {
                let reserved = out.entry(node).or_default();
                reserved.resources += other.requests;
                if let Some(s) = &other.scalar_requests {
                    reserved.scalars += **s;
                }
            }
        }
        out
    }

    /// PostFilter: preemption, else the FitError.
    fn post_filter(
        &mut self,
        store: &Store,
        pod_id: PodId,
        failures: &[(NodeId, Failure)],
        nominated: &BTreeMap<NodeId, Reserved>,
        now: Time,
    ) -> Decision {
        let pod = store.pod(pod_id);
        let nominated_node = self.queue.nominated.get(&pod_id).copied();
        if self.profile.preemption && preemption::eligible(store, pod, nominated_node, failures) {
            let ctx = Ctx { store, pod, topology: &self.topology };
            if let Some(c) =
                preemption::find_candidate(&ctx, &mut self.profile, failures, nominated, &mut self.rng, now)
            {
                if !c.victims.is_empty() {
                    return Decision::Preempt { pod: pod_id, node: c.node, victims: c.victims };
                }
            }
        }
        let mut counts = ReasonCounts::new(store);
        for (_, f) in failures {
            counts.add(f);
        }
        Decision::Unschedulable { pod: pod_id, reason: counts.message(store.nodes.len()) }
    }

    /// The first of `candidates` on which `pod` passes every filter (no scoring, no
    /// queue): what the Cluster Autoscaler asks of its simulated clusters.
    /// Upstream: cluster-autoscaler/simulator/clustersnapshot/predicate (runs the Filter plugins).
    pub fn first_fit(&mut self, store: &Store, pod_id: PodId, candidates: &[NodeId]) -> Option<NodeId> {
        self.index_topology(store);
        let ctx = Ctx { store, pod: store.pod(pod_id), topology: &self.topology };
        self.profile.pre_filter(&ctx).ok()?;
        candidates.iter().copied().find(|id| self.profile.passes(&ctx, store.node(*id)))
    }

    /// The bind checks this profile's filters make binding (without NodeUnschedulable or
    /// TaintToleration at Filter, upstream binds to cordoned or not-Ready nodes too).
    pub fn bind_guards(&self) -> crate::model::BindGuards {
        self.bind_guards
    }

    /// Whether a pod is one the scheduler should place.
    pub fn wants(pod: &crate::model::Pod) -> bool {
        pod.node.is_none() && pod.is_active()
    }

    /// The next pod to try, if any is active.
    pub fn next_pod(&mut self, now: Time) -> Option<PodId> {
        self.queue.pop(now)
    }
}

/// NodeResourcesFit's verdict with the nominated pods' requests added (upstream runs the
/// filters with them, so a node they fill reports its shortage).
fn nominated_shortage(ctx: &Ctx, node: &crate::model::Node, nominated: &BTreeMap<NodeId, Reserved>) -> Option<Failure> {
    let extra = nominated.get(&node.id)?;
    let used = node.requested + extra.resources;
    let scalars = node.scalar_requested() + extra.scalars;
    plugins::NodeResourcesFit::fits(ctx.pod, node, used, Some(&scalars), used.pods as usize)
}

/// What pods nominated to a node reserve there: their requests and scalar requests.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reserved {
    pub resources: crate::model::Resources,
    pub scalars: crate::model::Scalars,
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
    fn select_host_takes_the_top_score_and_splits_ties_evenly() {
        let mut rng = crate::engine::RngStreams::new(7).stream("scheduler");
        let nodes: Vec<NodeId> = (0..5).map(NodeId).collect();
        assert_eq!(select_host(&mut rng, &nodes, &[3, 9, 1, 8, 2]), NodeId(1));
        let mut wins = [0u32; 5];
        for _ in 0..4000 {
            wins[select_host(&mut rng, &nodes, &[5, 7, 7, 1, 7]).0 as usize] += 1;
        }
        assert_eq!((wins[0], wins[3]), (0, 0), "only tied top nodes win: {wins:?}");
        for w in [wins[1], wins[2], wins[4]] {
            assert!((1200..1470).contains(&w), "each of 3 ties wins about 1/3 of 4000: {wins:?}");
        }
    }

    #[test]
    fn fit_error_sorts_count_reason_strings() {
        let store = Store::default();
        let mut c = ReasonCounts::new(&store);
        c.texts.push(("node(s) were unschedulable", 2));
        c.texts.push(("Insufficient cpu", 3));
        assert_eq!(c.message(5), "0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient cpu.");
    }

    #[test]
    fn fit_error_names_scalar_resources() {
        let mut store = Store::default();
        let mut names = crate::model::ScalarNames::default();
        names.intern("nvidia.com/gpu");
        store.scalar_names = std::sync::Arc::new(names);
        let mut c = ReasonCounts::new(&store);
        let gpu = 1 << (FIT_REASONS.len() + 1);
        c.add(&Failure::unresolvable(Reason::Insufficient(gpu)));
        c.add(&Failure::unresolvable(Reason::Insufficient(gpu | 0b10)));
        c.add(&Failure::resolvable(Reason::Insufficient(1 << FIT_REASONS.len())));
        assert_eq!(
            c.message(3),
            "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient ephemeral-storage, 2 Insufficient nvidia.com/gpu."
        );
    }
}
