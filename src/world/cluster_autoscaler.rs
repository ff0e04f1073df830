//! The Cluster Autoscaler in the world: its scan every `scanInterval`, nodes it asked for
//! joining after the pool's `provisioningDelay` (or never, past `maxNodeProvisionTime`),
//! and scale-down: tainting a node `ToBeDeletedByClusterAutoscaler:NoSchedule`, evicting
//! its pods, waiting (polling every 5 s) for their graceful termination, then deleting it.
//! The decisions are `control::cluster_autoscaler`'s.

use super::{World, WorldEvent};
use crate::control::cluster_autoscaler::{
    CaDecision, ClusterAutoscaler, GroupSize, DELETION_CANDIDATE_TAINT, TO_BE_DELETED_TAINT,
};
use crate::control::disruption::Eviction;
use crate::control::{pdb, TerminationReason};
use crate::engine::{Duration, RandomStream, RngStreams, Time};
use crate::model::{NodeId, PodId, Taint, TaintEffect};
use crate::scenario::Scenario;

/// World events of the autoscaler.
#[derive(Clone, Debug)]
pub(super) enum CaEvent {
    Scan,
    /// A node asked of pool `pool` joins.
    Provisioned {
        pool: usize,
    },
    /// A node asked of pool `pool` did not join within maxNodeProvisionTime.
    ProvisionTimedOut {
        pool: usize,
    },
    /// Check whether a node being deleted has no pods left (given up at `deadline`).
    DeletionPoll {
        node: NodeId,
        deadline: Time,
    },
}

/// How often the autoscaler looks whether a drained node's pods are gone.
/// Upstream: cluster-autoscaler/core/scaledown/actuation/drain.go (waitPodsToDisappear: time.Sleep(5 * time.Second)).
const DELETION_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Extra wait beyond the grace period for pods killed with SIGKILL.
/// Upstream: cluster-autoscaler/core/scaledown/actuation/drain.go (DefaultPodEvictionHeadroom).
const POD_EVICTION_HEADROOM: Duration = Duration::from_secs(30);
/// Upstream: cluster-autoscaler --max-graceful-termination-sec (600).
const MAX_GRACEFUL_TERMINATION: Duration = Duration::from_secs(600);

/// The autoscaler and what it is waiting for; absent when no pool autoscales.
pub(super) struct CaRun {
    pub autoscaler: ClusterAutoscaler,
    /// Per pool: nodes asked for that have not joined (or timed out) yet.
    pub upcoming: Vec<u32>,
    /// Draws provisioning delays.
    rng: RandomStream,
}

impl CaRun {
    pub fn new(scenario: &Scenario, streams: &RngStreams) -> Option<Self> {
        let pools = &scenario.cluster.node_pools;
        if pools.iter().all(|p| p.autoscaling.is_none()) {
            return None;
        }
        let cp = &scenario.control_plane;
        Some(CaRun {
            autoscaler: ClusterAutoscaler::new(
                cp.cluster_autoscaler.clone(),
                cp.scheduler.clone(),
                pools.len(),
                streams.stream("cluster-autoscaler"),
                streams.stream("cluster-autoscaler/what-if"),
            ),
            upcoming: vec![0; pools.len()],
            rng: streams.stream("cluster-autoscaler/provisioning"),
        })
    }
}

