//! Sweeps in shards (`sim sweep --shard I/N`, `--shards N` with `JOB_COMPLETION_INDEX`),
//! `sim merge`, `sim sweep --emit-job` and `sim image`. The kubectl test needs the kubectl
//! client, the container test a Docker engine and a static `sim`; each prints a SKIPPED
//! line and passes without them.

mod common;
use clustersim::live::docker::Docker;
use clustersim::live::image::is_static_executable;
use clustersim::live::tar::{read_archive, Entry};
use clustersim::live::LABEL_RUN;
use clustersim::report::shard::{build_id, scenario_hash};
use clustersim::scenario::{load_scenario, scenario_files};
use common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SCENARIO: &str = "scenarios/failover.yaml";
/// Makes seeds 2, 4, 5 and 6 of 1..8 fail their latency expectation, so that the failing
/// seeds and the pass rates are part of what must match.
const TIGHT_P99: &str = "expect.6.latency.p99=94ms";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// `sweep.json` without its `wall` object (wall-clock figures are the one part a merge
/// cannot reproduce); other files as they are.
fn comparable(mut files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    if let Some(json) = files.get_mut("sweep.json") {
        let text = String::from_utf8(json.clone()).unwrap();
        let mut kept = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.starts_with("  \"wall\": {") {
                for inner in lines.by_ref() {
                    if inner.starts_with("  }") {
                        break;
                    }
                }
                continue;
            }
            kept.push(line);
        }
        *json = (kept.join("\n") + "\n").into_bytes();
    }
    files
}

fn assert_same_folders(expected: &Path, actual: &Path) {
    let (a, b) = (comparable(tree(expected)), comparable(tree(actual)));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{} vs {}",
        expected.display(),
        actual.display()
    );
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs:\n--- {}\n{}\n--- {}\n{}",
            expected.display(),
            text(bytes),
            actual.display(),
            text(&b[name])
        );
    }
}

fn sim_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sim"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("JOB_COMPLETION_INDEX");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn shard(dir: &Path, seeds: &str, spec: &str, sets: &[&str]) -> PathBuf {
    let out = dir.join(format!("shard-{}-seeds-{seeds}-sets-{}", spec.replace('/', "-of-"), sets.join(",")));
    let mut args = vec!["sweep", SCENARIO, "--seeds", seeds, "--shard", spec, "--jobs", "2", "--out", path(&out)];
    for s in sets {
        args.extend(["--set", s]);
    }
    let result = sim_env(&args, &[]);
    assert_eq!(result.status.code(), Some(0), "{}{}", text(&result.stdout), text(&result.stderr));
    out
}

