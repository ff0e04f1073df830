//! Graceful pod termination: a deleted pod on a reachable kubelet stays Terminating
//! (out of the endpoints, not active, its requests still on the node) while the kubelet
//! runs each container's preStop hook, sends SIGTERM, and SIGKILLs what is left when the
//! grace period runs out; then the API object is removed (`pod_deleted`).
//! Upstream: pkg/kubelet/kuberuntime/kuberuntime_container.go (killContainer, executePreStopHook).

use super::{World, WorldEvent};
use crate::engine::Duration;
use crate::model::{PodId, PodSpec};

/// Upstream: pkg/kubelet/kuberuntime/kuberuntime_container.go (minimumGracePeriodInSeconds).
pub const MINIMUM_GRACE_PERIOD: Duration = Duration::from_secs(2);

const SECOND: u64 = 1_000_000_000;

/// How stopping one container goes, from the moment the kubelet starts killing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerStop {
    /// When SIGTERM is sent (after the preStop hook).
    pub sigterm: Duration,
    /// When the container is gone.
    pub exit: Duration,
    /// Whether the grace period ran out first (SIGKILL).
    pub killed: bool,
}

/// One container with grace period `grace` (whole seconds, > 0), a preStop hook that
/// runs `pre_stop`, and an app that exits `shutdown` after SIGTERM. The hook runs at most
/// `grace` and its whole seconds are taken off the grace period; the rest is never less
/// than 2 s. Upstream: pkg/kubelet/kuberuntime/kuberuntime_container.go (killContainer:
/// `gracePeriod -= executePreStopHook(...)` when `gracePeriod > 0`, then the minimum).
pub fn container_stop(grace: Duration, pre_stop: Duration, shutdown: Duration) -> ContainerStop {
    let mut remaining = grace.as_nanos() / SECOND;
    let mut hook = Duration::ZERO;
    if pre_stop > Duration::ZERO && remaining > 0 {
        // The hook is abandoned when the grace period is over; its time counts in whole seconds.
        // Upstream: pkg/kubelet/kuberuntime/kuberuntime_container.go (executePreStopHook: int64(time.Since(start).Seconds())).
        hook = pre_stop.min(Duration::from_secs(remaining));
        remaining -= hook.as_nanos() / SECOND;
    }
    let window = Duration::from_secs(remaining).max(MINIMUM_GRACE_PERIOD);
    ContainerStop { sigterm: hook, exit: hook + shutdown.min(window), killed: shutdown > window }
}

/// The whole pod: its containers are stopped in parallel, so it is gone when the last one
/// is. `None` when the grace period is 0: the API server deletes the object at once.
/// Upstream: pkg/kubelet/kuberuntime/kuberuntime_manager.go (killContainersWithSyncResult,
/// one goroutine per container) and staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go
/// (a zero grace period deletes immediately).
pub fn pod_stop(spec: &PodSpec, shutdown: Duration) -> Option<ContainerStop> {
    if spec.termination_grace_period.as_nanos() / SECOND == 0 {
        return None;
    }
    spec.containers.iter().map(|c| container_stop(spec.termination_grace_period, c.pre_stop, shutdown)).reduce(
        |a, b| ContainerStop {
            sigterm: a.sigterm.max(b.sigterm),
            exit: a.exit.max(b.exit),
            killed: a.killed || b.killed,
        },
    )
}

