//! Node affinity, inter-pod (anti-)affinity and topology spread constraints.

use super::labels::{LabelSelector, Labels};
use super::namespace::{NamespaceId, Namespaces};

/// A `nodeSelectorTerms` requirement operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeSelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub op: NodeSelectorOp,
    pub values: Vec<String>,
}

/// One term: every expression and field requirement must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Only `metadata.name` is a valid field.
    pub match_fields: Vec<NodeSelectorRequirement>,
}

impl NodeSelectorRequirement {
    /// Upstream: staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go.
    fn matches_value(&self, value: Option<&str>) -> bool {
        match self.op {
            NodeSelectorOp::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            NodeSelectorOp::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            NodeSelectorOp::Exists => value.is_some(),
            NodeSelectorOp::DoesNotExist => value.is_none(),
            NodeSelectorOp::Gt | NodeSelectorOp::Lt => {
                let (Some(v), Some(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|b| b.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.op == NodeSelectorOp::Gt {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }
}

impl NodeSelectorTerm {
    /// An empty term matches nothing (upstream: a term with no requirements is ignored).
    pub fn matches(&self, node_name: &str, labels: &Labels) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false;
        }
        self.match_expressions.iter().all(|r| r.matches_value(labels.get(&r.key).map(String::as_str)))
            && self.match_fields.iter().all(|r| r.key == "metadata.name" && r.matches_value(Some(node_name)))
    }
}

/// `affinity.nodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeAffinity {
    /// requiredDuringSchedulingIgnoredDuringExecution: terms are ORed. `None`: no requirement.
    pub required: Option<Vec<NodeSelectorTerm>>,
    /// preferredDuringSchedulingIgnoredDuringExecution: (weight 1..100, term).
    pub preferred: Vec<(i64, NodeSelectorTerm)>,
}

/// One pod (anti-)affinity term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodAffinityTerm {
    pub selector: LabelSelector,
    pub topology_key: String,
    /// `namespaces:` as written.
    pub namespaces: Vec<String>,
    /// `namespaceSelector:` as written; `Some` of an empty selector is every namespace.
    pub namespace_selector: Option<LabelSelector>,
}

impl PodAffinityTerm {
    /// Whether the term, written on a pod of namespace `owner`, looks at pods of namespace
    /// `target`: the owner's own namespace when neither `namespaces` nor
    /// `namespaceSelector` is set, else the listed namespaces and those whose labels the
    /// selector matches (an empty selector: all; an absent one: none).
    // Upstream: pkg/scheduler/framework/types.go (GetNamespacesFromPodAffinityTerm, newAffinityTerm,
    // AffinityTerm.Matches: Namespaces.Has(ns) || NamespaceSelector.Matches(nsLabels)).
    pub fn selects_namespace(&self, owner: NamespaceId, target: NamespaceId, namespaces: &Namespaces) -> bool {
        if self.namespaces.is_empty() && self.namespace_selector.is_none() {
            return owner == target;
        }
        self.namespaces.iter().any(|n| n == namespaces.name(target))
            || self.namespace_selector.as_ref().is_some_and(|s| s.matches(namespaces.labels(target)))
    }

    /// Whether the term (on a pod of `owner`) selects pods of `target` labelled `labels`.
    pub fn selects(&self, owner: NamespaceId, target: NamespaceId, labels: &Labels, namespaces: &Namespaces) -> bool {
        self.selects_namespace(owner, target, namespaces) && self.selector.matches(labels)
    }
}

/// `podAffinity` or `podAntiAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodAffinityRules {
    pub required: Vec<PodAffinityTerm>,
    pub preferred: Vec<(i64, PodAffinityTerm)>,
}

impl PodAffinityRules {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Affinity {
    pub node: NodeAffinity,
    pub pod: PodAffinityRules,
    pub pod_anti: PodAffinityRules,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WhenUnsatisfiable {
    DoNotSchedule,
    ScheduleAnyway,
}

/// `topologySpreadConstraints` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopologySpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub when_unsatisfiable: WhenUnsatisfiable,
    pub selector: LabelSelector,
    pub min_domains: Option<i64>,
    /// Keys whose values on the incoming pod are added to the selector.
    pub match_label_keys: Vec<String>,
}

impl std::hash::Hash for LabelSelector {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.match_labels.hash(state);
        for r in &self.match_expressions {
            r.key.hash(state);
            (r.op as u8).hash(state);
            r.values.hash(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(key: &str, op: NodeSelectorOp, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement { key: key.into(), op, values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn affinity_terms_look_in_their_own_namespace_unless_told_otherwise() {
        let mut ns = Namespaces::default();
        let (d, a, b) = (NamespaceId::DEFAULT, ns.intern("team-a"), ns.intern("team-b"));
        ns.set_labels(b, Labels::from([("tier".to_string(), "prod".to_string())]));
        let plain = PodAffinityTerm::default();
        assert!(plain.selects_namespace(a, a, &ns) && !plain.selects_namespace(a, b, &ns));
        let listed = PodAffinityTerm { namespaces: vec!["team-b".into()], ..PodAffinityTerm::default() };
        assert!(
            listed.selects_namespace(a, b, &ns) && !listed.selects_namespace(a, a, &ns),
            "the list replaces the own"
        );
        let all = PodAffinityTerm { namespace_selector: Some(LabelSelector::default()), ..PodAffinityTerm::default() };
        assert!([d, a, b].iter().all(|t| all.selects_namespace(a, *t, &ns)));
        let prod = PodAffinityTerm {
            namespace_selector: Some(LabelSelector::from_labels(Labels::from([("tier".into(), "prod".into())]))),
            ..PodAffinityTerm::default()
        };
        assert!(
            prod.selects_namespace(d, b, &ns)
                && !prod.selects_namespace(d, d, &ns)
                && !prod.selects_namespace(b, a, &ns)
        );
        let labels = Labels::from([("app".to_string(), "web".to_string())]);
        let web = PodAffinityTerm {
            selector: LabelSelector::from_labels(labels.clone()),
            namespaces: vec!["team-b".into()],
            ..PodAffinityTerm::default()
        };
        assert!(web.selects(a, b, &labels, &ns) && !web.selects(a, b, &Labels::new(), &ns));
    }

    #[test]
    fn node_selector_terms_follow_upstream_operators() {
        let labels: Labels = [("zone".to_string(), "a".to_string()), ("cores".to_string(), "8".to_string())].into();
        let term = |r: Vec<NodeSelectorRequirement>| NodeSelectorTerm { match_expressions: r, match_fields: vec![] };
        assert!(term(vec![req("zone", NodeSelectorOp::In, &["a", "b"])]).matches("n", &labels));
        assert!(!term(vec![req("zone", NodeSelectorOp::NotIn, &["a"])]).matches("n", &labels));
        assert!(term(vec![req("cores", NodeSelectorOp::Gt, &["4"])]).matches("n", &labels));
        assert!(!term(vec![req("cores", NodeSelectorOp::Lt, &["4"])]).matches("n", &labels));
        assert!(term(vec![req("gpu", NodeSelectorOp::DoesNotExist, &[])]).matches("n", &labels));
        assert!(!NodeSelectorTerm::default().matches("n", &labels), "an empty term matches nothing");
        let by_name = NodeSelectorTerm {
            match_expressions: vec![],
            match_fields: vec![req("metadata.name", NodeSelectorOp::In, &["n"])],
        };
        assert!(by_name.matches("n", &labels) && !by_name.matches("m", &labels));
    }
}
