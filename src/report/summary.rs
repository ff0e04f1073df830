//! `summary.json` and `summary.md`: the same figures for machines and for people.

use super::doc::{self, Block, Cell, Table};
use super::json::{number, Json};
use super::pods::{natural_cmp, pod_figures, PodFigures, Quantiles};
use super::{human_duration, latency_ms, latency_text, seconds_text, ExpectationResult};
use crate::engine::Time;
use crate::record::{JobRecord, Series};
use crate::scenario::Scenario;
use crate::world::RunOutput;
use sha2::{Digest, Sha256};

/// Everything the summaries print, computed once.
pub struct Summary<'a> {
    pub scenario: &'a Scenario,
    pub run: &'a RunOutput,
    pub expectations: &'a [ExpectationResult],
    pub trace_hash: String,
    /// Wall-clock seconds the simulation took (never part of events.jsonl).
    pub wall_seconds: f64,
    /// Start-up times, pending pods, recoveries and `--explain` scores from the event log.
    pub pods: PodFigures,
}

impl<'a> Summary<'a> {
    pub fn new(
        scenario: &'a Scenario,
        run: &'a RunOutput,
        expectations: &'a [ExpectationResult],
        wall_seconds: f64,
    ) -> Self {
        let trace_hash = Sha256::digest(run.events.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let pods = pod_figures(run, scenario);
        Summary { scenario, run, expectations, trace_hash, wall_seconds, pods }
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
    let ms = |d: Option<crate::engine::Duration>| d.map_or(Json::Null, |d| Json::Num(latency_ms(d)));
    let exact_ms = |d: Option<crate::engine::Duration>| d.map_or(Json::Null, |d| Json::Num(d.as_secs_f64() * 1e3));
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
                    ("mean_ms", exact_ms(f.latency.mean)),
                    ("warmup", warmup_json(s, name)),
                ]),
            )
        })
        .collect()
}

/// When the Service first had a ready endpoint, and its figures from then on.
fn warmup_json(s: &Summary, service: &str) -> Json {
    let Some((first, _)) = s.run.observations.first_endpoint.get(service) else { return Json::Null };
    let counts = super::expect::counts_between(s.run, service, *first, s.run.end);
    Json::obj(vec![
        ("first_ready_s", Json::Num(first.as_secs_f64())),
        ("offered_after", Json::Int(counts.offered as i64)),
        ("served_after", Json::Int(counts.served as i64)),
        ("availability_after", availability(counts.offered, counts.served).map_or(Json::Null, Json::Num)),
    ])
}

fn availability(offered: u64, served: u64) -> Option<f64> {
    (offered > 0).then(|| served as f64 / offered as f64)
}

fn quantiles_json(q: &Quantiles) -> Vec<(&'static str, Json)> {
    vec![
        ("count", Json::Int(q.count as i64)),
        ("p50", Json::Num(q.p50)),
        ("p90", Json::Num(q.p90)),
        ("p99", Json::Num(q.p99)),
        ("max", Json::Num(q.max)),
    ]
}

/// `pods.startup`: created -> ready, overall and per workload.
fn pods_json(p: &PodFigures) -> Json {
    let by: Vec<(String, Json)> =
        p.startup_by_workload.iter().map(|(w, q)| (w.clone(), Json::obj(quantiles_json(q)))).collect();
    let mut startup = match &p.startup {
        Some(q) => quantiles_json(q),
        None => vec![("count", Json::Int(0))],
    };
    startup.push(("workloads", Json::Obj(by)));
    Json::obj(vec![("startup", Json::obj(startup))])
}

fn recovery_json(p: &PodFigures) -> Json {
    Json::Arr(
        p.recovery
            .iter()
            .map(|r| {
                Json::obj(vec![
                    ("fault", Json::str(r.fault)),
                    ("target", Json::str(&r.target)),
                    ("at", Json::Num(r.at.as_secs_f64())),
                    ("nodes", Json::Arr(r.nodes.iter().map(Json::str).collect())),
                    ("workloads", Json::Arr(r.workloads.iter().map(Json::str).collect())),
                    ("seconds", r.seconds.map_or(Json::Null, Json::Num)),
                    ("recovered", Json::Bool(r.seconds.is_some())),
                    ("requests_lost", Json::Int(r.requests_lost as i64)),
                ])
            })
            .collect(),
    )
}

