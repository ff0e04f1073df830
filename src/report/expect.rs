//! Checking the scenario's expectations against what the run observed.

use super::human_duration;
use crate::engine::Time;
use crate::scenario::{Expectation, Scenario};
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

/// (requests that ended, of them served) over the 10 s windows inside `[lo, hi]`. Requests
/// count when they end (served, or dropped for any reason), so a span never shows more
/// served than counted: one that arrived before the span and was answered in it counts
/// in it, one still in flight at its end does not.
fn windowed(windows: &[crate::record::TrafficWindow], lo: Time, hi: Time) -> (u64, u64) {
    windows.iter().filter(|w| w.figures.from >= lo && w.figures.to <= hi).fold((0, 0), |(ended, s), w| {
        let c = &w.figures.counts;
        (ended + c.served + c.dropped.total(), s + c.served)
    })
}

fn evaluate_one(scenario: &Scenario, e: &Expectation, run: &RunOutput) -> ExpectationResult {
    let obs = &run.observations;
    match e {
        Expectation::ReadyReplicas { deployment, at_least, by } => {
            let series = obs.ready.get(deployment).cloned().unwrap_or_default();
            let at_by = series.at(t(*by));
            let lowest = series.min_over(t(*by), run.end);
            let passed = lowest >= i64::from(*at_least);
            let observed = if passed {
                format!("{at_by} ready at {}, never below {lowest} after", human_duration(*by))
            } else {
                let dip =
                    series.points.iter().find(|(pt, v)| *pt >= t(*by) && *v < i64::from(*at_least)).map(|(pt, _)| *pt);
                let when = if at_by < i64::from(*at_least) { t(*by) } else { dip.unwrap_or(t(*by)) };
                format!("{} ready at {}; lowest after {}: {lowest}", series.at(when), at(when), human_duration(*by))
            };
            ExpectationResult {
                name: format!("readyReplicas {deployment} >= {at_least} by {}", human_duration(*by)),
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
        Expectation::Availability { service, min, from, to } => {
            let windows = obs.traffic.get(service).map(Vec::as_slice).unwrap_or(&[]);
            let (lo, hi) = (t(*from), t(*to));
            let whole = *from == crate::engine::Duration::ZERO && hi >= run.end;
            let (offered, served) = if whole {
                obs.traffic_totals.get(service).map_or((0, 0), |f| (f.counts.offered, f.counts.served))
            } else {
                windowed(windows, lo, hi)
            };
            let availability = if offered == 0 { 1.0 } else { served as f64 / offered as f64 };
            let span = if whole {
                "the whole run".to_string()
            } else {
                format!("{} to {}", human_duration(*from), human_duration(*to))
            };
            ExpectationResult {
                name: format!("availability {service} >= {}% over {span}", super::json::number(min * 100.0)),
                passed: availability >= *min,
                observed: format!(
                    "{}% ({served} of {offered} {})",
                    super::json::number((availability * 100.0 * 1000.0).floor() / 1000.0),
                    if whole { "served" } else { "requests that ended in the span served" }
                ),
            }
        }
        Expectation::Latency { service, p50, p99, from, to } => {
            let (lo, hi) = (t(*from), t(*to));
            let hist =
                obs.latency_windows.iter().find(|(s, a, b, _)| s == service && *a == lo && *b == hi).map(|x| &x.3);
            let got = |q: f64| hist.and_then(|h| h.value_at_percentile(q));
            let (g50, g99) = (got(50.0), got(99.0));
            let ok = |bound: &Option<crate::engine::Duration>, got: Option<crate::engine::Duration>| {
                bound.is_none_or(|b| got.is_none_or(|g| g <= b))
            };
            let fmt = |d: Option<crate::engine::Duration>| {
                d.map_or("n/a".to_string(), |d| format!("{:.1}ms", d.as_secs_f64() * 1e3))
            };
            let bounds: Vec<String> = [("p50", p50), ("p99", p99)]
                .iter()
                .filter_map(|(n, b)| b.map(|b| format!("{n} <= {}", human_duration(b))))
                .collect();
            ExpectationResult {
                name: format!(
                    "latency {service} {} from {} to {}",
                    bounds.join(", "),
                    human_duration(*from),
                    human_duration(*to)
                ),
                passed: ok(p50, g50) && ok(p99, g99),
                observed: format!("p50 {}, p99 {}", fmt(g50), fmt(g99)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::TrafficWindow;

    fn window(from: u64, offered: u64, served: u64, timeouts: u64) -> TrafficWindow {
        let mut figures = crate::traffic::Figures {
            from: Time::from_secs(from),
            to: Time::from_secs(from + 10),
            counts: Default::default(),
            in_flight: 0,
            latency: Default::default(),
        };
        figures.counts.offered = offered;
        figures.counts.served = served;
        figures.counts.dropped.timeout = timeouts;
        TrafficWindow { figures }
    }

    #[test]
    fn a_span_never_shows_more_served_than_counted() {
        // A backlog drains in the second window: more answers than arrivals there.
        let windows = [window(0, 100, 40, 0), window(10, 20, 70, 5), window(20, 50, 50, 0)];
        let (ended, served) = windowed(&windows, Time::from_secs(10), Time::from_secs(20));
        assert_eq!((ended, served), (75, 70), "by arrivals it would read 70 of 20");
        let (ended, served) = windowed(&windows, Time::ZERO, Time::from_secs(30));
        assert!(served <= ended);
        assert_eq!((ended, served), (165, 160));
    }
}
