//! Rollouts end to end: surge and unavailability bounds, Recreate, proportional scaling,
//! pause/resume, rollback, history cleanup.

mod common;
use clustersim::engine::Time;
use common::*;

fn web(replicas: u32, strategy: &str, extra_spec: &str) -> String {
    format!(
        r#"name: ro
duration: 15m
cluster:
  nodePools: [{{name: w, count: 4, capacity: {{cpu: "16", memory: 64Gi}}}}]
controlPlane: {{podStartup: {{lognormal: {{median: 3s, p99: 20s}}}}}}
manifests:
{web}"#,
        web = deployment_manifest(
            "web",
            replicas,
            &format!("        strategy: {strategy}\n{extra_spec}"),
            r#"{name: web, image: "web:1", resources: {requests: {cpu: 100m}}, readinessProbe: {initialDelaySeconds: 5, periodSeconds: 5}}"#,
            ""
        ),
    )
}

#[test]
fn rolling_update_stays_within_surge_and_unavailability() {
    for (replicas, surge, unavailable, max_pods, min_ready) in
        [(10, "25%", "25%", 13, 8), (4, "1", "0", 5, 4), (5, "0", "40%", 5, 3), (3, "100%", "0", 6, 3)]
    {
        let strategy =
            format!("{{type: RollingUpdate, rollingUpdate: {{maxSurge: {surge}, maxUnavailable: {unavailable}}}}}");
        let yaml = web(replicas, &strategy, "        minReadySeconds: 5\n")
            + "timeline:\n  - {at: 2m, setImage: {deployment: web, image: \"web:2\"}}\n";
        let s = load_str(&yaml).unwrap();
        let out = simulate(&s);
        let (from, to) = (Time::from_secs(120), out.end);
        let pods = &out.observations.pods["web"];
        let ready = &out.observations.ready["web"];
        assert!(pods.max_over(from, to) <= max_pods, "{surge}/{unavailable}: {} pods", pods.max_over(from, to));
        assert!(
            ready.min_over(from, to) >= min_ready,
            "{surge}/{unavailable}: ready fell to {}",
            ready.min_over(from, to)
        );
        let done: Vec<_> = out.observations.rollouts_completed.iter().filter(|(_, _, r)| *r == 2).collect();
        assert_eq!(done.len(), 1, "{surge}/{unavailable}: revision 2 completes");
        assert_eq!(ready.last(), i64::from(replicas));
        let ev = events(&out);
        let replaced = of_kind(&ev, "pod_terminated").iter().filter(|e| e["reason"] == "replaced").count();
        assert_eq!(replaced, replicas as usize, "every old pod is replaced once");
    }
}

#[test]
fn recreate_removes_every_old_pod_before_creating_new_ones() {
    let yaml =
        web(4, "{type: Recreate}", "") + "timeline:\n  - {at: 2m, setImage: {deployment: web, image: \"web:2\"}}\n";
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let last_old_gone = of_kind(&ev, "pod_terminated").iter().map(|e| t(e)).fold(0.0, f64::max);
    let first_new =
        of_kind(&ev, "pod_created").iter().filter(|e| e["revision"] == 2).map(|e| t(e)).fold(f64::MAX, f64::min);
    assert!(first_new >= last_old_gone && first_new >= 120.0, "new at {first_new}, old gone at {last_old_gone}");
    assert_eq!(
        out.observations.ready["web"].min_over(Time::from_secs(120), Time::from_secs(121)),
        0,
        "Recreate has downtime"
    );
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    // The new revision never becomes ready, so the rollout holds both ReplicaSets; scaling
    // the Deployment then splits the change between them (sync.go `scale`).
    let yaml = web(10, "{type: RollingUpdate, rollingUpdate: {maxSurge: 3, maxUnavailable: 2}}", "")
        + "  - inline: {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}}}\ntimeline:\n  - {at: 1m, apply: {file: v2.yaml}}\n  - {at: 3m, scale: {deployment: web, replicas: 20}}\n";
    let v2 = web(10, "{type: RollingUpdate, rollingUpdate: {maxSurge: 3, maxUnavailable: 2}}", "")
        .split("manifests:\n  - inline:\n")
        .nth(1)
        .unwrap()
        .lines()
        .map(|l| l.strip_prefix("      ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("image: \"web:1\"", "image: \"web:2\"")
        .replace("initialDelaySeconds: 5", "initialDelaySeconds: 86400");
    let s = load_files(&[("scenario.yaml", &yaml), ("v2.yaml", &v2)]).unwrap();
    let out = simulate(&s);
    let mut sizes: Vec<u32> = out.store.replica_sets.iter().map(|rs| rs.replicas).collect();
    sizes.sort();
    // Before: old 8, new 5 (13 = 10 + surge 3). After scaling to 20 (allowed 23):
    // proportional shares of the 10 added: old 8 -> 14, new 5 -> 9.
    assert_eq!(sizes, [9, 14], "{sizes:?}");
}

#[test]
fn a_paused_deployment_does_not_roll_out_until_resumed() {
    let yaml = web(3, "{type: RollingUpdate}", "")
        + "timeline:\n  - {at: 1m, rolloutPause: web}\n  - {at: 2m, setImage: {deployment: web, image: \"web:2\"}}\n  - {at: 5m, rolloutResume: web}\n";
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let started: Vec<f64> =
        of_kind(&ev, "rollout_started").iter().filter(|e| e["revision"] == 2).map(|e| t(e)).collect();
    assert_eq!(started, [300.0]);
}

#[test]
fn undo_to_a_missing_revision_fails_with_kubectls_message() {
    let yaml = web(2, "{type: RollingUpdate}", "") + "timeline:\n  - {at: 1m, rolloutUndo: {deployment: web, toRevision: 7}}\n  - {at: 2m, rolloutUndo: {deployment: web}}\n";
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let failed: Vec<&str> = of_kind(&ev, "action_failed").iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert_eq!(
        failed,
        ["unable to find specified revision 7 in history", "no rollout history found for deployment \"web\""]
    );
}

#[test]
fn history_beyond_the_limit_is_cleaned_up() {
    let mut yaml = web(2, "{type: RollingUpdate}", "        revisionHistoryLimit: 1\n") + "timeline:\n";
    for (i, at) in [1, 3, 5, 7].iter().enumerate() {
        yaml += &format!("  - {{at: {at}m, setImage: {{deployment: web, image: \"web:{}\"}}}}\n", i + 2);
    }
    let out = simulate(&load_str(&yaml).unwrap());
    let alive: Vec<u64> = out.store.replica_sets.iter().filter(|rs| !rs.deleted).map(|rs| rs.revision).collect();
    assert_eq!(alive, [4, 5], "the current revision and one old one are kept");
}
