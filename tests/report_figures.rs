//! The summary's figures (SPEC 5.5: pods.startup, recovery, pending; warm-up) against
//! values worked out by hand for small scenarios.

mod common;
use clustersim::report::{evaluate, summary_json, Summary};
use common::*;
use serde_json::Value;

/// Two workers; `web` (2 replicas, spread by the default profile) starts in exactly 2 s
/// and is Ready at once (no readiness probe); `big` asks for more cpu than a node has;
/// worker-1 dies at 65 s. Traffic: 50 requests/s from t=0.
const SCENARIO: &str = r#"
name: figures
seed: 3
duration: 10m
cluster:
  masters: 1
  nodePools:
    - name: worker
      count: 2
      capacity: {cpu: "4", memory: 8Gi, pods: 110}
controlPlane:
  podStartup: 2s
manifests:
  - inline:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: web:1, resources: {requests: {cpu: 500m, memory: 128Mi}}}]
  - inline:
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec: {selector: {app: web}}
  - inline:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: big}
      spec:
        replicas: 1
        selector: {matchLabels: {app: big}}
        template:
          metadata: {labels: {app: big}}
          spec:
            containers: [{name: big, image: big:1, resources: {requests: {cpu: "16"}}}]
serving:
  web: {concurrency: 4, serviceTime: {constant: 10ms}, cpuPerRequest: 10ms, queueLimit: 100, timeout: 1s}
traffic:
  - service: web
    rate: [{at: 0s, rps: 50}]
timeline:
  - {at: 65s, crashNode: worker-1}
expect:
  - availability: {service: web, min: "90%"}
  - availability: {service: web, min: "90%", warmup: exclude}
  - latency: {service: web, p99: 1s, warmup: exclude}
  - readyReplicas: {deployment: web, atLeast: 2, by: 10s, to: 60s}
"#;

fn t_of(e: &Value) -> f64 {
    e["t"].as_f64().unwrap()
}

