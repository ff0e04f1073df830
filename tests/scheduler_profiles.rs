//! KubeSchedulerConfiguration profiles: `enabled`/`disabled` at every extension point the
//! simulator models (preFilter, filter, postFilter, preScore, score), with `"*"` dropping a
//! point's defaults. Upstream: pkg/scheduler/apis/config/v1/default_plugins.go
//! (mergePluginSet) and pkg/scheduler/framework/runtime/framework.go (expandMultiPointPlugins).

mod common;
use common::*;

/// Two 2-cpu workers (worker-1 cordoned at 1 s), a Deployment of `replicas` x 500m
/// created at 5 s, and `profile` under `controlPlane.scheduler`.
fn scenario(profile: &str, replicas: u32) -> String {
    format!(
        r#"name: profiles
duration: 2m
cluster:
  nodePools:
    - {{name: worker, count: 2, capacity: {{cpu: "2", memory: 8Gi}}}}
controlPlane:
  podStartup: 1s
  scheduler:
    percentageOfNodesToScore: 100
{profile}
timeline:
  - {{at: 1s, cordon: worker-1}}
  - {{at: 5s, scale: {{deployment: web, replicas: {replicas}}}}}
manifests:
  - inline: {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: high}}, value: 1000}}
  - inline: {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: web}}, spec: {{replicas: 0, selector: {{matchLabels: {{app: web}}}}, template: {{metadata: {{labels: {{app: web}}}}, spec: {{containers: [{{name: c, image: x, resources: {{requests: {{cpu: 500m, memory: 100Mi}}}}}}]}}}}}}}}
"#
    )
}

/// The peer workload's profile (tools/peer_workload.py ... fit): NodeResourcesFit alone.
const FIT_ONLY: &str = r#"    profile:
      plugins:
        preFilter: {disabled: [{name: "*"}], enabled: [{name: NodeResourcesFit}]}
        filter: {disabled: [{name: "*"}], enabled: [{name: NodeResourcesFit}]}
        preScore: {disabled: [{name: "*"}]}
        score: {disabled: [{name: "*"}], enabled: [{name: NodeResourcesFit, weight: 1}]}"#;

#[test]
fn star_at_every_extension_point_leaves_only_the_enabled_plugins() {
    let s = load_str(&scenario(FIT_ONLY, 4)).unwrap();
    let out = clustersim::world::run(&s, clustersim::world::RunOptions { explain: true, check_invariants: true })
        .expect("run");
    let ev = events(&out);
    let scheduled = of_kind(&ev, "pod_scheduled");
    assert_eq!(scheduled.len(), 4);
    // Without NodeUnschedulable at Filter the cordoned node is a candidate, as upstream.
    assert!(scheduled.iter().any(|e| e["node"] == "worker-1"), "{scheduled:?}");
    for e in &scheduled {
        for row in e["scores"].as_object().unwrap().values() {
            let plugins: Vec<&String> = row.as_object().unwrap().keys().collect();
            assert_eq!(plugins, ["NodeResourcesFit", "total"], "{e}");
        }
    }
    // The default profile keeps the cordoned node out.
    let s = load_str(&scenario("", 4)).unwrap();
    let ev = events(&simulate(&s));
    assert!(of_kind(&ev, "pod_scheduled").iter().all(|e| e["node"] == "worker-2"));
}

#[test]
fn post_filter_star_turns_preemption_off() {
    let profile = r#"    profile:
      plugins:
        postFilter: {disabled: [{name: "*"}]}"#;
    const VIP: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: vip}\nspec:\n  priorityClassName: high\n  containers: [{name: c, image: x, resources: {requests: {cpu: 1500m}}}]\n";
    let run = |p: &str| {
        let yaml = scenario(p, 4).replace("manifests:", "  - {at: 20s, apply: {file: vip.yaml}}\nmanifests:");
        events(&simulate(&load_files(&[("scenario.yaml", &yaml), ("vip.yaml", VIP)]).unwrap()))
    };
    let ev = run("");
    assert_eq!(of_kind(&ev, "pod_preempting").len(), 1, "the default profile preempts for vip");
    let ev = run(profile);
    assert!(of_kind(&ev, "pod_preempting").is_empty());
    assert!(of_kind(&ev, "pod_unschedulable").iter().any(|e| e["pod"] == "vip"));
}

#[test]
fn a_profile_upstream_would_fail_every_pod_with_is_refused_where_it_is_written() {
    let bad = r#"    profile:
      plugins:
        preFilter: {disabled: [{name: "*"}]}"#;
    let err = load_str(&scenario(bad, 1)).unwrap_err();
    assert!(err.message.contains("NodeResourcesFit runs at filter without its preFilter"), "{err}");
    assert_eq!((err.span.line, err.span.col), (12, 20), "{err}");
    assert!(err.hint.unwrap().contains("preFilter: {enabled: [{name: NodeResourcesFit}]}"));
    let wrong_point = r#"    profile:
      plugins:
        preFilter: {enabled: [{name: TaintToleration}]}"#;
    let err = load_str(&scenario(wrong_point, 1)).unwrap_err();
    assert!(err.message.contains("plugin \"TaintToleration\" does not extend preFilter"), "{err}");
    assert!(err.hint.unwrap().contains("NodeResourcesFit"), "lists the preFilter plugins");
}

#[test]
fn the_peer_workload_generator_output_runs() {
    // /work/shared/tools/peer_workload.py 50 500 fit, inlined: 50 nodes, 500 pods.
    let mut yaml = String::from(
        "name: peer-n50-p500\nseed: 123\nduration: 10m\ncluster:\n  masters: 1\n  nodePools:\n    - {name: node, count: 50, capacity: {cpu: \"4\", memory: 16Gi, pods: 110}}\ncontrolPlane:\n  podStartup: 2s\n  scheduler:\n    percentageOfNodesToScore: 100\n",
    );
    yaml.push_str(FIT_ONLY);
    yaml.push_str("\nmanifests:\n");
    let (cpus, rams) = (["100m", "200m", "250m", "500m"], ["256Mi", "512Mi", "1Gi", "2Gi"]);
    for i in 0..16 {
        yaml.push_str(&format!(
            "  - inline: {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d{i}}}, spec: {{replicas: {}, selector: {{matchLabels: {{app: d{i}}}}}, template: {{metadata: {{labels: {{app: d{i}}}}}, spec: {{containers: [{{name: c, image: x, resources: {{requests: {{cpu: {}, memory: {}}}}}}}]}}}}}}}}\n",
            500 / 16 + usize::from(i < 500 % 16),
            cpus[i % 4],
            rams[i / 4]
        ));
    }
    yaml.push_str("expect:\n  - allPodsScheduled: {by: 1m}\n");
    let out = simulate(&load_str(&yaml).unwrap());
    assert_eq!(of_kind(&events(&out), "pod_scheduled").len(), 500);
}
