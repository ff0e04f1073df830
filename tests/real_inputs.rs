//! Real inputs load as they come: `kubectl get -o yaml` Lists, rendered charts with RBAC
//! and custom resources, limits without requests, the labels every kubelet sets, and
//! extended resources such as GPUs. Fixtures in tests/fixtures/real were written for these
//! tests in the shape of real charts and kubectl output.

mod common;
use clustersim::scenario::{load_scenario, Diagnostic, Loaded, Object};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real").join(name)
}

/// A scenario with one pool of `pool` (a flow map of its keys past the name) and the
/// given manifest files (fixtures) and extra text (inline manifests, timeline, expect).
fn scenario_with(pool: &str, files: &[&str], extra: &str) -> String {
    let manifests: String = files.iter().map(|f| format!("  - file: {}\n", fixture(f).display())).collect();
    format!(
        "name: real\nduration: 5m\ncluster:\n  masters: 1\n  nodePools:\n    - {{name: worker, {pool}}}\nmanifests:\n{manifests}{extra}"
    )
}

fn load_text(text: &str) -> Result<Loaded, Diagnostic> {
    let dir = common::scratch("real");
    std::fs::write(dir.join("scenario.yaml"), text).unwrap();
    load_scenario(&dir.join("scenario.yaml"), &[])
}

fn messages(loaded: &Loaded) -> Vec<String> {
    loaded.warnings.0.iter().map(|w| w.render("warning")).collect()
}

const POOL: &str = "count: 3, capacity: {cpu: \"4\", memory: 16Gi}";

#[test]
fn kubectl_get_lists_load_item_by_item() {
    let loaded = load_text(&scenario_with(POOL, &["kubectl-get-all.yaml"], "")).unwrap();
    let kinds: Vec<&str> =
        loaded.scenario.objects.iter().map(|o| clustersim::scenario::object_kind_name(o).0).collect();
    assert_eq!(kinds, ["Deployment", "Service"], "ConfigMaps and ServiceAccounts are skipped");
    let Object::Deployment(d) = &loaded.scenario.objects[0] else { unreachable!() };
    assert_eq!((d.name.as_str(), d.replicas), ("checkout", 3));
    let w = messages(&loaded);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("skipped 2 ConfigMap, 2 ServiceAccount (not modelled"), "{w:?}");
    // At the kind of the first skipped object, the third item (kube-root-ca.crt).
    assert!(w[0].contains(&format!("{}:141:9:", fixture("kubectl-get-all.yaml").display())), "{w:?}");
}

#[test]
fn typed_lists_from_the_api_give_their_items_a_kind() {
    let loaded = load_text(&scenario_with(POOL, &["raw-typed-lists.yaml"], "")).unwrap();
    let names: Vec<&str> =
        loaded.scenario.objects.iter().map(|o| clustersim::scenario::object_kind_name(o).1).collect();
    assert_eq!(names, ["cart", "cart-worker"]);
    assert!(messages(&loaded)[0].contains("skipped 1 ConfigMap"), "{:?}", messages(&loaded));
}

#[test]
fn an_error_in_a_list_item_points_at_that_item() {
    let dir = common::scratch("real-list-error");
    let list = std::fs::read_to_string(fixture("kubectl-get-all.yaml")).unwrap();
    // The Service of the list (its item starts at line 104) loses its name.
    let broken = list.replacen(
        "    name: checkout\n    namespace: default\n    resourceVersion: \"48209911\"",
        "    namespace: default\n    resourceVersion: \"48209911\"",
        1,
    );
    assert_ne!(broken, list);
    std::fs::write(dir.join("list.yaml"), broken).unwrap();
    std::fs::write(
        dir.join("scenario.yaml"),
        format!(
            "name: real\nduration: 5m\ncluster:\n  nodePools: [{{{POOL_NAMED}}}]\nmanifests:\n  - file: list.yaml\n"
        ),
    )
    .unwrap();
    let err = load_scenario(&dir.join("scenario.yaml"), &[]).err().unwrap();
    assert!(err.file.ends_with("list.yaml"), "{err}");
    assert_eq!(err.span.line, 107, "the Service item's metadata (line 106): {err}");
    assert!(err.message.contains("missing the required field `name`"), "{err}");
}

const POOL_NAMED: &str = "name: worker, count: 3, capacity: {cpu: \"4\", memory: 16Gi}";

#[test]
fn nested_lists_are_refused_with_the_inner_list_located() {
    let text = scenario_with(
        POOL,
        &[],
        "  - inline:\n      apiVersion: v1\n      kind: List\n      items:\n        - apiVersion: v1\n          kind: ServiceList\n          items: []\n",
    );
    let err = load_text(&text).err().unwrap();
    assert_eq!(err.span.line, 12, "{err}");
    assert!(err.message.contains("a ServiceList inside a List is not valid Kubernetes"), "{err}");
    assert!(err.hint.unwrap().contains("outer list"));
}