fn pending_json(p: &PodFigures) -> Json {
    let groups = p
        .pending
        .iter()
        .map(|g| {
            (
                g.workload.clone(),
                Json::obj(vec![
                    ("count", Json::Int(g.pods.len() as i64)),
                    ("reason", g.reason.as_ref().map_or(Json::Null, Json::str)),
                    ("since", Json::Num(g.since.as_secs_f64())),
                    ("pods", Json::Arr(g.pods.iter().map(Json::str).collect())),
                ]),
            )
        })
        .collect();
    Json::obj(vec![("count", Json::Int(p.pending_pods() as i64)), ("workloads", Json::Obj(groups))])
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
            let key = s.run.store.key(d.namespace, &d.name);
            let pods = obs.pods.get(&key).cloned().unwrap_or_default();
            let min_rollout = obs.min_ready_during_rollout.get(&key).map_or(Json::Null, |v| Json::Int(*v));
            let fields = vec![
                ("final_ready", Json::Int(obs.ready.get(&key).map_or(0, Series::last))),
                ("desired", Json::Int(i64::from(d.replicas))),
                ("max_pods", Json::Int(pods.max_over(Time::ZERO, s.run.end))),
                ("min_ready_during_rollout", min_rollout),
            ];
            (key, Json::obj(fields))
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
    let mut fields = vec![
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
        ("pods", pods_json(&s.pods)),
        ("recovery", recovery_json(&s.pods)),
        ("pending", pending_json(&s.pods)),
        ("hpas", hpas_json(s)),
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
    ];
    // Only runs with Jobs or CronJobs carry their sections (other summaries keep their shape).
    let at = fields.iter().position(|(k, _)| *k == "hpas").map_or(fields.len(), |i| i + 1);
    for (i, f) in jobs_json(s).into_iter().enumerate() {
        fields.insert(at + i, f);
    }
    with_daemon_sets(Json::obj(fields), s).pretty()
}

/// How many of a CronJob's Jobs are listed one by one (the latest).
const CRON_JOBS_LISTED: usize = 10;

fn job_status(j: &JobRecord) -> (&str, Option<&str>) {
    match &j.finished {
        Some((_, how)) if how == "Complete" => ("Complete", None),
        Some((_, how)) => ("Failed", Some(how.as_str())),
        None if j.start.is_none() => ("Suspended", None),
        None => ("Running", None),
    }
}

fn job_json(j: &JobRecord) -> Json {
    let secs = |t: Option<Time>| t.map_or(Json::Null, |t| Json::Num(t.as_secs_f64()));
    let (status, reason) = job_status(j);
    let end = j.finished.as_ref().map(|(t, _)| *t);
    Json::obj(vec![
        ("name", Json::str(&j.name)),
        ("cronjob", j.cron_job.as_ref().map_or(Json::Null, Json::str)),
        ("status", Json::str(status)),
        ("reason", reason.map_or(Json::Null, Json::str)),
        ("completions", j.completions.map_or(Json::Null, |c| Json::Int(i64::from(c)))),
        ("parallelism", Json::Int(i64::from(j.parallelism))),
        ("succeeded", Json::Int(i64::from(j.succeeded))),
        ("failed", Json::Int(i64::from(j.failed))),
        ("pods", Json::Int(i64::from(j.pods))),
        ("created_s", Json::Num(j.created.as_secs_f64())),
        ("start_s", secs(j.start)),
        ("completion_s", secs(end)),
        (
            "duration_s",
            match (j.start, end) {
                (Some(a), Some(b)) => Json::Num((b - a).as_secs_f64()),
                _ => Json::Null,
            },
        ),
    ])
}

/// Per CronJob: (Jobs created, completed, failed, unfinished at the end).
fn cron_counts(s: &Summary, name: &str) -> (usize, usize, usize, usize) {
    let jobs = s.run.observations.jobs.iter().filter(|j| j.cron_job.as_deref() == Some(name));
    let (mut all, mut ok, mut failed) = (0, 0, 0);
    for j in jobs {
        all += 1;
        match job_status(j).0 {
            "Complete" => ok += 1,
            "Failed" => failed += 1,
            _ => {}
        }
    }
    (all, ok, failed, all - ok - failed)
}

