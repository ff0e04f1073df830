//! The Cluster Autoscaler: every scan it grows a node group when pods are pending that a
//! new node would take, and removes nodes that stayed under-used (their pods fitting
//! elsewhere) for `scaleDownUnneededTime`. Upstream: cluster-autoscaler/core/static_autoscaler.go
//! (RunOnce), core/scaleup/orchestrator/orchestrator.go (ScaleUp), core/scaledown.
//!
//! Like the other controllers it reads the store and returns decisions; the world
//! provisions nodes (after the pool's `provisioningDelay`), drains and deletes them.

pub mod config;
mod estimator;
mod expander;
mod scale_down;
mod simulation;

pub use estimator::{estimate, Estimate};
pub use scale_down::{utilization, NON_EMPTY_CANDIDATES};

use crate::control::cluster_autoscaler::config::{ClusterAutoscalerConfig, NodePool};
use crate::control::scheduler::config::SchedulerConfig;
use crate::engine::{Duration, RandomStream, Time};
use crate::model::{NodeId, PodId, Store};
use expander::GroupOption;
use simulation::{add_template_node, Simulator};
use std::collections::BTreeMap;

/// Upstream: --max-empty-bulk-delete (10).
const MAX_EMPTY_BULK_DELETE: usize = 10;
/// Upstream: --initial-node-group-backoff-duration (5 min) and --max-node-group-backoff-duration (30 min).
const INITIAL_BACKOFF: Duration = Duration::from_secs(300);
const MAX_BACKOFF: Duration = Duration::from_secs(1800);

/// What the autoscaler wants done.
#[derive(Clone, Debug, PartialEq)]
pub enum CaDecision {
    /// Ask pool `pool` for `nodes` more nodes (`pods` is how many pending pods they take).
    ScaleUp { pool: usize, nodes: u32, pods: usize },
    /// Drain and delete these nodes (all empty, or one node whose pods move elsewhere).
    ScaleDown { nodes: Vec<NodeId> },
    /// Mark unneeded nodes with the PreferNoSchedule deletion-candidate taint (and clear
    /// it from nodes needed again), so the scheduler steers new pods elsewhere.
    /// Upstream: core/scaledown/actuation/softtaint.go (UpdateSoftDeletionTaints).
    SoftTaint { add: Vec<NodeId>, remove: Vec<NodeId> },
}

/// Upstream: taints.DeletionCandidateTaint.
pub const DELETION_CANDIDATE_TAINT: &str = "DeletionCandidateOfClusterAutoscaler";
/// The NoSchedule taint on a node being drained for deletion.
/// Upstream: cluster-autoscaler/utils/taints/taints.go (ToBeDeletedTaint).
pub const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";
/// Upstream: --max-bulk-soft-taint-count (10).
const MAX_BULK_SOFT_TAINT: usize = 10;

/// A node group's size as the autoscaler tracks it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupSize {
    /// Nodes that joined and are still there.
    pub live: u32,
    /// Nodes asked for that have not joined yet.
    pub upcoming: u32,
}

impl GroupSize {
    /// The cloud provider's target size.
    pub fn target(self) -> u32 {
        self.live + self.upcoming
    }
}

pub struct ClusterAutoscaler {
    config: ClusterAutoscalerConfig,
    scheduler: SchedulerConfig,
    rng: RandomStream,
    /// The what-if schedulers' stream (`cluster-autoscaler/what-if`).
    what_if: RandomStream,
    /// Since when each node has been unneeded.
    unneeded_since: BTreeMap<NodeId, Time>,
    last_scale_up: Option<Time>,
    last_scale_down: Option<Time>,
    /// Per pool: no scale-up before this time, and the backoff's current length.
    backoff: Vec<(Time, Duration)>,
}

impl ClusterAutoscaler {
    pub fn new(
        config: ClusterAutoscalerConfig,
        scheduler: SchedulerConfig,
        pools: usize,
        rng: RandomStream,
        what_if: RandomStream,
    ) -> Self {
        ClusterAutoscaler {
            config,
            scheduler,
            rng,
            what_if,
            unneeded_since: BTreeMap::new(),
            last_scale_up: None,
            last_scale_down: None,
            backoff: vec![(Time::ZERO, Duration::ZERO); pools],
        }
    }

    pub fn scan_interval(&self) -> Duration {
        self.config.scan_interval
    }

