//! SPEC 5.1: `--out` writes only inside its folder and deletes only what an earlier
//! clustersim report put there. Every case plants canary files and checks them after.

mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml")
}

/// Runs `sim ARGS` in `cwd`.
fn sim_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).current_dir(cwd).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every entry below `dir`, sorted, with file contents, so that "nothing changed" is one comparison.
fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let ty = e.file_type().unwrap();
            if ty.is_dir() {
                out.push((rel, None));
                walk(root, &e.path(), out);
            } else {
                out.push((rel, fs::read(e.path()).ok()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A sandbox holding canary files next to and above the working folder `sandbox/a/b`.
fn canary_sandbox(name: &str) -> (PathBuf, PathBuf) {
    let root = scratch(name);
    let cwd = root.join("a/b");
    fs::create_dir_all(&cwd).unwrap();
    fs::write(root.join("canary-root"), "root").unwrap();
    fs::write(root.join("a/canary-a"), "a").unwrap();
    fs::write(cwd.join("canary-cwd"), "cwd").unwrap();
    fs::create_dir_all(root.join("a/sibling")).unwrap();
    fs::write(root.join("a/sibling/canary"), "sibling").unwrap();
    (root, cwd)
}

#[test]
fn dot_dotdot_root_and_the_working_folders_ancestors_are_refused_untouched() {
    let (root, cwd) = canary_sandbox("refuse-dots");
    let before = snapshot(&root);
    let s = scenario();
    let cwd_abs = cwd.canonicalize().unwrap();
    let root_abs = root.canonicalize().unwrap();
    for out in [".", "..", "../..", "./", "/", cwd_abs.to_str().unwrap(), root_abs.to_str().unwrap()] {
        for cmd in [vec!["run", s.to_str().unwrap()], vec!["sweep", s.to_str().unwrap(), "--seeds", "1..2"]] {
            let mut args = cmd.clone();
            args.extend(["--out", out]);
            let o = sim_in(&cwd, &args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains("hint:"), "{}", stderr(&o));
        }
    }
    let o = sim_in(&cwd, &["compare", s.to_str().unwrap(), "--variant", "x:seed=2", "--out", ".."]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(snapshot(&root), before, "nothing in the sandbox changed");
}

#[test]
fn a_users_folder_and_a_file_are_refused_before_anything_is_touched() {
    let (root, cwd) = canary_sandbox("refuse-user");
    let before = snapshot(&root);
    let s = scenario();
    for (out, says) in [("../sibling", "holds no clustersim report"), ("canary-cwd", "is a file")] {
        for cmd in ["run", "sweep"] {
            let mut args = vec![cmd, s.to_str().unwrap(), "--out", out];
            if cmd == "sweep" {
                args.extend(["--seeds", "1..1"]);
            }
            let o = sim_in(&cwd, &args);
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        }
    }
    assert_eq!(snapshot(&root), before);
}

#[test]
fn a_report_is_replaced_by_the_next_run_and_only_its_own_files_go() {
    let (root, cwd) = canary_sandbox("replace");
    let s = scenario();
    let o = sim_in(&cwd, &["run", s.to_str().unwrap(), "--quiet", "--out", "report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let marker = fs::read_to_string(cwd.join("report/.clustersim-report")).unwrap();
    assert!(marker.lines().any(|l| l == "summary.json"), "{marker}");
    let o = sim_in(&cwd, &["run", s.to_str().unwrap(), "--quiet", "--seed", "7", "--out", "report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(cwd.join("report/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], 7);
    // A file of the user's inside the report folder: the next run refuses and keeps it.
    fs::write(cwd.join("report/my-notes.txt"), "mine").unwrap();
    let o = sim_in(&cwd, &["run", s.to_str().unwrap(), "--quiet", "--out", "report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("my-notes.txt"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(cwd.join("report/my-notes.txt")).unwrap(), "mine");
    let mut names: Vec<_> =
        fs::read_dir(&cwd).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["canary-cwd", "report"], "nothing hidden left beside the report");
    assert_eq!(fs::read_to_string(root.join("canary-root")).unwrap(), "root");
}

#[test]
fn a_sweep_replaces_a_sweep_and_an_empty_folder_is_fine() {
    let (_root, cwd) = canary_sandbox("sweep");
    fs::create_dir(cwd.join("empty")).unwrap();
    let s = scenario();
    for _ in 0..2 {
        let o = sim_in(&cwd, &["sweep", s.to_str().unwrap(), "--seeds", "1..2", "--jobs", "2", "--out", "empty"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let mut seeds: Vec<_> =
        fs::read_dir(cwd.join("empty/seeds")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    seeds.sort();
    assert_eq!(seeds, ["1.json", "2.json"]);
    assert!(cwd.join("empty/sweep.json").is_file() && !cwd.join("empty/sweep.json.stale").exists());
    assert_eq!(fs::read_dir(&cwd).unwrap().count(), 2, "only canary-cwd and the sweep");
}

extern "C" {
    fn flock(fd: i32, operation: i32) -> i32;
    fn kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn a_second_writer_exits_2_at_once_and_leaves_nothing() {
    use std::os::unix::io::AsRawFd;
    let (_root, cwd) = canary_sandbox("lock");
    // This test holds the lock a running `sim` would hold.
    let lock = fs::File::create(cwd.join(".report.clustersim-lock")).unwrap();
    assert_eq!(unsafe { flock(lock.as_raw_fd(), 2 | 4) }, 0);
    let o = sim_in(&cwd, &["run", scenario().to_str().unwrap(), "--out", "report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("another run is writing report"), "{}", stderr(&o));
    assert!(!cwd.join("report").exists());
    drop(lock);
}

#[test]
fn concurrent_runs_into_one_folder_leave_one_complete_report_and_nothing_hidden() {
    let (_root, cwd) = canary_sandbox("concurrent");
    let s = scenario();
    for _round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_sim"))
                    .args(["run", s.to_str().unwrap(), "--quiet", "--out", "report"])
                    .current_dir(&cwd)
                    .stderr(Stdio::piped())
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let codes: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        for o in &codes {
            assert!(matches!(o.status.code(), Some(0) | Some(2)), "{}", stderr(o));
            if o.status.code() == Some(2) {
                assert!(stderr(o).contains("another run is writing"), "{}", stderr(o));
            }
        }
        let mut names: Vec<_> =
            fs::read_dir(&cwd).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["canary-cwd", "report"]);
        assert!(cwd.join("report/summary.json").is_file());
    }
}

/// A run that takes long enough to be interrupted: failover under 200,000 requests/s.
fn long_run(cwd: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "run",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/failover.yaml").to_str().unwrap(),
            "--quiet",
            "--set",
            "traffic.0.rate.0.rps=200000",
            "--out",
            "report",
        ])
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn sigint_and_sigterm_leave_the_old_report_stale_and_nothing_hidden() {
    let (_root, cwd) = canary_sandbox("signals");
    let o = sim_in(&cwd, &["run", scenario().to_str().unwrap(), "--quiet", "--out", "report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for signal in [2, 15] {
        if !cwd.join("report/summary.json").exists() {
            let o = sim_in(&cwd, &["run", scenario().to_str().unwrap(), "--quiet", "--out", "report"]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        }
        let child = long_run(&cwd);
        // Wait until it holds the folder (and so has marked the old report stale).
        let start = std::time::Instant::now();
        while !cwd.join("report/summary.json.stale").exists() {
            assert!(start.elapsed().as_secs() < 120, "the run never claimed its folder");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(unsafe { kill(child.id() as i32, signal) }, 0);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(130), "signal {signal}: {}", stderr(&o));
        let mut names: Vec<_> =
            fs::read_dir(&cwd).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["canary-cwd", "report"], "signal {signal}");
        assert!(!cwd.join("report/summary.json").exists(), "the older report does not look complete");
    }
    // The stale report is still clustersim's: the next run replaces it.
    let o = sim_in(&cwd, &["run", scenario().to_str().unwrap(), "--quiet", "--out", "report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(cwd.join("report/summary.json").is_file() && !cwd.join("report/summary.json.stale").exists());
}
