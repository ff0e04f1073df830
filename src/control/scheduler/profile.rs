//! A profile: plugins at their extension points with score weights, as one profile of a
//! KubeSchedulerConfiguration. Upstream: pkg/scheduler/framework/runtime/framework.go
//! (RunPreFilterPlugins, RunFilterPlugins, RunPreScorePlugins, RunScorePlugins).

use super::framework::{Ctx, Failure, Plugin, MAX_NODE_SCORE};
use crate::control::{NodeScores, ScoreTable};
use crate::model::{Node, NodeId, Pod};

/// Nodes scored per batch: small enough that their data stays in L1/L2 across plugins.
const SCORE_CHUNK: usize = 128;

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
    /// Scratch buffers reused across cycles: scorers that run, raw scores, totals.
    active_scorers: Vec<(usize, i64)>,
    raw: Vec<i64>,
    totals: Vec<i64>,
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
            active_scorers: Vec::new(),
            raw: Vec::new(),
            totals: Vec::new(),
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

    /// The plugins at Filter, in order.
    pub fn filter_names(&self) -> Vec<&'static str> {
        self.filters.iter().map(|&i| self.plugins[i].name()).collect()
    }

    fn index(&self, name: &str) -> usize {
        self.plugins.iter().position(|p| p.name() == name).unwrap_or_else(|| panic!("no plugin {name} in the profile"))
    }

    /// Runs exactly these plugins at Filter, in this order.
    pub fn set_filters(&mut self, names: &[&str]) {
        self.filters = names.iter().map(|n| self.index(n)).collect();
    }

    /// Runs exactly these plugins at Score, with these weights.
    pub fn set_scorers(&mut self, list: &[(&str, i64)]) {
        self.scorers = list.iter().map(|(n, w)| (self.index(n), *w)).collect();
    }

    /// Adds a plugin, unplaced, unless the profile has one of that name.
    pub fn ensure(&mut self, plugin: Box<dyn Plugin>) {
        if !self.plugins.iter().any(|p| p.name() == plugin.name()) {
            self.plugins.push(plugin);
        }
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

    /// The PreFilterResult of the active filters: the node names they narrow this cycle
    /// to (intersected), with the plugins that narrowed it; `None` for every node.
    /// Upstream: runtime/framework.go (RunPreFilterPlugins, PreFilterResult.Merge).
    pub fn pre_filter_nodes(&self, ctx: &Ctx) -> Option<(Vec<String>, Vec<&'static str>)> {
        let mut out: Option<(Vec<String>, Vec<&'static str>)> = None;
        for &i in &self.active_filters {
            let Some(names) = self.plugins[i].pre_filter_nodes(ctx) else { continue };
            out = Some(match out {
                None => (names, vec![self.plugins[i].name()]),
                Some((prev, mut by)) => {
                    by.push(self.plugins[i].name());
                    (prev.into_iter().filter(|n| names.contains(n)).collect(), by)
                }
            });
        }
        out
    }

    /// RunPreFilterExtensionRemovePod: `pod` leaves `node` for the plugins whose PreFilter
    /// ran for this cycle. Upstream: runtime/framework.go (RunPreFilterExtensionRemovePod).
    pub fn remove_pod(&mut self, ctx: &Ctx, pod: &Pod, node: &Node) {
        for k in 0..self.active_filters.len() {
            let i = self.active_filters[k];
            self.plugins[i].remove_pod(ctx, pod, node);
        }
    }

    /// RunPreFilterExtensionAddPod: `pod` is back on `node`.
    pub fn add_pod(&mut self, ctx: &Ctx, pod: &Pod, node: &Node) {
        for k in 0..self.active_filters.len() {
            let i = self.active_filters[k];
            self.plugins[i].add_pod(ctx, pod, node);
        }
    }

    /// Whether every active filter passes the node (its verdict, without the reason).
    pub fn passes(&self, ctx: &Ctx, node: &Node) -> bool {
        self.active_filters.iter().all(|&i| self.plugins[i].filter(ctx, node).is_none())
    }

    /// The first failing filter's verdict (upstream stops at the first failure).
    pub fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        self.active_filters.iter().find_map(|&i| self.plugins[i].filter(ctx, node))
    }

    /// Every score plugin scores every feasible node, normalizes, and totals with weights
    /// (with no score plugin every node gets 1, as upstream's prioritizeNodes). Returns the
    /// totals, in `feasible` order, and with `explain` the per-plugin table.
    pub fn score(&mut self, ctx: &Ctx, feasible: &[NodeId], explain: bool) -> (&[i64], Option<ScoreTable>) {
        let n = feasible.len();
        self.totals.clear();
        self.totals.resize(n, if self.scorers.is_empty() { 1 } else { 0 });
        let mut rows: Vec<Vec<(&'static str, i64)>> = if explain { vec![Vec::new(); n] } else { Vec::new() };
        self.active_scorers.clear();
        for &(i, weight) in &self.scorers {
            let plugin = &mut self.plugins[i];
            if !plugin.pre_score(ctx, feasible) {
                continue;
            }
            match plugin.uniform_score() {
                Some(s) => {
                    for (k, total) in self.totals.iter_mut().enumerate() {
                        *total += s * weight;
                        if explain {
                            rows[k].push((plugin.name(), s * weight));
                        }
                    }
                }
                None => self.active_scorers.push((i, weight)),
            }
        }
        let k_plugins = self.active_scorers.len();
        self.raw.clear();
        self.raw.resize(n * k_plugins, 0);
        // Chunks of nodes, every plugin per chunk: a chunk's node data stays in cache while
        // all plugins read it, and each plugin is called once per chunk, not per node.
        for start in (0..n).step_by(SCORE_CHUNK) {
            let end = (start + SCORE_CHUNK).min(n);
            for (p, &(i, _)) in self.active_scorers.iter().enumerate() {
                self.plugins[i].score_all(ctx, &feasible[start..end], &mut self.raw[p * n + start..p * n + end]);
            }
        }
        for (p, &(i, weight)) in self.active_scorers.iter().enumerate() {
            let plugin = &self.plugins[i];
            let scores = &mut self.raw[p * n..(p + 1) * n];
            plugin.normalize(scores);
            for (k, s) in scores.iter().enumerate() {
                debug_assert!((0..=MAX_NODE_SCORE).contains(s), "{} scored {s}", plugin.name());
                self.totals[k] += s * weight;
                if explain {
                    rows[k].push((plugin.name(), s * weight));
                }
            }
        }
        let table = explain.then(|| {
            let mut rows = rows.into_iter();
            ScoreTable {
                nodes: feasible
                    .iter()
                    .zip(&self.totals)
                    .map(|(id, total)| NodeScores {
                        node: *id,
                        plugins: rows.next().unwrap_or_default(),
                        total: *total,
                    })
                    .collect(),
            }
        });
        (&self.totals, table)
    }
}
