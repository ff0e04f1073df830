//! The scheduler's settings (KubeSchedulerConfiguration's profile, plugins and
//! percentageOfNodesToScore), as `scenario/` builds them (one way: the scenario depends on
//! this module).

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

/// KubeSchedulerConfiguration-style changes to the policy's profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileOverrides {
    /// `plugins.score.enabled`: (plugin, weight).
    pub score_enabled: Vec<(String, i64)>,
    /// `plugins.score.disabled` (`*` = all).
    pub score_disabled: Vec<String>,
    /// `plugins.filter.disabled`.
    pub filter_disabled: Vec<String>,
    pub fit_strategy: Option<FitStrategyConfig>,
    /// PodTopologySpread defaults: `Some(None)` System, `Some(Some(list))` List.
    pub spread_defaults: Option<Option<Vec<crate::model::TopologySpreadConstraint>>>,
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
/// Filter plugins a profile may disable.
pub const FILTER_PLUGINS: &[&str] = &[
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodeResourcesFit",
    "PodTopologySpread",
    "InterPodAffinity",
];

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
