//! Pods that do not fit stay pending with an upstream-style reason and are retried when
//! the cluster changes.

mod common;
use common::*;

#[test]
fn pods_that_do_not_fit_wait_with_a_reason_and_schedule_when_a_node_joins() {
    // Two 2-cpu nodes hold 2 pods of 1500m; the third waits until a node joins at 2m.
    let extra = "timeline:\n  - {at: 2m, join: {pool: worker, count: 1}}\nexpect:\n  - allPodsScheduled: {by: 2m}\n";
    let s = load_str(&basic_scenario(2, 3, "1500m", extra)).unwrap();
    let out = simulate(&s);
    let ev = events(&out);
    let unschedulable = of_kind(&ev, "pod_unschedulable");
    assert_eq!(unschedulable.len(), 1, "logged once, not on every retry");
    assert_eq!(unschedulable[0]["reason"], "0/2 nodes are available: 2 Insufficient cpu.");
    let pod = unschedulable[0]["pod"].as_str().unwrap();
    let scheduled = of_kind(&ev, "pod_scheduled").into_iter().find(|e| e["pod"] == pod).unwrap();
    assert_eq!(t(scheduled), 120.0);
    assert_eq!(scheduled["node"], "worker-3");
    let results = clustersim::report::evaluate(&s, &out);
    assert!(results[0].passed, "{results:?}");
}

#[test]
fn cordoned_and_tainted_nodes_get_no_new_pods() {
    let extra = "timeline:\n  - {at: 10s, cordon: worker-1}\n  - {at: 20s, scale: {deployment: web, replicas: 2}}\n";
    let mut yaml = basic_scenario(2, 1, "100m", extra);
    yaml = yaml.replace(
        "      capacity: {cpu: \"2\", memory: 4Gi, pods: 110}",
        "      capacity: {cpu: \"2\", memory: 4Gi, pods: 110}\n    - name: gpu\n      count: 1\n      capacity: {cpu: \"2\", memory: 4Gi}\n      taints: [{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}]",
    );
    let s = load_str(&yaml).unwrap();
    let ev = events(&simulate(&s));
    // The one running pod may sit on worker-1 or worker-2; cordon worker-1 and fill:
    for e in of_kind(&ev, "pod_scheduled") {
        assert_ne!(e["node"], "gpu-1", "untolerated NoSchedule taint");
        if t(e) > 10.0 {
            assert_ne!(e["node"], "worker-1", "cordoned");
        }
    }
}

#[test]
fn a_too_big_pod_explains_every_node() {
    let s = load_str(&basic_scenario(3, 1, "3", "")).unwrap();
    let ev = events(&simulate(&s));
    let u = of_kind(&ev, "pod_unschedulable");
    assert_eq!(u[0]["reason"], "0/3 nodes are available: 3 Insufficient cpu.");
}

#[test]
fn the_reason_counts_each_kind_of_failure() {
    let yaml = r#"name: reasons
duration: 1m
cluster:
  nodePools:
    - name: gpu
      count: 1
      capacity: {cpu: "2", memory: 4Gi}
      taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]
    - name: small
      count: 2
      capacity: {cpu: "1", memory: 4Gi}
timeline:
  - {at: 1s, cordon: small-2}
manifests:
  - inline:
      apiVersion: v1
      kind: Pod
      metadata: {name: big}
      spec:
        containers: [{name: c, image: x, resources: {requests: {cpu: 1500m}}}]
"#;
    let s = load_str(yaml).unwrap();
    let ev = events(&simulate(&s));
    assert_eq!(
        of_kind(&ev, "pod_unschedulable")[0]["reason"],
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu."
    );
}
