//! The Job controller: one sync of one Job reads its pods from the store and returns what
//! to create, delete and count, the new status and when to look again ([`JobSync`]); the
//! world applies it (`world/jobs.rs`). A sync costs the Job's own live pods.
//!
//! Modelled as upstream with the JobPodReplacementPolicy and JobManagedBy gates on (their
//! defaults since 1.34): a failed or deleted pod is replaced at once (policy
//! TerminatingOrFailed), and the Complete/Failed condition waits for terminating pods
//! (the interim SuccessCriteriaMet/FailureTarget conditions). Not modelled:
//! podFailurePolicy, backoffLimitPerIndex, successPolicy, managedBy, podReplacementPolicy
//! Failed.
//! Upstream: pkg/controller/job/job_controller.go (syncJob, manageJob,
//! trackJobStatusAndRemoveFinalizers), backoff_utils.go, indexed_job_utils.go.

use super::TerminationReason;
use crate::engine::{Duration, Time};
use crate::model::{CompletionMode, Job, JobFailure, JobId, JobPod, Pod, PodId, PodPhase, RestartPolicy, Store};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Upstream: pkg/controller/job/job_controller.go (DefaultJobPodFailureBackOff).
pub const DEFAULT_POD_FAILURE_BACKOFF: Duration = Duration::from_secs(10);
/// Upstream: pkg/controller/job/job_controller.go (MaxJobPodFailureBackOff = 10 minutes).
pub const MAX_POD_FAILURE_BACKOFF: Duration = Duration::from_secs(600);
/// Pod events and status updates sync a Job this long after them.
/// Upstream: pkg/controller/job/job_controller.go (syncJobBatchPeriod).
pub const SYNC_JOB_BATCH_PERIOD: Duration = Duration::from_secs(1);
/// Upstream: pkg/controller/job/job_controller.go (MaxPodCreateDeletePerSync).
pub const MAX_POD_CREATE_DELETE_PER_SYNC: usize = 500;

/// Consecutive pod failures since the last success, and when the last one happened.
// Upstream: pkg/controller/job/backoff_utils.go (backoffRecord).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackoffRecord {
    pub failures_after_last_success: u32,
    pub last_failure: Option<Time>,
}

impl BackoffRecord {
    /// The record after newly finished pods (their finish times, any order).
    // Upstream: pkg/controller/job/backoff_utils.go (newBackoffRecord).
    pub fn updated(self, succeeded: &[Time], failed: &[Time]) -> BackoffRecord {
        let mut failed = failed.to_vec();
        failed.sort();
        let Some(&last_success) = succeeded.iter().max() else {
            return match failed.last() {
                None => self,
                Some(&last) => BackoffRecord {
                    failures_after_last_success: self.failures_after_last_success + failed.len() as u32,
                    last_failure: Some(last),
                },
            };
        };
        let mut out = BackoffRecord::default();
        for &t in failed.iter().rev() {
            if t <= last_success {
                break;
            }
            out.last_failure.get_or_insert(t);
            out.failures_after_last_success += 1;
        }
        out
    }

    /// How long until a pod may be created again: 10 s doubling per consecutive failure,
    /// capped at 10 minutes, from the last failure.
    // Upstream: pkg/controller/job/backoff_utils.go (getRemainingTimeForFailuresCount).
    pub fn remaining(&self, now: Time, default: Duration, max: Duration) -> Duration {
        let (n, Some(last)) = (self.failures_after_last_success, self.last_failure) else { return Duration::ZERO };
        if n == 0 {
            return Duration::ZERO;
        }
        let mut backoff = default;
        for _ in 1..n {
            backoff = backoff + backoff;
            if backoff >= max {
                backoff = max;
                break;
            }
        }
        let elapsed = now.since(last);
        if backoff < elapsed {
            return Duration::ZERO;
        }
        Duration(backoff.0 - elapsed.0)
    }
}

