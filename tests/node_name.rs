//! Pods created with `spec.nodeName` skip the scheduler: they are bound at creation and
//! their node's kubelet admits them against resources, node selector/affinity and NoExecute
//! taints only, or marks them Failed with the first failure ("Pod was rejected: ...").
//! Upstream: pkg/kubelet/lifecycle/predicate.go (Admit, generalFilter), pkg/kubelet/kubelet.go
//! (HandlePodAdditions, rejectPod), pkg/scheduler/eventhandlers.go (assigned pods are not queued).

mod common;
use common::*;

/// Workers `w-1`, `w-2` and `t-1` (2 cpu each; `taint` on t-1), with `manifests` and
/// `extra` appended.
fn cluster(taint: &str, manifests: &str, extra: &str) -> Vec<serde_json::Value> {
    let yaml = format!(
        "name: nn\nduration: 2m\ncluster:\n  nodePools:\n    - {{name: w, count: 2, capacity: {{cpu: \"2\", memory: 8Gi}}}}\n    - {{name: t, count: 1, capacity: {{cpu: \"2\", memory: 8Gi}}{taint}}}\ncontrolPlane:\n  podStartup: 1s\nmanifests:\n{manifests}{extra}"
    );
    events(&simulate(&load_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))))
}

fn pod(name: &str, node: &str, cpu: &str, spec_extra: &str) -> String {
    format!("  - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}}}, spec: {{nodeName: {node}, {spec_extra}containers: [{{name: c, image: x, resources: {{requests: {{cpu: {cpu}}}}}}}]}}}}\n")
}

#[test]
fn a_no_schedule_taint_does_not_stop_a_node_name_pod() {
    let ev =
        cluster(", taints: [{key: dedicated, value: gpu, effect: NoSchedule}]", &pod("agent", "t-1", "100m", ""), "");
    assert!(of_kind(&ev, "pod_unschedulable").is_empty(), "the scheduler never sees it");
    assert!(of_kind(&ev, "pod_scheduled").is_empty());
    let running = of_kind(&ev, "pod_running");
    assert_eq!(running.len(), 1);
    assert_eq!((running[0]["pod"].as_str(), running[0]["node"].as_str()), (Some("agent"), Some("t-1")));
    assert_eq!(of_kind(&ev, "pod_created")[0]["nodeName"], "t-1");
}

#[test]
fn the_kubelet_rejects_what_does_not_fit_or_tolerate() {
    let manifests = [
        pod("filler", "w-2", "1500m", ""),
        pod("late", "w-2", "1000m", ""),
        pod("picky", "w-2", "100m", "nodeSelector: {disk: ssd}, "),
        pod("tainted", "t-1", "100m", ""),
    ]
    .concat();
    let ev = cluster(", taints: [{key: dedicated, value: x, effect: NoExecute}]", &manifests, "")
        .into_iter()
        .collect::<Vec<_>>();
    let failed: Vec<(&str, &str, &str)> = of_kind(&ev, "pod_failed")
        .iter()
        .map(|e| (e["pod"].as_str().unwrap(), e["reason"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        failed,
        [
            (
                "late",
                "OutOfcpu",
                "Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000"
            ),
            (
                "picky",
                "NodeAffinity",
                "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"
            ),
            (
                "tainted",
                "TaintToleration",
                "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate"
            ),
        ]
    );
    let running: Vec<&str> = of_kind(&ev, "pod_running").iter().map(|e| e["pod"].as_str().unwrap()).collect();
    assert_eq!(running, ["filler"]);
}

#[test]
fn a_node_name_pod_waits_for_its_node_to_join() {
    let ev = cluster("", &pod("early", "w-3", "100m", ""), "timeline:\n  - {at: 30s, join: {pool: w}}\n");
    let running = of_kind(&ev, "pod_running");
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["node"], "w-3");
    assert!(t(running[0]) >= 30.0);
}

#[test]
fn a_replica_set_replaces_pods_its_kubelet_rejects_at_the_kubelet_pace() {
    // Upstream's known loop (kubernetes#131116): a Failed pod is not active, so the
    // ReplicaSet creates another, which the kubelet rejects again.
    let web = deployment_manifest(
        "web",
        1,
        "",
        "{name: c, image: x, resources: {requests: {cpu: 3000m}}}",
        "            nodeName: w-1\n",
    );
    let ev = cluster("", &web, "").into_iter().filter(|e| t(e) <= 10.0).collect::<Vec<_>>();
    let failed = of_kind(&ev, "pod_failed");
    assert!(failed.iter().all(|e| e["reason"] == "OutOfcpu"));
    // One rejection per 100 ms of admission latency.
    assert!((95..=101).contains(&failed.len()), "{}", failed.len());
    assert_eq!(of_kind(&ev, "pod_created").len(), failed.len() + 1);
}
