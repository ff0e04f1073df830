//! Time series sampled at the end of every instant in which something happened: the
//! evidence behind expectations, plots and `metrics.csv`.

use crate::engine::Time;
use std::collections::BTreeMap;

/// A step function: (time, value) whenever the value changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub points: Vec<(Time, i64)>,
}

impl Series {
    /// Appends `value` at `t` if it differs from the last value. A change at the same
    /// instant replaces the earlier point (only the settled value of an instant counts).
    pub fn record(&mut self, t: Time, value: i64) {
        if let Some(last) = self.points.last_mut() {
            if last.1 == value {
                return;
            }
            if last.0 == t {
                last.1 = value;
                if self.points.len() >= 2 && self.points[self.points.len() - 2].1 == value {
                    self.points.pop();
                }
                return;
            }
        }
        self.points.push((t, value));
    }

    /// The value in force at `t` (0 before the first point).
    pub fn at(&self, t: Time) -> i64 {
        match self.points.partition_point(|(pt, _)| *pt <= t) {
            0 => 0,
            i => self.points[i - 1].1,
        }
    }

    /// The smallest value in force anywhere in [from, to].
    pub fn min_over(&self, from: Time, to: Time) -> i64 {
        let start = self.at(from);
        self.points.iter().filter(|(t, _)| *t > from && *t <= to).map(|(_, v)| *v).fold(start, i64::min)
    }

    /// The largest value in force anywhere in [from, to].
    pub fn max_over(&self, from: Time, to: Time) -> i64 {
        let start = self.at(from);
        self.points.iter().filter(|(t, _)| *t > from && *t <= to).map(|(_, v)| *v).fold(start, i64::max)
    }

    /// The integral of the step function over [from, to], in value-seconds.
    pub fn integral_seconds(&self, from: Time, to: Time) -> f64 {
        let mut total = 0.0;
        let mut t = from;
        let mut value = self.at(from);
        for &(pt, v) in self.points.iter().filter(|(pt, _)| *pt > from && *pt < to) {
            total += value as f64 * (pt - t).as_secs_f64();
            (t, value) = (pt, v);
        }
        total + value as f64 * to.since(t).as_secs_f64()
    }

    pub fn last(&self) -> i64 {
        self.points.last().map_or(0, |p| p.1)
    }
}

/// One Service's traffic over one window (10 s, or the run's last partial window).
#[derive(Clone, Debug)]
pub struct TrafficWindow {
    pub figures: crate::traffic::Figures,
}

/// Everything sampled during a run, keyed by object name (ordered maps: stable output).
#[derive(Clone, Debug, Default)]
pub struct Observations {
    pub desired: BTreeMap<String, Series>,
    pub ready: BTreeMap<String, Series>,
    /// Live (not terminating) pods per Deployment.
    pub pods: BTreeMap<String, Series>,
    /// Pods whose containers run, per node.
    pub running_on_node: BTreeMap<String, Series>,
    /// Pods bound per node (API view).
    pub bound_on_node: BTreeMap<String, Series>,
    /// Pods parked as unschedulable.
    pub unschedulable: Series,
    /// Nodes in the cluster per pool (what the pool costs by the hour).
    pub pool_nodes: BTreeMap<String, Series>,
    /// Ready replicas at their lowest while a rollout (revision > 1) was in progress.
    pub min_ready_during_rollout: BTreeMap<String, i64>,
    /// (time, deployment, revision) of every completed rollout.
    pub rollouts_completed: Vec<(Time, String, u64)>,
    /// Per Service: every traffic window, in order.
    pub traffic: BTreeMap<String, Vec<TrafficWindow>>,
    /// Per Service: figures for the whole run.
    pub traffic_totals: BTreeMap<String, crate::traffic::Figures>,
    /// Latency histograms over the windows inside each latency expectation's [from, to]:
    /// (service, from, to, histogram).
    pub latency_windows: Vec<(String, Time, Time, crate::traffic::Histogram)>,
    /// Timeline actions and faults, for plot markers.
    pub markers: Vec<(Time, String)>,
    /// Per Service: when it first had a ready endpoint, and its request counts up to then
    /// (the end of its warm-up).
    pub first_endpoint: BTreeMap<String, (Time, crate::traffic::Counts)>,
    /// Per HorizontalPodAutoscaler: its status after every sync.
    pub hpas: BTreeMap<String, HpaTrack>,
    /// Every Job of the run, in creation order (deleted ones too).
    pub jobs: Vec<JobRecord>,
    /// Per CronJob: what it did.
    pub cron_jobs: BTreeMap<String, CronJobRecord>,
}

/// One Job over the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobRecord {
    pub name: String,
    /// The CronJob that created it.
    pub cron_job: Option<String>,
    pub completions: Option<u32>,
    pub parallelism: u32,
    pub created: Time,
    /// status.startTime.
    pub start: Option<Time>,
    /// When the Complete or Failed condition was set, and `Complete` or the failure reason.
    pub finished: Option<(Time, String)>,
    /// status.succeeded and status.failed.
    pub succeeded: u32,
    pub failed: u32,
    /// Pods created.
    pub pods: u32,
}

/// One CronJob over the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CronJobRecord {
    pub jobs_created: u32,
    /// Activations past startingDeadlineSeconds.
    pub missed: u32,
    /// Activations skipped by concurrencyPolicy Forbid.
    pub skipped: u32,
}

/// One HPA over the run: its bounds and target, and what each sync saw and decided.
#[derive(Clone, Debug, Default)]
pub struct HpaTrack {
    pub deployment: String,
    pub min_replicas: i64,
    pub max_replicas: i64,
    pub target_utilization: i64,
    /// status.currentReplicas at each sync.
    pub current: Series,
    /// status.desiredReplicas at each sync.
    pub desired: Series,
    /// Measured CPU utilization (percent of request) at each sync that had metrics.
    pub utilization: Vec<(Time, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keeps_only_settled_changes() {
        let mut s = Series::default();
        s.record(Time(0), 1);
        s.record(Time(5), 1);
        s.record(Time(10), 2);
        s.record(Time(10), 1);
        s.record(Time(20), 0);
        assert_eq!(s.points, vec![(Time(0), 1), (Time(20), 0)]);
        assert_eq!(s.at(Time(19)), 1);
        assert_eq!(s.min_over(Time(0), Time(19)), 1);
        assert_eq!(s.min_over(Time(0), Time(20)), 0);
        assert_eq!(s.max_over(Time(25), Time(30)), 0);
    }
}
