//! PodDisruptionBudget arithmetic as pure functions: the disruption controller's status
//! (expected pods, desiredHealthy, currentHealthy, disruptionsAllowed, the disrupted-pods
//! map), the eviction subresource's verdict, and `kubectl drain`'s retry cadence.
//!
//! Upstream sources: pkg/controller/disruption/disruption.go,
//! pkg/registry/core/pod/storage/eviction.go and staging/src/k8s.io/kubectl/pkg/drain/drain.go
//! (current master). Percentages round **up** for both minAvailable and maxUnavailable
//! (`GetScaledValueFromIntOrPercent(..., true)` in getExpectedPodCount).

use crate::engine::{Duration, Time};
use crate::model::IntOrPercent;

/// How long a pod the eviction handler approved is assumed to be on its way out.
/// Upstream: pkg/controller/disruption/disruption.go (DeletionTimeout).
pub const DELETION_TIMEOUT: Duration = Duration::from_secs(120);
/// Upstream: pkg/registry/core/pod/storage/eviction.go (MaxDisruptedPodSize).
pub const MAX_DISRUPTED_POD_SIZE: usize = 2000;
/// `kubectl drain` retries an eviction refused with 429 after this long, until its
/// `--timeout` (default 0 = forever) runs out.
/// Upstream: staging/src/k8s.io/kubectl/pkg/drain/drain.go (evictPods: time.Sleep(5 * time.Second)).
pub const DRAIN_EVICTION_RETRY_INTERVAL: Duration = Duration::from_secs(5);
/// `kubectl drain` polls at this interval for evicted pods to disappear.
/// Upstream: drain.go (evictPods/deletePods: waitForDelete interval 1 * time.Second).
pub const DRAIN_DELETE_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// `spec.minAvailable` / `spec.maxUnavailable` (maxUnavailable wins if both are set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdbBudget {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
    Unset,
}

/// What the disruption controller reads from one pod matched by the budget's selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdbPod {
    /// The Ready condition is True.
    pub ready: bool,
    /// deletionTimestamp is set.
    pub deleting: bool,
    /// The controller whose scale counts for this pod, as (unique key, scale): the
    /// Deployment for a ReplicaSet owned by one, else the ReplicaSet (or RC, StatefulSet,
    /// scale subresource). None: the pod has no controller.
    pub controller: Option<(u64, i32)>,
    /// The pod's entry in `status.disruptedPods` (when the eviction was approved).
    pub disrupted_at: Option<Time>,
}

impl PdbPod {
    pub fn ready(controller: Option<(u64, i32)>) -> Self {
        PdbPod { ready: true, deleting: false, controller, disrupted_at: None }
    }
}

/// `(expectedPods, desiredHealthy, unmanaged pod indices)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedCount {
    pub expected: i32,
    pub desired_healthy: i32,
    /// Pods without a controller: left out of the scale sum (upstream warns, does not fail).
    pub unmanaged: Vec<usize>,
}

/// Sum of the scales of the distinct controllers of `pods`, and the unmanaged pods.
// Upstream: disruption.go (getExpectedScale).
pub fn expected_scale(pods: &[PdbPod]) -> (i32, Vec<usize>) {
    let mut seen: Vec<u64> = Vec::new();
    let mut total = 0;
    let mut unmanaged = Vec::new();
    for (i, pod) in pods.iter().enumerate() {
        match pod.controller {
            None => unmanaged.push(i),
            Some((key, scale)) => {
                if !seen.contains(&key) {
                    seen.push(key);
                    total += scale;
                }
            }
        }
    }
    (total, unmanaged)
}

