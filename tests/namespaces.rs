//! Namespaces end to end: two teams with same-named Deployments, Services, budgets and an
//! HPA (fixtures in tests/fixtures/namespaces/, as `kubectl get -o yaml` and a Helm chart
//! render them) load and run side by side; selectors, budgets, the HPA and affinity terms
//! stay within their namespaces unless a term says otherwise; events about objects
//! outside `default` carry `"namespace"` right after the field naming the object.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

const NAMESPACES: &str = include_str!("fixtures/namespaces/namespaces.yaml");
const TEAM_A: &str = include_str!("fixtures/namespaces/team-a.yaml");
const TEAM_B: &str = include_str!("fixtures/namespaces/team-b.yaml");
const AFFINITY: &str = include_str!("fixtures/namespaces/affinity.yaml");

/// Two pools of three nodes (`pool: a`, `pool: b`); team-a's web pods run in pool a and
/// are Ready only after 60 s, team-b's in pool b at once; a `web` Deployment of the same
/// labels in `default`; a bare pod `debug` in team-a, team-b and `scratch` (a namespace
/// without a Namespace object). `extra` is appended (timeline, expect).
fn scenario(extra: &str) -> String {
    format!(
        r#"name: teams
duration: 6m
cluster:
  masters: 1
  nodePools:
    - {{name: a, count: 3, capacity: {{cpu: "4", memory: 16Gi, pods: 110}}, labels: {{pool: a}}}}
    - {{name: b, count: 3, capacity: {{cpu: "4", memory: 16Gi, pods: 110}}, labels: {{pool: b}}}}
controlPlane:
  podStartup: 2s
manifests:
  - file: namespaces.yaml
  - file: team-a.yaml
  - file: team-b.yaml
  - file: affinity.yaml
{default_web}  - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: debug, namespace: team-a}}, spec: {{containers: [{{name: sh, image: busybox}}]}}}}
  - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: debug, namespace: team-b}}, spec: {{containers: [{{name: sh, image: busybox}}]}}}}
  - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: debug, namespace: scratch}}, spec: {{containers: [{{name: sh, image: busybox}}]}}}}
serving:
  team-a/web: {{concurrency: 4, serviceTime: {{exponential: 20ms}}}}
  team-b/web: {{concurrency: 4, serviceTime: {{exponential: 20ms}}}}
traffic:
  - {{service: team-a/web, rate: [{{at: 0s, rps: 5}}]}}
  - {{service: team-b/web, rate: [{{at: 0s, rps: 5}}]}}
{extra}"#,
        default_web = deployment_manifest(
            "web",
            2,
            "",
            "{name: web, image: web:1, resources: {requests: {cpu: 100m, memory: 64Mi}}}",
            "",
        )
        .replace("{app: web}", "{app.kubernetes.io/name: web}"),
    )
}

fn files(scenario: &str) -> Vec<(&'static str, String)> {
    vec![
        ("scenario.yaml", scenario.to_string()),
        ("namespaces.yaml", NAMESPACES.to_string()),
        ("team-a.yaml", TEAM_A.to_string()),
        ("team-b.yaml", TEAM_B.to_string()),
        ("affinity.yaml", AFFINITY.to_string()),
    ]
}

fn load(extra: &str) -> Result<clustersim::scenario::Scenario, clustersim::scenario::Diagnostic> {
    let owned = files(&scenario(extra));
    let borrowed: Vec<(&str, &str)> = owned.iter().map(|(n, t)| (*n, t.as_str())).collect();
    load_files(&borrowed)
}

fn run(extra: &str) -> (clustersim::world::RunOutput, Vec<Value>) {
    let out = simulate(&load(extra).unwrap_or_else(|d| panic!("{}", d.render("error"))));
    let ev = events(&out);
    (out, ev)
}

fn ns(e: &Value) -> &str {
    e["namespace"].as_str().unwrap_or("default")
}

fn is_web(e: &Value) -> bool {
    e["pod"].as_str().is_some_and(|p| p.starts_with("web-"))
}

/// Nodes holding a pod of `namespace` whose name starts with `prefix` at the end.
fn nodes_of(ev: &[Value], namespace: &str, prefix: &str) -> BTreeSet<String> {
    let mut bound = std::collections::BTreeMap::new();
    for e in ev.iter().filter(|e| ns(e) == namespace && e["pod"].as_str().is_some_and(|p| p.starts_with(prefix))) {
        let pod = e["pod"].as_str().unwrap().to_string();
        match e["kind"].as_str().unwrap() {
            "pod_scheduled" => {
                bound.insert(pod, e["node"].as_str().unwrap().to_string());
            }
            "pod_deleted" | "pod_terminated" => {
                bound.remove(&pod);
            }
            _ => {}
        }
    }
    bound.into_values().collect()
}

