//! PodTopologySpread: hard constraints filter (DoNotSchedule), soft ones score
//! (ScheduleAnyway), with upstream's system defaults for pods that declare none.
//! Upstream: pkg/scheduler/framework/plugins/podtopologyspread/{filtering,scoring,common}.go.
//!
//! Counting is exact but never walks the whole cluster: pods are counted by pod group over
//! the nodes each group runs on, and hostname constraints are counted per scored node.

use super::super::framework::{Ctx, Failure, Plugin, Reason, MAX_NODE_SCORE};
use super::super::topology::{count_per_domain, KeyIndex, NO_DOMAIN};
use super::node_affinity::required_node_affinity_matches;
use crate::model::{LabelSelector, Node, NodeId, TopologySpreadConstraint, WhenUnsatisfiable};
use resolve::ConstraintCache;

mod resolve;

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

/// A hard constraint resolved for one pod.
struct Hard {
    /// Pod groups the selector matches.
    matching: Vec<u32>,
    min_domains: Option<i64>,
    key: usize,
    max_skew: i64,
    self_match: bool,
    /// Matching pods per domain over eligible nodes.
    counts: Vec<i64>,
    /// Domains that have at least one eligible node.
    present: Vec<bool>,
    min_match: i64,
}

/// A soft constraint resolved for one pod.
struct Soft {
    key: usize,
    max_skew: i64,
    weight: f64,
    /// Hostname: groups whose pods match, counted per scored node.
    per_node_groups: Option<Vec<u32>>,
    /// Other keys: each domain's term `count * weight + (maxSkew - 1)` (count 0 for
    /// domains no feasible node is in), computed once per cycle.
    per_domain: Vec<f64>,
}

pub struct PodTopologySpread {
    defaults: Defaults,
    cache: ConstraintCache,
    hard: Vec<Hard>,
    soft: Vec<Soft>,
    /// Soft scoring needs every key on a node (pod-specified or List defaults).
    require_all_keys: bool,
}

impl PodTopologySpread {
    pub fn new(defaults: Defaults) -> Self {
        PodTopologySpread {
            defaults,
            cache: ConstraintCache::default(),
            hard: Vec::new(),
            soft: Vec::new(),
            require_all_keys: false,
        }
    }
}

/// Upstream: pkg/scheduler/apis/config/v1/defaults.go (systemDefaultConstraints).
fn system_defaults() -> Vec<TopologySpreadConstraint> {
    let c = |key: &str, skew| TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.into(),
        when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
        selector: LabelSelector::default(),
        min_domains: None,
        match_label_keys: Vec::new(),
    };
    vec![c(HOSTNAME, 3), c(ZONE, 5)]
}

/// Go's `math.Round` for the non-negative sums scored here, without a libm call.
fn round_half_away(x: f64) -> i64 {
    let t = x as i64;
    if x - t as f64 >= 0.5 {
        t + 1
    } else {
        t
    }
}

impl PodTopologySpread {
    /// Upstream: filtering.go (updateWithPod): the node must carry every constraint's key
    /// and pass the incoming pod's required node affinity; then each constraint whose
    /// selector matches the pod moves its domain's count by `delta` and the global
    /// minimum follows.
    fn update_with_pod(&mut self, ctx: &Ctx, pod: &crate::model::Pod, node: &Node, delta: i64) {
        let keys: Vec<usize> = self.hard.iter().map(|c| c.key).collect();
        if self.hard.is_empty() || !eligible(ctx, &keys, node) {
            return;
        }
        for c in &mut self.hard {
            if !c.matching.contains(&pod.group) {
                continue;
            }
            let d = ctx.topology.key(c.key).domain(node.id) as usize;
            c.counts[d] += delta;
            let domains = c.present.iter().filter(|p| **p).count() as i64;
            let min = c.counts.iter().zip(&c.present).filter(|(_, p)| **p).map(|(n, _)| *n).min().unwrap_or(0);
            c.min_match = if c.min_domains.is_some_and(|m| domains < m) { 0 } else { min };
        }
    }
}

