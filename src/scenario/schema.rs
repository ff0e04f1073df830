//! The typed scenario: what `load` produces once every check passed and defaults are in.

use super::diag::Span;
use crate::engine::Duration;
use crate::model::{DeploymentStrategy, LabelSelector, Labels, PodTemplate, Resources, ScalarNames, Scalars, Taint};
use std::path::PathBuf;
use std::sync::Arc;

pub use crate::control::autoscaler::HpaObject;
pub use crate::control::cluster_autoscaler::config::{
    ClusterAutoscalerConfig, Distribution, Expander, NodePool, PoolLimits, ResourceRange,
};
pub use crate::control::scheduler::config::{
    FitStrategyConfig, PluginSet, ProfileOverrides, SchedulerConfig, SchedulerPolicy, FILTER_NEEDS_PRE_FILTER,
    FILTER_PLUGINS, POST_FILTER_PLUGINS, PRE_FILTER_PLUGINS, PRE_SCORE_PLUGINS, SCORE_NEEDS_PRE_SCORE, SCORE_PLUGINS,
};

/// A whole scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub duration: Duration,
    pub source: PathBuf,
    pub cluster: ClusterSpec,
    pub control_plane: ControlPlane,
    pub objects: Vec<Object>,
    pub timeline: Vec<TimedAction>,
    pub expect: Vec<(Expectation, super::diag::Span)>,
    /// How each Deployment's pods serve requests (by Deployment name).
    pub serving: std::collections::BTreeMap<String, crate::traffic::ServingProfile>,
    pub traffic: Vec<TrafficEntry>,
    /// The `faults:` section (scenario/ops.rs).
    pub faults: Vec<super::ops::FaultSpec>,
    /// What the slots of every `Scalars` in the scenario name (ephemeral-storage first).
    pub scalar_names: ScalarNames,
    /// `start:`: the wall-clock time of t=0, Unix ns (CronJob schedules run on it).
    pub start_unix: i64,
    /// How long each Job's pods run and how often they fail (by Job or CronJob name).
    pub running: std::collections::BTreeMap<String, RunningProfile>,
}

/// `running.<job or cronjob>`: each pod of the Job runs this long, then exits; it fails
/// (a non-zero exit) with probability `failure_rate`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningProfile {
    pub duration: Distribution,
    pub failure_rate: f64,
}

/// Requests offered to one Service.
#[derive(Clone, Debug)]
pub struct TrafficEntry {
    pub service: String,
    pub balancing: crate::traffic::LoadBalancing,
    pub rate: crate::traffic::RateCurve,
}

#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub masters: u32,
    pub node_pools: Vec<NodePool>,
}

/// Control-plane settings; every default is the Kubernetes default.
#[derive(Clone, Debug)]
pub struct ControlPlane {
    /// kube-controller-manager --node-monitor-grace-period (50 s since v1.32).
    pub node_monitor_grace_period: Duration,
    /// kube-controller-manager --node-monitor-period (5 s).
    pub node_monitor_period: Duration,
    /// kube-controller-manager --node-startup-grace-period (60 s).
    pub node_startup_grace_period: Duration,
    /// kube-controller-manager --node-eviction-rate (0.1 nodes/s per zone).
    pub node_eviction_rate: f64,
    /// kubelet lease renewal / status update interval (10 s).
    pub node_status_update_frequency: Duration,
    /// DefaultTolerationSeconds for not-ready (300 s).
    pub not_ready_toleration_seconds: u64,
    /// DefaultTolerationSeconds for unreachable (300 s).
    pub unreachable_toleration_seconds: u64,
    pub hpa_sync_period: Duration,
    pub scheduler: SchedulerConfig,
    /// Time from binding to running containers (image pull + start).
    pub pod_startup: Distribution,
    /// Time an app takes to exit after SIGTERM (0: at once).
    pub pod_shutdown: Distribution,
    pub cluster_autoscaler: ClusterAutoscalerConfig,
}

impl Default for ControlPlane {
    fn default() -> Self {
        ControlPlane {
            node_monitor_grace_period: Duration::from_secs(50),
            node_monitor_period: Duration::from_secs(5),
            node_startup_grace_period: Duration::from_secs(60),
            node_eviction_rate: 0.1,
            node_status_update_frequency: Duration::from_secs(10),
            not_ready_toleration_seconds: 300,
            unreachable_toleration_seconds: 300,
            hpa_sync_period: Duration::from_secs(15),
            scheduler: SchedulerConfig::default(),
            pod_startup: Distribution::Constant(Duration::from_secs(2)),
            pod_shutdown: Distribution::Constant(Duration::ZERO),
            cluster_autoscaler: ClusterAutoscalerConfig::default(),
        }
    }
}

/// A Kubernetes object from the manifests, applied at t=0 in order.
#[derive(Clone, Debug)]
pub enum Object {
    Deployment(DeploymentObject),
    ReplicaSet(ReplicaSetObject),
    Pod(PodObject),
    Service(ServiceObject),
    Node(NodeObject),
    PriorityClass(PriorityClassObject),
    PodDisruptionBudget(PdbObject),
    HorizontalPodAutoscaler(HpaObject),
    Namespace(NamespaceObject),
    DaemonSet(DaemonSetObject),
    Job(JobObject),
    CronJob(CronJobObject),
}