#[test]
fn three_shards_merge_into_the_unsharded_sweep_byte_for_byte() {
    let dir = scratch("shards");
    let whole = dir.join("whole");
    let out = sim_env(&["sweep", SCENARIO, "--seeds", "1..8", "--set", TIGHT_P99, "--out", path(&whole)], &[]);
    assert_eq!(out.status.code(), Some(1), "some seeds fail: {}{}", text(&out.stdout), text(&out.stderr));
    assert!(std::fs::read_to_string(whole.join("sweep.md")).unwrap().contains("## Failing seeds"));

    // Shards 0 and 2 by --shard, shard 1 as a pod of an Indexed Job gets it.
    let first = shard(&dir, "1..8", "0/3", &[TIGHT_P99]);
    let third = shard(&dir, "1..8", "2/3", &[TIGHT_P99]);
    let second = dir.join("from-the-job");
    let out = sim_env(
        &["sweep", SCENARIO, "--seeds", "1..8", "--shards", "3", "--set", TIGHT_P99, "--out", path(&second)],
        &[("JOB_COMPLETION_INDEX", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "a shard exits 0 whatever its seeds did: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("shard 1/3: 1 of 3 seeds passed"), "{}", text(&out.stdout));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(second.join("shard.json")).unwrap()).unwrap();
    assert_eq!(manifest["shard"], serde_json::json!({"index": 1, "count": 3}));
    assert_eq!(manifest["seeds"], serde_json::json!({"first": 1, "last": 8}));
    assert_eq!(manifest["sets"], serde_json::json!([TIGHT_P99]));
    assert_eq!(
        manifest["runs"].as_array().unwrap().iter().map(|r| r["seed"].as_u64().unwrap()).collect::<Vec<_>>(),
        [2, 5, 8]
    );
    let exe = std::fs::read(env!("CARGO_BIN_EXE_sim")).unwrap();
    assert_eq!(manifest["binary"]["build"], build_id(&exe));
    let loaded =
        load_scenario(Path::new(&format!("{}/{SCENARIO}", env!("CARGO_MANIFEST_DIR"))), &[TIGHT_P99.into()]).unwrap();
    assert_eq!(manifest["scenario_hash"], scenario_hash(&loaded.scenario));
    let mut seeds: Vec<String> = tree(&second).into_keys().collect();
    seeds.sort();
    assert_eq!(seeds, [".clustersim-report", "seeds/2.json", "seeds/5.json", "seeds/8.json", "shard.json"]);

    // In any order.
    let merged = dir.join("merged");
    let out = sim_env(&["merge", path(&third), path(&first), path(&second), "--out", path(&merged)], &[]);
    assert_eq!(out.status.code(), Some(1), "the merged sweep fails as the whole one does: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("4 of 8 seeds passed"), "{}", text(&out.stdout));
    assert_same_folders(&whole, &merged);
}

#[test]
fn one_shard_is_the_whole_sweep() {
    let dir = scratch("one-shard");
    let whole = dir.join("whole");
    assert_eq!(sim_env(&["sweep", SCENARIO, "--seeds", "3..4", "--out", path(&whole)], &[]).status.code(), Some(0));
    let only = shard(&dir, "3..4", "0/1", &[]);
    let merged = dir.join("merged");
    let out = sim_env(&["merge", path(&only), "--out", path(&merged)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_same_folders(&whole, &merged);
}

/// Runs `sim merge` on `dirs`, expecting a refusal whose message contains every `needle`.
fn refused(dirs: &[&Path], needles: &[&str]) {
    let out_dir = scratch("refused").join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| path(d)));
    args.extend(["--out", path(&out_dir)]);
    let out = sim_env(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{needles:?}: {stderr}{}", text(&out.stdout));
    for needle in needles {
        assert!(stderr.contains(needle), "no {needle:?} in: {stderr}");
    }
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!out_dir.exists(), "nothing is written when shards are refused");
}

#[test]
fn merge_refuses_gaps_duplicates_and_mismatches() {
    let dir = scratch("merge-refuses");
    let [a, b, c] = ["0/3", "1/3", "2/3"].map(|s| shard(&dir, "1..6", s, &[]));
    let name = |p: &Path| p.display().to_string();

    // Sanity: these three do merge.
    let ok = dir.join("ok");
    assert_eq!(sim_env(&["merge", path(&a), path(&b), path(&c), "--out", path(&ok)], &[]).status.code(), Some(0));

    refused(&[&a, &c], &["missing shard 1/3", "seeds 1..6 in 3 shards"]);
    refused(&[&a], &["missing shards 1/3, 2/3"]);
    refused(&[&a, &b, &b, &c], &["shard 1/3 is given twice", &name(&b)]);
    let copy = dir.join("copy-of-b");
    std::fs::create_dir_all(copy.join("seeds")).unwrap();
    for (file, bytes) in tree(&b) {
        std::fs::write(copy.join(file), bytes).unwrap();
    }
    refused(&[&a, &b, &copy, &c], &["shard 1/3 is given twice", &name(&b), &name(&copy)]);

    let other_scenario = shard(&dir, "1..6", "1/3", &["duration=20m"]);
    refused(
        &[&a, &other_scenario, &c],
        &["different scenarios", &name(&a), &name(&other_scenario), "--set duration=20m"],
    );
    let other_range = shard(&dir, "1..7", "1/3", &[]);
    refused(&[&a, &other_range, &c], &["different sweeps", "seeds 1..6 in 3 shards and seeds 1..7 in 3 shards"]);
    let other_count = shard(&dir, "1..6", "1/2", &[]);
    refused(&[&a, &other_count, &c], &["different sweeps", "seeds 1..6 in 2 shards"]);

    // Another build of sim: the same shard with another binary id.
    let rebuilt = dir.join("rebuilt");
    std::fs::create_dir_all(rebuilt.join("seeds")).unwrap();
    for (file, bytes) in tree(&b) {
        let mut t = text(&bytes);
        if file == "shard.json" {
            let build = t.split("\"build\": \"").nth(1).unwrap().split('"').next().unwrap().to_string();
            t = t.replace(&build, "sha256:0000000000000000");
        }
        std::fs::write(rebuilt.join(file), t).unwrap();
    }
    refused(&[&a, &rebuilt, &c], &["different binaries", "sha256:0000000000000000", &name(&rebuilt)]);

    // A folder that is not a shard, a shard missing a seed file, a shard edited by hand.
    refused(&[&a, &ok, &c], &[&format!("{} is not a sweep shard", name(&ok))]);
    let broken = dir.join("broken");
    std::fs::create_dir_all(broken.join("seeds")).unwrap();
    for (file, bytes) in tree(&b) {
        if file != "seeds/5.json" {
            std::fs::write(broken.join(file), bytes).unwrap();
        }
    }
    refused(&[&a, &broken, &c], &["seeds/5.json"]);
    let edited = dir.join("edited");
    std::fs::create_dir_all(edited.join("seeds")).unwrap();
    for (file, bytes) in tree(&b) {
        let t = if file == "shard.json" { text(&bytes).replace("\"seed\": 5", "\"seed\": 6") } else { text(&bytes) };
        std::fs::write(edited.join(file), t).unwrap();
    }
    refused(&[&a, &edited, &c], &["holds seeds 2, 6 but the shard's seeds are 2, 5"]);
    std::fs::write(edited.join("shard.json"), "{\"format\": 1}").unwrap();
    refused(&[&a, &edited, &c], &["shard.json: format is 1"]);

    // The merged sweep may not overwrite its own inputs.
    let out = sim_env(&["merge", path(&a), path(&b), path(&c), "--out", path(&dir)], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("would replace the shard folder"), "{}", text(&out.stderr));
    assert!(a.join("shard.json").exists());
}

#[test]
fn shard_arguments_are_checked() {
    /// Extra arguments, environment, what the message must say.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (&["--shard", "3/3"], &[], "is not I/N"),
        (&["--shards", "3"], &[], "needs JOB_COMPLETION_INDEX"),
        (&["--shards", "3"], &[("JOB_COMPLETION_INDEX", "3")], "JOB_COMPLETION_INDEX=3"),
        (&["--shards", "3"], &[("JOB_COMPLETION_INDEX", "one")], "is not a shard index"),
        (&["--shards", "9"], &[("JOB_COMPLETION_INDEX", "0")], "--shards 9 does not fit"),
        (&["--shard", "7/8"], &[], "--shard 7/8 does not fit"),
        (&["--shards", "2", "--emit-job", "Bad_Name"], &[], "is not a valid Job name"),
    ];
    for (extra, env, needle) in cases {
        let mut args = vec!["sweep", SCENARIO, "--seeds", "1..4"];
        args.extend(extra.iter());
        let out = sim_env(&args, env);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(needle) && text(&out.stderr).contains("hint:"),
            "{extra:?}: {}",
            text(&out.stderr)
        );
    }
    // clap's own checks: --emit-job needs --shards, --shard and --shards exclude each other.
    for extra in [&["--emit-job", "x"][..], &["--shard", "0/2", "--shards", "2"]] {
        let mut args = vec!["sweep", SCENARIO, "--seeds", "1..4"];
        args.extend(extra.iter());
        assert_eq!(sim_env(&args, &[]).status.code(), Some(2), "{extra:?}");
    }
}

#[test]
fn image_files_load_the_same_scenario_from_their_places_in_the_image() {
    // Mirror each bundled scenario's files at their image paths under a scratch root; the
    // scenario loaded from there is the same (same hash) as the one loaded here.
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap() {
        let file = entry.unwrap().path();
        if file.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let root = scratch("image-root");
        let files = scenario_files(&file, &[]).unwrap();
        assert_eq!(files[0].host, file);
        for f in &files {
            let target = root.join(f.image.trim_start_matches('/'));
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&f.host, target).unwrap();
        }
        let here = load_scenario(&file, &[]).unwrap().scenario;
        let there = load_scenario(&root.join(files[0].image.trim_start_matches('/')), &[])
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .scenario;
        assert_eq!(scenario_hash(&here), scenario_hash(&there), "{}", file.display());
        assert!(files.len() >= 2 || !std::fs::read_to_string(&file).unwrap().contains("file:"), "{}", file.display());
    }
}

#[test]
fn image_refuses_a_dynamically_linked_sim_with_the_static_build_command() {
    // The test build of sim is linked dynamically; no engine is needed to refuse it.
    let out = sim_env(&["image", SCENARIO], &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is linked dynamically") && stderr.contains("+crt-static") && stderr.contains("--binary"),
        "{stderr}"
    );
    let out = sim_env(&["image", SCENARIO, "--binary", SCENARIO], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a sim executable"), "{}", text(&out.stderr));
}

// ---- kubectl ---------------------------------------------------------------------------

/// A stand-in for an API server that answers what `kubectl create --dry-run=client` asks:
/// discovery of `v1` (PersistentVolumeClaim) and `batch/v1` (Job), and the OpenAPI v3
/// documents from which kubectl learns that the server validates fields itself (as every
/// server since 1.27 does), so that kubectl, as against a real cluster, only decodes and maps
/// the objects. Every request is logged.
struct FakeApiServer {
    port: u16,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

fn resource_list(group_version: &str, name: &str, kind: &str) -> String {
    format!(
        r#"{{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"{group_version}","resources":[{{"name":"{name}","singularName":"","namespaced":true,"kind":"{kind}","verbs":["create","delete","get","list","patch","update","watch"]}}]}}"#
    )
}

fn openapi_v3(path: &str, group: &str, kind: &str) -> String {
    format!(
        r#"{{"openapi":"3.0.0","info":{{"title":"Kubernetes","version":"v1.32.0"}},"paths":{{"{path}":{{"patch":{{"parameters":[{{"name":"fieldValidation","in":"query","schema":{{"type":"string"}}}}],"responses":{{}},"x-kubernetes-group-version-kind":{{"group":"{group}","version":"v1","kind":"{kind}"}}}}}}}}}}"#
    )
}

impl FakeApiServer {
    fn start() -> FakeApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let log = shared.clone();
                std::thread::spawn(move || serve(stream, port, &log));
            }
        });
        FakeApiServer { port, log }
    }
}

