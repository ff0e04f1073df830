//! NodeAffinity: `nodeSelector` and required node affinity filter; preferred terms score.
//! Upstream: pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go.

use super::super::framework::{default_normalize_score, Ctx, Failure, Plugin, Reason, MAX_NODE_SCORE};
use crate::model::{Node, NodeId, NodeSelectorOp, PodSpec};

pub struct NodeAffinity;

/// `nodeSelector` (every label) and required terms (any term) both hold.
pub fn required_node_affinity_matches(spec: &PodSpec, node: &Node) -> bool {
    spec.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v))
        && spec
            .affinity
            .node
            .required
            .as_ref()
            .is_none_or(|terms| terms.iter().any(|t| t.matches(&node.name, &node.labels)))
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn pre_filter(&mut self, ctx: &Ctx) -> Result<bool, Failure> {
        let spec = &ctx.pod.template.spec;
        Ok(!spec.node_selector.is_empty() || spec.affinity.node.required.is_some())
    }

    /// Required terms that all name nodes (`matchFields` on `metadata.name` with `In`)
    /// narrow the cycle to those nodes: the union over terms of each term's intersection.
    /// Upstream: nodeaffinity/node_affinity.go (PreFilter, "Check if there is affinity to a specific node").
    fn pre_filter_nodes(&self, ctx: &Ctx) -> Option<Vec<String>> {
        let terms = ctx.pod.template.spec.affinity.node.required.as_ref()?;
        let mut names: Vec<String> = Vec::new();
        for term in terms {
            let mut term_names: Option<Vec<String>> = None;
            for r in term.match_fields.iter().filter(|r| r.key == "metadata.name" && r.op == NodeSelectorOp::In) {
                term_names = Some(match term_names {
                    None => r.values.clone(),
                    Some(prev) => prev.into_iter().filter(|n| r.values.contains(n)).collect(),
                });
            }
            // A term without a name requirement admits every node (terms are ORed).
            names.extend(term_names?);
        }
        names.sort();
        names.dedup();
        Some(names)
    }

    fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        (!required_node_affinity_matches(&ctx.pod.template.spec, node))
            .then_some(Failure::unresolvable(Reason::Text("node(s) didn't match Pod's node affinity/selector")))
    }

    fn pre_score(&mut self, ctx: &Ctx, _feasible: &[NodeId]) -> bool {
        !ctx.pod.template.spec.affinity.node.preferred.is_empty()
    }

    /// Sum of the weights of matching preferred terms.
    fn score(&self, ctx: &Ctx, node: &Node) -> i64 {
        ctx.pod
            .template
            .spec
            .affinity
            .node
            .preferred
            .iter()
            .filter(|(_, t)| t.matches(&node.name, &node.labels))
            .map(|(w, _)| *w)
            .sum()
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
    }
}
