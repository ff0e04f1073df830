//! The object store. Names are interned once; nodes live in a `Vec` indexed by
//! [`NodeId`], pods in a `BTreeMap` keyed by creation order, so every iteration is
//! deterministic. Per-node request sums are kept up to date on bind and removal.
//!
//! Every write is noted (`changes.rs`): pods are written only through [`Store::pod_mut`]
//! and the other methods here, and [`Store::account`] turns the noted writes into kept
//! counts and the consumers' work queues.

use super::changes::{NodeCounts, PodFacts, RsCounts, Tally, WorkQueues};
use super::daemonset::DaemonSet;
use super::job::{CronJob, Job, JobPod};
use super::namespace::{NamespaceId, Namespaces};
use super::node::{Node, NodeId};
use super::pod::{Pod, PodId, PodPhase, PodTemplate};
use super::taints::Toleration;
use super::workload::{CronJobId, DaemonSetId, Deployment, DeploymentId, JobId, Owner, ReplicaSet, RsId, Service};
use crate::engine::Time;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Who a group of pods belongs to: the unit "spread" and doubled-up ranks count by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Deployment(DeploymentId),
    ReplicaSet(RsId),
    DaemonSet(DaemonSetId),
    Job(JobId),
    /// A pod created directly.
    Pod(PodId),
}

/// Pods made from one template by one owner share labels, requests and (anti-)affinity.
/// The scheduler counts them per node by group instead of walking pods.
#[derive(Clone, Debug)]
pub struct PodGroup {
    pub template: Arc<PodTemplate>,
    pub family: Family,
    /// The namespace of the group's pods (affinity terms and spread constraints match it).
    pub namespace: NamespaceId,
    /// Active (not terminating) bound pods per node index.
    pub per_node: Vec<u32>,
    /// Active bound pods in all.
    pub bound: u32,
    /// Nodes with at least one active bound pod of the group (sparse view of `per_node`,
    /// in no particular order: only sums are taken over it).
    pub nodes: Vec<NodeId>,
    /// Position of each node in `nodes` (u32::MAX when absent).
    slot: Vec<u32>,
    /// The group's bound pods including Terminating ones (every pod the scheduler's
    /// NodeInfo holds until the pod is removed): what InterPodAffinity counts.
    pub with_terminating: NodePodCounts,
}

/// Pods per node, kept sparse: counts per node id and the nodes with at least one.
#[derive(Clone, Debug, Default)]
pub struct NodePodCounts {
    per_node: Vec<u32>,
    /// Pods in all.
    pub total: u32,
    /// Nodes with at least one pod, in no particular order.
    pub nodes: Vec<NodeId>,
    slot: Vec<u32>,
}

impl NodePodCounts {
    pub fn on_node(&self, node: NodeId) -> u32 {
        self.per_node.get(node.0 as usize).copied().unwrap_or(0)
    }

    fn add(&mut self, node: NodeId, delta: i32) {
        let i = node.0 as usize;
        if self.per_node.len() <= i {
            self.per_node.resize(i + 1, 0);
            self.slot.resize(i + 1, u32::MAX);
        }
        let before = self.per_node[i];
        self.per_node[i] = before.checked_add_signed(delta).expect("node pod count underflow");
        if before == 0 {
            self.slot[i] = self.nodes.len() as u32;
            self.nodes.push(node);
        } else if self.per_node[i] == 0 {
            let pos = self.slot[i] as usize;
            self.nodes.swap_remove(pos);
            if let Some(moved) = self.nodes.get(pos) {
                self.slot[moved.0 as usize] = pos as u32;
            }
            self.slot[i] = u32::MAX;
        }
        self.total = self.total.checked_add_signed(delta).expect("node pod count underflow");
    }
}

impl PodGroup {
    pub fn on_node(&self, node: NodeId) -> u32 {
        self.per_node.get(node.0 as usize).copied().unwrap_or(0)
    }

    fn add(&mut self, node: NodeId, delta: i32) {
        let i = node.0 as usize;
        if self.per_node.len() <= i {
            self.per_node.resize(i + 1, 0);
        }
        let before = self.per_node[i];
        self.per_node[i] = before.checked_add_signed(delta).expect("group count underflow");
        if self.slot.len() <= i {
            self.slot.resize(i + 1, u32::MAX);
        }
        if before == 0 {
            self.slot[i] = self.nodes.len() as u32;
            self.nodes.push(node);
        } else if self.per_node[i] == 0 {
            let pos = self.slot[i] as usize;
            self.nodes.swap_remove(pos);
            if let Some(moved) = self.nodes.get(pos) {
                self.slot[moved.0 as usize] = pos as u32;
            }
            self.slot[i] = u32::MAX;
        }
        self.bound = self.bound.checked_add_signed(delta).expect("group count underflow");
    }
}

