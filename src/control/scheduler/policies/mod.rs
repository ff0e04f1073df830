//! Placement policies: each file builds one profile. Adding a policy means adding a file
//! and one line in `profile_for`.

mod binpack;
mod default;
mod random;
mod round_robin;
mod spread;

use super::plugins::{BalancedAllocation, NodeResourcesFit, PodTopologySpread, ScoringStrategy, ShapePoint};
use super::profile::Profile;
use crate::control::scheduler::plugins::Defaults;
use crate::scenario::{
    FitStrategyConfig, PluginSet, SchedulerConfig, SchedulerPolicy, FILTER_NEEDS_PRE_FILTER, POST_FILTER_PLUGINS,
    PRE_FILTER_PLUGINS, PRE_SCORE_PLUGINS, SCORE_NEEDS_PRE_SCORE,
};

/// The profile for a scenario's scheduler settings: the policy, then any
/// KubeSchedulerConfiguration-style overrides.
pub fn profile_for(config: &SchedulerConfig) -> Profile {
    build(config).0
}

/// The plugins each extension point runs once a profile's `plugins` are merged in.
struct Points {
    pre_filter: Vec<String>,
    filter: Vec<String>,
    pre_score: Vec<String>,
    score: Vec<(String, i64)>,
}

fn build(config: &SchedulerConfig) -> (Profile, Points) {
    let mut profile = match config.policy {
        SchedulerPolicy::Default => default::profile(),
        SchedulerPolicy::Binpack => binpack::profile(),
        SchedulerPolicy::Spread => spread::profile(),
        SchedulerPolicy::Random => random::profile(),
        SchedulerPolicy::RoundRobin => round_robin::profile(),
    };
    // Every plugin a profile may name is in every policy's profile, if only unplaced.
    profile.ensure(Box::new(BalancedAllocation));
    let o = &config.overrides;
    if let Some(fit) = &o.fit_strategy {
        let weights = profile.weights();
        profile.replace(Box::new(fit_plugin(fit)));
        if !weights.iter().any(|(n, _)| *n == "NodeResourcesFit") {
            profile.set_weight("NodeResourcesFit", 1);
        }
    }
    if let Some(spread) = &o.spread_defaults {
        profile.replace(Box::new(PodTopologySpread::new(match spread {
            None => Defaults::System,
            Some(list) => Defaults::List(list.clone()),
        })));
    }
    let named = |names: &[&str]| -> Vec<(String, i64)> { names.iter().map(|n| (n.to_string(), 0)).collect() };
    let weights: Vec<(String, i64)> = profile.weights().iter().map(|(n, w)| (n.to_string(), *w)).collect();
    let points = Points {
        pre_filter: merge(&named(PRE_FILTER_PLUGINS), &o.pre_filter).into_iter().map(|p| p.0).collect(),
        filter: merge(&named(&profile.filter_names()), &o.filter).into_iter().map(|p| p.0).collect(),
        pre_score: merge(&named(PRE_SCORE_PLUGINS), &o.pre_score).into_iter().map(|p| p.0).collect(),
        score: merge(&weights, &o.score),
    };
    let post_filter = merge(&named(if profile.preemption { POST_FILTER_PLUGINS } else { &[] }), &o.post_filter);
    profile.preemption = post_filter.iter().any(|(n, _)| n == "DefaultPreemption");
    profile.set_filters(&points.filter.iter().map(String::as_str).collect::<Vec<_>>());
    profile.set_scorers(&points.score.iter().map(|(n, w)| (n.as_str(), *w)).collect::<Vec<_>>());
    (profile, points)
}

/// One extension point's plugins: the defaults (unless `disabled` holds `"*"`) minus the
/// disabled ones, with the enabled ones first where they re-configure a default, the
/// defaults next, and the other enabled ones last. An enabled weight of 0 counts as 1.
// Upstream: pkg/scheduler/apis/config/v1/default_plugins.go (mergePluginSet) and
// pkg/scheduler/framework/runtime/framework.go (expandMultiPointPlugins; NewFramework: "a weight of zero is not permitted").
fn merge(defaults: &[(String, i64)], set: &PluginSet) -> Vec<(String, i64)> {
    let mut enabled: Vec<(String, i64)> = Vec::new();
    for (name, weight) in &set.enabled {
        if !enabled.iter().any(|(n, _)| n == name) {
            enabled.push((name.clone(), weight.filter(|w| *w > 0).unwrap_or(1)));
        }
    }
    if set.disabled.iter().any(|d| d == "*") {
        return enabled;
    }
    let disabled = |n: &String| set.disabled.contains(n);
    let is_enabled = |n: &String| enabled.iter().any(|(e, _)| e == n);
    let mut out: Vec<(String, i64)> =
        enabled.iter().filter(|(n, _)| defaults.iter().any(|(d, _)| d == n) && !disabled(n)).cloned().collect();
    out.extend(defaults.iter().filter(|(n, _)| !disabled(n) && !is_enabled(n)).cloned());
    for e in enabled {
        if !out.iter().any(|(n, _)| *n == e.0) {
            out.push(e);
        }
    }
    out
}

