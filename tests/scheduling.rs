//! Placement policies and scheduling plugins end to end: each test builds a small
//! cluster, runs it, and reads where pods went from events.jsonl.

mod common;
use common::*;
use std::collections::BTreeMap;

/// A cluster of `nodes` nodes (2 cpu, 8Gi) split over zones a/b, plus `extra` scenario text.
fn cluster(nodes: u32, policy: &str, manifests: &str, extra: &str) -> String {
    let half = nodes / 2;
    format!(
        r#"name: sched
duration: 2m
cluster:
  nodePools:
    - {{name: a, count: {half}, capacity: {{cpu: "2", memory: 8Gi}}, labels: {{topology.kubernetes.io/zone: a}}}}
    - {{name: b, count: {rest}, capacity: {{cpu: "2", memory: 8Gi}}, labels: {{topology.kubernetes.io/zone: b}}}}
controlPlane:
  scheduler: {{policy: {policy}}}
  podStartup: 1s
manifests:
{manifests}{extra}"#,
        rest = nodes - half
    )
}

fn deployment(name: &str, replicas: u32, cpu: &str, spec_extra: &str) -> String {
    let container = format!("{{name: c, image: x, resources: {{requests: {{cpu: \"{cpu}\", memory: 100Mi}}}}}}");
    deployment_manifest(name, replicas, "", &container, spec_extra)
}

/// Pods per node after the run, by pod name prefix.
fn placement(yaml: &str, prefix: &str) -> (BTreeMap<String, usize>, Vec<serde_json::Value>) {
    let s = load_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let out = simulate(&s);
    let ev = events(&out);
    let mut per_node = BTreeMap::new();
    for e in of_kind(&ev, "pod_scheduled") {
        if e["pod"].as_str().unwrap().starts_with(prefix) {
            *per_node.entry(e["node"].as_str().unwrap().to_string()).or_insert(0) += 1;
        }
    }
    (per_node, ev)
}

#[test]
fn binpack_fills_one_node_before_touching_another() {
    let (per_node, _) = placement(&cluster(4, "binpack", &deployment("web", 6, "250m", ""), ""), "web");
    assert_eq!(per_node.len(), 1, "{per_node:?}: 6 x 250m fit on one 2-cpu node");
    let (per_node, _) = placement(&cluster(4, "binpack", &deployment("web", 10, "250m", ""), ""), "web");
    let mut counts: Vec<usize> = per_node.values().copied().collect();
    counts.sort();
    assert_eq!(counts, [2, 8], "the second node only gets the overflow: {per_node:?}");
}

#[test]
fn spread_keeps_per_node_counts_within_one() {
    for replicas in [5, 7, 11] {
        let (per_node, _) = placement(&cluster(4, "spread", &deployment("web", replicas, "100m", ""), ""), "web");
        let (min, max) = (per_node.values().min().unwrap(), per_node.values().max().unwrap());
        assert!(per_node.len() == 4 && max - min <= 1, "{replicas}: {per_node:?}");
    }
}

#[test]
fn round_robin_takes_nodes_in_turn() {
    let (_, ev) = placement(&cluster(3, "roundRobin", &deployment("web", 6, "100m", ""), ""), "web");
    let nodes: Vec<&str> = of_kind(&ev, "pod_scheduled").iter().map(|e| e["node"].as_str().unwrap()).collect();
    assert_eq!(nodes, ["a-1", "b-1", "b-2", "a-1", "b-1", "b-2"]);
}

#[test]
fn random_uses_the_seed_and_only_feasible_nodes() {
    let yaml = cluster(4, "random", &deployment("web", 8, "100m", ""), "");
    let (a, _) = placement(&yaml, "web");
    let (b, _) = placement(&yaml, "web");
    assert_eq!(a, b, "same seed, same placement");
    assert!(a.len() >= 2, "{a:?}");
}

#[test]
fn default_profile_spreads_a_deployment_by_system_default_constraints() {
    // Ten pods on four empty nodes: LeastAllocated and the system-default hostname/zone
    // spreading both push towards an even split.
    let (per_node, _) = placement(&cluster(4, "default", &deployment("web", 8, "100m", ""), ""), "web");
    assert_eq!(per_node.values().copied().collect::<Vec<_>>(), [2, 2, 2, 2], "{per_node:?}");
}

#[test]
fn hard_zone_spread_leaves_the_skewing_pod_pending() {
    let spread = "            topologySpreadConstraints:\n              - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}\n";
    // Zone a has 1 node (2 cpu = 2 pods of 1 cpu), zone b has 3 nodes: with maxSkew 1
    // the zones may differ by at most one pod, so 5 pods fit as 2 + 3, the 6th does not.
    let yaml = cluster(4, "default", &deployment("web", 6, "1", spread), "")
        .replace("{name: a, count: 2", "{name: a, count: 1")
        .replace("{name: b, count: 2", "{name: b, count: 3");
    let (per_node, ev) = placement(&yaml, "web");
    let zone_a: usize = per_node.iter().filter(|(n, _)| n.starts_with("a-")).map(|(_, c)| c).sum();
    let zone_b: usize = per_node.iter().filter(|(n, _)| n.starts_with("b-")).map(|(_, c)| c).sum();
    assert_eq!((zone_a, zone_b), (2, 3), "{per_node:?}");
    let u = of_kind(&ev, "pod_unschedulable");
    assert_eq!(u.len(), 1);
    assert_eq!(
        u[0]["reason"],
        "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't match pod topology spread constraints."
    );
}

