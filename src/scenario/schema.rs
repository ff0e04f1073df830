//! The typed scenario: what `load` produces once every check passed and defaults are in.

use super::diag::Span;
use crate::engine::{Duration, RandomStream};
use crate::model::{DeploymentStrategy, LabelSelector, Labels, PodTemplate, Resources, Taint};
use std::path::PathBuf;
use std::sync::Arc;

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

/// A group of identical nodes named `<pool>-1`, `<pool>-2`, ...
#[derive(Clone, Debug)]
pub struct NodePool {
    pub name: String,
    pub count: u32,
    pub capacity: Resources,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub cost_per_hour: f64,
    /// Managed by the Cluster Autoscaler between these sizes (`autoscaling: {min, max}`).
    pub autoscaling: Option<PoolLimits>,
    /// From the autoscaler's request to the node joining (VM boot + kubelet join).
    pub provisioning_delay: Distribution,
}

/// A node group's size limits. Upstream: cloudprovider.NodeGroup MinSize/MaxSize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    pub min: u32,
    pub max: u32,
}

/// How the autoscaler picks among node groups that could take the pending pods.
/// Upstream: cluster-autoscaler/expander/{random,waste,mostpods,priority}.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expander {
    Random,
    LeastWaste,
    MostPods,
    /// The pool listed first wins (in place of upstream's priority ConfigMap).
    Priority,
}

impl Expander {
    pub const NAMES: [&'static str; 4] = ["random", "least-waste", "most-pods", "priority"];
}

/// Cluster Autoscaler flags; every default is upstream's.
/// Upstream: cluster-autoscaler/config/autoscaling_options.go and main.go flag defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterAutoscalerConfig {
    /// --scan-interval (10 s).
    pub scan_interval: Duration,
    /// --expander (random).
    pub expander: Expander,
    /// --scale-down-unneeded-time (10 min).
    pub scale_down_unneeded_time: Duration,
    /// --scale-down-unready-time (20 min): how long a node that is not Ready must stay
    /// unneeded before it goes.
    pub scale_down_unready_time: Duration,
    /// --scale-down-delay-after-add (10 min).
    pub scale_down_delay_after_add: Duration,
    /// --scale-down-utilization-threshold (0.5).
    pub scale_down_utilization_threshold: f64,
    /// --max-node-provision-time (15 min).
    pub max_node_provision_time: Duration,
    /// --max-nodes-total (0: no limit): nodes in the cluster, autoscaled or not.
    pub max_nodes_total: u32,
    /// --cores-total (0:320000 cores), in millicores: the cluster's allocatable cpu stays
    /// within it (scale-up stops at max, scale-down at min).
    pub cpu_total: ResourceRange,
    /// --memory-total (0:6400000 GiB), in bytes.
    pub memory_total: ResourceRange,
}

/// A cluster-wide resource limit, `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceRange {
    pub min: i64,
    pub max: i64,
}

impl Default for ClusterAutoscalerConfig {
    fn default() -> Self {
        ClusterAutoscalerConfig {
            scan_interval: Duration::from_secs(10),
            expander: Expander::Random,
            scale_down_unneeded_time: Duration::from_secs(600),
            scale_down_unready_time: Duration::from_secs(1200),
            scale_down_delay_after_add: Duration::from_secs(600),
            scale_down_utilization_threshold: 0.5,
            max_node_provision_time: Duration::from_secs(900),
            max_nodes_total: 0,
            cpu_total: ResourceRange { min: 0, max: 320_000 * 1000 },
            memory_total: ResourceRange { min: 0, max: 6_400_000 << 30 },
        }
    }
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

/// Which placement policy the scheduler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerPolicy {
    /// Upstream's default profile.
    Default,
    /// MostAllocated: fill the fullest feasible node first.
    Binpack,
    /// Each workload's pods per node stay within one.
    Spread,
    /// Any feasible node, uniformly.
    Random,
    /// The next feasible node in turn.
    RoundRobin,
}

