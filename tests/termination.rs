//! Graceful pod termination end to end: a deleted pod stays Terminating (out of the
//! endpoints, its requests on the node) through its preStop hook, SIGTERM and the app's
//! shutdown, capped by terminationGracePeriodSeconds, and is removed at `pod_deleted`.
//! Upstream: pkg/kubelet/kuberuntime/kuberuntime_container.go (killContainer).

mod common;
use common::*;
use serde_json::Value;

/// One node of `cpu` cpus; `web` has `replicas` pods of 1 cpu with `container_extra`
/// added to its container and `pod_extra` (12-space indented lines) to its pod spec.
fn scenario(
    cpu: &str,
    replicas: u32,
    deployment_spec: &str,
    container_extra: &str,
    pod_extra: &str,
    extra: &str,
) -> String {
    format!(
        r#"name: term
duration: 5m
cluster:
  masters: 1
  nodePools:
    - name: worker
      count: 1
      capacity: {{cpu: "{cpu}", memory: 16Gi, pods: 110}}
controlPlane:
  podStartup: 1s
{extra}manifests:
{web}"#,
        web = deployment_manifest(
            "web",
            replicas,
            deployment_spec,
            &format!(
                "{{name: web, image: web:1, resources: {{requests: {{cpu: \"1\", memory: 128Mi}}}}{container_extra}}}"
            ),
            pod_extra,
        ),
    )
}

fn run(yaml: &str) -> Vec<Value> {
    events(&simulate(&load_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))))
}

/// (time of pod_terminated, time of pod_deleted) of every pod terminated.
fn lifetimes(ev: &[Value]) -> Vec<(f64, f64)> {
    of_kind(ev, "pod_terminated")
        .into_iter()
        .map(|term| {
            let deleted = ev.iter().find(|e| e["kind"] == "pod_deleted" && e["pod"] == term["pod"]).expect("deleted");
            (t(term), t(deleted))
        })
        .collect()
}

const SCALE_DOWN_AT_60S: &str = "timeline:\n  - {at: 60s, scale: {deployment: web, replicas: 1}}\n";

fn scale_down_with(container_extra: &str, pod_extra: &str, shutdown: &str) -> Vec<(f64, f64)> {
    let control = format!("  podShutdown: {shutdown}\n{SCALE_DOWN_AT_60S}");
    lifetimes(&run(&scenario("8", 2, "", container_extra, pod_extra, &control)))
}

#[test]
fn without_a_hook_an_app_that_exits_at_once_is_deleted_at_once() {
    assert_eq!(scale_down_with("", "", "0s"), [(60.0, 60.0)]);
    assert_eq!(scale_down_with("", "", "4s"), [(60.0, 64.0)]);
}

#[test]
fn a_pre_stop_sleep_within_the_grace_period_delays_sigterm() {
    let exec = ", lifecycle: {preStop: {exec: {command: [sh, -c, \"sleep 5\"]}}}";
    assert_eq!(scale_down_with(exec, "", "0s"), [(60.0, 65.0)]);
    assert_eq!(scale_down_with(exec, "", "3s"), [(60.0, 68.0)]);
    let action = ", lifecycle: {preStop: {sleep: {seconds: 5}}}";
    assert_eq!(scale_down_with(action, "", "3s"), [(60.0, 68.0)]);
    // The app's shutdown is cut at the grace period left after the hook: 30 - 5 s.
    assert_eq!(scale_down_with(action, "", "1m"), [(60.0, 90.0)]);
}

