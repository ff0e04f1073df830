//! InterPodAffinity: required pod affinity and anti-affinity (the incoming pod's and the
//! existing pods'), and preferred terms as scores.
//! Upstream: pkg/scheduler/framework/plugins/interpodaffinity/{filtering,scoring}.go.

use super::super::framework::{Ctx, Failure, Plugin, Reason, MAX_NODE_SCORE};
use super::super::topology::{KeyIndex, NO_DOMAIN};
use crate::model::{Node, NodeId, Pod, PodGroup};
use terms::{bound, Match, OwnTerm, TermCache};

mod terms;

const EXISTING_ANTI_AFFINITY: &str = "node(s) didn't satisfy existing pods anti-affinity rules";
const AFFINITY: &str = "node(s) didn't match pod affinity rules";
const ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// Upstream: pkg/scheduler/apis/config/v1/defaults.go (hardPodAffinityWeight 1).
const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// Per-domain values of one topology key.
struct DomainValues {
    key: usize,
    values: Vec<i64>,
}

#[derive(Default)]
pub struct InterPodAffinity {
    /// Domains where an existing pod's required anti-affinity forbids the incoming pod.
    existing_anti: Vec<DomainValues>,
    /// Matching pods per domain for each required affinity term of the incoming pod.
    affinity: Vec<DomainValues>,
    /// No existing pod matches any affinity term and the pod matches them itself
    /// (the first pod of a group may go anywhere).
    affinity_bootstrap: bool,
    anti_affinity: Vec<DomainValues>,
    /// Preferred-term sums per domain, per key.
    scores: Vec<DomainValues>,
    /// Term matches per pod group.
    cache: TermCache,
}

/// Adds `weight` per pod of `group` to the domain of each node it is bound to. Terminating
/// pods count: the scheduler's NodeInfo holds a pod until it is deleted, and neither the
/// filter nor the score skips pods being deleted (unlike PodTopologySpread).
// Upstream: interpodaffinity/filtering.go (getExistingAntiAffinityCounts, getIncomingAffinityAntiAffinityCounts
// over nodeInfo.Pods / PodsWithRequiredAntiAffinity) and scoring.go (processExistingPod over nodeInfo.Pods).
fn add_group(values: &mut [i64], key: &KeyIndex, group: &PodGroup, weight: i64) {
    let pods = &group.with_terminating;
    for &node in &pods.nodes {
        let d = key.domain(node);
        if d != NO_DOMAIN {
            values[d as usize] += weight * i64::from(pods.on_node(node));
        }
    }
}

/// The values for topology key `key` in `list`, added (zeroed) on first use.
fn slot<'a>(list: &'a mut Vec<DomainValues>, ctx: &Ctx, key: usize) -> &'a mut DomainValues {
    match list.iter().position(|d| d.key == key) {
        Some(i) => &mut list[i],
        None => {
            list.push(DomainValues { key, values: vec![0; ctx.topology.key(key).num_domains()] });
            list.last_mut().expect("just pushed")
        }
    }
}

/// Adds each match's bound pods, times its weight, to the domains of its key.
fn add_matches(list: &mut Vec<DomainValues>, ctx: &Ctx, matches: &[Match]) {
    for m in matches {
        if let Some(g) = bound(ctx, m.group) {
            let s = slot(list, ctx, m.key);
            add_group(&mut s.values, ctx.topology.key(m.key), g, m.weight);
        }
    }
}

/// Bound pods of the term's groups per domain of its key.
fn term_counts(ctx: &Ctx, term: &OwnTerm) -> DomainValues {
    let index = ctx.topology.key(term.key);
    let mut values = vec![0; index.num_domains()];
    for g in term.groups.iter().filter_map(|g| bound(ctx, *g)) {
        add_group(&mut values, index, g, 1);
    }
    DomainValues { key: term.key, values }
}

fn in_domain(ctx: &Ctx, d: &DomainValues, node: &Node) -> Option<i64> {
    let dom = ctx.topology.key(d.key).domain(node.id);
    (dom != NO_DOMAIN).then(|| d.values[dom as usize])
}

