//! Progress goes to stderr as a redrawn bar only on a terminal, as plain lines with
//! `--progress`, and not at all otherwise; PASS/FAIL get colour on a terminal unless
//! NO_COLOR is set. The terminal is a real pseudo-terminal from util-linux `script`.

mod common;
use common::*;
use std::process::Command;

/// Runs `sim ARGS` under a pseudo-terminal (stdout and stderr both on it) and returns
/// what the terminal received.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = String::from(env!("CARGO_BIN_EXE_sim"));
    for a in args {
        cmd.push(' ');
        cmd.push_str(a);
    }
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("util-linux `script` runs a command on a pseudo-terminal");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sweep_draws_a_bar_only_on_a_terminal() {
    let dir = scratch("progress");
    let out_dir = dir.join("a");
    let piped = sim(&[
        "sweep",
        "scenarios/failover.yaml",
        "--seeds",
        "1..3",
        "--jobs",
        "1",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(piped.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(stderr.is_empty(), "no progress when stderr is not a terminal: {stderr:?}");

    let lines = sim(&[
        "sweep",
        "scenarios/failover.yaml",
        "--seeds",
        "1..3",
        "--jobs",
        "1",
        "--progress",
        "--out",
        dir.join("b").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&lines.stderr);
    assert!(!stderr.contains('\r') && !stderr.contains('\x1b'), "{stderr:?}");
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        ["sweep failover: 1/3 seeds (30%)", "sweep failover: 2/3 seeds (60%)", "sweep failover: 3/3 seeds (100%)"]
    );

    let tty = on_terminal(
        &[
            "sweep",
            "scenarios/failover.yaml",
            "--seeds",
            "1..3",
            "--jobs",
            "1",
            "--out",
            dir.join("c").to_str().unwrap(),
        ],
        &[],
    );
    assert!(tty.contains("\r\x1b[Ksweep failover [##########....................] 1/3 seeds"), "{tty:?}");
    assert!(tty.contains("] 3/3 seeds"), "{tty:?}");
    // The bar's line is cleared before the summary.
    assert!(tty.contains("\r\x1b[Ksweep failover: 3 of 3 seeds passed"), "{tty:?}");

    let quiet = on_terminal(
        &["sweep", "scenarios/failover.yaml", "--seeds", "1..2", "-q", "--out", dir.join("d").to_str().unwrap()],
        &[],
    );
    assert!(quiet.is_empty(), "-q: nothing on success: {quiet:?}");
}

#[test]
fn run_progress_lines_and_colour_follow_the_terminal_and_no_color() {
    let dir = scratch("run-progress");
    let lines = sim(&["run", "scenarios/failover.yaml", "--progress", "--out", dir.join("a").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&lines.stderr);
    assert!(stderr.lines().last().is_some_and(|l| l == "run failover: 15m0s of 15m0s simulated (100%)"), "{stderr:?}");
    let piped = String::from_utf8_lossy(&lines.stdout).into_owned();
    assert!(piped.contains("\nPASS readyReplicas") && !piped.contains('\x1b'), "no colour into a pipe");

    let tty = on_terminal(&["run", "scenarios/failover.yaml", "--out", dir.join("b").to_str().unwrap()], &[]);
    assert!(tty.contains("\x1b[32mPASS\x1b[0m readyReplicas web >= 4 by 30s"), "{tty:?}");
    let plain = on_terminal(
        &["run", "scenarios/failover.yaml", "--out", dir.join("c").to_str().unwrap()],
        &[("NO_COLOR", "1")],
    );
    assert!(plain.contains("PASS readyReplicas web >= 4 by 30s") && !plain.contains("\x1b[32m"), "{plain:?}");
}