fn jobs_json(s: &Summary) -> Vec<(&'static str, Json)> {
    let obs = &s.run.observations;
    if obs.jobs.is_empty() && obs.cron_jobs.is_empty() {
        return Vec::new();
    }
    let jobs = obs.jobs.iter().filter(|j| j.cron_job.is_none()).map(job_json).collect();
    let cron = obs
        .cron_jobs
        .iter()
        .map(|(name, c)| {
            let (created, ok, failed, unfinished) = cron_counts(s, name);
            let mine: Vec<&JobRecord> = obs.jobs.iter().filter(|j| j.cron_job.as_deref() == Some(name)).collect();
            let latest = mine.iter().skip(mine.len().saturating_sub(CRON_JOBS_LISTED)).map(|j| job_json(j)).collect();
            (
                name.clone(),
                Json::obj(vec![
                    ("jobs_created", Json::Int(created as i64)),
                    ("succeeded", Json::Int(ok as i64)),
                    ("failed", Json::Int(failed as i64)),
                    ("unfinished", Json::Int(unfinished as i64)),
                    ("missed", Json::Int(i64::from(c.missed))),
                    ("skipped", Json::Int(i64::from(c.skipped))),
                    ("latest_jobs", Json::Arr(latest)),
                ]),
            )
        })
        .collect();
    vec![("jobs", Json::Arr(jobs)), ("cronjobs", Json::Obj(cron))]
}

fn job_row(j: &JobRecord) -> Vec<Cell> {
    let at = |t: Option<Time>| t.map_or("–".to_string(), |t| human_duration(t - Time::ZERO));
    let (status, reason) = job_status(j);
    let end = j.finished.as_ref().map(|(t, _)| *t);
    let took = match (j.start, end) {
        (Some(a), Some(b)) => human_duration(b - a),
        _ => "–".into(),
    };
    let done = match j.completions {
        Some(c) => format!("{}/{c}", j.succeeded),
        None => j.succeeded.to_string(),
    };
    vec![
        Cell::Code(j.name.clone()),
        Cell::text(reason.map_or(status.to_string(), |r| format!("{status} ({r})"))),
        Cell::num(done),
        Cell::num(j.failed),
        Cell::num(j.pods),
        Cell::num(at(j.start)),
        Cell::num(at(end)),
        Cell::num(took),
    ]
}

fn job_table(rows: Vec<Vec<Cell>>) -> Block {
    Block::Table(Table {
        class: "",
        head: vec![
            "job".into(),
            "status".into(),
            "succeeded".into(),
            "failed pods".into(),
            "pods".into(),
            "started".into(),
            "finished".into(),
            "took".into(),
        ],
        rows,
    })
}

/// The Jobs and CronJobs sections (none without any).
fn job_blocks(s: &Summary) -> Vec<Block> {
    let obs = &s.run.observations;
    let mut out = Vec::new();
    let own: Vec<Vec<Cell>> = obs.jobs.iter().filter(|j| j.cron_job.is_none()).map(job_row).collect();
    if !own.is_empty() {
        out.push(Block::H2("Jobs".into()));
        out.push(job_table(own));
        out.push(Block::Note(
            "succeeded: pods that succeeded (of completions); failed pods count toward backoffLimit; took: from status.startTime to the Complete or Failed condition.".into(),
        ));
    }
    if !obs.cron_jobs.is_empty() {
        out.push(Block::H2("CronJobs".into()));
        let rows = obs
            .cron_jobs
            .iter()
            .map(|(name, c)| {
                let (created, ok, failed, unfinished) = cron_counts(s, name);
                vec![
                    Cell::Code(name.clone()),
                    Cell::num(created),
                    Cell::num(ok),
                    Cell::num(failed),
                    Cell::num(unfinished),
                    Cell::num(c.missed),
                    Cell::num(c.skipped),
                ]
            })
            .collect();
        out.push(Block::Table(Table {
            class: "",
            head: vec![
                "cronjob".into(),
                "jobs created".into(),
                "completed".into(),
                "failed".into(),
                "unfinished".into(),
                "missed (startingDeadlineSeconds)".into(),
                "skipped (Forbid)".into(),
            ],
            rows,
        }));
        for name in obs.cron_jobs.keys() {
            let mine: Vec<&JobRecord> = obs.jobs.iter().filter(|j| j.cron_job.as_deref() == Some(name)).collect();
            if mine.is_empty() {
                continue;
            }
            let shown = mine.len().min(CRON_JOBS_LISTED);
            out.push(Block::Details {
                summary: format!("Jobs of {name} (the latest {shown} of {})", mine.len()),
                blocks: vec![job_table(mine[mine.len() - shown..].iter().map(|j| job_row(j)).collect())],
            });
        }
    }
    out
}

