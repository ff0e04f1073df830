//! Compiles `src/live/pause.c` into a static binary for the replay's container image.
//! Without a working C compiler the build still succeeds: it sets `cfg(clustersim_no_pause)`
//! and `sim replay` then says it cannot run.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(clustersim_no_pause)");
    println!("cargo::rerun-if-changed=src/live/pause.c");
    println!("cargo::rerun-if-env-changed=CC");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("pause");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let result =
        Command::new(&compiler).args(["-static", "-Os", "-s", "-o"]).arg(&out).arg("src/live/pause.c").output();
    let failure = match result {
        Ok(o) if o.status.success() => return,
        Ok(o) => format!("{compiler} failed: {}", String::from_utf8_lossy(&o.stderr).trim().replace('\n', " ")),
        Err(e) => format!("cannot run {compiler}: {e}"),
    };
    println!("cargo::warning=pause image not built ({failure}); `sim replay` will be unavailable");
    println!("cargo::rustc-cfg=clustersim_no_pause");
}