#[derive(Clone, Debug, Default)]
pub struct Store {
    /// The nodes in the cluster, in join order until a removal moves the last node into
    /// the gap. Node ids are never reused, so per-node arrays elsewhere index by id.
    pub nodes: Vec<Node>,
    /// Position in `nodes` per node id (`u32::MAX` once removed).
    node_slot: Vec<u32>,
    node_by_name: BTreeMap<String, NodeId>,
    pods: BTreeMap<PodId, Pod>,
    /// Pod names per namespace id: `(namespace, name)` is a pod's identity. Looked up
    /// only, never iterated (so hash maps keep runs deterministic): generated names share
    /// long prefixes, which make ordered lookups compare many bytes.
    pod_by_name: Vec<std::collections::HashMap<String, PodId>>,
    /// Every namespace objects were created in (`default` always).
    pub namespaces: Namespaces,
    next_pod: u64,
    pub replica_sets: Vec<ReplicaSet>,
    pub deployments: Vec<Deployment>,
    pub daemon_sets: Vec<DaemonSet>,
    /// Jobs, deleted ones included (ids are never reused; see `Job::deleted`).
    pub jobs: Vec<Job>,
    pub cron_jobs: Vec<CronJob>,
    pub services: Vec<Service>,
    pub groups: Vec<PodGroup>,
    pub pdbs: Vec<super::PodDisruptionBudget>,
    /// Bumped on every mutable access to a node and every join: caches of node-wide facts
    /// (any cordoned node? any tainted node?) compare it to know when to recompute.
    node_epoch: u64,
    /// Bumped when a node joins or is removed.
    node_membership: u64,
    /// The run's scalar resource names (what `Scalars` slots mean), for messages.
    pub scalar_names: Arc<crate::model::ScalarNames>,
    /// PriorityClass name -> value, and the global default class, if any.
    pub priority_classes: BTreeMap<String, i32>,
    pub default_priority_class: Option<String>,
    /// Per-pod facts and the counts kept from them.
    tally: Tally,
    /// Keys changed since each consumer last looked (filled by [`Store::account`]).
    pub queues: WorkQueues,
    /// Nodes per pool name.
    pool_nodes: BTreeMap<String, u32>,
    /// Priority -> how many bound, active pods have it (preemption's "anyone lower?").
    bound_priorities: BTreeMap<i32, u32>,
}

