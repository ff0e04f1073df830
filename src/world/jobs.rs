//! Jobs and CronJobs in the world: applies the Job and CronJob controllers' syncs
//! (`control/job.rs`, `control/cronjob.rs`), runs their timers as world events (batched
//! pod events, the pod failure back-off, active deadlines, the next cron activation,
//! ttlSecondsAfterFinished), and ends Job pods' containers after the time `running:`
//! draws for them (stream `jobs/<job or cronjob>`).

use super::{World, WorldEvent};
use crate::control::cronjob::{CronJobController, CronSync};

use crate::control::job::{JobController, JobSync, SYNC_JOB_BATCH_PERIOD};
use crate::control::TerminationReason;
use crate::engine::{Duration, RandomStream, Time};
use crate::model::{
    CronJob, CronJobId, Job, JobFailure, JobId, JobOutcome, JobSpec, Owner, PodId, PodPhase, RestartPolicy,
};
use crate::record::{CronJobRecord, JobRecord};
use crate::scenario::{CronJobObject, JobObject};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The kubelet's crash-loop back-off for restarting a failed container in place.
/// Upstream: pkg/kubelet/kubelet.go (backOffPeriod 10 s, MaxContainerBackOff 300 s).
const CONTAINER_BACKOFF: Duration = Duration::from_secs(10);
const MAX_CONTAINER_BACKOFF: Duration = Duration::from_secs(300);
/// The longest generated-name prefix: 63 characters less the 5 random ones.
/// Upstream: staging/src/k8s.io/apiserver/pkg/storage/names/generate.go (maxGeneratedNameLength).
const MAX_GENERATED_NAME_PREFIX: usize = 58;

/// Timers of the Job and CronJob controllers, and Job pods' containers ending.
#[derive(Clone, Debug)]
pub(super) enum JobEvent {
    /// A Job's delayed sync is due (batched pod events, back-off, active deadline).
    Sync { job: JobId },
    /// A CronJob's next activation (plus 100 ms) is due.
    CronWake { cron_job: CronJobId },
    /// A Job pod's containers exit, with a non-zero code when `failed`.
    PodExit { pod: PodId, incarnation: u32, failed: bool },
    /// The kubelet restarts an OnFailure pod's failed container after its back-off.
    ContainerRestart { pod: PodId, incarnation: u32 },
    /// ttlSecondsAfterFinished elapsed for a finished Job.
    Ttl { job: JobId },
}

/// The Job and CronJob controllers and what the world keeps for them.
#[derive(Default)]
pub(super) struct JobsRun {
    controller: JobController,
    cron: CronJobController,
    /// Jobs to sync at once: created, spec changed, or a timer is due.
    now: BTreeSet<JobId>,
    /// The earliest pending timer per Job and per CronJob (a delaying queue keeps only the earliest).
    sync_due: BTreeMap<JobId, Time>,
    cron_due: BTreeMap<CronJobId, Time>,
    /// Finished Jobs whose TTL ran out (the TTL-after-finished controller deletes them).
    ttl_due: BTreeSet<JobId>,
    /// Per `running:` entry: its random stream.
    streams: BTreeMap<String, RandomStream>,
    /// Exits the kubelet could not post yet: pod -> (failed, when).
    pending_exits: BTreeMap<PodId, (bool, Time)>,
    /// Per CronJob: the last scheduled time counted as missed, and as skipped.
    counted: BTreeMap<CronJobId, (Option<i64>, Option<i64>)>,
}