/// A pod counted in this sync (its tracking finalizer removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Succeeded,
    Failed,
    /// Counted as neither (a pod left over when the Job met its success criteria).
    Neither,
}

/// What one sync decides.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSync {
    pub job: JobId,
    /// Pods to create, by completion index (None for NonIndexed).
    pub create: Vec<Option<u32>>,
    /// Pods to delete, and whether they stop being tracked first (the controller's own
    /// deletions for suspend and excess pods remove the finalizer: never counted).
    pub delete: Vec<(PodId, TerminationReason, bool)>,
    /// Tracked pods counted now.
    pub count: Vec<(PodId, Counted)>,
    /// The `gone` entries were counted (all of them).
    pub count_gone: bool,
    pub start_time: Option<Time>,
    pub succeeded: u32,
    pub failed: u32,
    /// Indexes that succeeded in this sync (Indexed).
    pub new_completed_indexes: Vec<u32>,
    pub success_criteria_met: bool,
    pub failure_target: Option<JobFailure>,
    /// The Complete or Failed condition is set now.
    pub finished: bool,
    pub suspended: bool,
    /// Sync again this long from now (pod failure back-off, active deadline).
    pub requeue_after: Option<Duration>,
}

/// Finished conditions as syncJob carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Finish {
    Success,
    Failure(JobFailure),
}

/// The Job controller's own memory: the pod failure back-off per Job (upstream keeps it
/// in the controller, not in the API).
#[derive(Clone, Debug, Default)]
pub struct JobController {
    backoff: BTreeMap<JobId, BackoffRecord>,
}

/// A pod counts as failed: Failed, or deleted before it succeeded (pods that never
/// reach a terminal phase, as orphans deleted by PodGC).
// Upstream: pkg/controller/job/job_controller.go (isPodFailed, without podReplacementPolicy Failed).
pub fn is_pod_failed(p: &Pod) -> bool {
    p.phase == PodPhase::Failed || (p.deletion.is_some() && p.phase != PodPhase::Succeeded)
}

/// When a pod finished, for the back-off: its containers' end, else its deletion, else its creation.
// Upstream: pkg/controller/job/backoff_utils.go (getFinishedTime).
fn finished_time(p: &Pod, jp: &JobPod) -> Time {
    jp.finished_at.or(p.deletion).unwrap_or(p.created)
}

impl JobController {
    /// The back-off record kept for a Job.
    pub fn backoff(&self, job: JobId) -> BackoffRecord {
        self.backoff.get(&job).copied().unwrap_or_default()
    }