#[test]
fn a_rendered_chart_loads_with_one_warning_for_everything_skipped() {
    let loaded = load_text(&scenario_with(POOL, &["metrics-agent-chart.yaml", "monitoring-stack.yaml"], "")).unwrap();
    let kinds: Vec<&str> =
        loaded.scenario.objects.iter().map(|o| clustersim::scenario::object_kind_name(o).0).collect();
    assert_eq!(
        kinds,
        ["Service", "Deployment", "PodDisruptionBudget", "Namespace"],
        "a Namespace is read (its labels feed namespaceSelector)"
    );
    let w = messages(&loaded);
    assert_eq!(w.len(), 1, "one line for every skipped kind: {w:?}");
    assert!(
        w[0].contains(
            "skipped 2 ClusterRole, 2 ClusterRoleBinding, 2 ServiceMonitor, 1 APIService, 1 CustomResourceDefinition, \
             1 NetworkPolicy, 1 PrometheusRule, 1 Role, 1 RoleBinding, 1 Secret, 1 ServiceAccount \
             (not modelled: they do not change placement, timing or traffic)"
        ),
        "{w:?}"
    );
    // At the first skipped object: the ServiceAccount's kind, line 6 of the chart.
    assert!(w[0].starts_with(&format!("{}:6:7: warning:", fixture("metrics-agent-chart.yaml").display())), "{w:?}");
}

#[test]
fn future_workload_kinds_are_still_named_one_by_one() {
    let text = scenario_with(
        POOL,
        &[],
        "  - inline: {apiVersion: v1, kind: ReplicationController, metadata: {name: node-agent}, spec: {}}\n  - inline: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n",
    );
    let loaded = load_text(&text).unwrap();
    let w = messages(&loaded);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("skipping ReplicationController \"node-agent\": this kind is not modelled"), "{w:?}");
    assert!(w[1].contains("skipped 1 ConfigMap"), "{w:?}");
}

#[test]
fn limits_without_requests_set_the_requests_the_scheduler_counts() {
    let loaded = load_text(&scenario_with(POOL, &["limits-only.yaml"], "")).unwrap();
    let Object::Deployment(d) = &loaded.scenario.objects[0] else { unreachable!() };
    let spec = &d.template.spec;
    let requests: Vec<(Option<i64>, Option<i64>)> =
        spec.containers.iter().map(|c| (c.cpu_request_millis, c.memory_request_bytes)).collect();
    assert_eq!(requests, [(Some(3000), Some(6 << 30)), (Some(50), Some(64 << 20))], "per resource: cpu 50m stays");
    assert_eq!(spec.init_containers[0].cpu_request_millis, Some(500), "init containers default too");
    assert!(messages(&loaded).is_empty(), "{:?}", messages(&loaded));
    // 3.05 cpu per pod on 4-cpu nodes: one pod per node, the fourth waits.
    let out = common::simulate(&loaded.scenario);
    let events = common::events(&out);
    let nodes: std::collections::BTreeSet<String> =
        common::of_kind(&events, "pod_scheduled").iter().map(|e| e["node"].as_str().unwrap().to_string()).collect();
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    let pending = common::of_kind(&events, "pod_unschedulable");
    assert_eq!(pending[0]["reason"], "0/3 nodes are available: 3 Insufficient cpu.");
}

#[test]
fn a_request_above_its_limit_is_refused_at_the_request() {
    let err = load_text(&scenario_with(POOL, &["request-above-limit.yaml"], "")).err().unwrap();
    let rendered = err.to_string();
    assert!(
        rendered.starts_with(&format!(
            "{}:18:20: error: cpu request \"2\" must be less than or equal to the cpu limit \"1\"",
            fixture("request-above-limit.yaml").display()
        )),
        "{rendered}"
    );
    assert!(rendered.contains("hint: the API server refuses a request above its limit"), "{rendered}");
}

