//! `sim image FILE [--tag T] [--binary PATH]`: an image `FROM scratch` holding a static
//! `sim` and the scenario's files, built by the local Docker engine (nothing is pulled, no
//! registry), then checked by loading the scenario inside it.

use super::{EXIT_BAD_INPUT, EXIT_LIVE_ENGINE, EXIT_OK};
use clustersim::live::docker::{Docker, DockerError};
use clustersim::live::image::{default_tag, is_static_executable, sim_build_context};
use clustersim::live::job::dns_label;
use clustersim::report::shard::{build_id, scenario_hash};
use clustersim::scenario::{image_scenario_path, scenario_files};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How to build a `sim` that runs in an empty image.
pub const STATIC_BUILD: &str =
    "RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --target x86_64-unknown-linux-gnu";
/// Where that build puts it.
pub const STATIC_BINARY: &str = "target/x86_64-unknown-linux-gnu/release/sim";

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file: it and every file it names go into the image.
    file: PathBuf,
    /// The image's tag (default: clustersim-<scenario name>:<hash of the scenario and the binary>).
    #[arg(long, value_name = "T")]
    tag: Option<String>,
    /// The statically linked sim to put in the image (default: this executable, if it is static).
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
    /// Override a scenario field by its dotted path (repeatable); give the sweep the same.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

pub fn run(args: Args) -> u8 {
    let scenario = match super::load(&args.file, &args.set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let binary_path = match &args.binary {
        Some(p) => p.clone(),
        None => match std::env::current_exe() {
            Ok(p) => p,
            Err(e) => return bad(format!("cannot find the running executable: {e}"), "name it with --binary PATH"),
        },
    };
    let binary = match std::fs::read(&binary_path) {
        Ok(b) => b,
        Err(e) => return bad(format!("cannot read {}: {e}", binary_path.display()), "check --binary PATH"),
    };
    let build_hint = format!("build one with `{STATIC_BUILD}`, then: sim image FILE --binary {STATIC_BINARY}");
    match is_static_executable(&binary) {
        Ok(true) => {}
        Ok(false) => {
            return bad(
                format!(
                    "{} is linked dynamically: it cannot run in an empty (FROM scratch) image",
                    binary_path.display()
                ),
                &build_hint,
            )
        }
        Err(e) => return bad(format!("{} is not a sim executable for Linux: {e}", binary_path.display()), &build_hint),
    }
    let files = match scenario_files(&args.file, &args.set) {
        Ok(f) => f,
        Err(d) => {
            eprintln!("{d}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut contents = Vec::with_capacity(files.len());
    for f in &files {
        match std::fs::read(&f.host) {
            Ok(bytes) => contents.push((f.image.clone(), bytes)),
            Err(e) => return bad(format!("cannot read {}: {e}", f.host.display()), "check the scenario's paths"),
        }
    }
    let hash = scenario_hash(&scenario);
    let build = build_id(&binary);
    let tag = args.tag.clone().unwrap_or_else(|| default_tag(&scenario.name, &hash, &build));
    let context = match sim_build_context(&binary, &contents) {
        Ok(c) => c,
        Err(e) => return bad(e, "shorten the scenario's paths"),
    };
    let mut docker = match Docker::from_env().and_then(|mut d| d.ping().map(|()| d)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!(
                "  hint: sim image builds through the local Docker engine: start it, or set DOCKER_HOST=unix://PATH"
            );
            return EXIT_LIVE_ENGINE;
        }
    };
    let labels: BTreeMap<String, String> = [
        ("clustersim.scenario", scenario.name.clone()),
        ("clustersim.scenario-hash", hash.clone()),
        ("clustersim.binary", build.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let id = match docker.build_image(&context, &tag, &labels) {
        Ok(id) => id,
        Err(DockerError::Status { status: 400, message, .. }) => {
            return bad(
                format!("the engine refused the tag {tag:?}: {message}"),
                "a tag is NAME[:TAG] in lower case, e.g. --tag clustersim-failover:v1",
            )
        }
        Err(e) => {
            eprintln!("error: building the image failed: {e}");
            return EXIT_LIVE_ENGINE;
        }
    };
    let in_image = image_scenario_path(&args.file);
    let mut check = vec!["validate".to_string(), in_image.clone()];
    for s in &args.set {
        check.push("--set".into());
        check.push(s.clone());
    }
    if let Err(e) = run_check(&mut docker, &tag, &check) {
        eprintln!("error: the image does not load the scenario: {e}");
        eprintln!("  hint: this is a bug in clustersim's image layout; the image {tag} was removed");
        let _ = docker.untag_image(&tag);
        return EXIT_LIVE_ENGINE;
    }
    println!("image {tag} ({id})");
    println!("  /sim: {} (build {build}, static)", binary_path.display());
    println!("  scenario {} (hash {}), {} files:", scenario.name, &hash[..12], files.len());
    for f in &files {
        println!("    {}  <- {}", f.image, f.host.display());
    }
    println!("  checked: `sim {}` passes inside it", check.join(" "));
    let sets: String = args.set.iter().map(|s| format!(" --set {s}")).collect();
    println!(
        "next: sim sweep {}{sets} --seeds 1..1000 --shards 10 --emit-job {}-sweep --image {tag} > job.yaml",
        args.file.display(),
        dns_label(&scenario.name),
    );
    EXIT_OK
}

fn bad(message: impl std::fmt::Display, hint: &str) -> u8 {
    eprintln!("error: {message}");
    eprintln!("  hint: {hint}");
    EXIT_BAD_INPUT
}

/// Runs `sim ARGS` in a container of the image (no network) and removes the container;
/// an exit code other than 0 is an error carrying the container's output.
fn run_check(docker: &mut Docker, image: &str, args: &[String]) -> Result<(), String> {
    let run = format!("image-check-{}", std::process::id());
    let labels = BTreeMap::from([(clustersim::live::LABEL_RUN.to_string(), run.clone())]);
    let id = docker
        .create_command_container(&format!("clustersim-{run}"), image, args, &[], &labels)
        .map_err(|e| e.to_string())?;
    let outcome = (|| {
        docker.start_container(&id).map_err(|e| e.to_string())?;
        let code = docker.wait_container(&id).map_err(|e| e.to_string())?;
        if code == 0 {
            return Ok(());
        }
        let logs = docker.container_logs(&id).unwrap_or_default();
        Err(format!("`sim {}` exited {code}:\n{}", args.join(" "), logs.trim_end()))
    })();
    let removed = docker.remove_container(&id).map_err(|e| format!("cannot remove the check container {id}: {e}"));
    outcome.and(removed)
}