    /// A requested node did not join within maxNodeProvisionTime: the pool backs off
    /// (5 min, doubling up to 30 min). Upstream: clusterstate.RegisterFailedScaleUp.
    pub fn provisioning_failed(&mut self, pool: usize, now: Time) {
        let (_, last) = self.backoff[pool];
        let length = if last == Duration::ZERO { INITIAL_BACKOFF } else { (last + last).min(MAX_BACKOFF) };
        self.backoff[pool] = (now + length, length);
    }

    /// Whether a node is waiting out its unneeded time (for reports and tests).
    pub fn unneeded_since(&self, node: NodeId) -> Option<Time> {
        self.unneeded_since.get(&node).copied()
    }

    /// One scan (RunOnce): scale up for pending pods, else consider scaling down.
    pub fn scan(&mut self, store: &Store, pools: &[NodePool], sizes: &[GroupSize], now: Time) -> Vec<CaDecision> {
        let pending = pending_pods(store);
        if !pending.is_empty() {
            if let Some(up) = self.scale_up(store, pools, sizes, &pending, now) {
                self.last_scale_up = Some(now);
                self.unneeded_since.clear();
                return vec![up];
            }
        }
        let mut decisions: Vec<CaDecision> = self.scale_down(store, pools, sizes, now).into_iter().collect();
        decisions.extend(self.soft_taints(store));
        decisions
    }

    /// Unneeded nodes get the deletion-candidate taint (at most 10 a scan); nodes that are
    /// needed again lose it.
    fn soft_taints(&self, store: &Store) -> Option<CaDecision> {
        let tainted = |n: &crate::model::Node| n.taints.iter().any(|(t, _)| t.key == DELETION_CANDIDATE_TAINT);
        let add: Vec<NodeId> = self
            .unneeded_since
            .keys()
            .copied()
            .filter(|id| store.try_node(*id).is_some_and(|n| !tainted(n)))
            .take(MAX_BULK_SOFT_TAINT)
            .collect();
        let remove: Vec<NodeId> = store
            .nodes
            .iter()
            .filter(|n| tainted(n) && !self.unneeded_since.contains_key(&n.id))
            .map(|n| n.id)
            .collect();
        (!add.is_empty() || !remove.is_empty()).then_some(CaDecision::SoftTaint { add, remove })
    }

    fn scale_up(
        &mut self,
        store: &Store,
        pools: &[NodePool],
        sizes: &[GroupSize],
        pending: &[PodId],
        now: Time,
    ) -> Option<CaDecision> {
        // Pods that existing or upcoming nodes will take need no new node.
        // Upstream: core/podlistprocessor/filter_out_schedulable.go.
        let mut base = store.clone();
        for (i, pool) in pools.iter().enumerate() {
            for _ in 0..sizes[i].upcoming {
                add_template_node(&mut base, pool, i);
            }
        }
        let nodes: Vec<NodeId> = base.nodes.iter().map(|n| n.id).collect();
        let mut simulator = Simulator::new(&self.scheduler, self.what_if.clone());
        let mut remaining = Vec::new();
        for &pod in pending {
            match simulator.first_fit(&base, pod, &nodes) {
                Some(node) => base.bind(pod, node),
                None => remaining.push(pod),
            }
        }
        if remaining.is_empty() {
            return None;
        }
        // Upstream: --max-nodes-total (0: no limit) caps every option by the nodes left.
        let cluster_room = match self.config.max_nodes_total {
            0 => u32::MAX,
            total => {
                let upcoming: u32 = sizes.iter().map(|s| s.upcoming).sum();
                total.saturating_sub(store.nodes.len() as u32 + upcoming)
            }
        };
        let totals = cluster_totals(store, pools, sizes);
        let mut options = Vec::new();
        for (i, pool) in pools.iter().enumerate() {
            let Some(limits) = pool.autoscaling else { continue };
            let target = sizes[i].target();
            let room = (limits.max.saturating_sub(target)).min(cluster_room).min(self.resource_room(totals, pool));
            if room == 0 || self.backoff[i].0 > now {
                continue;
            }
            let mut what_if = base.clone();
            let mut simulator = Simulator::new(&self.scheduler, self.what_if.clone());
            let est = estimate(&mut what_if, &mut simulator, pool, i, &remaining, room);
            if !est.pods.is_empty() {
                options.push(GroupOption { pool_index: i, pool, estimate: est });
            }
        }
        if options.is_empty() {
            return None;
        }
        let chosen = &options[expander::choose(self.config.expander, store, &options, &mut self.rng)];
        Some(CaDecision::ScaleUp {
            pool: chosen.pool_index,
            nodes: chosen.estimate.nodes,
            pods: chosen.estimate.pods.len(),
        })
    }