#[test]
fn two_teams_with_the_same_names_load_and_run_side_by_side() {
    let s = load("").unwrap();
    let keys: Vec<String> = s.objects.iter().map(clustersim::scenario::object_key).collect();
    for key in ["team-a", "team-b", "team-a/web", "team-b/web", "web", "team-b/cache", "scratch/debug"] {
        assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
    }
    // team-a: Service, PDB, Deployment, HPA; team-b: Service, PDB, Deployment; default: Deployment.
    assert_eq!(keys.iter().filter(|k| k.ends_with("/web") || *k == "web").count(), 8);
    let (out, ev) = run("");
    let store = &out.store;
    let web: Vec<String> =
        store.deployments.iter().filter(|d| d.name == "web").map(|d| store.key(d.namespace, &d.name)).collect();
    assert_eq!(web, ["team-a/web", "team-b/web", "web"]);
    // Each ReplicaSet and its pods live in their Deployment's namespace.
    for r in &store.replica_sets {
        let d = store.deployment(r.deployment.unwrap());
        assert_eq!(r.namespace, d.namespace, "{}", r.name);
        assert!(store.pods_of(r.id).all(|p| p.namespace == d.namespace));
    }
    for (key, want) in [("team-a/web", 3), ("team-b/web", 3), ("web", 2)] {
        assert_eq!(out.observations.ready[key].last(), want, "{key}");
    }
    // `scratch` has no Namespace object: the simulated API server creates it.
    let debug: Vec<&str> = of_kind(&ev, "pod_created").into_iter().filter(|e| e["pod"] == "debug").map(ns).collect();
    assert_eq!(debug, ["team-a", "team-b", "scratch"]);
    assert_eq!(of_kind(&ev, "pod_running").iter().filter(|e| e["pod"] == "debug").count(), 3);
    let scratch = store.namespaces.id("scratch").unwrap();
    assert_eq!(
        store.namespaces.labels(scratch).get("kubernetes.io/metadata.name").map(String::as_str),
        Some("scratch")
    );
    let a = store.namespaces.id("team-a").unwrap();
    assert_eq!(
        store.namespaces.labels(a).get("tier").map(String::as_str),
        Some("prod"),
        "the Namespace's labels are kept"
    );
}

#[test]
fn a_service_never_gets_another_namespaces_pods_as_endpoints() {
    let (out, ev) = run("");
    // team-b's (and default's) pods with the same labels are Ready at once; team-a's only
    // after their 60 s probe delay: team-a/web has no endpoint before then.
    let (first, _) = out.observations.first_endpoint["team-a/web"];
    assert!(first.as_secs_f64() >= 60.0, "team-a/web got an endpoint at {first}");
    assert!(out.observations.first_endpoint["team-b/web"].0.as_secs_f64() < 10.0);
    let traffic: Vec<&Value> = of_kind(&ev, "traffic");
    let team_a: Vec<&&Value> = traffic.iter().filter(|e| ns(e) == "team-a").collect();
    assert!(!team_a.is_empty() && team_a.iter().all(|e| e["service"] == "web"));
    for e in team_a.iter().filter(|e| t(e) <= 60.0) {
        assert_eq!((e["served"].as_i64(), e["dropped"].as_i64()), (Some(0), e["offered"].as_i64()), "{e}");
    }
    assert!(team_a.iter().any(|e| t(e) > 80.0 && e["served"].as_i64() > Some(0)));
    assert!(traffic.iter().filter(|e| ns(e) == "team-b").all(|e| t(e) < 10.0 || e["served"].as_i64() > Some(0)));
}

/// The node holding one of team-`team`'s web pods at the end of a run without actions.
fn a_node_of(team: &str) -> String {
    let (_, ev) = run("");
    nodes_of(&ev, team, "web-").into_iter().next().expect("a web pod is bound")
}

