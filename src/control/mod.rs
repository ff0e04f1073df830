//! The controllers: the real policy code. Each reads the store and returns decisions as
//! data; the actuator (`world`) applies them.
//!
//! Architecture invariant: controllers never mutate the store. They may keep their own
//! working state (queues, rate limiters), as upstream controllers do.

pub mod autoscaler;
pub mod cluster_autoscaler;
pub mod cron;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod hpa;
pub mod job;
pub mod kubelet_admission;
mod naming;
pub mod node_lifecycle;
pub mod pdb;
pub mod replicaset;
pub mod rollout;
pub mod scheduler;
pub mod taint_eviction;

pub use naming::{pod_name_suffix, pod_template_hash};

use crate::engine::Time;
use crate::model::{DaemonSetId, DeploymentId, NodeCondition, NodeId, PodId, PodTemplate, RsId, Taint, TaintEffect};
use std::sync::Arc;

/// Why a pod went away, as `pod_terminated` events report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TerminationReason {
    ScaledDown,
    Replaced,
    Deleted,
    Evicted,
    NodeLost,
    Drained,
    Preempted,
}

impl TerminationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            TerminationReason::ScaledDown => "scaled_down",
            TerminationReason::Replaced => "replaced",
            TerminationReason::Deleted => "deleted",
            TerminationReason::Evicted => "evicted",
            TerminationReason::NodeLost => "node_lost",
            TerminationReason::Drained => "drained",
            TerminationReason::Preempted => "preempted",
        }
    }
}

/// One node's scores: each plugin's weighted score and their total.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeScores {
    pub node: NodeId,
    pub plugins: Vec<(&'static str, i64)>,
    pub total: i64,
}

/// Per-node, per-plugin scores behind a scheduling decision (`--explain`), in node order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScoreTable {
    pub nodes: Vec<NodeScores>,
}

/// One thing a controller wants done.
#[derive(Clone, Debug)]
pub enum Decision {
    CreateReplicaSet {
        deployment: DeploymentId,
        template: Arc<PodTemplate>,
        hash: String,
        revision: u64,
        replicas: u32,
        /// desired-replicas and max-replicas annotations.
        desired: i32,
        max: i32,
    },
    ScaleReplicaSet {
        rs: RsId,
        replicas: u32,
        desired: i32,
        max: i32,
    },
    /// An old ReplicaSet becomes the new one again (rollback): it takes the next revision.
    SetRevision {
        rs: RsId,
        revision: u64,
    },
    /// History cleanup beyond revisionHistoryLimit.
    DeleteReplicaSet {
        rs: RsId,
    },
    /// The HPA (or another scaler) sets a Deployment's replicas.
    ScaleDeployment {
        deployment: DeploymentId,
        replicas: u32,
        by: &'static str,
    },
    ReportRollout {
        deployment: DeploymentId,
        revision: u64,
        report: deployment::RolloutReport,
    },
    CreatePods {
        rs: RsId,
        count: u32,
    },
    /// A DaemonSet's pod for one node (from its current revision).
    CreateDaemonPod {
        ds: DaemonSetId,
        node: NodeId,
    },
    DeletePod {
        pod: PodId,
        reason: TerminationReason,
    },
    Bind {
        pod: PodId,
        node: NodeId,
        scores: Option<ScoreTable>,
    },
    Unschedulable {
        pod: PodId,
        reason: String,
    },
    /// Evict `victims` so that `pod` fits on `node` (DefaultPreemption).
    Preempt {
        pod: PodId,
        node: NodeId,
        victims: Vec<PodId>,
    },
    SetNodeCondition {
        node: NodeId,
        condition: NodeCondition,
    },
    AddTaint {
        node: NodeId,
        taint: Taint,
    },
    RemoveTaint {
        node: NodeId,
        key: &'static str,
        effect: TaintEffect,
    },
    /// Pods on a node that stopped reporting are marked not ready (they leave endpoints).
    MarkPodsNotReady {
        node: NodeId,
    },
    /// The taint-eviction controller deletes `pod` at `at` unless the taint is gone by then.
    ScheduleEviction {
        pod: PodId,
        node: NodeId,
        at: Time,
        taint_added: Time,
    },
}
