//! The short kubectl-style summary printed on stdout after a run.

use super::summary::{headline, Summary};
use super::ExpectationResult;
use crate::model::{NodeCondition, Store};
use std::fmt::Write;

/// Nodes listed one by one up to this many; past it, a count per pool and status.
const NODE_ROWS: usize = 20;

/// PASS / FAIL, in green / red on a terminal that wants colour.
pub fn verdict_word(passed: bool, color: bool) -> &'static str {
    match (passed, color) {
        (true, false) => "PASS",
        (false, false) => "FAIL",
        (true, true) => "\x1b[32mPASS\x1b[0m",
        (false, true) => "\x1b[1;31mFAIL\x1b[0m",
    }
}

/// What `sim run` prints: the tables, the headline figures, start-up, recoveries and the
/// verdicts (`color`: ANSI colours for PASS / FAIL).
pub fn stdout_summary(s: &Summary, color: bool) -> String {
    let mut out = stdout_tables(&s.run.store);
    out.push('\n');
    // Start-up and recovery get their own, fuller lines below.
    for (label, value, _) in
        headline(s).into_iter().filter(|(l, _, _)| l != "pod startup p99" && l != "slowest recovery")
    {
        let _ = writeln!(out, "{label}: {value}");
    }
    if let Some(q) = &s.pods.startup {
        let _ = writeln!(
            out,
            "pod startup (created -> ready, {} pods): p50 {}, p90 {}, p99 {}, max {}",
            q.count,
            super::seconds_text(q.p50),
            super::seconds_text(q.p90),
            super::seconds_text(q.p99),
            super::seconds_text(q.max)
        );
    }
    for r in s.pods.recovery.iter().take(RECOVERY_LINES) {
        let back = r.seconds.map_or("not back at desired by the end".to_string(), |x| {
            format!("back at desired after {}", super::seconds_text(x))
        });
        let _ = writeln!(
            out,
            "recovery: {} {} at {}: {back}, {} requests lost",
            r.fault,
            r.target,
            super::human_duration(r.at - crate::engine::Time::ZERO),
            r.requests_lost
        );
    }
    if s.pods.recovery.len() > RECOVERY_LINES {
        let open = s.pods.recovery.iter().filter(|r| r.seconds.is_none()).count();
        let _ = writeln!(
            out,
            "recovery: ... {} more node faults ({open} of all {} not back at desired by the end); summary.md lists them",
            s.pods.recovery.len() - RECOVERY_LINES,
            s.pods.recovery.len()
        );
    }
    out.push_str(&verdicts(s.expectations, color));
    out
}

/// Node faults listed one by one on stdout.
const RECOVERY_LINES: usize = 5;

/// One PASS / FAIL line per expectation.
pub fn verdicts(results: &[ExpectationResult], color: bool) -> String {
    let mut out = String::new();
    if !results.is_empty() {
        out.push('\n');
        for r in results {
            let _ = writeln!(out, "{} {}  ({})", verdict_word(r.passed, color), r.name, r.observed);
        }
    }
    out
}

/// `kubectl get deployments` and `kubectl get nodes` as they stand at the end, then the
/// expectations.
pub fn stdout_table(store: &Store, results: &[ExpectationResult]) -> String {
    let mut out = stdout_tables(store);
    out.push_str(&verdicts(results, false));
    out
}

/// `kubectl get deployments` and `kubectl get nodes` (or nodes counted per pool and
/// status, past 20 nodes).
fn stdout_tables(store: &Store) -> String {
    let mut rows = vec![vec!["NAME".to_string(), "READY".into(), "UP-TO-DATE".into(), "AVAILABLE".into()]];
    for d in &store.deployments {
        let newest = d.replica_sets.iter().copied().max_by_key(|rs| store.replica_set(*rs).revision);
        let (mut live, mut ready, mut updated) = (0, 0, 0);
        for p in store.pods_of_deployment(d.id).filter(|p| p.is_active()) {
            live += 1;
            ready += usize::from(p.ready);
            updated += usize::from(p.replica_set() == newest);
        }
        let _ = live;
        let name = store.key(d.namespace, &d.name);
        rows.push(vec![name, format!("{ready}/{}", d.replicas), updated.to_string(), ready.to_string()]);
    }
    let mut out = String::new();
    if rows.len() > 1 {
        out.push_str(&columns(&rows));
        out.push('\n');
    }
    if store.nodes.len() > NODE_ROWS {
        let mut groups: std::collections::BTreeMap<(String, String), (usize, usize)> = Default::default();
        for n in &store.nodes {
            let g = groups.entry((n.pool.clone().unwrap_or_else(|| "-".into()), status(n))).or_default();
            g.0 += 1;
            g.1 += n.pods.iter().filter(|p| store.pod(**p).is_active()).count();
        }
        let mut rows = vec![vec!["POOL".to_string(), "STATUS".into(), "NODES".into(), "PODS".into()]];
        for ((pool, st), (nodes, pods)) in groups {
            rows.push(vec![pool, st, nodes.to_string(), pods.to_string()]);
        }
        out.push_str(&columns(&rows));
        return out;
    }
    let mut rows = vec![vec!["NODE".to_string(), "STATUS".into(), "PODS".into()]];
    for n in &store.nodes {
        let pods = n.pods.iter().filter(|p| store.pod(**p).is_active()).count();
        rows.push(vec![n.name.clone(), status(n), pods.to_string()]);
    }
    out.push_str(&columns(&rows));
    out
}

/// A node's STATUS column as `kubectl get nodes` prints it.
fn status(n: &crate::model::Node) -> String {
    let mut status = match n.condition {
        NodeCondition::Ready => "Ready".to_string(),
        NodeCondition::NotReady | NodeCondition::Unknown => "NotReady".to_string(),
    };
    if n.unschedulable {
        status.push_str(",SchedulingDisabled");
    }
    status
}

/// Left-aligned columns separated by three spaces, like kubectl.
fn columns(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(line.join("   ").trim_end());
        out.push('\n');
    }
    out
}
