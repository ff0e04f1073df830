//! The autoscaler's what-if cluster: a copy of the store with hypothetical nodes added or
//! pods moved, checked with the scheduler's own Filter plugins.
//! Upstream: cluster-autoscaler/simulator (ClusterSnapshot, PredicateChecker).

use crate::control::cluster_autoscaler::config::NodePool;
use crate::control::scheduler::config::SchedulerConfig;
use crate::control::scheduler::Scheduler;
use crate::engine::{RandomStream, Time};
use crate::model::{Node, NodeId, NodeScalars, PodId, Store};

/// Filter checks over one simulated store. Its caches follow that store's node ids, so a
/// store copied and changed differently needs a simulator of its own.
pub struct Simulator {
    scheduler: Scheduler,
}

impl Simulator {
    /// A simulator with the run's `cluster-autoscaler/what-if` stream (filters draw
    /// nothing from it; it is the scheduler's, should a simulation ever score).
    pub fn new(config: &SchedulerConfig, rng: RandomStream) -> Self {
        Simulator { scheduler: Scheduler::new(config, rng, false) }
    }

    /// The first of `candidates` where `pod` passes every filter.
    pub fn first_fit(&mut self, store: &Store, pod: PodId, candidates: &[NodeId]) -> Option<NodeId> {
        if candidates.is_empty() {
            return None;
        }
        self.scheduler.first_fit(store, pod, candidates)
    }
}

/// Adds a node as the group would make it (the group's template node): its capacity
/// (extended resources too), labels and taints, Ready and empty. Upstream: NodeGroup.TemplateNodeInfo.
pub fn add_template_node(store: &mut Store, pool: &NodePool, pool_index: usize) -> NodeId {
    let name = format!("template-{}-{pool_index}-{}", pool.name, store.node_id_bound());
    let labels = crate::model::with_well_known_labels(pool.labels.clone(), &name);
    let id = store.add_node(|id| Node {
        pool: Some(pool.name.clone()),
        taints: pool.taints.iter().map(|t| (t.clone(), Time::ZERO)).collect(),
        scalars: NodeScalars::joined(pool.scalar_capacity),
        ..Node::joined(id, name, labels, pool.capacity, Time::ZERO)
    });
    // A new node also runs every DaemonSet that should run there: their pods take their
    // share of it. Upstream: simulator/node_info_utils.go (SanitizedTemplateNodeInfoFromNodeGroup
    // adds the DaemonSet pods that would run on the template, daemonset.GetDaemonSetPodsForNode).
    let daemons: Vec<(crate::model::DaemonSetId, std::sync::Arc<crate::model::PodTemplate>)> = store
        .daemon_sets
        .iter()
        .filter(|d| crate::control::daemonset::node_should_run(&d.template, store.node(id)).0)
        .map(|d| (d.id, d.template.clone()))
        .collect();
    for (ds, template) in daemons {
        let name = format!("{}-{}", store.daemon_set(ds).name, store.node(id).name);
        let template =
            std::sync::Arc::new(crate::control::daemonset::daemon_pod_template(&template, &store.node(id).name));
        let tolerations = template.spec.tolerations.clone();
        let pod = store.create_daemon_pod(ds, (id, 0), name, template, tolerations, Time::ZERO);
        store.bind(pod, id);
    }
    id
}