impl SchedulerPolicy {
    pub const NAMES: [&'static str; 5] = ["default", "binpack", "spread", "random", "roundRobin"];
}

/// NodeResourcesFit's `scoringStrategy` from a profile's pluginConfig.
#[derive(Clone, Debug, PartialEq)]
pub struct FitStrategyConfig {
    /// LeastAllocated, MostAllocated or RequestedToCapacityRatio.
    pub kind: String,
    pub cpu_weight: i64,
    pub memory_weight: i64,
    /// (utilization 0..100, score 0..10) points for RequestedToCapacityRatio.
    pub shape: Vec<(i64, i64)>,
}

/// One extension point's `enabled` and `disabled` plugins in a KubeSchedulerConfiguration
/// profile (`disabled: [{name: "*"}]` drops every default plugin of the point).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PluginSet {
    /// (plugin, weight): the weight is read at `score` only (None there means 1).
    pub enabled: Vec<(String, Option<i64>)>,
    pub disabled: Vec<String>,
}

/// KubeSchedulerConfiguration-style changes to the policy's profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileOverrides {
    pub pre_filter: PluginSet,
    pub filter: PluginSet,
    pub post_filter: PluginSet,
    pub pre_score: PluginSet,
    pub score: PluginSet,
    pub fit_strategy: Option<FitStrategyConfig>,
    /// PodTopologySpread defaults: `Some(None)` System, `Some(Some(list))` List.
    pub spread_defaults: Option<Option<Vec<crate::model::TopologySpreadConstraint>>>,
}

impl ProfileOverrides {
    /// The set of an extension point by its KubeSchedulerConfiguration key.
    pub fn point(&self, key: &str) -> &PluginSet {
        match key {
            "preFilter" => &self.pre_filter,
            "filter" => &self.filter,
            "postFilter" => &self.post_filter,
            "preScore" => &self.pre_score,
            "score" => &self.score,
            other => panic!("no extension point {other}"),
        }
    }

    pub fn point_mut(&mut self, key: &str) -> &mut PluginSet {
        match key {
            "preFilter" => &mut self.pre_filter,
            "filter" => &mut self.filter,
            "postFilter" => &mut self.post_filter,
            "preScore" => &mut self.pre_score,
            "score" => &mut self.score,
            other => panic!("no extension point {other}"),
        }
    }
}

/// Score plugins a profile may name (the scheduler's tests check each exists).
pub const SCORE_PLUGINS: &[&str] = &[
    "TaintToleration",
    "NodeAffinity",
    "NodeResourcesFit",
    "PodTopologySpread",
    "InterPodAffinity",
    "NodeResourcesBalancedAllocation",
];
/// Filter plugins a profile may name.
pub const FILTER_PLUGINS: &[&str] = &[
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodeResourcesFit",
    "PodTopologySpread",
    "InterPodAffinity",
];
/// Plugins with a PreFilter extension. Upstream: each plugin's PreFilter method.
pub const PRE_FILTER_PLUGINS: &[&str] = &["NodeAffinity", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"];
/// Plugins with a PostFilter extension.
pub const POST_FILTER_PLUGINS: &[&str] = &["DefaultPreemption"];
/// Plugins with a PreScore extension.
pub const PRE_SCORE_PLUGINS: &[&str] = SCORE_PLUGINS;
/// Filters that read what their PreFilter wrote and fail every pod without it (upstream:
/// `error reading "PreFilter<Name>" from cycleState`); NodeAffinity falls back.
pub const FILTER_NEEDS_PRE_FILTER: &[&str] = &["NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"];
/// Scorers that fail without their PreScore; NodeAffinity, NodeResourcesFit and
/// BalancedAllocation compute the same state themselves.
pub const SCORE_NEEDS_PRE_SCORE: &[&str] = &["TaintToleration", "PodTopologySpread", "InterPodAffinity"];

#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    pub policy: SchedulerPolicy,
    /// 0 = upstream's adaptive formula.
    pub percentage_of_nodes_to_score: u32,
    pub overrides: ProfileOverrides,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            policy: SchedulerPolicy::Default,
            percentage_of_nodes_to_score: 0,
            overrides: ProfileOverrides::default(),
        }
    }
}

