//! PodTopologySpread's constraints resolved once per pod group: which constraints apply
//! (the pod's own, or the defaults with the Services/owner selector), their selectors with
//! `matchLabelKeys`, their topology keys' index positions, and which pod groups each
//! selector matches. Pods of a group share template, owner and namespace (model
//! `PodGroup`), so all of this is the same for every pod of the group; matches are
//! extended as groups are added, and the whole entry is rebuilt when a Service is added
//! (Services feed the default selector). Only groups of the pod's own namespace match.
//! Upstream: pkg/scheduler/framework/plugins/podtopologyspread/common.go (countPodsMatchSelector
//! skips pods of other namespaces).

use super::super::super::framework::Ctx;
use super::{system_defaults, Defaults, HOSTNAME};
use crate::model::{LabelSelector, NamespaceId, Pod, Store, TopologySpreadConstraint, WhenUnsatisfiable};

/// One constraint of a pod group, resolved.
pub(super) struct Resolved {
    /// Position of the topology key in the scheduler's topology index.
    pub key: usize,
    pub hostname: bool,
    pub max_skew: i64,
    pub min_domains: Option<i64>,
    /// The pod's own labels match the selector (it counts itself once placed).
    pub self_match: bool,
    selector: LabelSelector,
    /// Pod groups whose pods the selector matches (bound or not).
    pub matching: Vec<u32>,
}

/// A pod group's hard and soft constraints.
pub(super) struct GroupConstraints {
    services_seen: usize,
    groups_seen: usize,
    pub hard: Vec<Resolved>,
    pub soft: Vec<Resolved>,
    /// The soft constraints are upstream's system defaults: no key is required on a node.
    pub soft_is_system: bool,
}

/// Resolved constraints per pod group id.
#[derive(Default)]
pub(super) struct ConstraintCache {
    per_group: Vec<Option<GroupConstraints>>,
}

impl ConstraintCache {
    /// The constraints of the pod's group, resolved on first use and kept current.
    pub fn get(&mut self, ctx: &Ctx, defaults: &Defaults) -> &GroupConstraints {
        let g = ctx.pod.group as usize;
        if self.per_group.len() <= g {
            self.per_group.resize_with(g + 1, || None);
        }
        let entry = &mut self.per_group[g];
        if entry.as_ref().is_none_or(|c| c.services_seen != ctx.store.services.len()) {
            *entry = Some(GroupConstraints::resolve(ctx, defaults));
        }
        let c = entry.as_mut().expect("just resolved");
        c.match_new_groups(ctx.store, ctx.pod.namespace);
        c
    }
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

/// The selector system defaults use: the pod's Services (of its namespace) and owning
/// ReplicaSet, ANDed.
/// Upstream: pkg/scheduler/framework/plugins/helper/spread.go (DefaultSelector: Services(pod.Namespace)).
fn default_selector(store: &Store, pod: &Pod) -> LabelSelector {
    let mut sel = LabelSelector::default();
    for s in store.services.iter().filter(|s| !s.selector.is_empty() && s.selects(pod)) {
        sel.match_labels.extend(s.selector.match_labels.clone());
    }
    if let Some(rs) = pod.replica_set() {
        let rs = store.replica_set(rs);
        sel.match_labels.extend(rs.selector.match_labels.clone());
        sel.match_expressions.extend(rs.selector.match_expressions.clone());
    }
    sel
}

fn resolved(ctx: &Ctx, c: &TopologySpreadConstraint, selector: LabelSelector) -> Resolved {
    Resolved {
        key: ctx.topology.position(&c.topology_key).expect("topology keys are indexed before the cycle"),
        hostname: c.topology_key == HOSTNAME,
        max_skew: c.max_skew,
        min_domains: c.min_domains,
        self_match: selector.matches(&ctx.pod.template.labels),
        selector,
        matching: Vec::new(),
    }
}

impl GroupConstraints {
    fn resolve(ctx: &Ctx, defaults: &Defaults) -> Self {
        let declared = &ctx.pod.template.spec.topology_spread;
        let of = |when: WhenUnsatisfiable| -> Vec<Resolved> {
            declared
                .iter()
                .filter(|c| c.when_unsatisfiable == when)
                .map(|c| resolved(ctx, c, effective_selector(c, ctx.pod)))
                .collect()
        };
        let hard = of(WhenUnsatisfiable::DoNotSchedule);
        let (soft, soft_is_system) = if !declared.is_empty() {
            (of(WhenUnsatisfiable::ScheduleAnyway), false)
        } else {
            let selector = default_selector(ctx.store, ctx.pod);
            let list = match defaults {
                _ if selector.is_empty() => Vec::new(),
                Defaults::System => system_defaults(),
                Defaults::List(l) => {
                    l.iter().filter(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway).cloned().collect()
                }
            };
            let soft = list
                .into_iter()
                .map(|c| TopologySpreadConstraint { selector: selector.clone(), ..c })
                .map(|c| resolved(ctx, &c, effective_selector(&c, ctx.pod)))
                .collect();
            (soft, *defaults == Defaults::System)
        };
        GroupConstraints { services_seen: ctx.store.services.len(), groups_seen: 0, hard, soft, soft_is_system }
    }

    /// Tests the groups of namespace `namespace` added since the last call against every selector.
    fn match_new_groups(&mut self, store: &Store, namespace: NamespaceId) {
        for (i, g) in store.groups.iter().enumerate().skip(self.groups_seen) {
            if g.namespace != namespace {
                continue;
            }
            for c in self.hard.iter_mut().chain(&mut self.soft) {
                if c.selector.matches(&g.template.labels) {
                    c.matching.push(i as u32);
                }
            }
        }
        self.groups_seen = store.groups.len();
    }
}
