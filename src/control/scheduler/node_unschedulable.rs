//! NodeUnschedulable: cordoned nodes take no pods unless the pod tolerates
//! `node.kubernetes.io/unschedulable:NoSchedule`.
//! Upstream: pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go.

use super::profile::FilterPlugin;
use crate::model::{Node, Pod, Taint, TaintEffect, TAINT_NODE_UNSCHEDULABLE};

pub struct NodeUnschedulable;

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }

    fn filter(&self, pod: &Pod, node: &Node, reasons: &mut Vec<String>) {
        if !node.unschedulable {
            return;
        }
        let taint =
            Taint { key: TAINT_NODE_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
        if !pod.tolerations.iter().any(|t| t.tolerates(&taint)) {
            reasons.push("node(s) were unschedulable".into());
        }
    }
}
