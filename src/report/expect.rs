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
    scenario.expect.iter().map(|(e, _)| evaluate_one(e, run)).collect()
}

fn t(d: crate::engine::Duration) -> Time {
    Time::ZERO + d
}

fn at(time: Time) -> String {
    human_duration(time - Time::ZERO)
}

fn evaluate_one(e: &Expectation, run: &RunOutput) -> ExpectationResult {
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
