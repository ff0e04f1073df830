//! Kubelets: starting containers after `podStartup`, readiness probes, and what a host
//! crash or reboot does to the pods on it.

use super::{World, WorldEvent};
use crate::engine::Duration;
use crate::model::{NodeId, PodId, PodPhase, Scalars};

/// How long a `spec.nodeName` pod takes to reach its kubelet's admission check (the
/// kubelet's watch and sync loop). It paces upstream's known loop of a ReplicaSet
/// replacing pods its kubelet keeps rejecting (kubernetes#131116: a few per second).
pub const KUBELET_ADMISSION_LATENCY: Duration = Duration::from_millis(100);

impl World<'_> {
    /// The kubelet begins (re)starting a pod's containers; a `spec.nodeName` pod it has
    /// not admitted yet goes through its admission check first.
    pub(super) fn start_containers(&mut self, pod: PodId) {
        if self.store.pod(pod).awaits_kubelet_admission() {
            if self.admissions_due.insert(pod) {
                let at = self.now() + KUBELET_ADMISSION_LATENCY;
                self.queue.schedule(at, WorldEvent::KubeletAdmit { pod });
            }
            return;
        }
        let delay = self.scenario.control_plane.pod_startup.sample(&mut self.kubelet_rng);
        let node = self.store.pod(pod).node.expect("started pods are bound");
        let delay = self.slow_start(node).unwrap_or(delay);
        let p = self.store.pod_mut(pod);
        p.incarnation += 1;
        p.kubelet_admitted = true;
        p.kubelet_ready = false;
        let incarnation = p.incarnation;
        let at = self.now() + delay;
        self.queue.schedule(at, WorldEvent::PodStarted { pod, incarnation });
    }

    /// The kubelet's admission of a `spec.nodeName` pod: it starts the pod, or marks it
    /// Failed with the first failed check (the scheduler never saw the pod, so a
    /// NoSchedule taint does not stop it, a full node does).
    // Upstream: pkg/kubelet/kubelet.go (HandlePodAdditions, canAdmitPod, rejectPod) and pkg/kubelet/lifecycle/predicate.go.
    pub(super) fn kubelet_admit(&mut self, pod: PodId) {
        self.admissions_due.remove(&pod);
        let Some(p) = self.store.pods().get(&pod) else { return };
        let Some(node) = p.node.filter(|_| p.is_active() && p.awaits_kubelet_admission()) else { return };
        if !self.store.node(node).kubelet_reporting() {
            return; // its kubelet sees the pod when it is back (kubelet_sync)
        }
        let n = self.store.node(node);
        let (mut used, mut used_scalars, mut others) = (crate::model::Resources::default(), Scalars::default(), 0);
        for id in &n.pods {
            let q = self.store.pod(*id);
            if *id != pod && q.kubelet_admitted {
                used += q.requests;
                if let Some(s) = &q.scalar_requests {
                    used_scalars += **s;
                }
                others += 1;
            }
        }
        let names = &self.store.scalar_names;
        match crate::control::kubelet_admission::admit(p, n, used, &used_scalars, others, names) {
            Ok(()) => {
                self.store.pod_mut(pod).kubelet_accepted = true;
                self.start_containers(pod);
            }
            Err(rejection) => {
                let (now, name, ns, node_name) = (self.now(), p.name.clone(), p.namespace, n.name.clone());
                self.store.fail_pod(pod);
                self.events.emit(now, "pod_failed", |e| {
                    e.str("pod", &name)
                        .namespace(self.store.namespaces.name(ns))
                        .str("node", &node_name)
                        .str("reason", &rejection.reason)
                        .str("message", &rejection.message);
                });
            }
        }
    }

    fn current(&self, pod: PodId, incarnation: u32) -> bool {
        self.store.pods().get(&pod).is_some_and(|p| {
            p.incarnation == incarnation && p.is_active() && p.node.is_some_and(|n| self.store.node(n).host_up)
        })
    }

    /// The containers run. The API hears of it only if the kubelet can post; otherwise the
    /// status waits for [`World::kubelet_sync`].
    pub(super) fn pod_started(&mut self, pod: PodId, incarnation: u32) {
        if !self.current(pod, incarnation) {
            return;
        }
        let now = self.now();
        let p = self.store.pod_mut(pod);
        p.containers_running = true;
        p.started = Some(now);
        let probe = p.template.spec.readiness_probe;
        let node = p.node.expect("started pods are bound");
        if self.kubelet_can_post(node) {
            self.post_running(pod);
        }
        self.job_pod_started(pod, incarnation);
        let delay = readiness_delay(probe);
        if delay == Duration::ZERO {
            self.pod_ready(pod, incarnation);
        } else {
            self.queue.schedule(now + delay, WorldEvent::PodReady { pod, incarnation });
        }
    }

    /// The pod's phase becomes Running in the API.
    pub(super) fn post_running(&mut self, pod: PodId) {
        let now = self.now();
        let p = self.store.pod_mut(pod);
        p.phase = PodPhase::Running;
        p.started = Some(now);
        let node = p.node.expect("running pods are bound");
        let p = self.store.pod(pod);
        self.events.emit(now, "pod_running", |e| {
            e.str("pod", &p.name)
                .namespace(self.store.namespaces.name(p.namespace))
                .str("node", &self.store.node(node).name);
        });
    }

    /// The readiness probe passed; the API shows it if the kubelet can post.
    pub(super) fn pod_ready(&mut self, pod: PodId, incarnation: u32) {
        if !self.current(pod, incarnation) {
            return;
        }
        let p = self.store.pod_mut(pod);
        p.kubelet_ready = true;
        let node = p.node.expect("ready pods are bound");
        if p.ready || !self.kubelet_can_post(node) {
            return;
        }
        self.post_ready(pod);
    }

    /// The pod's Ready condition becomes True in the API.
    pub(super) fn post_ready(&mut self, pod: PodId) {
        let now = self.now();
        let p = self.store.pod_mut(pod);
        p.ready = true;
        p.ready_since = Some(now);
        p.ready_changed = now;
        let node = p.node.expect("ready pods are bound");
        let p = self.store.pod(pod);
        self.events.emit(now, "pod_ready", |e| {
            e.str("pod", &p.name)
                .namespace(self.store.namespaces.name(p.namespace))
                .str("node", &self.store.node(node).name);
        });
    }

    /// The host dies: heartbeats stop, containers are gone. The API still shows the pods
    /// Running and Ready until the node-lifecycle controller notices.
    pub(super) fn crash_node(&mut self, id: NodeId) {
        let now = self.now();
        let period = self.scenario.control_plane.node_status_update_frequency;
        let node = self.store.node_mut(id);
        node.heartbeat_frozen_at = Some(node.last_heartbeat(now, period));
        node.host_up = false;
        let name = node.name.clone();
        let pods: Vec<PodId> = node.pods.iter().copied().collect();
        for pod in pods {
            let p = self.store.pod_mut(pod);
            p.containers_running = false;
            p.kubelet_admitted = false;
            p.kubelet_ready = false;
            p.stopping = false;
            p.incarnation += 1;
        }
        self.events.emit(now, "node_crashed", |e| {
            e.str("node", &name);
        });
    }

    /// The host boots. If its kubelet can reach the API it posts Ready, finishes deleting
    /// pods that were deleted while it was away and restarts the containers of the rest
    /// ([`World::kubelet_sync`]); a kubelet still cut off waits for the connection.
    pub(super) fn recover_node(&mut self, id: NodeId) {
        let now = self.now();
        let node = self.store.node_mut(id);
        node.host_up = true;
        let name = node.name.clone();
        self.events.emit(now, "node_recovered", |e| {
            e.str("node", &name);
        });
        if self.kubelet_can_post(id) {
            self.kubelet_sync(id);
        }
    }
}

