//! PodTopologySpread's system-default constraints do not require their topology keys:
//! feasible nodes without a zone label form the zone domain "", which counts in the zone
//! weight `ln(domains + 2)` (they score no zone term themselves).
//! Upstream: pkg/scheduler/framework/plugins/podtopologyspread/scoring.go (initPreScoreState,
//! requireAllTopologies = false for system defaults).

mod common;
use common::*;

#[test]
fn nodes_without_a_zone_count_as_one_more_zone_for_system_defaults() {
    let web = |name: &str, node: &str| {
        format!("  - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, labels: {{app: web}}}}, spec: {{nodeName: {node}, containers: [{{name: c, image: x, resources: {{requests: {{cpu: 100m}}}}}}]}}}}\n")
    };
    let probe = "apiVersion: v1\nkind: Pod\nmetadata: {name: probe, labels: {app: web}}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {cpu: 100m}}}]\n";
    let yaml = format!(
        "name: spread\nduration: 1m\ncluster:\n  nodePools:\n    - {{name: m, count: 2, capacity: {{cpu: \"8\", memory: 8Gi}}, labels: {{topology.kubernetes.io/zone: mars}}}}\n    - {{name: n, count: 1, capacity: {{cpu: \"8\", memory: 8Gi}}}}\ncontrolPlane:\n  podStartup: 1s\ntimeline:\n  - {{at: 10s, apply: {{file: probe.yaml}}}}\nmanifests:\n  - inline: {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{selector: {{app: web}}}}}}\n{}{}{}{}",
        web("w1", "m-1"),
        web("w2", "m-1"),
        web("w3", "m-2"),
        web("w4", "m-2")
    );
    let s = load_files(&[("scenario.yaml", &yaml), ("probe.yaml", probe)]).unwrap();
    let out = clustersim::world::run(&s, clustersim::world::RunOptions { explain: true, check_invariants: true })
        .expect("run");
    let ev = events(&out);
    let scheduled = of_kind(&ev, "pod_scheduled");
    let probe = scheduled.iter().find(|e| e["pod"] == "probe").expect("probe scheduled");
    let pts = |node: &str| probe["scores"][node]["PodTopologySpread"].as_i64().unwrap();
    // Hostname weight ln(3 + 2); zone weight ln(2 + 2) over {mars, ""}:
    // m-*: round(2 ln5 + 2 + 4 ln4 + 4) = 15, n-1: 2 (no zone term);
    // normalized 100 (15 + 2 - s) / 15: m-* 13, n-1 100; PodTopologySpread weight 2.
    // (Without the "" domain the zone weight is ln3: raw 14, normalized 14 -> 28.)
    assert_eq!((pts("m-1"), pts("m-2"), pts("n-1")), (26, 26, 200), "{probe}");
    assert_eq!(probe["node"], "n-1");
}
