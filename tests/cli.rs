//! The `sim` binary end to end: bundled scenarios, outputs, determinism, flags.

mod common;
use common::*;
use sha2::{Digest, Sha256};

fn run_to(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", dir.to_str().unwrap()]);
    sim(&all)
}

#[test]
fn bundled_scenarios_pass_and_write_a_complete_report() {
    for scenario in [
        "scenarios/failover.yaml",
        "scenarios/quickstart.yaml",
        "scenarios/zone-outage.yaml",
        "scenarios/rolling-update.yaml",
        "scenarios/rollback.yaml",
        "scenarios/double-eleven.yaml",
        "scenarios/drain.yaml",
        "scenarios/master-loss.yaml",
        "scenarios/partition.yaml",
        "scenarios/surge-autoscale.yaml",
    ] {
        let dir = scratch("bundled").join("report");
        let out = run_to(&dir, &[scenario]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{scenario}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            stdout.lines().any(|l| l.starts_with("NAME") && l.ends_with("READY   UP-TO-DATE   AVAILABLE")),
            "{stdout}"
        );
        for file in ["events.jsonl", "summary.json", "summary.md", "metrics.csv", "report.html", "replicas.svg"] {
            assert!(dir.join(file).exists(), "{scenario}: {file} missing");
        }
        let events = std::fs::read(dir.join("events.jsonl")).unwrap();
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        let hash: String = Sha256::digest(&events).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(summary["trace_hash"], hash.as_str());
        assert_eq!(summary["events"].as_u64().unwrap() as usize, events.iter().filter(|b| **b == b'\n').count());
        for key in ["scenario", "seed", "virtual_seconds", "expectations", "services", "deployments", "wall"] {
            assert!(!summary[key].is_null(), "summary.json lacks {key}");
        }
        let deployments = summary["deployments"].as_object().unwrap();
        assert!(!deployments.is_empty() && deployments.values().all(|d| d["final_ready"].as_i64().unwrap() > 0));
        for line in String::from_utf8(events).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v["t"].is_number() && v["kind"].is_string(), "{line}");
        }
    }
}

#[test]
fn traffic_beyond_what_a_run_can_simulate_is_refused_up_front() {
    let dir = scratch("too-much-traffic").join("report");
    let out = run_to(&dir, &["scenarios/double-eleven.yaml", "--set", "traffic.0.rate.2.rps=100000000"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("double-eleven.yaml:34:14") && stderr.contains("3.00e10 requests"), "{stderr}");
    assert!(stderr.contains("lower the rps or the duration"), "{stderr}");
    assert!(!dir.exists(), "no report is written");
}

#[test]
fn same_seed_same_bytes_and_another_seed_changes_what_is_random() {
    let base = scratch("determinism");
    let (a, b, c) = (base.join("a"), base.join("b"), base.join("c"));
    assert_eq!(run_to(&a, &["scenarios/quickstart.yaml", "--quiet"]).status.code(), Some(0));
    assert_eq!(run_to(&b, &["scenarios/quickstart.yaml", "--quiet"]).status.code(), Some(0));
    run_to(&c, &["scenarios/quickstart.yaml", "--quiet", "--seed", "8"]);
    let read = |d: &std::path::Path| std::fs::read(d.join("events.jsonl")).unwrap();
    assert_eq!(read(&a), read(&b), "same scenario and seed must give identical events.jsonl");
    assert_ne!(read(&a), read(&c), "pod names and start times come from the seed");
}

#[test]
fn failed_expectations_exit_1_and_set_overrides_apply() {
    let dir = scratch("fail").join("r");
    let out = run_to(&dir, &["scenarios/failover.yaml", "--set", "expect.1.readyReplicas.by=3m"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL readyReplicas web >= 6 by 3m0s"));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["expectations"][1]["passed"], false);
    assert_eq!(summary["passed"], false);
}

#[test]
fn explain_puts_per_node_plugin_scores_on_pod_scheduled() {
    let dir = scratch("explain").join("r");
    run_to(&dir, &["scenarios/failover.yaml", "--quiet", "--explain"]);
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let scheduled: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["kind"] == "pod_scheduled")
        .collect();
    let first = &scheduled[0];
    let chosen = first["node"].as_str().unwrap();
    let scores = first["scores"].as_object().unwrap();
    assert_eq!(scores.len(), 4, "every feasible node is explained");
    let best = scores.values().map(|s| s["total"].as_i64().unwrap()).max().unwrap();
    assert_eq!(scores[chosen]["total"].as_i64().unwrap(), best, "the chosen node has the top score");
    assert!(scores[chosen]["NodeResourcesFit"].is_number());
}

#[test]
fn rerunning_replaces_the_report_atomically() {
    let dir = scratch("atomic").join("r");
    run_to(&dir, &["scenarios/failover.yaml", "--quiet"]);
    run_to(&dir, &["scenarios/quickstart.yaml", "--quiet"]);
    assert!(!dir.join("replicas-web.svg").exists() || dir.join("summary.json").is_file());
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(summary.contains("\"quickstart\""), "the old report was replaced as a whole");
    let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary folders left: {leftovers:?}");
}

#[test]
fn zone_outage_separates_spreading_from_bin_packing() {
    let base = scratch("zone");
    for (policy, code) in [("default", 0), ("spread", 0), ("binpack", 1)] {
        let out = run_to(
            &base.join(policy),
            &["scenarios/zone-outage.yaml", "--quiet", "--set", &format!("controlPlane.scheduler.policy={policy}")],
        );
        assert_eq!(out.status.code(), Some(code), "{policy}: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn sweep_is_the_same_whatever_the_jobs() {
    let base = scratch("sweep");
    let (a, b) = (base.join("a"), base.join("b"));
    let run = |dir: &std::path::Path, jobs: &str| {
        sim(&["sweep", "scenarios/failover.yaml", "--seeds", "1..6", "--jobs", jobs, "--out", dir.to_str().unwrap()])
    };
    assert_eq!(run(&a, "1").status.code(), Some(0));
    assert_eq!(run(&b, "2").status.code(), Some(0));
    let read = |d: &std::path::Path| std::fs::read_to_string(d.join("sweep.json")).unwrap();
    assert_eq!(read(&a), read(&b));
    let sweep: serde_json::Value = serde_json::from_str(&read(&a)).unwrap();
    assert_eq!(sweep["runs"], 6);
    assert!(sweep["metrics"]["web/availability_pct"]["min"].as_f64().unwrap() > 90.0);
    assert!(a.join("seeds/3.json").exists());
    let bad = sim(&["sweep", "scenarios/failover.yaml", "--seeds", "9..1"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn compare_puts_policies_side_by_side() {
    let dir = scratch("compare").join("c");
    let out = sim(&[
        "compare",
        "scenarios/zone-outage.yaml",
        "--variant",
        "spread:controlPlane.scheduler.policy=spread",
        "--variant",
        "binpack:controlPlane.scheduler.policy=binpack",
        "--out",
        dir.to_str().unwrap(),
    ]);
    // binpack fails an expectation on its seed: the comparison exits 1, as sweep does.
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let md = std::fs::read_to_string(dir.join("compare.md")).unwrap();
    assert!(md.contains("|  | spread | binpack |"), "{md}");
    assert!(md.contains("| seeds passing every expectation | 1/1 | 0/1 |"), "{md}");
    assert!(md.contains("--set controlPlane.scheduler.policy=binpack --seed 11`"), "{md}");
    assert!(dir.join("ready-web.svg").exists() && dir.join("compare.html").exists());
}
