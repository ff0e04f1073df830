//! Traffic through the simulated cluster: endpoints follow readiness, a dead node's pods
//! lose requests until the node-lifecycle controller marks them not ready, every request
//! is accounted for, and the HPA scales on the CPU the served requests use.

mod common;
use clustersim::engine::Time;
use common::*;

fn shop(extra: &str, traffic: &str, serving_extra: &str) -> String {
    format!(
        r#"name: tw
duration: 10m
cluster:
  nodePools: [{{name: w, count: 3, capacity: {{cpu: "8", memory: 32Gi}}}}]
controlPlane: {{podStartup: 1s}}
manifests:
{web}  - inline: {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{selector: {{app: web}}}}}}
{extra}serving:
  web: {{concurrency: 4, serviceTime: {{exponential: 10ms}}, cpuPerRequest: 10ms, timeout: 1s{serving_extra}}}
traffic:
  - {{service: web, loadBalancing: roundRobin, rate: [{traffic}]}}
"#,
        web = deployment_manifest("web", 3, "", "{name: web, image: w, resources: {requests: {cpu: 500m}}}", ""),
    )
}

fn windows(out: &clustersim::world::RunOutput) -> Vec<(f64, u64, u64, u64)> {
    out.observations.traffic["web"]
        .iter()
        .map(|w| {
            (
                w.figures.to.as_secs_f64(),
                w.figures.counts.offered,
                w.figures.counts.served,
                w.figures.counts.dropped.pod_lost,
            )
        })
        .collect()
}

#[test]
fn requests_to_a_dead_node_are_lost_until_its_pods_leave_the_endpoints() {
    let yaml = shop("", "{at: 0s, rps: 300}", "") + "timeline:\n  - {at: 123s, crashNode: w-1}\n";
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let not_ready = t(of_kind(&ev, "node_not_ready")[0]);
    for (end, offered, served, lost) in windows(&out) {
        if end <= 120.0 || end > not_ready + 10.0 {
            assert_eq!(lost, 0, "window ending {end}: no loss outside the detection window");
        } else if end > 130.0 && end <= not_ready {
            // One pod of three is dead and still listed: about a third is lost.
            let share = lost as f64 / offered as f64;
            assert!((0.2..0.45).contains(&share), "window ending {end}: lost {lost} of {offered} (served {served})");
        }
    }
    let totals = &out.observations.traffic_totals["web"];
    let c = totals.counts;
    assert_eq!(c.offered, c.served + c.dropped.total() + totals.in_flight, "every request is accounted for");
    assert!(c.dropped.pod_lost > 0 && c.dropped.queue_full == 0);
}

#[test]
fn no_endpoints_until_the_first_pod_is_ready() {
    let yaml = shop("", "{at: 0s, rps: 100}", "");
    let out = simulate(&load_str(&yaml).unwrap());
    let first = &out.observations.traffic["web"][0].figures;
    assert!(first.counts.dropped.no_endpoints > 0 && first.counts.dropped.no_endpoints < 200, "{:?}", first.counts);
    assert_eq!(out.observations.traffic["web"][1].figures.counts.dropped.total(), 0);
}

#[test]
fn the_hpa_scales_out_on_the_cpu_served_requests_use_and_back_in_after_its_window() {
    let hpa = "  - inline: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: web}, spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 3, maxReplicas: 30, metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]}}\n";
    // 3 pods x 500m at 50% target hold 75 rps of 10 ms CPU; 60 rps idles at 40%, and
    // 600 rps (6 cores) needs 24 pods at 50% of 500m.
    let yaml = shop(
        hpa,
        "{at: 0s, rps: 60}, {at: 1m, rps: 60}, {at: 61s, rps: 600}, {at: 4m, rps: 600}, {at: 241s, rps: 60}",
        "",
    )
    .replace("duration: 10m", "duration: 12m");
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let scaled: Vec<(f64, i64, i64)> = of_kind(&ev, "deployment_scaled")
        .iter()
        .map(|e| (t(e), e["from"].as_i64().unwrap(), e["to"].as_i64().unwrap()))
        .collect();
    let up = scaled.iter().find(|(_, from, to)| to > from).expect("a scale-up");
    assert!(up.0 > 60.0 && up.0 <= 105.0, "scaled up within a few syncs of the surge: {scaled:?}");
    // Legacy normalization (no behavior): at most max(2 x current, 4) per sync.
    for (_, from, to) in &scaled {
        if to > from {
            assert!(*to <= (2 * from).max(4), "{scaled:?}");
        }
    }
    let peak = scaled.iter().map(|s| s.2).max().unwrap();
    assert!((23..=25).contains(&peak), "{scaled:?}");
    let down = scaled.iter().find(|(_, from, to)| to < from).expect("a scale-down");
    assert!(down.0 >= 240.0 + 300.0 - 15.0, "scale-down waits out the 5-minute stabilization window: {scaled:?}");
    assert_eq!(out.observations.desired["web"].at(Time::from_secs(700)), 3);
}

