//! Preemption helps wherever removing pods resolves the failure, not only for resources:
//! required anti-affinity and hard topology spread are resolved through the plugins'
//! AddPod/RemovePod in the dry run; nodes whose failure is UnschedulableAndUnresolvable
//! are skipped; among equal priorities the pod that started later goes first.
//! Upstream: pkg/scheduler/framework/preemption/preemption.go (FindCandidates,
//! nodesWherePreemptionMightHelp, DryRunPreemption) and
//! pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go (SelectVictimsOnNode).

mod common;
use common::*;

/// Two roomy workers, a low-priority `batch` pod on each (labelled `team: a`), and at 20 s
/// the `vip` pod (priority class high) with `vip_spec` in its spec.
fn run(vip_spec: &str) -> Vec<serde_json::Value> {
    let batch = |name: &str, node: &str| {
        format!("  - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, labels: {{team: a}}}}, spec: {{nodeSelector: {{kubernetes.io/hostname: {node}}}, containers: [{{name: c, image: x, resources: {{requests: {{cpu: 100m}}}}}}]}}}}\n")
    };
    let vip = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: vip, labels: {{team: b}}}}\nspec:\n  priorityClassName: high\n{vip_spec}  containers: [{{name: c, image: x, resources: {{requests: {{cpu: 100m}}}}}}]\n");
    let yaml = format!(
        "name: pre\nduration: 2m\ncluster:\n  nodePools:\n    - {{name: w, count: 2, capacity: {{cpu: \"8\", memory: 8Gi}}}}\ncontrolPlane:\n  podStartup: 1s\ntimeline:\n  - {{at: 20s, apply: {{file: vip.yaml}}}}\nmanifests:\n  - inline: {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: high}}, value: 1000}}\n{}{}",
        batch("batch-1", "w-1"),
        batch("batch-2", "w-2")
    );
    events(&simulate(&load_files(&[("scenario.yaml", &yaml), ("vip.yaml", &vip)]).unwrap_or_else(|e| panic!("{e}"))))
}

#[test]
fn preemption_resolves_required_anti_affinity() {
    // vip refuses to share a node with team a; each node runs one low-priority team-a pod.
    let ev = run("  affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {team: a}}, topologyKey: kubernetes.io/hostname}]}}\n");
    let preempting = of_kind(&ev, "pod_preempting");
    assert_eq!(preempting.len(), 1, "{preempting:?}");
    let victims = preempting[0]["victims"].as_array().unwrap();
    assert_eq!(victims.len(), 1);
    let node = preempting[0]["node"].as_str().unwrap();
    assert_eq!(victims[0].as_str().unwrap(), if node == "w-1" { "batch-1" } else { "batch-2" });
    let bound = of_kind(&ev, "pod_scheduled").into_iter().find(|e| e["pod"] == "vip").expect("vip bound");
    assert_eq!(bound["node"], node);
}

#[test]
fn preemption_resolves_an_existing_pods_anti_affinity() {
    // Here the batch pods refuse team b; the incoming pod has no terms of its own.
    let batch_anti = "affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {team: b}}, topologyKey: kubernetes.io/hostname}]}}, ";
    let ev = {
        let batch = |name: &str, node: &str| {
            format!("  - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, labels: {{team: a}}}}, spec: {{{batch_anti}nodeSelector: {{kubernetes.io/hostname: {node}}}, containers: [{{name: c, image: x}}]}}}}\n")
        };
        let vip = "apiVersion: v1\nkind: Pod\nmetadata: {name: vip, labels: {team: b}}\nspec:\n  priorityClassName: high\n  containers: [{name: c, image: x}]\n";
        let yaml = format!(
            "name: pre\nduration: 2m\ncluster:\n  nodePools:\n    - {{name: w, count: 2, capacity: {{cpu: \"8\", memory: 8Gi}}}}\ncontrolPlane:\n  podStartup: 1s\ntimeline:\n  - {{at: 20s, apply: {{file: vip.yaml}}}}\nmanifests:\n  - inline: {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: high}}, value: 1000}}\n{}{}",
            batch("batch-1", "w-1"),
            batch("batch-2", "w-2")
        );
        events(&simulate(&load_files(&[("scenario.yaml", &yaml), ("vip.yaml", vip)]).unwrap()))
    };
    assert_eq!(of_kind(&ev, "pod_preempting").len(), 1);
    assert!(of_kind(&ev, "pod_scheduled").iter().any(|e| e["pod"] == "vip"));
}

#[test]
fn unresolvable_failures_are_not_preempted_for() {
    // A nodeSelector no node matches is UnschedulableAndUnresolvable on every node:
    // removing pods cannot help, so nothing is preempted.
    let ev = run("  nodeSelector: {disk: ssd}\n");
    assert!(of_kind(&ev, "pod_preempting").is_empty());
    assert!(of_kind(&ev, "pod_unschedulable").iter().any(|e| e["pod"] == "vip"));
}
