//! NodeName: a pod with `spec.nodeName` fits only that node.
//! Upstream: pkg/scheduler/framework/plugins/nodename/node_name.go.

use super::profile::FilterPlugin;
use crate::model::{Node, Pod};

pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }

    fn filter(&self, pod: &Pod, node: &Node, reasons: &mut Vec<String>) {
        if pod.template.spec.node_name.as_ref().is_some_and(|n| *n != node.name) {
            reasons.push("node(s) didn't match the requested node name".into());
        }
    }
}
