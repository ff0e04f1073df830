//! The nodeSelector half of NodeAffinity: every selector label must be on the node.
//! Upstream: pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go.

use super::profile::FilterPlugin;
use crate::model::{Node, Pod};

pub struct NodeSelector;

impl FilterPlugin for NodeSelector {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn filter(&self, pod: &Pod, node: &Node, reasons: &mut Vec<String>) {
        let fits = pod.template.spec.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v));
        if !fits {
            reasons.push("node(s) didn't match Pod's node affinity/selector".into());
        }
    }
}
