//! A table of bad inputs: each fails with file, line, column, the bad value and a hint,
//! and `sim` exits 2 without a panic.

mod common;
use common::*;

const GOOD_HEAD: &str = "name: t\nduration: 5m\ncluster:\n  nodePools:\n    - {name: worker, count: 2, capacity: {cpu: \"2\", memory: 4Gi}}\n";

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: x}]\n";

/// (scenario text, extra files, (line, col), message fragment, hint fragment)
type Case = (String, Vec<(&'static str, String)>, (u32, u32), &'static str, &'static str);

fn cases() -> Vec<Case> {
    let with = |extra: &str| format!("{GOOD_HEAD}{extra}");
    let web = vec![("web.yaml", DEPLOYMENT.to_string())];
    vec![
        (with("durration: 5m\n"), vec![], (6, 1), "unknown key `durration`", "did you mean `duration`?"),
        (
            GOOD_HEAD.replace("duration: 5m", "duration: 300"),
            vec![],
            (2, 11),
            "duration 300 has no unit",
            "write `300s`",
        ),
        (
            GOOD_HEAD.replace("duration: 5m", "duration: 5 min"),
            vec![],
            (2, 11),
            "\"5 min\" is not a valid duration",
            "250ms",
        ),
        (
            GOOD_HEAD.replace("count: 2", "count: -3"),
            vec![],
            (5, 29),
            "count must not be negative, found -3",
            "positive",
        ),
        (
            GOOD_HEAD.replace("count: 2", "count: lots"),
            vec![],
            (5, 29),
            "count must be a whole number, found a string \"lots\"",
            "without quotes",
        ),
        (GOOD_HEAD.replace("count: 2", "count: 5000000"), vec![], (5, 29), "absurdly large", "typo"),
        (
            GOOD_HEAD.replace("cpu: \"2\"", "cpu: 2 cores"),
            vec![],
            (5, 48),
            "\"2 cores\" is not a valid quantity",
            "5Gi, not 5 Gi",
        ),
        (
            GOOD_HEAD.replace("memory: 4Gi", "memory: 4GB"),
            vec![],
            (5, 61),
            "unknown quantity suffix \"GB\"",
            "Ki, Mi, Gi",
        ),
        (
            GOOD_HEAD.replace("nodePools", "nodepools"),
            vec![],
            (4, 3),
            "unknown key `nodepools` in cluster",
            "did you mean `nodePools`?",
        ),
        (
            GOOD_HEAD.replace("name: t\n", "name: My Scenario\n"),
            vec![],
            (1, 7),
            "must match [a-z0-9-]+",
            "report folder",
        ),
        (
            with("timeline:\n  - {at: 1m, crashNode: worker-9}\n"),
            vec![],
            (7, 25),
            "node \"worker-9\", which does not exist",
            "did you mean \"worker-1\"?",
        ),
        (
            with("timeline:\n  - {at: 1m, crashNode: worker-3}\n  - {at: 2m, join: {pool: worker}}\n"),
            vec![],
            (7, 25),
            "does not exist at that time",
            "joins later",
        ),
        (
            with("timeline:\n  - {at: 9m, cordon: worker-1}\n"),
            vec![],
            (7, 10),
            "after the end of the run",
            "raise `duration`",
        ),
        (
            with("timeline:\n  - {at: 1m, scale: {deployment: wbe, replicas: 3}}\n"),
            vec![],
            (7, 34),
            "unknown deployment \"wbe\"",
            "there are no deployments",
        ),
        (
            with("manifests: [{file: web.yaml}]\ntimeline:\n  - {at: 1m, scale: {deployment: wbe, replicas: 3}}\n"),
            web.clone(),
            (8, 34),
            "unknown deployment \"wbe\"",
            "did you mean \"web\"?",
        ),
        (
            with("manifests: [{file: web.yaml}]\nexpect:\n  - readyReplicas: {deployment: api, atLeast: 1, by: 1m}\n"),
            web.clone(),
            (8, 33),
            "readyReplicas names unknown deployment \"api\"",
            "web",
        ),
        (with("timeline:\n  - {at: 1m, explode: worker-1}\n"), vec![], (7, 14), "unknown key `explode`", "valid keys"),
        (
            with("timeline:\n  - {at: 1m, cordon: worker-1, uncordon: worker-1}\n"),
            vec![],
            (7, 42),
            "holds one action",
            "split",
        ),
        (with("manifests: [{file: missing.yaml}]\n"), vec![], (6, 20), "cannot read", "relative to the scenario"),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![("web.yaml", DEPLOYMENT.replace("matchLabels: {app: web}", "matchLabels: {app: api}"))],
            (6, 13),
            "selector of Deployment \"web\" does not match its template labels",
            "matchLabels",
        ),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![("web.yaml", DEPLOYMENT.replace("replicas: 2", "replicas: -1"))],
            (5, 13),
            "spec.replicas must not be negative",
            "positive",
        ),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![("web.yaml", DEPLOYMENT.replace("apps/v1", "extensions/v1beta1"))],
            (1, 13),
            "has apiVersion \"extensions/v1beta1\"",
            "apps/v1",
        ),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![(
                "web.yaml",
                DEPLOYMENT.replace(
                    "  replicas: 2\n",
                    "  replicas: 2\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n",
                ),
            )],
            (6, 29),
            "may not both be zero",
            "maxSurge: 1",
        ),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![("web.yaml", DEPLOYMENT.replace("image: x", "image: x, resources: {requests: {cpu: -1}}"))],
            (10, 68),
            "cpu request must not be negative",
            "zero or more",
        ),
        (
            with("manifests:\n  - inline: {kind: Deployment, metadata: {name: x}}\n"),
            vec![],
            (7, 13),
            "no apiVersion",
            "apps/v1",
        ),
        (
            with("controlPlane:\n  scheduler: {policy: binpak}\n"),
            vec![],
            (7, 23),
            "unknown scheduler policy \"binpak\"",
            "default, binpack",
        ),
        (
            with("controlPlane:\n  podStartup: {gamma: 2s}\n"),
            vec![],
            (7, 15),
            "must be a duration or a distribution",
            "lognormal",
        ),
        (with("traffic: [{service: web, rate: [{at: 0s, rps: 10}]}]\n"), vec![], (6, 21), "unknown Service \"web\"", "kubectl create service"),
        (
            with("manifests: [{file: web.yaml}]\ntraffic: [{service: web, rate: [{at: 0s, rps: 10}]}]\n"),
            vec![("web.yaml", format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{selector: {{app: web}}}}\n"))],
            (7, 21),
            "sends traffic to Deployment \"web\", which has no serving profile",
            "serving: {web:",
        ),
        (with("traffic: [{service: web, loadBalancing: leastConn, rate: []}]\n"), vec![], (6, 41), "unknown loadBalancing \"leastConn\"", "powerOfTwo"),
        (with("a: [1, 2\n"), vec![], (6, 4), "this `[` is never closed", "close it with `]`"),
        (with("seed: 1\nseed: 2\n"), vec![], (7, 1), "duplicate key \"seed\"", "once"),
        (
            "- just\n- a list\n".to_string(),
            vec![],
            (1, 1),
            "the scenario must be a mapping, found a list",
            "key: value",
        ),
        (
            GOOD_HEAD.replace("count: 2,", "count: 2, autoscaling: {min: 3, max: 1},"),
            vec![],
            (5, 59),
            "autoscaling.max 1 must be at least 1 and at least min (3)",
            "min: 0, max: 50",
        ),
        (
            GOOD_HEAD.replace("count: 2,", "count: 9, autoscaling: {min: 0, max: 5},"),
            vec![],
            (5, 45),
            "the pool starts with 9 nodes, outside autoscaling {min: 0, max: 5}",
            "within [min, max]",
        ),
        (
            with("controlPlane:\n  clusterAutoscaler: {expander: least-wast}\n"),
            vec![],
            (7, 33),
            "unknown expander \"least-wast\"",
            "did you mean \"least-waste\"?",
        ),
        (
            with("controlPlane:\n  clusterAutoscaler: {coresTotal: {min: 64, max: 8}}\n"),
            vec![],
            (7, 35),
            "coresTotal min is above its max",
            "coresTotal: {min: 8, max: 400}",
        ),
        (
            with("controlPlane:\n  hpaSyncPeriod: 1ms\n"),
            vec![],
            (7, 18),
            "hpaSyncPeriod \"1ms\" is shorter than 1s",
            "use at least 1s",
        ),
        (
            with("controlPlane:\n  clusterAutoscaler: {scanInterval: 0s}\n"),
            vec![],
            (7, 37),
            "scanInterval \"0s\" is shorter than 1s",
            "upstream: 5s to 15s",
        ),
        (
            with("controlPlane:\n  clusterAutoscaler: {scaleDownUtilizationThreshold: 50}\n"),
            vec![],
            (7, 54),
            "scaleDownUtilizationThreshold 50 is outside 0..1",
            "e.g. 0.5",
        ),
        (
            with("faults: [{kind: nodeCrash, pool: worker, mtbf: 1ns, mttr: 1ns}]\n"),
            vec![],
            (6, 48),
            "mtbf \"1ns\" is shorter than 1s",
            "use at least 1s",
        ),
        (
            with("faults: [{kind: masterCrash, mtbf: 1h, mttr: 999ms}]\n"),
            vec![],
            (6, 46),
            "mttr \"999ms\" is shorter than 1s",
            "mean time to repair",
        ),
        // Item 4 of issue 10: every name refers to something that exists.
        (
            shop("expect:\n  - availability: {service: wbe, min: \"99%\"}\n"),
            shop_files(),
            (10, 29),
            "availability names unknown Service \"wbe\"",
            "did you mean \"web\"?",
        ),
        (
            shop("expect:\n  - latency: {service: wbe, p99: 1s}\n"),
            shop_files(),
            (10, 24),
            "latency names unknown Service \"wbe\"",
            "did you mean \"web\"?",
        ),
        (
            with("manifests: [{file: web.yaml}]\nexpect:\n  - availability: {service: web, min: \"99%\"}\n"),
            shop_files(),
            (8, 29),
            "availability names Service \"web\", which has no traffic",
            "traffic: [{service: web, rate:",
        ),
        (
            with("manifests: [{file: web.yaml}]\nserving: {wbe: {serviceTime: {exponential: 20ms}}}\n"),
            shop_files(),
            (7, 11),
            "serving names unknown deployment \"wbe\"",
            "did you mean \"web\"?",
        ),
        (
            shop("").replace("traffic: [{service: web", "traffic: [{service: wbe"),
            shop_files(),
            (8, 21),
            "traffic names unknown Service \"wbe\"",
            "did you mean \"web\"?",
        ),
        (
            with("manifests: [{file: web.yaml}]\ntimeline:\n  - {at: 1m, setImage: {deployment: web, container: d, image: y}}\n"),
            web.clone(),
            (8, 53),
            "setImage names container \"d\", which Deployment \"web\" does not have",
            "did you mean \"c\"?",
        ),
        (
            with("manifests: [{file: web.yaml}]\ntimeline:\n  - {at: 1m, deletePod: wbe}\n"),
            web.clone(),
            (8, 25),
            "deletePod names \"wbe\", which is no Deployment",
            "did you mean \"web\"?",
        ),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![("web.yaml", format!("{DEPLOYMENT}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h}}\nspec: {{scaleTargetRef: {{kind: Deployment, name: wbe}}, minReplicas: 1, maxReplicas: 3}}\n"))],
            (12, 1),
            "HorizontalPodAutoscaler \"h\" targets unknown Deployment \"wbe\"",
            "did you mean \"web\"?",
        ),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![("web.yaml", format!("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: high}}\nvalue: 1000\n---\n{}", DEPLOYMENT.replace("image: x}]", "image: x}]\n      priorityClassName: hgh")))],
            (6, 1),
            "Deployment \"web\" uses priorityClassName \"hgh\": no PriorityClass with name hgh was found",
            "did you mean \"high\"?",
        ),
        (with("expect:\n  - noPodOn: {node: wroker-1}\n"), vec![], (7, 21), "noPodOn names unknown node \"wroker-1\"", "did you mean \"worker-1\"?"),
        (with("expect:\n  - poolSize: {pool: wroker, atMost: 3}\n"), vec![], (7, 22), "expectation names unknown pool \"wroker\"", "did you mean \"worker\"?"),
        (with("expect:\n  - cost: {pool: wroker, max: 3}\n"), vec![], (7, 18), "expectation names unknown pool \"wroker\"", "did you mean \"worker\"?"),
        (
            with("manifests: [{file: web.yaml}]\nexpect:\n  - rolloutComplete: {deployment: wbe, revision: 2, by: 1m}\n"),
            web.clone(),
            (8, 35),
            "rolloutComplete names unknown deployment \"wbe\"",
            "did you mean \"web\"?",
        ),
        (with("timeline:\n  - {at: 1m, join: {pool: wroker}}\n"), vec![], (7, 27), "join names unknown pool \"wroker\"", "did you mean \"worker\"?"),
        (
            with("timeline:\n  - {at: 1m, partitionNode: {node: wroker-1, for: 1m}}\n"),
            vec![],
            (7, 36),
            "partitionNode names node \"wroker-1\", which does not exist",
            "did you mean \"worker-1\"?",
        ),
        // Item 3: what a run would have to hold is bounded up front.
        (
            format!(
                "name: t\nduration: 5m\ncluster:\n  nodePools:\n{}",
                (1..=3).map(|i| format!("    - {{name: p{i}, count: 100000, capacity: {{cpu: \"2\", memory: 4Gi}}}}\n")).collect::<String>()
            ),
            vec![],
            (7, 7),
            "the cluster could reach 300000 nodes, more than the 250000 a run holds",
            "130,000 nodes",
        ),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![(
                "web.yaml",
                (0..2)
                    .map(|i| DEPLOYMENT.replace("name: web", &format!("name: web{i}")).replace("replicas: 2", "replicas: 1500000"))
                    .collect::<Vec<_>>()
                    .join("---\n"),
            )],
            (12, 1),
            "the workloads could ask for 3000000 pods, more than the 2000000 a run holds",
            "1,000,000 pods",
        ),
        // Items 2, 5 and 7 of issue 10: hostile YAML.
        (with(&bomb()), vec![], (12, 12), "with the alias *a4 the aliases of this file would copy more than 100000 values (this one copies 66430)", "billion laughs"),
        (with(&chain(1_000)), vec![], (453, 12), "with the alias *a445 the aliases of this file would copy more than 100000 values", "fewer aliases"),
        (with(&format!("x:\n  {}a\n", "- ".repeat(30_000))), vec![], (7, 201), "values nested more than 100 deep", "runaway"),
        (with(&format!("x: {}\n", "[".repeat(30_000))), vec![], (6, 259), "`[` and `{` nested more than 255 deep", "runaway"),
        (with(&format!("x: {}{}\n", "[".repeat(150), "]".repeat(150))), vec![], (6, 103), "values nested more than 100 deep", "runaway"),
        (
            GOOD_HEAD.replace("count: 2", "count: 1234567890123456789012345678901234567890"),
            vec![],
            (5, 29),
            "the integer 1234567890123456789012345678901234567890 is out of range",
            "quote it",
        ),
        (GOOD_HEAD.replace("count: 2", "count: 1e30"), vec![], (5, 29), "count 1e30 is absurdly large", "typo"),
        (with("seed: 1e999\n"), vec![], (6, 7), "seed must be a whole number, found a number .inf", "without quotes"),
        (with("seed: .nan\n"), vec![], (6, 7), "seed must be a whole number, found a number .nan", "without quotes"),
        (
            GOOD_HEAD.replace("count: 2,", "count: 2, costPerHour: -.inf,"),
            vec![],
            (5, 45),
            "costPerHour must be a finite number, found -.inf",
            "0.5",
        ),
        (with("seed: !!binary aGk=\n"), vec![], (6, 16), "the tag `!!binary` is not supported", "!!int, !!float"),
        (with("description: !Ref x\n"), vec![], (6, 19), "the tag `!Ref` is not supported", "remove the tag"),
        (with("seed: !!int x\n"), vec![], (6, 13), "`!!int` needs an integer, found \"x\"", "0x2A"),
        (with("seed: !!str 42\n"), vec![], (6, 13), "seed must be a whole number, found a string \"42\"", "without quotes"),
        (with("timeline:\n  - {at: 1m, cordon: worker-1"), vec![], (7, 5), "this `{` is never closed", "cut short"),
        (with("timeline:\n  - at: 1m\n    cordon"), vec![], (8, 5), "invalid YAML at the end of the file", "cut short"),
        (with("description: \"cut"), vec![], (6, 14), "quoted scalar", "cut short"),
        (with("description: a\u{7}b\0\n"), vec![], (6, 15), "the control character U+0007 is not allowed in YAML", "printable"),
        (
            with("manifests: [{file: web.yaml}]\n"),
            vec![("web.yaml", format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, labels: {}}}\n", flow_bomb()))],
            (14, 31 + flow_bomb().find("&a5 [").unwrap() as u32 + 5),
            "with the alias *a4 the aliases of this file would copy more than 100000 values",
            "billion laughs",
        ),
    ]
}

