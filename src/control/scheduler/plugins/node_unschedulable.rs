//! NodeUnschedulable: cordoned nodes take no pods unless the pod tolerates
//! `node.kubernetes.io/unschedulable:NoSchedule`.
//! Upstream: pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go.

use super::super::framework::{any_node_cached, Ctx, Failure, Plugin, Reason};
use crate::model::{Node, Taint, TaintEffect, TAINT_NODE_UNSCHEDULABLE};

/// Remembers, per store node epoch, whether any node is cordoned.
#[derive(Default)]
pub struct NodeUnschedulable {
    cache: Option<(u64, bool)>,
}

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }

    /// With no cordoned node anywhere the filter cannot fail: skip it for this pod.
    fn pre_filter(&mut self, ctx: &Ctx) -> Result<bool, Failure> {
        Ok(any_node_cached(&mut self.cache, ctx, |n| n.unschedulable))
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
