//! Pods: the template users write and the live object the store holds.

use super::labels::Labels;
use super::node::NodeId;
use super::resources::{Resources, Scalars, DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST};
use super::taints::Toleration;
use super::workload::{Owner, RsId};
use crate::engine::{Duration, Time};
use std::sync::Arc;

/// Stable identity of a pod for the whole run (never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodId(pub u64);

/// A container's requests: `None` means omitted (which matters for scoring defaults).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub cpu_request_millis: Option<i64>,
    pub memory_request_bytes: Option<i64>,
    /// Requests of the run's scalar resources (ephemeral-storage, hugepages, extended
    /// resources), by [`super::ScalarNames`] slot; zero when not requested.
    pub scalar_requests: Scalars,
    /// How long `lifecycle.preStop` runs (a `sleep N` exec or the `sleep` action); zero
    /// for no hook or one that returns at once.
    pub pre_stop: Duration,
}

/// As derived, but without `scalar_requests` when there are none: the pod-template-hash
/// hashes this text, so templates without scalar resources keep their hash.
impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Container");
        d.field("name", &self.name)
            .field("image", &self.image)
            .field("cpu_request_millis", &self.cpu_request_millis)
            .field("memory_request_bytes", &self.memory_request_bytes);
        if !self.scalar_requests.is_zero() {
            d.field("scalar_requests", &self.scalar_requests);
        }
        d.field("pre_stop", &self.pre_stop).finish()
    }
}

/// A readiness probe's timing (the check itself always succeeds once the container runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Probe {
    pub initial_delay: Duration,
    pub period: Duration,
    pub success_threshold: u32,
}

/// The parts of a pod spec that change placement, timing or traffic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodSpec {
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub node_selector: Labels,
    pub node_name: Option<String>,
    pub tolerations: Vec<Toleration>,
    pub readiness_probe: Option<Probe>,
    /// `spec.priority` as written (0 when absent): the Priority admission plugin sets the
    /// pod's real priority ([`Pod::priority`]) when the pod is created.
    pub priority: i32,
    pub priority_class_name: Option<String>,
    pub affinity: super::Affinity,
    pub topology_spread: Vec<super::TopologySpreadConstraint>,
    /// `terminationGracePeriodSeconds` (default 30 s).
    pub termination_grace_period: Duration,
}

impl std::hash::Hash for Toleration {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
        (self.operator as u8).hash(state);
        self.value.hash(state);
        self.effect.map(|e| e.as_str()).hash(state);
        self.toleration_seconds.hash(state);
    }
}

/// Upstream: pkg/apis/core/v1/defaults.go (DefaultTerminationGracePeriodSeconds = 30).
pub const DEFAULT_TERMINATION_GRACE_PERIOD: Duration = Duration::from_secs(30);

impl Default for PodSpec {
    fn default() -> Self {
        PodSpec {
            containers: Vec::new(),
            init_containers: Vec::new(),
            node_selector: Labels::default(),
            node_name: None,
            tolerations: Vec::new(),
            readiness_probe: None,
            priority: 0,
            priority_class_name: None,
            affinity: super::Affinity::default(),
            topology_spread: Vec::new(),
            termination_grace_period: DEFAULT_TERMINATION_GRACE_PERIOD,
        }
    }
}

impl PodSpec {
    /// The request the fit filter uses: `max(sum of containers, max of init containers)`.
    /// Upstream: pkg/api/v1/resource/helpers.go (PodRequests); no defaults for omissions.
    pub fn requests(&self) -> Resources {
        self.requests_with(|c| c.cpu_request_millis.unwrap_or(0), |c| c.memory_request_bytes.unwrap_or(0))
    }

    /// The request the resource scores use: an omitted cpu counts 100m, memory 200Mi.
    /// Upstream: pkg/scheduler/util/pod_resources.go (GetNonzeroRequests).
    pub fn nonzero_requests(&self) -> Resources {
        self.requests_with(
            |c| c.cpu_request_millis.unwrap_or(DEFAULT_MILLI_CPU_REQUEST),
            |c| c.memory_request_bytes.unwrap_or(DEFAULT_MEMORY_REQUEST),
        )
    }