#[test]
fn required_anti_affinity_puts_one_pod_per_node() {
    let anti = "            affinity:\n              podAntiAffinity:\n                requiredDuringSchedulingIgnoredDuringExecution:\n                  - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: db}}}\n";
    let (per_node, ev) = placement(&cluster(3, "default", &deployment("db", 4, "100m", anti), ""), "db");
    assert_eq!(per_node.values().copied().collect::<Vec<_>>(), [1, 1, 1]);
    assert_eq!(
        of_kind(&ev, "pod_unschedulable")[0]["reason"],
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    );
}

#[test]
fn required_pod_affinity_follows_the_target_into_its_zone() {
    let cache = deployment("cache", 1, "100m", "            nodeSelector: {topology.kubernetes.io/zone: b}\n");
    let affinity = "            affinity:\n              podAffinity:\n                requiredDuringSchedulingIgnoredDuringExecution:\n                  - {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: cache}}}\n";
    let web = deployment("web", 4, "100m", affinity);
    let (per_node, _) = placement(&cluster(4, "default", &format!("{cache}{web}"), ""), "web");
    assert!(per_node.keys().all(|n| n.starts_with("b-")), "{per_node:?}");
}

#[test]
fn preferred_node_affinity_wins_when_it_can() {
    let pref = "            affinity:\n              nodeAffinity:\n                preferredDuringSchedulingIgnoredDuringExecution:\n                  - weight: 100\n                    preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}\n";
    let (per_node, _) = placement(&cluster(4, "default", &deployment("web", 2, "100m", pref), ""), "web");
    assert!(per_node.keys().all(|n| n.starts_with("a-")), "{per_node:?}");
}

/// A PriorityClass `high` (1000), for the preemption tests.
const HIGH_PRIORITY: &str =
    "  - inline: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: high}, value: 1000}\n";
/// The high-priority `api` pod arrives at 30 s, once the lower-priority pods are placed.
const API_ARRIVES_AT_30S: &str = "timeline:\n  - {at: 30s, scale: {deployment: api, replicas: 1}}\n";

/// `api`: no replicas until the timeline scales it, pods of 1.5 cpu with priority `high`.
fn api() -> String {
    deployment("api", 0, "1500m", "            priorityClassName: high\n")
}

#[test]
fn higher_priority_pods_preempt_the_fewest_lowest_priority_victims() {
    let low = deployment("batch", 4, "1", "");
    // Two 2-cpu nodes full of 1-cpu batch pods; the api pod (1.5 cpu) arrives at 30 s.
    let yaml = cluster(2, "default", &format!("{HIGH_PRIORITY}{low}{}", api()), API_ARRIVES_AT_30S);
    let (_, ev) = placement(&yaml, "api");
    let preempting = of_kind(&ev, "pod_preempting");
    assert_eq!(preempting.len(), 1, "{:#?}", of_kind(&ev, "pod_unschedulable"));
    assert_eq!(preempting[0]["victims"].as_array().unwrap().len(), 2, "1.5 cpu needs both 1-cpu pods of a node gone");
    let preempted = of_kind(&ev, "pod_terminated").into_iter().filter(|e| e["reason"] == "preempted").count();
    assert_eq!(preempted, 2);
    let api =
        of_kind(&ev, "pod_scheduled").into_iter().find(|e| e["pod"].as_str().unwrap().starts_with("api")).unwrap();
    assert_eq!(api["node"], preempting[0]["node"]);
}

#[test]
fn preemption_spares_pods_a_disruption_budget_protects() {
    let pdb = "  - inline: {apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: guarded}, spec: {minAvailable: 2, selector: {matchLabels: {app: guarded}}}}\n";
    let guarded = deployment("guarded", 2, "1", "            nodeSelector: {topology.kubernetes.io/zone: a}\n");
    let free = deployment("free", 2, "1", "            nodeSelector: {topology.kubernetes.io/zone: b}\n");
    // The api pod arrives once both nodes are full (at t=0 it would outrank the others in
    // the queue and take an empty node at random).
    let yaml = cluster(2, "default", &format!("{HIGH_PRIORITY}{pdb}{guarded}{free}{}", api()), API_ARRIVES_AT_30S);
    let (per_node, ev) = placement(&yaml, "api");
    assert_eq!(
        per_node.keys().collect::<Vec<_>>(),
        ["b-1"],
        "the unprotected node is chosen: {:?}",
        of_kind(&ev, "pod_preempting")
    );
}

#[test]
fn custom_profile_can_turn_the_default_into_bin_packing() {
    let profile = r#"
    profile:
      plugins:
        score:
          disabled: [{name: "*"}]
          enabled: [{name: NodeResourcesFit, weight: 1}]
      pluginConfig:
        - name: NodeResourcesFit
          args: {scoringStrategy: {type: MostAllocated}}
"#;
    let yaml = cluster(4, "default", &deployment("web", 6, "250m", ""), "")
        .replace("  scheduler: {policy: default}\n", &format!("  scheduler:\n    policy: default{profile}"));
    let (per_node, _) = placement(&yaml, "web");
    assert_eq!(per_node.len(), 1, "{per_node:?}");
}

#[test]
fn explain_names_every_default_score_plugin() {
    let yaml = cluster(4, "default", &deployment("web", 2, "100m", ""), "");
    let s = load_str(&yaml).unwrap();
    let out =
        clustersim::world::run(&s, clustersim::world::RunOptions { explain: true, check_invariants: true }).unwrap();
    let ev = events(&out);
    let scores = &of_kind(&ev, "pod_scheduled")[0]["scores"];
    let first = scores.as_object().unwrap().values().next().unwrap().as_object().unwrap();
    for plugin in
        ["TaintToleration", "NodeResourcesFit", "PodTopologySpread", "NodeResourcesBalancedAllocation", "total"]
    {
        assert!(first.contains_key(plugin), "{plugin} missing from {first:?}");
    }
}
