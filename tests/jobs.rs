//! Jobs and CronJobs end to end: completions and parallelism, the pod failure back-off,
//! backoffLimit, Indexed Jobs, work queues, activeDeadlineSeconds, TTL, suspend,
//! restartPolicy OnFailure, CronJob schedules in virtual time (time zones, history limits,
//! concurrency policies, missed schedules), `jobComplete`, and loader refusals.

mod common;
use common::*;
use std::path::Path;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jobs").join(name)).unwrap()
}

/// An inline `batch/v1` Job; `spec` lines are indented 8 spaces.
fn job(name: &str, spec: &str, restart: &str) -> String {
    format!(
        "  - inline:\n      apiVersion: batch/v1\n      kind: Job\n      metadata: {{name: {name}}}\n      spec:\n{spec}        template:\n          spec:\n            restartPolicy: {restart}\n            containers: [{{name: main, image: \"busybox:1.36\", resources: {{requests: {{cpu: 100m}}}}}}]\n"
    )
}

/// An inline CronJob; `spec` lines are indented 8 spaces, `job_spec` 12.
fn cron_job(name: &str, schedule: &str, spec: &str, job_spec: &str) -> String {
    format!(
        "  - inline:\n      apiVersion: batch/v1\n      kind: CronJob\n      metadata: {{name: {name}}}\n      spec:\n        schedule: \"{schedule}\"\n{spec}        jobTemplate:\n          spec:\n{job_spec}            template:\n              spec:\n                restartPolicy: Never\n                containers: [{{name: main, image: \"busybox:1.36\"}}]\n"
    )
}

/// A scenario: a two-node cluster, `manifests` entries, then `extra` (running:, expect:, ...).
fn scenario(duration: &str, manifests: &str, extra: &str) -> String {
    format!(
        "name: jobs\nduration: {duration}\ncluster:\n  masters: 1\n  nodePools: [{{name: w, count: 2, capacity: {{cpu: \"4\", memory: 8Gi}}}}]\nmanifests:\n{manifests}{extra}"
    )
}

fn times(ev: &[serde_json::Value], kind: &str) -> Vec<f64> {
    of_kind(ev, kind).iter().map(|e| t(e)).collect()
}

