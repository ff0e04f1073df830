//! NodeName: a pod with `spec.nodeName` fits only that node.
//! Upstream: pkg/scheduler/framework/plugins/nodename/node_name.go.

use super::super::framework::{Ctx, Failure, Plugin, Reason};
use crate::model::Node;

pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }

    fn pre_filter(&mut self, ctx: &Ctx) -> Result<bool, Failure> {
        Ok(ctx.pod.template.spec.node_name.is_some())
    }

    fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        let wrong = ctx.pod.template.spec.node_name.as_ref().is_some_and(|n| *n != node.name);
        wrong.then_some(Failure::unresolvable(Reason::Text("node(s) didn't match the requested node name")))
    }
}