/// `daemon_sets` after `deployments`, when the run has any: each one's status at the end.
fn with_daemon_sets(json: Json, s: &Summary) -> Json {
    let store = &s.run.store;
    let Json::Obj(mut fields) = json else { return json };
    if store.daemon_sets.is_empty() {
        return Json::Obj(fields);
    }
    let sets = store
        .daemon_sets
        .iter()
        .map(|d| {
            let st = d.status;
            let status = Json::obj(vec![
                ("desired", Json::Int(i64::from(st.desired))),
                ("ready", Json::Int(i64::from(st.ready))),
                ("updated", Json::Int(i64::from(st.updated))),
                ("available", Json::Int(i64::from(st.available))),
                ("revision", Json::Int(d.revision as i64)),
            ]);
            (store.key(d.namespace, &d.name), status)
        })
        .collect();
    let at = fields.iter().position(|(k, _)| k == "deployments").map_or(fields.len(), |i| i + 1);
    fields.insert(at, ("daemon_sets".to_string(), Json::Obj(sets)));
    Json::Obj(fields)
}

fn hpas_json(s: &Summary) -> Json {
    let end = s.run.end;
    Json::Obj(
        s.run
            .observations
            .hpas
            .iter()
            .map(|(name, h)| {
                (
                    name.clone(),
                    Json::obj(vec![
                        ("deployment", Json::str(&h.deployment)),
                        ("min_replicas", Json::Int(h.min_replicas)),
                        ("max_replicas", Json::Int(h.max_replicas)),
                        ("target_utilization", Json::Int(h.target_utilization)),
                        ("max_desired", Json::Int(h.desired.max_over(Time::ZERO, end))),
                        ("seconds_at_max", rounded(seconds_at_max(h, end))),
                        ("final_desired", Json::Int(h.desired.last())),
                    ]),
                )
            })
            .collect(),
    )
}

/// How long an HPA wanted its maximum (desiredReplicas == maxReplicas).
pub fn seconds_at_max(h: &crate::record::HpaTrack, end: Time) -> f64 {
    let mut total = 0.0;
    for (i, (t, v)) in h.desired.points.iter().enumerate() {
        if *v >= h.max_replicas {
            let next = h.desired.points.get(i + 1).map_or(end, |p| p.0);
            total += (next.min(end) - (*t).min(end)).as_secs_f64();
        }
    }
    total
}

/// The summary as blocks: the panel that opens the report, and the details after the plots.
pub struct SummaryDoc {
    pub panel: Vec<Block>,
    pub details: Vec<Block>,
}

fn pct(a: f64) -> String {
    format!("{}%", number((a * 100_000.0).floor() / 1000.0))
}

fn ms_text(d: Option<crate::engine::Duration>) -> String {
    d.map_or("–".to_string(), latency_text)
}

/// The one-line verdict: "all 7 expectations held", "2 of 7 expectations failed".
pub fn verdict_line(results: &[ExpectationResult]) -> String {
    let failed = results.iter().filter(|e| !e.passed).count();
    match (results.len(), failed) {
        (0, _) => "no expectations to check".to_string(),
        (1, 0) => "the expectation held".to_string(),
        (n, 0) => format!("all {n} expectations held"),
        (n, f) => format!("{f} of {n} expectations failed"),
    }
}

/// The warning a run that ends with Pending pods prints.
pub fn pending_warning(p: &PodFigures) -> Option<String> {
    let n = p.pending_pods();
    if n == 0 {
        return None;
    }
    let groups: Vec<String> = p
        .pending
        .iter()
        .map(|g| {
            let why = g.reason.as_deref().unwrap_or("not tried by the scheduler yet");
            format!("{} {} ({why})", g.workload, g.pods.len())
        })
        .collect();
    Some(format!("{n} pod{} still Pending at the end: {}", if n == 1 { "" } else { "s" }, groups.join("; ")))
}