    fn scale_down(&mut self, store: &Store, pools: &[NodePool], sizes: &[GroupSize], now: Time) -> Option<CaDecision> {
        // Upstream: --scale-down-delay-after-add; --scale-down-delay-after-delete defaults to the scan interval.
        let cooling = self.last_scale_up.is_some_and(|t| now < t + self.config.scale_down_delay_after_add)
            || self.last_scale_down.is_some_and(|t| now < t + self.config.scan_interval);
        let pool_of = |name: Option<&str>| pools.iter().position(|p| Some(p.name.as_str()) == name);
        let candidates: Vec<NodeId> = store
            .nodes
            .iter()
            .filter(|n| pool_of(n.pool.as_deref()).is_some_and(|i| pools[i].autoscaling.is_some()))
            .filter(|n| !n.unschedulable && !n.taints.iter().any(|(t, _)| t.key == TO_BE_DELETED_TAINT))
            .filter(|n| utilization(store, n, now) < self.config.scale_down_utilization_threshold)
            .map(|n| n.id)
            .collect();
        let unneeded = scale_down::removable(store, &self.scheduler, &self.what_if, &candidates, now);
        self.unneeded_since.retain(|node, _| unneeded.contains(node));
        for node in &unneeded {
            self.unneeded_since.entry(*node).or_insert(now);
        }
        if cooling {
            return None;
        }
        // Ripe nodes, without taking any group below its minimum nor the cluster below
        // --cores-total / --memory-total min.
        let mut totals = cluster_totals(store, pools, sizes);
        let mut room: Vec<u32> = pools
            .iter()
            .zip(sizes)
            .map(|(p, s)| p.autoscaling.map_or(0, |l| s.target().saturating_sub(l.min)))
            .collect();
        // Upstream: core/scaledown/unneeded/nodes.go (RemovableAt: the unready time for nodes not Ready).
        let wait = |n: NodeId| match store.node(n).condition {
            crate::model::NodeCondition::Ready => self.config.scale_down_unneeded_time,
            _ => self.config.scale_down_unready_time,
        };
        let ripe = unneeded.iter().copied().filter(|n| now >= self.unneeded_since[n] + wait(*n));
        let mut empty = Vec::new();
        let mut non_empty = None;
        for node in ripe {
            let Some(pool) = pool_of(store.node(node).pool.as_deref()) else { continue };
            let alloc = store.node(node).allocatable;
            let (cpu, memory) = (totals.0 - alloc.cpu_millis, totals.1 - alloc.memory_bytes);
            if room[pool] == 0 || cpu < self.config.cpu_total.min || memory < self.config.memory_total.min {
                continue;
            }
            // DaemonSet pods do not make a node busy. Upstream: simulator/drainability/rules/daemonset.
            let is_empty = store.node(node).pods.iter().map(|p| store.pod(*p)).all(|p| !p.is_active() || p.is_daemon());
            if is_empty && empty.len() < MAX_EMPTY_BULK_DELETE {
                room[pool] -= 1;
                totals = (cpu, memory);
                empty.push(node);
            } else if !is_empty && non_empty.is_none() {
                non_empty = Some((node, pool));
            }
        }
        // Empty nodes go in bulk; otherwise one node is drained at a time.
        let nodes = match (empty.is_empty(), non_empty) {
            (false, _) => empty,
            (true, Some((node, _))) => vec![node],
            (true, None) => return None,
        };
        for n in &nodes {
            self.unneeded_since.remove(n);
        }
        self.last_scale_down = Some(now);
        Some(CaDecision::ScaleDown { nodes })
    }
}

/// The cluster's allocatable (cpu millicores, memory bytes) counting nodes on their way.
/// Upstream: core/utils (CalculateCoresMemoryTotal, with upcoming nodes).
fn cluster_totals(store: &Store, pools: &[NodePool], sizes: &[GroupSize]) -> (i64, i64) {
    let live =
        store.nodes.iter().fold((0, 0), |(c, m), n| (c + n.allocatable.cpu_millis, m + n.allocatable.memory_bytes));
    pools.iter().zip(sizes).fold(live, |(c, m), (p, s)| {
        let n = i64::from(s.upcoming);
        (c + n * p.capacity.cpu_millis, m + n * p.capacity.memory_bytes)
    })
}

