//! PodTopologySpread: hard constraints filter (DoNotSchedule), soft ones score
//! (ScheduleAnyway), with upstream's system defaults for pods that declare none.
//! Upstream: pkg/scheduler/framework/plugins/podtopologyspread/{filtering,scoring,common}.go.

use super::super::framework::{Ctx, Failure, Plugin, Reason, MAX_NODE_SCORE};
use super::super::topology::{count_per_domain, KeyIndex, NO_DOMAIN};
use super::node_affinity::required_node_affinity_matches;
use crate::model::{LabelSelector, Node, NodeId, Pod, Store, TopologySpreadConstraint, WhenUnsatisfiable};

const HOSTNAME: &str = "kubernetes.io/hostname";
const ZONE: &str = "topology.kubernetes.io/zone";
const CONSTRAINTS_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints";
const MISSING_LABEL: &str = "node(s) didn't match pod topology spread constraints (missing required label)";

/// How defaults are chosen when a pod declares no constraints (`defaultingType`).
#[derive(Clone, Debug, PartialEq)]
pub enum Defaults {
    /// Upstream's system defaults: hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway.
    System,
    /// Cluster-level defaults given in the profile (selector built like the system ones).
    List(Vec<TopologySpreadConstraint>),
}

/// A constraint resolved for one pod: its key's index and effective selector.
struct Resolved {
    key: usize,
    max_skew: i64,
    self_match: bool,
    /// Matching pods per domain over eligible nodes.
    counts: Vec<i64>,
    /// Domains that have at least one eligible node.
    present: Vec<bool>,
    min_match: i64,
    weight: f64,
}

pub struct PodTopologySpread {
    defaults: Defaults,
    hard: Vec<Resolved>,
    soft: Vec<Resolved>,
    /// Soft scoring needs every key on a node (pod-specified or List defaults).
    require_all_keys: bool,
}

impl PodTopologySpread {
    pub fn new(defaults: Defaults) -> Self {
        PodTopologySpread { defaults, hard: Vec::new(), soft: Vec::new(), require_all_keys: false }
    }
}

/// The selector system defaults use: the pod's Services and owning ReplicaSets, ANDed.
/// Upstream: pkg/scheduler/framework/plugins/helper/spread.go (DefaultSelector).
fn default_selector(store: &Store, pod: &Pod) -> LabelSelector {
    let labels = &pod.template.labels;
    let mut sel = LabelSelector::default();
    for s in store.services.iter().filter(|s| !s.selector.is_empty() && s.selector.matches(labels)) {
        sel.match_labels.extend(s.selector.match_labels.clone());
    }
    if let Some(rs) = pod.owner {
        let rs = store.replica_set(rs);
        sel.match_labels.extend(rs.selector.match_labels.clone());
        sel.match_expressions.extend(rs.selector.match_expressions.clone());
    }
    sel
}

fn system_defaults() -> Vec<TopologySpreadConstraint> {
    let c = |key: &str, skew| TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.into(),
        when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
        selector: LabelSelector::default(),
        min_domains: None,
        match_label_keys: Vec::new(),
    };
    // Upstream: pkg/scheduler/apis/config/v1/defaults.go (systemDefaultConstraints).
    vec![c(HOSTNAME, 3), c(ZONE, 5)]
}

/// The constraint's selector plus the pod's values for `matchLabelKeys`.
fn effective_selector(c: &TopologySpreadConstraint, pod: &Pod) -> LabelSelector {
    let mut sel = c.selector.clone();
    for key in &c.match_label_keys {
        if let Some(v) = pod.template.labels.get(key) {
            sel.match_labels.insert(key.clone(), v.clone());
        }
    }
    sel
}

impl PodTopologySpread {
    fn resolve(
        ctx: &Ctx,
        c: &TopologySpreadConstraint,
        selector: LabelSelector,
        key: &KeyIndex,
        key_idx: usize,
        keys: &[&str],
        nodes_in: &dyn Fn(&Node) -> bool,
    ) -> Resolved {
        let spec = &ctx.pod.template.spec;
        let eligible = |n: &Node| {
            nodes_in(n) && required_node_affinity_matches(spec, n) && keys.iter().all(|k| n.labels.contains_key(*k))
        };
        let counts = count_per_domain(ctx.store, key, &selector, eligible);
        let mut present = vec![false; key.num_domains()];
        for n in ctx.store.nodes.iter().filter(|n| eligible(n)) {
            let d = key.domain(n.id);
            if d != NO_DOMAIN {
                present[d as usize] = true;
            }
        }
        let domains = present.iter().filter(|p| **p).count() as i64;
        let min_match = counts.iter().zip(&present).filter(|(_, p)| **p).map(|(c, _)| *c).min().unwrap_or(0);
        let min_match = if c.min_domains.is_some_and(|m| domains < m) { 0 } else { min_match };
        Resolved {
            key: key_idx,
            max_skew: c.max_skew,
            self_match: selector.matches(&ctx.pod.template.labels),
            counts,
            present,
            min_match,
            weight: 0.0,
        }
    }
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn pre_filter(&mut self, ctx: &Ctx) -> Result<(), Failure> {
        self.hard.clear();
        let hard: Vec<&TopologySpreadConstraint> = ctx
            .pod
            .template
            .spec
            .topology_spread
            .iter()
            .filter(|c| c.when_unsatisfiable == WhenUnsatisfiable::DoNotSchedule)
            .collect();
        let keys: Vec<&str> = hard.iter().map(|c| c.topology_key.as_str()).collect();
        for c in hard {
            let idx = key_position(ctx, &c.topology_key);
            let r = Self::resolve(ctx, c, effective_selector(c, ctx.pod), ctx.topology.key(idx), idx, &keys, &|_| true);
            self.hard.push(r);
        }
        Ok(())
    }