/// The headline figures: availability and p99 per Service, pod start-up, recovery, cost.
pub fn headline(s: &Summary) -> Vec<(String, String, Option<bool>)> {
    let obs = &s.run.observations;
    let mut out = Vec::new();
    for (name, f) in &obs.traffic_totals {
        let mut value = f.availability().map_or("–".to_string(), pct);
        if let Some((first, _)) = obs.first_endpoint.get(name) {
            let c = super::expect::counts_between(s.run, name, *first, s.run.end);
            if *first > Time::ZERO && c.offered < f.counts.offered {
                if let Some(a) = availability(c.offered, c.served) {
                    value.push_str(&format!(" ({} after warm-up)", pct(a)));
                }
            }
        }
        out.push((format!("availability {name}"), value, None));
        out.push((format!("p99 {name}"), ms_text(f.latency.p99), None));
    }
    if let Some(q) = &s.pods.startup {
        out.push(("pod startup p99".into(), format!("{} ({} pods)", seconds_text(q.p99), q.count), None));
    }
    if !s.pods.recovery.is_empty() {
        let worst = s
            .pods
            .recovery
            .iter()
            .max_by(|a, b| a.seconds.unwrap_or(f64::INFINITY).total_cmp(&b.seconds.unwrap_or(f64::INFINITY)));
        if let Some(r) = worst {
            let value = match r.seconds {
                Some(x) => format!("{} ({} {})", seconds_text(x), r.fault, r.target),
                None => format!("not recovered ({} {})", r.fault, r.target),
            };
            out.push(("slowest recovery".into(), value, r.seconds.is_none().then_some(false)));
        }
    }
    let costs = pool_costs(s);
    let hours: f64 = costs.iter().map(|c| c.node_hours).sum();
    if s.scenario.cluster.node_pools.iter().any(|p| p.cost_per_hour > 0.0) {
        let total: f64 = costs.iter().map(|c| c.cost).sum();
        out.push(("cost".into(), format!("{total:.2} ({hours:.2} node-hours)"), None));
    } else {
        out.push(("node-hours".into(), format!("{hours:.2}"), None));
    }
    let pending = s.pods.pending_pods();
    if pending > 0 {
        out.push(("pending at the end".into(), format!("{pending} pods"), Some(false)));
    }
    out
}

