//! Checking the scenario's expectations against what the run observed.

use super::human_duration;
use crate::engine::Time;
use crate::scenario::{Expectation, Scenario, Warmup};
use crate::traffic::Counts;
use crate::world::RunOutput;

/// One expectation's verdict, with what was observed in words.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectationResult {
    pub name: String,
    pub passed: bool,
    pub observed: String,
}

pub fn evaluate(scenario: &Scenario, run: &RunOutput) -> Vec<ExpectationResult> {
    scenario.expect.iter().map(|(e, _)| evaluate_one(scenario, e, run)).collect()
}

fn t(d: crate::engine::Duration) -> Time {
    Time::ZERO + d
}

fn at(time: Time) -> String {
    human_duration(time - Time::ZERO)
}

/// `jobComplete`: the Job completed by `by`; for a CronJob, every Job it created by then
/// (at least one) completed by then.
fn job_complete(run: &RunOutput, name: &str, by: Time) -> ExpectationResult {
    let jobs = &run.observations.jobs;
    let done_by =
        |j: &crate::record::JobRecord| j.finished.as_ref().is_some_and(|(t, how)| *t <= by && how == "Complete");
    let state = |j: &crate::record::JobRecord| match &j.finished {
        Some((t, how)) if how == "Complete" => format!("completed at {}", at(*t)),
        Some((t, how)) => format!("failed at {} ({how})", at(*t)),
        None => {
            let of = j.completions.map_or(String::new(), |c| format!(" of {c}"));
            format!("not finished by the end ({}{of} succeeded, {} failed)", j.succeeded, j.failed)
        }
    };
    let label = format!("jobComplete {name} by {}", human_duration(by - Time::ZERO));
    if let Some(j) = jobs.iter().rev().find(|j| j.name == name && j.cron_job.is_none()) {
        return ExpectationResult { name: label, passed: done_by(j), observed: state(j) };
    }
    let created: Vec<&crate::record::JobRecord> =
        jobs.iter().filter(|j| j.cron_job.as_deref() == Some(name) && j.created <= by).collect();
    let complete = created.iter().filter(|j| done_by(j)).count();
    let observed = match created.iter().find(|j| !done_by(j)) {
        _ if created.is_empty() => format!("no Job created by {}", human_duration(by - Time::ZERO)),
        None => format!("all {} Jobs created by then completed", created.len()),
        Some(first) => {
            format!("{complete} of {} Jobs created by then completed; {} {}", created.len(), first.name, state(first))
        }
    };
    ExpectationResult {
        name: format!("{label} (every Job of CronJob {name})"),
        passed: !created.is_empty() && complete == created.len(),
        observed,
    }
}