/// maxUnavailable: expected = controllers' scale, desired = max(expected - ceil-percent, 0);
/// integer minAvailable: desired = it, expected = number of pods; percent minAvailable:
/// expected = controllers' scale, desired = percent of it rounded up; unset: 0 and 0.
// Upstream: disruption.go (getExpectedPodCount).
pub fn expected_pod_count(budget: PdbBudget, pods: &[PdbPod]) -> ExpectedCount {
    match budget {
        PdbBudget::MaxUnavailable(max) => {
            let (expected, unmanaged) = expected_scale(pods);
            let max_unavailable = max.scaled(i64::from(expected), true) as i32;
            ExpectedCount { expected, desired_healthy: (expected - max_unavailable).max(0), unmanaged }
        }
        PdbBudget::MinAvailable(IntOrPercent::Int(n)) => {
            ExpectedCount { expected: pods.len() as i32, desired_healthy: n as i32, unmanaged: Vec::new() }
        }
        PdbBudget::MinAvailable(min @ IntOrPercent::Percent(_)) => {
            let (expected, unmanaged) = expected_scale(pods);
            ExpectedCount { expected, desired_healthy: min.scaled(i64::from(expected), true) as i32, unmanaged }
        }
        PdbBudget::Unset => ExpectedCount::default(),
    }
}

/// A budget's status after a disruption-controller sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PdbStatus {
    pub expected_pods: i32,
    pub desired_healthy: i32,
    pub current_healthy: i32,
    pub disruptions_allowed: i32,
    /// Entries kept in `status.disruptedPods`: (pod index, approval time).
    pub disrupted_pods: Vec<(usize, Time)>,
    /// When to sync again to expire the earliest kept entry.
    pub recheck_at: Option<Time>,
    pub unmanaged: Vec<usize>,
}

/// The status a sync writes: disrupted-pod entries of pods not being deleted survive until
/// `approval + 2 min` has passed (strictly before now); healthy pods are Ready, not being
/// deleted and not disrupted within 2 min; `disruptionsAllowed = healthy - desired`, 0 if
/// negative or if no pod is expected.
// Upstream: disruption.go (trySync, buildDisruptedPodMap, countHealthyPods, updatePdbStatus).
pub fn pdb_status(budget: PdbBudget, pods: &[PdbPod], now: Time) -> PdbStatus {
    let count = expected_pod_count(budget, pods);
    let mut disrupted_pods = Vec::new();
    let mut recheck_at: Option<Time> = None;
    for (i, pod) in pods.iter().enumerate() {
        let Some(at) = pod.disrupted_at else { continue };
        if pod.deleting {
            continue;
        }
        let expected_deletion = at + DELETION_TIMEOUT;
        if expected_deletion < now {
            continue; // upstream logs "pod was expected to be deleted but it wasn't"
        }
        if recheck_at.is_none_or(|r| expected_deletion < r) {
            recheck_at = Some(expected_deletion);
        }
        disrupted_pods.push((i, at));
    }
    let current_healthy = pods
        .iter()
        .enumerate()
        .filter(|(i, pod)| {
            let disrupted = disrupted_pods.iter().any(|(j, at)| j == i && *at + DELETION_TIMEOUT > now);
            !pod.deleting && !disrupted && pod.ready
        })
        .count() as i32;
    let mut disruptions_allowed = current_healthy - count.desired_healthy;
    if count.expected <= 0 || disruptions_allowed <= 0 {
        disruptions_allowed = 0;
    }
    PdbStatus {
        expected_pods: count.expected,
        desired_healthy: count.desired_healthy,
        current_healthy,
        disruptions_allowed,
        disrupted_pods,
        recheck_at,
        unmanaged: count.unmanaged,
    }
}

// ---------------------------------------------------------------------------------------
// The eviction subresource
// ---------------------------------------------------------------------------------------

/// A pod's phase as the eviction handler reads it: the same five phases the HPA reads.
pub use super::hpa::Phase as EvictPhase;

/// The pod being evicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvictionPod {
    pub phase: EvictPhase,
    pub deleting: bool,
    pub ready: bool,
}

/// `spec.unhealthyPodEvictionPolicy` (None behaves as IfHealthyBudget).
pub use crate::model::UnhealthyPodEvictionPolicy;