pub fn summary_doc(s: &Summary) -> SummaryDoc {
    let obs = &s.run.observations;
    let mut panel = Vec::new();
    if !s.scenario.description.is_empty() {
        panel.push(Block::Para(s.scenario.description.trim().to_string()));
    }
    panel.push(Block::Para(format!(
        "Seed {} · {} simulated · {} events · {}",
        s.scenario.seed,
        human_duration(s.run.end - Time::ZERO),
        s.run.events.lines(),
        verdict_line(s.expectations)
    )));
    if s.expectations.is_empty() {
        panel.push(Block::Note("No expectations: add an `expect:` section to have this run checked.".into()));
    } else {
        panel.push(Block::Table(Table {
            class: "verdict",
            head: vec!["result".into(), "expectation".into(), "observed".into()],
            rows: s
                .expectations
                .iter()
                .map(|e| vec![Cell::Verdict(e.passed), Cell::text(&e.name), Cell::text(&e.observed)])
                .collect(),
        }));
    }
    panel.push(Block::Figures(headline(s)));
    if let Some(w) = pending_warning(&s.pods) {
        panel.push(Block::Warning(w));
    }
    panel.push(Block::Note(format!("trace_hash {}", s.trace_hash)));

    let mut details = Vec::new();
    if !obs.traffic_totals.is_empty() {
        let mut rows = Vec::new();
        let mut firsts = Vec::new();
        for (name, f) in &obs.traffic_totals {
            let d = f.counts.dropped;
            let after = obs.first_endpoint.get(name).map(|(first, _)| {
                firsts.push(format!("{name} at {}", human_duration(*first - Time::ZERO)));
                let c = super::expect::counts_between(s.run, name, *first, s.run.end);
                availability(c.offered, c.served).map_or("–".to_string(), pct)
            });
            rows.push(vec![
                Cell::Code(name.clone()),
                Cell::num(f.counts.offered),
                Cell::num(f.counts.served),
                Cell::num(format!(
                    "{} ({} / {} / {} / {})",
                    d.total(),
                    d.no_endpoints,
                    d.queue_full,
                    d.timeout,
                    d.pod_lost
                )),
                Cell::num(f.availability().map_or("–".to_string(), pct)),
                Cell::num(after.unwrap_or_else(|| "never ready".into())),
                Cell::num(ms_text(f.latency.p50)),
                Cell::num(ms_text(f.latency.p99)),
            ]);
        }
        details.push(Block::H2("Services".into()));
        details.push(Block::Table(Table {
            class: "",
            head: vec![
                "service".into(),
                "offered".into(),
                "served".into(),
                "dropped (no endpoints / queue full / timeout / pod lost)".into(),
                "availability".into(),
                "after warm-up".into(),
                "p50".into(),
                "p99".into(),
            ],
            rows,
        }));
        let mut note = "Availability counts every request from t=0; \"after warm-up\" counts from the Service's first ready endpoint".to_string();
        if !firsts.is_empty() {
            note.push_str(&format!(" ({})", firsts.join(", ")));
        }
        note.push_str(". Latency is arrival to completion of served requests, to the histogram's precision (3 significant figures).");
        details.push(Block::Note(note));
    }
    details.extend(pod_blocks(&s.pods));
    details.push(Block::H2("Deployments".into()));
    let mut rows = Vec::new();
    for d in &s.run.store.deployments {
        // Series are keyed `name`, or `namespace/name` outside default.
        let key = s.run.store.key(d.namespace, &d.name);
        let ready = obs.ready.get(&key).map_or(0, Series::last);
        let max_pods = obs.pods.get(&key).map_or(0, |p| p.max_over(Time::ZERO, s.run.end));
        let min_rollout = obs.min_ready_during_rollout.get(&key).map_or("–".to_string(), |v| v.to_string());
        rows.push(vec![
            Cell::Code(key),
            Cell::num(d.replicas),
            Cell::num(ready),
            Cell::num(max_pods),
            Cell::num(min_rollout),
        ]);
    }
    details.push(Block::Table(Table {
        class: "",
        head: vec![
            "deployment".into(),
            "desired".into(),
            "final ready".into(),
            "max pods".into(),
            "min ready during rollout".into(),
        ],
        rows,
    }));
    if !s.run.store.daemon_sets.is_empty() {
        details.push(Block::H2("DaemonSets".into()));
        let rows = s
            .run
            .store
            .daemon_sets
            .iter()
            .map(|d| {
                vec![
                    Cell::Code(s.run.store.key(d.namespace, &d.name)),
                    Cell::num(d.status.desired),
                    Cell::num(d.status.ready),
                    Cell::num(d.status.updated),
                    Cell::num(d.status.available),
                    Cell::num(d.revision),
                ]
            })
            .collect();
        details.push(Block::Table(Table {
            class: "",
            head: vec![
                "daemonset".into(),
                "desired".into(),
                "ready".into(),
                "up-to-date".into(),
                "available".into(),
                "revision".into(),
            ],
            rows,
        }));
    }
    details.extend(job_blocks(s));
    if !obs.hpas.is_empty() {
        details.push(Block::H2("HorizontalPodAutoscalers".into()));
        let rows = obs
            .hpas
            .iter()
            .map(|(name, h)| {
                vec![
                    Cell::Code(name.clone()),
                    Cell::Code(h.deployment.clone()),
                    Cell::num(format!("{} – {}", h.min_replicas, h.max_replicas)),
                    Cell::num(format!("{}%", h.target_utilization)),
                    Cell::num(h.desired.max_over(Time::ZERO, s.run.end)),
                    Cell::num(seconds_text(seconds_at_max(h, s.run.end))),
                    Cell::num(h.desired.last()),
                ]
            })
            .collect();
        details.push(Block::Table(Table {
            class: "",
            head: vec![
                "hpa".into(),
                "target".into(),
                "replicas (min – max)".into(),
                "cpu target".into(),
                "highest desired".into(),
                "time at max".into(),
                "final desired".into(),
            ],
            rows,
        }));
    }
    let costs = pool_costs(s);
    details.push(Block::H2("Node pools".into()));
    details.push(Block::Table(Table {
        class: "",
        head: vec!["pool".into(), "nodes (min – max)".into(), "final".into(), "node-hours".into(), "cost".into()],
        rows: costs
            .iter()
            .map(|c| {
                vec![
                    Cell::Code(c.name.clone()),
                    Cell::num(format!("{} – {}", c.min_nodes, c.max_nodes)),
                    Cell::num(c.final_nodes),
                    Cell::num(format!("{:.2}", c.node_hours)),
                    Cell::num(format!("{:.2}", c.cost)),
                ]
            })
            .collect(),
    }));
    let total: f64 = costs.iter().map(|c| c.cost).sum();
    details.push(Block::Para(format!(
        "Total: {:.2} node-hours, cost {total:.2}.",
        costs.iter().map(|c| c.node_hours).sum::<f64>()
    )));
    let mut dips = Vec::new();
    for d in &s.run.store.deployments {
        let key = s.run.store.key(d.namespace, &d.name);
        let (Some(ready), Some(desired)) = (obs.ready.get(&key), obs.desired.get(&key)) else { continue };
        for (from, to, worst) in shortfalls(ready, desired, s.run.end) {
            dips.push(vec![
                Cell::Code(key.clone()),
                Cell::num(human_duration(from - Time::ZERO)),
                Cell::num(human_duration(to - Time::ZERO)),
                Cell::num(human_duration(to - from)),
                Cell::num(worst),
            ]);
        }
    }
    if !dips.is_empty() {
        details.push(Block::H2("Below desired".into()));
        details.push(Block::Note(
            "Intervals in which ready replicas fell short of desired after first reaching it.".into(),
        ));
        details.push(Block::Table(Table {
            class: "",
            head: vec!["deployment".into(), "from".into(), "to".into(), "for".into(), "most missing".into()],
            rows: dips,
        }));
    }
    if !obs.markers.is_empty() {
        details.push(Block::H2("Timeline".into()));
        details.push(Block::List(
            obs.markers.iter().map(|(t, label)| format!("{} {label}", human_duration(*t - Time::ZERO))).collect(),
        ));
    }
    details.extend(explain_blocks(&s.pods));
    details.push(Block::Note(format!("Simulated in {} s of wall time.", number(s.wall_seconds))));
    SummaryDoc { panel, details }
}

