//! The Cluster Autoscaler's settings and the node pools it manages, as `scenario/` builds
//! them (the scenario depends on this module, never the other way round).

use crate::engine::{Duration, RandomStream};
use crate::model::{Labels, Resources, Scalars, Taint};

/// A group of identical nodes named `<pool>-1`, `<pool>-2`, ...
#[derive(Clone, Debug)]
pub struct NodePool {
    pub name: String,
    pub count: u32,
    pub capacity: Resources,
    /// Each node's scalar resources (ephemeral-storage, hugepages, GPUs...), by the run's
    /// `ScalarNames` slots.
    pub scalar_capacity: Scalars,
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
