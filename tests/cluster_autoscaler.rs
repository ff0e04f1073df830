//! The Cluster Autoscaler end to end: scale-up for pending pods after the provisioning
//! delay, group limits, scale-down after the unneeded time and the delay after a
//! scale-up, PodDisruptionBudgets, provisioning timeouts with backoff, and the cost.

mod common;
use clustersim::report::{evaluate, summary_json, Summary};
use common::*;
use serde_json::Value;

/// One fixed 2-cpu worker and an autoscaled `burst` pool of 2-cpu nodes (`pool_extra`
/// adds keys to it: `autoscaling`, `provisioningDelay`); `web` has `replicas` pods of 1 cpu; `extra` is appended.
fn scenario(replicas: u32, pool_extra: &str, manifests: &str, extra: &str) -> String {
    scenario_with_worker("2", replicas, pool_extra, manifests, extra)
}

/// The same with a worker of `worker_cpu` cpus.
fn scenario_with_worker(worker_cpu: &str, replicas: u32, pool_extra: &str, manifests: &str, extra: &str) -> String {
    format!(
        r#"name: ca
duration: 30m
cluster:
  masters: 1
  nodePools:
    - name: worker
      count: 1
      capacity: {{cpu: "{worker_cpu}", memory: 8Gi, pods: 110}}
      costPerHour: 1
    - name: burst
      capacity: {{cpu: "2", memory: 8Gi, pods: 110}}
      costPerHour: 0.5
{pool_extra}controlPlane:
  podStartup: 1s
manifests:
{web}{manifests}{extra}"#,
        web = deployment_manifest(
            "web",
            replicas,
            "",
            "{name: web, image: web:1, resources: {requests: {cpu: \"1\", memory: 128Mi}}}",
            ""
        ),
    )
}

/// The run's events and its summary.json, parsed.
fn run(yaml: &str) -> (Vec<Value>, Value) {
    let s = load_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let out = simulate(&s);
    let expectations = evaluate(&s, &out);
    let summary = summary_json(&Summary::new(&s, &out, &expectations, 0.0));
    (events(&out), serde_json::from_str(&summary).unwrap())
}

fn scaled<'a>(ev: &'a [Value], reason: &str) -> Vec<&'a Value> {
    of_kind(ev, "node_group_scaled").into_iter().filter(|e| e["reason"] == reason).collect()
}

#[test]
fn pending_pods_bring_just_enough_nodes_after_the_provisioning_delay() {
    let yaml = scenario(
        6,
        "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n",
        "",
        "expect:\n  - allPodsScheduled: {by: 75s}\n",
    );
    let (ev, summary) = run(&yaml);
    let up = scaled(&ev, "scale_up");
    assert_eq!(up.len(), 1, "{up:?}");
    // The first scan is 10 s in; 4 pods of 1 cpu pend, two fit on each 2-cpu node.
    assert_eq!((t(up[0]), up[0]["from"].as_i64(), up[0]["to"].as_i64()), (10.0, Some(0), Some(2)));
    let joined: Vec<f64> = of_kind(&ev, "node_joined").into_iter().filter(|e| e["node"] != "worker-1").map(t).collect();
    assert_eq!(joined, [70.0, 70.0], "the nodes join 60 s after the request");
    assert_eq!(summary["passed"], true, "all pods are scheduled once the nodes are in");
}

#[test]
fn a_group_never_grows_past_its_max() {
    let yaml = scenario(6, "      autoscaling: {min: 0, max: 1}\n      provisioningDelay: 60s\n", "", "");
    let (ev, _) = run(&yaml);
    let up = scaled(&ev, "scale_up");
    assert_eq!(up.len(), 1, "one node, then the group is at its max: {up:?}");
    assert_eq!(up[0]["to"].as_i64(), Some(1));
    assert!(of_kind(&ev, "pod_unschedulable").iter().any(|e| t(e) > 100.0), "two pods are left pending");
}

#[test]
fn unneeded_nodes_go_after_the_unneeded_time_and_not_within_ten_minutes_of_a_scale_up() {
    let timeline = "timeline:\n  - {at: 2m, scale: {deployment: web, replicas: 2}}\n";
    let yaml = scenario(6, "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n", "", timeline);
    let (ev, summary) = run(&yaml);
    let removed = of_kind(&ev, "node_removed");
    assert_eq!(removed.len(), 2, "{removed:?}");
    // The scan at 120 s still sees the pods scaled down that instant (Terminating, their
    // requests on the node); unneeded from the next scan (130 s), ripe 10 minutes later
    // (the delay after the scale-up at 10 s ended at 610 s); empty nodes go together.
    assert!(removed.iter().all(|e| t(e) == 730.0), "{removed:?}");
    let burst = &summary["node_pools"]["burst"];
    assert_eq!((burst["max_nodes"].as_i64(), burst["final_nodes"].as_i64()), (Some(2), Some(0)));
    // Two nodes from 70 s to their removal, at 0.5 an hour each.
    let expected_hours: f64 = removed.iter().map(|e| (t(e) - 70.0) / 3600.0).sum();
    let hours = burst["node_hours"].as_f64().unwrap();
    assert!((hours - expected_hours).abs() < 1e-3, "{hours} vs {expected_hours}");
    assert!((burst["cost"].as_f64().unwrap() - expected_hours * 0.5).abs() < 1e-3);
    assert_eq!(summary["node_pools"]["worker"]["node_hours"], 0.5, "one fixed node for 30 minutes");
}