/// A profile upstream would accept but whose every scheduling cycle fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileProblem {
    /// The extension point to blame (its KubeSchedulerConfiguration key).
    pub point: &'static str,
    pub message: String,
    pub hint: String,
}

/// Refuses a profile that runs a plugin's Filter without its PreFilter, or its Score
/// without its PreScore, where upstream's plugin reads that state and fails every pod
/// (`error reading "PreFilterNodeResourcesFit" from cycleState`).
// Upstream: noderesources/fit.go, podtopologyspread/filtering.go and scoring.go,
// interpodaffinity/filtering.go and scoring.go, tainttoleration/taint_toleration.go (getPreFilterState / getPreScoreState).
pub fn check_profile(config: &SchedulerConfig) -> Result<(), ProfileProblem> {
    let (_, points) = build(config);
    let blame = |pre: &'static str, main: &'static str, set: &PluginSet| {
        if *set == PluginSet::default() {
            main
        } else {
            pre
        }
    };
    for name in &points.filter {
        if FILTER_NEEDS_PRE_FILTER.contains(&name.as_str()) && !points.pre_filter.contains(name) {
            return Err(ProfileProblem {
                point: blame("preFilter", "filter", &config.overrides.pre_filter),
                message: format!(
                    "{name} runs at filter without its preFilter: its Filter reads what its PreFilter computes, \
                     so upstream fails every pod (error reading \"PreFilter{name}\" from cycleState)"
                ),
                hint: format!("enable it at preFilter too: preFilter: {{enabled: [{{name: {name}}}]}}"),
            });
        }
    }
    for (name, _) in &points.score {
        if SCORE_NEEDS_PRE_SCORE.contains(&name.as_str()) && !points.pre_score.contains(name) {
            return Err(ProfileProblem {
                point: blame("preScore", "score", &config.overrides.pre_score),
                message: format!(
                    "{name} runs at score without its preScore: its Score reads what its PreScore computes, \
                     so upstream fails every pod (failed to read \"PreScore{name}\" from cycleState)"
                ),
                hint: format!("enable it at preScore too: preScore: {{enabled: [{{name: {name}}}]}}"),
            });
        }
    }
    Ok(())
}

