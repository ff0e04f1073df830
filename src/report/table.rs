//! The short kubectl-style summary printed on stdout after a run.

use super::ExpectationResult;
use crate::model::{NodeCondition, Store};
use std::fmt::Write;

/// `kubectl get deployments` and `kubectl get nodes` as they stand at the end, then the
/// expectations.
pub fn stdout_table(store: &Store, results: &[ExpectationResult]) -> String {
    let mut rows = vec![vec!["NAME".to_string(), "READY".into(), "UP-TO-DATE".into(), "AVAILABLE".into()]];
    for d in &store.deployments {
        let newest = d.replica_sets.iter().copied().max_by_key(|rs| store.replica_set(*rs).revision);
        let (mut live, mut ready, mut updated) = (0, 0, 0);
        for p in store.pods_of_deployment(d.id).filter(|p| p.is_active()) {
            live += 1;
            ready += usize::from(p.ready);
            updated += usize::from(p.owner == newest);
        }
        let _ = live;
        rows.push(vec![d.name.clone(), format!("{ready}/{}", d.replicas), updated.to_string(), ready.to_string()]);
    }
    let mut out = String::new();
    if rows.len() > 1 {
        out.push_str(&columns(&rows));
        out.push('\n');
    }
    let mut rows = vec![vec!["NODE".to_string(), "STATUS".into(), "PODS".into()]];
    for n in &store.nodes {
        let mut status = match n.condition {
            NodeCondition::Ready => "Ready".to_string(),
            NodeCondition::NotReady | NodeCondition::Unknown => "NotReady".to_string(),
        };
        if n.unschedulable {
            status.push_str(",SchedulingDisabled");
        }
        let pods = n.pods.iter().filter(|p| store.pod(**p).is_active()).count();
        rows.push(vec![n.name.clone(), status, pods.to_string()]);
    }
    out.push_str(&columns(&rows));
    if !results.is_empty() {
        out.push('\n');
        for r in results {
            let _ = writeln!(out, "{} {}  ({})", if r.passed { "PASS" } else { "FAIL" }, r.name, r.observed);
        }
    }
    out
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
