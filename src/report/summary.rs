//! `summary.json` and `summary.md`: the same figures for machines and for people.

use super::json::{number, Json};
use super::{human_duration, ExpectationResult};
use crate::engine::Time;
use crate::record::Series;
use crate::scenario::Scenario;
use crate::world::RunOutput;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Everything the summaries print, computed once.
pub struct Summary<'a> {
    pub scenario: &'a Scenario,
    pub run: &'a RunOutput,
    pub expectations: &'a [ExpectationResult],
    pub trace_hash: String,
    /// Wall-clock seconds the simulation took (never part of events.jsonl).
    pub wall_seconds: f64,
}

impl<'a> Summary<'a> {
    pub fn new(
        scenario: &'a Scenario,
        run: &'a RunOutput,
        expectations: &'a [ExpectationResult],
        wall_seconds: f64,
    ) -> Self {
        let trace_hash = Sha256::digest(run.events.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        Summary { scenario, run, expectations, trace_hash, wall_seconds }
    }

    pub fn passed(&self) -> bool {
        self.expectations.iter().all(|e| e.passed)
    }
}

/// Intervals in which ready replicas were below desired, after first reaching it.
pub fn shortfalls(ready: &Series, desired: &Series, end: Time) -> Vec<(Time, Time, i64)> {
    let mut times: Vec<Time> = ready.points.iter().chain(&desired.points).map(|p| p.0).collect();
    times.sort();
    times.dedup();
    let mut out = Vec::new();
    let mut reached = false;
    let mut open: Option<(Time, i64)> = None;
    for t in times {
        let (r, d) = (ready.at(t), desired.at(t));
        if r >= d && d > 0 {
            reached = true;
        }
        if reached && r < d {
            let missing = d - r;
            open = Some(match open {
                Some((start, worst)) => (start, worst.max(missing)),
                None => (t, missing),
            });
        } else if let Some((start, worst)) = open.take() {
            out.push((start, t, worst));
        }
    }
    if let Some((start, worst)) = open {
        out.push((start, end, worst));
    }
    out
}

/// Per Service: offered, served, dropped (and by cause), availability, latency.
fn services_json(s: &Summary) -> Vec<(String, Json)> {
    let ms = |d: Option<crate::engine::Duration>| d.map_or(Json::Null, |d| Json::Num(d.as_secs_f64() * 1e3));
    s.run
        .observations
        .traffic_totals
        .iter()
        .map(|(name, f)| {
            let d = f.counts.dropped;
            (
                name.clone(),
                Json::obj(vec![
                    ("offered", Json::Int(f.counts.offered as i64)),
                    ("served", Json::Int(f.counts.served as i64)),
                    ("dropped", Json::Int(d.total() as i64)),
                    (
                        "dropped_by_cause",
                        Json::obj(vec![
                            ("no_endpoints", Json::Int(d.no_endpoints as i64)),
                            ("queue_full", Json::Int(d.queue_full as i64)),
                            ("timeout", Json::Int(d.timeout as i64)),
                            ("pod_lost", Json::Int(d.pod_lost as i64)),
                        ]),
                    ),
                    ("in_flight", Json::Int(f.in_flight as i64)),
                    ("availability", f.availability().map_or(Json::Null, Json::Num)),
                    ("p50_ms", ms(f.latency.p50)),
                    ("p99_ms", ms(f.latency.p99)),
                    ("mean_ms", ms(f.latency.mean)),
                ]),
            )
        })
        .collect()
}

/// One node pool's size over the run and what it cost.
pub struct PoolCost {
    pub name: String,
    pub min_nodes: i64,
    pub max_nodes: i64,
    pub final_nodes: i64,
    pub node_hours: f64,
    pub cost: f64,
}

/// A pool's node-hours (the integral of its node count over the run) and their cost.
pub fn node_hours_and_cost(
    pool: &crate::scenario::NodePool,
    obs: &crate::record::Observations,
    end: Time,
) -> (f64, f64) {
    let node_hours = obs.pool_nodes.get(&pool.name).map_or(0.0, |n| n.integral_seconds(Time::ZERO, end) / 3600.0);
    (node_hours, node_hours * pool.cost_per_hour)
}

/// Per pool: its size over the run, node-hours and cost.
pub fn pool_costs(s: &Summary) -> Vec<PoolCost> {
    let end = s.run.end;
    s.scenario
        .cluster
        .node_pools
        .iter()
        .map(|pool| {
            let nodes = s.run.observations.pool_nodes.get(&pool.name).cloned().unwrap_or_default();
            let (node_hours, cost) = node_hours_and_cost(pool, &s.run.observations, end);
            PoolCost {
                name: pool.name.clone(),
                min_nodes: nodes.min_over(Time::ZERO, end),
                max_nodes: nodes.max_over(Time::ZERO, end),
                final_nodes: nodes.last(),
                node_hours,
                cost,
            }
        })
        .collect()
}

/// Rounds to 4 decimals so the JSON stays readable.
fn rounded(x: f64) -> Json {
    Json::Num((x * 10_000.0).round() / 10_000.0)
}

fn pools_json(costs: &[PoolCost]) -> Vec<(String, Json)> {
    costs
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                Json::obj(vec![
                    ("min_nodes", Json::Int(c.min_nodes)),
                    ("max_nodes", Json::Int(c.max_nodes)),
                    ("final_nodes", Json::Int(c.final_nodes)),
                    ("node_hours", rounded(c.node_hours)),
                    ("cost", rounded(c.cost)),
                ]),
            )
        })
        .collect()
}