/// `v1` Namespace: its labels are what affinity terms' `namespaceSelector` matches.
/// Objects in a namespace without a Namespace object are accepted (the namespace is
/// created with only its name label).
#[derive(Clone, Debug)]
pub struct NamespaceObject {
    pub name: String,
    pub labels: Labels,
}

/// `policy/v1` PodDisruptionBudget and the namespace its selector looks in.
#[derive(Clone, Debug)]
pub struct PdbObject {
    pub namespace: String,
    pub budget: crate::model::PodDisruptionBudget,
}

/// `apps/v1` DaemonSet.
#[derive(Clone, Debug)]
pub struct DaemonSetObject {
    pub name: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: String,
    pub selector: LabelSelector,
    pub template: Arc<PodTemplate>,
    pub strategy: crate::model::DaemonSetStrategy,
    pub min_ready_seconds: Duration,
    pub revision_history_limit: u32,
}

/// `batch/v1` Job.
#[derive(Clone, Debug)]
pub struct JobObject {
    pub name: String,
    pub spec: crate::model::JobSpec,
}

/// `batch/v1` CronJob, defaults filled in.
// Upstream: pkg/apis/batch/v1/defaults.go (SetDefaults_CronJob: Allow, history 3 and 1).
#[derive(Clone, Debug)]
pub struct CronJobObject {
    pub name: String,
    pub schedule: String,
    pub time_zone: Option<String>,
    pub concurrency: crate::model::ConcurrencyPolicy,
    pub starting_deadline_seconds: Option<i64>,
    pub successful_history: u32,
    pub failed_history: u32,
    pub suspend: bool,
    pub job_labels: Labels,
    pub job_spec: crate::model::JobSpec,
}

/// `scheduling.k8s.io/v1` PriorityClass.
#[derive(Clone, Debug)]
pub struct PriorityClassObject {
    pub name: String,
    pub value: i32,
    pub global_default: bool,
}

#[derive(Clone, Debug)]
pub struct DeploymentObject {
    pub name: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: String,
    pub replicas: u32,
    pub selector: LabelSelector,
    pub template: Arc<PodTemplate>,
    pub strategy: DeploymentStrategy,
    pub min_ready_seconds: Duration,
    pub revision_history_limit: u32,
    pub progress_deadline: Duration,
    pub paused: bool,
}

#[derive(Clone, Debug)]
pub struct ReplicaSetObject {
    pub name: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: String,
    pub replicas: u32,
    pub selector: LabelSelector,
    pub template: Arc<PodTemplate>,
}

#[derive(Clone, Debug)]
pub struct PodObject {
    pub name: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: String,
    pub template: Arc<PodTemplate>,
}

#[derive(Clone, Debug)]
pub struct ServiceObject {
    pub name: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: String,
    pub selector: LabelSelector,
}

#[derive(Clone, Debug)]
pub struct NodeObject {
    pub name: String,
    pub labels: Labels,
    pub allocatable: Resources,
    /// ephemeral-storage, hugepages and extended resources, by `Scenario::scalar_names`.
    pub scalar_allocatable: Scalars,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
}

/// A timeline action at a virtual time.
#[derive(Clone, Debug)]
pub struct TimedAction {
    pub at: Duration,
    pub action: Action,
    pub span: Span,
}

/// What the operator does, named after kubectl / kubeadm verbs.
#[derive(Clone, Debug)]
pub enum Action {
    /// kubeadm join: `count` new nodes in `pool`.
    Join {
        pool: String,
        count: u32,
    },
    /// The host dies: no heartbeats, its containers are gone.
    CrashNode(String),
    /// The host boots again and its kubelet rejoins.
    RecoverNode(String),
    /// kubectl scale deployment.
    Scale {
        deployment: String,
        replicas: u32,
    },
    /// kubectl delete pod: a pod name, or one pod of the named Deployment/ReplicaSet.
    DeletePod(String),
    Cordon(String),
    Uncordon(String),
    /// kubectl set image deployment/NAME CONTAINER=IMAGE (the first container if unnamed).
    SetImage {
        deployment: String,
        container: Option<String>,
        image: String,
    },
    /// kubectl rollout undo [--to-revision=N] (0 = the previous revision).
    RolloutUndo {
        deployment: String,
        to_revision: i64,
    },
    RolloutPause(String),
    RolloutResume(String),
    /// Drives the HPA's CPU reading for a Deployment's pods directly.
    SetMetric {
        deployment: String,
        cpu_utilization: f64,
        for_: Duration,
    },
    /// kubectl apply -f FILE: objects decoded when the scenario was loaded.
    Apply {
        file: String,
        objects: Vec<Object>,
    },
    /// The node's kubelet loses the masters for `duration` (None: to the end of the run);
    /// its containers keep running.
    PartitionNode {
        node: String,
        duration: Option<Duration>,
    },
    /// Master K (1-based) dies / comes back.
    CrashMaster(u32),
    RecoverMaster(u32),
    /// kubectl drain NODE [--timeout=T] [--force]: cordon, then evict every pod through the
    /// eviction API, retrying refusals every 5 s.
    Drain {
        node: String,
        timeout: Option<Duration>,
        force: bool,
        /// kubectl's `--ignore-daemonsets`: DaemonSet pods stay (without it they fail the drain).
        ignore_daemon_sets: bool,
    },
}