/// A budget matching the pod, as the eviction handler reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdbView<'a> {
    pub name: &'a str,
    pub current_healthy: i32,
    pub desired_healthy: i32,
    pub disruptions_allowed: i32,
    /// Entries in status.disruptedPods.
    pub disrupted_pods: usize,
    /// status.observedGeneration >= metadata.generation.
    pub observed: bool,
    pub unhealthy_pod_eviction_policy: Option<UnhealthyPodEvictionPolicy>,
}

/// The eviction handler's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// The pod is deleted; no budget changes.
    Evicted,
    /// The pod is deleted; the budget loses one disruption and records the pod in
    /// status.disruptedPods (at the eviction time).
    EvictedWithinBudget,
    /// HTTP 429: `kubectl drain` retries after [`DRAIN_EVICTION_RETRY_INTERVAL`].
    TooManyRequests { message: String, cause: String },
    /// HTTP 500 (more than one budget): kubectl does not retry.
    Failure { message: String },
    /// HTTP 403: kubectl does not retry.
    Forbidden { message: String },
}

/// Terminal, Pending and already-deleting pods are deleted without consulting budgets;
/// more than one matching budget is an error; an unready pod is deleted without using the
/// budget under AlwaysAllow, or under IfHealthyBudget when `currentHealthy >=
/// desiredHealthy > 0`; otherwise the budget must have a disruption to spend.
// Upstream: pkg/registry/core/pod/storage/eviction.go (EvictionREST.Create, canIgnorePDB, checkAndDecrement).
pub fn evict(pod: &EvictionPod, pdbs: &[PdbView]) -> Eviction {
    if matches!(pod.phase, EvictPhase::Succeeded | EvictPhase::Failed | EvictPhase::Pending) || pod.deleting {
        return Eviction::Evicted;
    }
    let pdb =
        match pdbs {
            [] => return Eviction::Evicted,
            [one] => one,
            _ => return Eviction::Failure {
                message:
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
                        .to_string(),
            },
        };
    if !pod.ready {
        if pdb.unhealthy_pod_eviction_policy == Some(UnhealthyPodEvictionPolicy::AlwaysAllow) {
            return Eviction::Evicted;
        }
        if pdb.current_healthy >= pdb.desired_healthy && pdb.desired_healthy > 0 {
            return Eviction::Evicted;
        }
    }
    let refused = "Cannot evict pod as it would violate the pod's disruption budget.".to_string();
    if !pdb.observed {
        return Eviction::TooManyRequests {
            message: refused,
            cause: format!("The disruption budget {} is still being processed by the server.", pdb.name),
        };
    }
    if pdb.disruptions_allowed < 0 {
        return Eviction::Forbidden { message: "pdb disruptions allowed is negative".to_string() };
    }
    if pdb.disrupted_pods > MAX_DISRUPTED_POD_SIZE {
        return Eviction::Forbidden {
            message: "DisruptedPods map too big - too many evictions not confirmed by PDB controller".to_string(),
        };
    }
    if pdb.disruptions_allowed == 0 {
        return Eviction::TooManyRequests {
            message: refused,
            cause: format!(
                "The disruption budget {} needs {} healthy pods and has {} currently",
                pdb.name, pdb.desired_healthy, pdb.current_healthy
            ),
        };
    }
    Eviction::EvictedWithinBudget
}