#[test]
fn startup_recovery_pending_and_warmup_match_hand_computed_values() {
    let scenario = load_str(SCENARIO).unwrap();
    let out = simulate(&scenario);
    let results = evaluate(&scenario, &out);
    let summary = Summary::new(&scenario, &out, &results, 0.0);
    let json: Value = serde_json::from_str(&summary_json(&summary)).unwrap();
    let events = events(&out);

    // Start-up: every web pod (the two first ones and worker-1's replacement) is created,
    // bound at once, started 2 s later and Ready then: 2 s each. `big` never starts.
    let startup = &json["pods"]["startup"];
    assert_eq!(startup["count"], 3, "{startup}");
    for q in ["p50", "p90", "p99", "max"] {
        assert_eq!(startup[q], 2.0, "{q}: {startup}");
    }
    assert_eq!(startup["workloads"]["web"]["count"], 3);
    assert!(startup["workloads"].get("big").is_none());

    // Pending: big's one pod, with the scheduler's last word on it.
    let pending = &json["pending"];
    assert_eq!(pending["count"], 1, "{pending}");
    let big = &pending["workloads"]["big"];
    assert_eq!(big["count"], 1);
    let last_reason = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "pod_unschedulable" && e["pod"].as_str().unwrap().starts_with("big-"))
        .unwrap()["reason"]
        .clone();
    assert_eq!(big["reason"], last_reason);
    assert!(last_reason.as_str().unwrap().contains("Insufficient cpu"), "{last_reason}");

    // Recovery: worker-1 died at 65 s holding one web pod; web is back at 2 ready when
    // the replacement's pod_ready is posted (after detection and the 300 s toleration).
    let recovery = json["recovery"].as_array().unwrap();
    assert_eq!(recovery.len(), 1, "{recovery:?}");
    let r = &recovery[0];
    assert_eq!(
        (r["fault"].as_str(), r["target"].as_str(), r["at"].as_f64()),
        (Some("nodeCrash"), Some("worker-1"), Some(65.0))
    );
    assert_eq!(r["workloads"], serde_json::json!(["web"]));
    let replacement_ready = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "pod_ready" && e["pod"].as_str().unwrap().starts_with("web-"))
        .map(t_of)
        .unwrap();
    let seconds = r["seconds"].as_f64().unwrap();
    assert!((seconds - (replacement_ready - 65.0)).abs() < 1e-6, "{seconds} vs {replacement_ready}");
    assert!(seconds > 300.0, "the 300 s toleration comes first: {seconds}");
    // Requests lost: every drop in the traffic windows from 60 s (the window holding
    // 65 s) to the one holding the recovery.
    let lost: i64 = events
        .iter()
        .filter(|e| e["kind"] == "traffic" && t_of(e) > 65.0 && t_of(e) - 10.0 < replacement_ready)
        .map(|e| e["dropped"].as_i64().unwrap())
        .sum();
    assert_eq!(r["requests_lost"].as_i64(), Some(lost));
    assert!(lost > 0, "requests sent to the dead pod are lost until the endpoints drop it");

    // Warm-up: the first endpoint is Ready at 2 s; before it every request is dropped for
    // want of one (and never again: worker-2's pod serves throughout).
    let web = &json["services"]["web"];
    let warm = &web["warmup"];
    assert_eq!(warm["first_ready_s"], 2.0);
    let offered = web["offered"].as_i64().unwrap();
    let before = web["dropped_by_cause"]["no_endpoints"].as_i64().unwrap();
    assert!(before > 50, "about 100 requests arrive in the first 2 s: {before}");
    assert_eq!(warm["offered_after"].as_i64().unwrap(), offered - before);
    let (served, after) = (web["served"].as_i64().unwrap(), warm["offered_after"].as_i64().unwrap());
    let exact = served as f64 / after as f64;
    assert!((warm["availability_after"].as_f64().unwrap() - exact).abs() < 1e-6);
    assert!(results[0].name.ends_with("over the whole run"), "{}", results[0].name);
    assert!(results[1].name.contains("the first ready endpoint (2s) to the end"), "{}", results[1].name);
    assert!(results[1].observed.contains(&format!("{served} of {after} served")), "{}", results[1].observed);
    assert!(results[2].name.contains("the first ready endpoint (2s)"), "{}", results[2].name);
    // readyReplicas with `to:` holds until 60 s, before the crash's effects.
    assert!(results[3].passed && results[3].name.ends_with("until 1m0s"), "{:?}", results[3]);
}