impl Action {
    /// The verb as written in the scenario.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Join { .. } => "join",
            Action::CrashNode(_) => "crashNode",
            Action::RecoverNode(_) => "recoverNode",
            Action::Scale { .. } => "scale",
            Action::DeletePod(_) => "deletePod",
            Action::Cordon(_) => "cordon",
            Action::Uncordon(_) => "uncordon",
            Action::SetImage { .. } => "setImage",
            Action::RolloutUndo { .. } => "rolloutUndo",
            Action::RolloutPause(_) => "rolloutPause",
            Action::RolloutResume(_) => "rolloutResume",
            Action::Apply { .. } => "apply",
            Action::SetMetric { .. } => "setMetric",
            Action::PartitionNode { .. } => "partitionNode",
            Action::CrashMaster(_) => "crashMaster",
            Action::RecoverMaster(_) => "recoverMaster",
            Action::Drain { .. } => "drain",
        }
    }

    /// A one-line description for event logs and plot markers.
    pub fn describe(&self) -> String {
        match self {
            Action::Join { pool, count } => format!("join {count} x {pool}"),
            Action::Scale { deployment, replicas } => format!("scale {deployment} to {replicas}"),
            Action::SetImage { deployment, image, .. } => format!("setImage {deployment} {image}"),
            Action::RolloutUndo { deployment, to_revision: 0 } => format!("rolloutUndo {deployment}"),
            Action::RolloutUndo { deployment, to_revision } => format!("rolloutUndo {deployment} to {to_revision}"),
            Action::Apply { file, .. } => format!("apply {file}"),
            Action::SetMetric { deployment, cpu_utilization, .. } => {
                format!("setMetric {deployment} cpu {}%", cpu_utilization * 100.0)
            }
            Action::PartitionNode { node, duration: Some(d) } => {
                format!("partitionNode {node} for {}", super::format_duration_nanos(d.as_nanos() as i64))
            }
            Action::PartitionNode { node: n, .. } | Action::Drain { node: n, .. } => format!("{} {n}", self.verb()),
            Action::CrashMaster(k) | Action::RecoverMaster(k) => format!("{} {k}", self.verb()),
            Action::RolloutPause(n) | Action::RolloutResume(n) => format!("{} {n}", self.verb()),
            Action::CrashNode(n)
            | Action::RecoverNode(n)
            | Action::DeletePod(n)
            | Action::Cordon(n)
            | Action::Uncordon(n) => {
                format!("{} {n}", self.verb())
            }
        }
    }
}

/// Whether a traffic expectation counts the Service's warm-up: the time before its first
/// ready endpoint, when every request is dropped for want of one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Warmup {
    /// Count from `from` (t=0 by default), warm-up included.
    #[default]
    Include,
    /// Count from the first ready endpoint (or `from`, whichever is later).
    Exclude,
}

impl Warmup {
    pub const NAMES: [&'static str; 2] = ["include", "exclude"];
}

/// A condition checked after the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// Ready replicas reach `at_least` by `by` and stay there until `to` (the end by default).
    ReadyReplicas { deployment: String, at_least: u32, by: Duration, to: Duration },
    /// From `by` on, no pod waits unscheduled.
    AllPodsScheduled { by: Duration },
    /// No pod runs on `node` (and none is bound to it) during [from, to].
    NoPodOn { node: String, from: Duration, to: Duration },
    /// The rollout of `revision` completed by `by`.
    RolloutComplete { deployment: String, revision: u64, by: Duration },
    /// served / offered over [from, to] (whole run by default) is at least `min`; with
    /// `warmup: exclude` counting starts at the Service's first ready endpoint at the earliest.
    Availability { service: String, min: f64, from: Duration, to: Duration, warmup: Warmup },
    /// Latency percentiles of served requests over [from, to] stay within the bounds.
    Latency {
        service: String,
        p50: Option<Duration>,
        p99: Option<Duration>,
        from: Duration,
        to: Duration,
        warmup: Warmup,
    },
    /// The pool's node count stays within the bounds over [from, to].
    PoolSize { pool: String, at_least: Option<u32>, at_most: Option<u32>, from: Duration, to: Duration },
    /// The run's cost (node-hours times `costPerHour`), of one pool or all, is at most `max`.
    Cost { pool: Option<String>, max: f64 },
    /// The Job completed by `by`; for a CronJob, every Job it created by `by` (at least
    /// one) completed by then.
    JobComplete { job: String, by: Duration },
}
