//! `kubectl drain`: cordon the node, then evict each of its pods through the eviction
//! subresource (which honours PodDisruptionBudgets, `control::pdb`), retrying a refusal
//! (429) every 5 s and waiting (polling every second) for evicted pods to be gone, all
//! until the optional `--timeout`. Every pod is worked on in parallel, as kubectl's
//! goroutines do; the drain ends when each pod is gone or has failed.
//! Upstream: staging/src/k8s.io/kubectl/pkg/drain/drain.go (evictPods, waitForDelete),
//! filters.go (unreplicatedFilter) and pkg/cmd/drain/drain.go (RunDrain).

use super::ops::OpsEvent;
use super::{World, WorldEvent};
use crate::control::disruption::{
    drain_next_attempt, Eviction, DRAIN_DELETE_POLL_INTERVAL, DRAIN_EVICTION_RETRY_INTERVAL,
};
use crate::control::{pdb, TerminationReason};
use crate::engine::{Duration, Time};
use crate::model::{NodeId, PodId};
use crate::scenario::format_duration_nanos;

/// One running `kubectl drain`.
#[derive(Debug)]
pub(super) struct Drain {
    /// The timeline action, for `action_failed`.
    action: String,
    node: NodeId,
    started: Time,
    timeout: Option<Duration>,
    pods: Vec<DrainPod>,
    finished: bool,
}