#[test]
fn a_run_ending_with_pending_pods_warns_with_the_reason() {
    let dir = scratch("pending-warning");
    std::fs::write(dir.join("s.yaml"), SCENARIO).unwrap();
    let out = sim(&["run", dir.join("s.yaml").to_str().unwrap(), "--out", dir.join("r").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning: 1 pod still Pending at the end: big 1 ("))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(warning.contains("Insufficient cpu"), "{warning}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pod startup (created -> ready, 3 pods): p50 2s, p90 2s, p99 2s, max 2s"), "{stdout}");
    assert!(stdout.contains("recovery: nodeCrash worker-1 at 1m5s: back at desired after "), "{stdout}");
    let md = std::fs::read_to_string(dir.join("r/summary.md")).unwrap();
    assert!(md.contains("## Pending at the end") && md.contains("| `big` | 1 |"), "{md}");
    // -o json prints summary.json itself.
    let json =
        sim(&["run", dir.join("s.yaml").to_str().unwrap(), "--out", dir.join("j").to_str().unwrap(), "-o", "json"]);
    let printed: Value = serde_json::from_slice(&json.stdout).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("j/summary.json")).unwrap()).unwrap();
    assert_eq!(printed["trace_hash"], written["trace_hash"]);
    assert_eq!(printed["pending"], written["pending"]);
}

#[test]
fn a_fault_that_hits_no_pod_recovers_in_zero_seconds_and_partitions_and_zones_are_named() {
    let scenario = load_str(
        r#"
name: empty-node
duration: 5m
cluster:
  masters: 1
  nodePools:
    - {name: a, count: 1, capacity: {cpu: "4", memory: 8Gi}, labels: {pool: a, topology.kubernetes.io/zone: za}}
    - {name: b, count: 2, capacity: {cpu: "4", memory: 8Gi}, labels: {pool: b, topology.kubernetes.io/zone: zb}}
manifests:
  - inline:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            nodeSelector: {pool: a}
            containers: [{name: web, image: web:1, resources: {requests: {cpu: 100m}}}]
faults:
  - {kind: zoneOutage, zone: zb, at: 1m, for: 1m}
timeline:
  - {at: 30s, partitionNode: {node: a-1, for: 20s}}
"#,
    )
    .unwrap();
    let out = simulate(&scenario);
    let results = evaluate(&scenario, &out);
    let summary = Summary::new(&scenario, &out, &results, 0.0);
    let r = &summary.pods.recovery;
    assert_eq!(r.len(), 2, "{r:?}");
    // a-1 cut off for 20 s: less than the 50 s grace period, so nothing was ever marked
    // not ready; web's pods were there.
    assert_eq!((r[0].fault, r[0].target.as_str(), r[0].seconds), ("nodePartition", "a-1", Some(0.0)));
    assert_eq!(r[0].workloads, ["web"]);
    // The zone outage took both b nodes, which ran nothing.
    assert_eq!((r[1].fault, r[1].target.as_str(), r[1].seconds), ("zoneOutage", "zone zb", Some(0.0)));
    assert_eq!(r[1].nodes, ["b-1", "b-2"]);
    assert!(r[1].workloads.is_empty());
    assert_eq!(r[1].requests_lost, 0);
}

#[test]
fn a_scenario_on_stdin_resolves_paths_from_the_working_folder() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = scratch("stdin");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/failover.yaml")).unwrap();
    let run = |cwd: &std::path::Path| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(["run", "-", "--out", dir.join("r").to_str().unwrap(), "-o", "json"])
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    // From the scenarios folder, manifests/web.yaml is found.
    let ok = run(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"));
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let json: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(json["scenario"], "failover");
    // From elsewhere it is not, and the message says why.
    let bad = run(&dir);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.starts_with("<stdin>:") && stderr.contains("relative to the working folder"), "{stderr}");
}

#[test]
fn a_crash_during_the_first_rollout_counts_until_the_replacement_is_ready() {
    // worker-1 dies at 1 s, before web's pods (2 s start-up) are Ready: web never reaches
    // 2 ready until worker-1's pod is evicted and replaced, so that is the recovery.
    let scenario =
        load_str(&SCENARIO.replace("{at: 65s, crashNode: worker-1}", "{at: 1s, crashNode: worker-1}")).unwrap();
    let out = simulate(&scenario);
    let summary = Summary::new(&scenario, &out, &[], 0.0);
    let events = events(&out);
    let last_ready = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "pod_ready" && e["pod"].as_str().unwrap().starts_with("web-"))
        .map(t_of)
        .unwrap();
    let r = &summary.pods.recovery[0];
    assert_eq!(r.workloads, ["web"]);
    let seconds = r.seconds.unwrap();
    assert!((seconds - (last_ready - 1.0)).abs() < 1e-6, "{seconds} vs {last_ready}");
    assert!(seconds > 300.0);
}

#[test]
fn a_scale_up_under_way_when_a_node_dies_does_not_end_its_recovery() {
    // web is scaled to 3 at 64 s, one second before worker-1 dies: it is below desired when
    // the fault hits and (if the new pod went to worker-2) whole again at 66 s, but the
    // crash takes worker-1's pod away once the node is noticed (~115 s): recovery ends
    // only when its replacement is Ready.
    let yaml = SCENARIO.replace(
        "  - {at: 65s, crashNode: worker-1}",
        "  - {at: 64s, scale: {deployment: web, replicas: 3}}\n  - {at: 65s, crashNode: worker-1}",
    );
    let scenario = load_str(&yaml).unwrap();
    let out = simulate(&scenario);
    let summary = Summary::new(&scenario, &out, &[], 0.0);
    let events = events(&out);
    let last_ready = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "pod_ready" && e["pod"].as_str().unwrap().starts_with("web-"))
        .map(t_of)
        .unwrap();
    let seconds = summary.pods.recovery[0].seconds.unwrap();
    assert!((seconds - (last_ready - 65.0)).abs() < 1e-6, "{seconds} vs {last_ready}");
}