    /// The scalar resources' requests, each as [`PodSpec::requests`] counts cpu: the larger
    /// of the containers' sum and the largest init container's.
    /// Upstream: pkg/api/v1/resource/helpers.go (PodRequests).
    pub fn scalar_requests(&self) -> Scalars {
        let mut sum = Scalars::default();
        for c in &self.containers {
            sum += c.scalar_requests;
        }
        for c in &self.init_containers {
            for (s, v) in sum.0.iter_mut().zip(c.scalar_requests.0) {
                *s = (*s).max(v);
            }
        }
        sum
    }

    /// The containers' requests summed, init containers left out: what the Cluster
    /// Autoscaler's estimator and least-waste expander read (upstream sums `Spec.Containers`).
    pub fn container_requests(&self) -> Resources {
        let (cpu, memory) = self
            .containers
            .iter()
            .fold((0, 0), |(c, m), k| (c + k.cpu_request_millis.unwrap_or(0), m + k.memory_request_bytes.unwrap_or(0)));
        Resources::new(cpu, memory, 0)
    }

    fn requests_with(&self, cpu: impl Fn(&Container) -> i64, mem: impl Fn(&Container) -> i64) -> Resources {
        let sum_cpu: i64 = self.containers.iter().map(&cpu).sum();
        let sum_mem: i64 = self.containers.iter().map(&mem).sum();
        let init_cpu = self.init_containers.iter().map(&cpu).max().unwrap_or(0);
        let init_mem = self.init_containers.iter().map(&mem).max().unwrap_or(0);
        Resources::new(sum_cpu.max(init_cpu), sum_mem.max(init_mem), 1)
    }

    /// The first container's image, as `kubectl get` shows it.
    pub fn image(&self) -> &str {
        self.containers.first().map(|c| c.image.as_str()).unwrap_or("")
    }
}

/// `spec.template` of a ReplicaSet or Deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodTemplate {
    pub labels: Labels,
    /// `controller.kubernetes.io/pod-deletion-cost`, 0 when absent.
    pub deletion_cost: i32,
    pub spec: PodSpec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodPhase {
    Pending,
    Running,
    /// Terminal: every container exited 0 (a Job's pod with restartPolicy Never or OnFailure).
    Succeeded,
    /// Terminal: the kubelet refused the pod (admission), or a container of a pod with
    /// restartPolicy Never exited non-zero; it is never started again.
    Failed,
}

/// A live pod.
#[derive(Clone, Debug)]
pub struct Pod {
    pub id: PodId,
    /// Index of the store's pod group (same template and owner).
    pub group: u32,
    pub name: String,
    /// `metadata.namespace`: `(namespace, name)` is the pod's identity.
    pub namespace: super::NamespaceId,
    pub template: Arc<PodTemplate>,
    /// Effective tolerations: the template's plus DefaultTolerationSeconds' additions.
    pub tolerations: Vec<Toleration>,
    /// The controller that owns the pod (none for a bare pod).
    pub owner: Option<Owner>,
    /// `spec.priority` as admitted: its PriorityClass's value, else the global default
    /// class's at creation, else 0.
    pub priority: i32,
    pub requests: Resources,
    pub nonzero_requests: Resources,
    /// The pod's scalar resource requests ([`PodSpec::scalar_requests`]); `None` when it
    /// requests none, as almost every pod.
    pub scalar_requests: Option<Box<Scalars>>,
    pub created: Time,
    pub node: Option<NodeId>,
    pub phase: PodPhase,
    /// The containers really run (false on a dead host even if the API says Running).
    pub containers_running: bool,
    /// The kubelet has this pod: it is starting or running its containers. False until the
    /// node's kubelet sees the binding, and again after the host dies.
    pub kubelet_admitted: bool,
    /// A `spec.nodeName` pod passed its kubelet's admission check (pods placed by the
    /// scheduler never wait for it).
    pub kubelet_accepted: bool,
    /// The kubelet's own readiness verdict for the running containers; the API's `ready`
    /// follows it whenever the kubelet can post status.
    pub kubelet_ready: bool,
    /// The Ready condition as the API shows it.
    pub ready: bool,
    pub ready_since: Option<Time>,
    /// When the Ready condition last changed (its lastTransitionTime).
    pub ready_changed: Time,
    /// When the containers last started (status.startTime for the HPA).
    pub started: Option<Time>,
    /// Set when the pod is being deleted (it no longer counts as active).
    pub deletion: Option<Time>,
    /// The kubelet is stopping the containers of this Terminating pod (preStop, SIGTERM,
    /// grace period): `world/termination.rs` finishes it.
    pub stopping: bool,
    /// Bumped each time the kubelet (re)starts the containers, so stale timers are ignored.
    pub incarnation: u32,
    pub restarts: u32,
}