fn evaluate_one(scenario: &Scenario, e: &Expectation, run: &RunOutput) -> ExpectationResult {
    let obs = &run.observations;
    match e {
        Expectation::ReadyReplicas { deployment, at_least, by, to } => {
            let series = obs.ready.get(deployment).cloned().unwrap_or_default();
            let (by_t, to_t) = (t(*by), t(*to).min(run.end));
            let at_by = series.at(by_t);
            let lowest = series.min_over(by_t, to_t);
            let passed = lowest >= i64::from(*at_least);
            let until = if t(*to) >= run.end { String::new() } else { format!(" until {}", human_duration(*to)) };
            let observed = if passed {
                format!("{at_by} ready at {}, never below {lowest} after{until}", human_duration(*by))
            } else {
                let dip = series
                    .points
                    .iter()
                    .find(|(pt, v)| *pt >= by_t && *pt <= to_t && *v < i64::from(*at_least))
                    .map(|(pt, _)| *pt);
                let when = if at_by < i64::from(*at_least) { by_t } else { dip.unwrap_or(by_t) };
                format!(
                    "{} ready at {}; lowest after {}{until}: {lowest}",
                    series.at(when),
                    at(when),
                    human_duration(*by)
                )
            };
            ExpectationResult {
                name: format!("readyReplicas {deployment} >= {at_least} by {}{until}", human_duration(*by)),
                passed,
                observed,
            }
        }
        Expectation::AllPodsScheduled { by } => {
            let worst = obs.unschedulable.max_over(t(*by), run.end);
            ExpectationResult {
                name: format!("allPodsScheduled by {}", human_duration(*by)),
                passed: worst == 0,
                observed: if worst == 0 {
                    format!("no pod waited for a node after {}", human_duration(*by))
                } else {
                    let first =
                        obs.unschedulable.points.iter().find(|(pt, v)| *pt >= t(*by) && *v > 0).map_or(t(*by), |p| p.0);
                    format!(
                        "{worst} pod(s) unschedulable after {} (first at {})",
                        human_duration(*by),
                        at(first.max(t(*by)))
                    )
                },
            }
        }
        Expectation::JobComplete { job, by } => job_complete(run, job, t(*by)),
        Expectation::RolloutComplete { deployment, revision, by } => {
            let done =
                obs.rollouts_completed.iter().find(|(_, d, r)| d == deployment && r == revision).map(|(t, _, _)| *t);
            let passed = done.is_some_and(|t| t <= self::t(*by));
            ExpectationResult {
                name: format!("rolloutComplete {deployment} revision {revision} by {}", human_duration(*by)),
                passed,
                observed: match done {
                    Some(t) => format!("completed at {}", at(t)),
                    None => "never completed".into(),
                },
            }
        }
        Expectation::Availability { service, min, from, to, warmup } => {
            let window = counting_window(run, service, *from, *to, *warmup);
            let counts = counts_between(run, service, window.lo, window.hi);
            // Counted by arrival when the span runs to the end from the start or from the first
            // ready endpoint (nothing served in it arrived before it); otherwise by when
            // requests ended, so a backlog answered in the span never reads as more served.
            let from_first = run.observations.first_endpoint.get(service).is_some_and(|(t, _)| *t == window.lo);
            let whole = window.hi >= run.end && (window.lo == Time::ZERO || from_first);
            let (offered, served) = availability_counts(&counts, whole);
            let availability = if offered == 0 { 1.0 } else { served as f64 / offered as f64 };
            ExpectationResult {
                name: format!("availability {service} >= {}% over {}", super::json::number(min * 100.0), window.words),
                passed: availability >= *min,
                observed: format!(
                    "{}% ({served} of {offered} {}{})",
                    super::json::number((availability * 100.0 * 1000.0).floor() / 1000.0),
                    if whole { "served" } else { "requests that ended in the span served" },
                    window.note
                ),
            }
        }
        Expectation::Latency { service, p50, p99, from, to, warmup } => {
            let (lo, hi) = (t(*from), t(*to));
            // Only served requests have a latency, and none is served before the first
            // ready endpoint: the histogram over [from, to] is the one after warm-up too.
            let window = counting_window(run, service, *from, *to, *warmup);
            let hist =
                obs.latency_windows.iter().find(|(s, a, b, _)| s == service && *a == lo && *b == hi).map(|x| &x.3);
            let got = |q: f64| hist.and_then(|h| h.value_at_percentile(q));
            let (g50, g99) = (got(50.0), got(99.0));
            let ok = |bound: &Option<crate::engine::Duration>, got: Option<crate::engine::Duration>| {
                bound.is_none_or(|b| got.is_none_or(|g| g <= b))
            };
            let fmt = |d: Option<crate::engine::Duration>| d.map_or("n/a".to_string(), super::latency_text);
            let bounds: Vec<String> = [("p50", p50), ("p99", p99)]
                .iter()
                .filter_map(|(n, b)| b.map(|b| format!("{n} <= {}", human_duration(b))))
                .collect();
            ExpectationResult {
                name: format!("latency {service} {} over {}", bounds.join(", "), window.words),
                passed: ok(p50, g50) && ok(p99, g99),
                observed: format!("p50 {}, p99 {}{}", fmt(g50), fmt(g99), window.note),
            }
        }
        Expectation::PoolSize { pool, at_least, at_most, from, to } => {
            let series = obs.pool_nodes.get(pool).cloned().unwrap_or_default();
            let (lo, hi) = (series.min_over(t(*from), t(*to)), series.max_over(t(*from), t(*to)));
            let bounds: Vec<String> = [(">=", at_least), ("<=", at_most)]
                .iter()
                .filter_map(|(op, b)| b.map(|b| format!("{op} {b}")))
                .collect();
            ExpectationResult {
                name: format!(
                    "poolSize {pool} {} from {} to {}",
                    bounds.join(" and "),
                    human_duration(*from),
                    human_duration(*to)
                ),
                passed: at_least.is_none_or(|b| lo >= i64::from(b)) && at_most.is_none_or(|b| hi <= i64::from(b)),
                observed: format!("{lo} to {hi} nodes"),
            }
        }
        Expectation::Cost { pool, max } => {
            let cost: f64 = scenario
                .cluster
                .node_pools
                .iter()
                .filter(|p| pool.as_ref().is_none_or(|name| &p.name == name))
                .map(|p| super::summary::node_hours_and_cost(p, obs, run.end).1)
                .sum();
            let of = pool.as_ref().map_or("the cluster".to_string(), |p| format!("pool {p}"));
            ExpectationResult {
                name: format!("cost of {of} <= {}", super::json::number(*max)),
                passed: cost <= *max,
                observed: format!("{cost:.2}"),
            }
        }
        Expectation::NoPodOn { node, from, to } => {
            let running = obs.running_on_node.get(node).map_or(0, |s| s.max_over(t(*from), t(*to)));
            ExpectationResult {
                name: format!("noPodOn {node} from {} to {}", human_duration(*from), human_duration(*to)),
                passed: running == 0,
                observed: if running == 0 {
                    "no pod ran there".into()
                } else {
                    format!("up to {running} pod(s) ran there")
                },
            }
        }
    }
}

