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
