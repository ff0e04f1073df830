//! Nodes: capacity, conditions, taints, and the sums of what is bound to them.

use super::labels::Labels;
use super::pod::PodId;
use super::resources::{Resources, Scalars};
use super::taints::Taint;
use crate::engine::{Duration, Time};
use std::collections::BTreeSet;

/// Index of a node in the store's node vector (never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// The labels a kubelet registers its node with (`kubernetes.io/hostname: <name>`,
/// `kubernetes.io/os: linux`, `kubernetes.io/arch: amd64`), under `labels` (the node's own,
/// as `--node-labels`, which win).
/// Upstream: pkg/kubelet/kubelet_node_status.go (initialNode) and k8s.io/api/core/v1 well_known_labels.go.
pub fn with_well_known_labels(mut labels: Labels, name: &str) -> Labels {
    for (key, value) in [(LABEL_HOSTNAME, name), (LABEL_OS, "linux"), (LABEL_ARCH, "amd64")] {
        if !labels.contains_key(key) {
            labels.insert(key.to_string(), value.to_string());
        }
    }
    labels
}

/// Upstream: k8s.io/api/core/v1 well_known_labels.go (LabelHostname).
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// Upstream: k8s.io/api/core/v1 well_known_labels.go (LabelOSStable).
pub const LABEL_OS: &str = "kubernetes.io/os";
/// Upstream: k8s.io/api/core/v1 well_known_labels.go (LabelArchStable).
pub const LABEL_ARCH: &str = "kubernetes.io/arch";

/// The node's Ready condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeCondition {
    Ready,
    NotReady,
    /// The controller stopped hearing from the kubelet.
    Unknown,
}

/// A node and its kubelet.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Node {
    pub id: NodeId,
    pub allocatable: Resources,
    /// Sum of the requests of bound pods (assumed pods count).
    pub requested: Resources,
    /// Same with scoring defaults for omitted requests.
    pub nonzero_requested: Resources,
    pub name: String,
    pub pool: Option<String>,
    pub labels: Labels,
    /// Taints with the time each was added (the taint-eviction clock starts there).
    pub taints: Vec<(Taint, Time)>,
    /// `spec.unschedulable` (cordon).
    pub unschedulable: bool,
    /// The host is running (false after a crash).
    pub host_up: bool,
    /// The kubelet can reach the API server.
    pub connected: bool,
    pub condition: NodeCondition,
    pub joined: Time,
    /// When the kubelet last (re)started: heartbeats are on a grid from here.
    pub kubelet_started: Time,
    /// The last heartbeat, frozen when the host died or was cut off.
    pub heartbeat_frozen_at: Option<Time>,
    pub pods: BTreeSet<PodId>,
    /// Scalar resources (ephemeral-storage, hugepages, extended resources): `None` on a
    /// node that has none and runs no pod requesting any.
    pub scalars: Option<Box<NodeScalars>>,
}

/// A node's scalar resources, by the run's [`super::ScalarNames`] slots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeScalars {
    pub allocatable: Scalars,
    /// Sum of the scalar requests of bound pods (as `Node::requested`).
    pub requested: Scalars,
}

impl NodeScalars {
    /// A joining node's scalar resources (`None` when it has none).
    pub fn joined(allocatable: Scalars) -> Option<Box<NodeScalars>> {
        (!allocatable.is_zero()).then(|| Box::new(NodeScalars { allocatable, requested: Scalars::default() }))
    }
}

impl Node {
    /// A Ready node that joined at `now` with nothing bound to it: no pool, taints or
    /// cordon (set those with struct update syntax).
    pub fn joined(id: NodeId, name: String, labels: Labels, allocatable: Resources, now: Time) -> Node {
        Node {
            id,
            allocatable,
            requested: Resources::default(),
            nonzero_requested: Resources::default(),
            name,
            pool: None,
            labels,
            taints: Vec::new(),
            unschedulable: false,
            host_up: true,
            connected: true,
            condition: NodeCondition::Ready,
            joined: now,
            kubelet_started: now,
            heartbeat_frozen_at: None,
            pods: BTreeSet::new(),
            scalars: None,
        }
    }

    /// The node's scalar allocatable (zero for a node without scalar resources).
    pub fn scalar_allocatable(&self) -> Scalars {
        self.scalars.as_ref().map_or_else(Scalars::default, |s| s.allocatable)
    }

    /// The scalar requests of the pods bound to the node.
    pub fn scalar_requested(&self) -> Scalars {
        self.scalars.as_ref().map_or_else(Scalars::default, |s| s.requested)
    }

    /// Adds a pod's requests to the node's sums (not the scoring sums): `scalars` are its
    /// scalar requests, if any.
    pub fn add_requests(&mut self, requests: Resources, scalars: Option<&Scalars>) {
        self.requested += requests;
        if let Some(s) = scalars {
            self.scalars.get_or_insert_with(Box::default).requested += *s;
        }
    }

    /// Takes a pod's requests off the node's sums (the inverse of [`Node::add_requests`]).
    pub fn remove_requests(&mut self, requests: Resources, scalars: Option<&Scalars>) {
        self.requested -= requests;
        if let Some(s) = scalars {
            self.scalars.get_or_insert_with(Box::default).requested -= *s;
        }
    }

    /// Whether the kubelet is posting status now.
    pub fn kubelet_reporting(&self) -> bool {
        self.host_up && self.connected
    }

    /// The last heartbeat the control plane received by `now`: the kubelet renews its
    /// lease on a fixed grid from its start (every `period`), and stops when cut off.
    pub fn last_heartbeat(&self, now: Time, period: Duration) -> Time {
        if let Some(frozen) = self.heartbeat_frozen_at {
            return frozen;
        }
        let period = period.as_nanos().max(1);
        let since = now.since(self.kubelet_started).as_nanos();
        self.kubelet_started + Duration(since / period * period)
    }

    pub fn has_taint(&self, key: &str, effect: super::TaintEffect) -> bool {
        self.taints.iter().any(|(t, _)| t.key == key && t.effect == effect)
    }

    /// Room left for requests.
    pub fn free(&self) -> Resources {
        self.allocatable - self.requested
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_labels_fill_in_under_the_nodes_own() {
        let own: Labels = [("kubernetes.io/arch".to_string(), "arm64".to_string())].into();
        let labels = with_well_known_labels(own, "gpu-1");
        assert_eq!(labels.get(LABEL_HOSTNAME).map(String::as_str), Some("gpu-1"));
        assert_eq!(labels.get(LABEL_OS).map(String::as_str), Some("linux"));
        assert_eq!(labels.get(LABEL_ARCH).map(String::as_str), Some("arm64"), "the node's own label wins");
        let own: Labels = [(LABEL_HOSTNAME.to_string(), "ip-10-0-1-7".to_string())].into();
        assert_eq!(with_well_known_labels(own, "ip-10-0-1-7.ec2.internal")[LABEL_HOSTNAME], "ip-10-0-1-7");
    }
}
