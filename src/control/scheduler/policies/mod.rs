//! Placement policies: each file builds one profile. Adding a policy means adding a file
//! and one line in `profile_for`.

mod binpack;
mod default;
mod random;
mod round_robin;
mod spread;

use super::plugins::{NodeResourcesFit, PodTopologySpread, ScoringStrategy, ShapePoint};
use super::profile::Profile;
use crate::control::scheduler::config::{FitStrategyConfig, SchedulerConfig, SchedulerPolicy};
use crate::control::scheduler::plugins::Defaults;

/// The profile for a scenario's scheduler settings: the policy, then any
/// KubeSchedulerConfiguration-style overrides.
pub fn profile_for(config: &SchedulerConfig) -> Profile {
    let mut profile = match config.policy {
        SchedulerPolicy::Default => default::profile(),
        SchedulerPolicy::Binpack => binpack::profile(),
        SchedulerPolicy::Spread => spread::profile(),
        SchedulerPolicy::Random => random::profile(),
        SchedulerPolicy::RoundRobin => round_robin::profile(),
    };
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
    for name in &o.score_disabled {
        if name == "*" {
            for (n, _) in profile.weights() {
                profile.set_weight(n, 0);
            }
        } else {
            profile.set_weight(name, 0);
        }
    }
    for (name, weight) in &o.score_enabled {
        profile.set_weight(name, *weight);
    }
    for name in &o.filter_disabled {
        profile.disable_filter(name);
    }
    profile
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
    use crate::control::scheduler::config::{FILTER_PLUGINS, SCORE_PLUGINS};

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
