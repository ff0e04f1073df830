//! The taint-eviction controller: pods that do not tolerate a node's NoExecute taint are
//! deleted at once; pods that tolerate it for `tolerationSeconds` are deleted that long
//! after the taint was added. Upstream: pkg/controller/tainteviction/taint_eviction.go.

use super::{Decision, TerminationReason};
use crate::engine::{Duration, Time};
use crate::model::{NodeId, Pod, Store, TaintEffect};

/// Decisions for every pod on `node` after its NoExecute taints changed at `now`.
pub fn on_no_execute_taints(store: &Store, node_id: NodeId, now: Time) -> Vec<Decision> {
    let node = store.node(node_id);
    let taints: Vec<_> = node.taints.iter().filter(|(t, _)| t.effect == TaintEffect::NoExecute).collect();
    if taints.is_empty() {
        return Vec::new();
    }
    let taint_added = taints.iter().map(|(_, at)| *at).max().unwrap_or(now);
    let mut out = Vec::new();
    for pod in node.pods.iter().map(|id| store.pod(*id)).filter(|p| p.is_active()) {
        match min_toleration_seconds(pod, &taints) {
            None => out.push(Decision::DeletePod { pod: pod.id, reason: TerminationReason::NodeLost }),
            Some(None) => {}
            Some(Some(secs)) => out.push(Decision::ScheduleEviction {
                pod: pod.id,
                node: node_id,
                at: now + Duration::from_secs(secs),
                taint_added,
            }),
        }
    }
    out
}

/// `None`: some taint is not tolerated (evict now). `Some(None)`: tolerated forever.
/// `Some(Some(s))`: the smallest finite tolerationSeconds among matching tolerations.
/// Upstream: taint_eviction.go (getMinTolerationTime).
fn min_toleration_seconds(pod: &Pod, taints: &[&(crate::model::Taint, Time)]) -> Option<Option<u64>> {
    let mut min: Option<u64> = None;
    for (taint, _) in taints {
        let matching: Vec<_> = pod.tolerations.iter().filter(|t| t.tolerates(taint)).collect();
        if matching.is_empty() {
            return None;
        }
        for t in matching {
            if let Some(s) = t.toleration_seconds {
                let s = s.max(0) as u64;
                min = Some(min.map_or(s, |m| m.min(s)));
            }
        }
    }
    Some(min)
}
