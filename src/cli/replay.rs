//! `sim replay DIR --docker [--speed X]`: a run's decisions against the local Docker
//! engine, checked after each step.

use super::{EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_LIVE_ENGINE, EXIT_OK};
use clustersim::live::{parse_speed, replay, ReplayError, ReplayOptions};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The run's report folder (the one `sim run --out DIR` wrote, holding events.jsonl).
    dir: PathBuf,
    /// Replay against the local Docker engine (DOCKER_HOST=unix://... or /var/run/docker.sock).
    #[arg(long)]
    docker: bool,
    /// X virtual seconds per wall second (default: as fast as the engine allows).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    speed: Option<String>,
}

pub fn run(args: Args) -> u8 {
    if !args.docker {
        eprintln!("error: sim replay needs an engine to replay against");
        eprintln!("  hint: add --docker (the local Docker engine is the only one so far)");
        return EXIT_BAD_INPUT;
    }
    let speed = match args.speed.as_deref().map(parse_speed).transpose() {
        Ok(speed) => speed,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    let options = ReplayOptions { speed };
    match replay(&args.dir, &options, &mut |line| println!("{line}")) {
        Ok(s) => {
            println!();
            println!("REPLAY CONFORMED  run id {}", s.run_id);
            println!(
                "  events:     {} read, {} changed containers, {:.0} virtual seconds",
                s.events, s.events_applied, s.virtual_seconds
            );
            println!(
                "  containers: {} created, {} restarted, {} killed, {} removed (at most {} running at once)",
                s.created, s.restarted, s.killed, s.removed, s.peak_running
            );
            println!("  checks:     {} passed", s.checks_passed);
            println!("  wall time:  {:.1} s", s.wall.as_secs_f64());
            println!(
                "  cleanup:    removed the {} containers it created (labelled clustersim.run={}) and {} image tag",
                s.cleaned_containers, s.run_id, s.cleaned_images
            );
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
            EXIT_OK
        }
        Err(ReplayError::BadInput(message)) => {
            eprintln!("{message}");
            EXIT_BAD_INPUT
        }
        Err(ReplayError::Interrupted) => {
            eprintln!("interrupted: removed this run's containers and image");
            EXIT_INTERRUPTED
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_LIVE_ENGINE
        }
    }
}