impl ClusterAutoscaler {
    /// How many nodes of `pool` fit under --cores-total / --memory-total max.
    /// Upstream: core/scaleup/resource/manager.go (ApplyLimits).
    fn resource_room(&self, (cpu, memory): (i64, i64), pool: &NodePool) -> u32 {
        let fit = |left: i64, per_node: i64| {
            if per_node > 0 {
                (left.max(0) / per_node).min(u32::MAX as i64) as u32
            } else {
                u32::MAX
            }
        };
        fit(self.config.cpu_total.max - cpu, pool.capacity.cpu_millis)
            .min(fit(self.config.memory_total.max - memory, pool.capacity.memory_bytes))
    }
}

/// Pods the scheduler could not place: unbound and not being deleted, highest priority
/// first, then oldest. Upstream lists pods whose PodScheduled condition is Unschedulable.
fn pending_pods(store: &Store) -> Vec<PodId> {
    let mut pods: Vec<&crate::model::Pod> =
        store.pods().values().filter(|p| p.node.is_none() && p.is_active()).collect();
    pods.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.created.cmp(&b.created)));
    pods.into_iter().map(|p| p.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::cluster_autoscaler::config::{Distribution, Expander, PoolLimits};
    use crate::engine::RngStreams;
    use crate::model::testing::pod;
    use crate::model::{Node, Resources};

    fn pool(name: &str, cpu: i64) -> NodePool {
        NodePool {
            name: name.into(),
            count: 0,
            capacity: Resources::new(cpu, 64 << 30, 110),
            scalar_capacity: Default::default(),
            labels: Default::default(),
            taints: Vec::new(),
            cost_per_hour: 0.0,
            autoscaling: Some(PoolLimits { min: 0, max: 100 }),
            provisioning_delay: Distribution::Constant(Duration::from_secs(60)),
        }
    }

    /// A store with `n` pending pods of `cpu` millicores each.
    fn pending(n: usize, cpu: i64) -> (Store, Vec<PodId>) {
        let mut store = Store::default();
        let template = pod(&[(cpu, 1 << 20)]).template;
        let pods =
            (0..n).map(|i| store.create_pod(format!("p{i}"), template.clone(), vec![], None, Time::ZERO)).collect();
        (store, pods)
    }

    #[test]
    fn binpacking_fills_each_new_node_before_adding_one() {
        let (mut store, pods) = pending(10, 1000);
        let mut sim = Simulator::new(&SchedulerConfig::default(), RngStreams::new(1).stream("what-if"));
        let e = estimate(&mut store.clone(), &mut sim, &pool("b", 4000), 0, &pods, 100);
        assert_eq!((e.nodes, e.pods.len()), (3, 10), "4 + 4 + 2 pods");
        let mut sim = Simulator::new(&SchedulerConfig::default(), RngStreams::new(1).stream("what-if"));
        let e = estimate(&mut store, &mut sim, &pool("b", 4000), 0, &pods, 2);
        assert_eq!((e.nodes, e.pods.len()), (2, 8), "the group's room caps the estimate");
    }

    #[test]
    fn the_largest_pods_are_placed_first() {
        // 3 cpu + 1 cpu + 3 cpu + 1 cpu on 4-cpu nodes: decreasing order packs them in 2.
        let mut store = Store::default();
        let mut pods = Vec::new();
        for (i, cpu) in [1000, 3000, 1000, 3000].into_iter().enumerate() {
            pods.push(store.create_pod(format!("p{i}"), pod(&[(cpu, 1 << 20)]).template, vec![], None, Time::ZERO));
        }
        let mut sim = Simulator::new(&SchedulerConfig::default(), RngStreams::new(1).stream("what-if"));
        assert_eq!(estimate(&mut store, &mut sim, &pool("b", 4000), 0, &pods, 10).nodes, 2);
    }

    #[test]
    fn expanders_pick_as_upstream() {
        let (store, pods) = pending(4, 1000);
        let (small, big) = (pool("small", 2000), pool("big", 8000));
        let options = vec![
            GroupOption { pool_index: 0, pool: &small, estimate: Estimate { nodes: 2, pods: pods.clone() } },
            GroupOption { pool_index: 1, pool: &big, estimate: Estimate { nodes: 1, pods: pods[..3].to_vec() } },
        ];
        let mut rng = RngStreams::new(1).stream("t");
        // most-pods: 4 beats 3.
        assert_eq!(expander::choose(Expander::MostPods, &store, &options, &mut rng), 0);
        // least-waste: small wastes 0 cpu (4 of 4), big wastes 5/8 of its cpu.
        assert_eq!(expander::choose(Expander::LeastWaste, &store, &options, &mut rng), 0);
        assert!(expander::wasted_score(&store, &options[1]) > expander::wasted_score(&store, &options[0]));
        // priority: the pool listed first.
        assert_eq!(expander::choose(Expander::Priority, &store, &options[1..], &mut rng), 0);
        let picks: std::collections::BTreeSet<usize> =
            (0..64).map(|_| expander::choose(Expander::Random, &store, &options, &mut rng)).collect();
        assert_eq!(picks.len(), 2, "random picks either");
    }

    #[test]
    fn cluster_resource_limits_cap_scale_up_and_scale_down() {
        let (mut store, _) = pending(12, 1000);
        let config = ClusterAutoscalerConfig {
            cpu_total: crate::control::cluster_autoscaler::config::ResourceRange { min: 4000, max: 10_000 },
            ..ClusterAutoscalerConfig::default()
        };
        let mut ca = ClusterAutoscaler::new(
            config,
            SchedulerConfig::default(),
            1,
            RngStreams::new(1).stream("ca"),
            RngStreams::new(1).stream("what-if"),
        );
        let pools = vec![pool("b", 4000)];
        // 12 pods need 3 nodes of 4 cpu; 10 cpu in all leave room for 2.
        let d = ca.scan(&store, &pools, &[GroupSize::default()], Time::from_secs(10));
        assert_eq!(d, vec![CaDecision::ScaleUp { pool: 0, nodes: 2, pods: 8 }]);
        // Two empty nodes later: only one may go, the other keeps the 4-cpu minimum.
        let ids: Vec<PodId> = store.pods().keys().copied().collect();
        for p in ids {
            store.remove_pod(p);
        }
        for i in 0..2 {
            store.add_node(|id| Node {
                pool: Some("b".into()),
                ..Node::joined(
                    id,
                    format!("b-{i}"),
                    Default::default(),
                    Resources::new(4000, 64 << 30, 110),
                    Time::ZERO,
                )
            });
        }
        let sizes = [GroupSize { live: 2, upcoming: 0 }];
        ca.scan(&store, &pools, &sizes, Time::from_secs(2000));
        let d = ca.scan(&store, &pools, &sizes, Time::from_secs(2700));
        let down: Vec<&CaDecision> = d.iter().filter(|d| matches!(d, CaDecision::ScaleDown { .. })).collect();
        assert_eq!(down, [&CaDecision::ScaleDown { nodes: vec![NodeId(0)] }], "{d:?}");
    }

    #[test]
    fn max_nodes_total_caps_a_scale_up() {
        let (store, _) = pending(12, 1000);
        let config = ClusterAutoscalerConfig { max_nodes_total: 2, ..ClusterAutoscalerConfig::default() };
        let mut ca = ClusterAutoscaler::new(
            config,
            SchedulerConfig::default(),
            1,
            RngStreams::new(1).stream("ca"),
            RngStreams::new(1).stream("what-if"),
        );
        let pools = vec![pool("b", 4000)];
        let d = ca.scan(&store, &pools, &[GroupSize { live: 0, upcoming: 1 }], Time::from_secs(10));
        assert_eq!(d, vec![CaDecision::ScaleUp { pool: 0, nodes: 1, pods: 4 }], "one node left under the total");
        let d = ca.scan(&store, &pools, &[GroupSize { live: 0, upcoming: 2 }], Time::from_secs(20));
        assert!(d.iter().all(|d| !matches!(d, CaDecision::ScaleUp { .. })), "{d:?}");
    }

    #[test]
    fn a_scan_scales_up_only_for_pods_that_no_existing_or_upcoming_node_takes() {
        let (store, _) = pending(6, 1000);
        let pools = vec![pool("b", 4000)];
        let mut ca = ClusterAutoscaler::new(
            ClusterAutoscalerConfig::default(),
            SchedulerConfig::default(),
            1,
            RngStreams::new(1).stream("ca"),
            RngStreams::new(1).stream("what-if"),
        );
        let d = ca.scan(&store, &pools, &[GroupSize { live: 0, upcoming: 0 }], Time::from_secs(10));
        assert_eq!(d, vec![CaDecision::ScaleUp { pool: 0, nodes: 2, pods: 6 }]);
        // One node already on its way takes 4 of them: one more is enough.
        let d = ca.scan(&store, &pools, &[GroupSize { live: 0, upcoming: 1 }], Time::from_secs(20));
        assert_eq!(d, vec![CaDecision::ScaleUp { pool: 0, nodes: 1, pods: 2 }]);
        let d = ca.scan(&store, &pools, &[GroupSize { live: 0, upcoming: 2 }], Time::from_secs(30));
        assert!(d.is_empty(), "{d:?}");
    }
}