fn serve(stream: TcpStream, port: u16, log: &std::sync::Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let target = request.split_whitespace().nth(1).unwrap_or("").to_string();
        log.lock().unwrap().push(request.trim().to_string());
        let path = target.split('?').next().unwrap_or("");
        let (status, reply) = match path {
            "/api" => (200, format!(r#"{{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:{port}"}}]}}"#)),
            "/apis" => (200, r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}],"preferredVersion":{"groupVersion":"batch/v1","version":"v1"}}]}"#.to_string()),
            "/api/v1" => (200, resource_list("v1", "persistentvolumeclaims", "PersistentVolumeClaim")),
            "/apis/batch/v1" => (200, resource_list("batch/v1", "jobs", "Job")),
            "/openapi/v3" => (200, r#"{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=1"},"apis/batch/v1":{"serverRelativeURL":"/openapi/v3/apis/batch/v1?hash=2"}}}"#.to_string()),
            "/openapi/v3/api/v1" => (200, openapi_v3("/api/v1/namespaces/{namespace}/persistentvolumeclaims/{name}", "", "PersistentVolumeClaim")),
            "/openapi/v3/apis/batch/v1" => (200, openapi_v3("/apis/batch/v1/namespaces/{namespace}/jobs/{name}", "batch", "Job")),
            _ => (404, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}"#.to_string()),
        };
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            if status == 200 { "OK" } else { "Not Found" },
            reply.len()
        );
        if writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(reply.as_bytes())).is_err() {
            return;
        }
    }
}

