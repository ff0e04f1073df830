//! `sim replay DIR --docker` end to end. The tests that need an engine print a SKIPPED
//! line and pass when none answers; the others run everywhere.

mod common;
use clustersim::live::docker::Docker;
use clustersim::live::LABEL_RUN;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Three workers, four replicas; worker-1 crashes and comes back before its pods are
/// evicted (they restart in place), worker-2 is partitioned long enough for its pods to be
/// replaced and then killed on reconnect, worker-3 crashes for good, then a scale-up.
const TIMELINE: &str = "controlPlane:
  podStartup: 1s
timeline:
  - {at: 1m, crashNode: worker-1}
  - {at: 2m, recoverNode: worker-1}
  - {at: 3m, partitionNode: {node: worker-2, for: 7m}}
  - {at: 4m, crashNode: worker-3}
  - {at: 11m, scale: {deployment: web, replicas: 6}}
";

/// Simulates the small scenario and returns its report folder.
fn simulated_run() -> PathBuf {
    let dir = scratch("live-replay");
    std::fs::write(dir.join("scenario.yaml"), basic_scenario(3, 4, "100m", TIMELINE)).unwrap();
    let out = dir.join("report");
    let result = sim(&["run", dir.join("scenario.yaml").to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(result.status.code(), Some(0), "{}", String::from_utf8_lossy(&result.stderr));
    out
}

fn replay_command(dir: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sim"));
    command.args(["replay", dir.to_str().unwrap(), "--docker"]).args(extra);
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The engine the replay will use, or `None` after printing why the test is skipped.
fn engine_or_skip() -> Option<Docker> {
    let mut docker = match Docker::from_env() {
        Ok(d) => d,
        Err(e) => {
            println!("SKIPPED: {e}");
            return None;
        }
    };
    match docker.ping() {
        Ok(()) => Some(docker),
        Err(e) => {
            println!("SKIPPED: {e}");
            None
        }
    }
}

/// The run id from the first line of a replay's output.
fn run_id(first_line: &str) -> String {
    first_line.rsplit("run id ").next().unwrap().trim().to_string()
}

fn assert_nothing_left(docker: &mut Docker, id: &str) {
    assert_eq!(docker.list_containers(LABEL_RUN, id).unwrap(), [], "containers of run {id} left behind");
    assert!(!docker.image_exists(&format!("clustersim-pause:{id}")).unwrap(), "the image of run {id} left behind");
}

/// A number from the summary, e.g. `figure(out, "containers:", "created")` for "8 created".
fn figure(stdout: &str, line_start: &str, word: &str) -> usize {
    let line = stdout.lines().find(|l| l.trim_start().starts_with(line_start)).unwrap_or_else(|| panic!("{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| w.trim_end_matches(',') == word).unwrap_or_else(|| panic!("{line}"));
    words[at - 1].parse().unwrap()
}

#[test]
fn a_small_run_replays_on_docker_conforms_and_leaves_nothing_behind() {
    let Some(mut docker) = engine_or_skip() else { return };
    let dir = simulated_run();
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let started = Instant::now();
    let out = replay_command(&dir, &[]).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("REPLAY CONFORMED"), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());

    // The trace exercises every path: restarts in place, a crash for good, a partition.
    let pods_started: std::collections::BTreeSet<&str> = events
        .lines()
        .filter(|l| l.contains("\"kind\":\"pod_running\""))
        .map(|l| l.split("\"pod\":\"").nth(1).unwrap().split('"').next().unwrap())
        .collect();
    assert!(events.contains("\"kind\":\"pod_killed\""), "the partitioned node's pods are killed on reconnect");
    assert_eq!(figure(&stdout, "containers:", "created"), pods_started.len(), "{stdout}");
    assert!(figure(&stdout, "containers:", "restarted") >= 1, "{stdout}");
    assert!(figure(&stdout, "containers:", "killed") >= 2, "{stdout}");
    assert!(figure(&stdout, "containers:", "removed") >= 2, "{stdout}");
    assert!(figure(&stdout, "checks:", "passed") >= 6, "{stdout}");
    assert_eq!(figure(&stdout, "events:", "read"), events.lines().count());
    assert_nothing_left(&mut docker, &run_id(stdout.lines().next().unwrap()));
}

#[test]
fn a_container_that_dies_behind_the_replays_back_is_a_mismatch() {
    let Some(mut docker) = engine_or_skip() else { return };
    let dir = simulated_run();
    // At 6 virtual seconds per second the next step (t=60s) comes 10 s after the first.
    let mut child =
        replay_command(&dir, &["--speed", "6"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let id = run_id(&lines.next().unwrap().unwrap());
    let first_step = lines.by_ref().map(Result::unwrap).find(|l| l.starts_with("t=")).unwrap();
    assert!(first_step.contains("created 4"), "{first_step}");
    // Kill a pod's container on a node the next step leaves alone (worker-1 crashes at 60s).
    let victim = docker
        .list_containers(LABEL_RUN, &id)
        .unwrap()
        .into_iter()
        .find(|c| c.state == "running" && c.labels["clustersim.node"] != "worker-1")
        .unwrap();
    docker.kill_container(&victim.id).unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(3), "{}\n{stderr}", rest.join("\n"));
    let pod = &victim.labels["clustersim.pod"];
    let node = &victim.labels["clustersim.node"];
    assert!(stderr.contains("the engine does not match the simulation after events.jsonl line"), "{stderr}");
    assert!(stderr.contains(&format!("pod {pod} should run on {node} (events.jsonl line")), "{stderr}");
    assert!(stderr.contains("its container is exited, not running"), "{stderr}");
    assert_nothing_left(&mut docker, &id);
}

#[test]
fn ctrl_c_stops_the_replay_and_cleans_up() {
    let Some(mut docker) = engine_or_skip() else { return };
    let dir = simulated_run();
    let mut child =
        replay_command(&dir, &["--speed", "1"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let id = run_id(&lines.next().unwrap().unwrap());
    let first_step = lines.by_ref().map(Result::unwrap).find(|l| l.starts_with("t=")).unwrap();
    assert!(first_step.contains("created 4"), "{first_step}");
    assert_eq!(docker.list_containers(LABEL_RUN, &id).unwrap().len(), 4);
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: removed this run's containers and image"), "{stderr}");
    assert_nothing_left(&mut docker, &id);
}

#[test]
fn an_unreachable_engine_exits_3_and_names_the_socket() {
    let dir = simulated_run();
    let out: Output = replay_command(&dir, &[]).env("DOCKER_HOST", "unix:///nonexistent/docker.sock").output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("no Docker engine answered at /nonexistent/docker.sock"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    let out = replay_command(&dir, &[]).env("DOCKER_HOST", "tcp://127.0.0.1:2375").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("only unix:///path/to/docker.sock sockets"), "{}", text(&out.stderr));
}

#[test]
fn bad_input_exits_2_before_touching_any_engine() {
    // DOCKER_HOST points nowhere: exit 2, not 3, shows the input was checked first.
    let nowhere = "unix:///nonexistent/docker.sock";
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sim")).args(args).env("DOCKER_HOST", nowhere).output().unwrap();
        (out.status.code(), text(&out.stderr))
    };
    let (code, stderr) = run(&["replay", "/nonexistent/run", "--docker"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/run: no such folder") && stderr.contains("hint:"), "{stderr}");

    let dir = scratch("live-bad-input");
    std::fs::write(
        dir.join("events.jsonl"),
        "{\"t\":0,\"kind\":\"node_joined\",\"node\":\"w-1\"}\n{\"t\":1,\"kind\":\"pod_running\",\"pod\":\"a\",\"node\":5}\n",
    )
    .unwrap();
    let (code, stderr) = run(&["replay", dir.to_str().unwrap(), "--docker"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("events.jsonl:2:1: error: pod_running event has \"node\": 5"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");

    for (args, expected) in [
        (vec!["--speed", "0"], "--speed \"0\" is not a positive number"),
        (vec!["--speed", "-3"], "--speed \"-3\" is not a positive number"),
        (vec!["--speed", "fast"], "--speed \"fast\" is not a positive number"),
    ] {
        let mut all = vec!["replay", dir.to_str().unwrap(), "--docker"];
        all.extend(args);
        let (code, stderr) = run(&all);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(expected) && stderr.contains("hint:"), "{stderr}");
    }
    let (code, stderr) = run(&["replay", dir.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("hint: add --docker"), "{stderr}");

    // An empty events.jsonl, or one cut off mid-line, is refused: it never "conforms".
    std::fs::write(dir.join("events.jsonl"), "").unwrap();
    let (code, stderr) = run(&["replay", dir.to_str().unwrap(), "--docker"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("events.jsonl:1:1: error: events.jsonl is empty") && stderr.contains("hint:"), "{stderr}");
    std::fs::write(dir.join("events.jsonl"), "{\"t\":0,\"kind\":\"node_joined\",\"node\":\"w-1\"}\n{\"t\":1,\"ki")
        .unwrap();
    let (code, stderr) = run(&["replay", dir.to_str().unwrap(), "--docker"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("events.jsonl:2:11: error: events.jsonl is cut off in the middle of line 2"), "{stderr}");
}

/// Runs `docker ARGS` (the CLI), or `None` when it is not installed.
fn docker_cli(args: &[&str]) -> Option<Output> {
    Command::new("docker").args(args).output().ok()
}

#[test]
fn the_replay_touches_only_what_it_created() {
    let Some(mut docker) = engine_or_skip() else { return };
    if docker_cli(&["version"]).is_none() {
        println!("SKIPPED: no docker CLI to play the other user of the engine");
        return;
    }
    let dir = simulated_run();
    // At 60 virtual seconds per second the replay lasts about 13 s: time enough to act.
    let mut child =
        replay_command(&dir, &["--speed", "60"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let id = run_id(&lines.next().unwrap().unwrap());
    lines.by_ref().map(Result::unwrap).find(|l| l.starts_with("t=")).unwrap();
    // Someone else starts a container from the replay's image and tags the image too.
    let image = format!("clustersim-pause:{id}");
    let user_tag = format!("clustersim-test-user:{id}");
    let name = format!("clustersim-test-user-{id}");
    let o = docker_cli(&["run", "-d", "--network", "none", "--name", &name, &image]).unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = docker_cli(&["tag", &image, &user_tag]).unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let inspect = docker_cli(&["inspect", "-f", "{{json .Config.Labels}}", &name]).unwrap();
    assert!(!text(&inspect.stdout).contains(LABEL_RUN), "the image passes no run label on: {}", text(&inspect.stdout));
    let _rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    // The user's container and tag survive; the replay's own containers and tag are gone.
    let state = docker_cli(&["inspect", "-f", "{{.State.Running}}", &name]).unwrap();
    assert_eq!(text(&state.stdout).trim(), "true", "the user's container still runs");
    assert!(docker.image_exists(&user_tag).unwrap(), "the user's tag survives");
    assert_nothing_left(&mut docker, &id);
    let o = docker_cli(&["rm", "-f", &name]).unwrap();
    assert!(o.status.success());
    let o = docker_cli(&["rmi", &user_tag]).unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
}