impl Store {
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.node_by_name.get(name).copied()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[self.node_slot[id.0 as usize] as usize]
    }

    /// The node, unless it was removed from the cluster.
    pub fn try_node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(*self.node_slot.get(id.0 as usize)? as usize)
    }

    pub fn has_node(&self, id: NodeId) -> bool {
        self.try_node(id).is_some()
    }

    /// One past the highest node id ever given (the size of per-node-id arrays).
    pub fn node_id_bound(&self) -> usize {
        self.node_slot.len()
    }

    pub fn node_epoch(&self) -> u64 {
        self.node_epoch
    }

    pub fn node_membership(&self) -> u64 {
        self.node_membership
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.node_epoch += 1;
        self.queues.observed_nodes.insert(id);
        self.queues.daemon_nodes.insert(id);
        &mut self.nodes[self.node_slot[id.0 as usize] as usize]
    }

    /// Adds a node; `build` receives its id.
    pub fn add_node(&mut self, build: impl FnOnce(NodeId) -> Node) -> NodeId {
        let id = NodeId(u32::try_from(self.node_slot.len()).expect("more than 2^32 nodes"));
        let node = build(id);
        self.node_epoch += 1;
        self.node_membership += 1;
        self.node_by_name.insert(node.name.clone(), id);
        if let Some(pool) = &node.pool {
            *self.pool_nodes.entry(pool.clone()).or_default() += 1;
        }
        self.queues.observed_nodes.insert(id);
        self.queues.daemon_nodes.insert(id);
        self.node_slot.push(self.nodes.len() as u32);
        self.nodes.push(node);
        id
    }

    /// Deletes an empty node from the cluster (its name may be used again by a new node).
    pub fn remove_node(&mut self, id: NodeId) -> Node {
        let slot = self.node_slot[id.0 as usize] as usize;
        assert!(self.nodes[slot].pods.is_empty(), "node {} removed with pods on it", self.nodes[slot].name);
        let node = self.nodes.swap_remove(slot);
        if let Some(moved) = self.nodes.get(slot) {
            self.node_slot[moved.id.0 as usize] = slot as u32;
        }
        self.node_slot[id.0 as usize] = u32::MAX;
        self.node_by_name.remove(&node.name);
        if let Some(pool) = &node.pool {
            if let Some(n) = self.pool_nodes.get_mut(pool) {
                *n -= 1;
            }
        }
        self.node_epoch += 1;
        self.node_membership += 1;
        self.queues.daemon_nodes.insert(id);
        node
    }

    pub fn pod_id(&self, namespace: NamespaceId, name: &str) -> Option<PodId> {
        self.pod_by_name.get(namespace.0 as usize)?.get(name).copied()
    }

    /// The key of an object of namespace `namespace` (`name`, or `namespace/name` outside `default`).
    pub fn key(&self, namespace: NamespaceId, name: &str) -> String {
        self.namespaces.key(namespace, name)
    }

    /// The namespace and name a key (`web`, `team-a/web`) names, if the namespace exists.
    pub fn resolve_key<'k>(&self, key: &'k str) -> Option<(NamespaceId, &'k str)> {
        let (ns, name) = super::namespace::split_key(key);
        Some((self.namespaces.id(ns)?, name))
    }

    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[&id]
    }

    /// Every pod in the API, in creation order.
    pub fn pods(&self) -> &BTreeMap<PodId, Pod> {
        &self.pods
    }

    /// A pod to write (the write is noted for [`Store::account`]).
    pub fn pod_mut(&mut self, id: PodId) -> &mut Pod {
        self.tally.noted.push(id);
        self.pods.get_mut(&id).expect("no such pod")
    }

    /// A pod to write, if it still exists.
    pub fn try_pod_mut(&mut self, id: PodId) -> Option<&mut Pod> {
        let pod = self.pods.get_mut(&id)?;
        self.tally.noted.push(id);
        Some(pod)
    }

    /// Folds the pods written since the last call into the kept counts and queues the
    /// keys that changed for each consumer. Work: the number of writes, not of pods.
    pub fn account(&mut self) {
        let mut noted = std::mem::take(&mut self.tally.noted);
        for id in noted.drain(..) {
            let now = self.pods.get(&id).map(PodFacts::of).unwrap_or_default();
            let i = id.0 as usize;
            if self.tally.facts.len() <= i {
                self.tally.facts.resize(i + 1, PodFacts::default());
            }
            let before = self.tally.facts[i];
            if now == before {
                continue;
            }
            self.tally.add(&before, -1);
            self.tally.add(&now, 1);
            self.tally.facts[i] = now;
            self.queues.endpoints.insert(id);
            for owner in [before.owner, now.owner].into_iter().flatten() {
                match owner {
                    Owner::ReplicaSet(rs) => {
                        self.queues.replica_sets.insert(rs);
                        if let Some(d) = self.replica_sets[rs.0 as usize].deployment {
                            self.queues.deployments.insert(d);
                            self.queues.observed_deployments.insert(d);
                        }
                    }
                    Owner::DaemonSet(ds) => {
                        if let Some(&(node, _)) = self.daemon_sets[ds.0 as usize].pods.get(&id) {
                            self.queues.daemon_pods.insert((ds, node));
                        }
                    }
                    Owner::Job(job) => {
                        self.queues.jobs.insert(job);
                    }
                }
            }
            for node in [before.node, now.node].into_iter().flatten() {
                self.queues.observed_nodes.insert(node);
            }
        }
        self.tally.noted = noted;
    }

    /// Whether writes are waiting for [`Store::account`].
    pub fn unaccounted(&self) -> bool {
        !self.tally.noted.is_empty()
    }

    /// The kept counts of a ReplicaSet's pods (as of the last [`Store::account`]).
    pub fn rs_counts(&self, rs: RsId) -> RsCounts {
        debug_assert!(!self.unaccounted(), "counts read before Store::account");
        self.tally.rs.get(rs.0 as usize).copied().unwrap_or_default()
    }

    /// The kept counts of a DaemonSet's pods (as of the last [`Store::account`]).
    pub fn daemon_set_counts(&self, ds: DaemonSetId) -> RsCounts {
        debug_assert!(!self.unaccounted(), "counts read before Store::account");
        self.tally.ds.get(ds.0 as usize).copied().unwrap_or_default()
    }

    /// The kept counts of a Job's pods (as of the last [`Store::account`]).
    pub fn job_counts(&self, job: JobId) -> RsCounts {
        debug_assert!(!self.unaccounted(), "counts read before Store::account");
        self.tally.jobs.get(job.0 as usize).copied().unwrap_or_default()
    }

    /// The kept counts of a node's pods (as of the last [`Store::account`]).
    pub fn node_counts(&self, node: NodeId) -> NodeCounts {
        debug_assert!(!self.unaccounted(), "counts read before Store::account");
        self.tally.nodes.get(node.0 as usize).copied().unwrap_or_default()
    }

    /// The kept counts over every ReplicaSet of a Deployment.
    pub fn deployment_counts(&self, d: DeploymentId) -> RsCounts {
        let mut sum = RsCounts::default();
        for &rs in &self.deployment(d).replica_sets {
            let c = self.rs_counts(rs);
            sum.active += c.active;
            sum.ready += c.ready;
            sum.ready_since += c.ready_since;
        }
        sum
    }

    /// Nodes in the pool named `pool`.
    pub fn pool_size(&self, pool: &str) -> u32 {
        self.pool_nodes.get(pool).copied().unwrap_or(0)
    }

    /// Recounts every kept figure from the pods; the differences, for the invariant checker.
    pub fn recount_differences(&self) -> Vec<String> {
        let mut fresh = Tally::default();
        for p in self.pods.values() {
            fresh.add(&PodFacts::of(p), 1);
        }
        let mut out = Vec::new();
        for i in 0..self.replica_sets.len().max(fresh.rs.len()) {
            let (kept, counted) =
                (self.tally.rs.get(i).copied().unwrap_or_default(), fresh.rs.get(i).copied().unwrap_or_default());
            if kept != counted {
                out.push(format!(
                    "ReplicaSet {} kept counts {kept:?} but its pods count {counted:?}",
                    self.replica_sets[i].name
                ));
            }
        }
        for (i, job) in self.jobs.iter().enumerate() {
            let (kept, counted) =
                (self.tally.jobs.get(i).copied().unwrap_or_default(), fresh.jobs.get(i).copied().unwrap_or_default());
            if kept != counted {
                out.push(format!("Job {} kept counts {kept:?} but its pods count {counted:?}", job.name));
            }
        }
        for node in &self.nodes {
            let i = node.id.0 as usize;
            let (kept, counted) =
                (self.tally.nodes.get(i).copied().unwrap_or_default(), fresh.nodes.get(i).copied().unwrap_or_default());
            if kept != counted {
                out.push(format!("node {} kept counts {kept:?} but its pods count {counted:?}", node.name));
            }
        }
        let mut priorities: BTreeMap<i32, u32> = BTreeMap::new();
        for p in self.pods.values().filter(|p| p.node.is_some() && p.is_active()) {
            *priorities.entry(p.priority).or_default() += 1;
        }
        if priorities != self.bound_priorities {
            out.push(format!("kept bound priorities {:?} but the pods have {priorities:?}", self.bound_priorities));
        }
        for (pool, &n) in &self.pool_nodes {
            let counted = self.nodes.iter().filter(|x| x.pool.as_deref() == Some(pool.as_str())).count() as u32;
            if counted != n {
                out.push(format!("pool {pool} kept {n} nodes but has {counted}"));
            }
        }
        out
    }

    pub fn has_pod_named(&self, namespace: NamespaceId, name: &str) -> bool {
        self.pod_id(namespace, name).is_some()
    }

    /// Creates a pending pod, in its owner's namespace (`default` for a bare pod).
    pub fn create_pod(
        &mut self,
        name: String,
        template: Arc<PodTemplate>,
        tolerations: Vec<Toleration>,
        owner: Option<Owner>,
        now: Time,
    ) -> PodId {
        let namespace = owner.map_or(NamespaceId::DEFAULT, |o| self.owner_namespace(o));
        self.create_pod_in(namespace, name, template, tolerations, owner, now)
    }

    /// The namespace of a pod owner (its pods live there).
    pub fn owner_namespace(&self, owner: Owner) -> NamespaceId {
        match owner {
            Owner::ReplicaSet(rs) => self.replica_sets[rs.0 as usize].namespace,
            Owner::DaemonSet(ds) => self.daemon_sets[ds.0 as usize].namespace,
            // Jobs are not namespaced yet: they live in `default`.
            Owner::Job(_) => NamespaceId::DEFAULT,
        }
    }

    /// Creates a pending pod in `namespace` (an owner's pods live in the owner's namespace).
    pub fn create_pod_in(
        &mut self,
        namespace: NamespaceId,
        name: String,
        template: Arc<PodTemplate>,
        tolerations: Vec<Toleration>,
        owner: Option<Owner>,
        now: Time,
    ) -> PodId {
        debug_assert!(
            owner.is_none_or(|o| self.owner_namespace(o) == namespace),
            "a pod outside its owner's namespace"
        );
        let id = PodId(self.next_pod);
        self.next_pod += 1;
        let group = match owner {
            Some(Owner::ReplicaSet(rs)) => self.replica_sets[rs.0 as usize].group,
            Some(Owner::DaemonSet(ds)) => self.daemon_sets[ds.0 as usize].group,
            Some(Owner::Job(job)) => self.jobs[job.0 as usize].group,
            None => self.add_group(template.clone(), Family::Pod(id), namespace),
        };
        let pod = Pod {
            id,
            group,
            name: name.clone(),
            namespace,
            requests: template.spec.requests(),
            nonzero_requests: template.spec.nonzero_requests(),
            scalar_requests: template.spec.scalar_requests().boxed(),
            priority: template.spec.priority,
            template,
            tolerations,
            owner,
            created: now,
            node: None,
            phase: PodPhase::Pending,
            containers_running: false,
            kubelet_admitted: false,
            kubelet_accepted: false,
            kubelet_ready: false,
            ready: false,
            ready_since: None,
            ready_changed: now,
            started: None,
            deletion: None,
            stopping: false,
            incarnation: 0,
            restarts: 0,
        };
        let ns = namespace.0 as usize;
        if self.pod_by_name.len() <= ns {
            self.pod_by_name.resize_with(ns + 1, Default::default);
        }
        self.pod_by_name[ns].insert(name, id);
        self.pods.insert(id, pod);
        self.tally.noted.push(id);
        if let Some(Owner::ReplicaSet(rs)) = owner {
            self.replica_sets[rs.0 as usize].pods.insert(id);
        }
        id
    }

    /// The Priority admission plugin: the pod's PriorityClass's value, else the global
    /// default class's, else 0 (`spec.priority` as written, which the loader checked).
    // Upstream: plugin/pkg/admission/priority/admission.go (admitPod, getDefaultPriority).
    pub fn admitted_priority(&self, spec: &super::pod::PodSpec) -> i32 {
        let class = spec.priority_class_name.as_ref().or(self.default_priority_class.as_ref());
        class.and_then(|c| self.priority_classes.get(c)).copied().unwrap_or(spec.priority)
    }

    /// Sets a pod's admitted priority before it is bound.
    pub fn set_priority(&mut self, pod_id: PodId, priority: i32) {
        let pod = self.pods.get_mut(&pod_id).expect("set_priority: no such pod");
        assert!(pod.node.is_none(), "priority of a bound pod changed");
        pod.priority = priority;
    }

    /// Binds a pending pod to a node and adds its requests to the node's sums.
    pub fn bind(&mut self, pod_id: PodId, node_id: NodeId) {
        let pod = self.pods.get_mut(&pod_id).expect("bind: no such pod");
        assert!(pod.node.is_none(), "pod {} bound twice", pod.name);
        self.tally.noted.push(pod_id);
        pod.node = Some(node_id);
        let (req, nonzero) = (pod.requests, pod.nonzero_requests);
        let (group, active) = (pod.group, pod.is_active());
        let node = &mut self.nodes[self.node_slot[node_id.0 as usize] as usize];
        node.add_requests(req, pod.scalar_requests.as_deref());
        node.nonzero_requested += nonzero;
        node.pods.insert(pod_id);
        self.groups[group as usize].with_terminating.add(node_id, 1);
        if active {
            self.groups[group as usize].add(node_id, 1);
            let priority = self.pods[&pod_id].priority;
            *self.bound_priorities.entry(priority).or_default() += 1;
        }
    }

    fn forget_bound_priority(&mut self, priority: i32) {
        if let Some(n) = self.bound_priorities.get_mut(&priority) {
            *n -= 1;
            if *n == 0 {
                self.bound_priorities.remove(&priority);
            }
        }
    }

    /// The kubelet refused the pod: it is Failed (terminal), leaves its node (requests,
    /// counts) and is never scheduled or started.
    // Upstream: pkg/kubelet/kubelet.go (rejectPod: phase Failed); a terminal pod holds no resources.
    pub fn fail_pod(&mut self, pod_id: PodId) {
        self.finish_pod(pod_id, PodPhase::Failed);
    }

    /// The pod reached a terminal phase (Succeeded or Failed): its containers are
    /// stopped, it leaves its node (requests, counts) and stays in the API, not active.
    pub fn finish_pod(&mut self, pod_id: PodId, phase: PodPhase) {
        debug_assert!(matches!(phase, PodPhase::Succeeded | PodPhase::Failed));
        let pod = self.pods.get_mut(&pod_id).expect("finish_pod: no such pod");
        self.tally.noted.push(pod_id);
        let was_active = pod.is_active();
        pod.phase = phase;
        pod.ready = false;
        pod.containers_running = false;
        pod.kubelet_admitted = false;
        let (req, nonzero, group, priority) = (pod.requests, pod.nonzero_requests, pod.group, pod.priority);
        if let Some(node_id) = pod.node.take() {
            let node = &mut self.nodes[self.node_slot[node_id.0 as usize] as usize];
            node.remove_requests(req, pod.scalar_requests.as_deref());
            node.nonzero_requested -= nonzero;
            node.pods.remove(&pod_id);
            self.groups[group as usize].with_terminating.add(node_id, -1);
            if was_active {
                self.groups[group as usize].add(node_id, -1);
                self.forget_bound_priority(priority);
            }
        }
    }

    /// The lowest priority of any bound pod that is not being deleted.
    pub fn lowest_bound_priority(&self) -> Option<i32> {
        self.bound_priorities.keys().next().copied()
    }

    /// Marks a pod as being deleted: it stops counting as active (and for spreading) but
    /// keeps its node's resources until it is removed.
    pub fn mark_terminating(&mut self, pod_id: PodId, now: Time) {
        let pod = self.pods.get_mut(&pod_id).expect("no such pod");
        if pod.deletion.is_some() {
            return;
        }
        self.tally.noted.push(pod_id);
        pod.deletion = Some(now);
        pod.ready = false;
        if let Some(node) = pod.node {
            let (group, priority) = (pod.group, pod.priority);
            self.groups[group as usize].add(node, -1);
            self.forget_bound_priority(priority);
        }
    }

    /// A new group for pods made from `template` in `namespace`.
    pub fn add_group(&mut self, template: Arc<PodTemplate>, family: Family, namespace: NamespaceId) -> u32 {
        self.groups.push(PodGroup {
            template,
            family,
            namespace,
            per_node: Vec::new(),
            bound: 0,
            nodes: Vec::new(),
            slot: Vec::new(),
            with_terminating: NodePodCounts::default(),
        });
        u32::try_from(self.groups.len() - 1).expect("too many pod groups")
    }

    /// Removes a pod from the API, releasing its node's resources.
    pub fn remove_pod(&mut self, pod_id: PodId) -> Pod {
        let pod = self.pods.remove(&pod_id).expect("remove: no such pod");
        self.tally.noted.push(pod_id);
        if let Some(names) = self.pod_by_name.get_mut(pod.namespace.0 as usize) {
            names.remove(&pod.name);
        }
        if let Some(node_id) = pod.node {
            let node = &mut self.nodes[self.node_slot[node_id.0 as usize] as usize];
            node.remove_requests(pod.requests, pod.scalar_requests.as_deref());
            node.nonzero_requested -= pod.nonzero_requests;
            node.pods.remove(&pod_id);
            self.groups[pod.group as usize].with_terminating.add(node_id, -1);
            if pod.is_active() {
                self.groups[pod.group as usize].add(node_id, -1);
                self.forget_bound_priority(pod.priority);
            }
        }
        match pod.owner {
            Some(Owner::ReplicaSet(rs)) => {
                self.replica_sets[rs.0 as usize].pods.remove(&pod_id);
            }
            Some(Owner::DaemonSet(ds)) => {
                if let Some(node) = self.daemon_sets[ds.0 as usize].release(pod_id) {
                    self.queues.daemon_pods.insert((ds, node));
                }
            }
            Some(Owner::Job(job)) => {
                let succeeded = pod.phase == PodPhase::Succeeded;
                let now = pod.deletion.unwrap_or(pod.created);
                self.jobs[job.0 as usize].release(pod_id, succeeded, pod.deletion, now);
                self.queues.jobs.insert(job);
            }
            None => {}
        }
        pod
    }

    pub fn replica_set(&self, id: RsId) -> &ReplicaSet {
        &self.replica_sets[id.0 as usize]
    }

    /// A ReplicaSet to write (queued for its controller and its Deployment's).
    pub fn replica_set_mut(&mut self, id: RsId) -> &mut ReplicaSet {
        self.queue_replica_set(id);
        &mut self.replica_sets[id.0 as usize]
    }

    fn queue_replica_set(&mut self, id: RsId) {
        self.queues.replica_sets.insert(id);
        if let Some(d) = self.replica_sets.get(id.0 as usize).and_then(|rs| rs.deployment) {
            self.queues.deployments.insert(d);
            self.queues.observed_deployments.insert(d);
        }
    }

    /// Adds a ReplicaSet (and its pod group); `build` receives its id and group.
    pub fn add_replica_set(&mut self, build: impl FnOnce(RsId, u32) -> ReplicaSet) -> RsId {
        let id = RsId(u32::try_from(self.replica_sets.len()).expect("too many ReplicaSets"));
        let group = u32::try_from(self.groups.len()).expect("too many pod groups");
        let rs = build(id, group);
        let family = rs.deployment.map_or(Family::ReplicaSet(id), Family::Deployment);
        self.add_group(rs.template.clone(), family, rs.namespace);
        if let Some(d) = rs.deployment {
            self.deployments[d.0 as usize].replica_sets.push(id);
        }
        self.replica_sets.push(rs);
        self.queue_replica_set(id);
        id
    }

    /// Adds a DaemonSet (and its pod group); `build` receives its id and group.
    pub fn add_daemon_set(&mut self, build: impl FnOnce(DaemonSetId, u32) -> DaemonSet) -> DaemonSetId {
        let id = DaemonSetId(u32::try_from(self.daemon_sets.len()).expect("too many DaemonSets"));
        let group = u32::try_from(self.groups.len()).expect("too many pod groups");
        let ds = build(id, group);
        self.add_group(ds.template.clone(), Family::DaemonSet(id), ds.namespace);
        self.daemon_sets.push(ds);
        self.queues.daemon_sets.insert(id);
        id
    }

    pub fn daemon_set(&self, id: DaemonSetId) -> &DaemonSet {
        &self.daemon_sets[id.0 as usize]
    }

    /// A DaemonSet to write (queued for its controller).
    pub fn daemon_set_mut(&mut self, id: DaemonSetId) -> &mut DaemonSet {
        self.queues.daemon_sets.insert(id);
        &mut self.daemon_sets[id.0 as usize]
    }

    pub fn daemon_set_id(&self, namespace: NamespaceId, name: &str) -> Option<DaemonSetId> {
        self.daemon_sets.iter().find(|d| d.namespace == namespace && d.name == name).map(|d| d.id)
    }

    /// Creates a DaemonSet's pod made for `(node, revision)` (its template carries the node pin).
    pub fn create_daemon_pod(
        &mut self,
        ds: DaemonSetId,
        (node, revision): (NodeId, u64),
        name: String,
        template: Arc<PodTemplate>,
        tolerations: Vec<Toleration>,
        now: Time,
    ) -> PodId {
        let id = self.create_pod(name, template, tolerations, Some(Owner::DaemonSet(ds)), now);
        self.daemon_sets[ds.0 as usize].adopt(id, node, revision);
        id
    }

    /// Adds a Job (and its pod group); `build` receives its id and group.
    pub fn add_job(&mut self, build: impl FnOnce(JobId, u32) -> Job) -> JobId {
        let id = JobId(u32::try_from(self.jobs.len()).expect("too many Jobs"));
        let group = u32::try_from(self.groups.len()).expect("too many pod groups");
        let job = build(id, group);
        self.add_group(job.spec.template.clone(), Family::Job(id), NamespaceId::DEFAULT);
        if let Some(cj) = job.cron_job {
            self.cron_jobs[cj.0 as usize].jobs.push(id);
            self.queues.cron_jobs.insert(cj);
        }
        self.jobs.push(job);
        self.queues.jobs.insert(id);
        id
    }

    pub fn job(&self, id: JobId) -> &Job {
        &self.jobs[id.0 as usize]
    }

    /// A Job to write (queued for its controller and its CronJob's).
    pub fn job_mut(&mut self, id: JobId) -> &mut Job {
        self.queues.jobs.insert(id);
        let job = &mut self.jobs[id.0 as usize];
        if let Some(cj) = job.cron_job {
            self.queues.cron_jobs.insert(cj);
        }
        job
    }

    /// The Job of that name, unless deleted.
    pub fn job_id(&self, name: &str) -> Option<JobId> {
        self.jobs.iter().find(|j| j.name == name && !j.deleted).map(|j| j.id)
    }

    /// Creates a Job's pod (with its completion index, for an Indexed Job).
    pub fn create_job_pod(
        &mut self,
        job: JobId,
        index: Option<u32>,
        name: String,
        template: Arc<PodTemplate>,
        tolerations: Vec<Toleration>,
        now: Time,
    ) -> PodId {
        let id = self.create_pod(name, template, tolerations, Some(Owner::Job(job)), now);
        let j = &mut self.jobs[job.0 as usize];
        j.pods.insert(id, JobPod { index, tracked: true, finished_at: None });
        j.pods_created += 1;
        id
    }

    /// Adds a CronJob; `build` receives its id.
    pub fn add_cron_job(&mut self, build: impl FnOnce(CronJobId) -> CronJob) -> CronJobId {
        let id = CronJobId(u32::try_from(self.cron_jobs.len()).expect("too many CronJobs"));
        self.cron_jobs.push(build(id));
        self.queues.cron_jobs.insert(id);
        id
    }

    pub fn cron_job(&self, id: CronJobId) -> &CronJob {
        &self.cron_jobs[id.0 as usize]
    }

    /// A CronJob to write (queued for its controller).
    pub fn cron_job_mut(&mut self, id: CronJobId) -> &mut CronJob {
        self.queues.cron_jobs.insert(id);
        &mut self.cron_jobs[id.0 as usize]
    }

    pub fn cron_job_id(&self, name: &str) -> Option<CronJobId> {
        self.cron_jobs.iter().find(|c| c.name == name).map(|c| c.id)
    }

    pub fn deployment(&self, id: DeploymentId) -> &Deployment {
        &self.deployments[id.0 as usize]
    }

    /// A Deployment to write (queued for its controller and the time series).
    pub fn deployment_mut(&mut self, id: DeploymentId) -> &mut Deployment {
        self.queue_deployment(id);
        &mut self.deployments[id.0 as usize]
    }

    /// Queues a Deployment for its controller and the time series (a resync, a write).
    pub fn queue_deployment(&mut self, id: DeploymentId) {
        self.queues.deployments.insert(id);
        self.queues.observed_deployments.insert(id);
    }

    /// Adds a Deployment; `build` receives its id.
    pub fn add_deployment(&mut self, build: impl FnOnce(DeploymentId) -> Deployment) -> DeploymentId {
        let id = DeploymentId(u32::try_from(self.deployments.len()).expect("too many Deployments"));
        self.deployments.push(build(id));
        self.queue_deployment(id);
        id
    }

    pub fn deployment_id(&self, namespace: NamespaceId, name: &str) -> Option<DeploymentId> {
        self.deployments.iter().find(|d| d.namespace == namespace && d.name == name).map(|d| d.id)
    }

    /// The Deployment a key (`web`, `team-a/web`) names.
    pub fn deployment_by_key(&self, key: &str) -> Option<DeploymentId> {
        let (ns, name) = self.resolve_key(key)?;
        self.deployment_id(ns, name)
    }

    /// A Deployment's key: `name`, or `namespace/name` outside `default`.
    pub fn deployment_key(&self, id: DeploymentId) -> String {
        let d = self.deployment(id);
        self.key(d.namespace, &d.name)
    }

    /// The pods of a ReplicaSet, in creation order.
    pub fn pods_of(&self, rs: RsId) -> impl Iterator<Item = &Pod> + '_ {
        self.replica_set(rs).pods.iter().map(move |id| &self.pods[id])
    }

    /// The pods of every ReplicaSet of a Deployment.
    pub fn pods_of_deployment(&self, d: DeploymentId) -> impl Iterator<Item = &Pod> + '_ {
        self.deployment(d).replica_sets.iter().flat_map(move |&rs| self.pods_of(rs))
    }

    /// The Deployment that owns a pod, through its ReplicaSet.
    pub fn deployment_of(&self, pod: &Pod) -> Option<DeploymentId> {
        pod.replica_set().and_then(|rs| self.replica_set(rs).deployment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{node, pod};
    use crate::model::Resources;

    fn named(store: &mut Store, name: &str) -> NodeId {
        store.add_node(|id| Node { id, name: name.into(), ..node(1000, 1 << 30, Resources::default()) })
    }

    #[test]
    fn removing_a_node_keeps_the_other_ids_and_their_sums() {
        let mut store = Store::default();
        let (a, b, c) = (named(&mut store, "a"), named(&mut store, "b"), named(&mut store, "c"));
        let p = store.create_pod("p".into(), pod(&[(300, 1)]).template, vec![], None, Time::ZERO);
        store.bind(p, c);
        let membership = store.node_membership();
        store.remove_node(a);
        assert!(!store.has_node(a) && store.try_node(a).is_none() && store.node_id("a").is_none());
        assert_eq!(store.nodes.len(), 2);
        assert_eq!((store.node(b).name.as_str(), store.node(c).name.as_str()), ("b", "c"));
        assert_eq!(store.node(c).requested.cpu_millis, 300, "the moved node keeps its sums");
        store.remove_pod(p);
        assert_eq!(store.node(c).requested.cpu_millis, 0);
        assert!(store.node_membership() > membership);
        let d = named(&mut store, "a");
        assert_eq!(d, NodeId(3), "ids are never reused");
        assert_eq!(store.node_id_bound(), 4);
    }

    #[test]
    fn pods_are_named_per_namespace() {
        let mut store = Store::default();
        let team = store.namespaces.intern("team-a");
        let t = pod(&[(1, 1)]).template;
        let a = store.create_pod("p".into(), t.clone(), vec![], None, Time::ZERO);
        let b = store.create_pod_in(team, "p".into(), t.clone(), vec![], None, Time::ZERO);
        assert_ne!(a, b);
        assert_eq!((store.pod_id(NamespaceId::DEFAULT, "p"), store.pod_id(team, "p")), (Some(a), Some(b)));
        assert_eq!(store.groups[store.pod(b).group as usize].namespace, team, "a bare pod's group is in its namespace");
        store.remove_pod(a);
        assert!(!store.has_pod_named(NamespaceId::DEFAULT, "p") && store.has_pod_named(team, "p"));
        let rs = store.add_replica_set(|id, group| ReplicaSet {
            namespace: team,
            ..ReplicaSet::standalone(id, group, "web-1".into(), Default::default(), t.clone(), 1, Time::ZERO)
        });
        let owned = store.create_pod("web-1-x".into(), t, vec![], Some(Owner::ReplicaSet(rs)), Time::ZERO);
        assert_eq!(store.pod(owned).namespace, team, "an owned pod is in its owner's namespace");
        assert_eq!(store.resolve_key("team-a/web"), Some((team, "web")));
        assert_eq!(store.resolve_key("nowhere/web"), None);
    }

    #[test]
    fn a_terminating_pod_keeps_its_requests_but_leaves_its_group_counts() {
        let mut store = Store::default();
        let a = named(&mut store, "a");
        let p = store.create_pod("p".into(), pod(&[(300, 1)]).template, vec![], None, Time::ZERO);
        store.bind(p, a);
        let group = store.pod(p).group as usize;
        assert_eq!((store.groups[group].on_node(a), store.groups[group].bound), (1, 1));
        store.mark_terminating(p, Time::from_secs(5));
        assert!(!store.pod(p).is_active());
        assert_eq!(store.node(a).requested.cpu_millis, 300, "resources stay until removal");
        assert_eq!((store.groups[group].on_node(a), store.groups[group].bound), (0, 0), "not counted for spreading");
        store.remove_pod(p);
        assert_eq!(store.node(a).requested.cpu_millis, 0);
        assert_eq!(store.groups[group].bound, 0);
    }

    #[test]
    #[should_panic(expected = "removed with pods on it")]
    fn a_node_with_pods_cannot_be_removed() {
        let mut store = Store::default();
        let a = named(&mut store, "a");
        let p = store.create_pod("p".into(), pod(&[(1, 1)]).template, vec![], None, Time::ZERO);
        store.bind(p, a);
        store.remove_node(a);
    }
}