impl World<'_> {
    /// The virtual wall clock: Unix ns at the current instant.
    fn now_unix(&self) -> i64 {
        self.scenario.start_unix.saturating_add(self.now().as_nanos() as i64)
    }

    /// The CronJob and Job controllers' turn in `settle` (kube-controller-manager leads):
    /// CronJobs first (they create Jobs), then the Jobs due now; other queued Jobs are
    /// synced one batch period later. True when anything was written.
    pub(super) fn settle_jobs(&mut self) -> bool {
        let mut changed = false;
        let now = self.now();
        for job in std::mem::take(&mut self.jobs.ttl_due) {
            changed |= self.delete_job(job);
        }
        self.store.account();
        for id in std::mem::take(&mut self.store.queues.cron_jobs) {
            let sync = self.jobs.cron.sync(&self.store, id, self.now_unix());
            changed |= self.apply_cron_sync(sync);
        }
        self.store.account();
        // Pod events and status updates: a batched sync.
        // Upstream: pkg/controller/job/job_controller.go (enqueueSyncJobBatched).
        for job in std::mem::take(&mut self.store.queues.jobs) {
            if !self.jobs.now.contains(&job) {
                self.job_sync_at(job, now + SYNC_JOB_BATCH_PERIOD);
            }
        }
        for job in std::mem::take(&mut self.jobs.now) {
            if let Some(sync) = self.jobs.controller.sync(&self.store, job, now) {
                changed |= self.apply_job_sync(sync);
            }
        }
        changed
    }

    pub(super) fn handle_jobs(&mut self, event: JobEvent) {
        let now = self.now();
        match event {
            JobEvent::Sync { job } => {
                if self.jobs.sync_due.get(&job) == Some(&now) {
                    self.jobs.sync_due.remove(&job);
                    self.jobs.now.insert(job);
                }
            }
            JobEvent::CronWake { cron_job } => {
                if self.jobs.cron_due.get(&cron_job) == Some(&now) {
                    self.jobs.cron_due.remove(&cron_job);
                    self.store.queues.cron_jobs.insert(cron_job);
                }
            }
            JobEvent::PodExit { pod, incarnation, failed } => self.job_pod_exit(pod, incarnation, failed),
            JobEvent::ContainerRestart { pod, incarnation } => {
                if self.job_pod_current(pod, incarnation) {
                    self.start_containers(pod);
                }
            }
            JobEvent::Ttl { job } => {
                self.jobs.ttl_due.insert(job);
            }
        }
    }

    /// Asks for a sync of `job` at `at`, unless one is due by then.
    fn job_sync_at(&mut self, job: JobId, at: Time) {
        if self.jobs.sync_due.get(&job).is_some_and(|due| *due <= at) {
            return;
        }
        self.jobs.sync_due.insert(job, at);
        self.queue.schedule(at, WorldEvent::Jobs(JobEvent::Sync { job }));
    }

    fn cron_wake_at(&mut self, cron_job: CronJobId, at: Time) {
        if self.jobs.cron_due.get(&cron_job).is_some_and(|due| *due <= at) {
            return;
        }
        self.jobs.cron_due.insert(cron_job, at);
        self.queue.schedule(at, WorldEvent::Jobs(JobEvent::CronWake { cron_job }));
    }

    /// `kubectl apply` of a Job: created, or its mutable fields updated (suspend,
    /// parallelism, activeDeadlineSeconds, backoffLimit, ttlSecondsAfterFinished).
    // Upstream: pkg/apis/batch/validation/validation.go (ValidateJobSpecUpdate: template and completions are immutable).
    pub(super) fn apply_job(&mut self, j: &JobObject) {
        let Some(id) = self.store.job_id(&j.name) else {
            self.create_job(j.name.clone(), j.spec.clone(), None);
            return;
        };
        let job = self.store.job_mut(id);
        job.spec.suspend = j.spec.suspend;
        job.spec.parallelism = j.spec.parallelism;
        job.spec.active_deadline = j.spec.active_deadline;
        job.spec.backoff_limit = j.spec.backoff_limit;
        job.spec.ttl_after_finished = j.spec.ttl_after_finished;
        // A spec update syncs at once. Upstream: job_controller.go (updateJob: enqueueSyncJobImmediately).
        self.jobs.now.insert(id);
    }

    /// `kubectl apply` of a CronJob: created, or its spec replaced.
    pub(super) fn apply_cron_job(&mut self, c: &CronJobObject) {
        let spec = |cj: &mut CronJob| {
            cj.schedule.clone_from(&c.schedule);
            cj.time_zone.clone_from(&c.time_zone);
            cj.concurrency = c.concurrency;
            cj.starting_deadline_seconds = c.starting_deadline_seconds;
            cj.successful_history = c.successful_history;
            cj.failed_history = c.failed_history;
            cj.suspend = c.suspend;
            cj.job_labels.clone_from(&c.job_labels);
            cj.job_spec = c.job_spec.clone();
        };
        if let Some(id) = self.store.cron_job_id(&c.name) {
            spec(self.store.cron_job_mut(id));
            self.jobs.cron.forget(id);
            return;
        }
        // creationTimestamp has whole seconds.
        let created_unix = self.now_unix().div_euclid(1_000_000_000) * 1_000_000_000;
        self.store.add_cron_job(|id| {
            let mut cj = CronJob {
                id,
                name: c.name.clone(),
                schedule: String::new(),
                time_zone: None,
                concurrency: c.concurrency,
                starting_deadline_seconds: None,
                successful_history: 0,
                failed_history: 0,
                suspend: false,
                job_labels: Default::default(),
                job_spec: c.job_spec.clone(),
                created_unix,
                active: Vec::new(),
                last_schedule: None,
                last_successful: None,
                jobs: Vec::new(),
                jobs_created: 0,
                missed: 0,
                skipped: 0,
                too_many_missed: 0,
            };
            spec(&mut cj);
            cj
        });
        self.observations.cron_jobs.insert(c.name.clone(), CronJobRecord::default());
    }

    /// A new Job; its pods carry the `job-name` labels the API server adds.
    // Upstream: pkg/registry/batch/job/strategy.go (generateSelector: job-name and batch.kubernetes.io/job-name labels).
    fn create_job(&mut self, name: String, mut spec: JobSpec, cron_job: Option<CronJobId>) -> JobId {
        let now = self.now();
        let mut template = (*spec.template).clone();
        template.labels.insert("batch.kubernetes.io/job-name".into(), name.clone());
        template.labels.insert("job-name".into(), name.clone());
        spec.template = Arc::new(template);
        let record = JobRecord {
            name: name.clone(),
            cron_job: cron_job.map(|c| self.store.cron_job(c).name.clone()),
            completions: spec.completions,
            parallelism: spec.parallelism,
            created: now,
            ..JobRecord::default()
        };
        let id = self.store.add_job(|id, group| Job::new(id, group, name, spec, cron_job, now));
        debug_assert_eq!(self.observations.jobs.len(), id.0 as usize);
        self.observations.jobs.push(record);
        // A new Job syncs at once. Upstream: job_controller.go (addJob: enqueueSyncJobImmediately).
        self.jobs.now.insert(id);
        id
    }

    /// Deletes a Job and, in the background, its pods (running ones terminate gracefully,
    /// finished ones go at once). False if it was gone already.
    // Upstream: pkg/controller/cronjob/injection.go (DeleteJob, background propagation) and
    // pkg/controller/garbagecollector (dependents deleted).
    fn delete_job(&mut self, id: JobId) -> bool {
        if self.store.job(id).deleted {
            return false;
        }
        self.store.job_mut(id).deleted = true;
        let pods: Vec<PodId> = self.store.job(id).all_pods().collect();
        for pod in pods {
            let p = self.store.pod(pod);
            if p.is_terminal() {
                self.forget_pod(pod);
            } else if p.is_active() {
                self.delete_pod(pod, TerminationReason::Deleted);
            }
        }
        if let Some(cj) = self.store.job(id).cron_job {
            let c = &mut self.store.cron_jobs[cj.0 as usize];
            c.jobs.retain(|j| *j != id);
            c.active.retain(|j| *j != id);
            self.store.queues.cron_jobs.insert(cj);
        }
        true
    }

    /// Applies one Job sync; true when anything was written.
    fn apply_job_sync(&mut self, sync: JobSync) -> bool {
        let now = self.now();
        let id = sync.job;
        let mut changed = false;
        // Counted pods first (a deleted pod removed at once must not come back as `gone`).
        if sync.count_gone {
            self.store.job_mut(id).gone.clear();
            changed = true;
        }
        for &(pod, _) in &sync.count {
            let terminal = self.store.pod(pod).is_terminal();
            let job = self.store.job_mut(id);
            if let Some(jp) = job.pods.get_mut(&pod) {
                jp.tracked = false;
                if terminal {
                    job.pods.remove(&pod);
                    job.finished_pods.insert(pod);
                }
            }
            changed = true;
        }
        for &(pod, reason, untrack) in &sync.delete {
            if untrack {
                if let Some(jp) = self.store.job_mut(id).pods.get_mut(&pod) {
                    jp.tracked = false;
                }
            }
            self.delete_pod(pod, reason);
            changed = true;
        }
        let job = self.store.job(id);
        let status_changed = job.start_time != sync.start_time
            || job.succeeded != sync.succeeded
            || job.failed != sync.failed
            || !sync.new_completed_indexes.is_empty()
            || job.success_criteria_met != sync.success_criteria_met
            || job.failure_target != sync.failure_target
            || job.suspended != sync.suspended
            || sync.finished;
        if status_changed {
            let job = self.store.job_mut(id);
            job.start_time = sync.start_time;
            job.succeeded = sync.succeeded;
            job.failed = sync.failed;
            job.completed_indexes.extend(sync.new_completed_indexes.iter().copied());
            job.success_criteria_met = sync.success_criteria_met;
            job.failure_target = sync.failure_target;
            job.suspended = sync.suspended;
            changed = true;
        }
        for &index in &sync.create {
            self.create_job_pod(id, index);
            changed = true;
        }
        if sync.finished {
            self.job_finished(id);
        }
        if let Some(after) = sync.requeue_after {
            // Upstream: job_controller.go (queue.AddAfter for the active deadline; enqueueSyncJobWithDelay for the back-off).
            self.job_sync_at(id, now + after.max(Duration::from_nanos(1)));
        }
        let job = self.store.job(id);
        let record = &mut self.observations.jobs[id.0 as usize];
        record.start = job.start_time;
        record.succeeded = job.succeeded;
        record.failed = job.failed;
        record.pods = job.pods_created;
        changed
    }

    /// The Complete or Failed condition: `job_completed` / `job_failed`, and the TTL clock.
    fn job_finished(&mut self, id: JobId) {
        let now = self.now();
        let job = self.store.job(id);
        let outcome = match job.failure_target {
            _ if job.success_criteria_met => JobOutcome::Complete,
            Some(reason) => JobOutcome::Failed(reason),
            None => JobOutcome::Failed(JobFailure::BackoffLimitExceeded),
        };
        let (name, ttl) = (job.name.clone(), job.spec.ttl_after_finished);
        self.store.job_mut(id).finished = Some((now, outcome));
        let label = match outcome {
            JobOutcome::Complete => {
                self.events.emit(now, "job_completed", |e| {
                    e.str("job", &name);
                });
                "Complete"
            }
            JobOutcome::Failed(reason) => {
                self.events.emit(now, "job_failed", |e| {
                    e.str("job", &name).str("reason", reason.as_str());
                });
                reason.as_str()
            }
        };
        self.observations.jobs[id.0 as usize].finished = Some((now, label.to_string()));
        // Upstream: pkg/controller/ttlafterfinished/ttlafterfinished_controller.go (deleted ttl after the finish condition).
        if let Some(ttl) = ttl {
            if ttl == Duration::ZERO {
                self.jobs.ttl_due.insert(id);
            } else {
                self.queue.schedule(now + ttl, WorldEvent::Jobs(JobEvent::Ttl { job: id }));
            }
        }
    }

    /// A pod of `job`, named `<job>-<suffix>` or `<job>-<index>-<suffix>`.
    // Upstream: pkg/controller/job/indexed_job_utils.go (podGenerateNameWithIndex) and
    // pkg/controller/controller_utils.go (getPodsPrefix).
    fn create_job_pod(&mut self, id: JobId, index: Option<u32>) {
        let job = self.store.job(id);
        let (template, job_name) = (job.spec.template.clone(), job.name.clone());
        let prefix = match index {
            Some(i) => {
                let tail = format!("-{i}-");
                let head: String =
                    job_name.chars().take(MAX_GENERATED_NAME_PREFIX.saturating_sub(tail.len())).collect();
                format!("{head}{tail}")
            }
            None => format!("{job_name}-").chars().take(MAX_GENERATED_NAME_PREFIX).collect(),
        };
        let name = self.generated_pod_name(crate::model::NamespaceId::DEFAULT, &prefix);
        let tolerations = self.admitted_tolerations(&template);
        let now = self.now();
        let pod = self.store.create_job_pod(id, index, name, template, tolerations, now);
        self.admit_created_pod(pod);
    }

    /// Applies one CronJob sync; true when a Job was created or deleted.
    fn apply_cron_sync(&mut self, sync: CronSync) -> bool {
        let now = self.now();
        let id = sync.cron_job;
        let mut changed = false;
        for job in &sync.delete {
            changed |= self.delete_job(*job);
        }
        let name = self.store.cron_job(id).name.clone();
        let mut active = sync.active.clone();
        if let Some((job_name, _scheduled)) = &sync.create {
            let spec = self.store.cron_job(id).job_spec.clone();
            let job = self.create_job(job_name.clone(), spec, Some(id));
            active.push(job);
            self.store.cron_jobs[id.0 as usize].jobs_created += 1;
            self.observations.cron_jobs.entry(name.clone()).or_default().jobs_created += 1;
            changed = true;
        }
        let counted = self.jobs.counted.entry(id).or_default();
        let cj = &mut self.store.cron_jobs[id.0 as usize];
        let record = self.observations.cron_jobs.entry(name).or_default();
        // A missed or skipped activation is noticed at every sync until the next one: count it once.
        if sync.missed.is_some() && sync.missed != counted.0 {
            counted.0 = sync.missed;
            cj.missed += 1;
            record.missed += 1;
        }
        if sync.skipped.is_some() && sync.skipped != counted.1 {
            counted.1 = sync.skipped;
            cj.skipped += 1;
            record.skipped += 1;
        }
        cj.too_many_missed += u32::from(sync.too_many_missed);
        // Status: written without queueing the CronJob again (nothing else reads it).
        cj.active = active;
        cj.last_schedule = sync.last_schedule;
        cj.last_successful = sync.last_successful;
        if let Some(after) = sync.requeue_after {
            let at = now + Duration::from_nanos(after.max(1) as u64);
            self.cron_wake_at(id, at);
        }
        changed
    }

    /// The pod's containers started: a Job pod's run ends after a draw from its
    /// `running:` entry (none: it runs until the end).
    pub(super) fn job_pod_started(&mut self, pod: PodId, incarnation: u32) {
        let Some(Owner::Job(id)) = self.store.pod(pod).owner else { return };
        let job = self.store.job(id);
        let key = match job.cron_job {
            Some(cj) => self.store.cron_job(cj).name.clone(),
            None => job.name.clone(),
        };
        let Some(profile) = self.scenario.running.get(&key) else { return };
        let streams = &self.streams;
        let rng = self.jobs.streams.entry(key.clone()).or_insert_with(|| streams.stream(&format!("jobs/{key}")));
        // Always both draws, so a failureRate override keeps the durations.
        let run = profile.duration.sample(rng);
        let failed = rng.next_f64() < profile.failure_rate;
        let at = self.now() + run;
        self.queue.schedule(at, WorldEvent::Jobs(JobEvent::PodExit { pod, incarnation, failed }));
    }

    fn job_pod_current(&self, pod: PodId, incarnation: u32) -> bool {
        self.store.pods().get(&pod).is_some_and(|p| {
            p.incarnation == incarnation && p.is_active() && p.node.is_some_and(|n| self.store.node(n).host_up)
        })
    }

    /// The containers exit. With restartPolicy OnFailure a failed container restarts in
    /// place after the kubelet's back-off; otherwise the pod is Succeeded or Failed, as
    /// soon as the kubelet can post it.
    // Upstream: pkg/kubelet/kuberuntime/kuberuntime_manager.go (computePodActions: restart per restartPolicy)
    // and pkg/kubelet/kubelet_pods.go (getPhase: Succeeded when all exited 0, else Failed, under Never).
    fn job_pod_exit(&mut self, pod: PodId, incarnation: u32, failed: bool) {
        if !self.job_pod_current(pod, incarnation) {
            return;
        }
        let Some(Owner::Job(id)) = self.store.pod(pod).owner else { return };
        let policy = self.store.job(id).spec.restart_policy;
        let now = self.now();
        let node = self.store.pod(pod).node.expect("running pods are bound");
        let p = self.store.pod_mut(pod);
        p.containers_running = false;
        p.kubelet_ready = false;
        if failed && policy == RestartPolicy::OnFailure {
            p.restarts += 1;
            let n = p.restarts;
            if self.kubelet_can_post(node) {
                self.set_not_ready(pod);
            }
            let mut delay = CONTAINER_BACKOFF;
            for _ in 1..n {
                delay = (delay + delay).min(MAX_CONTAINER_BACKOFF);
            }
            self.queue.schedule(now + delay, WorldEvent::Jobs(JobEvent::ContainerRestart { pod, incarnation }));
            return;
        }
        if self.kubelet_can_post(node) {
            self.post_job_pod_exit(pod, failed, now);
        } else {
            self.jobs.pending_exits.insert(pod, (failed, now));
        }
    }

    /// A kubelet back in touch posts an exit it could not post before; true if it did.
    pub(super) fn post_pending_exit(&mut self, pod: PodId) -> bool {
        let Some((failed, at)) = self.jobs.pending_exits.remove(&pod) else { return false };
        if !self.store.pod(pod).is_active() {
            return false;
        }
        self.post_job_pod_exit(pod, failed, at);
        true
    }

    /// The pod's terminal phase reaches the API: `pod_succeeded` / `pod_failed`, and its
    /// node's resources are free.
    fn post_job_pod_exit(&mut self, pod: PodId, failed: bool, at: Time) {
        let now = self.now();
        let p = self.store.pod(pod);
        let (name, node) = (p.name.clone(), p.node.map(|n| self.store.node(n).name.clone()).unwrap_or_default());
        let Some(Owner::Job(id)) = p.owner else { return };
        self.store.finish_pod(pod, if failed { PodPhase::Failed } else { PodPhase::Succeeded });
        let job = &mut self.store.jobs[id.0 as usize];
        if let Some(jp) = job.pods.get_mut(&pod) {
            jp.finished_at = Some(at);
            if !jp.tracked {
                job.pods.remove(&pod);
                job.finished_pods.insert(pod);
            }
        }
        if failed {
            self.events.emit(now, "pod_failed", |e| {
                e.str("pod", &name).str("node", &node).str("reason", "Error");
            });
        } else {
            self.events.emit(now, "pod_succeeded", |e| {
                e.str("pod", &name).str("node", &node);
            });
        }
        self.cluster_changed();
    }
}