    /// One sync of `id` at `now`; None when the Job is finished or deleted.
    // Upstream: pkg/controller/job/job_controller.go (syncJob).
    pub fn sync(&mut self, store: &Store, id: JobId, now: Time) -> Option<JobSync> {
        let job = store.job(id);
        if job.deleted || job.is_finished() {
            self.backoff.remove(&id);
            return None;
        }
        let spec = &job.spec;
        let indexed = spec.completion_mode == CompletionMode::Indexed;
        let completions = spec.completions.unwrap_or(0);
        let valid = |jp: &JobPod| !indexed || jp.index.is_some_and(|i| i < completions);
        let pods: Vec<(&Pod, &JobPod)> = job.pods.iter().map(|(p, jp)| (store.pod(*p), jp)).collect();
        let active: Vec<(&Pod, &JobPod)> = pods.iter().copied().filter(|(p, _)| p.is_active()).collect();
        let mut terminating = pods.iter().filter(|(p, _)| p.deletion.is_some() && !p.is_terminal()).count();
        // Newly finished pods, not yet counted.
        // Upstream: job_controller.go (getNewFinishedPods, getValidPodsWithFilter).
        let (mut new_succeeded, mut new_failed) = (Vec::new(), Vec::new());
        for (p, jp) in pods.iter().filter(|(_, jp)| jp.tracked && valid(jp)) {
            if p.phase == PodPhase::Succeeded {
                new_succeeded.push(finished_time(p, jp));
            } else if is_pod_failed(p) {
                new_failed.push(finished_time(p, jp));
            }
        }
        for g in job.gone.iter().filter(|g| !indexed || g.index.is_some_and(|i| i < completions)) {
            if g.succeeded {
                new_succeeded.push(g.finished_at);
            } else {
                new_failed.push(g.finished_at);
            }
        }
        let mut succeeded = job.succeeded + new_succeeded.len() as u32;
        let failed = job.failed + new_failed.len() as u32;
        // Job first start, unless suspended.
        let mut start_time = job.start_time;
        if start_time.is_none() && !spec.suspend {
            start_time = Some(now);
        }
        let backoff = self.backoff(id).updated(&new_succeeded, &new_failed);
        let mut requeue_after = None;
        let mut finish =
            if job.success_criteria_met { Some(Finish::Success) } else { job.failure_target.map(Finish::Failure) };
        if finish.is_none() {
            let deadline_passed = past_active_deadline(job, start_time, now);
            if failed > spec.backoff_limit || past_backoff_limit_on_failure(job, &pods) {
                finish = Some(Finish::Failure(JobFailure::BackoffLimitExceeded));
            } else if deadline_passed {
                finish = Some(Finish::Failure(JobFailure::DeadlineExceeded));
            } else if let (Some(ads), false, Some(start)) = (spec.active_deadline, spec.suspend, start_time) {
                requeue_after = Some(Duration(ads.0.saturating_sub(now.since(start).0)));
            }
        }
        // Indexed: the succeeded count is the number of completed indexes.
        // Upstream: pkg/controller/job/indexed_job_utils.go (calculateSucceededIndexes).
        let mut succeeded_indexes = job.completed_indexes.clone();
        if indexed {
            for (_, jp) in pods.iter().filter(|(p, jp)| jp.tracked && valid(jp) && p.phase == PodPhase::Succeeded) {
                succeeded_indexes.insert(jp.index.expect("valid"));
            }
            for g in job.gone.iter().filter(|g| g.succeeded) {
                if let Some(i) = g.index.filter(|i| *i < completions) {
                    succeeded_indexes.insert(i);
                }
            }
            succeeded = succeeded_indexes.len() as u32;
        }
        let mut out = JobSync {
            job: id,
            create: Vec::new(),
            delete: Vec::new(),
            count: Vec::new(),
            count_gone: false,
            start_time,
            succeeded: 0,
            failed: 0,
            new_completed_indexes: Vec::new(),
            success_criteria_met: false,
            failure_target: None,
            finished: false,
            suspended: job.suspended,
            requeue_after: None,
        };
        let mut suspended = job.suspended;
        if finish.is_some() {
            // Remove active pods if the Job failed (their finalizers stay: they count as failed).
            // Upstream: job_controller.go (deleteActivePods).
            for (p, _) in &active {
                out.delete.push((p.id, TerminationReason::Deleted, false));
            }
            terminating += active.len();
        } else {
            let managed = self.manage(job, &active, succeeded, &succeeded_indexes, backoff, now, &mut out);
            let active_count = managed.active;
            terminating += managed.deleted;
            if let Some(r) = managed.requeue {
                requeue_after = Some(requeue_after.map_or(r, |x: Duration| x.min(r)));
            }
            let complete = match spec.completions {
                // A work queue: done when any pod succeeded and none is active.
                None => succeeded > 0 && active_count == 0,
                Some(c) => succeeded >= c && active_count == 0,
            };
            if complete {
                finish = Some(Finish::Success);
            } else if spec.suspend {
                suspended = true;
            } else if suspended {
                // Resumed: startTime restarts (activeDeadlineSeconds counts active time).
                suspended = false;
                start_time = Some(now);
            }
        }
        // Count finished pods and remove their finalizers.
        // Upstream: job_controller.go (trackJobStatusAndRemoveFinalizers, canRemoveFinalizer).
        let deleted_untracked: BTreeSet<PodId> = out.delete.iter().filter(|d| d.2).map(|d| d.0).collect();
        let (mut counted_succeeded, mut counted_failed) = (job.succeeded, job.failed);
        let mut new_indexes = Vec::new();
        for (p, jp) in pods.iter().filter(|(p, jp)| jp.tracked && !deleted_untracked.contains(&p.id)) {
            let considered_failed = is_pod_failed(p);
            if !(finish.is_some() || p.phase == PodPhase::Succeeded || considered_failed) {
                continue;
            }
            let counted = if p.phase == PodPhase::Succeeded {
                if indexed {
                    if let Some(i) = jp.index.filter(|i| *i < completions && !job.completed_indexes.contains(i)) {
                        new_indexes.push(i);
                    }
                } else {
                    counted_succeeded += 1;
                }
                Counted::Succeeded
            } else if considered_failed || matches!(finish, Some(Finish::Failure(_))) {
                // When the Job is considered failed, every non-terminated pod is failed.
                if valid(jp) {
                    counted_failed += 1;
                }
                Counted::Failed
            } else {
                Counted::Neither
            };
            out.count.push((p.id, counted));
        }
        if !job.gone.is_empty() {
            out.count_gone = true;
            for g in &job.gone {
                let in_range = !indexed || g.index.is_some_and(|i| i < completions);
                if g.succeeded {
                    match g.index.filter(|_| indexed) {
                        Some(i) if in_range && !job.completed_indexes.contains(&i) => new_indexes.push(i),
                        Some(_) => {}
                        None => counted_succeeded += 1,
                    }
                } else if in_range {
                    counted_failed += 1;
                }
            }
        }
        new_indexes.sort();
        new_indexes.dedup();
        if indexed {
            counted_succeeded = (job.completed_indexes.len() + new_indexes.len()) as u32;
        }
        out.new_completed_indexes = new_indexes;
        out.succeeded = counted_succeeded;
        out.failed = counted_failed;
        out.start_time = start_time;
        out.suspended = suspended;
        match finish {
            Some(Finish::Success) => out.success_criteria_met = true,
            Some(Finish::Failure(r)) => out.failure_target = Some(r),
            None => {}
        }
        // The terminal condition waits for terminating pods.
        // Upstream: job_controller.go (enactJobFinished with delayTerminalCondition).
        out.finished = finish.is_some() && terminating == 0;
        out.requeue_after = if finish.is_some() { None } else { requeue_after };
        self.backoff.insert(id, backoff);
        Some(out)
    }

