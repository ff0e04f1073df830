//! DaemonSets: one pod per eligible node, pinned by node affinity on `metadata.name`,
//! with the automatic tolerations; new nodes get a pod; RollingUpdate replaces node by
//! node; `drain` refuses them unless `ignoreDaemonSets`.
//! Upstream: pkg/controller/daemon/daemon_controller.go, update.go, util/daemonset_util.go;
//! staging/src/k8s.io/kubectl/pkg/drain/filters.go (daemonSetFilter).

mod common;
use common::*;
use std::collections::BTreeMap;

const AGENT: &str = "  - file: node-agent.yaml\n";

/// Workers `w-1..w-3` (2 cpu), `cp-1` tainted like a control-plane node, and `gpu-1`
/// with an untolerated NoSchedule taint; `extra` appended after the manifests.
fn run(extra: &str) -> Vec<serde_json::Value> {
    let yaml = format!(
        "name: ds\nduration: 5m\ncluster:\n  nodePools:\n    - {{name: w, count: 3, capacity: {{cpu: \"2\", memory: 8Gi}}}}\n    - {{name: cp, count: 1, capacity: {{cpu: \"2\", memory: 8Gi}}, taints: [{{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}}]}}\n    - {{name: gpu, count: 1, capacity: {{cpu: \"2\", memory: 8Gi}}, taints: [{{key: nvidia.com/gpu, value: present, effect: NoSchedule}}]}}\ncontrolPlane:\n  podStartup: 1s\nmanifests:\n{AGENT}{extra}"
    );
    let agent = include_str!("fixtures/daemonsets/node-agent.yaml");
    let v2 = agent.replace("log-agent:3.1.4", "log-agent:3.2.0");
    let scenario = load_files(&[("scenario.yaml", &yaml), ("node-agent.yaml", agent), ("node-agent-v2.yaml", &v2)]);
    events(&simulate(&scenario.unwrap_or_else(|e| panic!("{e}\n{yaml}"))))
}

