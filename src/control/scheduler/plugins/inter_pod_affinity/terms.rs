//! InterPodAffinity's term matches, found once per pod group: which existing groups'
//! terms select the group's pods and which groups the group's own terms select. Group
//! templates and namespaces never change, so matches only grow as groups are added; each
//! cycle then walks just the pairs that matter instead of testing every selector on every
//! group. A term matches a group in the namespaces it looks at (its owner's by default,
//! see `PodAffinityTerm::selects`); when a namespace's labels change (`namespaceSelector`),
//! every match is found again.

use super::super::super::framework::Ctx;
use super::HARD_POD_AFFINITY_WEIGHT;
use crate::model::{PodAffinityTerm, PodGroup};

/// A pod group whose pods a term counts, with the term's weight and topology key position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Match {
    pub group: u32,
    pub weight: i64,
    pub key: usize,
}

/// One of the incoming group's required terms and the groups it selects.
pub(super) struct OwnTerm {
    pub key: usize,
    /// The incoming pod's own labels match the term.
    pub self_match: bool,
    pub groups: Vec<u32>,
}

/// A pod group's matches.
#[derive(Default)]
pub(super) struct GroupTerms {
    groups_seen: usize,
    /// Existing groups whose required anti-affinity selects this group's pods.
    pub existing_anti: Vec<Match>,
    /// The group's required affinity and anti-affinity terms.
    pub affinity: Vec<OwnTerm>,
    pub anti_affinity: Vec<OwnTerm>,
    /// Score contributions: the group's preferred terms (anti-affinity negative) over
    /// other groups, and other groups' required affinity (hardPodAffinityWeight) and
    /// preferred terms over this group.
    pub scoring: Vec<Match>,
}

/// Matches per pod group id.
#[derive(Default)]
pub(super) struct TermCache {
    per_group: Vec<Option<GroupTerms>>,
    /// The namespaces' label epoch the matches were found under.
    namespace_epoch: u64,
}

fn key(ctx: &Ctx, term: &PodAffinityTerm) -> usize {
    ctx.topology.position(&term.topology_key).expect("topology keys are indexed before the cycle")
}

impl TermCache {
    /// The matches of the pod's group, found on first use and extended to new groups.
    pub fn get(&mut self, ctx: &Ctx) -> &GroupTerms {
        let g = ctx.pod.group as usize;
        if self.namespace_epoch != ctx.store.namespaces.epoch() {
            self.per_group.clear();
            self.namespace_epoch = ctx.store.namespaces.epoch();
        }
        if self.per_group.len() <= g {
            self.per_group.resize_with(g + 1, || None);
        }
        let terms = self.per_group[g].get_or_insert_with(|| GroupTerms::new(ctx));
        terms.match_new_groups(ctx);
        terms
    }
}

impl GroupTerms {
    fn new(ctx: &Ctx) -> Self {
        let labels = &ctx.pod.template.labels;
        let (ns, namespaces) = (ctx.pod.namespace, &ctx.store.namespaces);
        let own = |terms: &[PodAffinityTerm]| -> Vec<OwnTerm> {
            terms
                .iter()
                .map(|t| OwnTerm {
                    key: key(ctx, t),
                    self_match: t.selects(ns, ns, labels, namespaces),
                    groups: Vec::new(),
                })
                .collect()
        };
        let rules = &ctx.pod.template.spec.affinity;
        GroupTerms {
            affinity: own(&rules.pod.required),
            anti_affinity: own(&rules.pod_anti.required),
            ..GroupTerms::default()
        }
    }

    fn match_new_groups(&mut self, ctx: &Ctx) {
        let labels = &ctx.pod.template.labels;
        let own = &ctx.pod.template.spec.affinity;
        let (ns, namespaces) = (ctx.pod.namespace, &ctx.store.namespaces);
        for (i, g) in ctx.store.groups.iter().enumerate().skip(self.groups_seen) {
            let group = i as u32;
            let theirs = &g.template.spec.affinity;
            // The incoming pod's terms look from its namespace at the group's; the group's
            // terms look from the group's namespace at the incoming pod's.
            let selects_group = |t: &&PodAffinityTerm| t.selects(ns, g.namespace, &g.template.labels, namespaces);
            let selects_pod = |t: &&PodAffinityTerm| t.selects(g.namespace, ns, labels, namespaces);
            for t in theirs.pod_anti.required.iter().filter(selects_pod) {
                self.existing_anti.push(Match { group, weight: 1, key: key(ctx, t) });
            }
            for (terms, own_terms) in
                [(&own.pod.required, &mut self.affinity), (&own.pod_anti.required, &mut self.anti_affinity)]
            {
                for (t, o) in terms.iter().zip(own_terms.iter_mut()) {
                    if selects_group(&t) {
                        o.groups.push(group);
                    }
                }
            }
            let mut add =
                |weight: i64, t: &PodAffinityTerm| self.scoring.push(Match { group, weight, key: key(ctx, t) });
            for (w, t) in own.pod.preferred.iter().filter(|(_, t)| selects_group(&t)) {
                add(*w, t);
            }
            for (w, t) in own.pod_anti.preferred.iter().filter(|(_, t)| selects_group(&t)) {
                add(-*w, t);
            }
            for t in theirs.pod.required.iter().filter(selects_pod) {
                add(HARD_POD_AFFINITY_WEIGHT, t);
            }
            for (w, t) in theirs.pod.preferred.iter().filter(|(_, t)| selects_pod(&t)) {
                add(*w, t);
            }
            for (w, t) in theirs.pod_anti.preferred.iter().filter(|(_, t)| selects_pod(&t)) {
                add(-*w, t);
            }
        }
        self.groups_seen = ctx.store.groups.len();
    }
}

/// The group behind a match, if it has bound pods (Terminating ones included).
pub(super) fn bound<'a>(ctx: &Ctx<'a>, group: u32) -> Option<&'a PodGroup> {
    Some(&ctx.store.groups[group as usize]).filter(|g| g.with_terminating.total > 0)
}
