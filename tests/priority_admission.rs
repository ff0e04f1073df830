//! The Priority admission plugin on every pod create: a pod gets its PriorityClass's value,
//! else the global default class's as it is when the pod is created, else 0 — for pods of
//! objects applied later and for every controller-created pod.
//! Upstream: plugin/pkg/admission/priority/admission.go (admitPod, getDefaultPriority).

mod common;
use common::*;

/// One 2-cpu worker filled at t=0 by four 500m `filler` pods (no class); `files` are
/// applied at 10 s, one `apply` each.
fn run(files: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let applies: String = files.iter().map(|(f, _)| format!("  - {{at: 10s, apply: {{file: {f}}}}}\n")).collect();
    let yaml = format!(
        "name: prio\nduration: 1m\ncluster:\n  nodePools:\n    - {{name: worker, count: 1, capacity: {{cpu: \"2\", memory: 8Gi}}}}\ncontrolPlane:\n  podStartup: 1s\ntimeline:\n{applies}manifests:\n{}",
        deployment_manifest(
            "filler",
            4,
            "",
            "{name: c, image: x, resources: {requests: {cpu: 500m, memory: 100Mi}}}",
            ""
        )
    );
    let mut all = vec![("scenario.yaml", yaml.as_str())];
    all.extend_from_slice(files);
    events(&simulate(&load_files(&all).unwrap_or_else(|e| panic!("{e}"))))
}

const LATE_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: late}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {cpu: 1000m}}}]\n";

#[test]
fn a_global_default_class_applied_later_gives_later_pods_its_value() {
    // Without a class, "late" gets the global default's 1000 and preempts two fillers (0).
    let class = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: everyone}\nvalue: 1000\nglobalDefault: true\n---\n";
    let ev = run(&[("late.yaml", &format!("{class}{LATE_POD}"))]);
    let preempting = of_kind(&ev, "pod_preempting");
    assert_eq!(preempting[0]["pod"], "late", "{preempting:?}");
    // The fillers' replacements are created after the default exists: 1000 as well, so
    // they in turn preempt the old fillers (0), never late.
    assert!(preempting.len() > 1, "{preempting:?}");
    for p in &preempting[1..] {
        assert!(p["pod"].as_str().unwrap().starts_with("filler-"), "{p}");
        assert!(p["victims"].as_array().unwrap().iter().all(|v| v.as_str().unwrap().starts_with("filler-")), "{p}");
    }
    assert!(of_kind(&ev, "pod_scheduled").iter().any(|e| e["pod"] == "late"));
    // Without the default class, late has priority 0 and simply waits.
    let ev = run(&[("late.yaml", LATE_POD)]);
    assert!(of_kind(&ev, "pod_preempting").is_empty());
}

#[test]
fn pods_of_objects_applied_later_get_their_class_value() {
    let class = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n---\n";
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      priorityClassName: high\n      containers: [{name: c, image: x, resources: {requests: {cpu: 1000m}}}]\n";
    let ev = run(&[("api.yaml", &format!("{class}{deployment}"))]);
    let preempting = of_kind(&ev, "pod_preempting");
    assert_eq!(preempting.len(), 1, "the api pod (1000) preempts fillers (0): {preempting:?}");
    assert!(preempting[0]["pod"].as_str().unwrap().starts_with("api-"));
}

#[test]
fn admission_errors_are_refused_at_load() {
    let default = |name: &str| {
        format!("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: {name}}}\nvalue: 10\nglobalDefault: true\n")
    };
    let err = load_files(&[
        (
            "scenario.yaml",
            "name: p\nduration: 1m\ncluster:\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 8Gi}}]\ntimeline:\n  - {at: 10s, apply: {file: b.yaml}}\nmanifests:\n  - inline: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: a}, value: 10, globalDefault: true}\n",
        ),
        ("b.yaml", &default("b")),
    ])
    .unwrap_err();
    assert!(err.message.contains("PriorityClass a is already marked as default. Only one default can exist"), "{err}");
    assert_eq!((err.span.line, err.span.col), (6, 22), "{err}");
    // A class is needed by the time its user is applied.
    let err = load_files(&[
        (
            "scenario.yaml",
            "name: p\nduration: 1m\ncluster:\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 8Gi}}]\ntimeline:\n  - {at: 20s, apply: {file: class.yaml}}\nmanifests:\n  - inline: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {priorityClassName: later, containers: [{name: c, image: x}]}}\n",
        ),
        ("class.yaml", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: later}\nvalue: 5\n"),
    ])
    .unwrap_err();
    assert!(err.message.contains("no PriorityClass with name later was found"), "{err}");
    // An explicit spec.priority must match what admission computes.
    let err = load_str(
        "name: p\nduration: 1m\ncluster:\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 8Gi}}]\nmanifests:\n  - inline: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {priority: 7, containers: [{name: c, image: x}]}}\n",
    )
    .unwrap_err();
    assert!(err.message.contains("the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0"), "{err}");
}