/// Node of each DaemonSet pod as scheduled.
fn placed(ev: &[serde_json::Value]) -> BTreeMap<String, String> {
    of_kind(ev, "pod_scheduled")
        .iter()
        .map(|e| (e["pod"].as_str().unwrap().to_string(), e["node"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn one_pod_per_tolerated_node() {
    let ev = run("");
    let created = of_kind(&ev, "pod_created");
    assert_eq!(created.len(), 4, "w-1..3 and the control-plane node; the gpu taint is not tolerated");
    assert!(created.iter().all(|e| e["owner"] == "log-agent" && e["owner_kind"] == "DaemonSet"));
    let mut nodes: Vec<String> = placed(&ev).into_values().collect();
    nodes.sort();
    assert_eq!(nodes, ["cp-1", "w-1", "w-2", "w-3"]);
    assert_eq!(of_kind(&ev, "pod_ready").len(), 4);
    let done = of_kind(&ev, "daemonset_rollout_completed");
    assert_eq!(done.len(), 1);
    assert_eq!((done[0]["name"].as_str(), done[0]["revision"].as_i64()), (Some("log-agent"), Some(1)));
}

#[test]
fn a_joining_node_gets_a_pod_and_a_dead_one_keeps_it() {
    let ev = run("timeline:\n  - {at: 1m, join: {pool: w, count: 1}}\n  - {at: 2m, crashNode: w-1}\n");
    let on_new: Vec<_> = placed(&ev).into_iter().filter(|(_, n)| n == "w-4").collect();
    assert_eq!(on_new.len(), 1, "the new node runs the agent");
    // The automatic not-ready/unreachable tolerations have no seconds: never evicted.
    assert!(of_kind(&ev, "pod_evicted").is_empty());
    assert!(of_kind(&ev, "pod_terminated").iter().all(|e| !e["pod"].as_str().unwrap().starts_with("log-agent")));
}

#[test]
fn rolling_update_replaces_one_node_at_a_time() {
    let ev = run("timeline:\n  - {at: 1m, apply: {file: node-agent-v2.yaml}}\n");
    let replaced: Vec<_> = of_kind(&ev, "pod_terminated").into_iter().filter(|e| e["reason"] == "replaced").collect();
    assert_eq!(replaced.len(), 4, "every old pod is replaced");
    // maxUnavailable 1: a new pod is created only after the previous node's is gone, and the
    // next old pod is deleted only once that new pod is ready.
    let mut unavailable = 0i64;
    let mut worst = 0i64;
    for e in &ev {
        if e["kind"] == "pod_terminated" && e["reason"] == "replaced" {
            unavailable += 1;
        }
        if e["kind"] == "pod_ready" && e["t"].as_f64().unwrap() > 60.0 {
            unavailable -= 1;
        }
        worst = worst.max(unavailable);
    }
    assert_eq!(worst, 1, "never more than one node without a ready agent");
    let done = of_kind(&ev, "daemonset_rollout_completed");
    assert_eq!(done.len(), 2);
    assert_eq!(
        (done[1]["revision"].as_i64(), done[1]["image"].as_str()),
        (Some(2), Some("registry.example/log-agent:3.2.0"))
    );
}

#[test]
fn drain_refuses_daemon_pods_unless_ignored() {
    let ev = run("timeline:\n  - {at: 1m, drain: w-1}\n");
    let failed = of_kind(&ev, "action_failed");
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["reason"]
        .as_str()
        .unwrap()
        .contains("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"));
    let ev = run("timeline:\n  - {at: 1m, drain: {node: w-1, ignoreDaemonSets: true}}\n");
    assert!(of_kind(&ev, "action_failed").is_empty());
    assert!(of_kind(&ev, "pod_terminated").is_empty(), "the agent stays on the drained node");
}

#[test]
fn a_pod_that_does_not_fit_its_node_says_why() {
    // One worker is full: the agent's pod for it waits with upstream's FitError, which
    // counts every other node as not satisfying NodeAffinity's PreFilter result.
    let filler = "  - inline: {apiVersion: v1, kind: Pod, metadata: {name: filler}, spec: {nodeName: w-2, containers: [{name: c, image: x, resources: {requests: {cpu: \"2\"}}}]}}\n";
    let ev = run(filler);
    let why: Vec<&str> = of_kind(&ev, "pod_unschedulable").iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert!(!why.is_empty());
    assert_eq!(
        why[0],
        "0/5 nodes are available: 1 Insufficient cpu, 4 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    );
}

#[test]
fn the_summary_lists_daemon_sets_with_their_status() {
    use clustersim::report::{evaluate, summary_json, Summary};
    let yaml = "name: ds\nduration: 2m\ncluster:\n  nodePools:\n    - {name: w, count: 3, capacity: {cpu: \"2\", memory: 8Gi}}\n    - {name: gpu, count: 1, capacity: {cpu: \"2\", memory: 8Gi}, taints: [{key: nvidia.com/gpu, effect: NoSchedule}]}\nmanifests:\n  - file: node-agent.yaml\n";
    let s = load_files(&[
        ("scenario.yaml", yaml),
        ("node-agent.yaml", include_str!("fixtures/daemonsets/node-agent.yaml")),
    ])
    .unwrap();
    let out = simulate(&s);
    let expectations = evaluate(&s, &out);
    let summary: serde_json::Value =
        serde_json::from_str(&summary_json(&Summary::new(&s, &out, &expectations, 0.0))).unwrap();
    let agent = &summary["daemon_sets"]["log-agent"];
    assert_eq!(
        (agent["desired"].as_i64(), agent["ready"].as_i64(), agent["updated"].as_i64(), agent["revision"].as_i64()),
        (Some(3), Some(3), Some(3), Some(1)),
        "the gpu node's taint is not tolerated: 3 desired"
    );
}