fn startup_row(name: Cell, q: &Quantiles) -> Vec<Cell> {
    vec![
        name,
        Cell::num(q.count),
        Cell::num(seconds_text(q.p50)),
        Cell::num(seconds_text(q.p90)),
        Cell::num(seconds_text(q.p99)),
        Cell::num(seconds_text(q.max)),
    ]
}

/// Start-up, pending pods and recoveries.
fn pod_blocks(p: &PodFigures) -> Vec<Block> {
    let mut out = Vec::new();
    if let Some(all) = &p.startup {
        out.push(Block::H2("Pod start-up (created to ready)".into()));
        let mut rows = vec![startup_row(Cell::text("all pods"), all)];
        if p.startup_by_workload.len() > 1 || p.startup_by_workload.first().is_some_and(|(_, q)| q.count != all.count) {
            rows.extend(p.startup_by_workload.iter().map(|(w, q)| startup_row(Cell::Code(w.clone()), q)));
        }
        out.push(Block::Table(Table {
            class: "",
            head: vec!["workload".into(), "pods".into(), "p50".into(), "p90".into(), "p99".into(), "max".into()],
            rows,
        }));
        out.push(Block::Note(
            "From pod_created to the first pod_ready of each pod (scheduling, start-up and readiness); pods never ready are not counted.".into(),
        ));
    }
    if !p.pending.is_empty() {
        out.push(Block::H2("Pending at the end".into()));
        out.push(Block::Table(Table {
            class: "pending",
            head: vec!["workload".into(), "pods".into(), "waiting since".into(), "last FitError".into()],
            rows: p
                .pending
                .iter()
                .map(|g| {
                    vec![
                        Cell::Code(g.workload.clone()),
                        Cell::num(g.pods.len()),
                        Cell::num(human_duration(g.since - Time::ZERO)),
                        Cell::text(g.reason.clone().unwrap_or_else(|| "not tried by the scheduler yet".into())),
                    ]
                })
                .collect(),
        }));
    }
    if !p.recovery.is_empty() {
        out.push(Block::H2("Recovery from node faults".into()));
        let mut workloads: Vec<&String> = p.recovery.iter().flat_map(|r| &r.workloads).collect();
        workloads.sort_by(|a, b| natural_cmp(a, b));
        workloads.dedup();
        out.push(Block::Table(Table {
            class: "",
            head: vec![
                "fault".into(),
                "at".into(),
                "target".into(),
                "workloads hit".into(),
                "back at desired after".into(),
                "requests lost".into(),
            ],
            rows: p
                .recovery
                .iter()
                .take(RECOVERY_ROWS)
                .map(|r| {
                    vec![
                        Cell::text(r.fault),
                        Cell::num(human_duration(r.at - Time::ZERO)),
                        Cell::Code(r.target.clone()),
                        Cell::text(if r.workloads.is_empty() { "none".into() } else { r.workloads.join(", ") }),
                        Cell::num(r.seconds.map_or("not by the end".to_string(), seconds_text)),
                        Cell::num(r.requests_lost),
                    ]
                })
                .collect(),
        }));
        if p.recovery.len() > RECOVERY_ROWS {
            out.push(Block::Note(format!(
                "The first {RECOVERY_ROWS} of {} node faults; summary.json lists them all.",
                p.recovery.len()
            )));
        }
        out.push(Block::Note(
            "Seconds from the fault until every Deployment that had a pod on the nodes hit was back at its desired ready count (0: none fell short); faults that overlap extend each other's recovery. Requests lost are every Service's drops in the 10 s windows from the fault to then.".into(),
        ));
    }
    out
}

