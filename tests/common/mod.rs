//! Helpers shared by the integration tests.
#![allow(dead_code)]

use clustersim::scenario::{load_scenario, Diagnostic, Scenario};
use clustersim::world::{run, RunOptions, RunOutput};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty folder under cargo's per-target temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `files` (name, text) into a scratch folder and loads `scenario.yaml` from it.
pub fn load_files(files: &[(&str, &str)]) -> Result<Scenario, Diagnostic> {
    let dir = scratch("load");
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    load_scenario(&dir.join("scenario.yaml"), &[]).map(|l| l.scenario)
}

pub fn load_str(yaml: &str) -> Result<Scenario, Diagnostic> {
    load_files(&[("scenario.yaml", yaml)])
}

/// Runs a scenario with the invariant checker on.
pub fn simulate(scenario: &Scenario) -> RunOutput {
    run(scenario, RunOptions { explain: false, check_invariants: true }).expect("run failed")
}

/// The events of a run, parsed.
pub fn events(out: &RunOutput) -> Vec<serde_json::Value> {
    out.events.text().lines().map(|l| serde_json::from_str(l).expect("event line is JSON")).collect()
}

/// Events of one kind.
pub fn of_kind<'a>(events: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

pub fn t(e: &serde_json::Value) -> f64 {
    e["t"].as_f64().unwrap()
}

/// Runs the `sim` binary.
pub fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
}

/// An entry of `manifests:`: an inline Deployment `name` whose pods are labelled
/// `app: NAME`. `deployment_spec` adds lines to the Deployment's spec (indented 8 spaces),
/// `container` is its one container as a YAML flow map, and `pod_spec` adds lines to the
/// pod spec (indented 12 spaces).
pub fn deployment_manifest(
    name: &str,
    replicas: u32,
    deployment_spec: &str,
    container: &str,
    pod_spec: &str,
) -> String {
    format!(
        "  - inline:\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {{name: {name}}}\n      spec:\n        replicas: {replicas}\n{deployment_spec}        selector: {{matchLabels: {{app: {name}}}}}\n        template:\n          metadata: {{labels: {{app: {name}}}}}\n          spec:\n            containers: [{container}]\n{pod_spec}"
    )
}

/// A small cluster and a Deployment; `extra` is appended (timeline, expect...).
pub fn basic_scenario(nodes: u32, replicas: u32, cpu: &str, extra: &str) -> String {
    format!(
        r#"name: basic
duration: 15m
cluster:
  masters: 1
  nodePools:
    - name: worker
      count: {nodes}
      capacity: {{cpu: "2", memory: 4Gi, pods: 110}}
manifests:
{deployment}{extra}"#,
        deployment = deployment_manifest(
            "web",
            replicas,
            "",
            &format!("{{name: web, image: web:1, resources: {{requests: {{cpu: \"{cpu}\", memory: 128Mi}}}}}}"),
            ""
        ),
    )
}
