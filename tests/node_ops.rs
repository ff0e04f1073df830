//! Node operations, masters and faults end to end: `drain` through the Eviction API and
//! PodDisruptionBudgets, `partitionNode`, quorum and leader election, and the `faults:`
//! section, each against Kubernetes' own timing.

mod common;
use common::*;
use serde_json::Value;

/// One 8-CPU node holding `replicas` web pods (500m each, ready 7 s after binding with a
/// 2 s start and a 5 s probe); more nodes and the rest come from `extra`.
fn one_node_scenario(replicas: u32, manifests: &str, extra: &str) -> String {
    format!(
        r#"name: ops
duration: 10m
cluster:
  masters: 1
  nodePools:
    - name: worker
      count: 1
      capacity: {{cpu: "8", memory: 16Gi, pods: 110}}
controlPlane:
  podStartup: 2s
manifests:
{web}{manifests}{extra}"#,
        web = deployment_manifest(
            "web",
            replicas,
            "",
            "{name: web, image: web:1, resources: {requests: {cpu: 500m, memory: 128Mi}}, readinessProbe: {initialDelaySeconds: 5, periodSeconds: 5}}",
            ""
        ),
    )
}

fn pdb(budget: &str) -> String {
    format!("  - inline: {{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: web}}, spec: {{{budget}, selector: {{matchLabels: {{app: web}}}}}}}}\n")
}

fn times(ev: &[Value], kind: &str, pred: impl Fn(&Value) -> bool) -> Vec<f64> {
    ev.iter().filter(|e| e["kind"] == kind && pred(e)).map(t).collect()
}

fn drained_at(budget: &str) -> (Vec<f64>, Vec<Value>, clustersim::world::RunOutput) {
    let extra = "timeline:\n  - {at: 30s, join: {pool: worker, count: 2}}\n  - {at: 60s, drain: worker-1}\n";
    let s = load_str(&one_node_scenario(6, &pdb(budget), extra)).unwrap();
    let out = simulate(&s);
    let ev = events(&out);
    let evicted = times(&ev, "pod_terminated", |e| e["reason"] == "drained");
    (evicted, ev, out)
}

#[test]
fn drain_with_min_available_evicts_one_pod_per_ready_replacement_retrying_every_5s() {
    let (evicted, ev, out) = drained_at("minAvailable: 5");
    // Each replacement is ready 7 s after its eviction; the refused retry at +5 s fails,
    // the one at +10 s goes through.
    assert_eq!(evicted, vec![60.0, 70.0, 80.0, 90.0, 100.0, 110.0]);
    // kubectl polls for the last pod's deletion at once (still Terminating) and 1 s later.
    assert_eq!(times(&ev, "node_drained", |e| e["node"] == "worker-1"), vec![111.0]);
    assert_eq!(times(&ev, "node_cordoned", |_| true), vec![60.0], "kubectl drain cordons first");
    let refused = of_kind(&ev, "eviction_refused");
    assert_eq!(refused.len(), 5, "each pod but the first is refused once at the start");
    assert!(refused.iter().all(|e| t(e) == 60.0));
    assert!(refused[0]["reason"].as_str().unwrap().contains("needs 5 healthy pods and has 5 currently"));
    for pair in evicted.windows(2) {
        let ready_between = times(&ev, "pod_ready", |_| true).into_iter().find(|r| *r > pair[0]).unwrap();
        assert!(pair[1] >= ready_between && pair[1] - ready_between < 5.0, "{pair:?} vs ready at {ready_between}");
    }
    let ready = &out.observations.ready["web"];
    assert_eq!(ready.min_over(clustersim::engine::Time::from_secs(60), clustersim::engine::Time::from_secs(600)), 5);
    assert_eq!(ready.last(), 6);
    assert_eq!(out.observations.bound_on_node["worker-1"].last(), 0);
}

#[test]
fn drain_with_max_unavailable_evicts_two_at_a_time() {
    let (evicted, ev, out) = drained_at("maxUnavailable: 2");
    assert_eq!(evicted, vec![60.0, 60.0, 70.0, 70.0, 80.0, 80.0]);
    assert_eq!(times(&ev, "node_drained", |_| true), vec![81.0], "the deletion poll 1 s after the last eviction");
    let ready = &out.observations.ready["web"];
    assert_eq!(ready.min_over(clustersim::engine::Time::from_secs(60), clustersim::engine::Time::from_secs(600)), 4);
    // A percentage rounds up: 34% of 6 is 3 unavailable, so three go at once.
    let (evicted, _, _) = drained_at("maxUnavailable: \"34%\"");
    assert_eq!(evicted, vec![60.0, 60.0, 60.0, 70.0, 70.0, 70.0]);
}