pub fn summary_json(s: &Summary) -> String {
    let obs = &s.run.observations;
    let expectations = s
        .expectations
        .iter()
        .map(|e| {
            Json::obj(vec![
                ("name", Json::str(&e.name)),
                ("passed", Json::Bool(e.passed)),
                ("observed", Json::str(&e.observed)),
            ])
        })
        .collect();
    let deployments = s
        .run
        .store
        .deployments
        .iter()
        .map(|d| {
            let pods = obs.pods.get(&d.name).cloned().unwrap_or_default();
            let min_rollout = obs.min_ready_during_rollout.get(&d.name).map_or(Json::Null, |v| Json::Int(*v));
            let fields = vec![
                ("final_ready", Json::Int(obs.ready.get(&d.name).map_or(0, Series::last))),
                ("desired", Json::Int(i64::from(d.replicas))),
                ("max_pods", Json::Int(pods.max_over(Time::ZERO, s.run.end))),
                ("min_ready_during_rollout", min_rollout),
            ];
            (d.name.clone(), Json::obj(fields))
        })
        .collect();
    let nodes = s
        .run
        .store
        .nodes
        .iter()
        .map(|n| {
            let running = obs.running_on_node.get(&n.name).map_or(0, Series::last);
            (
                n.name.clone(),
                Json::obj(vec![
                    ("ready", Json::Bool(n.condition == crate::model::NodeCondition::Ready)),
                    ("running_pods", Json::Int(running)),
                ]),
            )
        })
        .collect();
    let events = s.run.events.lines();
    let costs = pool_costs(s);
    let json = Json::obj(vec![
        ("scenario", Json::str(&s.scenario.name)),
        ("seed", Json::Int(s.scenario.seed as i64)),
        ("trace_hash", Json::str(&s.trace_hash)),
        ("events", Json::Int(events as i64)),
        ("virtual_seconds", Json::Num(s.run.end.as_secs_f64())),
        ("passed", Json::Bool(s.passed())),
        ("expectations", Json::Arr(expectations)),
        ("services", Json::Obj(services_json(s))),
        ("deployments", Json::Obj(deployments)),
        ("nodes", Json::Obj(nodes)),
        ("node_pools", Json::Obj(pools_json(&costs))),
        (
            "cost",
            Json::obj(vec![
                ("node_hours", rounded(costs.iter().map(|c| c.node_hours).sum())),
                ("total", rounded(costs.iter().map(|c| c.cost).sum())),
            ]),
        ),
        (
            "wall",
            Json::obj(vec![
                ("seconds", Json::Num(s.wall_seconds)),
                (
                    "events_per_second",
                    Json::Num(if s.wall_seconds > 0.0 { events as f64 / s.wall_seconds } else { 0.0 }),
                ),
            ]),
        ),
    ]);
    json.pretty()
}

