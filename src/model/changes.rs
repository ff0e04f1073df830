//! What changed in the store, and the figures kept from it, as upstream's informers feed
//! their controllers' work queues: every pod write is noted; [`super::Store::account`]
//! folds the noted pods into per-ReplicaSet and per-node counts and queues the keys each
//! consumer must look at. Nothing here scans all pods or all nodes.

use super::node::NodeId;
use super::pod::{Pod, PodId};
use super::workload::{CronJobId, DaemonSetId, DeploymentId, JobId, Owner, RsId};
use crate::engine::Time;
use std::collections::BTreeSet;

/// What one pod adds to the counts of its ReplicaSet and node, as last accounted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodFacts {
    pub exists: bool,
    pub owner: Option<Owner>,
    pub node: Option<NodeId>,
    /// Not being deleted.
    pub active: bool,
    pub ready: bool,
    pub ready_since: Option<Time>,
    pub running: bool,
}

impl PodFacts {
    pub fn of(p: &Pod) -> PodFacts {
        PodFacts {
            exists: true,
            owner: p.owner,
            node: p.node,
            active: p.is_active(),
            ready: p.ready,
            ready_since: p.ready_since,
            running: p.containers_running,
        }
    }
}

/// Counts over a ReplicaSet's pods, kept incrementally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RsCounts {
    /// Pods not being deleted (`status.replicas`).
    pub active: u32,
    /// Active and Ready (`status.readyReplicas`).
    pub ready: u32,
    /// Active, Ready and with a ready time: available when minReadySeconds is 0.
    pub ready_since: u32,
}

/// Counts over a node's pods, kept incrementally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeCounts {
    /// Bound pods not being deleted.
    pub active: u32,
    /// Pods whose containers run there.
    pub running: u32,
}

/// The work queues the store fills for its consumers. Each consumer takes its own set
/// (in key order, so runs stay deterministic) when it runs.
#[derive(Clone, Debug, Default)]
pub struct WorkQueues {
    /// ReplicaSets whose spec or pods changed (the ReplicaSet controller).
    pub replica_sets: BTreeSet<RsId>,
    /// Deployments whose spec, ReplicaSets or pods changed (the Deployment controller).
    pub deployments: BTreeSet<DeploymentId>,
    /// Deployments whose figures may have changed (the time series).
    pub observed_deployments: BTreeSet<DeploymentId>,
    /// Nodes whose pod counts may have changed (the time series).
    pub observed_nodes: BTreeSet<NodeId>,
    /// DaemonSets whose spec or pods changed (the DaemonSet controller).
    pub daemon_sets: BTreeSet<DaemonSetId>,
    /// (DaemonSet, node) pairs whose daemon pods changed: the node each was made for.
    pub daemon_pods: BTreeSet<(DaemonSetId, NodeId)>,
    /// Nodes that joined, left or changed (labels, taints, conditions): every DaemonSet
    /// looks at them again (upstream's addNode/updateNode handlers).
    pub daemon_nodes: BTreeSet<NodeId>,
    /// Jobs whose spec, status or pods changed (the Job controller).
    pub jobs: BTreeSet<JobId>,
    /// CronJobs whose spec or Jobs changed, or whose schedule is due (the CronJob controller).
    pub cron_jobs: BTreeSet<CronJobId>,
    /// Pods whose endpoint facts changed (the endpoints view of each Service).
    pub endpoints: BTreeSet<PodId>,
}

/// Per-pod facts and the counts kept from them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Pods written since the last [`super::Store::account`] (may repeat).
    pub(super) noted: Vec<PodId>,
    /// Per pod id: the facts last accounted.
    pub(super) facts: Vec<PodFacts>,
    pub(super) rs: Vec<RsCounts>,
    /// Per DaemonSet, the same counts over its pods.
    pub(super) ds: Vec<RsCounts>,
    /// Per Job, the same counts over its pods.
    pub(super) jobs: Vec<RsCounts>,
    pub(super) nodes: Vec<NodeCounts>,
}

impl Tally {
    /// Applies `sign` times a pod's facts to the counts.
    pub(super) fn add(&mut self, f: &PodFacts, sign: i32) {
        if !f.exists {
            return;
        }
        let step = |n: &mut u32, on: bool| {
            if on {
                *n = n.checked_add_signed(sign).expect("pod count underflow");
            }
        };
        if let Some(owner) = f.owner {
            let (counts, i) = match owner {
                Owner::ReplicaSet(rs) => (&mut self.rs, rs.0 as usize),
                Owner::DaemonSet(ds) => (&mut self.ds, ds.0 as usize),
                Owner::Job(job) => (&mut self.jobs, job.0 as usize),
            };
            if counts.len() <= i {
                counts.resize(i + 1, RsCounts::default());
            }
            let c = &mut counts[i];
            step(&mut c.active, f.active);
            step(&mut c.ready, f.active && f.ready);
            step(&mut c.ready_since, f.active && f.ready && f.ready_since.is_some());
        }
        if let Some(node) = f.node {
            let i = node.0 as usize;
            if self.nodes.len() <= i {
                self.nodes.resize(i + 1, NodeCounts::default());
            }
            let c = &mut self.nodes[i];
            step(&mut c.active, f.active);
            step(&mut c.running, f.running);
        }
    }
}