#[test]
fn a_budget_counts_only_its_own_namespaces_pods_and_drain_respects_it() {
    // team-a's budget (minAvailable 3 of 3) allows no eviction; counting team-b's and
    // default's web pods (same labels) it would allow several.
    let node = a_node_of("team-a");
    let (out, ev) = run(&format!("timeline:\n  - {{at: 2m, drain: {{node: {node}, timeout: 1m, force: true}}}}\n"));
    let refused = of_kind(&ev, "eviction_refused");
    assert!(!refused.is_empty());
    assert!(refused.iter().all(|e| ns(e) == "team-a" && is_web(e)), "{refused:?}");
    assert!(
        refused[0]["reason"].as_str().unwrap().contains("needs 3 healthy pods and has 3 currently"),
        "{}",
        refused[0]
    );
    let drained: Vec<&Value> =
        of_kind(&ev, "pod_terminated").into_iter().filter(|e| e["reason"] == "drained").collect();
    assert!(drained.iter().all(|e| !(ns(e) == "team-a" && is_web(e))), "team-a's web pods stay: {drained:?}");
    let failed = of_kind(&ev, "action_failed");
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["reason"].as_str().unwrap().contains("-n \"team-a\": global timeout reached"), "{}", failed[0]);
    assert_eq!(out.observations.ready["team-a/web"].last(), 3);

    // team-b's budget (maxUnavailable 1) lets its pods go.
    let node = a_node_of("team-b");
    let (_, ev) = run(&format!("timeline:\n  - {{at: 2m, drain: {{node: {node}, force: true}}}}\n"));
    assert!(of_kind(&ev, "eviction_refused").is_empty());
    let drained: Vec<&Value> =
        of_kind(&ev, "pod_terminated").into_iter().filter(|e| e["reason"] == "drained").collect();
    assert!(drained.iter().any(|e| ns(e) == "team-b" && is_web(e)), "{drained:?}");
    assert_eq!(of_kind(&ev, "node_drained").len(), 1);
}

#[test]
fn the_hpa_scales_the_deployment_of_its_own_namespace() {
    let (out, ev) =
        run("timeline:\n  - {at: 2m, setMetric: {deployment: team-a/web, cpuUtilization: \"150%\", for: 2m}}\n");
    let by_hpa: Vec<&Value> = of_kind(&ev, "deployment_scaled").into_iter().filter(|e| e["by"] == "hpa").collect();
    assert!(!by_hpa.is_empty());
    assert!(by_hpa.iter().all(|e| e["deployment"] == "web" && ns(e) == "team-a"), "{by_hpa:?}");
    assert_eq!(out.observations.desired["team-a/web"].max_over(clustersim::engine::Time::ZERO, out.end), 6);
    assert_eq!(out.observations.desired["team-b/web"].last(), 3);
    assert_eq!(out.observations.desired["web"].last(), 2);
    assert!(out.observations.hpas.contains_key("team-a/web"));
}

#[test]
fn timeline_and_expectations_name_objects_as_namespace_slash_name() {
    let extra = concat!(
        "timeline:\n",
        "  - {at: 1m, scale: {deployment: team-b/web, replicas: 5}}\n",
        "  - {at: 90s, setImage: {deployment: team-b/web, image: \"ghcr.io/example/web:1.5.0\"}}\n",
        "  - {at: 2m, deletePod: team-a/web}\n",
        "  - {at: 2m, deletePod: team-b/debug}\n",
        "expect:\n",
        "  - readyReplicas: {deployment: team-b/web, atLeast: 5, by: 3m}\n",
        "  - rolloutComplete: {deployment: team-b/web, revision: 2, by: 5m}\n",
        "  - availability: {service: team-a/web, min: \"50%\"}\n",
    );
    let scenario = load(extra).unwrap();
    let out = simulate(&scenario);
    let ev = events(&out);
    let scaled: Vec<&Value> = of_kind(&ev, "deployment_scaled").into_iter().filter(|e| e["by"] == "user").collect();
    assert_eq!(scaled.len(), 1);
    assert_eq!((ns(scaled[0]), scaled[0]["to"].as_i64()), ("team-b", Some(5)));
    let started: Vec<&Value> = of_kind(&ev, "rollout_started").into_iter().filter(|e| e["revision"] == 2).collect();
    assert_eq!(started.len(), 1);
    assert_eq!(ns(started[0]), "team-b");
    let deleted: Vec<(&str, &str)> = of_kind(&ev, "pod_terminated")
        .into_iter()
        .filter(|e| e["reason"] == "deleted")
        .map(|e| (ns(e), e["pod"].as_str().unwrap()))
        .collect();
    assert_eq!(deleted.len(), 2);
    assert!(deleted[0].0 == "team-a" && deleted[0].1.starts_with("web-"), "{deleted:?}");
    assert_eq!(deleted[1], ("team-b", "debug"));
    assert!(of_kind(&ev, "action_failed").is_empty());
    assert_eq!(out.observations.ready["team-b/web"].last(), 5);
    assert_eq!(out.observations.ready["web"].last(), 2, "default's web is untouched");
    let results = clustersim::report::evaluate(&scenario, &out);
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.passed), "{results:?}");
    assert!(results[0].name.contains("team-b/web"), "{}", results[0].name);
}