#[test]
fn a_grace_period_shorter_than_the_hook_ends_it_and_kills_after_the_two_second_minimum() {
    let hook = ", lifecycle: {preStop: {exec: {command: [sleep, \"20\"]}}}";
    let grace = "            terminationGracePeriodSeconds: 10\n";
    // The hook is abandoned at 10 s, then SIGTERM with the 2 s minimum before SIGKILL.
    assert_eq!(scale_down_with(hook, grace, "1m"), [(60.0, 72.0)]);
    assert_eq!(scale_down_with(hook, grace, "1s"), [(60.0, 71.0)]);
    let zero = "            terminationGracePeriodSeconds: 0\n";
    assert_eq!(scale_down_with(hook, zero, "1m"), [(60.0, 60.0)], "grace 0: the API deletes at once");
}

#[test]
fn a_terminating_pod_holds_its_node_so_a_rolling_update_replacement_waits() {
    // Two 1-cpu pods fill the 2-cpu node; maxSurge 0 replaces one pod at a time.
    let strategy = "        strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n";
    let hook = ", lifecycle: {preStop: {sleep: {seconds: 20}}}";
    let timeline = "timeline:\n  - {at: 60s, setImage: {deployment: web, image: \"web:2\"}}\n";
    let ev = run(&scenario("2", 2, strategy, hook, "", timeline));
    let first_old = of_kind(&ev, "pod_terminated").into_iter().map(t).fold(f64::INFINITY, f64::min);
    assert_eq!(first_old, 60.0);
    let new_pods: Vec<&Value> = of_kind(&ev, "pod_created").into_iter().filter(|e| e["revision"] == 2).collect();
    assert_eq!(t(new_pods[0]), 60.0, "the replacement is created at once (the old pod is no longer active)");
    let scheduled = |pod: &Value| ev.iter().find(|e| e["kind"] == "pod_scheduled" && e["pod"] == *pod).map(t);
    assert_eq!(scheduled(&new_pods[0]["pod"]), Some(80.0), "but binds only when the old pod's cpu is free");
    assert!(
        of_kind(&ev, "pod_unschedulable").iter().any(|e| t(e) == 60.0 && e["pod"] == new_pods[0]["pod"]),
        "it waits as Insufficient cpu meanwhile"
    );
    assert!(of_kind(&ev, "rollout_completed").iter().any(|e| e["revision"] == 2));
}

#[test]
fn a_scale_down_replacement_is_created_at_once_and_deletion_frees_the_node() {
    let hook = ", lifecycle: {preStop: {sleep: {seconds: 15}}}";
    let timeline = "timeline:\n  - {at: 60s, deletePod: web}\n";
    let ev = run(&scenario("2", 2, "", hook, "", timeline));
    let created: Vec<f64> = of_kind(&ev, "pod_created").into_iter().map(t).filter(|at| *at > 0.0).collect();
    assert_eq!(created, [60.0]);
    let lives = lifetimes(&ev);
    assert_eq!(lives, [(60.0, 75.0)]);
    let replacement_bound = of_kind(&ev, "pod_scheduled").into_iter().map(t).fold(0.0, f64::max);
    assert_eq!(replacement_bound, 75.0, "the full node takes the replacement once the old pod is gone");
}

#[test]
fn drain_finishes_only_after_the_graceful_deletions() {
    let hook = ", lifecycle: {preStop: {sleep: {seconds: 10}}}";
    let extra = "timeline:\n  - {at: 30s, join: {pool: worker, count: 1}}\n  - {at: 60s, drain: worker-1}\n";
    let ev = run(&scenario("8", 3, "", hook, "", extra));
    let lives = lifetimes(&ev);
    assert_eq!(lives, [(60.0, 70.0); 3]);
    assert_eq!(of_kind(&ev, "node_drained").into_iter().map(t).collect::<Vec<_>>(), [70.0]);
    // Without the hook the deletion is immediate and kubectl sees it at its 1 s poll.
    let ev = run(&scenario("8", 3, "", "", "", extra));
    assert_eq!(of_kind(&ev, "node_drained").into_iter().map(t).collect::<Vec<_>>(), [61.0]);
}

