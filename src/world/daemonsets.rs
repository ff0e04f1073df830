//! DaemonSets in the world: `kubectl apply` of one, its pods made for their nodes, the
//! controller's turn in `settle`, and rollouts reported when every node runs the new
//! revision.

use super::World;
use crate::control::daemonset::daemon_pod_template;
use crate::model::{DaemonSet, DaemonSetId, NamespaceId, NodeId};
use crate::scenario::DaemonSetObject;
use std::collections::BTreeMap;
use std::sync::Arc;

impl World<'_> {
    /// `kubectl apply` of a DaemonSet: created if new; an existing one takes the new spec
    /// (a changed template is a new revision, which its update strategy rolls out).
    pub(super) fn apply_daemon_set(&mut self, d: &DaemonSetObject, namespace: NamespaceId) {
        let now = self.now();
        if let Some(id) = self.store.daemon_set_id(namespace, &d.name) {
            let ds = self.store.daemon_set_mut(id);
            ds.strategy = d.strategy;
            ds.min_ready_seconds = d.min_ready_seconds;
            ds.selector = d.selector.clone();
            self.set_daemon_template(id, d.template.clone());
            return;
        }
        self.store.add_daemon_set(|id, group| DaemonSet {
            id,
            name: d.name.clone(),
            namespace,
            selector: d.selector.clone(),
            template: d.template.clone(),
            strategy: d.strategy,
            min_ready_seconds: d.min_ready_seconds,
            revision: 1,
            history: BTreeMap::from([(1, d.template.clone())]),
            group,
            created: now,
            pods: BTreeMap::new(),
            on_node: BTreeMap::new(),
            rolled_out: 0,
            status: Default::default(),
        });
    }

    /// A new template for a DaemonSet (`apply`, `setImage`, `rolloutUndo`): the next revision,
    /// unless it equals the current one. An earlier revision's template comes back under a
    /// new number, as a ControllerRevision does.
    pub(super) fn set_daemon_template(&mut self, id: DaemonSetId, template: Arc<crate::model::PodTemplate>) {
        let ds = self.store.daemon_set_mut(id);
        if *ds.template == *template {
            return;
        }
        let limit = 10;
        ds.history.retain(|_, t| **t != *template);
        ds.revision += 1;
        ds.history.insert(ds.revision, template.clone());
        while ds.history.len() > limit + 1 {
            ds.history.pop_first();
        }
        ds.template = template;
    }

    /// Creates a DaemonSet's pod for `node` from its current revision.
    pub(super) fn create_daemon_pod(&mut self, ds: DaemonSetId, node: NodeId) {
        let Some(node_name) = self.store.try_node(node).map(|n| n.name.clone()) else { return };
        let (template, revision, ds_name, namespace) = {
            let d = self.store.daemon_set(ds);
            (d.template.clone(), d.revision, d.name.clone(), d.namespace)
        };
        let template = Arc::new(daemon_pod_template(&template, &node_name));
        let name = self.generated_pod_name(namespace, &format!("{ds_name}-"));
        let tolerations = self.admitted_tolerations(&template);
        let now = self.now();
        let id = self.store.create_daemon_pod(ds, (node, revision), name, template, tolerations, now);
        self.admit_created_pod(id);
    }

    /// The DaemonSet controller's turn in `settle`; true if it decided anything.
    pub(super) fn settle_daemon_sets(&mut self) -> bool {
        if self.store.daemon_sets.is_empty() {
            self.store.queues.daemon_nodes.clear();
            self.store.queues.daemon_pods.clear();
            return false;
        }
        self.store.account();
        let queued = std::mem::take(&mut self.store.queues.daemon_sets);
        let pods = std::mem::take(&mut self.store.queues.daemon_pods);
        let nodes = std::mem::take(&mut self.store.queues.daemon_nodes);
        let now = self.now();
        let sync = self.daemon_sets.reconcile(&self.store, &queued, &pods, &nodes, now);
        for (id, revision) in sync.rolled_out {
            let ds = &mut self.store.daemon_sets[id.0 as usize];
            ds.rolled_out = revision;
            let ds = &self.store.daemon_sets[id.0 as usize];
            self.events.emit(now, "daemonset_rollout_completed", |e| {
                e.str("name", &ds.name)
                    .namespace(self.store.namespaces.name(ds.namespace))
                    .int("revision", revision as i64)
                    .str("image", ds.template.spec.image());
            });
        }
        for (id, status) in sync.statuses {
            self.store.daemon_sets[id.0 as usize].status = status;
        }
        if let Some(at) = sync.recheck {
            self.resync_at(at);
        }
        let changed = !sync.decisions.is_empty();
        self.apply_all(sync.decisions);
        changed
    }
}