/// A "billion laughs" mapping under the unknown key `x` (lines 6-16).
fn bomb() -> String {
    let mut s = String::from("x:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        s.push_str(&format!("  a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 9].join(", ")));
    }
    s
}

/// The same bomb as one flow mapping.
fn flow_bomb() -> String {
    let mut s = String::from("{a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]");
    for i in 1..10 {
        s.push_str(&format!(", a{i}: &a{i} [{}]", vec![format!("*a{}", i - 1); 9].join(", ")));
    }
    s + "}"
}

/// `n` anchors under `x`, each aliasing the previous one.
fn chain(n: usize) -> String {
    let mut s = String::from("x:\n  - &a0 [x]\n");
    for i in 1..n {
        s.push_str(&format!("  - &a{i} [*a{}]\n", i - 1));
    }
    s
}

/// The Deployment and Service `web` with its serving profile and traffic (lines 6-8),
/// then `extra` from line 9.
fn shop(extra: &str) -> String {
    format!("{GOOD_HEAD}manifests: [{{file: web.yaml}}]\nserving: {{web: {{serviceTime: {{exponential: 20ms}}}}}}\ntraffic: [{{service: web, rate: [{{at: 0s, rps: 10}}]}}]\n{extra}")
}

fn shop_files() -> Vec<(&'static str, String)> {
    vec![("web.yaml", format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{selector: {{app: web}}}}\n"))]
}

#[test]
fn every_bad_input_names_file_line_column_value_and_hint() {
    // Every case is checked and every mismatch reported at once.
    let mut failures = Vec::new();
    for (i, (scenario, files, (line, col), message, hint)) in cases().into_iter().enumerate() {
        let mut all: Vec<(&str, &str)> = vec![("scenario.yaml", &scenario)];
        all.extend(files.iter().map(|(n, t)| (*n, t.as_str())));
        let err = match load_files(&all) {
            Ok(_) => {
                failures.push(format!("case {i} loaded but should fail: {scenario}"));
                continue;
            }
            Err(e) => e,
        };
        let rendered = err.to_string();
        let got_hint = err.hint.clone().unwrap_or_default();
        if !err.message.contains(message)
            || !got_hint.contains(hint)
            || (err.span.line, err.span.col) != (line, col)
            || !rendered.contains(&format!(":{line}:{col}: error: "))
        {
            failures.push(format!("case {i}: expected {line}:{col} {message:?} hint {hint:?}, got {rendered}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_binary_exits_2_and_prints_the_location() {
    let dir = scratch("bad-cli");
    let file = dir.join("bad.yaml");
    std::fs::write(&file, format!("{GOOD_HEAD}durration: 5m\n")).unwrap();
    let out_dir = dir.join("r");
    for args in [
        vec!["run", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()],
        vec!["validate", file.to_str().unwrap()],
    ] {
        let cmd = args[0];
        let out = sim(&args);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("bad.yaml:6:1: error: unknown key `durration`"), "{stderr}");
        assert!(stderr.contains("hint: did you mean `duration`?"), "{stderr}");
        assert!(!dir.join("r").exists(), "no report for bad input");
    }
}

#[test]
fn set_overrides_are_checked_like_the_file() {
    let dir = scratch("bad-set");
    let file = dir.join("s.yaml");
    std::fs::write(&file, GOOD_HEAD).unwrap();
    let out = sim(&["validate", file.to_str().unwrap(), "--set", "duration=forever"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(--set #1): error: duration \"forever\" is not a valid duration"), "{stderr}");
    let out = sim(&["validate", file.to_str().unwrap(), "--set", "cluster.nodePools.0.count=3"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sim(&["validate", file.to_str().unwrap(), "--set", "cluster.nodePools.7.count=3"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_file_is_bad_input_not_a_panic() {
    let out = sim(&["run", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("does/not/exist.yaml: error: cannot read the scenario file: "), "{stderr}");
    assert!(stderr.contains("hint: check the path of the scenario file"), "{stderr}");
    assert!(!stderr.contains("--set"), "{stderr}");
}

#[test]
fn a_run_past_its_limits_stops_with_a_message_not_an_abort() {
    use clustersim::world::{run_with_limits, RunError, RunLimits, RunOptions};
    let text = basic_scenario(20, 10, "100m", "faults: [{kind: nodeCrash, pool: worker, mtbf: 1s, mttr: 1s}]\n");
    let scenario = load_str(&text).expect("1s is the shortest mean time allowed");
    let options = RunOptions::default();
    let defaults = RunLimits::default();
    let few_events = RunLimits { max_events: 2_000, ..defaults };
    match run_with_limits(&scenario, options, few_events) {
        Err(e @ RunError::Limit { .. }) => {
            assert!(e.is_bad_input());
            assert!(e.to_string().contains("more than 2000 world events were handled"), "{e}");
            assert!(e.hint().contains("longer mtbf"), "{}", e.hint());
        }
        other => panic!("expected the event bound, got {:?}", other.map(|o| o.end)),
    }
    let small_log = RunLimits { max_log_bytes: 64 * 1024, ..defaults };
    match run_with_limits(&scenario, options, small_log) {
        Err(e) => assert!(e.to_string().contains("events.jsonl grew past 65536 bytes"), "{e}"),
        Ok(_) => panic!("expected the log bound"),
    }
    let few_pending = RunLimits { max_pending: 5, ..defaults };
    match run_with_limits(&scenario, options, few_pending) {
        Err(e) => assert!(e.to_string().contains("more than 5 world events were waiting"), "{e}"),
        Ok(_) => panic!("expected the queue bound"),
    }
    // The bounds hold while controllers settle too (here: creating the pods at t=0).
    match run_with_limits(&scenario, options, RunLimits { max_log_bytes: 100, ..defaults }) {
        Err(RunError::Limit { time, what }) => {
            assert_eq!(time.as_nanos(), 0);
            assert_eq!(what, "events.jsonl grew past 100 bytes");
        }
        other => panic!("expected the log bound at t=0, got {:?}", other.map(|o| o.end)),
    }
    // Under the default bounds the same run finishes.
    assert!(run_with_limits(&scenario, options, defaults).is_ok());
}

#[test]
fn yaml_1_2_core_integers_are_numbers() {
    for form in ["0x2A", "0o52", "!!int 42", "42", "+42", "!!float 42"] {
        let s = load_str(&format!("{GOOD_HEAD}seed: {form}\n")).unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(s.seed, 42, "{form}");
    }
}

#[test]
fn invalid_utf8_names_the_file_line_and_column() {
    let dir = scratch("bad-utf8");
    let scenario = dir.join("s.yaml");
    std::fs::write(&scenario, [GOOD_HEAD.as_bytes(), b"description: caf\xc3\xa9 \xff\n"].concat()).unwrap();
    let err = clustersim::scenario::load_scenario(&scenario, &[]).err().expect("refused");
    assert_eq!((err.span.line, err.span.col), (6, 19), "{err}");
    assert_eq!(err.message, "invalid UTF-8 (byte 0xFF)");
    assert!(err.hint.as_deref().unwrap().contains("save the scenario file as UTF-8"), "{err}");
    // In a manifest, the position is in the manifest.
    std::fs::write(&scenario, format!("{GOOD_HEAD}manifests: [{{file: web.yaml}}]\n")).unwrap();
    std::fs::write(
        dir.join("web.yaml"),
        [&DEPLOYMENT.as_bytes()[..20], b"\xc0\x80", &DEPLOYMENT.as_bytes()[20..]].concat(),
    )
    .unwrap();
    let err = clustersim::scenario::load_scenario(&scenario, &[]).err().expect("refused");
    assert_eq!(err.file, dir.join("web.yaml"));
    assert_eq!((err.span.line, err.span.col), (2, 1), "{err}");
    assert_eq!(err.message, "invalid UTF-8 (byte 0xC0)");
}

/// Makes a FIFO at `path` (no writer ever opens it).
fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

#[test]
fn non_regular_files_exit_2_without_blocking() {
    let dir = scratch("bad-special");
    let fifo = dir.join("pipe.yaml");
    mkfifo(&fifo);
    std::fs::create_dir(dir.join("folder.yaml")).unwrap();
    // The scenario itself: named alone, no `--set` label, a hint that fits.
    for (path, kind) in [(fifo.clone(), "a FIFO"), (dir.join("folder.yaml"), "a folder")] {
        let out = sim(&["validate", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected =
            format!("{}: error: cannot read the scenario file: not a regular file (it is {kind})", path.display());
        assert!(stderr.starts_with(&expected), "{stderr}");
        assert!(stderr.contains("hint: the scenario file must be a regular file"), "{stderr}");
        assert!(!stderr.contains("--set") && !stderr.contains("manifest"), "{stderr}");
    }
    // Named by the scenario: located at the name.
    let scenario = dir.join("s.yaml");
    for (target, kind, place, col) in [
        ("pipe.yaml", "a FIFO", "manifests: [{file: X}]", 20),
        ("/dev/urandom", "a character device", "manifests: [{file: X}]", 20),
        ("folder.yaml", "a folder", "timeline: [{at: 1m, apply: {file: X}}]", 35),
        ("/dev/zero", "a character device", "traffic: [{service: web, trace: X}]", 33),
        ("pipe.yaml", "a FIFO", "serving: {web: {serviceTime: {empirical: X}}}", 42),
    ] {
        std::fs::write(&scenario, format!("{GOOD_HEAD}{}\n", place.replace('X', target))).unwrap();
        let out = sim(&["validate", scenario.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{target} in {place}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = format!("s.yaml:6:{col}: error: cannot read ");
        assert!(stderr.contains(&expected), "{target} in {place}: {stderr}");
        assert!(stderr.contains(&format!("{target}: not a regular file (it is {kind})")), "{stderr}");
        assert!(!stderr.contains("--set"), "{stderr}");
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused_by_name() {
    let dir = scratch("bad-size");
    let scenario = dir.join("s.yaml");
    std::fs::write(&scenario, format!("{GOOD_HEAD}manifests: [{{file: huge.yaml}}]\n")).unwrap();
    // Sparse: the size is in the metadata, nothing is written to disk.
    let huge = std::fs::File::create(dir.join("huge.yaml")).unwrap();
    huge.set_len(clustersim::scenario::MAX_INPUT_BYTES + 1).unwrap();
    let err = clustersim::scenario::load_scenario(&scenario, &[]).err().expect("refused");
    assert_eq!((err.span.line, err.span.col), (6, 20), "{err}");
    assert!(err.message.ends_with("huge.yaml: it is larger than 64 MiB"), "{err}");
    assert!(err.hint.as_deref().unwrap().contains("up to 64 MiB"), "{err}");
}

#[test]
fn an_alias_bomb_exits_2_at_the_alias() {
    let dir = scratch("bad-bomb");
    let file = dir.join("bomb.yaml");
    std::fs::write(&file, format!("{GOOD_HEAD}{}", bomb())).unwrap();
    let out = sim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bomb.yaml:12:12: error: with the alias *a4"), "{stderr}");
}

/// `sim validate -` with `input` on standard input.
fn validate_stdin(input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["validate", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The reader may stop early (past the bound) and close the pipe: a broken pipe is fine.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn standard_input_is_bounded_and_checked_like_a_file() {
    let out = validate_stdin(&[GOOD_HEAD.as_bytes(), b"description: \xff\n"].concat());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("<stdin>:6:14: error: invalid UTF-8 (byte 0xFF)"), "{stderr}");
    let out = validate_stdin(&vec![b'#'; clustersim::scenario::MAX_INPUT_BYTES as usize + 1]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("<stdin>: error: cannot read the standard input: it is larger than 64 MiB"), "{stderr}");
    assert!(!stderr.contains("--set"), "{stderr}");
}