#[derive(Debug)]
struct DrainPod {
    id: PodId,
    name: String,
    namespace: String,
    state: PodState,
    refused_once: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum PodState {
    /// The next eviction attempt is at `at`; when `give_up`, the global timeout will have
    /// passed by then and the attempt fails instead.
    Evicting {
        at: Time,
        give_up: bool,
    },
    /// Evicted; the next check that it is gone is at `poll`.
    Deleting {
        poll: Time,
    },
    Done,
    Failed(String),
}

/// `utilerrors.NewAggregate(errs).Error()`: one message as is, several (deduplicated) in
/// brackets. Upstream: staging/src/k8s.io/apimachinery/pkg/util/errors/errors.go.
fn aggregate(errors: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in errors {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    match seen.as_slice() {
        [one] => one.to_string(),
        many => format!("[{}]", many.join(", ")),
    }
}

impl World<'_> {
    /// `drain` from the timeline: cordons, refuses bare pods unless `force`, and starts
    /// evicting.
    pub(super) fn start_drain(
        &mut self,
        action: String,
        name: &str,
        timeout: Option<Duration>,
        force: bool,
        ignore_daemon_sets: bool,
    ) -> Result<(), String> {
        let now = self.now();
        let id = self.store.node_id(name).ok_or_else(|| format!("nodes {name:?} not found"))?;
        if !self.store.node(id).unschedulable {
            self.store.node_mut(id).unschedulable = true;
            self.events.emit(now, "node_cordoned", |e| {
                e.str("node", name);
            });
        }
        let mut pods: Vec<PodId> = self.store.node(id).pods.iter().copied().collect();
        // DaemonSet pods would come straight back: kubectl refuses them unless told to
        // ignore them, and then leaves them running.
        // Upstream: staging/src/k8s.io/kubectl/pkg/drain/filters.go (daemonSetFilter).
        let daemons: Vec<String> = pods
            .iter()
            .map(|p| self.store.pod(*p))
            .filter(|p| p.is_daemon() && p.deletion.is_none())
            .map(|p| format!("{}/{}", self.store.namespaces.name(p.namespace), p.name))
            .collect();
        if !daemons.is_empty() && !ignore_daemon_sets {
            return Err(format!(
                "unable to drain node {name:?} due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {}",
                daemons.join(", ")
            ));
        }
        pods.retain(|p| !self.store.pod(*p).is_daemon());
        // Pods without a controller are lost for good when deleted: kubectl wants --force.
        // Upstream: staging/src/k8s.io/kubectl/pkg/drain/filters.go (unreplicatedFilter, unmanagedFatal).
        let bare: Vec<String> = pods
            .iter()
            .map(|p| self.store.pod(*p))
            .filter(|p| p.owner.is_none())
            .map(|p| format!("{}/{}", self.store.namespaces.name(p.namespace), p.name))
            .collect();
        if !bare.is_empty() && !force {
            return Err(format!(
                "unable to drain node {name:?} due to error: cannot delete Pods that declare no controller (use --force to override): {}",
                bare.join(", ")
            ));
        }
        let pods = pods
            .into_iter()
            .map(|id| DrainPod {
                id,
                name: self.store.pod(id).name.clone(),
                namespace: self.store.namespaces.name(self.store.pod(id).namespace).to_string(),
                state: PodState::Evicting { at: now, give_up: false },
                refused_once: false,
            })
            .collect();
        self.ops.drains.push(Drain { action, node: id, started: now, timeout, pods, finished: false });
        self.drain_step(self.ops.drains.len() - 1);
        Ok(())
    }

    /// Works every pod of drain `i` that is due now, then finishes the drain or schedules
    /// its next wake-up.
    pub(super) fn drain_step(&mut self, i: usize) {
        let now = self.now();
        if self.ops.drains[i].finished {
            return;
        }
        for k in 0..self.ops.drains[i].pods.len() {
            // A pod may go from evicting to deleting to done within the instant.
            loop {
                let next = self.drain_pod_step(i, k, now);
                let pod = &mut self.ops.drains[i].pods[k];
                if next == pod.state {
                    break;
                }
                pod.state = next;
            }
        }
        let drain = &self.ops.drains[i];
        let mut failures = Vec::new();
        let mut wake: Option<Time> = None;
        for pod in &drain.pods {
            let due = match &pod.state {
                PodState::Evicting { at, .. } => *at,
                PodState::Deleting { poll } => *poll,
                PodState::Done => continue,
                PodState::Failed(e) => {
                    failures.push(e.clone());
                    continue;
                }
            };
            wake = Some(wake.map_or(due, |w: Time| w.min(due)));
        }
        if let Some(at) = wake {
            self.queue.schedule(at, WorldEvent::Ops(OpsEvent::DrainWake(i)));
            return;
        }
        let Some(node_name) = self.store.try_node(drain.node).map(|n| n.name.clone()) else {
            self.ops.drains[i].finished = true; // the node was removed meanwhile
            return;
        };
        let action = drain.action.clone();
        self.ops.drains[i].finished = true;
        if failures.is_empty() {
            self.events.emit(now, "node_drained", |e| {
                e.str("node", &node_name);
            });
        } else {
            // Upstream: staging/src/k8s.io/kubectl/pkg/cmd/drain/drain.go (RunDrain: "unable to drain node %q due to error: %s").
            let reason = format!("unable to drain node {node_name:?} due to error: {}", aggregate(&failures));
            self.events.emit(now, "action_failed", |e| {
                e.str("action", &action).str("reason", &reason);
            });
        }
    }

    /// The state pod `k` of drain `i` is in after what is due at `now`.
    fn drain_pod_step(&mut self, i: usize, k: usize, now: Time) -> PodState {
        let drain = &self.ops.drains[i];
        let (started, timeout, node) = (drain.started, drain.timeout, drain.node);
        let pod = &drain.pods[k];
        let (id, name, ns) = (pod.id, pod.name.clone(), pod.namespace.clone());
        let timeout_text = || format_duration_nanos(timeout.map_or(0, |t| t.as_nanos() as i64));
        match pod.state.clone() {
            PodState::Evicting { at, give_up } if at <= now => {
                if give_up {
                    return PodState::Failed(format!(
                        "error when evicting pods/{name:?} -n {ns:?}: global timeout reached: {}",
                        timeout_text()
                    ));
                }
                if let Some(reason) = self.api_refusal() {
                    return PodState::Failed(format!("error when evicting pods/{name:?} -n {ns:?}: {reason}"));
                }
                let Some(p) = self.store.pods().get(&id) else { return PodState::Done };
                match pdb::eviction_verdict(&self.store, p) {
                    Eviction::Evicted | Eviction::EvictedWithinBudget => {
                        self.delete_pod(id, TerminationReason::Drained);
                        PodState::Deleting { poll: now }
                    }
                    Eviction::TooManyRequests { message, cause } => {
                        if !self.ops.drains[i].pods[k].refused_once {
                            self.ops.drains[i].pods[k].refused_once = true;
                            let node_name = self.store.node(node).name.clone();
                            self.events.emit(now, "eviction_refused", |e| {
                                e.str("pod", &name)
                                    .namespace(&ns)
                                    .str("node", &node_name)
                                    .str("reason", &format!("{message} {cause}"));
                            });
                        }
                        match drain_next_attempt(now, started, timeout) {
                            Some(at) => PodState::Evicting { at, give_up: false },
                            None => PodState::Evicting { at: now + DRAIN_EVICTION_RETRY_INTERVAL, give_up: true },
                        }
                    }
                    Eviction::Failure { message } | Eviction::Forbidden { message } => {
                        PodState::Failed(format!("error when evicting pods/{name:?} -n {ns:?}: {message}"))
                    }
                }
            }
            PodState::Deleting { poll } if poll <= now => {
                if !self.store.pods().contains_key(&id) {
                    return PodState::Done;
                }
                let waiting = |why: &str| {
                    PodState::Failed(format!(
                        "error when waiting for pod {name:?} in namespace {ns:?} to terminate: {why}"
                    ))
                };
                if let Some(reason) = self.api_refusal() {
                    return waiting(reason);
                }
                if timeout.is_some_and(|t| now >= started + t) {
                    return waiting(&format!("global timeout reached: {}", timeout_text()));
                }
                PodState::Deleting { poll: now + DRAIN_DELETE_POLL_INTERVAL }
            }
            state => state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::aggregate;

    #[test]
    fn errors_aggregate_like_kubectl() {
        assert_eq!(aggregate(&["a".into()]), "a");
        assert_eq!(aggregate(&["a".into(), "b".into(), "a".into()]), "[a, b]");
    }
}