/// Total requests lost to a stopped pod with one pod deleted at 60 s: 3 pods, 30 rps of
/// 3 s requests (about 30 in flight per pod).
fn lost_when_deleting(container_extra: &str, pod_extra: &str, shutdown: &str) -> (u64, u64) {
    let control = format!(
        "  podShutdown: {shutdown}\nserving:\n  web: {{concurrency: 100, serviceTime: {{constant: 3s}}, timeout: 10s}}\ntraffic:\n  - {{service: web, loadBalancing: roundRobin, rate: [{{at: 0s, rps: 30}}]}}\ntimeline:\n  - {{at: 60s, deletePod: web}}\n"
    );
    let service = "  - inline: {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}}}\n";
    let yaml = scenario("8", 3, "", container_extra, pod_extra, &control) + service;
    let out = simulate(&load_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}")));
    let c = out.observations.traffic_totals["web"].counts;
    assert_eq!(c.dropped.queue_full + c.dropped.timeout, 0, "{c:?}");
    (c.dropped.pod_lost, c.served)
}

#[test]
fn requests_in_flight_at_sigkill_are_lost_and_an_app_that_drains_in_time_loses_none() {
    // An app that exits at SIGTERM loses what it holds (as before graceful termination).
    let (lost, _) = lost_when_deleting("", "", "0s");
    assert!(lost > 10, "about 30 requests were in flight: {lost}");
    // Shutting down within the grace period: every request in flight finishes.
    let (lost, served) = lost_when_deleting("", "", "5s");
    assert_eq!(lost, 0);
    assert!(served > 8000);
    // So does a preStop sleep that outlasts the requests, with an app exiting at once.
    let (lost, _) = lost_when_deleting(", lifecycle: {preStop: {sleep: {seconds: 5}}}", "", "0s");
    assert_eq!(lost, 0);
    // A 1 s grace period (2 s minimum) SIGKILLs a slow shutdown: requests started in the
    // last second before the deletion are still in flight.
    let grace = "            terminationGracePeriodSeconds: 1\n";
    let (lost, _) = lost_when_deleting("", grace, "10s");
    assert!(lost > 3 && lost < 20, "{lost}");
}

#[test]
fn the_same_seed_gives_the_same_trace_with_a_drawn_shutdown() {
    let control = format!("  podShutdown: {{exponential: 3s}}\n{SCALE_DOWN_AT_60S}");
    let yaml = scenario("8", 3, "", ", lifecycle: {preStop: {sleep: {seconds: 2}}}", "", &control);
    let s = load_str(&yaml).unwrap();
    let (a, b) = (simulate(&s), simulate(&s));
    assert_eq!(a.events.as_bytes(), b.events.as_bytes());
    let lives = lifetimes(&events(&a));
    assert!(lives.iter().all(|(from, to)| *to >= from + 2.0 && *to <= from + 30.0), "{lives:?}");
}

#[test]
fn a_kubelet_cut_off_mid_termination_stops_the_pod_and_deletes_it_on_reconnect() {
    let hook = ", lifecycle: {preStop: {sleep: {seconds: 30}}}";
    let control = format!("{SCALE_DOWN_AT_60S}  - {{at: 65s, partitionNode: {{node: worker-1, for: 60s}}}}\n");
    let ev = run(&scenario("8", 2, "", hook, "", &control));
    // The container exits at 90 s, but the kubelet can post the deletion only at 125 s.
    assert_eq!(lifetimes(&ev), [(60.0, 125.0)]);
    assert!(of_kind(&ev, "pod_killed").is_empty(), "nothing was left running to kill");
    // A host that dies mid-termination takes the containers; the object goes when it is back.
    let control =
        format!("{SCALE_DOWN_AT_60S}  - {{at: 65s, crashNode: worker-1}}\n  - {{at: 200s, recoverNode: worker-1}}\n");
    let ev = run(&scenario("8", 2, "", hook, "", &control));
    assert_eq!(lifetimes(&ev), [(60.0, 200.0)]);
}