#[test]
fn charts_selecting_linux_nodes_schedule_on_pool_and_autoscaled_nodes() {
    // Two fixed nodes and an empty autoscaled pool: the chart's 2 replicas need no scale-up,
    // a third Deployment selecting linux/amd64 nodes does, and the pool's template carries the labels.
    let text = format!(
        "name: real\nduration: 10m\ncluster:\n  masters: 1\n  nodePools:\n    - {{name: worker, count: 2, capacity: {{cpu: \"1\", memory: 4Gi}}}}\n    - {{name: burst, count: 0, capacity: {{cpu: \"4\", memory: 16Gi}}, autoscaling: {{min: 0, max: 3}}, provisioningDelay: 30s}}\nmanifests:\n  - file: {}\n{}",
        fixture("metrics-agent-chart.yaml").display(),
        common::deployment_manifest(
            "batch",
            2,
            "",
            "{name: b, image: b, resources: {requests: {cpu: \"2\", memory: 1Gi}}}",
            "            nodeSelector: {kubernetes.io/os: linux, kubernetes.io/arch: amd64}\n"
        )
    );
    let loaded = load_text(&text).unwrap();
    let out = common::simulate(&loaded.scenario);
    let events = common::events(&out);
    let scheduled = common::of_kind(&events, "pod_scheduled");
    let on = |prefix: &str| scheduled.iter().filter(|e| e["pod"].as_str().unwrap().starts_with(prefix)).count();
    assert_eq!(on("metrics-agent-"), 2, "{scheduled:?}");
    assert_eq!(on("batch-"), 2, "{scheduled:?}");
    assert!(scheduled
        .iter()
        .filter(|e| e["pod"].as_str().unwrap().starts_with("batch-"))
        .all(|e| e["node"].as_str().unwrap().starts_with("burst-")));
    let scaled = common::of_kind(&events, "node_group_scaled");
    assert_eq!(scaled[0]["pool"], "burst", "{scaled:?}");
}

#[test]
fn a_pools_own_well_known_labels_win() {
    let text = scenario_with(
        "count: 2, capacity: {cpu: \"4\", memory: 16Gi}, labels: {kubernetes.io/arch: arm64}",
        &[],
        &common::deployment_manifest(
            "web",
            1,
            "",
            "{name: w, image: w}",
            "            nodeSelector: {kubernetes.io/arch: amd64}\n",
        ),
    );
    let out = common::simulate(&load_text(&text).unwrap().scenario);
    let events = common::events(&out);
    assert!(common::of_kind(&events, "pod_scheduled").is_empty());
    assert_eq!(
        common::of_kind(&events, "pod_unschedulable")[0]["reason"],
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    );
}

#[test]
fn node_manifests_get_the_kubelets_labels_under_their_own() {
    // As `kubectl get node -o yaml` shows a node whose hostname label differs from its name.
    let text = "name: real\nduration: 5m\ncluster:\n  masters: 1\nmanifests:\n  - inline:\n      apiVersion: v1\n      kind: Node\n      metadata:\n        name: ip-10-0-1-7.ec2.internal\n        labels: {kubernetes.io/hostname: ip-10-0-1-7, node.kubernetes.io/instance-type: m6i.xlarge}\n      status: {allocatable: {cpu: \"4\", memory: 16Gi, pods: \"110\"}}\n".to_string()
        + &common::deployment_manifest(
            "web",
            1,
            "",
            "{name: w, image: w}",
            "            nodeSelector: {kubernetes.io/os: linux, kubernetes.io/hostname: ip-10-0-1-7}\n",
        );
    let out = common::simulate(&load_text(&text).unwrap().scenario);
    let events = common::events(&out);
    assert_eq!(common::of_kind(&events, "pod_scheduled")[0]["node"], "ip-10-0-1-7.ec2.internal");
}

fn reasons(events: &[serde_json::Value], prefix: &str) -> Vec<String> {
    common::of_kind(events, "pod_unschedulable")
        .iter()
        .filter(|e| e["pod"].as_str().unwrap().starts_with(prefix))
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect()
}

