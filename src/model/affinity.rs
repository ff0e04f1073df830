//! Node affinity, inter-pod (anti-)affinity and topology spread constraints.

use super::labels::{LabelSelector, Labels};

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

/// One pod (anti-)affinity term. Namespaces are not modelled (one namespace).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodAffinityTerm {
    pub selector: LabelSelector,
    pub topology_key: String,
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
