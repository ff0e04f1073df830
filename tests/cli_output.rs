//! What the commands print for scripts and shells: `-o json`, reproduce commands that carry
//! every `--set`, shell completion.

mod common;
use common::*;
use serde_json::Value;

#[test]
fn sweep_reproduce_lines_carry_every_set_and_json_matches_sweep_json() {
    let dir = scratch("sweep-json");
    let out = sim(&[
        "sweep",
        "scenarios/zone-outage.yaml",
        "--seeds",
        "1..2",
        "--set",
        "controlPlane.scheduler.policy=binpack",
        "--set",
        "controlPlane.podStartup=3s",
        "--out",
        dir.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "binpack loses every replica with the zone");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(printed, written);
    assert_eq!(printed["passed"], 0);
    let md = std::fs::read_to_string(dir.join("sweep.md")).unwrap();
    let expected = "reproduce with `sim run scenarios/zone-outage.yaml --set controlPlane.scheduler.policy=binpack --set controlPlane.podStartup=3s --seed 1`";
    assert!(md.contains(expected), "{md}");

    let table = sim(&[
        "sweep",
        "scenarios/zone-outage.yaml",
        "--seeds",
        "1..2",
        "--set",
        "controlPlane.scheduler.policy=binpack",
        "--out",
        dir.join("t").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(
        stdout.contains("seed 2 failed; reproduce with: sim run scenarios/zone-outage.yaml --set controlPlane.scheduler.policy=binpack --seed 2"),
        "{stdout}"
    );
}

#[test]
fn validate_and_compare_print_json() {
    let ok = sim(&["validate", "scenarios/failover.yaml", "-o", "json"]);
    assert_eq!(ok.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!((v["valid"].as_bool(), v["scenario"].as_str()), (Some(true), Some("failover")));
    let bad = sim(&["validate", "scenarios/failover.yaml", "--set", "duration=soon", "-o", "json"]);
    assert_eq!(bad.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("soon"), "{v}");
    assert!(v["errors"][0]["hint"].is_string());

    let dir = scratch("compare-json");
    let out = sim(&[
        "compare",
        "scenarios/failover.yaml",
        "--variant",
        "spread:controlPlane.scheduler.policy=spread",
        "--variant",
        "rr:controlPlane.scheduler.policy=roundRobin",
        "--out",
        dir.to_str().unwrap(),
        "-o",
        "json",
    ]);
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("compare.json")).unwrap()).unwrap();
    assert_eq!(printed, written);
    assert_eq!(printed["variants"].as_array().unwrap().len(), 2);
    let all_passed = printed["passed"].as_bool().unwrap();
    assert_eq!(out.status.code(), Some(if all_passed { 0 } else { 1 }));
    assert_eq!(printed["variants"][1]["sets"][0], "controlPlane.scheduler.policy=roundRobin");
}

#[test]
fn completion_scripts_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = sim(&["completion", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for sub in ["run", "validate", "sweep", "compare", "replay", "completion"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let bad = sim(&["completion", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}
