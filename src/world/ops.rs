//! Node operations and the control plane's own health in the world: partitions and
//! reconnects, masters crashing and recovering, quorum, leader elections and what a new
//! leader does when it starts (the policy of leases and quorum is in `masters.rs`; drains
//! are in `drain.rs`, random faults in `faults.rs`).

use super::drain::Drain;
use super::faults::Faults;
use super::masters::{Change, Component, Masters};
use super::{World, WorldEvent};
use crate::control::taint_eviction;
use crate::engine::{Duration, RngStreams, Time};
use crate::model::{NodeId, TaintEffect};
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// World events of this module and its siblings.
#[derive(Clone, Debug)]
pub(super) enum OpsEvent {
    /// A timeline partition ends.
    Reconnect { node: NodeId, cause: Cause },
    /// A leader's renew deadline or a candidate's takeover poll is due.
    LeaseWake,
    /// A drain's next eviction attempt or deletion poll.
    DrainWake(usize),
    /// A fault process flips between up and down.
    FaultFlip(usize),
    /// A zone outage of fault source `source` starts (`down`) or ends.
    ZoneOutage { source: usize, down: bool },
}

/// Who took a node or master down (or cut a node off). A target stays down while any
/// cause holds it: a fault's repair ends only its own outage (a node crashed by a fault
/// inside a zone outage stays down until the zone is back too); the operator's
/// `recoverNode` / `recoverMaster` end them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cause {
    /// The n-th timeline-made outage.
    Timeline(u64),
    /// Fault source n of the `faults:` section.
    Fault(usize),
}

/// The causes holding each target down.
pub(super) struct Outages<K>(BTreeMap<K, Vec<Cause>>);

impl<K: Ord + Copy> Outages<K> {
    fn new() -> Self {
        Outages(BTreeMap::new())
    }

    pub fn add(&mut self, key: K, cause: Cause) {
        let causes = self.0.entry(key).or_default();
        if !causes.contains(&cause) {
            causes.push(cause);
        }
    }

    /// Removes `cause`; true when nothing holds `key` down any more.
    pub fn remove(&mut self, key: K, cause: Cause) -> bool {
        if let Some(causes) = self.0.get_mut(&key) {
            causes.retain(|c| *c != cause);
            if causes.is_empty() {
                self.0.remove(&key);
            }
        }
        !self.0.contains_key(&key)
    }

    pub fn clear(&mut self, key: K) {
        self.0.remove(&key);
    }
}

/// State of this module and its siblings, one field of [`World`].
pub(super) struct Ops {
    pub masters: Masters,
    lease_wake_due: Option<Time>,
    next_serial: u64,
    pub node_down_by: Outages<NodeId>,
    pub partitioned_by: Outages<NodeId>,
    pub master_down_by: Outages<u32>,
    pub drains: Vec<Drain>,
    pub faults: Faults,
}

impl Ops {
    pub fn new(scenario: &Scenario, streams: &RngStreams) -> Self {
        Ops {
            masters: Masters::new(scenario.cluster.masters),
            lease_wake_due: None,
            next_serial: 0,
            node_down_by: Outages::new(),
            partitioned_by: Outages::new(),
            master_down_by: Outages::new(),
            drains: Vec::new(),
            faults: Faults::new(scenario, streams),
        }
    }

    /// A fresh cause for an outage the timeline makes.
    pub fn timeline_cause(&mut self) -> Cause {
        self.next_serial += 1;
        Cause::Timeline(self.next_serial)
    }
}

/// Whether a timeline action goes through the API server (and so fails without quorum).
/// Crashing, recovering and partitioning hosts or masters is done to the machines;
/// `setMetric` sets what the pods' CPU is, not an API object.
pub(super) fn needs_api(action: &crate::scenario::Action) -> bool {
    use crate::scenario::Action;
    !matches!(
        action,
        Action::CrashNode(_)
            | Action::RecoverNode(_)
            | Action::PartitionNode { .. }
            | Action::CrashMaster(_)
            | Action::RecoverMaster(_)
            | Action::SetMetric { .. }
    )
}