#[test]
fn a_blocked_drain_gives_up_at_its_timeout_with_kubectls_message() {
    let extra = "timeline:\n  - {at: 30s, join: {pool: worker, count: 2}}\n  - {at: 60s, drain: {node: worker-1, timeout: 30s}}\n";
    let s = load_str(&one_node_scenario(2, &pdb("minAvailable: 2"), extra)).unwrap();
    let ev = events(&simulate(&s));
    assert!(times(&ev, "pod_terminated", |_| true).is_empty(), "the budget allows no disruption");
    assert!(of_kind(&ev, "node_drained").is_empty());
    let failed = of_kind(&ev, "action_failed");
    assert_eq!(failed.len(), 1);
    // Retries at 65 .. 85 s; the next would be at the 90 s deadline: kubectl gives up then.
    assert_eq!(t(failed[0]), 90.0);
    assert_eq!(failed[0]["action"], "drain worker-1");
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("unable to drain node \"worker-1\" due to error: [error when evicting pods/\"web-"),
        "{reason}"
    );
    assert!(reason.contains("-n \"default\": global timeout reached: 30s, error when evicting pods/"), "{reason}");
    // The node stays cordoned, as kubectl leaves it.
    assert!(of_kind(&ev, "node_uncordoned").is_empty());
}

#[test]
fn drain_refuses_bare_pods_unless_forced() {
    let bare = "  - inline: {apiVersion: v1, kind: Pod, metadata: {name: debug}, spec: {containers: [{name: c, image: busybox}]}}\n";
    let extra = "timeline:\n  - {at: 30s, join: {pool: worker, count: 2}}\n  - {at: 60s, drain: worker-1}\n";
    let ev = events(&simulate(&load_str(&one_node_scenario(2, bare, extra)).unwrap()));
    let failed = of_kind(&ev, "action_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(
        failed[0]["reason"],
        "unable to drain node \"worker-1\" due to error: cannot delete Pods that declare no controller (use --force to override): default/debug"
    );
    assert!(of_kind(&ev, "pod_terminated").is_empty(), "nothing is evicted");
    assert_eq!(times(&ev, "node_cordoned", |_| true), vec![60.0], "but the node was cordoned");

    let forced = extra.replace("drain: worker-1", "drain: {node: worker-1, force: true}");
    let ev = events(&simulate(&load_str(&one_node_scenario(2, bare, &forced)).unwrap()));
    assert_eq!(times(&ev, "pod_terminated", |e| e["reason"] == "drained").len(), 3);
    assert_eq!(times(&ev, "node_drained", |_| true), vec![61.0], "the evicted pods are gone at the 1 s poll");
    // The bare pod is gone for good; the web pods come back elsewhere.
    assert!(of_kind(&ev, "pod_created").iter().all(|e| e["pod"] != "debug" || t(e) == 0.0));
}

#[test]
fn draining_a_cut_off_node_waits_for_its_kubelet_to_confirm_the_deletions() {
    let run = |drain: &str| {
        let extra = format!("controlPlane:\n  podStartup: 1s\ntimeline:\n  - {{at: 60s, partitionNode: {{node: worker-1, for: 2m}}}}\n  - {{at: 100s, {drain}}}\n");
        events(&simulate(&load_str(&basic_scenario(3, 3, "500m", &extra)).unwrap()))
    };
    // The API takes the evictions at 100 s, but the pods stay Terminating until the
    // kubelet is back at 180 s; kubectl polls every second and is done then.
    let ev = run("drain: worker-1");
    let evicted = times(&ev, "pod_terminated", |e| e["reason"] == "drained");
    assert!(!evicted.is_empty() && evicted.iter().all(|e| *e == 100.0));
    assert_eq!(times(&ev, "pod_killed", |_| true).len(), evicted.len());
    // No graceful termination without a kubelet: the objects go when it is back.
    assert_eq!(times(&ev, "pod_deleted", |e| e["node"] == "worker-1"), vec![180.0; evicted.len()]);
    assert_eq!(times(&ev, "node_drained", |_| true), vec![180.0]);
    // With a 30 s timeout kubectl gives up waiting at 130 s.
    let ev = run("drain: {node: worker-1, timeout: 30s}");
    let failed = of_kind(&ev, "action_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(t(failed[0]), 130.0);
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("error when waiting for pod \"web-")
            && reason
                .trim_end_matches(']')
                .ends_with("in namespace \"default\" to terminate: global timeout reached: 30s"),
        "{reason}"
    );
    assert!(of_kind(&ev, "node_drained").is_empty());
}

fn partition(at: &str, duration: &str) -> (Vec<Value>, clustersim::world::RunOutput) {
    let extra = format!(
        "controlPlane:\n  podStartup: 1s\ntimeline:\n  - {{at: {at}, partitionNode: {{node: worker-1, for: {duration}}}}}\n"
    );
    let s = load_str(&basic_scenario(3, 3, "500m", &extra)).unwrap();
    let out = simulate(&s);
    (events(&out), out)
}

