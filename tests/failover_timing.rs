//! Kubernetes' own timing for a dead node: Unknown one grace period (50 s since 1.32)
//! after the last heartbeat, within one monitor period (5 s); NoExecute taint then; pods
//! evicted 300 s (DefaultTolerationSeconds) after the taint; replacements scheduled at once.

mod common;
use common::*;

fn failover(extra_control_plane: &str, crash_at: &str) -> Vec<serde_json::Value> {
    let extra = format!(
        "controlPlane:\n  podStartup: 1s\n{extra_control_plane}timeline:\n  - {{at: {crash_at}, crashNode: worker-1}}\n"
    );
    let s = load_str(&basic_scenario(3, 3, "500m", &extra)).unwrap();
    events(&simulate(&s))
}

#[test]
fn dead_node_goes_not_ready_after_the_grace_period_and_pods_are_evicted_300s_later() {
    // Crash at 123 s: heartbeats are every 10 s from t=0, so the last one was at 120 s.
    let ev = failover("", "123s");
    let not_ready = of_kind(&ev, "node_not_ready");
    assert_eq!(not_ready.len(), 1);
    let t_not_ready = t(not_ready[0]);
    assert!(t_not_ready > 170.0 && t_not_ready <= 175.0, "not ready at {t_not_ready}");
    let no_execute = ev
        .iter()
        .find(|e| e["kind"] == "node_tainted" && e["taint"] == "node.kubernetes.io/unreachable:NoExecute")
        .unwrap();
    assert_eq!(t(no_execute), t_not_ready, "the first node of a zone is tainted at once (burst 1)");
    let evicted: Vec<_> = of_kind(&ev, "pod_terminated").into_iter().filter(|e| e["reason"] == "node_lost").collect();
    assert!(!evicted.is_empty());
    for e in &evicted {
        assert_eq!(t(e), t_not_ready + 300.0, "evicted 300 s after the taint");
        assert_eq!(e["node"], "worker-1");
    }
    let replacements: Vec<_> =
        of_kind(&ev, "pod_scheduled").into_iter().filter(|e| t(e) == t_not_ready + 300.0).collect();
    assert_eq!(replacements.len(), evicted.len());
    assert!(replacements.iter().all(|e| e["node"] != "worker-1"));
    // Pods on the dead node are marked not ready when the node is (they leave endpoints).
    assert!(of_kind(&ev, "pod_not_ready").iter().all(|e| t(e) == t_not_ready));
}

#[test]
fn grace_period_and_toleration_are_configurable() {
    let ev = failover(
        "  nodeMonitorGracePeriod: 40s\n  notReadyTolerationSeconds: 60\n  unreachableTolerationSeconds: 30\n",
        "100s",
    );
    let t_not_ready = t(of_kind(&ev, "node_not_ready")[0]);
    assert!(t_not_ready > 140.0 && t_not_ready <= 145.0, "{t_not_ready}");
    let evicted = of_kind(&ev, "pod_terminated");
    assert!(evicted.iter().all(|e| t(e) == t_not_ready + 30.0));
}

#[test]
fn a_node_that_recovers_before_the_toleration_keeps_its_pods() {
    let extra = "controlPlane:\n  podStartup: 1s\ntimeline:\n  - {at: 100s, crashNode: worker-1}\n  - {at: 200s, recoverNode: worker-1}\n";
    let s = load_str(&basic_scenario(3, 3, "500m", extra)).unwrap();
    let out = simulate(&s);
    let ev = events(&out);
    assert!(of_kind(&ev, "pod_terminated").is_empty(), "nothing evicted");
    assert_eq!(of_kind(&ev, "node_ready").len(), 1);
    let untaint = of_kind(&ev, "node_untainted");
    assert!(!untaint.is_empty() && untaint.iter().all(|e| t(e) >= 200.0 && t(e) <= 205.0));
    // The kubelet restarted the containers on the recovered node.
    let restarted = of_kind(&ev, "pod_running").into_iter().filter(|e| t(e) > 200.0).count();
    assert!(restarted > 0);
    assert_eq!(out.observations.ready["web"].last(), 3);
}

#[test]
fn zone_rate_limit_spaces_no_execute_taints_ten_seconds_apart() {
    let extra = "timeline:\n  - {at: 60s, crashNode: worker-1}\n  - {at: 60s, crashNode: worker-2}\n";
    let s = load_str(&basic_scenario(6, 3, "100m", extra)).unwrap();
    let ev = events(&simulate(&s));
    let taints: Vec<f64> = ev
        .iter()
        .filter(|e| e["kind"] == "node_tainted" && e["taint"] == "node.kubernetes.io/unreachable:NoExecute")
        .map(t)
        .collect();
    assert_eq!(taints.len(), 2);
    assert!((taints[1] - taints[0] - 10.0).abs() < 0.1 + 1e-9, "{taints:?}: 0.1 nodes/s per zone");
}

/// NoExecute taint times when `down` of `nodes` workers (one zone) crash at 60 s.
fn no_execute_taints(nodes: u32, down: u32) -> Vec<f64> {
    let crashes: String = (1..=down).map(|i| format!("  - {{at: 60s, crashNode: worker-{i}}}\n")).collect();
    let s = load_str(&basic_scenario(nodes, 1, "100m", &format!("timeline:\n{crashes}"))).unwrap();
    let ev = events(&simulate(&s));
    ev.iter()
        .filter(|e| e["kind"] == "node_tainted" && e["taint"] == "node.kubernetes.io/unreachable:NoExecute")
        .map(t)
        .collect()
}

#[test]
fn a_partially_disrupted_small_zone_gets_no_no_execute_taint() {
    // 6 of 10 nodes not Ready: PartialDisruption (>2 nodes and >= 55%). In a zone of at most
    // 50 nodes ReducedQPSFunc gives 0 and SwapLimiter(0) installs a limiter that never
    // accepts, so no node is tainted and nothing is evicted. 2 of 10 is Normal: tainted.
    // Upstream: pkg/controller/nodelifecycle/node_lifecycle_controller.go (handleDisruption,
    // setLimiterInZone, ReducedQPSFunc) and scheduler/rate_limited_queue.go (SwapLimiter).
    assert!(no_execute_taints(10, 6).is_empty());
    assert_eq!(no_execute_taints(10, 2).len(), 2);
}

#[test]
fn a_partially_disrupted_large_zone_is_tainted_at_the_secondary_rate() {
    // 40 of 60 nodes: more than largeClusterThreshold (50), so 0.01 nodes/s: one taint at
    // once (the new bucket starts full: the old one could accept), the next 100 s later.
    // Upstream: node_lifecycle_controller.go (ReducedQPSFunc, --secondary-node-eviction-rate).
    let taints = no_execute_taints(60, 40);
    assert!(taints.len() >= 2, "{taints:?}");
    assert!((taints[1] - taints[0] - 100.0).abs() < 0.1 + 1e-9, "{taints:?}");
}