    /// `matching pods in the node's domain + self - global minimum <= maxSkew`.
    fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        for c in &self.hard {
            let d = ctx.topology.key(c.key).domain(node.id);
            if d == NO_DOMAIN {
                return Some(Failure::unresolvable(Reason::Text(MISSING_LABEL)));
            }
            let matching = if c.present[d as usize] { c.counts[d as usize] } else { 0 };
            if matching + i64::from(c.self_match) - c.min_match > c.max_skew {
                return Some(Failure::resolvable(Reason::Text(CONSTRAINTS_NOT_MATCH)));
            }
        }
        None
    }

    fn pre_score(&mut self, ctx: &Ctx, feasible: &[NodeId]) -> bool {
        self.soft.clear();
        let declared = &ctx.pod.template.spec.topology_spread;
        let (constraints, system) = if !declared.is_empty() {
            (
                declared
                    .iter()
                    .filter(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway)
                    .cloned()
                    .collect(),
                false,
            )
        } else {
            let selector = default_selector(ctx.store, ctx.pod);
            if selector.is_empty() {
                return false;
            }
            let list = match &self.defaults {
                Defaults::System => system_defaults(),
                Defaults::List(l) => {
                    l.iter().filter(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway).cloned().collect()
                }
            };
            let list: Vec<TopologySpreadConstraint> =
                list.into_iter().map(|c| TopologySpreadConstraint { selector: selector.clone(), ..c }).collect();
            (list, self.defaults == Defaults::System)
        };
        if constraints.is_empty() {
            return false;
        }
        self.require_all_keys = !system;
        let keys: Vec<&str> =
            if system { Vec::new() } else { constraints.iter().map(|c| c.topology_key.as_str()).collect() };
        let mut feasible_mask = vec![false; ctx.store.nodes.len()];
        for id in feasible {
            feasible_mask[id.0 as usize] = true;
        }
        let scored = |n: &Node| keys.iter().all(|k| n.labels.contains_key(*k));
        let scored_feasible = feasible.iter().filter(|id| scored(ctx.store.node(**id))).count();
        for c in &constraints {
            let idx = key_position(ctx, &c.topology_key);
            let key = ctx.topology.key(idx);
            let mut r = Self::resolve(ctx, c, effective_selector(c, ctx.pod), key, idx, &keys, &|_| true);
            // Only domains of feasible (scored) nodes count, and their number sets the weight.
            let mut in_feasible = vec![false; key.num_domains()];
            for id in feasible.iter().filter(|id| scored(ctx.store.node(**id))) {
                let d = key.domain(*id);
                if d != NO_DOMAIN {
                    in_feasible[d as usize] = true;
                }
            }
            let size =
                if c.topology_key == HOSTNAME { scored_feasible } else { in_feasible.iter().filter(|x| **x).count() };
            r.present = in_feasible;
            r.weight = ((size + 2) as f64).ln();
            self.soft.push(r);
        }
        true
    }

    /// `round(sum of count * log(domains + 2) + (maxSkew - 1))` over the node's keys.
    fn score(&self, ctx: &Ctx, node: &Node) -> i64 {
        if self.require_all_keys && self.soft.iter().any(|c| ctx.topology.key(c.key).domain(node.id) == NO_DOMAIN) {
            return -1;
        }
        let mut score = 0.0;
        for c in &self.soft {
            let d = ctx.topology.key(c.key).domain(node.id);
            if d == NO_DOMAIN {
                continue;
            }
            let count = if c.present[d as usize] { c.counts[d as usize] } else { 0 };
            score += count as f64 * c.weight + (c.max_skew - 1) as f64;
        }
        score.round() as i64
    }

    /// Fewer matching pods score higher: `100 * (max + min - s) / max`; ignored nodes 0.
    fn normalize(&self, scores: &mut [i64]) {
        let valid = scores.iter().filter(|s| **s >= 0);
        let (min, max) = valid.fold((i64::MAX, 0), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
        for s in scores.iter_mut() {
            *s = if *s < 0 {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *s) / max
            };
        }
    }
}

fn key_position(ctx: &Ctx, key: &str) -> usize {
    ctx.topology.position(key).expect("topology keys are indexed before the cycle")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_matches_upstream() {
        let p = PodTopologySpread::new(Defaults::System);
        let mut s = [10, 20, -1, 0];
        p.normalize(&mut s);
        // max 20, min 0: 100*(20+0-10)/20 = 50, 0, ignored 0, 100*(20)/20 = 100.
        assert_eq!(s, [50, 0, 0, 100]);
        let mut s = [0, 0];
        p.normalize(&mut s);
        assert_eq!(s, [100, 100]);
    }
}