#[test]
fn set_metric_drives_the_hpa_without_traffic() {
    let hpa = "  - inline: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: web}, spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 3, maxReplicas: 20, behavior: {scaleUp: {policies: [{type: Pods, value: 2, periodSeconds: 60}]}}}}\n";
    let yaml = shop(hpa, "{at: 0s, rps: 0}", "").replace("duration: 10m", "duration: 5m")
        + "timeline:\n  - {at: 1m, setMetric: {deployment: web, cpuUtilization: \"160%\", for: 2m}}\n";
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let ups: Vec<(f64, i64)> = of_kind(&ev, "deployment_scaled")
        .iter()
        .filter(|e| e["to"].as_i64() > e["from"].as_i64())
        .map(|e| (t(e), e["to"].as_i64().unwrap()))
        .collect();
    // 160% / 80% target = 2x -> 6 pods, but the policy allows +2 pods per 60 s.
    assert_eq!(ups.first().map(|u| u.1), Some(5), "{ups:?}");
    assert!(ups.windows(2).all(|w| w[1].0 - w[0].0 >= 60.0), "{ups:?}");
}

/// A Deployment `web` (replicas, 500m, readiness after `ready_after` s) with an HPA
/// (min 1, target 50%, `behavior`) and no traffic at all; `extra` is appended.
fn hpa_without_traffic(replicas: u32, ready_after: u32, behavior: &str, extra: &str) -> clustersim::world::RunOutput {
    let web = deployment_manifest(
        "web",
        replicas,
        "",
        &format!("{{name: web, image: w, resources: {{requests: {{cpu: 500m}}}}, readinessProbe: {{initialDelaySeconds: {ready_after}, periodSeconds: 1}}}}"),
        "",
    );
    let yaml = format!(
        "name: idle\nduration: 15m\ncluster:\n  nodePools: [{{name: w, count: 2, capacity: {{cpu: \"8\", memory: 32Gi}}}}]\ncontrolPlane: {{podStartup: 1s}}\nmanifests:\n{web}  - inline: {{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {{name: web}}, spec: {{scaleTargetRef: {{kind: Deployment, name: web}}, minReplicas: 1, maxReplicas: 10, metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 50}}}}}}]{behavior}}}}}\n{extra}"
    );
    simulate(&load_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}")))
}

fn hpa_scalings(out: &clustersim::world::RunOutput) -> Vec<(f64, i64, i64)> {
    of_kind(&events(out), "deployment_scaled")
        .iter()
        .filter(|e| e["by"] == "hpa")
        .map(|e| (t(e), e["from"].as_i64().unwrap(), e["to"].as_i64().unwrap()))
        .collect()
}

#[test]
fn an_hpa_without_traffic_scales_down_to_min_once_set_metric_ends() {
    // metrics-server reports every running pod (an idle one near 0): once the setMetric
    // override ends the usage ratio is 0, so after the 300 s downscale window the HPA
    // goes to minReplicas instead of losing its metrics for good.
    // Upstream: pkg/controller/podautoscaler/replica_calculator.go (GetResourceReplicas, groupPods).
    let out = hpa_without_traffic(
        2,
        1,
        "",
        "timeline:\n  - {at: 30s, setMetric: {deployment: web, cpuUtilization: \"90%\", for: 2m}}\n",
    );
    let scaled = hpa_scalings(&out);
    let up = scaled.first().expect("a scale-up while the metric is high");
    assert_eq!((up.1, up.2), (2, 4), "ceil(90/50 x 2): {scaled:?}");
    let down = scaled.iter().find(|s| s.2 < s.1).unwrap_or_else(|| panic!("no scale-down: {scaled:?}"));
    assert_eq!(down.2, 1, "{scaled:?}");
    // The last high recommendation is at most 150 s; the window keeps it 300 s.
    assert!(down.0 > 150.0 + 285.0 && down.0 <= 150.0 + 300.0 + 15.0, "{scaled:?}");
}

#[test]
fn running_pods_that_are_not_ready_yet_are_unready_not_missing() {
    // Two pods ready at ~121 s, two more created at 60 s and ready at ~181 s. At the sync
    // after 121 s the ready pods idle at 0%: the unready ones are left out of a scale-down,
    // so the HPA (scaleDown window 0) goes straight to 1. Were they "missing", they would
    // count as 100% on a scale-down and hold the ratio at 1.0 (no change).
    // Upstream: replica_calculator.go (groupPods: a sample taken while not Ready within
    // cpuInitializationPeriod is unready; GetResourceReplicas: missing pods use max(100, target)%).
    let out = hpa_without_traffic(
        2,
        120,
        ", behavior: {scaleDown: {stabilizationWindowSeconds: 0}}",
        "timeline:\n  - {at: 60s, scale: {deployment: web, replicas: 4}}\n",
    );
    let scaled = hpa_scalings(&out);
    let down = scaled.first().unwrap_or_else(|| panic!("no scale-down: {scaled:?}"));
    assert_eq!((down.1, down.2), (4, 1), "{scaled:?}");
    assert!(down.0 > 121.0 && down.0 < 181.0, "before the late pods are ready: {scaled:?}");
}

#[test]
fn idle_cpu_is_settable_per_serving_entry() {
    // Idle pods at 300m of 500m (60%) against a 50% target: the HPA scales out.
    let yaml_extra = "serving:\n  web: {serviceTime: {exponential: 10ms}, idleCpu: 300m}\n";
    let out = hpa_without_traffic(2, 1, "", yaml_extra);
    let scaled = hpa_scalings(&out);
    assert_eq!(scaled.first().map(|s| (s.1, s.2)), Some((2, 3)), "ceil(60/50 x 2): {scaled:?}");
}