/// The span a traffic expectation counts, in words for its name.
pub(crate) struct CountingWindow {
    pub lo: Time,
    pub hi: Time,
    /// "the whole run", "0s to 5m0s", "the first ready endpoint (12.3s) to the end"...
    pub words: String,
    /// A note for the observed text (warm-up that never ended), or empty.
    pub note: String,
}

/// [from, to], starting at the Service's first ready endpoint at the earliest when the
/// warm-up is excluded.
pub(crate) fn counting_window(
    run: &RunOutput,
    service: &str,
    from: crate::engine::Duration,
    to: crate::engine::Duration,
    warmup: Warmup,
) -> CountingWindow {
    let (lo, hi) = (t(from), t(to).min(run.end));
    let end_words = if hi >= run.end { "the end".to_string() } else { human_duration(to) };
    let plain = || {
        if from == crate::engine::Duration::ZERO && hi >= run.end {
            "the whole run".to_string()
        } else {
            format!("{} to {end_words}", human_duration(from))
        }
    };
    match (warmup, run.observations.first_endpoint.get(service)) {
        (Warmup::Include, _) => CountingWindow { lo, hi, words: plain(), note: String::new() },
        (Warmup::Exclude, Some((first, _))) if *first > lo => CountingWindow {
            lo: (*first).min(hi),
            hi,
            words: format!("the first ready endpoint ({}) to {end_words}", at(*first)),
            note: String::new(),
        },
        (Warmup::Exclude, Some(_)) => {
            CountingWindow { lo, hi, words: format!("{} (after warm-up)", plain()), note: String::new() }
        }
        (Warmup::Exclude, None) => CountingWindow {
            lo,
            hi,
            words: format!("{} (after warm-up)", plain()),
            note: "; no endpoint was ever ready, so nothing was left out".to_string(),
        },
    }
}

/// A Service's request counts over [lo, hi]: whole 10 s windows inside it, plus the part
/// after the first ready endpoint of the window it falls in (its counts were taken then).
pub(crate) fn counts_between(run: &RunOutput, service: &str, lo: Time, hi: Time) -> Counts {
    let obs = &run.observations;
    let mut counts = Counts::default();
    if lo == Time::ZERO && hi >= run.end {
        if let Some(f) = obs.traffic_totals.get(service) {
            return f.counts;
        }
    }
    let windows = obs.traffic.get(service).map(Vec::as_slice).unwrap_or(&[]);
    let first = obs.first_endpoint.get(service).filter(|(t, _)| *t == lo);
    if let Some((first_t, before)) = first {
        // The windows up to the one holding the first endpoint, less what came before it.
        let mut upto = Counts::default();
        let mut cut = None;
        for (i, w) in windows.iter().enumerate() {
            upto.add(&w.figures.counts);
            if w.figures.to >= *first_t {
                cut = Some(i);
                break;
            }
        }
        if let Some(i) = cut {
            if windows[i].figures.to <= hi {
                counts = minus(&upto, before);
            }
            for w in &windows[i + 1..] {
                if w.figures.to <= hi {
                    counts.add(&w.figures.counts);
                }
            }
            return counts;
        }
    }
    for w in windows.iter().filter(|w| w.figures.from >= lo && w.figures.to <= hi) {
        counts.add(&w.figures.counts);
    }
    counts
}

fn minus(a: &Counts, b: &Counts) -> Counts {
    Counts {
        offered: a.offered.saturating_sub(b.offered),
        served: a.served.saturating_sub(b.served),
        dropped: crate::traffic::Drops {
            no_endpoints: a.dropped.no_endpoints.saturating_sub(b.dropped.no_endpoints),
            queue_full: a.dropped.queue_full.saturating_sub(b.dropped.queue_full),
            timeout: a.dropped.timeout.saturating_sub(b.dropped.timeout),
            pod_lost: a.dropped.pod_lost.saturating_sub(b.dropped.pod_lost),
        },
        queued: a.queued.saturating_sub(b.queued),
        started: a.started.saturating_sub(b.started),
        wait_ns: a.wait_ns.saturating_sub(b.wait_ns),
    }
}

/// (requests counted, served) for an availability figure. Over the whole run every
/// request offered has ended; over part of it requests are counted when they end (served
/// or dropped), so a backlog answered in the span never reads as more served than counted.
fn availability_counts(c: &Counts, whole: bool) -> (u64, u64) {
    if whole {
        (c.offered, c.served)
    } else {
        (c.served + c.dropped.total(), c.served)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_never_shows_more_served_than_counted() {
        // A backlog drains in the span: 20 arrivals, 70 answers, 5 timeouts.
        let mut c = Counts { offered: 20, served: 70, ..Counts::default() };
        c.dropped.timeout = 5;
        assert_eq!(availability_counts(&c, false), (75, 70), "by arrivals it would read 70 of 20");
        let whole = Counts { offered: 170, served: 160, ..Counts::default() };
        assert_eq!(availability_counts(&whole, true), (170, 160));
    }
}