/// Time from container start to Ready: the first probe tick at or after
/// `initialDelaySeconds`, then `successThreshold - 1` more periods.
/// Upstream: pkg/kubelet/prober/worker.go (the first probe runs when the worker starts,
/// results before the initial delay are ignored).
pub fn readiness_delay(probe: Option<crate::model::Probe>) -> Duration {
    let Some(p) = probe else { return Duration::ZERO };
    let period = p.period.as_nanos().max(1);
    let first = p.initial_delay.as_nanos().div_ceil(period) * period;
    Duration::from_nanos(first + u64::from(p.success_threshold.saturating_sub(1)) * period)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Probe;

    #[test]
    fn readiness_waits_for_the_first_tick_after_the_initial_delay() {
        let probe = |delay, period, success| {
            Some(Probe {
                initial_delay: Duration::from_secs(delay),
                period: Duration::from_secs(period),
                success_threshold: success,
            })
        };
        assert_eq!(readiness_delay(None), Duration::ZERO);
        assert_eq!(readiness_delay(probe(0, 10, 1)), Duration::ZERO);
        assert_eq!(readiness_delay(probe(5, 10, 1)), Duration::from_secs(10));
        assert_eq!(readiness_delay(probe(10, 10, 1)), Duration::from_secs(10));
        assert_eq!(readiness_delay(probe(5, 2, 3)), Duration::from_secs(10));
    }
}