    /// manageJob: suspend, too many pods, too few pods (after the back-off).
    // Upstream: pkg/controller/job/job_controller.go (manageJob).
    #[allow(clippy::too_many_arguments)]
    fn manage(
        &self,
        job: &Job,
        active: &[(&Pod, &JobPod)],
        succeeded: u32,
        succeeded_indexes: &BTreeSet<u32>,
        backoff: BackoffRecord,
        now: Time,
        out: &mut JobSync,
    ) -> Managed {
        let spec = &job.spec;
        let mut active_count = active.len();
        if spec.suspend {
            for (p, _) in active {
                out.delete.push((p.id, TerminationReason::Deleted, true));
            }
            return Managed { active: 0, deleted: active.len(), requeue: None };
        }
        let want = match spec.completions {
            // Work queue: parallelism until one pod succeeded, then whatever runs.
            None if succeeded > 0 => active_count,
            None => spec.parallelism as usize,
            Some(c) => (c.saturating_sub(succeeded) as usize).min(spec.parallelism as usize),
        };
        let rm_at_least = active_count.saturating_sub(want);
        let mut remove = active_pods_for_removal(job, active, rm_at_least);
        remove.truncate(MAX_POD_CREATE_DELETE_PER_SYNC);
        if !remove.is_empty() {
            // Either deletions or creations in one sync; deletions first.
            for p in &remove {
                out.delete.push((*p, TerminationReason::ScaledDown, true));
            }
            active_count -= remove.len();
            return Managed { active: active_count, deleted: remove.len(), requeue: None };
        }
        let diff = want.saturating_sub(active_count);
        if diff == 0 {
            return Managed { active: active_count, deleted: 0, requeue: None };
        }
        let remaining = backoff.remaining(now, DEFAULT_POD_FAILURE_BACKOFF, MAX_POD_FAILURE_BACKOFF);
        if remaining > Duration::ZERO {
            // Upstream: job_controller.go (enqueueSyncJobWithDelay: never sooner than the batch period).
            return Managed { active: 0, deleted: 0, requeue: Some(remaining.max(SYNC_JOB_BATCH_PERIOD)) };
        }
        let diff = diff.min(MAX_POD_CREATE_DELETE_PER_SYNC);
        if spec.completion_mode == CompletionMode::Indexed {
            let active_indexes: BTreeSet<u32> = active.iter().filter_map(|(_, jp)| jp.index).collect();
            let completions = spec.completions.unwrap_or(0);
            let indexes = first_pending_indexes(succeeded_indexes, &active_indexes, diff, completions);
            active_count += indexes.len();
            out.create.extend(indexes.into_iter().map(Some));
        } else {
            active_count += diff;
            out.create.extend(std::iter::repeat_n(None, diff));
        }
        Managed { active: active_count, deleted: 0, requeue: None }
    }
}