/// `kubectl create --dry-run=client -f - -o json` of `yaml` against the fake server.
fn kubectl_create(server: &FakeApiServer, yaml: &str) -> Output {
    let home = scratch("kubectl-home");
    std::fs::write(home.join("config"), "apiVersion: v1\nkind: Config\n").unwrap();
    let mut child = Command::new("kubectl")
        .args(["create", "--dry-run=client", "-f", "-", "-o", "json"])
        .arg(format!("--server=http://127.0.0.1:{}", server.port))
        .arg(format!("--cache-dir={}", path(&home.join("cache"))))
        .env("KUBECONFIG", home.join("config"))
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(yaml.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_emitted_job_is_accepted_by_kubectl_create_dry_run() {
    if Command::new("kubectl").arg("version").arg("--client").output().is_err() {
        println!("SKIPPED: no kubectl client on PATH");
        return;
    }
    let out = sim_env(
        &[
            "sweep",
            SCENARIO,
            "--seeds",
            "1..1000",
            "--shards",
            "8",
            "--jobs",
            "2",
            "--set",
            TIGHT_P99,
            "--emit-job",
            "failover-sweep",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    let server = FakeApiServer::start();
    let created = kubectl_create(&server, &yaml);
    let log = server.log.lock().unwrap().join("\n");
    assert_eq!(created.status.code(), Some(0), "kubectl: {}\nrequests:\n{log}", text(&created.stderr));
    assert!(log.contains("GET /openapi/v3/apis/batch/v1"), "kubectl asked about field validation:\n{log}");

    // What kubectl decoded.
    let items: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&created.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {}", text(&created.stdout)));
    assert_eq!(items.iter().map(|i| i["kind"].as_str().unwrap()).collect::<Vec<_>>(), ["PersistentVolumeClaim", "Job"]);
    let (pvc, job) = (&items[0], &items[1]);
    assert_eq!(pvc["metadata"]["name"], "failover-sweep-results");
    assert_eq!(pvc["spec"]["accessModes"], serde_json::json!(["ReadWriteMany"]));
    let spec = &job["spec"];
    assert_eq!(job["metadata"]["name"], "failover-sweep");
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"], 8);
    assert_eq!(spec["parallelism"], 8);
    assert_eq!(spec["backoffLimitPerIndex"], 2);
    assert_eq!(spec["podFailurePolicy"]["rules"][0]["action"], "FailIndex");
    assert_eq!(spec["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"], serde_json::json!([4]));
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let container = &pod["containers"][0];
    assert_eq!(container["name"], "sim");
    assert_eq!(container["resources"]["requests"]["cpu"], "2");
    let expected_args = [
        "sweep",
        "/scenario/failover.yaml",
        "--seeds",
        "1..1000",
        "--shards",
        "8",
        "--jobs",
        "2",
        "--out",
        "/results/shard-$(JOB_COMPLETION_INDEX)",
        "--set",
        TIGHT_P99,
    ];
    assert_eq!(container["args"], serde_json::json!(expected_args));
    assert_eq!(container["volumeMounts"][0]["mountPath"], "/results");
    assert_eq!(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "failover-sweep-results");
    let image = container["image"].as_str().unwrap();
    assert!(image.starts_with("clustersim-failover:"), "{image}");

    // The same kubectl refuses what a cluster would not know: the check can fail.
    let broken = kubectl_create(&server, &yaml.replace("apiVersion: batch/v1", "apiVersion: batch/v9"));
    assert_ne!(broken.status.code(), Some(0), "{}", text(&broken.stdout));
    assert!(text(&broken.stderr).contains("error"), "{}", text(&broken.stderr));
    let broken = kubectl_create(
        &server,
        &yaml.replace("  completionMode: Indexed", "  completionMode: Indexed\n completions: 3"),
    );
    assert_ne!(broken.status.code(), Some(0), "{}", text(&broken.stdout));
}

// ---- Docker ----------------------------------------------------------------------------

/// A static `sim` to put in the image: `CLUSTERSIM_STATIC_SIM`, else the static release build
/// in this crate's target folder.
fn static_sim() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CLUSTERSIM_STATIC_SIM").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/x86_64-unknown-linux-gnu/release/sim")),
    ];
    candidates.into_iter().flatten().find(|p| std::fs::read(p).is_ok_and(|b| is_static_executable(&b) == Ok(true)))
}

