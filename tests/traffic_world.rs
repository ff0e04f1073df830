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