impl Pod {
    /// The owning ReplicaSet, if a ReplicaSet owns the pod.
    pub fn replica_set(&self) -> Option<RsId> {
        self.owner.and_then(Owner::replica_set)
    }

    /// A DaemonSet's pod (drains and the Cluster Autoscaler leave these on their node).
    pub fn is_daemon(&self) -> bool {
        matches!(self.owner, Some(Owner::DaemonSet(_)))
    }

    /// Active in the ReplicaSet sense: not being deleted and not terminal.
    /// Upstream: pkg/controller/controller_utils.go (IsPodActive).
    pub fn is_active(&self) -> bool {
        self.deletion.is_none() && !self.is_terminal()
    }

    /// Succeeded or Failed: the pod never runs again.
    pub fn is_terminal(&self) -> bool {
        matches!(self.phase, PodPhase::Succeeded | PodPhase::Failed)
    }

    /// A `spec.nodeName` pod its kubelet has not admitted yet: bound in the API, not yet
    /// checked against what the node runs.
    pub fn awaits_kubelet_admission(&self) -> bool {
        self.template.spec.node_name.is_some() && !self.kubelet_accepted && !self.is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(cpu: Option<i64>, mem: Option<i64>) -> Container {
        Container { cpu_request_millis: cpu, memory_request_bytes: mem, ..Container::default() }
    }

    #[test]
    fn requests_take_the_larger_of_containers_and_init_containers() {
        let spec = PodSpec {
            containers: vec![container(Some(100), Some(10)), container(Some(200), None)],
            init_containers: vec![container(Some(500), Some(5))],
            ..PodSpec::default()
        };
        assert_eq!(spec.requests(), Resources::new(500, 10, 1));
        assert_eq!(spec.nonzero_requests(), Resources::new(500, 10 + DEFAULT_MEMORY_REQUEST, 1));
    }

    #[test]
    fn scalar_requests_take_the_larger_of_containers_and_init_containers() {
        let with = |slot: usize, v: i64| {
            let mut c = Container::default();
            c.scalar_requests.0[slot] = v;
            c
        };
        let spec = PodSpec {
            containers: vec![with(1, 1), with(1, 2), with(0, 100)],
            init_containers: vec![with(1, 2), with(0, 500)],
            ..PodSpec::default()
        };
        let s = spec.scalar_requests();
        assert_eq!((s.0[0], s.0[1], s.0[2]), (500, 3, 0));
    }

    #[test]
    fn debug_text_leaves_out_absent_scalar_requests() {
        let plain = container(Some(1), None);
        assert_eq!(
            format!("{plain:?}"),
            "Container { name: \"\", image: \"\", cpu_request_millis: Some(1), memory_request_bytes: None, \
             pre_stop: Duration(0) }"
        );
        let mut gpu = plain.clone();
        gpu.scalar_requests.0[1] = 1;
        assert!(format!("{gpu:?}").contains("scalar_requests: Scalars([0, 1, "));
    }

    #[test]
    fn explicit_zero_is_not_defaulted_for_scoring() {
        let spec = PodSpec { containers: vec![container(Some(0), None)], ..PodSpec::default() };
        assert_eq!(spec.nonzero_requests(), Resources::new(0, DEFAULT_MEMORY_REQUEST, 1));
    }
}