impl World<'_> {
    /// t=0: the first scan one interval in.
    pub(super) fn start_cluster_autoscaler(&mut self) {
        if let Some(ca) = &self.cluster_autoscaler {
            let first = self.now() + ca.autoscaler.scan_interval();
            self.queue.schedule(first, WorldEvent::Autoscaler(CaEvent::Scan));
        }
    }

    pub(super) fn handle_autoscaler(&mut self, event: CaEvent) {
        match event {
            CaEvent::Scan => {
                self.autoscaler_scan();
                if let Some(ca) = &self.cluster_autoscaler {
                    let next = self.now() + ca.autoscaler.scan_interval();
                    self.queue.schedule(next, WorldEvent::Autoscaler(CaEvent::Scan));
                }
            }
            CaEvent::Provisioned { pool } => {
                if let Some(ca) = &mut self.cluster_autoscaler {
                    ca.upcoming[pool] -= 1;
                }
                self.join_pool_nodes(pool, 1);
            }
            CaEvent::ProvisionTimedOut { pool } => {
                let now = self.now();
                let Some(ca) = &mut self.cluster_autoscaler else { return };
                ca.upcoming[pool] -= 1;
                ca.autoscaler.provisioning_failed(pool, now);
                let to = self.pool_size(pool).target();
                self.group_scaled(pool, to + 1, to, "provisioning_timeout", None);
            }
            CaEvent::DeletionPoll { node, deadline } => self.deletion_poll(node, deadline),
        }
    }

    /// Live and upcoming nodes of pool `pool` (nodes being deleted no longer count).
    // Upstream: core/scaledown/deletiontracker (deletions in progress count against the group's minimum).
    fn pool_size(&self, pool: usize) -> GroupSize {
        let name = &self.scenario.cluster.node_pools[pool].name;
        let deleting = |n: &crate::model::Node| n.taints.iter().any(|(t, _)| t.key == TO_BE_DELETED_TAINT);
        let live =
            self.store.nodes.iter().filter(|n| n.pool.as_deref() == Some(name.as_str()) && !deleting(n)).count() as u32;
        let upcoming = self.cluster_autoscaler.as_ref().map_or(0, |ca| ca.upcoming[pool]);
        GroupSize { live, upcoming }
    }

    /// `node_group_scaled`; a scale-up also says how many pending pods it is for.
    fn group_scaled(&mut self, pool: usize, from: u32, to: u32, reason: &str, pods: Option<usize>) {
        let name = &self.scenario.cluster.node_pools[pool].name;
        self.events.emit(self.queue.now(), "node_group_scaled", |e| {
            e.str("pool", name).int("from", i64::from(from)).int("to", i64::from(to)).str("reason", reason);
            if let Some(pods) = pods {
                e.int("pods", pods as i64);
            }
        });
    }

    /// One scan. The autoscaler works through the API server, so not without quorum.
    fn autoscaler_scan(&mut self) {
        if !self.ops.masters.has_quorum() {
            return;
        }
        let now = self.now();
        let sizes: Vec<GroupSize> = (0..self.scenario.cluster.node_pools.len()).map(|i| self.pool_size(i)).collect();
        let Some(ca) = &mut self.cluster_autoscaler else { return };
        let decisions = ca.autoscaler.scan(&self.store, &self.scenario.cluster.node_pools, &sizes, now);
        for decision in decisions {
            match decision {
                CaDecision::ScaleUp { pool, nodes, pods } => self.provision(pool, nodes, sizes[pool].target(), pods),
                CaDecision::ScaleDown { nodes } => self.remove_nodes(&nodes),
                CaDecision::SoftTaint { add, remove } => self.soft_taint(&add, &remove),
            }
        }
    }

    /// Asks pool `pool` for `count` nodes (for `pods` pending pods); each joins after a
    /// drawn provisioning delay.
    fn provision(&mut self, pool: usize, count: u32, from: u32, pods: usize) {
        let now = self.now();
        self.group_scaled(pool, from, from + count, "scale_up", Some(pods));
        let spec = &self.scenario.cluster.node_pools[pool];
        let limit = self.scenario.control_plane.cluster_autoscaler.max_node_provision_time;
        let Some(ca) = &mut self.cluster_autoscaler else { return };
        ca.upcoming[pool] += count;
        for _ in 0..count {
            let delay = spec.provisioning_delay.sample(&mut ca.rng);
            let event = if delay > limit {
                (now + limit, CaEvent::ProvisionTimedOut { pool })
            } else {
                (now + delay, CaEvent::Provisioned { pool })
            };
            self.queue.schedule(event.0, WorldEvent::Autoscaler(event.1));
        }
    }

    fn soft_taint(&mut self, add: &[NodeId], remove: &[NodeId]) {
        let now = self.now();
        for &id in add {
            if !self.store.has_node(id) {
                continue;
            }
            // Upstream puts the time it was added in the value.
            let value = now.since(Time::ZERO).as_nanos() / 1_000_000_000;
            let taint = Taint {
                key: DELETION_CANDIDATE_TAINT.into(),
                value: value.to_string(),
                effect: TaintEffect::PreferNoSchedule,
            };
            self.store.node_mut(id).taints.push((taint, now));
        }
        for &id in remove {
            if !self.store.has_node(id) {
                continue;
            }
            self.store.node_mut(id).taints.retain(|(t, _)| t.key != DELETION_CANDIDATE_TAINT);
        }
    }

    /// Taints each node `ToBeDeletedByClusterAutoscaler:NoSchedule`, evicts its pods
    /// (honouring PodDisruptionBudgets) and deletes it once they are gone; a node whose
    /// eviction is refused loses the taint and stays.
    /// Upstream: core/scaledown/actuation (DrainNode, DeleteNodes) and utils/taints (MarkToBeDeleted, CleanToBeDeleted).
    fn remove_nodes(&mut self, nodes: &[NodeId]) {
        let now = self.now();
        for &node in nodes {
            if !self.store.node(node).kubelet_reporting() {
                self.delete_unreachable_node(node);
                continue;
            }
            let value = now.since(Time::ZERO).as_nanos() / 1_000_000_000;
            let taint =
                Taint { key: TO_BE_DELETED_TAINT.into(), value: value.to_string(), effect: TaintEffect::NoSchedule };
            self.store.node_mut(node).taints.push((taint, now));
            // One eviction after another, as each changes what the budgets allow next.
            let pods: Vec<PodId> = self.store.node(node).pods.iter().copied().collect();
            let mut refused = false;
            let mut wait = Duration::ZERO;
            for p in pods {
                let Some(pod) = self.store.pods().get(&p) else { continue };
                if matches!(pdb::eviction_verdict(&self.store, pod), Eviction::TooManyRequests { .. }) {
                    refused = true;
                    break;
                }
                wait = wait.max(pod.template.spec.termination_grace_period.min(MAX_GRACEFUL_TERMINATION));
                self.delete_pod(p, TerminationReason::Drained);
            }
            if refused {
                self.untaint_to_be_deleted(node);
                continue;
            }
            self.deletion_poll(node, now + wait + POD_EVICTION_HEADROOM);
        }
    }

    /// Deletes a drained node once its pods are gone; polls again in 5 s until `deadline`,
    /// then gives up (pods of a kubelet that is gone wait for the node lifecycle).
    // Upstream: cluster-autoscaler/core/scaledown/actuation/drain.go (waitPodsToDisappear: "pods remaining after timeout").
    fn deletion_poll(&mut self, node: NodeId, deadline: Time) {
        let now = self.now();
        if !self.store.has_node(node) {
            return;
        }
        if !self.store.node(node).pods.is_empty() {
            if now + DELETION_POLL_INTERVAL <= deadline {
                let at = now + DELETION_POLL_INTERVAL;
                self.queue.schedule(at, WorldEvent::Autoscaler(CaEvent::DeletionPoll { node, deadline }));
            } else {
                self.untaint_to_be_deleted(node);
            }
            return;
        }
        self.delete_node_object(node);
    }

    /// A node whose kubelet is gone cannot be drained: its VM is deleted with the Node
    /// object, and PodGC deletes the pods still bound to it (upstream after a 40 s
    /// quarantine, here at once, since no pod may point at a node that is gone).
    /// Upstream: pkg/controller/podgc/gc_controller.go (gcOrphaned).
    fn delete_unreachable_node(&mut self, node: NodeId) {
        let pods: Vec<PodId> = self.store.node(node).pods.iter().copied().collect();
        for p in pods {
            if self.store.pod(p).is_active() {
                self.delete_pod(p, TerminationReason::NodeLost);
            }
            if self.store.pods().contains_key(&p) {
                self.forget_pod(p);
            }
        }
        self.delete_node_object(node);
    }

    /// Deletes an empty node: `node_removed`, and its group one smaller.
    fn delete_node_object(&mut self, node: NodeId) {
        let now = self.now();
        let removed = self.store.remove_node(node);
        let pool = self.scenario.cluster.node_pools.iter().position(|p| Some(&p.name) == removed.pool.as_ref());
        self.events.emit(now, "node_removed", |e| {
            e.str("node", &removed.name);
        });
        self.observations.running_on_node.entry(removed.name.clone()).or_default().record(now, 0);
        self.observations.bound_on_node.entry(removed.name.clone()).or_default().record(now, 0);
        if let Some(pool) = pool {
            let to = self.pool_size(pool).target();
            self.group_scaled(pool, to + 1, to, "scale_down", None);
        }
        self.cluster_changed();
    }

    fn untaint_to_be_deleted(&mut self, node: NodeId) {
        self.store.node_mut(node).taints.retain(|(t, _)| t.key != TO_BE_DELETED_TAINT);
        self.cluster_changed();
    }
}