impl InterPodAffinity {
    /// A pod leaves (`delta` -1) or rejoins (+1) `node` in a preemption dry run: the
    /// existing-anti-affinity counts its terms select the incoming pod by, and the incoming
    /// pod's (anti-)affinity counts that select it, move in the node's domains.
    // Upstream: interpodaffinity/filtering.go (AddPod, RemovePod, preFilterState.updateWithPod).
    fn update_with_pod(&mut self, ctx: &Ctx, pod: &Pod, node: &Node, delta: i64) {
        let terms = self.cache.get(ctx);
        let shift = |values: &mut [i64], key: usize, weight: i64| {
            let d = ctx.topology.key(key).domain(node.id);
            if d != NO_DOMAIN {
                values[d as usize] += weight * delta;
            }
        };
        for m in terms.existing_anti.iter().filter(|m| m.group == pod.group) {
            shift(&mut slot(&mut self.existing_anti, ctx, m.key).values, m.key, m.weight);
        }
        for (own, counts) in [(&terms.affinity, &mut self.affinity), (&terms.anti_affinity, &mut self.anti_affinity)] {
            for (t, c) in own.iter().zip(counts.iter_mut()) {
                if t.groups.contains(&pod.group) {
                    shift(&mut c.values, t.key, 1);
                }
            }
        }
        self.affinity_bootstrap = self.affinity.iter().all(|d| d.values.iter().all(|v| *v == 0))
            && terms.affinity.iter().all(|t| t.self_match);
    }
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        "InterPodAffinity"
    }

    fn pre_filter(&mut self, ctx: &Ctx) -> Result<bool, Failure> {
        self.existing_anti.clear();
        let terms = self.cache.get(ctx);
        add_matches(&mut self.existing_anti, ctx, &terms.existing_anti);
        self.affinity = terms.affinity.iter().map(|t| term_counts(ctx, t)).collect();
        self.affinity_bootstrap = self.affinity.iter().all(|d| d.values.iter().all(|v| *v == 0))
            && terms.affinity.iter().all(|t| t.self_match);
        self.anti_affinity = terms.anti_affinity.iter().map(|t| term_counts(ctx, t)).collect();
        Ok(!(self.existing_anti.is_empty() && self.affinity.is_empty() && self.anti_affinity.is_empty()))
    }

    fn remove_pod(&mut self, ctx: &Ctx, pod: &Pod, node: &Node) {
        self.update_with_pod(ctx, pod, node, -1);
    }

    fn add_pod(&mut self, ctx: &Ctx, pod: &Pod, node: &Node) {
        self.update_with_pod(ctx, pod, node, 1);
    }

    fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        // Upstream order: the pod's affinity, its anti-affinity, then existing pods' anti-affinity.
        if !self.affinity.is_empty()
            && !self.affinity_bootstrap
            && !self.affinity.iter().all(|d| in_domain(ctx, d, node).is_some_and(|v| v > 0))
        {
            return Some(Failure::unresolvable(Reason::Text(AFFINITY)));
        }
        if self.anti_affinity.iter().any(|d| in_domain(ctx, d, node).is_some_and(|v| v > 0)) {
            return Some(Failure::resolvable(Reason::Text(ANTI_AFFINITY)));
        }
        if self.existing_anti.iter().any(|d| in_domain(ctx, d, node).is_some_and(|v| v > 0)) {
            return Some(Failure::resolvable(Reason::Text(EXISTING_ANTI_AFFINITY)));
        }
        None
    }

    /// Sums, per topology domain, the weights of preferred terms between the incoming pod
    /// and existing pods (both directions) and existing pods' required affinity
    /// (hardPodAffinityWeight). Skips when nothing has such terms.
    fn pre_score(&mut self, ctx: &Ctx, _feasible: &[NodeId]) -> bool {
        self.scores.clear();
        let terms = self.cache.get(ctx);
        add_matches(&mut self.scores, ctx, &terms.scoring);
        !self.scores.is_empty()
    }

    fn score(&self, ctx: &Ctx, node: &Node) -> i64 {
        self.scores.iter().filter_map(|d| in_domain(ctx, d, node)).sum()
    }

    /// Min-max scaling to 0..100 (truncating), as upstream's NormalizeScore.
    fn normalize(&self, scores: &mut [i64]) {
        let (min, max) = scores.iter().fold((i64::MAX, i64::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
        let diff = max - min;
        for s in scores.iter_mut() {
            *s = if diff > 0 { (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64 } else { 0 };
        }
    }
}