struct Managed {
    active: usize,
    deleted: usize,
    requeue: Option<Duration>,
}

/// Restarts of running or pending pods reached backoffLimit (restartPolicy OnFailure).
// Upstream: pkg/controller/job/job_controller.go (pastBackoffLimitOnFailure).
fn past_backoff_limit_on_failure(job: &Job, pods: &[(&Pod, &JobPod)]) -> bool {
    if job.spec.restart_policy != RestartPolicy::OnFailure {
        return false;
    }
    let restarts: u32 = pods
        .iter()
        .filter(|(p, _)| matches!(p.phase, PodPhase::Running | PodPhase::Pending))
        .map(|(p, _)| p.restarts)
        .sum();
    if job.spec.backoff_limit == 0 {
        restarts > 0
    } else {
        restarts >= job.spec.backoff_limit
    }
}

/// activeDeadlineSeconds passed since startTime (never while suspended).
// Upstream: pkg/controller/job/job_controller.go (pastActiveDeadline).
fn past_active_deadline(job: &Job, start: Option<Time>, now: Time) -> bool {
    match (job.spec.active_deadline, start) {
        (Some(ads), Some(start)) if !job.spec.suspend => now.since(start) >= ads,
        _ => false,
    }
}

/// `count` indexes below `completions` held by no active pod and not succeeded, lowest first.
// Upstream: pkg/controller/job/indexed_job_utils.go (firstPendingIndexes).
pub fn first_pending_indexes(
    succeeded: &BTreeSet<u32>,
    active: &BTreeSet<u32>,
    count: usize,
    completions: u32,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(count);
    // Bounded by the pods and indexes held plus `count`.
    let mut candidate = 0u32;
    let mut held = succeeded.iter().chain(active.iter()).copied().collect::<Vec<_>>();
    held.sort_unstable();
    held.dedup();
    for h in held {
        while candidate < completions && out.len() < count && candidate < h {
            out.push(candidate);
            candidate += 1;
        }
        if candidate <= h {
            candidate = h + 1;
        }
    }
    while candidate < completions && out.len() < count {
        out.push(candidate);
        candidate += 1;
    }
    out
}

