//! `sim run FILE`: one scenario in virtual time, its report, and a kubectl-style summary.

use super::progress::{stdout_color, Mode, Progress};
use super::{Output, EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_OK};
use clustersim::report::{
    evaluate, pending_warning, stdout_summary, summary_json, write_report, Summary, RUN_COMPLETION,
};
use clustersim::world::{run_with_progress, RunOptions};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (`-`: read it from standard input; its relative paths start at
    /// the working folder).
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
    /// Print nothing on success (failures, warnings and errors still go out).
    #[arg(short, long)]
    quiet: bool,
    /// What to print on stdout: `table` for people, `json` for the summary.json document.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Plain progress lines on stderr (one per tenth of the run), even when it is not a
    /// terminal; on a terminal a bar appears by itself on runs longer than a second.
    #[arg(long)]
    progress: bool,
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
    let horizon = scenario.duration.as_secs_f64();
    let mut progress = Progress::new(
        Mode::pick(args.progress, args.quiet),
        format!("run {}", scenario.name),
        horizon,
        Duration::from_secs(1),
    );
    let total_text = clustersim::report::human_duration(scenario.duration);
    let output = run_with_progress(&scenario, options, &mut |t| {
        let done = t.as_secs_f64();
        let whole = clustersim::engine::Duration::from_secs(done as u64);
        progress.update(done, &format!("{} of {total_text} simulated", clustersim::report::human_duration(whole)));
    });
    progress.finish();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            let rerun = format!("{} --seed {}", super::reproduce_command(&args.file, &args.set), scenario.seed);
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
    if let Some(w) = pending_warning(&summary.pods) {
        eprintln!("warning: {w}");
    }
    match args.output {
        Output::Json => print!("{}", summary_json(&summary)),
        Output::Table if !args.quiet || !summary.passed() => {
            println!(
                "scenario {} (seed {}): {} simulated, {} events, trace {}",
                scenario.name,
                scenario.seed,
                clustersim::report::human_duration(scenario.duration),
                output.events.lines(),
                &summary.trace_hash[..12]
            );
            println!();
            print!("{}", stdout_summary(&summary, stdout_color()));
            println!("\nreport: {}", dir.join("report.html").display());
        }
        Output::Table => {}
    }
    if summary.passed() {
        EXIT_OK
    } else {
        EXIT_EXPECTATION_FAILED
    }
}