#[test]
fn affinity_terms_honour_namespaces_and_namespace_selectors() {
    let (_, ev) = run("");
    let team_a_web = nodes_of(&ev, "team-a", "web-");
    let team_b_web = nodes_of(&ev, "team-b", "web-");
    assert!(team_a_web.iter().all(|n| n.starts_with("a-")) && team_b_web.iter().all(|n| n.starts_with("b-")));
    // cache (team-b) must sit next to team-a's web pods (`namespaces: [team-a]`), though it
    // prefers pool b, where its own namespace's web pods with the same labels run.
    let cache = nodes_of(&ev, "team-b", "cache-");
    assert!(!cache.is_empty() && cache.is_subset(&team_a_web), "cache on {cache:?}, team-a web on {team_a_web:?}");
    // batch (team-b) must avoid web pods of namespaces labelled tier=prod (team-a), though
    // it prefers pool a; team-b's own web pods do not count.
    let batch = nodes_of(&ev, "team-b", "batch-");
    assert_eq!(
        of_kind(&ev, "pod_scheduled").iter().filter(|e| e["pod"].as_str().unwrap().starts_with("batch-")).count(),
        2
    );
    assert!(batch.is_disjoint(&team_a_web), "batch on {batch:?}, team-a web on {team_a_web:?}");
    assert!(of_kind(&ev, "pod_unschedulable").is_empty());
}

#[test]
fn events_outside_default_carry_the_namespace_right_after_the_object() {
    let (out, ev) = run("");
    let text = out.events.text();
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let object = ["pod", "deployment", "service", "name"].into_iter().find(|k| e.get(*k).is_some());
        match (e.get("namespace").and_then(Value::as_str), object) {
            (Some(namespace), Some(key)) => {
                let expected = format!("{}:{},\"namespace\":{}", Value::from(key), e[key], Value::from(namespace));
                assert!(line.contains(&expected), "{line}");
                assert_ne!(namespace, "default", "default is never written: {line}");
            }
            (Some(_), None) => panic!("a namespace without an object: {line}"),
            (None, _) => {}
        }
    }
    let applied: Vec<String> = of_kind(&ev, "object_applied")
        .iter()
        .map(|e| format!("{} {}/{}", e["object"].as_str().unwrap(), ns(e), e["name"].as_str().unwrap()))
        .collect();
    assert!(applied.contains(&"Namespace default/team-a".to_string()), "cluster-scoped: no namespace field");
    assert!(applied.contains(&"PodDisruptionBudget team-b/web".to_string()));
    assert!(applied.contains(&"Deployment default/web".to_string()));
    // Default's web pods are logged as before namespaces existed.
    let default_web = of_kind(&ev, "pod_created").into_iter().find(|e| ns(e) == "default" && is_web(e)).unwrap();
    let line = text.lines().find(|l| l.contains(default_web["pod"].as_str().unwrap())).unwrap();
    assert!(!line.contains("namespace"), "{line}");
}

