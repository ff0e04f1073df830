//! What `events.jsonl` tells about pods beyond the sampled series: how long they took to
//! start (created -> ready), which are still Pending at the end and why (their last
//! FitError), how long each node fault took to heal, and the `--explain` scores.
//!
//! Read from the run's own event log, so the figures are exactly what the log shows.

use crate::engine::{Duration, Time};
use crate::world::RunOutput;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Nearest-rank quantiles of a sample of seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantiles {
    pub count: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Quantiles {
    /// None for an empty sample. Nearest rank: the ceil(q * n)-th smallest value.
    pub fn of(values: &[f64]) -> Option<Quantiles> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Some(Quantiles { count: v.len(), p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: v[v.len() - 1] })
    }
}

/// The pods of one workload still unscheduled at the end.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingGroup {
    pub workload: String,
    /// Pod names, in creation order.
    pub pods: Vec<String>,
    /// The latest FitError among them (None: never tried yet).
    pub reason: Option<String>,
    /// When the first of them was created.
    pub since: Time,
}

/// One node fault (a crash, a partition, a zone outage) and how long it took to heal.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovery {
    /// `nodeCrash`, `nodePartition` or `zoneOutage`.
    pub fault: &'static str,
    /// What was hit: node names, or `zone <name>`.
    pub target: String,
    pub at: Time,
    pub nodes: Vec<String>,
    /// Deployments that had a pod on those nodes when it hit.
    pub workloads: Vec<String>,
    /// Seconds from the fault until every one of those workloads was back at its desired
    /// ready count (0: none fell below it), or None if they were not by the end.
    pub seconds: Option<f64>,
    /// Requests dropped (every Service) in the 10 s windows from the fault to recovery.
    pub requests_lost: u64,
}

/// One `pod_scheduled` event with `--explain` scores.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    pub at: Time,
    pub pod: String,
    pub node: String,
    /// Plugin names in first-seen order (total last).
    pub plugins: Vec<String>,
    /// (node, score per plugin in `plugins` order), best total first.
    pub nodes: Vec<(String, Vec<i64>)>,
}

/// Everything this module reads from the log.
#[derive(Clone, Debug, Default)]
pub struct PodFigures {
    pub startup: Option<Quantiles>,
    /// Per workload (Deployment, else owning ReplicaSet, else the pod's own name).
    pub startup_by_workload: Vec<(String, Quantiles)>,
    pub pending: Vec<PendingGroup>,
    pub recovery: Vec<Recovery>,
    pub explained: Vec<Explained>,
}

impl PodFigures {
    pub fn pending_pods(&self) -> usize {
        self.pending.iter().map(|g| g.pods.len()).sum()
    }
}

/// `"kind":"..."` of a line written by [`crate::record::EventLog`] (`t` first, `kind` second).
fn kind_of(line: &str) -> &str {
    line.find(",\"kind\":\"").map(|i| &line[i + 9..]).and_then(|rest| rest.find('"').map(|j| &rest[..j])).unwrap_or("")
}

const READ: &[&str] = &[
    "pod_created",
    "pod_scheduled",
    "pod_unschedulable",
    "pod_ready",
    "pod_terminated",
    "pod_deleted",
    "node_crashed",
    "node_partitioned",
    "fault_injected",
];

#[derive(Default)]
struct PodState {
    workload: String,
    deployment: Option<String>,
    created: Time,
    node: Option<String>,
    ready_seen: bool,
    gone: bool,
    reason: Option<(Time, String)>,
    order: usize,
}

