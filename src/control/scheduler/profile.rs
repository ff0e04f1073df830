//! A profile: plugins at their extension points with score weights, as one profile of a
//! KubeSchedulerConfiguration. Upstream: pkg/scheduler/framework/runtime/framework.go
//! (RunPreFilterPlugins, RunFilterPlugins, RunPreScorePlugins, RunScorePlugins).

use super::framework::{Ctx, Failure, Plugin, MAX_NODE_SCORE};
use crate::control::{NodeScores, ScoreTable};
use crate::model::{Node, NodeId};

/// How the host is picked among scored nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostSelection {
    /// Highest total; ties broken at random (upstream selectHost).
    TopScore,
    /// The next feasible node after the last one chosen, in node order.
    RoundRobin,
}

pub struct Profile {
    plugins: Vec<Box<dyn Plugin>>,
    /// Indices of plugins run at Filter (in order).
    filters: Vec<usize>,
    /// Indices and weights of plugins run at Score.
    scorers: Vec<(usize, i64)>,
    /// Filters whose PreFilter did not skip, for the pod in the current cycle.
    active_filters: Vec<usize>,
    pub selection: HostSelection,
    /// DefaultPreemption runs as PostFilter.
    pub preemption: bool,
    /// RoundRobin and sampling-free policies look at every node.
    pub score_all_nodes: bool,
}

impl Profile {
    pub fn new(selection: HostSelection) -> Self {
        Profile {
            plugins: Vec::new(),
            filters: Vec::new(),
            scorers: Vec::new(),
            active_filters: Vec::new(),
            selection,
            preemption: true,
            score_all_nodes: false,
        }
    }

    /// Adds a plugin at Filter and, with a weight, at Score.
    pub fn with(mut self, plugin: Box<dyn Plugin>, filter: bool, weight: Option<i64>) -> Self {
        let i = self.plugins.len();
        self.plugins.push(plugin);
        if filter {
            self.filters.push(i);
        }
        if let Some(w) = weight {
            self.scorers.push((i, w));
        }
        self
    }

    /// Sets a score weight by plugin name (adding the plugin's existing instance);
    /// weight 0 disables scoring. Returns false if no such plugin is in the profile.
    pub fn set_weight(&mut self, name: &str, weight: i64) -> bool {
        let Some(i) = self.plugins.iter().position(|p| p.name() == name) else { return false };
        self.scorers.retain(|(j, _)| *j != i);
        if weight > 0 {
            self.scorers.push((i, weight));
        }
        true
    }

    /// Removes a plugin from Filter.
    pub fn disable_filter(&mut self, name: &str) {
        let plugins = &self.plugins;
        self.filters.retain(|i| plugins[*i].name() != name);
    }

    /// Replaces a plugin instance by name (keeping its places), or adds it unplaced.
    pub fn replace(&mut self, plugin: Box<dyn Plugin>) {
        match self.plugins.iter().position(|p| p.name() == plugin.name()) {
            Some(i) => self.plugins[i] = plugin,
            None => self.plugins.push(plugin),
        }
    }

    pub fn weights(&self) -> Vec<(&'static str, i64)> {
        self.scorers.iter().map(|(i, w)| (self.plugins[*i].name(), *w)).collect()
    }

    pub fn pre_filter(&mut self, ctx: &Ctx) -> Result<(), Failure> {
        self.active_filters.clear();
        for &i in &self.filters {
            if self.plugins[i].pre_filter(ctx)? {
                self.active_filters.push(i);
            }
        }
        Ok(())
    }

    /// The first failing filter's verdict (upstream stops at the first failure).
    pub fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        self.active_filters.iter().find_map(|&i| self.plugins[i].filter(ctx, node))
    }

    /// Every score plugin scores every feasible node, normalizes, and totals with weights.
    /// With no score plugin every node gets 1 (upstream prioritizeNodes).
    pub fn score(&mut self, ctx: &Ctx, feasible: &[NodeId], explain: bool) -> ScoreTable {
        let n = feasible.len();
        let mut totals = vec![if self.scorers.is_empty() { 1 } else { 0 }; n];
        let mut rows: Vec<Vec<(&'static str, i64)>> = if explain { vec![Vec::new(); n] } else { Vec::new() };
        let mut active: Vec<(usize, i64)> = Vec::with_capacity(self.scorers.len());
        for &(i, weight) in &self.scorers {
            let plugin = &mut self.plugins[i];
            if !plugin.pre_score(ctx, feasible) {
                continue;
            }
            match plugin.uniform_score() {
                Some(s) => {
                    for (k, total) in totals.iter_mut().enumerate() {
                        *total += s * weight;
                        if explain {
                            rows[k].push((plugin.name(), s * weight));
                        }
                    }
                }
                None => active.push((i, weight)),
            }
        }
        // Nodes outer, plugins inner: each node's data is fetched once for all plugins.
        let mut raw = vec![0i64; n * active.len()];
        for (k, id) in feasible.iter().enumerate() {
            let node = ctx.store.node(*id);
            for (p, &(i, _)) in active.iter().enumerate() {
                raw[p * n + k] = self.plugins[i].score(ctx, node);
            }
        }
        for (p, &(i, weight)) in active.iter().enumerate() {
            let plugin = &self.plugins[i];
            let scores = &mut raw[p * n..(p + 1) * n];
            plugin.normalize(scores);
            for (k, s) in scores.iter().enumerate() {
                debug_assert!((0..=MAX_NODE_SCORE).contains(s), "{} scored {s}", plugin.name());
                totals[k] += s * weight;
                if explain {
                    rows[k].push((plugin.name(), s * weight));
                }
            }
        }
        let mut rows = rows.into_iter();
        ScoreTable {
            nodes: feasible
                .iter()
                .zip(totals)
                .map(|(id, total)| NodeScores { node: *id, plugins: rows.next().unwrap_or_default(), total })
                .collect(),
        }
    }
}
