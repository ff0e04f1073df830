//! `sim run FILE`: one scenario in virtual time, its report, and a kubectl-style summary.

use super::{EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_OK};
use clustersim::report::{evaluate, stdout_table, write_report, Summary, RUN_COMPLETION};
use clustersim::world::{run as simulate, RunOptions};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file.
    file: PathBuf,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Where to write the report (default: reports/<scenario name>/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Override a scenario field by its dotted path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Print nothing on success.
    #[arg(long)]
    quiet: bool,
    /// Put per-node, per-plugin scores on pod_scheduled events.
    #[arg(long)]
    explain: bool,
    /// Check the simulator's invariants after every event (always on in debug builds).
    #[arg(long)]
    check_invariants: bool,
}

pub fn run(args: Args) -> u8 {
    let mut scenario = match super::load(&args.file, &args.set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let folder = match super::claim_output(&dir, RUN_COMPLETION) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let options =
        RunOptions { explain: args.explain, check_invariants: args.check_invariants || cfg!(debug_assertions) };
    let started = Instant::now();
    let output = match simulate(&scenario, options) {
        Ok(o) => o,
        Err(e) => {
            let rerun = format!("sim run {} --seed {}", args.file.display(), scenario.seed);
            return super::run_failed(&e, scenario.seed, &rerun);
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let results = evaluate(&scenario, &output);
    let summary = Summary::new(&scenario, &output, &results, wall);
    if let Err(e) = write_report(folder, &summary) {
        eprintln!("{e}");
        return EXIT_BAD_INPUT;
    }
    if !args.quiet || !summary.passed() {
        println!(
            "scenario {} (seed {}): {} simulated, {} events, trace {}",
            scenario.name,
            scenario.seed,
            clustersim::report::human_duration(scenario.duration),
            output.events.lines(),
            &summary.trace_hash[..12]
        );
        println!();
        print!("{}", stdout_table(&output.store, &results));
        println!("\nreport: {}", dir.join("summary.md").display());
    }
    if summary.passed() {
        EXIT_OK
    } else {
        EXIT_EXPECTATION_FAILED
    }
}
