//! A profile: filter plugins and weighted score plugins, as in a KubeSchedulerConfiguration.
//! Upstream: pkg/scheduler/framework/runtime/framework.go (RunFilterPlugins, RunScorePlugins).

use super::balanced_allocation::BalancedAllocation;
use super::fit::{NodeResourcesFit, ScoringStrategy};
use super::node_name::NodeName;
use super::node_selector::NodeSelector;
use super::node_unschedulable::NodeUnschedulable;
use super::taint_toleration::TaintToleration;
use crate::control::{NodeScores, ScoreTable};
use crate::model::{Node, Pod};

/// Maximum score a plugin may give a node. Upstream: framework.MaxNodeScore.
pub const MAX_NODE_SCORE: i64 = 100;

/// A Filter extension point: why the node cannot run the pod (empty if it can).
pub trait FilterPlugin {
    fn name(&self) -> &'static str;
    fn filter(&self, pod: &Pod, node: &Node, reasons: &mut Vec<String>);
}

/// Score and NormalizeScore extension points.
pub trait ScorePlugin {
    fn name(&self) -> &'static str;
    fn score(&self, pod: &Pod, node: &Node) -> i64;
    /// Scales raw scores into 0..=100; the default is none (already in range).
    fn normalize(&self, _scores: &mut [i64]) {}
}

pub struct Profile {
    filters: Vec<Box<dyn FilterPlugin>>,
    scorers: Vec<(Box<dyn ScorePlugin>, i64)>,
}

impl Profile {
    /// Upstream default profile, as far as its plugins are implemented here.
    /// Weights: pkg/scheduler/apis/config/v1/default_plugins.go.
    pub fn default_profile() -> Self {
        Profile {
            filters: Self::default_filters(),
            scorers: vec![
                (Box::new(TaintToleration), 3),
                (Box::new(NodeResourcesFit::new(ScoringStrategy::LeastAllocated)), 1),
                (Box::new(BalancedAllocation), 1),
            ],
        }
    }

    /// Bin-packing: MostAllocated and nothing that pulls the other way.
    pub fn binpack() -> Self {
        Profile {
            filters: Self::default_filters(),
            scorers: vec![(Box::new(NodeResourcesFit::new(ScoringStrategy::MostAllocated)), 1)],
        }
    }

    fn default_filters() -> Vec<Box<dyn FilterPlugin>> {
        vec![
            Box::new(NodeUnschedulable),
            Box::new(NodeName),
            Box::new(TaintToleration),
            Box::new(NodeSelector),
            Box::new(NodeResourcesFit::new(ScoringStrategy::LeastAllocated)),
        ]
    }

    /// Runs every filter; an empty result means the node fits.
    pub fn filter(&self, pod: &Pod, node: &Node) -> Vec<String> {
        let mut reasons = Vec::new();
        for f in &self.filters {
            f.filter(pod, node, &mut reasons);
            if !reasons.is_empty() {
                // Upstream stops at the first failing plugin (RunFilterPlugins).
                break;
            }
        }
        reasons
    }

    /// Every score plugin scores every node, normalizes, and totals with weights.
    pub fn score(&self, pod: &Pod, nodes: &[&Node]) -> ScoreTable {
        let mut table = ScoreTable {
            nodes: nodes.iter().map(|n| NodeScores { node: n.id, plugins: Vec::new(), total: 0 }).collect(),
        };
        let mut scores = vec![0i64; nodes.len()];
        for (plugin, weight) in &self.scorers {
            for (s, node) in scores.iter_mut().zip(nodes) {
                *s = plugin.score(pod, node);
            }
            plugin.normalize(&mut scores);
            for (row, s) in table.nodes.iter_mut().zip(&scores) {
                debug_assert!((0..=MAX_NODE_SCORE).contains(s), "{} scored {s}", plugin.name());
                row.plugins.push((plugin.name(), s * weight));
                row.total += s * weight;
            }
        }
        table
    }
}

/// Upstream: pkg/scheduler/framework/plugins/helper/normalize_score.go (DefaultNormalizeScore).
pub fn default_normalize_score(max: i64, reverse: bool, scores: &mut [i64]) {
    let highest = scores.iter().copied().max().unwrap_or(0);
    if highest == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = max * *s / highest;
        if reverse {
            *s = max - *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_normalize_matches_upstream_table() {
        // Upstream: normalize_score_test.go.
        let mut s = [10, 20, 30, 40];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, [25, 50, 75, 100]);
        let mut s = [10, 20, 30, 40];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, [75, 50, 25, 0]);
        let mut s = [0, 0];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, [100, 100]);
        let mut s = [1000, 10, 20, 30];
        default_normalize_score(10, false, &mut s);
        assert_eq!(s, [10, 0, 0, 0]);
    }
}