#[test]
fn a_group_keeps_its_minimum() {
    let timeline = "timeline:\n  - {at: 2m, scale: {deployment: web, replicas: 0}}\n";
    let yaml = scenario(
        6,
        "      count: 1\n      autoscaling: {min: 1, max: 10}\n      provisioningDelay: 60s\n",
        "",
        timeline,
    );
    let (ev, summary) = run(&yaml);
    assert_eq!(scaled(&ev, "scale_up")[0]["from"].as_i64(), Some(1));
    assert_eq!(summary["node_pools"]["burst"]["final_nodes"], 1, "{:?}", of_kind(&ev, "node_removed"));
}

#[test]
fn a_disruption_budget_keeps_a_node_that_would_break_it() {
    let pdb = "  - inline: {apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: web}, spec: {minAvailable: 4, selector: {matchLabels: {app: web}}}}\n";
    // 5 pods: 4 on the 4-cpu worker, 1 on a burst node. Scaled to 4, the worker (most
    // pods of the ReplicaSet) loses one, so the burst node's pod could move there.
    let timeline = "timeline:\n  - {at: 2m, scale: {deployment: web, replicas: 4}}\n";
    let pool = "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n";
    let drained = |ev: &[Value]| of_kind(ev, "pod_terminated").into_iter().filter(|e| e["reason"] == "drained").count();
    // A half-used node counts as under-used with a 0.6 threshold.
    let threshold = |yaml: String| {
        yaml.replace(
            "  podStartup: 1s\n",
            "  podStartup: 1s\n  clusterAutoscaler: {scaleDownUtilizationThreshold: 0.6}\n",
        )
    };
    let (ev, summary) = run(&threshold(scenario_with_worker("4", 5, pool, "", timeline)));
    assert_eq!(drained(&ev), 1, "without a budget the pod moves and its node goes");
    assert_eq!(summary["node_pools"]["burst"]["final_nodes"], 0);
    let (ev, summary) = run(&threshold(scenario_with_worker("4", 5, pool, pdb, timeline)));
    assert_eq!(drained(&ev), 0, "no eviction may break minAvailable 4 of 4");
    assert_eq!(summary["node_pools"]["burst"]["final_nodes"], 1);
}

#[test]
fn a_node_that_never_joins_times_out_and_the_group_backs_off() {
    let pool = "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 20m\n";
    let yaml = scenario(4, pool, "", "");
    let (ev, _) = run(&yaml);
    let timeouts = scaled(&ev, "provisioning_timeout");
    assert_eq!(t(timeouts[0]), 10.0 + 900.0, "maxNodeProvisionTime is 15 minutes: {timeouts:?}");
    let ups: Vec<f64> = scaled(&ev, "scale_up").into_iter().map(t).collect();
    assert_eq!(ups[0], 10.0);
    assert!(ups[1] >= 910.0 + 300.0, "5 minutes of backoff after the timeout: {ups:?}");
}

#[test]
fn a_larger_pod_than_any_group_node_brings_no_node() {
    let yaml = scenario(
        1,
        "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n",
        &deployment_manifest(
            "big",
            1,
            "",
            "{name: big, image: big:1, resources: {requests: {cpu: \"3\", memory: 128Mi}}}",
            "",
        ),
        "",
    );
    let (ev, _) = run(&yaml);
    assert!(scaled(&ev, "scale_up").is_empty());
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let timeline = "timeline:\n  - {at: 2m, scale: {deployment: web, replicas: 1}}\n";
    let yaml = scenario(
        9,
        "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: {lognormal: {median: 60s, p99: 150s}}\n",
        "",
        timeline,
    );
    let s = load_str(&yaml).unwrap();
    assert_eq!(simulate(&s).events.as_bytes(), simulate(&s).events.as_bytes());
}

#[test]
fn a_drained_node_is_deleted_only_once_its_pods_have_terminated() {
    // As in the budget test without a budget: the burst node's one pod moves to the worker.
    let timeline = "timeline:\n  - {at: 2m, scale: {deployment: web, replicas: 4}}\n";
    let pool = "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n";
    let yaml = scenario_with_worker("4", 5, pool, "", timeline)
        .replace("  podStartup: 1s\n", "  podStartup: 1s\n  clusterAutoscaler: {scaleDownUtilizationThreshold: 0.6}\n")
        .replace("image: web:1,", "image: web:1, lifecycle: {preStop: {sleep: {seconds: 22}}},");
    let (ev, summary) = run(&yaml);
    let drained: Vec<&Value> =
        of_kind(&ev, "pod_terminated").into_iter().filter(|e| e["reason"] == "drained").collect();
    assert_eq!(drained.len(), 1);
    let evicted = t(drained[0]);
    let deleted = ev.iter().find(|e| e["kind"] == "pod_deleted" && e["pod"] == drained[0]["pod"]).map(t);
    assert_eq!(deleted, Some(evicted + 22.0));
    let removed = of_kind(&ev, "node_removed");
    // Polled every 5 s from the eviction: the first poll after the deletion.
    assert_eq!(removed.iter().map(|e| t(e)).collect::<Vec<_>>(), [evicted + 25.0]);
    let node = drained[0]["node"].clone();
    assert!(
        of_kind(&ev, "pod_scheduled").iter().all(|e| e["node"] != node || t(e) < evicted),
        "ToBeDeletedByClusterAutoscaler:NoSchedule keeps new pods off the node meanwhile"
    );
    assert_eq!(summary["node_pools"]["burst"]["final_nodes"], 0);
}

