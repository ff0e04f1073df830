//! DaemonSets: one pod per eligible node. The store keeps which pod runs for which node
//! (each pod is pinned to its node by required node affinity on `metadata.name`, as the
//! DaemonSet controller writes it) and from which revision it was made.

use super::labels::LabelSelector;
use super::node::NodeId;
use super::pod::{PodId, PodTemplate};
use super::workload::{DaemonSetId, IntOrPercent};
use crate::engine::{Duration, Time};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `spec.updateStrategy` of a DaemonSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaemonSetStrategy {
    /// Defaults: maxUnavailable 1, maxSurge 0.
    /// Upstream: pkg/apis/apps/v1/defaults.go (SetDefaults_DaemonSet).
    RollingUpdate {
        max_unavailable: IntOrPercent,
        max_surge: IntOrPercent,
    },
    OnDelete,
}

/// `status` of a DaemonSet as its controller last wrote it.
/// Upstream: pkg/controller/daemon/daemon_controller.go (updateDaemonSetStatus).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DaemonSetStatus {
    /// desiredNumberScheduled: nodes that should run the pod.
    pub desired: u32,
    /// numberReady.
    pub ready: u32,
    /// updatedNumberScheduled: nodes running a pod of the current revision.
    pub updated: u32,
    /// numberAvailable.
    pub available: u32,
}

/// A DaemonSet.
#[derive(Clone, Debug)]
pub struct DaemonSet {
    pub id: DaemonSetId,
    pub name: String,
    /// Its pods are created in the same namespace.
    pub namespace: super::NamespaceId,
    pub selector: LabelSelector,
    /// The current template (the pods' template before the node pin is added).
    pub template: Arc<PodTemplate>,
    pub strategy: DaemonSetStrategy,
    pub min_ready_seconds: Duration,
    /// The current ControllerRevision's number (1 at creation, bumped by every template change).
    pub revision: u64,
    /// Each revision's template, for `rolloutUndo`.
    pub history: BTreeMap<u64, Arc<PodTemplate>>,
    /// The store's pod group of this DaemonSet's pods (shared by every revision: the
    /// labels the scheduler's spreading counts by stay the DaemonSet's).
    pub group: u32,
    pub created: Time,
    /// Pods owned, including Terminating ones: the node each was made for and its revision.
    pub pods: BTreeMap<PodId, (NodeId, u64)>,
    /// The same pods by the node they were made for.
    pub on_node: BTreeMap<NodeId, Vec<PodId>>,
    /// When the last rollout finished (its revision), so it is reported once.
    pub rolled_out: u64,
    pub status: DaemonSetStatus,
}

impl DaemonSet {
    /// The pods made for `node`, oldest first.
    pub fn pods_on(&self, node: NodeId) -> &[PodId] {
        self.on_node.get(&node).map_or(&[], Vec::as_slice)
    }

    pub(super) fn adopt(&mut self, pod: PodId, node: NodeId, revision: u64) {
        self.pods.insert(pod, (node, revision));
        self.on_node.entry(node).or_default().push(pod);
    }

    /// Forgets a removed pod; the node it was made for.
    pub(super) fn release(&mut self, pod: PodId) -> Option<NodeId> {
        let (node, _) = self.pods.remove(&pod)?;
        if let Some(list) = self.on_node.get_mut(&node) {
            list.retain(|p| *p != pod);
            if list.is_empty() {
                self.on_node.remove(&node);
            }
        }
        Some(node)
    }
}