pub fn summary_markdown(s: &Summary) -> String {
    let obs = &s.run.observations;
    let mut md = String::new();
    let verdict = if s.passed() { "all expectations held" } else { "**expectations failed**" };
    let _ = writeln!(md, "# {}\n", s.scenario.name);
    if !s.scenario.description.is_empty() {
        let _ = writeln!(md, "{}\n", s.scenario.description.trim());
    }
    let _ = writeln!(
        md,
        "Seed {} · {} simulated · {} events · {verdict}\n\n`trace_hash` {}\n",
        s.scenario.seed,
        human_duration(s.run.end - Time::ZERO),
        s.run.events.lines(),
        s.trace_hash
    );
    if !s.expectations.is_empty() {
        md.push_str("## Expectations\n\n| | expectation | observed |\n|---|---|---|\n");
        for e in s.expectations {
            let _ = writeln!(md, "| {} | {} | {} |", if e.passed { "✅" } else { "❌" }, e.name, e.observed);
        }
        md.push('\n');
    }
    if !obs.traffic_totals.is_empty() {
        md.push_str("## Services\n\n| service | offered | served | dropped (no endpoints / queue full / timeout / pod lost) | availability | p50 | p99 |\n|---|---:|---:|---|---:|---:|---:|\n");
        for (name, f) in &obs.traffic_totals {
            let d = f.counts.dropped;
            let ms = |x: Option<crate::engine::Duration>| {
                x.map_or("–".to_string(), |x| format!("{:.1} ms", x.as_secs_f64() * 1e3))
            };
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} ({} / {} / {} / {}) | {} | {} | {} |",
                f.counts.offered,
                f.counts.served,
                d.total(),
                d.no_endpoints,
                d.queue_full,
                d.timeout,
                d.pod_lost,
                f.availability()
                    .map_or("–".to_string(), |a| format!("{}%", number((a * 100_000.0).floor() / 1000.0))),
                ms(f.latency.p50),
                ms(f.latency.p99)
            );
        }
        md.push('\n');
    }
    md.push_str("## Deployments\n\n| deployment | desired | final ready | max pods | min ready during rollout |\n|---|---:|---:|---:|---:|\n");
    for d in &s.run.store.deployments {
        let ready = obs.ready.get(&d.name).map_or(0, Series::last);
        let max_pods = obs.pods.get(&d.name).map_or(0, |p| p.max_over(Time::ZERO, s.run.end));
        let min_rollout = obs.min_ready_during_rollout.get(&d.name).map_or("–".to_string(), |v| v.to_string());
        let _ = writeln!(md, "| {} | {} | {ready} | {max_pods} | {min_rollout} |", d.name, d.replicas);
    }
    md.push('\n');
    let costs = pool_costs(s);
    md.push_str(
        "## Node pools\n\n| pool | nodes (min – max) | final | node-hours | cost |\n|---|---:|---:|---:|---:|\n",
    );
    for c in &costs {
        let _ = writeln!(
            md,
            "| {} | {} – {} | {} | {:.2} | {:.2} |",
            c.name, c.min_nodes, c.max_nodes, c.final_nodes, c.node_hours, c.cost
        );
    }
    let total: f64 = costs.iter().map(|c| c.cost).sum();
    let _ =
        writeln!(md, "\nTotal: {:.2} node-hours, cost {total:.2}.\n", costs.iter().map(|c| c.node_hours).sum::<f64>());
    let mut dips = String::new();
    for d in &s.run.store.deployments {
        let (Some(ready), Some(desired)) = (obs.ready.get(&d.name), obs.desired.get(&d.name)) else { continue };
        for (from, to, worst) in shortfalls(ready, desired, s.run.end) {
            let _ = writeln!(
                dips,
                "| {} | {} | {} | {} | {worst} |",
                d.name,
                human_duration(from - Time::ZERO),
                human_duration(to - Time::ZERO),
                human_duration(to - from)
            );
        }
    }
    if !dips.is_empty() {
        md.push_str("## Below desired\n\nIntervals in which ready replicas fell short of desired after first reaching it.\n\n| deployment | from | to | for | most missing |\n|---|---|---|---|---:|\n");
        md.push_str(&dips);
        md.push('\n');
    }
    if !obs.markers.is_empty() {
        md.push_str("## Timeline\n\n");
        for (t, label) in &obs.markers {
            let _ = writeln!(md, "- {} {label}", human_duration(*t - Time::ZERO));
        }
        md.push('\n');
    }
    let _ = writeln!(md, "_Simulated in {} s of wall time._", number(s.wall_seconds));
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortfalls_start_after_desired_was_first_reached() {
        let mut ready = Series::default();
        let mut desired = Series::default();
        desired.record(Time(0), 3);
        ready.record(Time(0), 0);
        ready.record(Time(5), 3);
        ready.record(Time(10), 1);
        ready.record(Time(20), 3);
        ready.record(Time(30), 2);
        assert_eq!(shortfalls(&ready, &desired, Time(40)), vec![(Time(10), Time(20), 2), (Time(30), Time(40), 1)]);
    }
}
