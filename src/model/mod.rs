//! The objects and the store: what etcd would hold, plus the per-node sums the scheduler
//! keeps up to date on bind and unbind.
//!
//! Architecture invariant: the model has no behaviour of its own beyond bookkeeping.
//! Controllers read it and return decisions; only the actuator (`world`) mutates it.

mod affinity;
mod changes;
mod daemonset;
mod job;
mod labels;
mod namespace;
mod node;
mod pod;
mod resources;
mod store;
mod taints;
#[cfg(test)]
pub mod testing;
mod workload;

pub use affinity::{
    Affinity, NodeAffinity, NodeSelectorOp, NodeSelectorRequirement, NodeSelectorTerm, PodAffinityRules,
    PodAffinityTerm, TopologySpreadConstraint, WhenUnsatisfiable,
};
pub use changes::{NodeCounts, RsCounts, WorkQueues};
pub use daemonset::{DaemonSet, DaemonSetStatus, DaemonSetStrategy};
pub use job::{
    CompletionMode, ConcurrencyPolicy, CronJob, GonePod, Job, JobFailure, JobOutcome, JobPod, JobSpec, RestartPolicy,
};
pub use labels::{LabelSelector, Labels, Requirement, SelectorOp};
pub use namespace::{qualified, split_key, NamespaceId, Namespaces, DEFAULT_NAMESPACE, LABEL_METADATA_NAME};
pub use node::{
    with_well_known_labels, Node, NodeCondition, NodeId, NodeScalars, LABEL_ARCH, LABEL_HOSTNAME, LABEL_OS,
};
pub use pod::{Container, Pod, PodId, PodPhase, PodSpec, PodTemplate, Probe, DEFAULT_TERMINATION_GRACE_PERIOD};
pub use resources::{
    Resources, ScalarNames, Scalars, DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, EPHEMERAL_STORAGE,
    MAX_SCALAR_RESOURCES,
};
pub use store::{Family, NodePodCounts, PodGroup, Store};
pub use taints::{
    Taint, TaintEffect, Toleration, TolerationOperator, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
};
pub use workload::{
    CronJobId, DaemonSetId, Deployment, DeploymentId, DeploymentStrategy, IntOrPercent, JobId, Owner,
    PodDisruptionBudget, ReplicaSet, RsId, Service, UnhealthyPodEvictionPolicy,
};

/// Which of the bind checks the scheduler's profile makes binding: a profile without the
/// NodeUnschedulable filter may bind to a cordoned node, one without TaintToleration to a
/// node that is not Ready (its not-ready/unreachable NoSchedule taints are not checked).
#[derive(Clone, Copy, Debug)]
pub struct BindGuards {
    pub cordon: bool,
    pub readiness: bool,
}

impl Default for BindGuards {
    fn default() -> Self {
        BindGuards { cordon: true, readiness: true }
    }
}