/// The node carries every key (by topology index position).
fn has_keys(ctx: &Ctx, keys: &[usize], node: NodeId) -> bool {
    keys.iter().all(|k| ctx.topology.key(*k).domain(node) != NO_DOMAIN)
}

/// The pod restricts its nodes (nodeSelector or required node affinity).
fn node_constrained(ctx: &Ctx) -> bool {
    let spec = &ctx.pod.template.spec;
    !spec.node_selector.is_empty() || spec.affinity.node.required.is_some()
}

/// Nodes that count for spreading: they pass the pod's required node affinity and carry
/// every key. Upstream: nodeInclusionPolicy (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore).
fn eligible(ctx: &Ctx, keys: &[usize], node: &Node) -> bool {
    required_node_affinity_matches(&ctx.pod.template.spec, node) && has_keys(ctx, keys, node.id)
}

/// Domains of `key` that have an eligible node; `every_node` when all nodes with the key are.
fn eligible_domains(ctx: &Ctx, key: &KeyIndex, keys: &[usize], every_node: bool) -> Vec<bool> {
    if every_node {
        return key.has_node.clone();
    }
    let mut present = vec![false; key.num_domains()];
    for n in ctx.store.nodes.iter().filter(|n| eligible(ctx, keys, n)) {
        let d = key.domain(n.id);
        if d != NO_DOMAIN {
            present[d as usize] = true;
        }
    }
    present
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn pre_filter(&mut self, ctx: &Ctx) -> Result<bool, Failure> {
        self.hard.clear();
        let group = self.cache.get(ctx, &self.defaults);
        let keys: Vec<usize> = group.hard.iter().map(|c| c.key).collect();
        let constrained = node_constrained(ctx);
        for c in &group.hard {
            let key = ctx.topology.key(c.key);
            // With no node restriction and this as the only key, every node with the key counts.
            let every_node = !constrained && keys.iter().all(|k| *k == c.key);
            let filter = |id: NodeId| eligible(ctx, &keys, ctx.store.node(id));
            let counts = count_per_domain(ctx.store, key, &c.matching, (!every_node).then_some(&filter));
            let present = eligible_domains(ctx, key, &keys, every_node);
            let domains = present.iter().filter(|p| **p).count() as i64;
            let min_match = counts.iter().zip(&present).filter(|(_, p)| **p).map(|(c, _)| *c).min().unwrap_or(0);
            let min_match = if c.min_domains.is_some_and(|m| domains < m) { 0 } else { min_match };
            self.hard.push(Hard {
                matching: c.matching.clone(),
                min_domains: c.min_domains,
                key: c.key,
                max_skew: c.max_skew,
                self_match: c.self_match,
                counts,
                present,
                min_match,
            });
        }
        Ok(!self.hard.is_empty())
    }

    /// A pod leaves `node` in a preemption dry run: its domain's count drops for each hard
    /// constraint whose selector matches it, on nodes that count for spreading.
    // Upstream: podtopologyspread/filtering.go (RemovePod, updateWithPod).
    fn remove_pod(&mut self, ctx: &Ctx, pod: &crate::model::Pod, node: &Node) {
        self.update_with_pod(ctx, pod, node, -1);
    }

    fn add_pod(&mut self, ctx: &Ctx, pod: &crate::model::Pod, node: &Node) {
        self.update_with_pod(ctx, pod, node, 1);
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
        let group = self.cache.get(ctx, &self.defaults);
        if group.soft.is_empty() {
            return false;
        }
        // System defaults do not require every key, so nodes without a zone still spread by hostname.
        let system = group.soft_is_system;
        self.require_all_keys = !system;
        let keys: Vec<usize> = if system { Vec::new() } else { group.soft.iter().map(|c| c.key).collect() };
        let scored = || feasible.iter().copied().filter(|id| has_keys(ctx, &keys, *id));
        let filter = |id: NodeId| eligible(ctx, &keys, ctx.store.node(id));
        let every_node = !node_constrained(ctx) && keys.is_empty();
        for c in &group.soft {
            let key = ctx.topology.key(c.key);
            if c.hostname {
                let groups = c.matching.iter().copied().filter(|g| ctx.store.groups[*g as usize].bound > 0).collect();
                let weight = ((scored().count() + 2) as f64).ln();
                self.soft.push(Soft {
                    key: c.key,
                    max_skew: c.max_skew,
                    weight,
                    per_node_groups: Some(groups),
                    per_domain: Vec::new(),
                });
                continue;
            }
            let counts = count_per_domain(ctx.store, key, &c.matching, (!every_node).then_some(&filter));
            let mut present = vec![false; key.num_domains()];
            for id in scored() {
                let d = key.domain(id);
                if d != NO_DOMAIN {
                    present[d as usize] = true;
                }
            }
            let mut size = present.iter().filter(|x| **x).count();
            // System defaults do not require the key: feasible nodes without it are the
            // domain "", which counts in the weight (they score no term for this key).
            // Upstream: scoring.go (initPreScoreState with requireAllTopologies false).
            if system && scored().any(|id| key.domain(id) == NO_DOMAIN) {
                size += 1;
            }
            let weight = ((size + 2) as f64).ln();
            let per_domain = counts
                .iter()
                .zip(&present)
                .map(|(count, p)| (if *p { *count } else { 0 }) as f64 * weight + (c.max_skew - 1) as f64)
                .collect();
            self.soft.push(Soft { key: c.key, max_skew: c.max_skew, weight, per_node_groups: None, per_domain });
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
            score += match &c.per_node_groups {
                Some(groups) => {
                    let count: i64 =
                        groups.iter().map(|g| i64::from(ctx.store.groups[*g as usize].on_node(node.id))).sum();
                    count as f64 * c.weight + (c.max_skew - 1) as f64
                }
                None => c.per_domain[d as usize],
            };
        }
        round_half_away(score)
    }

    /// Fewer matching pods score higher: `100 * (max + min - s) / max`; ignored nodes 0.
    fn normalize(&self, scores: &mut [i64]) {
        let (min, max) = scores.iter().filter(|s| **s >= 0).fold((i64::MAX, 0), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
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

#[cfg(test)]
mod tests {
    use super::super::super::topology::TopologyIndex;
    use super::*;
    use crate::engine::Time;
    use crate::model::testing::node;
    use crate::model::{PodTemplate, Requirement, Resources, SelectorOp, Store};
    use std::sync::Arc;

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

    fn exists(key: &str) -> LabelSelector {
        LabelSelector {
            match_labels: Default::default(),
            match_expressions: vec![Requirement { key: key.into(), op: SelectorOp::Exists, values: vec![] }],
        }
    }

    fn labelled(labels: &[&str]) -> Arc<PodTemplate> {
        Arc::new(PodTemplate {
            labels: labels.iter().map(|l| (l.to_string(), String::new())).collect(),
            ..PodTemplate::default()
        })
    }

    /// Upstream's scoring table harness: `nodes` (name, zone), existing pods (labels, node
    /// index), the incoming pod's soft constraints, and which nodes passed the filters.
    fn score(
        nodes: &[(&str, &str)],
        existing: &[(&[&str], usize)],
        constraints: Vec<TopologySpreadConstraint>,
        feasible: &[usize],
    ) -> Vec<i64> {
        let mut store = Store::default();
        for (name, zone) in nodes {
            store.add_node(|id| {
                let mut n = node(100_000, 1 << 40, Resources::default());
                n.id = id;
                n.name = name.to_string();
                n.labels.insert(HOSTNAME.into(), name.to_string());
                n.labels.insert("zone".into(), zone.to_string());
                n
            });
        }
        for (i, (labels, on)) in existing.iter().enumerate() {
            let p = store.create_pod(format!("p{i}"), labelled(labels), vec![], None, Time::ZERO);
            store.bind(p, NodeId(*on as u32));
        }
        let mut template = (*labelled(&["foo", "bar"])).clone();
        template.spec.topology_spread = constraints;
        let incoming = store.create_pod("p".into(), Arc::new(template), vec![], None, Time::ZERO);
        let mut topology = TopologyIndex::default();
        topology.ensure(HOSTNAME, &store);
        topology.ensure("zone", &store);
        let ctx = Ctx { store: &store, pod: store.pod(incoming), topology: &topology };
        let feasible: Vec<NodeId> = feasible.iter().map(|i| NodeId(*i as u32)).collect();
        let mut plugin = PodTopologySpread::new(Defaults::System);
        assert!(plugin.pre_score(&ctx, &feasible));
        let mut scores: Vec<i64> = feasible.iter().map(|id| plugin.score(&ctx, store.node(*id))).collect();
        plugin.normalize(&mut scores);
        scores
    }

    fn soft(key: &str, skew: i64, selector: LabelSelector) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew: skew,
            topology_key: key.into(),
            when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
            selector,
            min_domains: None,
            match_label_keys: vec![],
        }
    }

    #[test]
    fn system_defaults_count_nodes_without_a_zone_as_one_domain() {
        // Upstream: scoring_test.go (TestPreScoreStateEmptyNodes, "system default constraints
        // and a replicaset"): node-a and node-b in zone mars, node-c and node-d without a
        // zone: "Nodes with no zone are not excluded. They are considered a separate zone."
        // TopologyNormalizingWeight = [w(4) hostname, w(2) zone].
        let mut store = Store::default();
        for (name, zone) in [("node-a", Some("mars")), ("node-b", Some("mars")), ("node-c", None), ("node-d", None)] {
            store.add_node(|id| {
                let mut n = node(100_000, 1 << 40, Resources::default());
                n.id = id;
                n.name = name.to_string();
                n.labels.insert(HOSTNAME.into(), name.to_string());
                if let Some(z) = zone {
                    n.labels.insert(ZONE.into(), z.to_string());
                }
                n
            });
        }
        let selector =
            LabelSelector { match_labels: [("foo".to_string(), "tar".to_string())].into(), ..Default::default() };
        store.services.push(crate::model::Service {
            name: "svc".into(),
            namespace: crate::model::NamespaceId::DEFAULT,
            selector,
        });
        let template = Arc::new(PodTemplate {
            labels: [("foo".to_string(), "tar".to_string()), ("baz".to_string(), "sup".to_string())].into(),
            ..PodTemplate::default()
        });
        let incoming = store.create_pod("p".into(), template, vec![], None, Time::ZERO);
        let mut topology = TopologyIndex::default();
        topology.ensure(HOSTNAME, &store);
        topology.ensure(ZONE, &store);
        let ctx = Ctx { store: &store, pod: store.pod(incoming), topology: &topology };
        let feasible: Vec<NodeId> = (0..4).map(NodeId).collect();
        let mut plugin = PodTopologySpread::new(Defaults::System);
        assert!(plugin.pre_score(&ctx, &feasible));
        let weights: Vec<f64> = plugin.soft.iter().map(|c| c.weight).collect();
        let w = |size: usize| ((size + 2) as f64).ln();
        assert_eq!(weights, [w(4), w(2)]);
        // The zone-less nodes score no zone term; the zoned ones do.
        let scores: Vec<i64> = feasible.iter().map(|id| plugin.score(&ctx, store.node(*id))).collect();
        assert_eq!(scores, [round_half_away(2.0 + 4.0), round_half_away(2.0 + 4.0), 2, 2]);
    }

    #[test]
    fn only_pods_of_the_incoming_pods_namespace_are_counted() {
        // Upstream: podtopologyspread/common.go (countPodsMatchSelector skips other namespaces).
        let mut store = Store::default();
        for name in ["node-a", "node-b"] {
            store.add_node(|id| {
                let mut n = node(100_000, 1 << 40, Resources::default());
                n.id = id;
                n.name = name.to_string();
                n.labels.insert(HOSTNAME.into(), name.to_string());
                n
            });
        }
        let other = store.namespaces.intern("team-b");
        for i in 0..3 {
            let p = store.create_pod_in(other, format!("p{i}"), labelled(&["foo"]), vec![], None, Time::ZERO);
            store.bind(p, NodeId(0));
        }
        let scores_in = |store: &mut Store, namespace| {
            let mut template = (*labelled(&["foo"])).clone();
            template.spec.topology_spread = vec![soft(HOSTNAME, 1, exists("foo"))];
            let incoming = store.create_pod_in(namespace, "in".into(), Arc::new(template), vec![], None, Time::ZERO);
            let mut topology = TopologyIndex::default();
            topology.ensure(HOSTNAME, store);
            let ctx = Ctx { store, pod: store.pod(incoming), topology: &topology };
            let feasible = [NodeId(0), NodeId(1)];
            let mut plugin = PodTopologySpread::new(Defaults::System);
            plugin.pre_score(&ctx, &feasible);
            let mut scores: Vec<i64> = feasible.iter().map(|id| plugin.score(&ctx, store.node(*id))).collect();
            plugin.normalize(&mut scores);
            scores
        };
        let default = scores_in(&mut store, crate::model::NamespaceId::DEFAULT);
        assert_eq!(default[0], default[1], "team-b's pods are not counted: {default:?}");
        let team_b = scores_in(&mut store, other);
        assert!(team_b[1] > team_b[0], "in team-b they are: {team_b:?}");
    }

    #[test]
    fn scores_match_upstream_scoring_table() {
        // Upstream: podtopologyspread/scoring_test.go (TestPodTopologySpreadScore).
        let four = [("node-a", "zone1"), ("node-b", "zone1"), ("node-x", "zone2"), ("node-y", "zone2")];
        let foo: &[&str] = &["foo"];
        // "one constraint on node, all 4 nodes are candidates, maxSkew=3": spread 4/3/2/1.
        let spread4321: Vec<(&[&str], usize)> = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3].iter().map(|n| (foo, *n)).collect();
        assert_eq!(score(&four, &spread4321, vec![soft(HOSTNAME, 3, exists("foo"))], &[0, 1, 2, 3]), [44, 66, 77, 100]);
        // "one constraint on zone, 3 out of 4 nodes are candidates": 4/2/1/~3~.
        let spread4213: Vec<(&[&str], usize)> = [0, 0, 0, 0, 1, 1, 2, 3, 3, 3].iter().map(|n| (foo, *n)).collect();
        assert_eq!(score(&four, &spread4213, vec![soft("zone", 1, exists("foo"))], &[0, 1, 2]), [75, 75, 100]);
        // "one constraint on node, 3 out of 4 nodes are candidates": 4/2/1/~3~.
        assert_eq!(score(&four, &spread4213, vec![soft(HOSTNAME, 1, exists("foo"))], &[0, 1, 2]), [33, 83, 100]);
        // "two Constraints on zone and node, with different labelSelectors".
        let mixed: Vec<(&[&str], usize)> = vec![(foo, 0), (&["foo", "bar"], 1), (foo, 3), (&["bar"], 3)];
        let two = vec![soft("zone", 1, exists("foo")), soft(HOSTNAME, 1, exists("bar"))];
        assert_eq!(score(&four, &mixed, two.clone(), &[0, 1, 2, 3]), [60, 20, 100, 60]);
        // "... 3 out of 4 nodes are candidates".
        assert_eq!(score(&four, &mixed, two, &[0, 1, 2]), [50, 25, 100]);
    }
}
