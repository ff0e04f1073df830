//! The actuator: applies decisions to the store, records events, and schedules the
//! world's follow-ups (kubelet starts, evictions).

use super::{World, WorldEvent};
use crate::control::deployment::RolloutReport;
use crate::control::{pod_name_suffix, taint_eviction, Decision, ScoreTable, TerminationReason};
use crate::engine::Time;
use crate::model::{
    LabelSelector, NamespaceId, Node, NodeCondition, NodeId, Owner, PodId, PodTemplate, ReplicaSet, Resources, RsId,
    Service, Taint, TaintEffect, Toleration, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE,
};
use crate::record::json_string;
use crate::scenario::Object;
use std::sync::Arc;

impl World<'_> {
    pub(super) fn apply_all(&mut self, decisions: Vec<Decision>) {
        for d in decisions {
            self.apply(d);
        }
    }

    pub(super) fn apply(&mut self, decision: Decision) {
        let now = self.now();
        match decision {
            Decision::CreateReplicaSet { deployment, template, hash, revision, replicas, desired, max } => {
                let d = self.store.deployment(deployment);
                let (name, namespace) = (format!("{}-{hash}", d.name), d.namespace);
                let mut template = (*template).clone();
                template.labels.insert("pod-template-hash".into(), hash.clone());
                let mut selector = d.selector.clone();
                selector.match_labels.insert("pod-template-hash".into(), hash.clone());
                self.store.add_replica_set(|id, group| ReplicaSet {
                    deployment: Some(deployment),
                    namespace,
                    template_hash: hash,
                    revision,
                    desired_annotation: Some(desired),
                    max_annotation: Some(max),
                    ..ReplicaSet::standalone(id, group, name, selector, Arc::new(template), replicas, now)
                });
                self.rollout_started(deployment, revision);
            }
            Decision::ScaleReplicaSet { rs, replicas, desired, max } => {
                let r = self.store.replica_set_mut(rs);
                r.replicas = replicas;
                r.desired_annotation = Some(desired);
                r.max_annotation = Some(max);
            }
            Decision::SetRevision { rs, revision } => {
                let r = self.store.replica_set_mut(rs);
                r.revision = revision;
                if let Some(d) = r.deployment {
                    self.rollout_started(d, revision);
                }
            }
            Decision::DeleteReplicaSet { rs } => self.store.replica_set_mut(rs).deleted = true,
            Decision::ReportRollout { deployment, revision, report } => {
                let d = self.store.deployment(deployment);
                let (name, ns, image) = (d.name.clone(), d.namespace, d.template.spec.image().to_string());
                let kind = match report {
                    RolloutReport::Completed => {
                        self.rollouts[deployment.0 as usize] = None;
                        let key = self.store.deployment_key(deployment);
                        self.observations.rollouts_completed.push((now, key, revision));
                        "rollout_completed"
                    }
                    RolloutReport::DeadlineExceeded => "rollout_deadline_exceeded",
                };
                self.events.emit(now, kind, |e| {
                    e.str("deployment", &name)
                        .namespace(self.store.namespaces.name(ns))
                        .int("revision", revision as i64)
                        .str("image", &image);
                });
            }
            Decision::CreatePods { rs, count } => {
                for _ in 0..count {
                    self.create_owned_pod(rs);
                }
            }
            Decision::CreateDaemonPod { ds, node } => self.create_daemon_pod(ds, node),
            Decision::DeletePod { pod, reason } => self.delete_pod(pod, reason),
            Decision::Bind { pod, node, scores } => self.bind(pod, node, scores),
            Decision::Unschedulable { pod, reason } => {
                let priority = self.store.pod(pod).priority;
                let changed = self.scheduler.queue.park(pod, priority, &reason, now);
                self.wake_scheduler();
                if changed {
                    let p = self.store.pod(pod);
                    self.events.emit(now, "pod_unschedulable", |e| {
                        e.str("pod", &p.name).namespace(self.store.namespaces.name(p.namespace)).str("reason", &reason);
                    });
                }
            }
            Decision::Preempt { pod, node, victims } => {
                let (p, node_name) = (self.store.pod(pod), &self.store.node(node).name);
                // Victims may be of any namespace: each is named by its key (`ns/name` outside default).
                let victim_names: Vec<String> = victims
                    .iter()
                    .map(|v| self.store.pod(*v))
                    .map(|v| crate::record::json_string(&self.store.key(v.namespace, &v.name)))
                    .collect();
                self.events.emit(now, "pod_preempting", |e| {
                    e.str("pod", &p.name)
                        .namespace(self.store.namespaces.name(p.namespace))
                        .str("node", node_name)
                        .raw("victims", &format!("[{}]", victim_names.join(",")));
                });
                for v in victims {
                    self.delete_pod(v, TerminationReason::Preempted);
                }
                self.scheduler.queue.nominated.insert(pod, node);
                let priority = self.store.pod(pod).priority;
                self.scheduler.queue.add(pod, priority);
            }
            Decision::ScaleDeployment { deployment, replicas, by } => {
                let d = self.store.deployment_mut(deployment);
                let from = d.replicas;
                d.replicas = replicas;
                let d = self.store.deployment(deployment);
                self.events.emit(now, "deployment_scaled", |e| {
                    e.str("deployment", &d.name)
                        .namespace(self.store.namespaces.name(d.namespace))
                        .int("from", i64::from(from))
                        .int("to", i64::from(replicas))
                        .str("by", by);
                });
            }
            Decision::SetNodeCondition { node, condition } => self.set_condition(node, condition),
            Decision::AddTaint { node, taint } => {
                let n = self.store.node_mut(node);
                if n.has_taint(&taint.key, taint.effect) {
                    return;
                }
                n.taints.push((taint.clone(), now));
                let name = n.name.clone();
                self.events.emit(now, "node_tainted", |e| {
                    e.str("node", &name).str("taint", &format!("{}:{}", taint.key, taint.effect.as_str()));
                });
                if taint.effect == TaintEffect::NoExecute {
                    let decisions = taint_eviction::on_no_execute_taints(&self.store, node, now);
                    self.apply_all(decisions);
                }
            }
            Decision::RemoveTaint { node, key, effect } => {
                let n = self.store.node_mut(node);
                let before = n.taints.len();
                n.taints.retain(|(t, _)| !(t.key == key && t.effect == effect));
                if n.taints.len() != before {
                    let name = n.name.clone();
                    self.events.emit(now, "node_untainted", |e| {
                        e.str("node", &name).str("taint", &format!("{key}:{}", effect.as_str()));
                    });
                    self.cluster_changed();
                }
            }
            Decision::MarkPodsNotReady { node } => {
                let pods: Vec<PodId> = self.store.node(node).pods.iter().copied().collect();
                for id in pods {
                    self.set_not_ready(id);
                }
            }
            Decision::ScheduleEviction { pod, node, at, taint_added } => {
                let term = self.ops.masters.term(super::masters::Component::ControllerManager);
                self.queue.schedule(at, WorldEvent::Eviction { pod, node, taint_added, term });
            }
        }
    }

    /// A new revision starts rolling out (a new ReplicaSet, or an old one made new again).
    fn rollout_started(&mut self, deployment: crate::model::DeploymentId, revision: u64) {
        let now = self.now();
        self.rollouts[deployment.0 as usize] = Some(revision);
        let d = self.store.deployment(deployment);
        self.events.emit(now, "rollout_started", |e| {
            e.str("deployment", &d.name)
                .namespace(self.store.namespaces.name(d.namespace))
                .int("revision", revision as i64)
                .str("image", d.template.spec.image());
        });
    }

    /// A cluster event that could make parked pods fit: they go back to the queue (or
    /// wait out their backoff).
    pub(super) fn cluster_changed(&mut self) {
        let now = self.now();
        self.scheduler.queue.move_all_to_active_or_backoff(now);
        self.wake_scheduler();
    }

    /// Makes sure a scheduler wake-up is scheduled for the queue's next backoff expiry or
    /// leftover flush.
    pub(super) fn wake_scheduler(&mut self) {
        if let Some(at) = self.scheduler.queue.next_wakeup() {
            if self.scheduler_wake_due.is_none_or(|due| at < due || due < self.now()) {
                self.scheduler_wake_due = Some(at);
                self.queue.schedule(at, WorldEvent::SchedulerWake);
            }
        }
    }

    /// The pod's Ready condition becomes False (it leaves Service endpoints).
    pub(super) fn set_not_ready(&mut self, id: PodId) {
        let now = self.now();
        let pod = self.store.pod_mut(id);
        if !pod.ready {
            return;
        }
        pod.ready = false;
        pod.ready_since = None;
        pod.ready_changed = now;
        let (name, ns, node) = (pod.name.clone(), pod.namespace, pod.node);
        let node = node.map(|n| self.store.node(n).name.clone()).unwrap_or_default();
        self.events.emit(now, "pod_not_ready", |e| {
            e.str("pod", &name).namespace(self.store.namespaces.name(ns)).str("node", &node);
        });
    }

    fn set_condition(&mut self, node: NodeId, condition: NodeCondition) {
        let now = self.now();
        let n = self.store.node_mut(node);
        if n.condition == condition {
            return;
        }
        n.condition = condition;
        let name = n.name.clone();
        let kind = if condition == NodeCondition::Ready { "node_ready" } else { "node_not_ready" };
        self.events.emit(now, kind, |e| {
            e.str("node", &name);
        });
    }

    fn bind(&mut self, pod: PodId, node: NodeId, scores: Option<ScoreTable>) {
        let now = self.now();
        let guards = self.scheduler.bind_guards();
        if let Some(problem) = crate::check::check_bind(&self.store, pod, node, guards) {
            self.checker.report(problem);
        }
        self.checker.record_bind(pod);
        self.store.bind(pod, node);
        self.scheduler.queue.remove(pod);
        let scores_json = scores.map(|table| self.scores_json(&table));
        let (p, node_name) = (self.store.pod(pod), &self.store.node(node).name);
        self.events.emit(now, "pod_scheduled", |e| {
            e.str("pod", &p.name).namespace(self.store.namespaces.name(p.namespace)).str("node", node_name);
            if let Some(json) = &scores_json {
                e.raw("scores", json);
            }
        });
        if self.store.node(node).kubelet_reporting() {
            self.start_containers(pod);
        }
    }

    /// `{"node":{"Plugin":score,...,"total":n},...}` in node order.
    fn scores_json(&self, table: &ScoreTable) -> String {
        let rows: Vec<String> = table
            .nodes
            .iter()
            .map(|row| {
                let mut fields: Vec<String> =
                    row.plugins.iter().map(|(p, s)| format!("{}:{s}", json_string(p))).collect();
                fields.push(format!("\"total\":{}", row.total));
                format!("{}:{{{}}}", json_string(&self.store.node(row.node).name), fields.join(","))
            })
            .collect();
        format!("{{{}}}", rows.join(","))
    }

    /// Deletes a pod: `pod_terminated`, then it is Terminating (not active, out of the
    /// endpoints, its resources still on its node) until its kubelet has stopped it
    /// (world/termination.rs). A pod never bound, or with a zero grace period, is removed
    /// at once; on a node whose kubelet is gone it stays Terminating until the kubelet is back.
    // Upstream: pkg/registry/core/pod/strategy.go (CheckGracefulDelete: unscheduled pods go at once).
    pub(super) fn delete_pod(&mut self, id: PodId, reason: TerminationReason) {
        let now = self.now();
        let Some(pod) = self.store.pods().get(&id) else { return };
        if !pod.is_active() {
            return;
        }
        let node = pod.node;
        let node_name = node.map(|n| self.store.node(n).name.as_str());
        self.events.emit(now, "pod_terminated", |e| {
            e.str("pod", &pod.name).namespace(self.store.namespaces.name(pod.namespace));
            if let Some(n) = node_name {
                e.str("node", n);
            }
            e.str("reason", reason.as_str());
        });
        self.scheduler.queue.remove(id);
        let Some(node) = node else {
            self.forget_pod(id);
            return;
        };
        if !self.store.node(node).kubelet_reporting() {
            self.store.mark_terminating(id, now);
            return;
        }
        self.store.mark_terminating(id, now);
        self.begin_termination(id);
    }

    pub(super) fn eviction_due(&mut self, pod: PodId, node: NodeId, taint_added: Time, term: u64) {
        // Only the leader that scheduled it evicts, and only through a writable API.
        let cm = super::masters::Component::ControllerManager;
        if !self.ops.masters.active(cm) || self.ops.masters.term(cm) != term {
            return;
        }
        let Some(p) = self.store.pods().get(&pod) else { return };
        let n = self.store.node(node);
        let still_tainted = n.taints.iter().any(|(t, at)| {
            t.effect == TaintEffect::NoExecute
                && *at <= taint_added
                && (t.key == TAINT_NODE_UNREACHABLE || t.key == TAINT_NODE_NOT_READY)
        });
        if p.node == Some(node) && p.is_active() && still_tainted {
            self.delete_pod(pod, TerminationReason::NodeLost);
        }
    }

    /// A pod of ReplicaSet `rs` in its namespace, named `<rs>-<random suffix>` (unique
    /// in the namespace: pods of other namespaces may have the same name).
    fn create_owned_pod(&mut self, rs: RsId) {
        let (template, rs_name, namespace) = {
            let r = self.store.replica_set(rs);
            (r.template.clone(), r.name.clone(), r.namespace)
        };
        let name = self.generated_pod_name(namespace, &format!("{rs_name}-"));
        self.create_pod(namespace, name, template, Some(rs));
    }

    /// `metadata.generateName`: `prefix` and 5 random characters from the `names` stream,
    /// drawn again while the name is taken in `namespace`.
    pub(super) fn generated_pod_name(&mut self, namespace: NamespaceId, prefix: &str) -> String {
        loop {
            let candidate = format!("{prefix}{}", pod_name_suffix(&mut self.names_rng));
            if !self.store.has_pod_named(namespace, &candidate) {
                return candidate;
            }
        }
    }

    pub(super) fn create_pod(
        &mut self,
        namespace: NamespaceId,
        name: String,
        template: Arc<PodTemplate>,
        owner: Option<RsId>,
    ) {
        let tolerations = self.admitted_tolerations(&template);
        let now = self.now();
        let owner = owner.map(crate::model::Owner::ReplicaSet);
        let id = self.store.create_pod_in(namespace, name, template, tolerations, owner, now);
        self.admit_created_pod(id);
    }

    /// What follows a pod's creation: priority admission, `pod_created`, and the
    /// scheduling queue (or its node's kubelet, for a `spec.nodeName` pod).
    pub(super) fn admit_created_pod(&mut self, id: PodId) {
        let now = self.now();
        let priority = self.store.admitted_priority(&self.store.pod(id).template.spec);
        let (name, namespace) = (self.store.pod(id).name.clone(), self.store.pod(id).namespace);
        self.store.set_priority(id, priority);
        let owner = self.store.pod(id).owner;
        let (owner_name, deployment, revision) = match owner {
            Some(Owner::ReplicaSet(rs)) => {
                let r = self.store.replica_set(rs);
                let d = r.deployment.map(|d| self.store.deployment(d).name.clone());
                (Some(r.name.clone()), d, Some(r.revision))
            }
            Some(Owner::DaemonSet(ds)) => {
                let d = self.store.daemon_set(ds);
                (Some(d.name.clone()), None, d.pods.get(&id).map(|(_, r)| *r))
            }
            Some(Owner::Job(job)) => (Some(self.store.job(job).name.clone()), None, None),
            None => (None, None, None),
        };
        // SPEC 5.2: `owner_kind` when the owner is not a ReplicaSet (v1 traces keep their bytes).
        let owner_kind = owner.map(Owner::kind).filter(|k| *k != "ReplicaSet");
        // A pod created with spec.nodeName is bound already: the scheduler never sees it;
        // the node's kubelet admits it (world/kubelet.rs). Its node may not exist yet.
        // Upstream: pkg/scheduler/eventhandlers.go (assignedPod: not queued) and pkg/kubelet/lifecycle/predicate.go.
        let node_name = self.store.pod(id).template.spec.node_name.clone();
        self.events.emit(now, "pod_created", |e| {
            e.str("pod", &name).namespace(self.store.namespaces.name(namespace));
            if let Some(o) = &owner_name {
                e.str("owner", o);
            }
            if let Some(k) = owner_kind {
                e.str("owner_kind", k);
            }
            if let Some(d) = &deployment {
                e.str("deployment", d);
            }
            if let Some(r) = revision {
                e.int("revision", r as i64);
            }
            if let Some(n) = &node_name {
                e.str("nodeName", n);
            }
        });
        match node_name {
            None => self.scheduler.queue.add(id, priority),
            Some(node) => match self.store.node_id(&node) {
                Some(n) => self.bind_to_named_node(id, n),
                None => self.node_name_waiting.entry(node).or_default().push(id),
            },
        }
    }

    /// Binds a `spec.nodeName` pod to its node; its kubelet, if up, checks it.
    fn bind_to_named_node(&mut self, pod: PodId, node: NodeId) {
        self.store.bind(pod, node);
        if self.store.node(node).kubelet_reporting() {
            self.start_containers(pod);
        }
    }

    /// The template's tolerations plus what DefaultTolerationSeconds admission adds.
    /// Upstream: plugin/pkg/admission/defaulttolerationseconds/admission.go.
    pub(super) fn admitted_tolerations(&self, template: &PodTemplate) -> Vec<Toleration> {
        let cp = &self.scenario.control_plane;
        let mut out = template.spec.tolerations.clone();
        for (key, seconds) in [
            (TAINT_NODE_NOT_READY, cp.not_ready_toleration_seconds),
            (TAINT_NODE_UNREACHABLE, cp.unreachable_toleration_seconds),
        ] {
            let covered = out
                .iter()
                .any(|t| (t.key == key || t.key.is_empty()) && t.effect.is_none_or(|e| e == TaintEffect::NoExecute));
            if !covered {
                out.push(Toleration::default_for(key, seconds as i64));
            }
        }
        out
    }

    /// kubeadm join: `count` more nodes of pool `pool_idx`.
    pub(super) fn join_pool_nodes(&mut self, pool_idx: usize, count: u32) {
        let pool = &self.scenario.cluster.node_pools[pool_idx];
        for _ in 0..count {
            self.pool_sizes[pool_idx] += 1;
            let name = format!("{}-{}", pool.name, self.pool_sizes[pool_idx]);
            let labels = crate::model::with_well_known_labels(pool.labels.clone(), &name);
            let resources = (pool.capacity, pool.scalar_capacity);
            self.add_node(name, Some(pool.name.clone()), labels, resources, pool.taints.clone(), false);
        }
    }

    fn add_node(
        &mut self,
        name: String,
        pool: Option<String>,
        labels: crate::model::Labels,
        (allocatable, scalars): (Resources, crate::model::Scalars),
        taints: Vec<Taint>,
        unschedulable: bool,
    ) {
        let now = self.now();
        self.store.add_node(|id| Node {
            pool,
            taints: taints.into_iter().map(|t| (t, now)).collect(),
            unschedulable,
            scalars: crate::model::NodeScalars::joined(scalars),
            ..Node::joined(id, name.clone(), labels, allocatable, now)
        });
        self.events.emit(now, "node_joined", |e| {
            e.str("node", &name);
        });
        if let (Some(waiting), Some(id)) = (self.node_name_waiting.remove(&name), self.store.node_id(&name)) {
            for pod in waiting {
                if self.store.pods().get(&pod).is_some_and(|p| p.is_active() && p.node.is_none()) {
                    self.bind_to_named_node(pod, id);
                }
            }
        }
        self.cluster_changed();
        if let Some(id) = self.store.node_id(&name) {
            self.node_faults(id);
        }
    }

    /// Applies the manifests in order, as `kubectl apply -f` would at t=0.
    pub(super) fn apply_manifests(&mut self) {
        for (name, value) in crate::scenario::SYSTEM_PRIORITY_CLASSES {
            self.store.priority_classes.insert(name.to_string(), *value);
        }
        for object in &self.scenario.objects {
            self.apply_object(object);
        }
    }

    /// `kubectl apply` of one object: created if new; an existing Deployment takes the
    /// new spec (a changed template starts a rollout); other existing objects are kept.
    pub(super) fn apply_object(&mut self, object: &Object) {
        let now = self.now();
        let (kind, name) = crate::scenario::object_kind_name(object);
        // A namespace nobody created is created on first use (the simulated API server's
        // shortcut: a real one refuses objects in a missing namespace).
        let ns =
            crate::scenario::object_namespace(object).map_or(NamespaceId::DEFAULT, |n| self.store.namespaces.intern(n));
        self.events.emit(now, "object_applied", |e| {
            e.str("object", kind).str("name", name).namespace(self.store.namespaces.name(ns));
        });
        match object {
            Object::Deployment(d) if self.store.deployment_id(ns, &d.name).is_some() => {
                let id = self.store.deployment_id(ns, &d.name).expect("checked");
                self.update_template(id, (*d.template).clone());
                let dep = self.store.deployment_mut(id);
                let from = dep.replicas;
                dep.replicas = d.replicas;
                dep.strategy = d.strategy;
                dep.min_ready_seconds = d.min_ready_seconds;
                dep.revision_history_limit = d.revision_history_limit;
                dep.progress_deadline = d.progress_deadline;
                dep.paused = d.paused;
                if from != d.replicas {
                    self.events.emit(now, "deployment_scaled", |e| {
                        e.str("deployment", &d.name)
                            .namespace(&d.namespace)
                            .int("from", i64::from(from))
                            .int("to", i64::from(d.replicas))
                            .str("by", "user");
                    });
                }
            }
            Object::Node(n) => {
                if self.store.node_id(&n.name).is_none() {
                    let labels = crate::model::with_well_known_labels(n.labels.clone(), &n.name);
                    let resources = (n.allocatable, n.scalar_allocatable);
                    self.add_node(n.name.clone(), None, labels, resources, n.taints.clone(), n.unschedulable);
                }
            }
            Object::Deployment(d) => {
                self.store.add_deployment(|id| crate::model::Deployment {
                    id,
                    name: d.name.clone(),
                    namespace: ns,
                    replicas: d.replicas,
                    selector: d.selector.clone(),
                    template: d.template.clone(),
                    strategy: d.strategy,
                    min_ready_seconds: d.min_ready_seconds,
                    revision_history_limit: d.revision_history_limit,
                    progress_deadline: d.progress_deadline,
                    paused: d.paused,
                    replica_sets: Vec::new(),
                    generation: 1,
                });
                self.rollouts.push(None);
            }
            Object::ReplicaSet(r) => {
                if self.store.replica_sets.iter().any(|x| x.namespace == ns && x.name == r.name) {
                    return;
                }
                self.store.add_replica_set(|id, group| ReplicaSet {
                    namespace: ns,
                    ..ReplicaSet::standalone(
                        id,
                        group,
                        r.name.clone(),
                        r.selector.clone(),
                        r.template.clone(),
                        r.replicas,
                        now,
                    )
                });
            }
            Object::Pod(p) => {
                if !self.store.has_pod_named(ns, &p.name) {
                    self.create_pod(ns, p.name.clone(), p.template.clone(), None);
                }
            }
            Object::Service(s) => {
                if !self.store.services.iter().any(|x| x.namespace == ns && x.name == s.name) {
                    self.store.services.push(Service {
                        name: s.name.clone(),
                        namespace: ns,
                        selector: LabelSelector::clone(&s.selector),
                    });
                }
            }
            Object::PodDisruptionBudget(p) => {
                self.store.pdbs.retain(|x| !(x.namespace == ns && x.name == p.budget.name));
                self.store.pdbs.push(crate::model::PodDisruptionBudget { namespace: ns, ..p.budget.clone() });
            }
            Object::Namespace(n) => {
                let id = self.store.namespaces.intern(&n.name);
                self.store.namespaces.set_labels(id, n.labels.clone());
            }
            // A class's value is immutable; globalDefault may move (the loader allows one at a time).
            // Upstream: pkg/apis/scheduling/validation (ValidatePriorityClassUpdate).
            Object::PriorityClass(p) => {
                self.store.priority_classes.entry(p.name.clone()).or_insert(p.value);
                if p.global_default {
                    self.store.default_priority_class = Some(p.name.clone());
                } else if self.store.default_priority_class.as_ref() == Some(&p.name) {
                    self.store.default_priority_class = None;
                }
            }
            Object::HorizontalPodAutoscaler(h) => self.autoscaler.apply(h.clone()),
            Object::DaemonSet(d) => self.apply_daemon_set(d, ns),
            Object::Job(j) => self.apply_job(j),
            Object::CronJob(c) => self.apply_cron_job(c),
        }
    }
}