impl World<'_> {
    /// The kubelet (reachable, host up) starts killing a pod just marked Terminating. A pod
    /// whose containers have not started yet is gone at once.
    pub(super) fn begin_termination(&mut self, id: PodId) {
        let p = self.store.pod(id);
        if !p.containers_running {
            self.forget_pod(id);
            return;
        }
        let shutdown = self.scenario.control_plane.pod_shutdown.sample(&mut self.shutdown_rng);
        let Some(stop) = pod_stop(&p.template.spec, shutdown) else {
            self.forget_pod(id);
            return;
        };
        let p = self.store.pod_mut(id);
        p.stopping = true;
        let incarnation = p.incarnation;
        let at = self.now() + stop.exit;
        self.queue.schedule(at, WorldEvent::PodStopped { pod: id, incarnation });
    }

    /// The pod's last container exited (or was SIGKILLed). The kubelet then deletes the API
    /// object if it can post; otherwise [`World::kubelet_sync`] does when it can.
    // Upstream: pkg/kubelet/status/status_manager.go (canBeDeleted, then a delete with grace 0).
    pub(super) fn pod_stopped(&mut self, id: PodId, incarnation: u32) {
        let Some(p) = self.store.try_pod_mut(id) else { return };
        if p.incarnation != incarnation || !p.stopping {
            return; // the host died meanwhile: the kubelet finishes when it is back
        }
        p.stopping = false;
        p.containers_running = false;
        p.kubelet_ready = false;
        let node = p.node.expect("stopping pods are bound");
        if self.kubelet_can_post(node) {
            self.forget_pod(id);
        }
    }

    /// Removes a pod from the API (its node's resources are free again): `pod_deleted`.
    pub(super) fn forget_pod(&mut self, id: PodId) {
        let now = self.now();
        let pod = self.store.remove_pod(id);
        self.scheduler.queue.remove(id);
        let node = pod.node.and_then(|n| self.store.try_node(n)).map(|n| n.name.clone());
        self.events.emit(now, "pod_deleted", |e| {
            e.str("pod", &pod.name).namespace(self.store.namespaces.name(pod.namespace));
            if let Some(n) = &node {
                e.str("node", n);
            }
        });
        if pod.node.is_some() {
            self.cluster_changed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Container;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn stop(grace: u64, pre_stop: u64, shutdown: u64) -> (u64, u64, bool) {
        let c = container_stop(s(grace), s(pre_stop), s(shutdown));
        (c.sigterm.as_nanos() / SECOND, c.exit.as_nanos() / SECOND, c.killed)
    }

    #[test]
    fn pre_stop_within_the_grace_period_delays_sigterm() {
        assert_eq!(stop(30, 5, 0), (5, 5, false));
        assert_eq!(stop(30, 5, 10), (5, 15, false));
        // The hook's time comes off the grace period: 25 s are left after it.
        assert_eq!(stop(30, 5, 25), (5, 30, false));
        assert_eq!(stop(30, 5, 40), (5, 30, true));
    }

    #[test]
    fn a_hook_longer_than_the_grace_period_is_cut_and_the_minimum_follows() {
        // Hook abandoned at 30 s; 0 s left, raised to the 2 s minimum before SIGKILL.
        assert_eq!(stop(30, 40, 60), (30, 32, true));
        assert_eq!(stop(30, 40, 1), (30, 31, false));
        assert_eq!(stop(10, 9, 5), (9, 11, true));
    }

    #[test]
    fn the_minimum_grace_period_is_two_seconds() {
        assert_eq!(stop(1, 0, 10), (0, 2, true));
        assert_eq!(stop(1, 5, 10), (1, 3, true));
        assert_eq!(stop(30, 0, 30), (0, 30, false));
        assert_eq!(stop(30, 0, 31), (0, 30, true));
    }

    #[test]
    fn only_whole_seconds_of_the_hook_come_off() {
        let c = container_stop(s(10), Duration::from_millis(2500), s(100));
        // 10 - 2 = 8 s after SIGTERM at 2.5 s.
        assert_eq!((c.sigterm, c.exit, c.killed), (Duration::from_millis(2500), Duration::from_millis(10_500), true));
    }

    #[test]
    fn grace_zero_deletes_at_once_and_pods_end_with_their_last_container() {
        let container = |pre_stop| Container { pre_stop: s(pre_stop), ..Container::default() };
        let mut spec = PodSpec { containers: vec![container(0), container(5)], ..PodSpec::default() };
        assert_eq!(spec.termination_grace_period, s(30));
        assert_eq!(pod_stop(&spec, s(3)), Some(ContainerStop { sigterm: s(5), exit: s(8), killed: false }));
        spec.termination_grace_period = s(0);
        assert_eq!(pod_stop(&spec, s(3)), None);
        // Grace 0 skips the hook: upstream runs it only while `gracePeriod > 0`.
        assert_eq!(stop(0, 5, 0), (0, 0, false));
    }
}
