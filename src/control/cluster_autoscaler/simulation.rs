//! The autoscaler's what-if cluster: a copy of the store with hypothetical nodes added or
//! pods moved, checked with the scheduler's own Filter plugins.
//! Upstream: cluster-autoscaler/simulator (ClusterSnapshot, PredicateChecker).

use crate::control::cluster_autoscaler::config::NodePool;
use crate::control::scheduler::config::SchedulerConfig;
use crate::control::scheduler::Scheduler;
use crate::engine::{RngStreams, Time};
use crate::model::{Node, NodeId, NodeScalars, PodId, Store};

/// Filter checks over one simulated store. Its caches follow that store's node ids, so a
/// store copied and changed differently needs a simulator of its own.
pub struct Simulator {
    scheduler: Scheduler,
}

impl Simulator {
    pub fn new(config: &SchedulerConfig) -> Self {
        // Filters draw no random numbers; the stream only satisfies the constructor.
        Simulator { scheduler: Scheduler::new(config, RngStreams::new(0).stream("cluster-autoscaler/filters"), false) }
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
    store.add_node(|id| Node {
        pool: Some(pool.name.clone()),
        taints: pool.taints.iter().map(|t| (t.clone(), Time::ZERO)).collect(),
        scalars: NodeScalars::joined(pool.scalar_capacity),
        ..Node::joined(id, name, labels, pool.capacity, Time::ZERO)
    })
}