/// How many node faults the recovery table lists.
const RECOVERY_ROWS: usize = 100;
/// How many `--explain` placements the report lists.
const EXPLAIN_ROWS: usize = 200;
/// How many nodes each placement's score table shows.
const EXPLAIN_NODES: usize = 8;

/// The `--explain` scores: one row per placement (chosen node, its total, the runner-up),
/// and in HTML each placement's per-plugin table.
fn explain_blocks(p: &PodFigures) -> Vec<Block> {
    if p.explained.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Block::H2("Scheduling scores (--explain)".into())];
    let shown = &p.explained[..p.explained.len().min(EXPLAIN_ROWS)];
    let rows = shown
        .iter()
        .map(|e| {
            let total = |n: &str| e.nodes.iter().find(|(x, _)| x == n).and_then(|(_, s)| s.last().copied());
            let chosen = total(&e.node);
            let runner = e.nodes.iter().find(|(n, _)| *n != e.node);
            vec![
                Cell::num(human_duration(e.at - Time::ZERO)),
                Cell::Code(e.pod.clone()),
                Cell::Code(e.node.clone()),
                Cell::num(chosen.map_or("–".into(), |c| c.to_string())),
                Cell::text(runner.map_or("–".into(), |(n, s)| format!("{n} ({})", s.last().copied().unwrap_or(0)))),
                Cell::num(e.nodes.len()),
            ]
        })
        .collect();
    out.push(Block::Table(Table {
        class: "",
        head: vec![
            "at".into(),
            "pod".into(),
            "node".into(),
            "total".into(),
            "runner-up (total)".into(),
            "nodes scored".into(),
        ],
        rows,
    }));
    if p.explained.len() > shown.len() {
        out.push(Block::Note(format!(
            "The first {} of {} placements; events.jsonl has them all.",
            shown.len(),
            p.explained.len()
        )));
    }
    let per_pod = shown
        .iter()
        .map(|e| {
            let mut head = vec!["node".to_string()];
            head.extend(e.plugins.iter().cloned());
            let rows = e
                .nodes
                .iter()
                .take(EXPLAIN_NODES)
                .map(|(n, scores)| {
                    let mark = if *n == e.node { format!("{n} (chosen)") } else { n.clone() };
                    let mut row = vec![Cell::Code(mark)];
                    row.extend(scores.iter().map(Cell::num));
                    row
                })
                .collect();
            Block::Details {
                summary: format!("{} {} -> {}", human_duration(e.at - Time::ZERO), e.pod, e.node),
                blocks: vec![Block::Table(Table { class: "scores", head, rows })],
            }
        })
        .collect();
    out.push(Block::HtmlOnly(vec![Block::Details {
        summary: format!("Per-plugin scores of each placement (the best {EXPLAIN_NODES} nodes)"),
        blocks: per_pod,
    }]));
    out
}

pub fn summary_markdown(s: &Summary) -> String {
    let d = summary_doc(s);
    let mut md = format!("# {}\n\n", s.scenario.name);
    md.push_str(&doc::markdown(&d.panel));
    md.push_str(&doc::markdown(&d.details));
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
