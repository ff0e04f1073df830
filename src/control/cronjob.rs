//! The CronJob controller (v2): one sync of one CronJob cleans up finished Jobs beyond the
//! history limits, updates the active list, and starts the Job due now, if any; it says
//! when to look again (the next activation, plus 100 ms), so a CronJob costs nothing
//! between its activations. Times are the virtual wall clock: Unix ns from `start:`.
//! Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (sync, syncCronJob,
//! cleanupFinishedJobs, getJobName) and utils.go.

use super::cron::{self, Missed, Schedule};
use crate::engine::Time;
use crate::model::{ConcurrencyPolicy, CronJob, CronJobId, Job, JobId, JobOutcome, Store};
use std::collections::BTreeMap;

/// What one sync decides.
#[derive(Clone, Debug, PartialEq)]
pub struct CronSync {
    pub cron_job: CronJobId,
    /// Jobs to delete (history cleanup, Replace).
    pub delete: Vec<JobId>,
    /// The Job to create: its name and scheduled time (Unix ns).
    pub create: Option<(String, i64)>,
    /// A Job of that name exists already and becomes active (`AlreadyExists`).
    pub adopt: Option<JobId>,
    pub active: Vec<JobId>,
    pub last_schedule: Option<i64>,
    pub last_successful: Option<Time>,
    /// The activation due (Unix ns) was past `startingDeadlineSeconds`.
    pub missed: Option<i64>,
    /// Forbid: the activation due (Unix ns) was skipped because a Job is active.
    pub skipped: Option<i64>,
    /// More than 100 schedules were missed (upstream warns "too many missed start times").
    pub too_many_missed: bool,
    /// Look again this long from now (ns).
    pub requeue_after: Option<i64>,
}

/// The CronJob controller's memory: each CronJob's parsed schedule.
#[derive(Clone, Debug, Default)]
pub struct CronJobController {
    schedules: BTreeMap<CronJobId, Result<Schedule, String>>,
}

/// `<cronjob>-<scheduled time in minutes since the epoch>`.
// Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (getJobName) and utils.go (getTimeHashInMinutes).
pub fn job_name(cron_job: &str, scheduled_unix_ns: i64) -> String {
    // Go's Unix() is floor(ns / 1e9); `/ 60` then truncates toward zero.
    format!("{cron_job}-{}", scheduled_unix_ns.div_euclid(1_000_000_000) / 60)
}

/// Complete or Failed.
fn finished(job: &Job) -> Option<JobOutcome> {
    job.outcome()
}

impl CronJobController {
    /// The CronJob's spec changed: parse its schedule again.
    pub fn forget(&mut self, id: CronJobId) {
        self.schedules.remove(&id);
    }

    fn schedule(&mut self, cj: &CronJob) -> Result<Schedule, String> {
        self.schedules.entry(cj.id).or_insert_with(|| Schedule::parse(&cj.schedule, cj.time_zone.as_deref())).clone()
    }

    /// One sync of `id` at `now_unix` on the wall clock.
    // Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (sync).
    pub fn sync(&mut self, store: &Store, id: CronJobId, now_unix: i64) -> CronSync {
        let cj = store.cron_job(id);
        let jobs: Vec<&Job> = cj.jobs.iter().map(|j| store.job(*j)).filter(|j| !j.deleted).collect();
        let mut out = CronSync {
            cron_job: id,
            delete: Vec::new(),
            create: None,
            adopt: None,
            active: cj.active.clone(),
            last_schedule: cj.last_schedule,
            last_successful: cj.last_successful,
            missed: None,
            skipped: None,
            too_many_missed: false,
            requeue_after: None,
        };
        cleanup_finished_jobs(cj, &jobs, &mut out);
        self.sync_cron_job(cj, &jobs, now_unix, &mut out);
        out
    }

    // Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob).
    fn sync_cron_job(&mut self, cj: &CronJob, jobs: &[&Job], now_unix: i64, out: &mut CronSync) {
        for j in jobs {
            let found = out.active.contains(&j.id);
            if found && j.is_finished() {
                // SawCompletedJob.
                out.active.retain(|a| *a != j.id);
            } else if !found && finished(j) == Some(JobOutcome::Complete) {
                // A Job need not be active to record its success.
                let done = j.finished.map(|(t, _)| t);
                if out.last_successful.is_none() || done > out.last_successful {
                    out.last_successful = done;
                }
            }
        }
        // Active Jobs that no longer exist (MissingJob).
        out.active.retain(|a| jobs.iter().any(|j| j.id == *a) && !out.delete.contains(a));
        if cj.suspend {
            return;
        }
        let Ok(schedule) = self.schedule(cj) else { return };
        let next_delay = |last: Option<i64>| cron::next_schedule_delay(&schedule, cj.created_unix, last, now_unix);
        let scheduled = match cron::next_schedule_time(
            &schedule,
            cj.created_unix,
            out.last_schedule,
            cj.starting_deadline_seconds,
            now_unix,
        ) {
            // InvalidSchedule: not reconciled again (upstream waits for a spec update).
            Err(_) => return,
            Ok((scheduled, missed)) => {
                out.too_many_missed = missed == Missed::Many;
                scheduled
            }
        };
        let Some(scheduled) = scheduled else {
            out.requeue_after = next_delay(out.last_schedule);
            return;
        };
        if let Some(sds) = cj.starting_deadline_seconds {
            if scheduled + sds * 1_000_000_000 < now_unix {
                // MissSchedule.
                out.missed = Some(scheduled);
                out.requeue_after = next_delay(out.last_schedule);
                return;
            }
        }
        let name = job_name(&cj.name, scheduled);
        let active_by_name = out.active.iter().any(|a| jobs.iter().any(|j| j.id == *a && j.name == name));
        if active_by_name || out.last_schedule == Some(scheduled) {
            out.requeue_after = next_delay(out.last_schedule);
            return;
        }
        if cj.concurrency == ConcurrencyPolicy::Forbid && !out.active.is_empty() {
            // JobAlreadyActive.
            out.skipped = Some(scheduled);
            out.requeue_after = next_delay(out.last_schedule);
            return;
        }
        if cj.concurrency == ConcurrencyPolicy::Replace {
            for a in std::mem::take(&mut out.active) {
                if !out.delete.contains(&a) {
                    out.delete.push(a);
                }
            }
        }
        // AlreadyExists: a Job of that name; ours becomes active, another's is left alone.
        if let Some(existing) = jobs.iter().find(|j| j.name == name && !out.delete.contains(&j.id)) {
            if out.active.contains(&existing.id) {
                return;
            }
            out.adopt = Some(existing.id);
            out.active.push(existing.id);
        } else {
            out.create = Some((name, scheduled));
        }
        out.last_schedule = Some(scheduled);
        out.requeue_after = next_delay(out.last_schedule);
    }
}

/// Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit.
// Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (cleanupFinishedJobs, removeOldestJobs, byJobStartTime).
fn cleanup_finished_jobs(cj: &CronJob, jobs: &[&Job], out: &mut CronSync) {
    let mut remove = |mut list: Vec<&Job>, keep: u32| {
        let excess = list.len().saturating_sub(keep as usize);
        if excess == 0 {
            return;
        }
        // Oldest start first (no start time last), ties by name.
        list.sort_by(|a, b| match (a.start_time, b.start_time) {
            (Some(x), Some(y)) if x != y => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            _ => a.name.cmp(&b.name),
        });
        for j in list.into_iter().take(excess) {
            out.delete.push(j.id);
            out.active.retain(|a| *a != j.id);
        }
    };
    let successful: Vec<&Job> = jobs.iter().copied().filter(|j| finished(j) == Some(JobOutcome::Complete)).collect();
    let failed: Vec<&Job> =
        jobs.iter().copied().filter(|j| matches!(finished(j), Some(JobOutcome::Failed(_)))).collect();
    remove(successful, cj.successful_history);
    remove(failed, cj.failed_history);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_count_minutes_since_the_epoch() {
        // 2026-01-01T00:00:00Z is 1767225600 s: 29453760 minutes.
        let t = cron::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(job_name("backup", t), "backup-29453760");
        assert_eq!(job_name("backup", t + 59_999_999_999), "backup-29453760");
        assert_eq!(job_name("backup", t + 60_000_000_000), "backup-29453761");
    }
}