/// The pods to delete: for an Indexed Job every pod beyond the first of a repeated index
/// and every pod out of range, then the least progressed until `rm_at_least`.
// Upstream: pkg/controller/job/job_controller.go (activePodsForRemoval) and
// indexed_job_utils.go (appendDuplicatedIndexPodsForRemoval).
fn active_pods_for_removal(job: &Job, active: &[(&Pod, &JobPod)], rm_at_least: usize) -> Vec<PodId> {
    let mut rm: Vec<&Pod> = Vec::new();
    let mut left: Vec<&Pod> = Vec::new();
    if job.spec.completion_mode == CompletionMode::Indexed {
        let completions = job.spec.completions.unwrap_or(0);
        let mut by_index: BTreeMap<Option<u32>, Vec<&Pod>> = BTreeMap::new();
        for (p, jp) in active {
            by_index.entry(jp.index).or_default().push(p);
        }
        for (index, mut pods) in by_index {
            match index {
                Some(i) if i < completions => {
                    pods.sort_by(|a, b| active_pods_cmp(a, b));
                    let keep = pods.pop().expect("non-empty");
                    rm.extend(pods);
                    left.push(keep);
                }
                _ => rm.extend(pods),
            }
        }
    } else {
        left = active.iter().map(|(p, _)| *p).collect();
    }
    if rm.len() < rm_at_least {
        left.sort_by(|a, b| active_pods_cmp(a, b));
        let more = rm_at_least - rm.len();
        rm.extend(left.into_iter().take(more));
    }
    rm.into_iter().map(|p| p.id).collect()
}