/// A random (or fixed) duration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Distribution {
    Constant(Duration),
    Exponential {
        mean: Duration,
    },
    /// Log-normal given by its median and 99th percentile.
    LogNormal {
        median: Duration,
        p99: Duration,
    },
    Uniform {
        min: Duration,
        max: Duration,
    },
}

impl Distribution {
    /// Draws one duration from `rng`.
    pub fn sample(&self, rng: &mut RandomStream) -> Duration {
        match *self {
            Distribution::Constant(d) => d,
            Distribution::Exponential { mean } => {
                Duration::from_secs_f64(-mean.as_secs_f64() * rng.next_f64_open0().ln())
            }
            Distribution::LogNormal { median, p99 } => {
                // z(0.99) = 2.3263478740: sigma = ln(p99/median) / z.
                let mu = median.as_secs_f64().ln();
                let sigma = (p99.as_secs_f64() / median.as_secs_f64()).ln() / 2.326_347_874_040_841;
                Duration::from_secs_f64((mu + sigma * rng.standard_normal()).exp())
            }
            Distribution::Uniform { min, max } => {
                let span = max.as_nanos() - min.as_nanos();
                Duration::from_nanos(min.as_nanos() + rng.below(span + 1))
            }
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
    PodDisruptionBudget(crate::model::PodDisruptionBudget),
    HorizontalPodAutoscaler(HpaObject),
}

/// `autoscaling/v2` (or v1) HorizontalPodAutoscaler on CPU utilization.
#[derive(Clone, Debug)]
pub struct HpaObject {
    pub name: String,
    /// The target Deployment.
    pub deployment: String,
    pub min_replicas: i32,
    pub max_replicas: i32,
    /// averageUtilization of the cpu Resource metric (default 80).
    pub target_utilization: i32,
    /// `spec.behavior`, defaulted; None when absent (the legacy path).
    pub behavior: Option<crate::control::hpa::Behavior>,
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
    pub replicas: u32,
    pub selector: LabelSelector,
    pub template: Arc<PodTemplate>,
}

#[derive(Clone, Debug)]
pub struct PodObject {
    pub name: String,
    pub template: Arc<PodTemplate>,
}

#[derive(Clone, Debug)]
pub struct ServiceObject {
    pub name: String,
    pub selector: LabelSelector,
}

#[derive(Clone, Debug)]
pub struct NodeObject {
    pub name: String,
    pub labels: Labels,
    pub allocatable: Resources,
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

/// A condition checked after the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// Ready replicas reach `at_least` by `by` and stay there until the end.
    ReadyReplicas { deployment: String, at_least: u32, by: Duration },
    /// From `by` on, no pod waits unscheduled.
    AllPodsScheduled { by: Duration },
    /// No pod runs on `node` (and none is bound to it) during [from, to].
    NoPodOn { node: String, from: Duration, to: Duration },
    /// The rollout of `revision` completed by `by`.
    RolloutComplete { deployment: String, revision: u64, by: Duration },
    /// served / offered over [from, to] (whole run by default) is at least `min`.
    Availability { service: String, min: f64, from: Duration, to: Duration },
    /// Latency percentiles of served requests over [from, to] stay within the bounds.
    Latency { service: String, p50: Option<Duration>, p99: Option<Duration>, from: Duration, to: Duration },
    /// The pool's node count stays within the bounds over [from, to].
    PoolSize { pool: String, at_least: Option<u32>, at_most: Option<u32>, from: Duration, to: Duration },
    /// The run's cost (node-hours times `costPerHour`), of one pool or all, is at most `max`.
    Cost { pool: Option<String>, max: f64 },
}