#[test]
fn a_kubectl_job_runs_its_pod_to_completion() {
    let files = [
        ("pi.yaml", fixture("pi.yaml")),
        (
            "scenario.yaml",
            "name: pi\nduration: 10m\ncluster:\n  masters: 1\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 4Gi}}]\nmanifests:\n  - file: pi.yaml\nrunning:\n  pi: {duration: 30s}\nexpect:\n  - jobComplete: {job: pi, by: 1m}\n".into(),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let out = simulate(&load_files(&files).unwrap());
    let ev = events(&out);
    let created = of_kind(&ev, "pod_created");
    assert_eq!(created.len(), 1);
    let pod = created[0]["pod"].as_str().unwrap();
    assert!(pod.starts_with("pi-") && pod.len() == "pi-".len() + 5, "{pod}");
    assert_eq!((created[0]["owner"].as_str(), created[0]["owner_kind"].as_str()), (Some("pi"), Some("Job")));
    // Runs 30 s from its start (2 s podStartup); the Job completes one batch period (1 s) later.
    assert_eq!(times(&ev, "pod_succeeded"), vec![32.0]);
    assert_eq!(of_kind(&ev, "pod_succeeded")[0]["node"], "w-1");
    assert_eq!(times(&ev, "job_completed"), vec![33.0]);
    let record = &out.observations.jobs[0];
    assert_eq!((record.succeeded, record.failed, record.pods), (1, 0, 1));
    // The finished pod keeps its place in the API but frees its node.
    assert_eq!(out.store.nodes[0].requested.cpu_millis, 0);
    assert_eq!(out.store.pods().len(), 1);
}

#[test]
fn failed_pods_are_replaced_after_the_doubling_back_off_until_backoff_limit() {
    let yaml = scenario(
        "20m",
        &job("flaky", "        backoffLimit: 2\n", "Never"),
        "running:\n  flaky: {duration: 10s, failureRate: 1.0}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    // Start 2 s after creation, fail 10 s later; replacements 10 s, then 20 s after a failure.
    assert_eq!(times(&ev, "pod_created"), vec![0.0, 22.0, 54.0]);
    assert_eq!(times(&ev, "pod_failed"), vec![12.0, 34.0, 66.0]);
    assert!(of_kind(&ev, "pod_failed").iter().all(|e| e["reason"] == "Error"));
    // The third failure exceeds backoffLimit 2 at the next (batched) sync.
    let failed = of_kind(&ev, "job_failed");
    assert_eq!((failed.len(), t(failed[0]), failed[0]["reason"].as_str()), (1, 67.0, Some("BackoffLimitExceeded")));
    assert!(of_kind(&ev, "job_completed").is_empty());
    assert_eq!(out.observations.jobs[0].failed, 3);
}

#[test]
fn parallelism_bounds_the_running_pods_and_completions_end_the_job() {
    let yaml = scenario(
        "20m",
        &job("batch", "        completions: 5\n        parallelism: 2\n", "Never"),
        "running:\n  batch: {duration: {uniform: {min: 20s, max: 40s}}}\nexpect:\n  - jobComplete: {job: batch, by: 5m}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    assert_eq!(of_kind(&ev, "pod_created").len(), 5);
    assert_eq!(of_kind(&ev, "pod_succeeded").len(), 5);
    // Never more than two pods running at once.
    let mut running = 0i32;
    let mut most = 0;
    for e in &ev {
        match e["kind"].as_str().unwrap() {
            "pod_running" => running += 1,
            "pod_succeeded" => running -= 1,
            _ => {}
        }
        most = most.max(running);
    }
    assert_eq!(most, 2);
    let done = times(&ev, "job_completed");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0], times(&ev, "pod_succeeded").last().unwrap() + 1.0);
}

#[test]
fn an_indexed_job_succeeds_once_per_index_and_names_pods_by_index() {
    let files = [
        ("render.yaml", fixture("render.yaml")),
        (
            "scenario.yaml",
            "name: render\nduration: 30m\ncluster:\n  masters: 1\n  nodePools: [{name: w, count: 2, capacity: {cpu: \"4\", memory: 8Gi}}]\nmanifests:\n  - file: render.yaml\nrunning:\n  render: {duration: {exponential: 30s}, failureRate: 0.3}\nseed: 7\n".into(),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let out = simulate(&load_files(&files).unwrap());
    let ev = events(&out);
    let index_of =
        |pod: &str| pod.strip_prefix("render-").and_then(|r| r.split('-').next()).unwrap().parse::<u32>().unwrap();
    let succeeded: Vec<u32> =
        of_kind(&ev, "pod_succeeded").iter().map(|e| index_of(e["pod"].as_str().unwrap())).collect();
    let mut sorted = succeeded.clone();
    sorted.sort();
    assert_eq!(sorted, vec![0, 1, 2, 3, 4, 5], "each index succeeds exactly once");
    assert!(!of_kind(&ev, "pod_failed").is_empty(), "seed 7 fails some pods");
    // The first three pods take indexes 0, 1, 2; a failed index is retried by a pod of the same index.
    let first: Vec<u32> =
        of_kind(&ev, "pod_created").iter().take(3).map(|e| index_of(e["pod"].as_str().unwrap())).collect();
    assert_eq!(first, vec![0, 1, 2]);
    assert_eq!(of_kind(&ev, "job_completed").len(), 1);
    assert_eq!(out.observations.jobs[0].succeeded, 6);
}

#[test]
fn a_work_queue_job_completes_when_one_pod_succeeded_and_none_runs() {
    let yaml = scenario(
        "10m",
        &job("queue", "        parallelism: 3\n", "Never"),
        "running:\n  queue: {duration: {uniform: {min: 10s, max: 60s}}}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    assert_eq!(of_kind(&ev, "pod_created").len(), 3, "no replacement after the first success");
    let last = *times(&ev, "pod_succeeded").last().unwrap();
    assert_eq!(times(&ev, "job_completed"), vec![last + 1.0]);
}

#[test]
fn the_active_deadline_deletes_running_pods_and_fails_the_job() {
    let yaml = scenario(
        "10m",
        &job("slow", "        activeDeadlineSeconds: 60\n        parallelism: 2\n        completions: 2\n", "Never"),
        "running:\n  slow: {duration: 5m}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let terminated = of_kind(&ev, "pod_terminated");
    assert_eq!(terminated.len(), 2);
    assert!(terminated.iter().all(|e| t(e) == 60.0 && e["reason"] == "deleted"));
    // The Failed condition waits for the pods to terminate (30 s grace, the app exits at once).
    let failed = of_kind(&ev, "job_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["reason"], "DeadlineExceeded");
    let deleted = times(&ev, "pod_deleted");
    assert!(t(failed[0]) >= *deleted.last().unwrap(), "{} before the pods were gone", t(failed[0]));
    assert!(of_kind(&ev, "pod_succeeded").is_empty());
}

#[test]
fn ttl_after_finished_deletes_the_job_and_its_pods() {
    let yaml = scenario(
        "10m",
        &job("once", "        ttlSecondsAfterFinished: 100\n", "Never"),
        "running:\n  once: {duration: 10s}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let done = times(&ev, "job_completed")[0];
    assert_eq!(times(&ev, "pod_deleted"), vec![done + 100.0]);
    assert!(out.store.jobs[0].deleted);
    assert!(out.store.pods().is_empty());
}

#[test]
fn a_suspended_job_makes_no_pods_until_resumed() {
    let manifest = |suspend: bool| job("later", &format!("        suspend: {suspend}\n"), "Never");
    let dir = scratch("suspend");
    std::fs::write(
        dir.join("resume.yaml"),
        manifest(false).replace("  - inline:\n", "").replace("\n      ", "\n").trim_start(),
    )
    .unwrap();
    let yaml = scenario(
        "10m",
        &manifest(true),
        "running:\n  later: {duration: 10s}\ntimeline:\n  - {at: 2m, apply: {file: resume.yaml}}\n",
    );
    std::fs::write(dir.join("scenario.yaml"), yaml).unwrap();
    let s = clustersim::scenario::load_scenario(&dir.join("scenario.yaml"), &[]).unwrap().scenario;
    let out = simulate(&s);
    let ev = events(&out);
    assert_eq!(times(&ev, "pod_created"), vec![120.0]);
    assert_eq!(times(&ev, "job_completed"), vec![133.0]);
    // Resuming restarts status.startTime.
    assert_eq!(out.observations.jobs[0].start, Some(clustersim::engine::Time::from_secs(120)));
}

#[test]
fn on_failure_restarts_in_place_and_restarts_count_toward_backoff_limit() {
    let yaml = scenario(
        "30m",
        &job("crashy", "        backoffLimit: 3\n", "OnFailure"),
        "running:\n  crashy: {duration: 5s, failureRate: 1.0}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    assert_eq!(of_kind(&ev, "pod_created").len(), 1, "the same pod restarts");
    assert!(of_kind(&ev, "pod_failed").is_empty());
    // Runs 2..7, restarts after 10 s (+2 s start), 20 s, 40 s: three restarts reach the limit.
    assert_eq!(times(&ev, "pod_running"), vec![2.0, 19.0, 46.0]);
    let failed = of_kind(&ev, "job_failed");
    assert_eq!((failed.len(), failed[0]["reason"].as_str()), (1, Some("BackoffLimitExceeded")));
    assert!(t(failed[0]) > 51.0);
}

#[test]
fn a_kubectl_cronjob_creates_jobs_named_by_their_schedule_minute() {
    let files = [
        ("backup.yaml", fixture("backup.yaml")),
        (
            "scenario.yaml",
            "name: backup\nduration: 32m\nstart: 2026-01-01T00:00:00Z\ncluster:\n  masters: 1\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 4Gi}}]\nmanifests:\n  - file: backup.yaml\nrunning:\n  backup: {duration: 20s}\nexpect:\n  - jobComplete: {job: backup, by: 21m}\n".into(),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let out = simulate(&load_files(&files).unwrap());
    let ev = events(&out);
    // Every 5 minutes, 100 ms after the minute (the controller's requeue pad).
    assert_eq!(times(&ev, "pod_created"), vec![300.1, 600.1, 900.1, 1200.1, 1500.1, 1800.1]);
    // 2026-01-01T00:05:00Z is minute 29453765 since the epoch.
    let owners: Vec<&str> = of_kind(&ev, "pod_created").iter().map(|e| e["owner"].as_str().unwrap()).collect();
    assert_eq!(owners[0], "backup-29453765");
    assert_eq!(owners[5], "backup-29453790");
    // successfulJobsHistoryLimit 3: the oldest finished Jobs (and their pods) go.
    assert_eq!(out.store.jobs.iter().filter(|j| !j.deleted).count(), 3);
    assert_eq!(of_kind(&ev, "pod_deleted").len(), 3);
    assert_eq!(out.observations.cron_jobs["backup"].jobs_created, 6);
    let results = clustersim::report::evaluate(&out_scenario(&files), &out);
    assert!(results.iter().all(|r| r.passed), "{results:?}");
}

fn out_scenario(files: &[(&str, &str)]) -> clustersim::scenario::Scenario {
    load_files(files).unwrap()
}

#[test]
fn a_start_time_and_time_zone_place_cron_activations_in_local_time() {
    let files = [
        ("report.yaml", fixture("report.yaml")),
        (
            "scenario.yaml",
            "name: report\nduration: 48h\nstart: 2026-07-01T00:00:00Z\ncluster:\n  masters: 1\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 4Gi}}]\nmanifests:\n  - file: report.yaml\nrunning:\n  report: {duration: 10m}\n".into(),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let out = simulate(&load_files(&files).unwrap());
    let ev = events(&out);
    // 03:00 in Paris in July is 01:00 UTC: 1 h and 25 h after the start.
    assert_eq!(times(&ev, "pod_created"), vec![3600.1, 90000.1]);
}

#[test]
fn forbid_skips_a_run_while_one_is_active_and_replace_deletes_it() {
    let manifests = cron_job("f", "*/2 * * * *", "        concurrencyPolicy: Forbid\n", "")
        + &cron_job("r", "*/2 * * * *", "        concurrencyPolicy: Replace\n", "");
    let yaml = scenario("11m", &manifests, "running:\n  f: {duration: 3m}\n  r: {duration: 3m}\n");
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let created_by = |owner_prefix: &str| -> Vec<f64> {
        of_kind(&ev, "pod_created")
            .iter()
            .filter(|e| e["owner"].as_str().unwrap().starts_with(owner_prefix))
            .map(|e| t(e))
            .collect()
    };
    // Forbid: each activation while a Job runs is skipped; when the Job completes, the
    // latest unmet activation starts at once (no startingDeadlineSeconds): the 4-minute
    // one at 5m3.1s (the 2-minute Job's end), the 8-minute one at 8m6.1s.
    let forbid = created_by("f-");
    assert_eq!(forbid, vec![120.1, 303.1, 486.1]);
    let owners: Vec<&str> = of_kind(&ev, "pod_created")
        .iter()
        .filter_map(|e| e["owner"].as_str())
        .filter(|o| o.starts_with("f-"))
        .collect();
    assert_eq!(owners, vec!["f-29453762", "f-29453764", "f-29453768"]);
    assert_eq!(out.observations.cron_jobs["f"].skipped, 4);
    // Replace: every activation deletes the running Job and starts a new one.
    let replace = created_by("r-");
    assert_eq!(replace, vec![120.1, 240.1, 360.1, 480.1, 600.1]);
    let replaced =
        of_kind(&ev, "pod_terminated").iter().filter(|e| e["pod"].as_str().unwrap().starts_with("r-")).count();
    assert_eq!(replaced, 4);
}

#[test]
fn schedules_missed_while_the_controller_manager_is_down_respect_the_starting_deadline() {
    // The only master is down from 1m to 9m: activations at 2, 4, 6, 8 min are missed.
    let manifests = cron_job("late", "*/2 * * * *", "", "")
        + &cron_job("strict", "*/2 * * * *", "        startingDeadlineSeconds: 30\n", "");
    let yaml = scenario(
        "11m",
        &manifests,
        "running:\n  late: {duration: 10s}\n  strict: {duration: 10s}\ntimeline:\n  - {at: 1m, crashMaster: 1}\n  - {at: 9m, recoverMaster: 1}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    let leader = of_kind(&ev, "leader_elected").iter().map(|e| t(e)).filter(|x| *x > 60.0).fold(f64::MAX, f64::min);
    let created_by = |prefix: &str| -> Vec<String> {
        of_kind(&ev, "pod_created")
            .iter()
            .map(|e| e["owner"].as_str().unwrap().to_string())
            .filter(|o| o.starts_with(prefix))
            .collect()
    };
    // Without a deadline the new leader starts the latest missed activation (8 min) at once.
    let late = created_by("late-");
    assert_eq!(late.len(), 2, "{late:?}");
    assert_eq!(late[0], "late-29453768");
    assert!(of_kind(&ev, "pod_created").iter().any(|e| e["owner"] == "late-29453768" && t(e) >= leader));
    // With a 30 s deadline nothing older than 30 s counts: the 10-minute activation runs.
    assert_eq!(created_by("strict-"), vec!["strict-29453770".to_string()]);
}

#[test]
fn deleted_pods_count_as_failed_and_are_replaced_after_the_back_off() {
    let yaml = scenario(
        "10m",
        &job("victim", "        backoffLimit: 6\n", "Never"),
        "running:\n  victim: {duration: 5m}\ntimeline:\n  - {at: 1m, deletePod: victim}\n",
    );
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    // Deleted at 60 s: counted failed at the batched sync (61 s), replaced after the
    // 10 s back-off from the deletion.
    assert_eq!(times(&ev, "pod_created"), vec![0.0, 70.0]);
    assert_eq!(out.observations.jobs[0].failed, 1);
    assert_eq!(of_kind(&ev, "job_completed").len(), 1);
}

#[test]
fn runs_are_deterministic() {
    let manifests =
        job("a", "        completions: 4\n        parallelism: 2\n", "Never") + &cron_job("c", "* * * * *", "", "");
    let yaml = scenario(
        "15m",
        &manifests,
        "running:\n  a: {duration: {exponential: 20s}, failureRate: 0.4}\n  c: {duration: {lognormal: {median: 20s, p99: 2m}}, failureRate: 0.2}\n",
    );
    let s = load_str(&yaml).unwrap();
    let (x, y) = (simulate(&s), simulate(&s));
    assert_eq!(x.events.text(), y.events.text());
}

#[test]
fn bad_job_and_cronjob_input_is_refused_with_its_place_and_a_hint() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            scenario("5m", &cron_job("c", "61 * * * *", "", ""), ""),
            "end of range (61) above maximum (59)",
            "five fields",
        ),
        (scenario("5m", &cron_job("c", "@reboot", "", ""), ""), "unrecognized descriptor: @reboot", "@hourly"),
        (
            scenario("5m", &cron_job("c", "* * * * *", "        timeZone: Europe/Pariss\n", ""), ""),
            "unknown time zone \"Europe/Pariss\"",
            "did you mean \"Europe/Paris\"?",
        ),
        (
            scenario("5m", &cron_job("c", "TZ=UTC * * * * *", "", ""), ""),
            "cannot use TZ or CRON_TZ in schedule",
            "timeZone",
        ),
        (
            scenario("5m", &job("j", "        completions: -1\n", "Never"), ""),
            "completions must not be negative",
            "0 or a positive",
        ),
        (
            scenario("5m", &job("j", "        completions: 100001\n", "Never"), ""),
            "completions 100001 is absurdly large",
            "typo",
        ),
        (
            scenario("5m", &job("j", "        completionMode: Indexed\n", "Never"), ""),
            "completionMode Indexed but no completions",
            "needs `completions:`",
        ),
        (scenario("5m", &job("j", "", "Always"), ""), "restartPolicy \"Always\" is not supported", "Never"),
        (
            scenario("5m", &job("worker", "", "Never"), "running:\n  workr: {duration: 10s}\n"),
            "running names \"workr\", which is no Job or CronJob",
            "did you mean \"worker\"?",
        ),
        (
            scenario("5m", &job("j", "", "Never"), "running:\n  j: {duration: 10s, failureRate: 1.5}\n"),
            "failureRate 1.5 is not between 0 and 1",
            "probability",
        ),
        (
            scenario("5m", &job("j", "", "Never"), "start: yesterday\n"),
            "start \"yesterday\" is not an RFC 3339",
            "2026-01-01T00:00:00Z",
        ),
        (
            scenario("5m", &job("worker", "", "Never"), "expect:\n  - jobComplete: {job: workr, by: 1m}\n"),
            "jobComplete names unknown Job \"workr\"",
            "did you mean \"worker\"?",
        ),
    ];
    for (yaml, message, hint) in cases {
        let err = load_str(&yaml).expect_err(message);
        let text = err.render("error");
        assert!(text.contains(message), "{text}");
        assert!(text.contains(hint), "{text}");
        assert!(text.contains("scenario.yaml:"), "located: {text}");
    }
}

#[test]
fn a_job_without_running_entry_warns_and_runs_to_the_end() {
    let yaml = scenario("5m", &job("forever", "", "Never"), "");
    let dir = scratch("forever");
    std::fs::write(dir.join("scenario.yaml"), yaml).unwrap();
    let loaded = clustersim::scenario::load_scenario(&dir.join("scenario.yaml"), &[]).unwrap();
    assert!(loaded.warnings.0.iter().any(|w| w.render("warning").contains("has no `running:` entry")));
    let out = simulate(&loaded.scenario);
    let ev = events(&out);
    assert!(of_kind(&ev, "pod_succeeded").is_empty() && of_kind(&ev, "job_completed").is_empty());
}

#[test]
fn the_report_shows_jobs_and_cronjobs() {
    let dir = scratch("report");
    std::fs::write(dir.join("pi.yaml"), fixture("pi.yaml")).unwrap();
    std::fs::write(dir.join("backup.yaml"), fixture("backup.yaml")).unwrap();
    std::fs::write(
        dir.join("scenario.yaml"),
        "name: jobs-report\nduration: 12m\ncluster:\n  masters: 1\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 4Gi}}]\nmanifests:\n  - file: pi.yaml\n  - file: backup.yaml\nrunning:\n  pi: {duration: 30s}\n  backup: {duration: 20s}\n",
    )
    .unwrap();
    let out = dir.join("out");
    let run = sim(&["run", dir.join("scenario.yaml").to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let pi = &summary["jobs"][0];
    assert_eq!((pi["name"].as_str(), pi["status"].as_str()), (Some("pi"), Some("Complete")));
    assert_eq!(
        (pi["succeeded"].as_i64(), pi["pods"].as_i64(), pi["completion_s"].as_f64()),
        (Some(1), Some(1), Some(33.0))
    );
    assert_eq!(pi["duration_s"].as_f64(), Some(33.0));
    let backup = &summary["cronjobs"]["backup"];
    assert_eq!((backup["jobs_created"].as_i64(), backup["succeeded"].as_i64()), (Some(2), Some(2)));
    assert_eq!(backup["latest_jobs"][0]["name"], "backup-29453765");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Jobs") && md.contains("| `pi` | Complete | 1/1 | 0 | 1 | 0s | 33s | 33s |"), "{md}");
    assert!(md.contains("## CronJobs") && md.contains("| `backup` | 2 | 2 | 0 | 0 | 0 | 0 |"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("CronJobs") && html.contains("backup-29453770"));
}

#[test]
fn an_exit_behind_a_partition_is_posted_when_the_kubelet_is_back() {
    let yaml = "name: cut\nduration: 5m\ncluster:\n  masters: 1\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"2\", memory: 4Gi}}]\nmanifests:\n"
        .to_string()
        + &job("cut", "", "Never")
        + "running:\n  cut: {duration: 30s}\ntimeline:\n  - {at: 10s, partitionNode: {node: w-1, for: 40s}}\n";
    let out = simulate(&load_str(&yaml).unwrap());
    let ev = events(&out);
    // The containers end at 32 s; the API hears of it when the node reconnects at 50 s.
    assert_eq!(times(&ev, "node_reconnected"), vec![50.0]);
    assert_eq!(times(&ev, "pod_succeeded"), vec![50.0]);
    assert_eq!(times(&ev, "job_completed"), vec![51.0]);
}