/// `Less` first: unassigned, pending, not ready, ready more recently, more restarts,
/// newer (the pods earlier in their life); ties by creation order.
// Upstream: pkg/controller/controller_utils.go (ActivePods.Less).
pub fn active_pods_cmp(a: &Pod, b: &Pod) -> Ordering {
    let phase = |p: &Pod| match p.phase {
        PodPhase::Pending => 0,
        PodPhase::Running => 2,
        _ => 1,
    };
    // afterOrZero: a zero time first, else the later time first.
    let after_or_zero = |x: Option<Time>, y: Option<Time>| match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => y.cmp(&x),
    };
    a.node
        .is_some()
        .cmp(&b.node.is_some())
        .then_with(|| phase(a).cmp(&phase(b)))
        .then_with(|| a.ready.cmp(&b.ready))
        .then_with(|| if a.ready && b.ready { after_or_zero(a.ready_since, b.ready_since) } else { Ordering::Equal })
        .then_with(|| b.restarts.cmp(&a.restarts))
        .then_with(|| after_or_zero(Some(a.created), Some(b.created)))
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::pod;
    use crate::model::{JobSpec, PodTemplate};
    use std::sync::Arc;

    fn spec(completions: Option<u32>, parallelism: u32, mode: CompletionMode) -> JobSpec {
        JobSpec {
            completions,
            parallelism,
            backoff_limit: 6,
            active_deadline: None,
            completion_mode: mode,
            ttl_after_finished: None,
            suspend: false,
            restart_policy: RestartPolicy::Never,
            template: Arc::new(PodTemplate::default()),
        }
    }

    /// A store with one Job and its pods (index, phase, deleted).
    fn store_with(spec: JobSpec, pods: &[(Option<u32>, PodPhase, bool)]) -> (Store, JobId, Vec<PodId>) {
        let mut store = Store::default();
        let id = store.add_job(|id, group| Job::new(id, group, "j".into(), spec, None, Time::ZERO));
        let mut ids = Vec::new();
        for (n, &(index, phase, deleted)) in pods.iter().enumerate() {
            let t = pod(&[]).template;
            let p = store.create_job_pod(id, index, format!("j-{n}"), t, vec![], Time::ZERO);
            let x = store.pod_mut(p);
            x.phase = phase;
            x.deletion = deleted.then_some(s(1));
            ids.push(p);
        }
        store.account();
        (store, id, ids)
    }

    #[test]
    fn indexed_duplicates_and_out_of_range_indexes_are_removed_first() {
        use PodPhase::*;
        let pods = [
            (Some(0), Running, false),
            (Some(0), Pending, false),
            (Some(1), Running, false),
            (Some(7), Running, false),
        ];
        let (store, id, ids) = store_with(spec(Some(3), 3, CompletionMode::Indexed), &pods);
        let sync = JobController::default().sync(&store, id, s(10)).unwrap();
        // The pending duplicate of index 0 and the out-of-range index 7 go, untracked; no creation
        // in a sync that deletes.
        let deleted: Vec<PodId> = sync.delete.iter().map(|d| d.0).collect();
        assert_eq!(deleted, vec![ids[1], ids[3]]);
        assert!(sync.delete.iter().all(|d| d.2 && d.1 == TerminationReason::ScaledDown));
        assert!(sync.create.is_empty());
    }

    #[test]
    fn missing_indexes_are_created_lowest_first() {
        use PodPhase::*;
        let (store, id, _) = store_with(
            spec(Some(5), 3, CompletionMode::Indexed),
            &[(Some(1), Succeeded, false), (Some(2), Running, false)],
        );
        let sync = JobController::default().sync(&store, id, s(10)).unwrap();
        assert_eq!(sync.create, vec![Some(0), Some(3)]);
        assert_eq!(sync.new_completed_indexes, vec![1]);
        assert_eq!(sync.succeeded, 1);
    }

    #[test]
    fn deleted_pods_count_as_failed_and_the_condition_waits_for_them() {
        use PodPhase::*;
        let pods = [(None, Succeeded, false), (None, Running, true)];
        let (store, id, ids) = store_with(spec(Some(1), 1, CompletionMode::NonIndexed), &pods);
        let sync = JobController::default().sync(&store, id, s(10)).unwrap();
        assert_eq!(sync.count, vec![(ids[0], Counted::Succeeded), (ids[1], Counted::Failed)]);
        assert_eq!((sync.succeeded, sync.failed), (1, 1));
        // Complete once the terminating pod is gone.
        assert!(sync.success_criteria_met && !sync.finished);
        assert!(sync.create.is_empty());
    }

    #[test]
    fn suspending_deletes_active_pods_without_counting_them() {
        use PodPhase::*;
        let mut js = spec(Some(4), 2, CompletionMode::NonIndexed);
        js.suspend = true;
        let (store, id, ids) = store_with(js, &[(None, Running, false), (None, Pending, false)]);
        let sync = JobController::default().sync(&store, id, s(10)).unwrap();
        assert_eq!(
            sync.delete,
            vec![(ids[0], TerminationReason::Deleted, true), (ids[1], TerminationReason::Deleted, true)]
        );
        assert!(sync.count.is_empty() && sync.suspended && sync.start_time.is_none());
    }

    #[test]
    fn active_pods_order_deletes_the_least_progressed_first() {
        let mut a = pod(&[]);
        a.id = PodId(1);
        let mut b = pod(&[]);
        b.id = PodId(2);
        b.node = Some(crate::model::NodeId(0));
        assert_eq!(active_pods_cmp(&a, &b), Ordering::Less, "unassigned first");
        a.node = b.node;
        b.phase = PodPhase::Running;
        assert_eq!(active_pods_cmp(&a, &b), Ordering::Less, "pending first");
        a.phase = PodPhase::Running;
        b.ready = true;
        assert_eq!(active_pods_cmp(&a, &b), Ordering::Less, "not ready first");
        a.ready = true;
        (a.ready_since, b.ready_since) = (Some(s(5)), Some(s(3)));
        assert_eq!(active_pods_cmp(&a, &b), Ordering::Less, "ready more recently first");
        b.ready_since = a.ready_since;
        b.restarts = 2;
        assert_eq!(active_pods_cmp(&a, &b), Ordering::Greater, "more restarts first");
        b.restarts = 0;
        a.created = s(9);
        assert_eq!(active_pods_cmp(&a, &b), Ordering::Less, "newer first");
    }

    fn s(n: u64) -> Time {
        Time::ZERO + Duration::from_secs(n)
    }
    fn ms(n: u64) -> Time {
        Time::ZERO + Duration::from_millis(n)
    }

    // Cases restated from pkg/controller/job/backoff_utils_test.go (TestNewBackoffRecord).
    #[test]
    fn new_backoff_record_matches_upstream() {
        let t = ms(10_000);
        let empty = BackoffRecord::default();
        let rec = |n, last| BackoffRecord { failures_after_last_success: n, last_failure: last };
        assert_eq!(empty.updated(&[], &[t]), rec(1, Some(t)));
        assert_eq!(empty.updated(&[], &[t, ms(9_999)]), rec(2, Some(t)));
        // Two failures followed by a success.
        assert_eq!(empty.updated(&[t], &[ms(9_998), ms(9_999)]), rec(0, None));
        // Two failures, one success, two more failures.
        assert_eq!(empty.updated(&[ms(9_998)], &[t, ms(9_996), ms(9_997), ms(9_999)]), rec(2, Some(t)));
        // A stored count of 2 and one new failure.
        assert_eq!(rec(2, None).updated(&[], &[t]), rec(3, Some(t)));
        // A success and a failure at the same time: the failure is not after the success.
        assert_eq!(empty.updated(&[t], &[t]), rec(0, None));
        assert_eq!(empty.updated(&[], &[]), rec(0, None));
        assert_eq!(empty.updated(&[t], &[]), rec(0, None));
    }

    // Cases restated from pkg/controller/job/backoff_utils_test.go (TestGetRemainingBackoffTime).
    #[test]
    fn remaining_backoff_matches_upstream() {
        let (d, max) = (Duration::from_secs(5), Duration::from_secs(700));
        let t = s(100);
        let rec = |n| BackoffRecord { failures_after_last_success: n, last_failure: Some(t) };
        let left = |r: BackoffRecord, now: Time| r.remaining(now, d, max).as_nanos() / 1_000_000_000;
        assert_eq!(left(BackoffRecord::default(), t), 0);
        assert_eq!(left(rec(1), t), 5);
        assert_eq!(left(rec(1), s(101)), 4);
        assert_eq!(left(rec(1), s(105)), 0);
        assert_eq!(left(rec(1), s(106)), 0);
        assert_eq!(left(rec(3), t), 20);
        assert_eq!(left(rec(8), t), 640);
        assert_eq!(left(rec(9), t), 700);
        // The defaults: 10 s, 20 s, 40 s ... capped at 10 minutes.
        let r = |n| {
            BackoffRecord { failures_after_last_success: n, last_failure: Some(t) }.remaining(
                t,
                DEFAULT_POD_FAILURE_BACKOFF,
                MAX_POD_FAILURE_BACKOFF,
            )
        };
        assert_eq!([1, 2, 3, 6, 7, 20].map(|n| r(n).as_nanos() / 1_000_000_000), [10, 20, 40, 320, 600, 600]);
    }

    // Cases restated from pkg/controller/job/indexed_job_utils_test.go (TestFirstPendingIndexes).
    #[test]
    fn first_pending_indexes_matches_upstream() {
        let set = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
        assert_eq!(first_pending_indexes(&set(&[]), &set(&[]), 2, 5), vec![0, 1]);
        assert_eq!(first_pending_indexes(&set(&[]), &set(&[]), 0, 5), Vec::<u32>::new());
        // Some active.
        assert_eq!(first_pending_indexes(&set(&[]), &set(&[0, 1, 4]), 2, 6), vec![2, 3]);
        // Some succeeded.
        assert_eq!(first_pending_indexes(&set(&[0, 1, 2, 4]), &set(&[]), 3, 6), vec![3, 5]);
        // Mixed.
        assert_eq!(first_pending_indexes(&set(&[2, 3]), &set(&[1, 6]), 10, 8), vec![0, 4, 5, 7]);
        // Succeeded beyond completions do not matter.
        assert_eq!(first_pending_indexes(&set(&[0, 1, 2, 3]), &set(&[]), 5, 3), Vec::<u32>::new());
    }
}