fn nodes_of(events: &[serde_json::Value], prefix: &str) -> Vec<String> {
    common::of_kind(events, "pod_scheduled")
        .iter()
        .filter(|e| e["pod"].as_str().unwrap().starts_with(prefix))
        .map(|e| e["node"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn gpu_pods_go_to_gpu_nodes_from_kubectl_get_nodes() {
    let loaded = load_text(&format!(
        "name: real\nduration: 5m\ncluster:\n  masters: 1\nmanifests:\n  - file: {}\n  - file: {}\n",
        fixture("kubectl-get-nodes.yaml").display(),
        fixture("gpu-workloads.yaml").display()
    ))
    .unwrap();
    assert!(messages(&loaded).is_empty(), "{:?}", messages(&loaded));
    assert_eq!(loaded.scenario.scalar_names.names(), ["ephemeral-storage", "nvidia.com/gpu"], "zero hugepages unnamed");
    let events = common::events(&common::simulate(&loaded.scenario));
    let gpu = "ip-10-0-40-7.eu-west-1.compute.internal";
    assert_eq!(nodes_of(&events, "trainer-"), [gpu, gpu], "two GPUs, two trainers");
    assert!(nodes_of(&events, "api-").iter().all(|n| n != gpu), "the API does not tolerate the GPU taint");
    assert_eq!(reasons(&events, "trainer-")[0], "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.");
}

#[test]
fn gpu_pools_take_gpu_pods_and_scale_up_alone() {
    let text = format!(
        "name: real\nduration: 10m\ncluster:\n  masters: 1\n  nodePools:\n    - {{name: cpu, count: 1, capacity: {{cpu: \"16\", memory: 64Gi, ephemeral-storage: 200Gi}}, autoscaling: {{min: 1, max: 5}}, provisioningDelay: 30s}}\n    - {{name: gpu, count: 0, capacity: {{cpu: \"8\", memory: 32Gi, ephemeral-storage: 200Gi, nvidia.com/gpu: 1}}, autoscaling: {{min: 0, max: 4}}, provisioningDelay: 60s}}\nmanifests:\n  - file: {}\n",
        fixture("gpu-workloads.yaml").display()
    );
    let loaded = load_text(&text).unwrap();
    let events = common::events(&common::simulate(&loaded.scenario));
    let scaled = common::of_kind(&events, "node_group_scaled");
    assert_eq!(scaled.len(), 1, "{scaled:?}");
    assert_eq!((scaled[0]["pool"].as_str(), scaled[0]["to"].as_i64()), (Some("gpu"), Some(3)), "{scaled:?}");
    let mut trainers = nodes_of(&events, "trainer-");
    trainers.sort();
    assert_eq!(trainers, ["gpu-1", "gpu-2", "gpu-3"]);
    assert_eq!(nodes_of(&events, "api-"), ["cpu-1", "cpu-1"]);
    assert_eq!(reasons(&events, "trainer-")[0], "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.");
}

#[test]
fn pods_requesting_what_no_node_offers_are_warned_about_and_wait() {
    let loaded = load_text(&scenario_with(POOL, &["gpu-workloads.yaml"], "")).unwrap();
    let w = messages(&loaded);
    assert_eq!(w.len(), 2, "{w:?}");
    // At the first request of each: the trainer's ephemeral-storage (line 32), then its GPU (line 35).
    let file = fixture("gpu-workloads.yaml").display().to_string();
    assert!(
        w[0].starts_with(&format!("{file}:32:34: warning: pods request ephemeral-storage but no node pool")),
        "{w:?}"
    );
    assert!(w[0].contains("hint: a kubelet reports its disk as ephemeral-storage"), "{w:?}");
    assert!(w[1].starts_with(&format!("{file}:35:31: warning: pods request nvidia.com/gpu but no node pool")), "{w:?}");
    let events = common::events(&common::simulate(&loaded.scenario));
    assert_eq!(
        reasons(&events, "trainer-")[0],
        "0/3 nodes are available: 3 Insufficient ephemeral-storage, 3 Insufficient nvidia.com/gpu."
    );
    assert_eq!(nodes_of(&events, "api-").len(), 2, "the rest of the chart runs");
}

#[test]
fn fractional_gpus_are_refused_at_the_value() {
    let err = load_text(&scenario_with(POOL, &["fractional-gpu.yaml"], "")).err().unwrap().to_string();
    assert!(
        err.starts_with(&format!(
            "{}:13:27: error: nvidia.com/gpu limit 0.5 must be an integer",
            fixture("fractional-gpu.yaml").display()
        )),
        "{err}"
    );
    assert!(err.contains("hint: extended resources are counted in whole units"), "{err}");
}

#[test]
fn a_node_name_pod_without_its_gpu_is_refused_by_the_kubelet() {
    let text = scenario_with(
        POOL,
        &[],
        "  - inline:\n      apiVersion: v1\n      kind: Pod\n      metadata: {name: pinned}\n      spec:\n        nodeName: worker-1\n        containers: [{name: c, image: c, resources: {limits: {nvidia.com/gpu: 1}}}]\n",
    );
    let loaded = load_text(&text).unwrap();
    let events = common::events(&common::simulate(&loaded.scenario));
    let failed = common::of_kind(&events, "pod_failed");
    assert_eq!(failed[0]["reason"], "OutOfnvidia.com/gpu");
    assert_eq!(
        failed[0]["message"],
        "Pod was rejected: Node didn't have enough resource: nvidia.com/gpu, requested: 1, used: 0, capacity: 0"
    );
}

#[test]
fn more_scalar_resources_than_a_run_holds_are_refused_with_the_list() {
    let caps: String = (1..17).map(|i| format!(", example.com/r{i}: 1")).collect();
    let text = format!(
        "name: real\nduration: 5m\ncluster:\n  nodePools:\n    - {{name: w, count: 1, capacity: {{cpu: \"4\", memory: 8Gi{caps}}}}}\n"
    );
    let err = load_text(&text).err().unwrap();
    assert!(
        err.message.contains("\"example.com/r16\" is one scalar resource too many: a run holds at most 16"),
        "{err}"
    );
    assert!(err.hint.unwrap().contains("ephemeral-storage, example.com/r1, "));
}
