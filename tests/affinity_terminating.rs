//! InterPodAffinity counts Terminating pods: the scheduler's NodeInfo holds a pod until it
//! is deleted, so a replacement with required hostname anti-affinity waits until its
//! predecessor is gone instead of landing beside it.
//! Upstream: pkg/scheduler/framework/plugins/interpodaffinity/filtering.go (counts over
//! nodeInfo.Pods and PodsWithRequiredAntiAffinity, no deletion check) and
//! pkg/scheduler/backend/cache (a pod leaves NodeInfo on its delete event).

mod common;
use common::*;

#[test]
fn a_replacement_waits_for_its_terminating_predecessor_under_required_anti_affinity() {
    let web = deployment_manifest(
        "web",
        2,
        "",
        "{name: c, image: x, resources: {requests: {cpu: 100m}}, lifecycle: {preStop: {sleep: {seconds: 20}}}}",
        "            affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}]}}\n",
    );
    let yaml = format!(
        "name: anti\nduration: 2m\ncluster:\n  nodePools:\n    - {{name: w, count: 2, capacity: {{cpu: \"2\", memory: 8Gi}}}}\ncontrolPlane:\n  podStartup: 1s\ntimeline:\n  - {{at: 30s, deletePod: web}}\nmanifests:\n{web}"
    );
    let ev = events(&simulate(&load_str(&yaml).unwrap()));
    let terminated = of_kind(&ev, "pod_terminated");
    assert_eq!(terminated.len(), 1);
    let (old, node) = (terminated[0]["pod"].as_str().unwrap(), terminated[0]["node"].as_str().unwrap());
    let deleted = of_kind(&ev, "pod_deleted").into_iter().find(|e| e["pod"] == old).expect("predecessor deleted");
    assert!(t(deleted) >= 50.0, "preStop holds it Terminating for 20 s: {deleted}");
    let replacement = of_kind(&ev, "pod_scheduled").into_iter().find(|e| t(e) >= 30.0).expect("replacement bound");
    assert_eq!(replacement["node"], node);
    assert_eq!(t(replacement), t(deleted), "bound once the predecessor is gone, not beside it");
    let waited = of_kind(&ev, "pod_unschedulable");
    assert!(
        waited.iter().any(|e| e["reason"].as_str().unwrap().contains("anti-affinity")),
        "the replacement waited on anti-affinity: {waited:?}"
    );
}