fn fit_plugin(c: &FitStrategyConfig) -> NodeResourcesFit {
    let strategy = match c.kind.as_str() {
        "MostAllocated" => ScoringStrategy::MostAllocated,
        "RequestedToCapacityRatio" => ScoringStrategy::RequestedToCapacityRatio(
            c.shape.iter().map(|&(utilization, score)| ShapePoint { utilization, score }).collect(),
        ),
        _ => ScoringStrategy::LeastAllocated,
    };
    NodeResourcesFit::with_weights(strategy, c.cpu_weight, c.memory_weight)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{ProfileOverrides, FILTER_PLUGINS, SCORE_PLUGINS};

    #[test]
    fn every_plugin_a_profile_may_name_is_in_the_default_profile() {
        let mut p = default::profile();
        for name in SCORE_PLUGINS {
            assert!(p.set_weight(name, 1), "{name}");
        }
        let names: Vec<&str> = p.weights().iter().map(|(n, _)| *n).collect();
        for name in FILTER_PLUGINS {
            assert!(names.contains(name) || *name == "NodeUnschedulable" || *name == "NodeName", "{name}");
        }
    }

    fn set(enabled: &[(&str, Option<i64>)], disabled: &[&str]) -> PluginSet {
        PluginSet {
            enabled: enabled.iter().map(|(n, w)| (n.to_string(), *w)).collect(),
            disabled: disabled.iter().map(|n| n.to_string()).collect(),
        }
    }

    fn names(list: &[(String, i64)]) -> Vec<&str> {
        list.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn merge_follows_upstream_merge_plugins_table() {
        // Upstream: pkg/scheduler/apis/config/v1/default_plugins_test.go (TestMergePlugins),
        // with the defaults as MultiPoint plugins (runtime/framework.go expandMultiPointPlugins).
        let d = |names: &[&str]| -> Vec<(String, i64)> { names.iter().map(|n| (n.to_string(), 1)).collect() };
        let two = d(&["DefaultPlugin1", "DefaultPlugin2"]);
        // AppendCustomPlugin
        let got = merge(&two, &set(&[("CustomPlugin", None)], &[]));
        assert_eq!(names(&got), ["DefaultPlugin1", "DefaultPlugin2", "CustomPlugin"]);
        // InsertAfterDefaultPlugins2
        let got = merge(&two, &set(&[("CustomPlugin", None), ("DefaultPlugin2", None)], &["DefaultPlugin2"]));
        assert_eq!(names(&got), ["DefaultPlugin1", "CustomPlugin", "DefaultPlugin2"]);
        // InsertBeforeAllPlugins
        let got =
            merge(&two, &set(&[("CustomPlugin", None), ("DefaultPlugin1", None), ("DefaultPlugin2", None)], &["*"]));
        assert_eq!(names(&got), ["CustomPlugin", "DefaultPlugin1", "DefaultPlugin2"]);
        // ReorderDefaultPlugins
        let got = merge(&two, &set(&[("DefaultPlugin2", None), ("DefaultPlugin1", None)], &["*"]));
        assert_eq!(names(&got), ["DefaultPlugin2", "DefaultPlugin1"]);
        // ApplyNilCustomPlugin
        assert_eq!(merge(&two, &PluginSet::default()), two);
        // CustomPluginOverrideDefaultPlugin: the weights given win; re-configured
        // MultiPoint plugins come first (expandMultiPointPlugins' part 1).
        let three = d(&["Plugin1", "Plugin2", "Plugin3"]);
        let got = merge(&three, &set(&[("Plugin1", Some(2)), ("Plugin3", Some(3))], &[]));
        assert_eq!(got, [("Plugin1".to_string(), 2), ("Plugin3".to_string(), 3), ("Plugin2".to_string(), 1)]);
        // "*" leaves only what is enabled; a weight of 0 counts as 1 (NewFramework).
        let got = merge(&three, &set(&[("Plugin2", Some(0))], &["*"]));
        assert_eq!(got, [("Plugin2".to_string(), 1)]);
        // multipoint with only disabled: the plugin is gone.
        assert!(merge(&d(&["DefaultPlugin"]), &set(&[], &["DefaultPlugin"])).is_empty());
    }

    fn config(overrides: ProfileOverrides) -> SchedulerConfig {
        SchedulerConfig { overrides, ..SchedulerConfig::default() }
    }

    #[test]
    fn star_disables_every_extension_point() {
        // The peer workload's profile: NodeResourcesFit alone at preFilter, filter and score.
        let o = ProfileOverrides {
            pre_filter: set(&[("NodeResourcesFit", None)], &["*"]),
            filter: set(&[("NodeResourcesFit", None)], &["*"]),
            pre_score: set(&[], &["*"]),
            score: set(&[("NodeResourcesFit", Some(1))], &["*"]),
            post_filter: set(&[], &["*"]),
            ..ProfileOverrides::default()
        };
        let c = config(o);
        assert_eq!(check_profile(&c), Ok(()));
        let p = profile_for(&c);
        assert_eq!(p.filter_names(), ["NodeResourcesFit"]);
        assert_eq!(p.weights(), [("NodeResourcesFit", 1)]);
        assert!(!p.preemption, "postFilter: {{disabled: [*]}} turns DefaultPreemption off");
        // The default profile is untouched without overrides.
        let p = profile_for(&SchedulerConfig::default());
        assert_eq!(p.filter_names().len(), 7);
        assert!(p.preemption);
    }

    #[test]
    fn a_filter_without_its_pre_filter_is_refused() {
        let o = ProfileOverrides { pre_filter: set(&[], &["*"]), ..ProfileOverrides::default() };
        let err = check_profile(&config(o)).unwrap_err();
        assert_eq!(err.point, "preFilter");
        assert!(err.message.contains("NodeResourcesFit runs at filter without its preFilter"), "{err:?}");
        // Disabling the filter too makes it consistent; NodeAffinity falls back without one.
        let o = ProfileOverrides {
            pre_filter: set(&[], &["*"]),
            filter: set(&[("NodeAffinity", None), ("TaintToleration", None)], &["*"]),
            ..ProfileOverrides::default()
        };
        assert_eq!(check_profile(&config(o)), Ok(()));
        let o = ProfileOverrides { pre_score: set(&[], &["TaintToleration"]), ..ProfileOverrides::default() };
        let err = check_profile(&config(o)).unwrap_err();
        assert_eq!(err.point, "preScore");
        assert!(err.message.contains("TaintToleration runs at score without its preScore"), "{err:?}");
    }

    #[test]
    fn default_weights_match_upstream() {
        // Upstream: pkg/scheduler/apis/config/v1/default_plugins.go.
        let w = default::profile().weights();
        assert_eq!(
            w,
            [
                ("TaintToleration", 3),
                ("NodeAffinity", 2),
                ("NodeResourcesFit", 1),
                ("PodTopologySpread", 2),
                ("InterPodAffinity", 2),
                ("NodeResourcesBalancedAllocation", 1)
            ]
        );
    }
}