#[test]
fn a_partitioned_nodes_pods_are_replaced_while_the_old_copies_run_until_reconnect() {
    // Cut off at 123 s (last heartbeat 120 s), back at 723 s.
    let (ev, out) = partition("123s", "10m");
    assert_eq!(times(&ev, "node_partitioned", |_| true), vec![123.0]);
    let not_ready = times(&ev, "node_not_ready", |e| e["node"] == "worker-1");
    assert_eq!(not_ready.len(), 1);
    let t_nr = not_ready[0];
    assert!(t_nr > 170.0 && t_nr <= 175.0, "Unknown one grace period after the last heartbeat: {t_nr}");
    let marked = times(&ev, "pod_not_ready", |e| e["node"] == "worker-1");
    assert!(!marked.is_empty() && marked.iter().all(|m| *m == t_nr), "its pods leave the endpoints then");
    let evicted: Vec<&Value> = of_kind(&ev, "pod_terminated").into_iter().filter(|e| e["node"] == "worker-1").collect();
    assert_eq!(evicted.len(), marked.len());
    assert!(evicted.iter().all(|e| t(e) == t_nr + 300.0 && e["reason"] == "node_lost"));
    // Replacements run elsewhere while the old copies keep running on worker-1.
    let later = clustersim::engine::Time::from_secs(t_nr as u64 + 320);
    assert_eq!(out.observations.bound_on_node["worker-1"].at(later), 0);
    assert_eq!(out.observations.running_on_node["worker-1"].at(later) as usize, evicted.len());
    let running_total: i64 = out.observations.running_on_node.values().map(|s| s.at(later)).sum();
    assert_eq!(running_total, 3 + evicted.len() as i64, "more copies run than the Deployment asks for");
    assert_eq!(out.observations.ready["web"].at(later), 3);
    // Reconnect: the kubelet kills the deleted pods and the node is Ready again.
    assert_eq!(times(&ev, "node_reconnected", |_| true), vec![723.0]);
    assert_eq!(times(&ev, "node_ready", |e| e["node"] == "worker-1"), vec![723.0]);
    let killed = of_kind(&ev, "pod_killed");
    assert_eq!(killed.len(), evicted.len());
    for (k, e) in killed.iter().zip(&evicted) {
        assert_eq!((t(k), &k["pod"], &k["node"]), (723.0, &e["pod"], &e["node"]));
    }
    assert_eq!(out.observations.running_on_node["worker-1"].last(), 0);
    assert_eq!(
        out.observations.running_on_node["worker-1"].at(clustersim::engine::Time::from_secs(722)),
        evicted.len() as i64
    );
}

#[test]
fn a_partition_shorter_than_the_toleration_costs_no_pod() {
    let (ev, out) = partition("100s", "100s");
    assert!(of_kind(&ev, "pod_terminated").is_empty());
    let t_nr = times(&ev, "node_not_ready", |_| true)[0];
    assert!(t_nr > 140.0 && t_nr <= 155.0, "{t_nr}");
    // Back at 200 s: the node posts Ready and its pods, still running, are Ready again.
    assert_eq!(times(&ev, "node_ready", |_| true), vec![200.0]);
    let marked = times(&ev, "pod_not_ready", |_| true).len();
    assert!(marked > 0);
    assert_eq!(times(&ev, "pod_ready", |e| t(e) == 200.0 && e["node"] == "worker-1").len(), marked);
    assert!(of_kind(&ev, "pod_running").iter().all(|e| t(e) < 100.0), "containers were never restarted");
    assert!(times(&ev, "node_untainted", |_| true).iter().all(|u| *u >= 200.0 && *u <= 205.0));
    assert_eq!(out.observations.ready["web"].last(), 3);
}

/// basic_scenario with three masters and `timeline` entries.
fn ha(timeline: &str) -> String {
    let extra = format!("controlPlane:\n  podStartup: 1s\ntimeline:\n{timeline}");
    basic_scenario(3, 3, "500m", &extra).replace("masters: 1", "masters: 3")
}