#[test]
fn image_without_an_engine_exits_3() {
    let Some(binary) = static_sim() else {
        println!("SKIPPED: no static sim (see the test below for how to build one)");
        return;
    };
    let out =
        sim_env(&["image", SCENARIO, "--binary", path(&binary)], &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("/nonexistent/docker.sock") && text(&out.stderr).contains("hint:"),
        "{}",
        text(&out.stderr)
    );
}

/// Removes, at the end of the test whatever happens, every container labelled with this
/// test's run id and the image it built.
struct Cleanup {
    run: String,
    image: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok(mut docker) = Docker::from_env() else { return };
        for c in docker.list_containers(LABEL_RUN, &self.run).unwrap_or_default() {
            let _ = docker.remove_container(&c.id);
        }
        let _ = docker.untag_image(&self.image);
    }
}

/// The `args` of the emitted Job's container, read from its YAML.
fn job_args(yaml: &str) -> Vec<String> {
    let line = yaml.lines().find(|l| l.trim_start().starts_with("args: [")).unwrap();
    let list = line.trim_start().trim_start_matches("args: ");
    serde_json::from_str(list).unwrap()
}

#[test]
fn shards_run_as_containers_of_the_image_with_job_completion_index_and_merge() {
    let mut docker = match Docker::from_env().and_then(|mut d| d.ping().map(|()| d)) {
        Ok(d) => d,
        Err(e) => {
            println!("SKIPPED: {e}");
            return;
        }
    };
    let Some(binary) = static_sim() else {
        println!(
            "SKIPPED: no static sim to put in the image; build it with \
             RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --target x86_64-unknown-linux-gnu \
             (or point CLUSTERSIM_STATIC_SIM at one)"
        );
        return;
    };
    let run = format!("sweep-shards-test-{}", std::process::id());
    let tag = format!("clustersim-{run}:latest");
    let _cleanup = Cleanup { run: run.clone(), image: tag.clone() };
    let dir = scratch("image-shards");

    let built = sim_env(&["image", SCENARIO, "--binary", path(&binary), "--tag", &tag, "--set", TIGHT_P99], &[]);
    assert_eq!(built.status.code(), Some(0), "{}{}", text(&built.stdout), text(&built.stderr));
    assert!(text(&built.stdout).contains("/scenario/manifests/web.yaml"), "{}", text(&built.stdout));

    let job = sim_env(
        &[
            "sweep",
            SCENARIO,
            "--seeds",
            "1..8",
            "--shards",
            "3",
            "--set",
            TIGHT_P99,
            "--emit-job",
            "t",
            "--image",
            &tag,
        ],
        &[],
    );
    assert_eq!(job.status.code(), Some(0), "{}", text(&job.stderr));
    let args = job_args(&text(&job.stdout));

    // What the Job controller and the kubelet do for each index: JOB_COMPLETION_INDEX in the
    // environment, $(JOB_COMPLETION_INDEX) in the arguments expanded.
    let results = dir.join("collected");
    let labels = BTreeMap::from([(LABEL_RUN.to_string(), run.clone())]);
    for index in 0..3 {
        let expanded: Vec<String> =
            args.iter().map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())).collect();
        let env = [format!("JOB_COMPLETION_INDEX={index}")];
        let id = docker.create_command_container(&format!("{run}-{index}"), &tag, &expanded, &env, &labels).unwrap();
        docker.start_container(&id).unwrap();
        let code = docker.wait_container(&id).unwrap();
        let logs = docker.container_logs(&id).unwrap();
        assert_eq!(code, 0, "shard {index}: {logs}");
        assert!(logs.contains(&format!("shard {index}/3")), "{logs}");
        for entry in read_archive(&docker.copy_from_container(&id, "/results").unwrap()).unwrap() {
            if let Entry::File { path, data } = entry {
                let target = results.join(path);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(target, data).unwrap();
            }
        }
        docker.remove_container(&id).unwrap();
    }
    let shards: Vec<PathBuf> = (0..3).map(|i| results.join("results").join(format!("shard-{i}"))).collect();
    let manifest = std::fs::read_to_string(shards[0].join("shard.json")).unwrap();
    assert!(manifest.contains(&build_id(&std::fs::read(&binary).unwrap())), "the image's sim ran: {manifest}");
    assert!(manifest.contains("\"file\": \"/scenario/failover.yaml\""), "{manifest}");

    // Merged here (by another build of sim: that is allowed, the shards agree among themselves).
    let merged = dir.join("merged");
    let out = sim_env(&["merge", path(&shards[2]), path(&shards[0]), path(&shards[1]), "--out", path(&merged)], &[]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("note: the shards were run by"), "{}", text(&out.stderr));

    // The unsharded sweep, by the same sim in the same image.
    let mut whole_args: Vec<String> = args.iter().take(4).cloned().collect();
    whole_args.extend(["--set", TIGHT_P99, "--out", "/results/whole"].map(String::from));
    let id = docker.create_command_container(&format!("{run}-whole"), &tag, &whole_args, &[], &labels).unwrap();
    docker.start_container(&id).unwrap();
    assert_eq!(docker.wait_container(&id).unwrap(), 1, "{}", docker.container_logs(&id).unwrap());
    let whole = dir.join("whole");
    for entry in read_archive(&docker.copy_from_container(&id, "/results/whole").unwrap()).unwrap() {
        if let Entry::File { path, data } = entry {
            let target = whole.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, data).unwrap();
        }
    }
    docker.remove_container(&id).unwrap();
    assert_same_folders(&whole.join("whole"), &merged);
    assert_nothing_left(&mut docker, &run);
}

fn assert_nothing_left(docker: &mut Docker, run: &str) {
    assert_eq!(docker.list_containers(LABEL_RUN, run).unwrap(), [], "containers of {run} left behind");
}