/// When `kubectl drain` tries a refused eviction again: 5 s after the last attempt, unless
/// its global timeout (None: `--timeout=0`, forever) has expired by then, in which case it
/// gives up at that moment ("global timeout reached").
// Upstream: drain.go (evictPods: ctx.Done() checked before each attempt; 0 timeout means infinite).
pub fn drain_next_attempt(last_attempt: Time, started: Time, timeout: Option<Duration>) -> Option<Time> {
    let next = last_attempt + DRAIN_EVICTION_RETRY_INTERVAL;
    match timeout {
        Some(t) if next >= started + t => None,
        _ => Some(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IntOrPercent::{Int, Percent};

    /// VerifyPdbStatus(disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods).
    fn verify(s: &PdbStatus, allowed: i32, healthy: i32, desired: i32, expected: i32) {
        assert_eq!(
            (s.disruptions_allowed, s.current_healthy, s.desired_healthy, s.expected_pods),
            (allowed, healthy, desired, expected)
        );
    }

    const NOW: Time = Time::from_secs(10_000);

    // pkg/controller/disruption/disruption_test.go TestNoSelector.
    #[test]
    fn no_selector() {
        let budget = PdbBudget::MinAvailable(Int(3));
        verify(&pdb_status(budget, &[], NOW), 0, 0, 3, 0);
        verify(&pdb_status(budget, &[PdbPod::ready(None)], NOW), 0, 1, 3, 1);
    }

    // disruption_test.go TestUnavailable.
    #[test]
    fn unavailable() {
        let budget = PdbBudget::MinAvailable(Int(3));
        let mut pods = Vec::new();
        for i in 0..4 {
            verify(&pdb_status(budget, &pods, NOW), 0, i, 3, i);
            pods.push(PdbPod::ready(None));
        }
        verify(&pdb_status(budget, &pods, NOW), 1, 4, 3, 4);
        pods[0].ready = false;
        verify(&pdb_status(budget, &pods, NOW), 0, 3, 3, 4);
    }

    // disruption_test.go TestIntegerMaxUnavailable, TestNakedPod, TestStatusForUnmanagedPod:
    // no expected pods, no disruptions.
    #[test]
    fn naked_pods_allow_no_disruption() {
        assert_eq!(pdb_status(PdbBudget::MaxUnavailable(Int(1)), &[], NOW).disruptions_allowed, 0);
        let naked = pdb_status(PdbBudget::MaxUnavailable(Int(1)), &[PdbPod::ready(None)], NOW);
        assert_eq!((naked.disruptions_allowed, naked.unmanaged.clone()), (0, vec![0]));
        assert_eq!(
            pdb_status(PdbBudget::MinAvailable(Percent(28)), &[PdbPod::ready(None)], NOW).disruptions_allowed,
            0
        );
    }

    // disruption_test.go TestIntegerMaxUnavailableWithScaling and
    // TestPercentageMaxUnavailableWithScaling (30% of 7 rounds up to 3, of 3 up to 1).
    #[test]
    fn max_unavailable_follows_the_controller_scale() {
        let pod = |scale| [PdbPod::ready(Some((1, scale)))];
        verify(&pdb_status(PdbBudget::MaxUnavailable(Int(2)), &pod(7), NOW), 0, 1, 5, 7);
        verify(&pdb_status(PdbBudget::MaxUnavailable(Int(2)), &pod(5), NOW), 0, 1, 3, 5);
        verify(&pdb_status(PdbBudget::MaxUnavailable(Percent(30)), &pod(7), NOW), 0, 1, 4, 7);
        verify(&pdb_status(PdbBudget::MaxUnavailable(Percent(30)), &pod(3), NOW), 0, 1, 2, 3);
    }

    // disruption_test.go TestReplicaSet (20% of 10) and TestScaleResource (maxUnavailable 5
    // of a scale-10 custom resource with 4 pods).
    #[test]
    fn percent_min_available_and_scale_resources() {
        verify(&pdb_status(PdbBudget::MinAvailable(Percent(20)), &[PdbPod::ready(Some((1, 10)))], NOW), 0, 1, 2, 10);
        let pods = vec![PdbPod::ready(Some((9, 10))); 4];
        verify(&pdb_status(PdbBudget::MaxUnavailable(Int(5)), &pods, NOW), 0, 4, 5, 10);
    }

    // disruption_test.go TestMultipleControllers (1% of 1 rounds up to 1) and
    // TestReplicationController (34% of 3 rounds up to 2; a rogue pod without controller
    // counts as healthy but not as expected).
    #[test]
    fn percentages_round_up() {
        let two = vec![PdbPod::ready(None); 2];
        assert_eq!(pdb_status(PdbBudget::MinAvailable(Percent(1)), &two, NOW).disruptions_allowed, 0);
        let owned = vec![PdbPod::ready(Some((1, 1))); 2];
        assert_eq!(pdb_status(PdbBudget::MinAvailable(Percent(1)), &owned, NOW).disruptions_allowed, 1);

        let budget = PdbBudget::MinAvailable(Percent(34));
        verify(&pdb_status(budget, &[], NOW), 0, 0, 0, 0);
        let mut pods = Vec::new();
        for i in 0..3 {
            pods.push(PdbPod::ready(Some((7, 3))));
            let s = pdb_status(budget, &pods, NOW);
            if i < 2 {
                verify(&s, 0, i + 1, 2, 3);
            } else {
                verify(&s, 1, 3, 2, 3);
            }
        }
        pods.push(PdbPod::ready(None));
        assert_eq!(pdb_status(budget, &pods, NOW).disruptions_allowed, 2);
    }

    // disruption_test.go TestTwoControllers: 28% of an 11-pod RC is 4, of RC + RS (22) is 7.
    #[test]
    fn two_controllers() {
        let budget = PdbBudget::MinAvailable(Percent(28));
        let (size, min_one, min_two) = (11, 4, 7);
        let mut pods: Vec<PdbPod> = Vec::new();
        let mut unavailable = size - min_one - 1;
        for i in 1..=size {
            pods.push(PdbPod { ready: i > unavailable, ..PdbPod::ready(Some((1, size))) });
            let s = pdb_status(budget, &pods, NOW);
            if i <= unavailable {
                verify(&s, 0, 0, min_one, size);
            } else if i - unavailable <= min_one {
                verify(&s, 0, i - unavailable, min_one, size);
            } else {
                verify(&s, 1, i - unavailable, min_one, size);
            }
        }
        unavailable = 2 * size - (min_two + 2) - unavailable;
        for i in 1..=size {
            pods.push(PdbPod { ready: i > unavailable, ..PdbPod::ready(Some((2, size))) });
            let s = pdb_status(budget, &pods, NOW);
            if i <= unavailable {
                verify(&s, 0, min_one + 1, min_two, 2 * size);
            } else if i - unavailable <= min_two - (min_one + 1) {
                verify(&s, 0, (min_one + 1) + (i - unavailable), min_two, 2 * size);
            } else {
                verify(
                    &s,
                    i - unavailable - (min_two - (min_one + 1)),
                    (min_one + 1) + (i - unavailable),
                    min_two,
                    2 * size,
                );
            }
        }
        verify(&pdb_status(budget, &pods, NOW), 2, 2 + min_two, min_two, 2 * size);
        pods[size as usize - 1].ready = false;
        verify(&pdb_status(budget, &pods, NOW), 1, 1 + min_two, min_two, 2 * size);
        pods[size as usize - 2].ready = false;
        verify(&pdb_status(budget, &pods, NOW), 0, min_two, min_two, 2 * size);
        pods[size as usize - 1].ready = true;
        verify(&pdb_status(budget, &pods, NOW), 1, 1 + min_two, min_two, 2 * size);
    }

    // disruption_test.go TestUpdateDisruptedPods: p1 is being deleted (entry dropped), p2's
    // entry expired 5 min ago (dropped, counts healthy), p3's entry is fresh (kept, not
    // healthy); the entry of a pod that no longer exists disappears with it.
    #[test]
    fn update_disrupted_pods() {
        let pods = [
            PdbPod { deleting: true, disrupted_at: Some(NOW), ..PdbPod::ready(None) },
            PdbPod { disrupted_at: Some(Time::from_secs(10_000 - 300)), ..PdbPod::ready(None) },
            PdbPod { disrupted_at: Some(NOW), ..PdbPod::ready(None) },
        ];
        let s = pdb_status(PdbBudget::MinAvailable(Int(1)), &pods, NOW);
        verify(&s, 0, 1, 1, 3);
        assert_eq!(s.disrupted_pods, vec![(2, NOW)]);
        assert_eq!(s.recheck_at, Some(NOW + DELETION_TIMEOUT));
    }

    // disruption.go buildDisruptedPodMap / countHealthyPods boundaries: an entry exactly
    // 2 min old is kept in the map but the pod already counts as healthy.
    #[test]
    fn disrupted_entry_at_exactly_the_timeout() {
        let pod = [PdbPod { disrupted_at: Some(Time::from_secs(10_000 - 120)), ..PdbPod::ready(None) }];
        let s = pdb_status(PdbBudget::MinAvailable(Int(0)), &pod, NOW);
        assert_eq!(s.disrupted_pods.len(), 1);
        assert_eq!(s.current_healthy, 1);
    }

    #[test]
    fn max_unavailable_floors_desired_at_zero() {
        let s = pdb_status(PdbBudget::MaxUnavailable(Percent(100)), &[PdbPod::ready(Some((1, 3)))], NOW);
        verify(&s, 1, 1, 0, 3);
        assert_eq!(pdb_status(PdbBudget::Unset, &[PdbPod::ready(Some((1, 3)))], NOW).disruptions_allowed, 0);
    }

    fn view(allowed: i32, healthy: i32, desired: i32) -> PdbView<'static> {
        PdbView {
            name: "web",
            current_healthy: healthy,
            desired_healthy: desired,
            disruptions_allowed: allowed,
            disrupted_pods: 0,
            observed: true,
            unhealthy_pod_eviction_policy: None,
        }
    }

    // pkg/registry/core/pod/storage/eviction.go: the handler's decision table.
    #[test]
    fn eviction_verdicts() {
        let running = EvictionPod { phase: EvictPhase::Running, deleting: false, ready: true };
        assert_eq!(evict(&running, &[]), Eviction::Evicted);
        assert_eq!(evict(&running, &[view(1, 3, 2)]), Eviction::EvictedWithinBudget);
        assert_eq!(
            evict(&running, &[view(0, 2, 2)]),
            Eviction::TooManyRequests {
                message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
                cause: "The disruption budget web needs 2 healthy pods and has 2 currently".into(),
            }
        );
        assert!(matches!(evict(&running, &[view(1, 3, 2), view(1, 3, 2)]), Eviction::Failure { .. }));
        assert!(matches!(evict(&running, &[view(-1, 3, 2)]), Eviction::Forbidden { .. }));
        let stale = PdbView { observed: false, ..view(1, 3, 2) };
        assert!(matches!(evict(&running, &[stale]), Eviction::TooManyRequests { .. }));
        // Pods the budget ignores.
        for phase in [EvictPhase::Pending, EvictPhase::Succeeded, EvictPhase::Failed] {
            assert_eq!(evict(&EvictionPod { phase, ..running }, &[view(0, 0, 2)]), Eviction::Evicted);
        }
        assert_eq!(evict(&EvictionPod { deleting: true, ..running }, &[view(0, 0, 2)]), Eviction::Evicted);
        // Unready pods: IfHealthyBudget lets them go while the budget is met (and desired > 0).
        let unready = EvictionPod { ready: false, ..running };
        assert_eq!(evict(&unready, &[view(0, 2, 2)]), Eviction::Evicted);
        assert!(matches!(evict(&unready, &[view(0, 1, 2)]), Eviction::TooManyRequests { .. }));
        assert!(matches!(evict(&unready, &[view(0, 0, 0)]), Eviction::TooManyRequests { .. }));
        let always =
            PdbView { unhealthy_pod_eviction_policy: Some(UnhealthyPodEvictionPolicy::AlwaysAllow), ..view(0, 1, 2) };
        assert_eq!(evict(&unready, &[always]), Eviction::Evicted);
    }

    // drain.go evictPods: 429s are retried every 5 s until the global timeout.
    #[test]
    fn drain_retries_every_five_seconds_until_the_timeout() {
        let start = Time::from_secs(100);
        assert_eq!(drain_next_attempt(start, start, None), Some(Time::from_secs(105)));
        let timeout = Some(Duration::from_secs(12));
        assert_eq!(drain_next_attempt(Time::from_secs(105), start, timeout), Some(Time::from_secs(110)));
        assert_eq!(drain_next_attempt(Time::from_secs(110), start, timeout), None, "115 >= 112: timed out");
    }
}