#[test]
fn without_quorum_the_api_refuses_actions_and_nothing_reconciles_until_it_is_back() {
    let yaml = ha("  - {at: 60s, crashMaster: 2}\n  - {at: 60s, crashMaster: 3}\n  - {at: 70s, scale: {deployment: web, replicas: 5}}\n  - {at: 80s, deletePod: web}\n  - {at: 90s, cordon: worker-1}\n  - {at: 100s, crashNode: worker-2}\n  - {at: 200s, recoverMaster: 3}\n  - {at: 210s, scale: {deployment: web, replicas: 5}}\n");
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let lost = of_kind(&ev, "quorum_lost");
    assert_eq!(lost.len(), 1);
    assert_eq!((t(lost[0]), lost[0]["masters_up"].as_i64(), lost[0]["quorum"].as_i64()), (60.0, Some(1), Some(2)));
    let failed = of_kind(&ev, "action_failed");
    assert_eq!(failed.iter().map(|e| t(e)).collect::<Vec<_>>(), vec![70.0, 80.0, 90.0]);
    assert!(failed.iter().all(|e| e["reason"] == "etcdserver: no leader"), "{failed:?}");
    // The host crash is not an API call: it happens, but nobody notices during the outage.
    assert_eq!(times(&ev, "node_crashed", |_| true), vec![100.0]);
    for kind in
        ["pod_created", "pod_scheduled", "pod_terminated", "deployment_scaled", "node_not_ready", "node_cordoned"]
    {
        assert!(times(&ev, kind, |e| t(e) > 60.0 && t(e) < 200.0).is_empty(), "{kind} during the outage");
    }
    // Running pods keep running through the outage (until worker-2's host dies).
    let during = clustersim::engine::Time::from_secs(95);
    assert_eq!(out.observations.running_on_node.values().map(|s| s.at(during)).sum::<i64>(), 3);
    assert_eq!(
        out.observations.ready["web"].at(clustersim::engine::Time::from_secs(199)),
        3,
        "the API still shows them ready"
    );
    // The leader could not renew after its 60 s renewal and gave up at 72 s; back at 200 s.
    assert_eq!(times(&ev, "leader_lost", |_| true), vec![72.0, 72.0]);
    assert_eq!(times(&ev, "quorum_restored", |_| true), vec![200.0]);
    let elected = of_kind(&ev, "leader_elected");
    assert_eq!(elected.len(), 2);
    assert!(elected.iter().all(|e| t(e) == 200.0 && e["master"] == 1));
    assert_eq!(times(&ev, "deployment_scaled", |_| true), vec![210.0]);
    assert_eq!(times(&ev, "pod_scheduled", |e| t(e) == 210.0).len(), 2);
}

#[test]
fn with_every_master_down_nothing_answers() {
    let extra = "timeline:\n  - {at: 60s, crashMaster: 1}\n  - {at: 70s, scale: {deployment: web, replicas: 5}}\n";
    let ev = events(&simulate(&load_str(&basic_scenario(2, 2, "500m", extra)).unwrap()));
    let failed = of_kind(&ev, "action_failed");
    assert_eq!(failed[0]["reason"], "the server is currently unable to handle the request");
}

