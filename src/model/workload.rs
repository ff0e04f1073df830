//! Workload objects: ReplicaSets, Deployments and Services.

use super::labels::LabelSelector;
use super::namespace::NamespaceId;
use super::pod::{Pod, PodId, PodTemplate};
use crate::engine::{Duration, Time};
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RsId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeploymentId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DaemonSetId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CronJobId(pub u32);

/// The controller a pod belongs to (its `ownerReferences` entry with `controller: true`).
/// A new workload kind is one variant here plus its controller file in `control/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    ReplicaSet(RsId),
    DaemonSet(DaemonSetId),
    Job(JobId),
}

impl Owner {
    /// The owning ReplicaSet, if the owner is one.
    pub fn replica_set(self) -> Option<RsId> {
        match self {
            Owner::ReplicaSet(rs) => Some(rs),
            _ => None,
        }
    }

    /// The kind as `ownerReferences[].kind` spells it.
    pub fn kind(self) -> &'static str {
        match self {
            Owner::ReplicaSet(_) => "ReplicaSet",
            Owner::DaemonSet(_) => "DaemonSet",
            Owner::Job(_) => "Job",
        }
    }
}

/// A count or a percentage, as in `maxSurge: 25%`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    /// Upstream: staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go
    /// (GetScaledValueFromIntOrPercent): a percent of `total`, rounded up or down.
    pub fn scaled(self, total: i64, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(v) => v,
            IntOrPercent::Percent(p) if round_up => (p * total + 99) / 100,
            IntOrPercent::Percent(p) => p * total / 100,
        }
    }
}

/// `spec.strategy` of a Deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStrategy {
    RollingUpdate { max_surge: IntOrPercent, max_unavailable: IntOrPercent },
    Recreate,
}

/// A ReplicaSet.
#[derive(Clone, Debug)]
pub struct ReplicaSet {
    pub id: RsId,
    pub name: String,
    /// Its pods are created in the same namespace.
    pub namespace: NamespaceId,
    pub deployment: Option<DeploymentId>,
    pub selector: LabelSelector,
    pub template: Arc<PodTemplate>,
    pub template_hash: String,
    pub replicas: u32,
    pub revision: u64,
    /// `deployment.kubernetes.io/desired-replicas` and `max-replicas` annotations.
    pub desired_annotation: Option<i32>,
    pub max_annotation: Option<i32>,
    /// The store's pod group of this ReplicaSet's pods.
    pub group: u32,
    pub created: Time,
    /// Pods owned by this ReplicaSet, including ones being deleted.
    pub pods: BTreeSet<PodId>,
    /// Removed from the API (its pods are gone or orphaned).
    pub deleted: bool,
}

impl ReplicaSet {
    /// A ReplicaSet without a Deployment (revision 0, no annotations, no pods yet) in
    /// `default`, as `kubectl apply` of a bare ReplicaSet makes it; set the rest (the
    /// namespace among them) with struct update syntax.
    pub fn standalone(
        id: RsId,
        group: u32,
        name: String,
        selector: LabelSelector,
        template: Arc<PodTemplate>,
        replicas: u32,
        created: Time,
    ) -> Self {
        ReplicaSet {
            id,
            name,
            namespace: NamespaceId::DEFAULT,
            deployment: None,
            selector,
            template,
            template_hash: String::new(),
            replicas,
            revision: 0,
            desired_annotation: None,
            max_annotation: None,
            group,
            created,
            pods: BTreeSet::new(),
            deleted: false,
        }
    }
}

/// A Deployment.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub id: DeploymentId,
    pub name: String,
    pub namespace: NamespaceId,
    pub replicas: u32,
    pub selector: LabelSelector,
    pub template: Arc<PodTemplate>,
    pub strategy: DeploymentStrategy,
    pub min_ready_seconds: Duration,
    pub revision_history_limit: u32,
    pub progress_deadline: Duration,
    pub paused: bool,
    pub replica_sets: Vec<RsId>,
    /// metadata.generation: bumped by every spec change.
    pub generation: i64,
}

/// A Service: a name and a selector (its endpoints are the ready pods it selects in its
/// namespace).
#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub namespace: NamespaceId,
    pub selector: LabelSelector,
}

impl Service {
    /// Whether the selector picks `pod`: pods of the Service's own namespace only.
    // Upstream: pkg/controller/endpointslice (podLister.Pods(service.Namespace).List(selector)).
    pub fn selects(&self, pod: &Pod) -> bool {
        pod.namespace == self.namespace && self.selector.matches(&pod.template.labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_up_for_surge_and_down_for_unavailable() {
        // Upstream example: 10 replicas, 25% -> surge 3, unavailable 2.
        assert_eq!(IntOrPercent::Percent(25).scaled(10, true), 3);
        assert_eq!(IntOrPercent::Percent(25).scaled(10, false), 2);
        assert_eq!(IntOrPercent::Percent(25).scaled(1, true), 1);
        assert_eq!(IntOrPercent::Percent(25).scaled(1, false), 0);
        assert_eq!(IntOrPercent::Int(4).scaled(10, false), 4);
    }
}

/// `spec.unhealthyPodEvictionPolicy` of a PodDisruptionBudget (unset behaves as
/// IfHealthyBudget).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnhealthyPodEvictionPolicy {
    IfHealthyBudget,
    AlwaysAllow,
}

/// A `policy/v1` PodDisruptionBudget.
#[derive(Clone, Debug, PartialEq)]
pub struct PodDisruptionBudget {
    pub name: String,
    pub namespace: NamespaceId,
    pub selector: LabelSelector,
    pub min_available: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
    pub unhealthy_pod_eviction_policy: Option<UnhealthyPodEvictionPolicy>,
}

impl PodDisruptionBudget {
    /// Whether the budget covers `pod`: pods of its own namespace only.
    // Upstream: pkg/controller/disruption/disruption.go (getPodsForPdb: podLister.Pods(pdb.Namespace)) and
    // pkg/registry/core/pod/storage/eviction.go (getPodDisruptionBudgets lists the pod's namespace).
    pub fn selects(&self, pod: &Pod) -> bool {
        pod.namespace == self.namespace && self.selector.matches(&pod.template.labels)
    }
}