#[test]
fn a_dead_node_goes_after_the_unready_time_and_its_pods_with_it() {
    let pool = "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n";
    let timeline = "timeline:\n  - {at: 5m, crashNode: burst-1}\n";
    let yaml = scenario(6, pool, "", timeline).replace("duration: 30m", "duration: 40m");
    let (ev, summary) = run(&yaml);
    let removed: Vec<&Value> = of_kind(&ev, "node_removed");
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["node"], "burst-1");
    // Not ready 50 s after the crash, pods evicted 300 s later and long terminating
    // 90 s after that (deletion + 2 x 30 s grace + 30 s); then 20 minutes unready.
    let at = t(removed[0]);
    assert!((300.0 + 50.0 + 300.0 + 90.0 + 1200.0..=300.0 + 60.0 + 300.0 + 90.0 + 1200.0 + 20.0).contains(&at), "{at}");
    let gone: Vec<&Value> = of_kind(&ev, "pod_deleted").into_iter().filter(|e| e["node"] == "burst-1").collect();
    assert_eq!(gone.len(), 2, "PodGC deletes the two pods left on the dead node");
    assert!(gone.iter().all(|e| t(e) == at), "{gone:?}");
    // Its pods were replaced on a new node meanwhile.
    assert_eq!(scaled(&ev, "scale_up").len(), 2);
    assert_eq!(summary["node_pools"]["burst"]["final_nodes"], 2);
    assert_eq!(summary["deployments"]["web"]["final_ready"], 6);
}

#[test]
fn max_nodes_total_counts_every_node_of_the_cluster() {
    let pool = "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n";
    let yaml = scenario(6, pool, "", "")
        .replace("  podStartup: 1s\n", "  podStartup: 1s\n  clusterAutoscaler: {maxNodesTotal: 2}\n");
    let (ev, summary) = run(&yaml);
    let up = scaled(&ev, "scale_up");
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0]["to"].as_i64(), Some(1), "the worker counts: one burst node makes two");
    assert_eq!(summary["node_pools"]["burst"]["max_nodes"], 1);
}

/// A DaemonSet of 500m on every node.
const AGENT_DS: &str = "  - inline: {apiVersion: apps/v1, kind: DaemonSet, metadata: {name: agent}, spec: {selector: {matchLabels: {app: agent}}, template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: a, image: agent:1, resources: {requests: {cpu: 500m, memory: 64Mi}}}]}}}}\n";

#[test]
fn a_daemon_set_takes_its_share_of_every_new_node() {
    // Upstream: simulator/node_info_utils.go (template nodes carry the DaemonSet pods that
    // would run there). With 500m of each 2-cpu node taken by the agent, one 1-cpu pod
    // fits a node: 4 pending pods need 4 nodes, not 2.
    let yaml = scenario(6, "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n", AGENT_DS, "");
    let (ev, _) = run(&yaml);
    let up = scaled(&ev, "scale_up");
    // The worker's two web pods are queued before its agent (same priority, FIFO), so 4
    // pend; with the agent's 500m on each new node only one fits a node.
    assert_eq!((up[0]["pods"].as_i64(), up[0]["to"].as_i64()), (Some(4), Some(4)), "{up:?}");
    let agents = of_kind(&ev, "pod_created").into_iter().filter(|e| e["owner"] == "agent").count();
    assert_eq!(agents, 5, "the worker and each new node run the agent");
    let web_placed =
        of_kind(&ev, "pod_scheduled").into_iter().filter(|e| e["pod"].as_str().unwrap().starts_with("web-")).count();
    assert_eq!(web_placed, 6, "every web pod runs once the nodes are in");
}

#[test]
fn a_node_running_only_daemon_pods_is_empty_for_scale_down() {
    // Without the web pods each new node runs only its agent (25% of its cpu): empty, so
    // removed, instead of a pod that "cannot move" (it is pinned to its node).
    let timeline = "timeline:\n  - {at: 2m, scale: {deployment: web, replicas: 0}}\n";
    let yaml = scenario(6, "      autoscaling: {min: 0, max: 10}\n      provisioningDelay: 60s\n", AGENT_DS, timeline);
    let (ev, summary) = run(&yaml);
    assert_eq!(summary["node_pools"]["burst"]["final_nodes"].as_i64(), Some(0), "the agent does not keep a node");
    assert!(!of_kind(&ev, "node_removed").is_empty());
}