#[test]
fn a_dead_leader_is_replaced_after_its_lease_expires_and_nothing_reconciles_meanwhile() {
    let files = [
        ("scenario.yaml", ha("  - {at: 61300ms, crashMaster: 1}\n  - {at: 62s, deletePod: web}\n  - {at: 62s, apply: {file: extra.yaml}}\n")),
        ("extra.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: extra}\nspec: {containers: [{name: c, image: busybox}]}\n".to_string()),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let ev = events(&simulate(&load_files(&files).unwrap()));
    assert!(of_kind(&ev, "quorum_lost").is_empty(), "two of three masters keep quorum");
    assert_eq!(times(&ev, "leader_lost", |e| e["master"] == 1), vec![61.3, 61.3]);
    // Last renewal at 60 s, lease valid until 75 s, candidates poll every 2 s: 76 s.
    let elected = of_kind(&ev, "leader_elected");
    assert_eq!(
        elected.iter().map(|e| (t(e), e["master"].as_i64().unwrap())).collect::<Vec<_>>(),
        vec![(76.0, 2), (76.0, 2)]
    );
    let leases: Vec<&str> = elected.iter().map(|e| e["lease"].as_str().unwrap()).collect();
    assert_eq!(leases, ["kube-controller-manager", "kube-scheduler"]);
    // The API took the deletion and the bare pod at once...
    assert_eq!(times(&ev, "pod_terminated", |_| true), vec![62.0]);
    assert_eq!(times(&ev, "pod_created", |e| e["pod"] == "extra"), vec![62.0]);
    // ...but the ReplicaSet controller and the scheduler acted only under the new leaders.
    assert_eq!(times(&ev, "pod_created", |e| t(e) > 0.0 && e["pod"] != "extra"), vec![76.0]);
    assert_eq!(times(&ev, "pod_scheduled", |e| t(e) > 0.0).len(), 2);
    assert!(times(&ev, "pod_scheduled", |e| t(e) > 0.0).iter().all(|s| *s == 76.0));
}

#[test]
fn crashing_a_master_that_leads_nothing_changes_no_lease() {
    let ev =
        events(&simulate(&load_str(&ha("  - {at: 61s, crashMaster: 2}\n  - {at: 62s, deletePod: web}\n")).unwrap()));
    assert!(of_kind(&ev, "leader_lost").is_empty() && of_kind(&ev, "leader_elected").is_empty());
    assert_eq!(times(&ev, "pod_created", |e| t(e) > 0.0), vec![62.0], "the replacement comes at once");
}

#[test]
fn a_new_controller_manager_restarts_the_eviction_clocks() {
    // worker-1 dies at 100 s and is tainted at 155 s; the old leader would evict at 455 s.
    let ev = events(&simulate(
        &load_str(&ha("  - {at: 100s, crashNode: worker-1}\n  - {at: 200s, crashMaster: 1}\n")).unwrap(),
    ));
    let tainted = times(&ev, "node_tainted", |e| e["taint"] == "node.kubernetes.io/unreachable:NoExecute");
    assert_eq!(tainted, vec![155.0]);
    // Master 1 renewed last at 200 s; master 2 leads from 216 s and counts 300 s from there.
    assert_eq!(times(&ev, "leader_elected", |_| true), vec![216.0, 216.0]);
    let evicted = times(&ev, "pod_terminated", |e| e["reason"] == "node_lost");
    assert!(!evicted.is_empty());
    assert!(evicted.iter().all(|e| *e == 516.0), "{evicted:?}");
}

#[test]
fn after_an_outage_a_silent_node_gets_a_fresh_grace_period() {
    // Without an outage a host dying at 70 s (last heartbeat 70 s) is Unknown at 125 s.
    let base = ha("  - {at: 70s, crashNode: worker-1}\n");
    let ev = events(&simulate(&load_str(&base).unwrap()));
    assert_eq!(times(&ev, "node_not_ready", |_| true), vec![125.0]);
    // With quorum lost from 60 s to 180 s, the new leader starts at 180 s with fresh probe
    // timestamps: Unknown after 230 s, at the next 5 s monitor tick.
    let outage = ha("  - {at: 60s, crashMaster: 2}\n  - {at: 60s, crashMaster: 3}\n  - {at: 70s, crashNode: worker-1}\n  - {at: 180s, recoverMaster: 2}\n");
    let ev = events(&simulate(&load_str(&outage).unwrap()));
    assert_eq!(times(&ev, "leader_elected", |_| true), vec![180.0, 180.0]);
    assert_eq!(times(&ev, "node_not_ready", |_| true), vec![235.0]);
    let evicted = times(&ev, "pod_terminated", |e| e["reason"] == "node_lost");
    assert!(!evicted.is_empty() && evicted.iter().all(|e| *e == 535.0), "{evicted:?}");
}

#[test]
fn a_quorum_loss_shorter_than_the_renew_deadline_keeps_the_leader() {
    let ev = events(&simulate(&load_str(&ha("  - {at: 60500ms, crashMaster: 2}\n  - {at: 60500ms, crashMaster: 3}\n  - {at: 66s, recoverMaster: 3}\n  - {at: 67s, deletePod: web}\n")).unwrap()));
    assert_eq!(times(&ev, "quorum_restored", |_| true), vec![66.0]);
    assert!(of_kind(&ev, "leader_lost").is_empty() && of_kind(&ev, "leader_elected").is_empty());
    assert_eq!(times(&ev, "pod_created", |e| t(e) > 0.0), vec![67.0]);
}

/// Two zones of three nodes and a web Deployment, with `faults` (a YAML list body).
fn faulty(seed: u64, faults: &str) -> String {
    format!(
        r#"name: faults
seed: {seed}
duration: 12h
cluster:
  masters: 3
  nodePools:
    - name: a
      count: 3
      capacity: {{cpu: "4", memory: 8Gi, pods: 110}}
      labels: {{topology.kubernetes.io/zone: za}}
    - name: b
      count: 3
      capacity: {{cpu: "4", memory: 8Gi, pods: 110}}
      labels: {{topology.kubernetes.io/zone: zb}}
controlPlane:
  podStartup: 2s
manifests:
{web}faults:
{faults}"#,
        web = deployment_manifest(
            "web",
            6,
            "",
            "{name: web, image: web:1, resources: {requests: {cpu: 500m, memory: 128Mi}}}",
            ""
        ),
    )
}

/// (time, kind, fault, target) of every fault event of `fault`.
fn fault_history(ev: &[Value], fault: &str) -> Vec<(f64, String, String)> {
    ev.iter()
        .filter(|e| (e["kind"] == "fault_injected" || e["kind"] == "fault_repaired") && e["fault"] == fault)
        .map(|e| (t(e), e["kind"].as_str().unwrap().to_string(), e["target"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn faults_are_deterministic_per_seed_and_independent_per_source() {
    let crashes = "  - {kind: nodeCrash, pool: a, mtbf: 1h, mttr: 10m}\n";
    let one = load_str(&faulty(4, crashes)).unwrap();
    let out = simulate(&one);
    let again = simulate(&one);
    assert_eq!(out.events.text(), again.events.text(), "same seed, same bytes");
    let history = fault_history(&events(&out), "nodeCrash");
    assert!(history.len() >= 10, "about 12 h / 70 min per node: {}", history.len());
    // A second source (appended) does not change the first one's history.
    let both = faulty(4, &format!("{crashes}  - {{kind: nodePartition, pool: a, mtbf: 30m, mttr: 2m}}\n  - {{kind: masterCrash, mtbf: 2h, mttr: 5m}}\n"));
    let ev = events(&simulate(&load_str(&both).unwrap()));
    assert_eq!(fault_history(&ev, "nodeCrash"), history);
    assert!(!fault_history(&ev, "nodePartition").is_empty() && !fault_history(&ev, "masterCrash").is_empty());
    // Another seed, another history.
    let other = events(&simulate(&load_str(&faulty(5, crashes)).unwrap()));
    assert_ne!(fault_history(&other, "nodeCrash"), history);
    // Every node of the pool crashes and is repaired by its own process, alternately.
    for node in ["a-1", "a-2", "a-3"] {
        let mine: Vec<&str> = history.iter().filter(|h| h.2 == node).map(|h| h.1.as_str()).collect();
        assert!(!mine.is_empty(), "{node}");
        assert!(mine.iter().step_by(2).all(|k| *k == "fault_injected"), "{node}: {mine:?}");
        assert!(mine.iter().skip(1).step_by(2).all(|k| *k == "fault_repaired"), "{node}: {mine:?}");
    }
    assert!(history.iter().all(|h| h.2.starts_with("a-")), "pool b is untouched");
}

#[test]
fn fault_times_follow_the_mean_times_between_failures_and_to_repair() {
    let ev = events(&simulate(&load_str(&faulty(11, "  - {kind: nodeCrash, pool: a, mtbf: 20m, mttr: 4m}\n  - {kind: nodeCrash, pool: b, mtbf: 20m, mttr: 4m}\n")).unwrap()));
    let history = fault_history(&ev, "nodeCrash");
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for node in ["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"] {
        let mine: Vec<f64> = history.iter().filter(|h| h.2 == node).map(|h| h.0).collect();
        let mut last = 0.0;
        for (i, at) in mine.iter().enumerate() {
            if i % 2 == 0 {
                up.push(at - last)
            } else {
                down.push(at - last)
            }
            last = *at;
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // About 6 x 12 h / 24 min = 180 cycles: the sample means are within 20 % of 20 and 4 min.
    assert!(up.len() > 120, "{}", up.len());
    assert!((mean(&up) / 1200.0 - 1.0).abs() < 0.2, "mean time between failures {}", mean(&up));
    assert!((mean(&down) / 240.0 - 1.0).abs() < 0.2, "mean time to repair {}", mean(&down));
    // Exponential, not constant: the spread is about the mean.
    let sd = (down.iter().map(|d| (d - mean(&down)).powi(2)).sum::<f64>() / down.len() as f64).sqrt();
    assert!((sd / mean(&down) - 1.0).abs() < 0.3, "coefficient of variation {}", sd / mean(&down));
}

#[test]
fn a_zone_outage_takes_down_every_node_of_the_zone_for_its_window() {
    let yaml =
        faulty(1, "  - {kind: zoneOutage, zone: za, at: 2m, for: 3m}\n").replace("duration: 12h", "duration: 15m");
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let crashed: Vec<(f64, &str)> =
        of_kind(&ev, "node_crashed").iter().map(|e| (t(e), e["node"].as_str().unwrap())).collect();
    assert_eq!(crashed, vec![(120.0, "a-1"), (120.0, "a-2"), (120.0, "a-3")]);
    let recovered: Vec<(f64, &str)> =
        of_kind(&ev, "node_recovered").iter().map(|e| (t(e), e["node"].as_str().unwrap())).collect();
    assert_eq!(recovered, vec![(300.0, "a-1"), (300.0, "a-2"), (300.0, "a-3")]);
    assert_eq!(
        fault_history(&ev, "zoneOutage"),
        vec![
            (120.0, "fault_injected".to_string(), "zone za".to_string()),
            (300.0, "fault_repaired".to_string(), "zone za".to_string()),
        ]
    );
    let labels: Vec<&str> = out.observations.markers.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(labels, ["zoneOutage zone za", "zoneOutage zone za over"]);
}

#[test]
fn overlapping_outages_hold_a_target_until_the_last_one_ends() {
    // Two outages of zone za: [2m, 8m) and [5m, 10m): its nodes are back at 10m only.
    let faults =
        "  - {kind: zoneOutage, zone: za, at: 2m, for: 6m}\n  - {kind: zoneOutage, zone: za, at: 5m, for: 5m}\n";
    let yaml = faulty(1, faults).replace("duration: 12h", "duration: 15m");
    let ev = events(&simulate(&load_str(&yaml).unwrap()));
    assert_eq!(times(&ev, "node_crashed", |_| true), vec![120.0; 3]);
    assert_eq!(times(&ev, "node_recovered", |_| true), vec![600.0; 3]);
    // Two timeline partitions of one node: [1m, 6m) and [3m, 8m): reconnected at 8m.
    let yaml = ha("  - {at: 1m, partitionNode: {node: worker-1, for: 5m}}\n  - {at: 3m, partitionNode: {node: worker-1, for: 5m}}\n");
    let ev = events(&simulate(&load_str(&yaml).unwrap()));
    assert_eq!(times(&ev, "node_partitioned", |_| true), vec![60.0]);
    assert_eq!(times(&ev, "node_reconnected", |_| true), vec![480.0]);
    // The operator's recoverNode ends every outage of the node at once.
    let yaml = faulty(1, "  - {kind: zoneOutage, zone: za, at: 2m, for: 6m}\n")
        .replace("duration: 12h", "duration: 15m")
        + "timeline:\n  - {at: 3m, recoverNode: a-1}\n";
    let ev = events(&simulate(&load_str(&yaml).unwrap()));
    let recovered: Vec<(f64, &str)> =
        of_kind(&ev, "node_recovered").iter().map(|e| (t(e), e["node"].as_str().unwrap())).collect();
    assert_eq!(recovered, vec![(180.0, "a-1"), (480.0, "a-2"), (480.0, "a-3")]);
}

#[test]
fn slow_start_replaces_pod_startup_on_its_pool() {
    let yaml = faulty(1, "  - {kind: slowStart, pool: b, podStartup: 30s}\n").replace("duration: 12h", "duration: 5m");
    let ev = events(&simulate(&load_str(&yaml).unwrap()));
    let scheduled: Vec<&Value> = of_kind(&ev, "pod_scheduled");
    let nodes: std::collections::BTreeSet<&str> = scheduled.iter().map(|e| e["node"].as_str().unwrap()).collect();
    assert!(nodes.iter().any(|n| n.starts_with("a-")) && nodes.iter().any(|n| n.starts_with("b-")), "{nodes:?}");
    for s in scheduled {
        let running = of_kind(&ev, "pod_running").into_iter().find(|r| r["pod"] == s["pod"]).unwrap();
        let expected = if s["node"].as_str().unwrap().starts_with("b-") { 30.0 } else { 2.0 };
        assert_eq!(t(running) - t(s), expected, "{s}");
    }
}

#[test]
fn bad_ops_input_names_file_line_column_and_a_hint() {
    let head = "name: t\nduration: 5m\ncluster:\n  masters: 3\n  nodePools:\n    - {name: worker, count: 2, capacity: {cpu: \"2\", memory: 4Gi}, labels: {topology.kubernetes.io/zone: a}}\n";
    let cases: &[(&str, (u32, u32), &str, &str)] = &[
        ("faults:\n  - {kind: nodeCrsh, pool: worker, mtbf: 1h, mttr: 5m}\n", (8, 12), "unknown fault kind \"nodeCrsh\"", "did you mean \"nodeCrash\"?"),
        ("faults:\n  - {kind: nodeCrash, pool: wrker, mtbf: 1h, mttr: 5m}\n", (8, 29), "nodeCrash names unknown pool \"wrker\"", "did you mean \"worker\"?"),
        ("faults:\n  - {kind: nodeCrash, pool: worker, mtbf: 0s, mttr: 5m}\n", (8, 43), "mtbf \"0s\" is shorter than 1s", "mean time between failures"),
        ("faults:\n  - {kind: masterCrash, mtbf: 1h}\n", (8, 5), "missing the required field `mttr`", "add `mttr:`"),
        ("faults:\n  - {kind: masterCrash, mtbf: 1h, mttr: 5m, pool: worker}\n", (8, 45), "unknown key `pool` in a fault", "valid keys"),
        ("faults:\n  - {kind: zoneOutage, zone: east, at: 1m, for: 1m}\n", (8, 30), "zoneOutage names zone \"east\", which no node is labelled with", "zones: a"),
        ("faults:\n  - {kind: zoneOutage, zone: a, at: 9m, for: 1m}\n", (8, 37), "starts after the end of the run", "raise `duration`"),
        ("faults:\n  - {kind: slowStart, pool: worker, podStartup: 5s}\n  - {kind: slowStart, pool: worker, podStartup: 9s}\n", (9, 5), "pool \"worker\" has two slowStart faults", "one podStartup per pool"),
        ("timeline:\n  - {at: 1m, crashMaster: 4}\n", (8, 27), "crashMaster names master 4, but the cluster has 3", "1 .. 3"),
        ("timeline:\n  - {at: 1m, recoverMaster: 0}\n", (8, 29), "recoverMaster takes a master number from 1", "numbered"),
        ("timeline:\n  - {at: 1m, partitionNode: {node: worker-9, for: 1m}}\n", (8, 36), "partitionNode names node \"worker-9\"", "did you mean"),
        ("timeline:\n  - {at: 1m, partitionNode: {node: worker-1, for: 0s}}\n", (8, 51), "for \"0s\" must be positive", "for: 2m"),
        ("timeline:\n  - {at: 1m, drain: {node: worker-1, timeout: soon}}\n", (8, 47), "\"soon\" is not a valid duration", "250ms"),
        ("timeline:\n  - {at: 1m, drain: {node: worker-1, grace: 5s}}\n", (8, 38), "unknown key `grace` in drain", "valid keys"),
    ];
    for (i, (extra, (line, col), message, hint)) in cases.iter().enumerate() {
        let err = match load_str(&format!("{head}{extra}")) {
            Ok(_) => panic!("case {i} loaded but should fail: {extra}"),
            Err(e) => e,
        };
        assert!(err.message.contains(message), "case {i}: message {:?} lacks {message:?}", err.message);
        let got_hint = err.hint.clone().unwrap_or_default();
        assert!(got_hint.contains(hint), "case {i}: hint {got_hint:?} lacks {hint:?}");
        assert_eq!((err.span.line, err.span.col), (*line, *col), "case {i}: {err}");
    }
    // And the good forms load.
    let good = "faults:\n  - {kind: nodeCrash, pool: worker, mtbf: 1h, mttr: 5m}\n  - {kind: nodePartition, pool: worker, mtbf: 1h, mttr: 5m}\n  - {kind: masterCrash, mtbf: 1h, mttr: 5m}\n  - {kind: zoneOutage, zone: a, at: 1m, for: 1m}\n  - {kind: slowStart, pool: worker, podStartup: {lognormal: {median: 5s, p99: 90s}}}\ntimeline:\n  - {at: 1m, partitionNode: worker-1}\n  - {at: 2m, crashMaster: 3}\n  - {at: 3m, recoverMaster: 3}\n  - {at: 4m, drain: worker-2}\n  - {at: 4m, drain: {node: worker-1, timeout: 2m, force: true}}\n";
    let s = load_str(&format!("{head}{good}")).unwrap();
    assert_eq!(s.faults.len(), 5);
    assert_eq!(s.timeline.len(), 5);
}

#[test]
fn without_a_controller_manager_leader_the_endpoints_are_frozen() {
    // A Service with steady traffic; one pod is deleted at 62 s. With a leader, it leaves
    // the endpoints at once; while the leases change hands (61.3 s .. 76 s) kube-proxy
    // keeps sending it requests, which are lost.
    let run = |timeline: &str| {
        let yaml = format!(
            r#"name: ep
duration: 2m
cluster:
  masters: 3
  nodePools: [{{name: w, count: 3, capacity: {{cpu: "8", memory: 32Gi}}}}]
controlPlane: {{podStartup: 1s}}
manifests:
{web}  - inline: {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{selector: {{app: web}}}}}}
serving:
  web: {{concurrency: 4, serviceTime: {{exponential: 10ms}}, cpuPerRequest: 10ms, timeout: 1s}}
traffic:
  - {{service: web, loadBalancing: roundRobin, rate: [{{at: 0s, rps: 300}}]}}
timeline:
{timeline}  - {{at: 62s, deletePod: web}}
"#,
            web = deployment_manifest("web", 3, "", "{name: web, image: w, resources: {requests: {cpu: 500m}}}", ""),
        );
        let out = simulate(&load_str(&yaml).unwrap());
        out.observations.traffic["web"]
            .iter()
            .map(|w| (w.figures.to.as_secs_f64(), w.figures.counts.dropped.pod_lost))
            .collect::<Vec<(f64, u64)>>()
    };
    let lost_between = |w: &[(f64, u64)], from: f64, to: f64| -> u64 {
        w.iter().filter(|(end, _)| *end > from && *end <= to).map(|(_, l)| l).sum()
    };
    let led = run("");
    let handover = run("  - {at: 61300ms, crashMaster: 1}\n");
    let (quick, frozen) = (lost_between(&led, 60.0, 120.0), lost_between(&handover, 60.0, 80.0));
    // Round robin over three endpoints: about a third of 14 s at 300 rps.
    assert!(frozen > 1000 && frozen < 1800, "lost while frozen: {frozen}");
    assert!(quick < frozen / 10, "with a leader only what the pod held is lost: {quick}");
    assert_eq!(lost_between(&handover, 80.0, 120.0), 0, "the new leader drops the pod from the endpoints");
}
