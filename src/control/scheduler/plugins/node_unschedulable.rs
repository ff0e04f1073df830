//! NodeUnschedulable: cordoned nodes take no pods unless the pod tolerates
//! `node.kubernetes.io/unschedulable:NoSchedule`.
//! Upstream: pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go.

use super::super::framework::{Ctx, Failure, Plugin, Reason};
use crate::model::{Node, Taint, TaintEffect, TAINT_NODE_UNSCHEDULABLE};

pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }

    fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        if !node.unschedulable {
            return None;
        }
        let taint =
            Taint { key: TAINT_NODE_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
        let tolerated = ctx.pod.tolerations.iter().any(|t| t.tolerates(&taint));
        (!tolerated).then_some(Failure::unresolvable(Reason::Text("node(s) were unschedulable")))
    }
}