#[test]
fn bad_namespaces_and_references_are_named_with_a_hint() {
    let err = |extra: &str| load(extra).map(|_| ()).unwrap_err().render("error");
    let e = err("timeline:\n  - {at: 1m, scale: {deployment: team-c/web, replicas: 2}}\n");
    assert!(e.contains("scenario.yaml:") && e.contains("scale names unknown deployment \"team-c/web\""), "{e}");
    assert!(e.contains("hint: did you mean \"team-a/web\" or \"team-b/web\" or \"web\"?"), "{e}");
    let e = err("timeline:\n  - {at: 1m, scale: {deployment: cache, replicas: 2}}\n");
    assert!(e.contains("did you mean \"team-b/cache\"?"), "{e}");
    let e = err("timeline:\n  - {at: 1m, deletePod: team_a/web}\n");
    assert!(
        e.contains("deletePod \"team_a/web\" names namespace \"team_a\", which is not a valid namespace name"),
        "{e}"
    );
    let e = err("expect:\n  - availability: {service: team-c/web, min: \"99%\"}\n");
    assert!(e.contains("did you mean \"team-a/web\" or \"team-b/web\"?"), "{e}");
    let e = err("expect:\n  - readyReplicas: {deployment: team-a/wbe, atLeast: 1, by: 1m}\n");
    assert!(e.contains("did you mean \"team-a/web\"?"), "{e}");

    let with = |extra_manifest: &str| {
        let text =
            scenario("").replace("  - file: affinity.yaml\n", &format!("  - file: affinity.yaml\n{extra_manifest}"));
        let owned = files(&text);
        let borrowed: Vec<(&str, &str)> = owned.iter().map(|(n, t)| (*n, t.as_str())).collect();
        load_files(&borrowed).map(|_| ()).map_err(|d| d.render("error"))
    };
    let e = with("  - inline: {apiVersion: v1, kind: Service, metadata: {name: web, namespace: Team-A}, spec: {}}\n")
        .unwrap_err();
    assert!(e.contains("metadata.namespace \"Team-A\" is not a valid namespace name"), "{e}");
    let e = with("  - inline: {apiVersion: v1, kind: Service, metadata: {name: web, namespace: team-a}, spec: {}}\n")
        .unwrap_err();
    assert!(e.contains("Service \"team-a/web\" is defined twice") && e.contains("team-a.yaml:"), "{e}");
    with("  - inline: {apiVersion: v1, kind: Service, metadata: {name: web, namespace: team-c}, spec: {}}\n").unwrap();

    // An HPA reaches only its own namespace's Deployments.
    let e = with("  - inline: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: cache, namespace: team-a}, spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cache}, maxReplicas: 3}}\n").unwrap_err();
    assert!(e.contains("HorizontalPodAutoscaler \"team-a/cache\" targets unknown Deployment \"team-a/cache\""), "{e}");
    assert!(e.contains("\"team-b/cache\" is in namespace team-b"), "{e}");

    // A namespace on a cluster-scoped object is ignored with a warning.
    let dir = scratch("ns-warn");
    let text = scenario("").replace(
        "  - file: affinity.yaml\n",
        "  - file: affinity.yaml\n  - inline: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: low, namespace: team-a}, value: 10}\n",
    );
    for (name, content) in files(&text) {
        std::fs::write(dir.join(name), content).unwrap();
    }
    let loaded = clustersim::scenario::load_scenario(&dir.join("scenario.yaml"), &[]).unwrap();
    let warnings: Vec<String> = loaded.warnings.0.iter().map(|w| w.render("warning")).collect();
    assert!(
        warnings.iter().any(|w| w.contains("metadata.namespace of PriorityClass \"low\" is ignored")),
        "{warnings:?}"
    );
}

#[test]
fn reports_name_objects_outside_default_with_their_namespace() {
    let dir = scratch("ns-report");
    for (name, content) in files(&scenario("")) {
        std::fs::write(dir.join(name), content).unwrap();
    }
    let report = dir.join("report");
    let out = sim(&["run", dir.join("scenario.yaml").to_str().unwrap(), "--out", report.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("team-a/web ") && stdout.contains("team-b/web "), "{stdout}");
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap()).unwrap();
    for key in ["team-a/web", "team-b/web", "web", "team-b/cache"] {
        assert!(summary["deployments"].get(key).is_some(), "{key}: {}", summary["deployments"]);
    }
    assert!(summary["services"].get("team-a/web").is_some(), "{}", summary["services"]);
    let md = std::fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(md.contains("`team-b/cache`"), "{md}");
}

#[test]
fn daemon_sets_of_the_same_name_in_two_namespaces_each_run_a_pod_per_node() {
    let ds = |namespace: &str| {
        format!(
            "  - inline: {{apiVersion: apps/v1, kind: DaemonSet, metadata: {{name: agent, namespace: {namespace}}}, spec: {{selector: {{matchLabels: {{app: agent}}}}, template: {{metadata: {{labels: {{app: agent}}}}, spec: {{containers: [{{name: agent, image: agent:1, resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}]}}}}}}}}\n"
        )
    };
    let text = scenario("")
        .replace("  - file: affinity.yaml\n", &format!("  - file: affinity.yaml\n{}{}", ds("team-a"), ds("default")));
    let owned = files(&text);
    let borrowed: Vec<(&str, &str)> = owned.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let out = simulate(&load_files(&borrowed).unwrap_or_else(|d| panic!("{}", d.render("error"))));
    let ev = events(&out);
    let agents: Vec<&Value> = of_kind(&ev, "pod_created").into_iter().filter(|e| e["owner"] == "agent").collect();
    assert_eq!(agents.iter().filter(|e| ns(e) == "team-a").count(), 6, "one per node");
    assert_eq!(agents.iter().filter(|e| ns(e) == "default").count(), 6);
    assert!(agents.iter().all(|e| e["owner_kind"] == "DaemonSet"));
    let keys: Vec<String> = out.store.daemon_sets.iter().map(|d| out.store.key(d.namespace, &d.name)).collect();
    assert_eq!(keys, ["team-a/agent", "agent"]);
    assert!(out.store.pods().values().filter(|p| p.name.starts_with("agent-")).all(|p| {
        let owner = p.owner.expect("owned");
        out.store.owner_namespace(owner) == p.namespace
    }));
}
