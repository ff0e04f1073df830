//! `batch/v1` Jobs and CronJobs: their specs as the API server defaults them, and the
//! status their controllers keep. The store keeps which pods each Job owns and whether
//! the Job controller has counted them yet (upstream's job-tracking finalizer).

use super::labels::Labels;
use super::pod::{PodId, PodTemplate};
use super::workload::{CronJobId, JobId};
use crate::engine::{Duration, Time};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// `spec.completionMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionMode {
    NonIndexed,
    /// Each index in `0..completions` succeeds once; pods are `<job>-<index>-<suffix>`.
    Indexed,
}

/// `spec.template.spec.restartPolicy` of a Job's pods (the API server allows only these two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    /// A failed container fails the pod; the Job controller makes a new pod.
    Never,
    /// The kubelet restarts a failed container in place; its restarts count toward backoffLimit.
    OnFailure,
}

/// `spec.concurrencyPolicy` of a CronJob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConcurrencyPolicy {
    Allow,
    /// Skip a run while the previous one is active.
    Forbid,
    /// Delete the active Jobs and start the new one.
    Replace,
}

/// The parts of a `batch/v1` JobSpec that are modelled, defaults filled in.
// Upstream: pkg/apis/batch/v1/defaults.go (SetDefaults_Job).
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// None: a work queue (done when any pod succeeds and none is active).
    pub completions: Option<u32>,
    pub parallelism: u32,
    pub backoff_limit: u32,
    pub active_deadline: Option<Duration>,
    pub completion_mode: CompletionMode,
    pub ttl_after_finished: Option<Duration>,
    pub suspend: bool,
    pub restart_policy: RestartPolicy,
    pub template: Arc<PodTemplate>,
}

/// Why a Job failed (`job_failed` reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFailure {
    BackoffLimitExceeded,
    DeadlineExceeded,
}

impl JobFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            JobFailure::BackoffLimitExceeded => "BackoffLimitExceeded",
            JobFailure::DeadlineExceeded => "DeadlineExceeded",
        }
    }
}

/// A finished Job's terminal condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Complete,
    Failed(JobFailure),
}

/// One pod of a Job that still matters to the Job controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobPod {
    /// The completion index (Indexed Jobs).
    pub index: Option<u32>,
    /// Still carries the job-tracking finalizer: not yet counted in the Job's status.
    pub tracked: bool,
    /// When its containers finished (Succeeded or Failed), for the pod failure back-off.
    pub finished_at: Option<Time>,
}

/// A tracked pod that left the API before the Job controller counted it (a pod deleted
/// at once, or removed with its node): the controller counts it at its next sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GonePod {
    pub index: Option<u32>,
    pub succeeded: bool,
    pub finished_at: Time,
}

/// A Job.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: JobId,
    pub name: String,
    pub spec: JobSpec,
    /// The store's pod group of this Job's pods.
    pub group: u32,
    pub created: Time,
    /// The CronJob that created it.
    pub cron_job: Option<CronJobId>,
    /// Pods the controller looks at: active, terminating, or finished and not yet counted.
    pub pods: BTreeMap<PodId, JobPod>,
    /// Finished pods already counted, still in the API (until the Job is deleted).
    pub finished_pods: BTreeSet<PodId>,
    pub gone: Vec<GonePod>,
    /// status.startTime.
    pub start_time: Option<Time>,
    /// status.succeeded and status.failed (counted pods).
    pub succeeded: u32,
    pub failed: u32,
    /// status.completedIndexes (Indexed Jobs).
    pub completed_indexes: BTreeSet<u32>,
    /// The interim SuccessCriteriaMet condition: Complete once no pod is terminating.
    pub success_criteria_met: bool,
    /// The interim FailureTarget condition: Failed once no pod is terminating.
    pub failure_target: Option<JobFailure>,
    /// The Complete or Failed condition, and when it was set.
    pub finished: Option<(Time, JobOutcome)>,
    /// The JobSuspended condition.
    pub suspended: bool,
    /// Deleted from the API (by its TTL, or by its CronJob); its pods are being deleted.
    pub deleted: bool,
    /// Pods made so far (for the report).
    pub pods_created: u32,
}

impl Job {
    /// A new Job with an empty status.
    pub fn new(id: JobId, group: u32, name: String, spec: JobSpec, cron_job: Option<CronJobId>, now: Time) -> Job {
        Job {
            id,
            name,
            spec,
            group,
            created: now,
            cron_job,
            pods: BTreeMap::new(),
            finished_pods: BTreeSet::new(),
            gone: Vec::new(),
            start_time: None,
            succeeded: 0,
            failed: 0,
            completed_indexes: BTreeSet::new(),
            success_criteria_met: false,
            failure_target: None,
            finished: None,
            suspended: false,
            deleted: false,
            pods_created: 0,
        }
    }

    /// The Complete or Failed condition is set.
    // Upstream: pkg/controller/job/util/utils.go (IsJobFinished).
    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    pub fn outcome(&self) -> Option<JobOutcome> {
        self.finished.map(|(_, o)| o)
    }

    /// Every pod of the Job in the API, tracked or not.
    pub fn all_pods(&self) -> impl Iterator<Item = PodId> + '_ {
        self.pods.keys().chain(self.finished_pods.iter()).copied()
    }

    /// The pod left the API: a tracked one is remembered until the controller counts it.
    pub(super) fn release(&mut self, pod: PodId, succeeded: bool, deleted_at: Option<Time>, now: Time) {
        self.finished_pods.remove(&pod);
        if let Some(p) = self.pods.remove(&pod) {
            if p.tracked {
                let finished_at = p.finished_at.or(deleted_at).unwrap_or(now);
                self.gone.push(GonePod { index: p.index, succeeded, finished_at });
            }
        }
    }
}

/// A CronJob.
#[derive(Clone, Debug)]
pub struct CronJob {
    pub id: CronJobId,
    pub name: String,
    /// `spec.schedule` and `spec.timeZone` as written (checked when loaded).
    pub schedule: String,
    pub time_zone: Option<String>,
    pub concurrency: ConcurrencyPolicy,
    pub starting_deadline_seconds: Option<i64>,
    pub successful_history: u32,
    pub failed_history: u32,
    pub suspend: bool,
    /// `spec.jobTemplate.metadata.labels`.
    pub job_labels: Labels,
    pub job_spec: JobSpec,
    /// metadata.creationTimestamp, Unix ns (whole seconds, as the API stores it).
    pub created_unix: i64,
    /// status.active.
    pub active: Vec<JobId>,
    /// status.lastScheduleTime, Unix ns.
    pub last_schedule: Option<i64>,
    /// status.lastSuccessfulTime.
    pub last_successful: Option<Time>,
    /// Every Job it created that still exists, in creation order.
    pub jobs: Vec<JobId>,
    /// For the report: Jobs created, schedules missed (past the starting deadline),
    /// runs skipped (Forbid), syncs with more than 100 missed schedules.
    pub jobs_created: u32,
    pub missed: u32,
    pub skipped: u32,
    pub too_many_missed: u32,
}