fn time_of(v: &Value) -> Time {
    Time((v["t"].as_f64().unwrap_or(0.0) * 1e9).round() as u64)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Reads the figures from a finished run.
pub fn pod_figures(run: &RunOutput, scenario: &crate::scenario::Scenario) -> PodFigures {
    let mut pods: BTreeMap<String, PodState> = BTreeMap::new();
    let mut startups: Vec<(String, f64)> = Vec::new();
    let mut faults: Vec<Recovery> = Vec::new();
    let mut explained = Vec::new();
    let mut zone_at: Option<(Time, String)> = None;
    let mut created = 0usize;
    for line in run.events.text().lines() {
        let kind = kind_of(line);
        if !READ.contains(&kind) {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let t = time_of(&v);
        // Pods and their owners are named by key: `namespace/name` outside default.
        let namespace = text(&v, "namespace");
        let key = |name: String| match &namespace {
            Some(ns) => crate::model::qualified(ns, &name),
            None => name,
        };
        let pod = key(text(&v, "pod").unwrap_or_default());
        match kind {
            "pod_created" => {
                let deployment = text(&v, "deployment").map(key);
                let workload = deployment.clone().or_else(|| text(&v, "owner").map(key)).unwrap_or_else(|| pod.clone());
                created += 1;
                pods.insert(pod, PodState { workload, deployment, created: t, order: created, ..PodState::default() });
            }
            "pod_scheduled" => {
                let node = text(&v, "node");
                if let Some(p) = pods.get_mut(&pod) {
                    p.node.clone_from(&node);
                }
                if let (Some(scores), Some(node)) = (v.get("scores").and_then(Value::as_object), node) {
                    explained.push(explain(t, pod, node, scores));
                }
            }
            "pod_unschedulable" => {
                if let Some(p) = pods.get_mut(&pod) {
                    p.reason = Some((t, text(&v, "reason").unwrap_or_default()));
                }
            }
            "pod_ready" => {
                if let Some(p) = pods.get_mut(&pod) {
                    if !p.ready_seen {
                        p.ready_seen = true;
                        startups.push((p.workload.clone(), (t - p.created).as_secs_f64()));
                    }
                }
            }
            "pod_terminated" | "pod_deleted" => {
                if let Some(p) = pods.get_mut(&pod) {
                    p.gone = true;
                }
            }
            "fault_injected" => {
                let target = text(&v, "target").unwrap_or_default();
                if text(&v, "fault").as_deref() == Some("zoneOutage") {
                    zone_at = Some((t, target));
                }
            }
            "node_crashed" | "node_partitioned" => {
                let node = text(&v, "node").unwrap_or_default();
                let fault = if kind == "node_crashed" { "nodeCrash" } else { "nodePartition" };
                let zone = zone_at.as_ref().filter(|(zt, _)| *zt == t && kind == "node_crashed");
                let (fault, target) = match zone {
                    Some((_, z)) => ("zoneOutage", z.clone()),
                    None => (fault, String::new()),
                };
                let workloads: BTreeSet<String> = pods
                    .values()
                    .filter(|p| !p.gone && p.node.as_deref() == Some(node.as_str()))
                    .filter_map(|p| p.deployment.clone())
                    .collect();
                match faults
                    .iter_mut()
                    .rev()
                    .find(|f| f.at == t && f.fault == fault && (fault != "zoneOutage" || f.target == target))
                {
                    Some(f) => {
                        f.nodes.push(node);
                        for w in workloads {
                            if !f.workloads.contains(&w) {
                                f.workloads.push(w);
                            }
                        }
                    }
                    None => faults.push(Recovery {
                        fault,
                        target,
                        at: t,
                        nodes: vec![node],
                        workloads: workloads.into_iter().collect(),
                        seconds: None,
                        requests_lost: 0,
                    }),
                }
            }
            _ => {}
        }
    }
    for f in &mut faults {
        if f.target.is_empty() {
            f.target = f.nodes.join(", ");
        }
        f.workloads.sort();
        heal(f, run, scenario);
    }
    let all: Vec<f64> = startups.iter().map(|(_, s)| *s).collect();
    let mut by: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (w, s) in &startups {
        by.entry(w.as_str()).or_default().push(*s);
    }
    let mut startup_by_workload: Vec<(String, Quantiles)> =
        by.into_iter().filter_map(|(w, v)| Quantiles::of(&v).map(|q| (w.to_string(), q))).collect();
    startup_by_workload.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    PodFigures {
        startup: Quantiles::of(&all),
        startup_by_workload,
        pending: pending_groups(&pods),
        recovery: faults,
        explained,
    }
}

fn explain(at: Time, pod: String, node: String, scores: &serde_json::Map<String, Value>) -> Explained {
    let mut plugins: Vec<String> = Vec::new();
    for per_node in scores.values().filter_map(Value::as_object) {
        for k in per_node.keys() {
            if k != "total" && !plugins.contains(k) {
                plugins.push(k.clone());
            }
        }
    }
    plugins.push("total".into());
    let mut nodes: Vec<(String, Vec<i64>)> = scores
        .iter()
        .filter_map(|(n, s)| {
            let s = s.as_object()?;
            Some((n.clone(), plugins.iter().map(|p| s.get(p).and_then(Value::as_i64).unwrap_or(0)).collect()))
        })
        .collect();
    let total = |x: &(String, Vec<i64>)| x.1.last().copied().unwrap_or(0);
    nodes.sort_by(|a, b| total(b).cmp(&total(a)).then_with(|| natural_cmp(&a.0, &b.0)));
    Explained { at, pod, node, plugins, nodes }
}

/// Active pods never bound, grouped by workload (largest group first).
fn pending_groups(pods: &BTreeMap<String, PodState>) -> Vec<PendingGroup> {
    let mut left: Vec<(&String, &PodState)> = pods.iter().filter(|(_, p)| !p.gone && p.node.is_none()).collect();
    left.sort_by_key(|(_, p)| p.order);
    let mut groups: Vec<PendingGroup> = Vec::new();
    let mut latest: BTreeMap<String, Time> = BTreeMap::new();
    for (name, p) in left {
        let i = match groups.iter().position(|g| g.workload == p.workload) {
            Some(i) => i,
            None => {
                groups.push(PendingGroup {
                    workload: p.workload.clone(),
                    pods: Vec::new(),
                    reason: None,
                    since: p.created,
                });
                groups.len() - 1
            }
        };
        groups[i].pods.push(name.clone());
        if let Some((t, reason)) = &p.reason {
            if latest.get(&p.workload).is_none_or(|l| t >= l) {
                latest.insert(p.workload.clone(), *t);
                groups[i].reason = Some(reason.clone());
            }
        }
    }
    groups.sort_by(|a, b| b.pods.len().cmp(&a.pods.len()).then_with(|| natural_cmp(&a.workload, &b.workload)));
    groups
}

/// How long after a fault the workloads it hit were all back at their desired ready count.
///
/// A crashed or cut-off node's pods stay Ready in the API until the node-lifecycle
/// controller marks the node Unknown (nodeMonitorGracePeriod after its last heartbeat, at
/// a monitor pass) and so their pods not ready; a shortfall that starts later than that is
/// not this fault's. Upstream: pkg/controller/nodelifecycle/node_lifecycle_controller.go
/// (monitorNodeHealth, MarkPodsNotReady).
fn heal(f: &mut Recovery, run: &RunOutput, scenario: &crate::scenario::Scenario) {
    let obs = &run.observations;
    let cp = &scenario.control_plane;
    let detect_by = f.at + cp.node_monitor_grace_period + cp.node_monitor_period + Duration::from_secs(1);
    let series: Vec<_> = f.workloads.iter().filter_map(|w| Some((obs.ready.get(w)?, obs.desired.get(w)?))).collect();
    let short = |t: Time| series.iter().any(|(r, d)| r.at(t) < d.at(t));
    let mut times: Vec<Time> =
        series.iter().flat_map(|(r, d)| r.points.iter().chain(&d.points)).map(|p| p.0).filter(|t| *t > f.at).collect();
    times.push(f.at);
    times.sort();
    times.dedup();
    // The fault's shortfall: ready replicas missing after it hit. A workload below desired
    // when it hit (rolling out, scaling up) is back once it first reaches desired, unless
    // replicas go missing again by the time the fault can have been noticed.
    let window: Vec<Time> = times.iter().copied().filter(|t| *t <= detect_by.min(run.end)).collect();
    let mut was_whole = false;
    let mut dip = None;
    for &t in &window {
        if short(t) {
            if was_whole {
                dip = Some(t);
                break;
            }
        } else {
            was_whole = true;
        }
    }
    let back = match dip {
        Some(dip) => times.iter().copied().filter(|t| *t > dip).find(|t| !short(*t)),
        None if short(f.at) => times.iter().copied().find(|t| !short(*t)),
        None => {
            f.seconds = Some(0.0);
            return;
        }
    };
    f.seconds = back.map(|b| (b - f.at).as_secs_f64());
    let until = back.unwrap_or(run.end);
    f.requests_lost = obs
        .traffic
        .values()
        .flatten()
        .filter(|w| w.figures.from < until && w.figures.to > f.at)
        .map(|w| w.figures.counts.dropped.total())
        .sum();
}

/// Orders names as people read them: `w-2` before `w-10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let n = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let m = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (p, q) = (&x[..n], &y[..m]);
                let strip = |s: &[u8]| -> usize { s.iter().take_while(|c| **c == b'0').count() };
                let (p, q) =
                    (&p[strip(p).min(p.len().saturating_sub(1))..], &q[strip(q).min(q.len().saturating_sub(1))..]);
                let ord = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                (x, y) = (&x[n..], &y[m..]);
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let q = Quantiles::of(&v).unwrap();
        assert_eq!((q.count, q.p50, q.p90, q.p99, q.max), (10, 5.0, 9.0, 10.0, 10.0));
        assert!(Quantiles::of(&[]).is_none());
    }

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let mut v = vec!["w-10", "w-2", "w-1", "w-100", "a", "w-02"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["a", "w-1", "w-02", "w-2", "w-10", "w-100"]);
    }

    #[test]
    fn kind_is_read_from_the_fixed_prefix() {
        assert_eq!(kind_of("{\"t\":1.5,\"kind\":\"pod_ready\",\"pod\":\"a\"}"), "pod_ready");
        assert_eq!(kind_of("garbage"), "");
    }
}