impl World<'_> {
    pub(super) fn handle_ops(&mut self, event: OpsEvent) {
        match event {
            OpsEvent::Reconnect { node, cause } => {
                if self.ops.partitioned_by.remove(node, cause)
                    && self.store.try_node(node).is_some_and(|n| !n.connected)
                {
                    self.reconnect_node(node);
                }
            }
            OpsEvent::LeaseWake => {
                if self.ops.lease_wake_due.is_some_and(|due| due <= self.now()) {
                    self.ops.lease_wake_due = None;
                }
                let changes = self.ops.masters.update(self.now());
                self.apply_master_changes(changes);
            }
            OpsEvent::DrainWake(i) => self.drain_step(i),
            OpsEvent::FaultFlip(i) => self.fault_flip(i),
            OpsEvent::ZoneOutage { source, down } => self.zone_outage(source, down),
        }
    }

    /// Why the API refuses a request now, if it does: etcd has no quorum (and with every
    /// master down, nothing answers at all).
    pub(super) fn api_refusal(&self) -> Option<&'static str> {
        if self.ops.masters.has_quorum() {
            None
        } else if self.ops.masters.up_count() == 0 {
            // Upstream: staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go (NewGenericServerResponse, 503 ServiceUnavailable).
            Some("the server is currently unable to handle the request")
        } else {
            // Upstream: etcd-io/etcd server/etcdserver/errors.go (ErrNoLeader), passed on by the apiserver.
            Some("etcdserver: no leader")
        }
    }

    /// The node's kubelet can post to the API: its host is up, it is connected, and the
    /// API takes writes.
    pub(super) fn kubelet_can_post(&self, node: NodeId) -> bool {
        self.store.node(node).kubelet_reporting() && self.ops.masters.has_quorum()
    }

    /// The node-lifecycle controller's monitor pass, when kube-controller-manager leads.
    pub(super) fn monitor_pass(&mut self) {
        if !self.ops.masters.active(Component::ControllerManager) {
            return;
        }
        let decisions = self.lifecycle.monitor(&self.store, self.now());
        self.apply_all(decisions);
        self.tainting_pass();
    }

    /// The node loses its connection to the masters: heartbeats stop, its containers keep
    /// running, and the kubelet no longer learns of bindings or deletions.
    pub(super) fn partition_node(&mut self, id: NodeId) {
        let now = self.now();
        let period = self.scenario.control_plane.node_status_update_frequency;
        let node = self.store.node_mut(id);
        node.connected = false;
        if node.heartbeat_frozen_at.is_none() {
            node.heartbeat_frozen_at = Some(node.last_heartbeat(now, period));
        }
        let name = node.name.clone();
        self.events.emit(now, "node_partitioned", |e| {
            e.str("node", &name);
        });
    }

    /// The connection is back: the kubelet catches up with the API if its host is up.
    pub(super) fn reconnect_node(&mut self, id: NodeId) {
        let now = self.now();
        let node = self.store.node_mut(id);
        node.connected = true;
        let name = node.name.clone();
        self.events.emit(now, "node_reconnected", |e| {
            e.str("node", &name);
        });
        if self.kubelet_can_post(id) {
            self.kubelet_sync(id);
        }
    }

    /// `partitionNode` from the timeline (on a node already cut off, the node stays cut
    /// off until every partition has ended).
    pub(super) fn partition_action(&mut self, name: &str, duration: Option<Duration>) -> Result<(), String> {
        let id = self.store.node_id(name).ok_or_else(|| format!("node {name:?} not found"))?;
        let cause = self.ops.timeline_cause();
        self.ops.partitioned_by.add(id, cause);
        if self.store.node(id).connected {
            self.partition_node(id);
        }
        if let Some(d) = duration {
            let at = self.now() + d;
            self.queue.schedule(at, WorldEvent::Ops(OpsEvent::Reconnect { node: id, cause }));
        }
        Ok(())
    }

    /// `crashMaster` / `recoverMaster` from the timeline.
    pub(super) fn master_action(&mut self, master: u32, crash: bool) -> Result<(), String> {
        if master == 0 || master > self.ops.masters.count() {
            return Err(format!("master {master} does not exist"));
        }
        if self.ops.masters.is_up(master) != crash {
            return Err(format!("master {master} is {}", if crash { "already down" } else { "not down" }));
        }
        if crash {
            let cause = self.ops.timeline_cause();
            self.ops.master_down_by.add(master, cause);
            self.crash_master(master);
        } else {
            self.ops.master_down_by.clear(master);
            self.recover_master(master);
        }
        Ok(())
    }

    pub(super) fn crash_master(&mut self, master: u32) {
        let now = self.now();
        self.events.emit(now, "master_crashed", |e| {
            e.int("master", i64::from(master));
        });
        let changes = self.ops.masters.crash(master, now);
        self.apply_master_changes(changes);
    }

    pub(super) fn recover_master(&mut self, master: u32) {
        let now = self.now();
        self.events.emit(now, "master_recovered", |e| {
            e.int("master", i64::from(master));
        });
        let changes = self.ops.masters.recover(master, now);
        self.apply_master_changes(changes);
    }

    /// Records what the masters' update changed and starts what a new leader starts.
    fn apply_master_changes(&mut self, changes: Vec<Change>) {
        let now = self.now();
        for change in changes {
            match change {
                Change::QuorumLost | Change::QuorumRestored => {
                    let (up, quorum) = (self.ops.masters.up_count(), self.ops.masters.quorum_size());
                    let kind = if change == Change::QuorumLost { "quorum_lost" } else { "quorum_restored" };
                    self.events.emit(now, kind, |e| {
                        e.int("masters_up", i64::from(up)).int("quorum", i64::from(quorum));
                    });
                    if change == Change::QuorumRestored {
                        // Kubelets post what happened while the API refused them.
                        let ids: Vec<NodeId> = self.store.nodes.iter().map(|n| n.id).collect();
                        for id in ids {
                            if self.kubelet_can_post(id) {
                                self.kubelet_sync(id);
                            }
                        }
                    }
                }
                Change::LeaderLost { component, master } => {
                    self.events.emit(now, "leader_lost", |e| {
                        e.str("lease", component.lease_name()).int("master", i64::from(master));
                    });
                }
                Change::LeaderElected { component, master } => {
                    self.events.emit(now, "leader_elected", |e| {
                        e.str("lease", component.lease_name()).int("master", i64::from(master));
                    });
                    match component {
                        Component::ControllerManager => self.controller_manager_started(),
                        // A fresh scheduler puts every pending pod in its active queue.
                        Component::Scheduler => self.cluster_changed(),
                    }
                }
            }
        }
        if let Some(at) = self.ops.masters.next_wake(now) {
            if self.ops.lease_wake_due.is_none_or(|due| at < due || due < now) {
                self.ops.lease_wake_due = Some(at);
                self.queue.schedule(at, WorldEvent::Ops(OpsEvent::LeaseWake));
            }
        }
    }

    /// A new kube-controller-manager instance leads: its node-lifecycle controller starts
    /// with fresh probe timestamps and rate limiters, and its taint-eviction controller
    /// starts every eviction clock anew (evictions the old leader had scheduled are void:
    /// the lease term changed).
    // Upstream: pkg/controller/tainteviction/taint_eviction.go (processPodOnNode: startTime is now when no work is queued).
    fn controller_manager_started(&mut self) {
        let now = self.now();
        self.lifecycle.restart(now);
        let tainted: Vec<NodeId> = self
            .store
            .nodes
            .iter()
            .filter(|n| n.taints.iter().any(|(t, _)| t.effect == TaintEffect::NoExecute))
            .map(|n| n.id)
            .collect();
        for node in tainted {
            let decisions = taint_eviction::on_no_execute_taints(&self.store, node, now);
            self.apply_all(decisions);
        }
    }

    /// The kubelet of `id` reaches a writable API again (host boot, reconnect, quorum
    /// back): the node posts Ready, pods deleted meanwhile are killed and removed, pods
    /// it has not started (bound while it was away, or lost with the host) are started,
    /// and the status of the rest (running, ready) is posted.
    // Upstream: pkg/kubelet/status/status_manager.go (syncBatch reconciles the API's pod status with the kubelet's).
    pub(super) fn kubelet_sync(&mut self, id: NodeId) {
        let now = self.now();
        let node = self.store.node_mut(id);
        if node.heartbeat_frozen_at.take().is_some() {
            // Heartbeats resume on a grid from now.
            node.kubelet_started = now;
        }
        let name = node.name.clone();
        if node.condition != crate::model::NodeCondition::Ready {
            node.condition = crate::model::NodeCondition::Ready;
            self.events.emit(now, "node_ready", |e| {
                e.str("node", &name);
            });
        }
        let pods: Vec<_> = self.store.node(id).pods.iter().copied().collect();
        for pod in pods {
            if self.post_pending_exit(pod) {
                continue; // a Job pod's containers ended meanwhile (world/jobs.rs)
            }
            let p = self.store.pod(pod);
            // Pods deleted while it was away are killed, and their API objects removed.
            // Upstream: pkg/kubelet/kubelet.go (HandlePodRemoves) and pkg/kubelet/status/status_manager.go (canBeDeleted).
            if p.stopping {
                continue; // a graceful termination under way ends on its own (world/termination.rs)
            }
            if !p.is_active() {
                if p.containers_running {
                    self.events.emit(now, "pod_killed", |e| {
                        e.str("pod", &p.name).namespace(self.store.namespaces.name(p.namespace)).str("node", &name);
                    });
                }
                self.forget_pod(pod);
                continue;
            }
            if !p.kubelet_admitted {
                self.set_not_ready(pod);
                let p = self.store.pod_mut(pod);
                if p.phase == crate::model::PodPhase::Running {
                    p.restarts += 1;
                }
                self.start_containers(pod);
                continue;
            }
            if p.containers_running && p.phase == crate::model::PodPhase::Pending {
                self.post_running(pod);
            }
            let p = self.store.pod(pod);
            if p.kubelet_ready && !p.ready {
                self.post_ready(pod);
            }
        }
        self.cluster_changed();
    }
}
