//! One file per subcommand, each with its `Args` and `run(args) -> exit code`.

mod compare;
mod completion;
mod image;
mod merge;
pub mod progress;
mod replay;
mod run;
mod sweep;
mod validate;

use clap::{Parser, Subcommand, ValueEnum};
use clustersim::scenario::{Diagnostic, Scenario};
use std::path::Path;
use std::sync::OnceLock;

/// Exit code: every expectation held.
pub const EXIT_OK: u8 = 0;
/// Exit code: the run finished but an expectation failed.
pub const EXIT_EXPECTATION_FAILED: u8 = 1;
/// Exit code: bad input (the message names file, line and column).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: the live engine (Docker) is unreachable, misbehaved, or did not match the run.
pub const EXIT_LIVE_ENGINE: u8 = 3;
/// Exit code: the simulator broke one of its own invariants (a bug: please report it).
pub const EXIT_INTERNAL: u8 = 4;
/// Exit code: SIGINT/SIGTERM stopped a replay (after its cleanup), as shells report Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser)]
#[command(name = "sim", version, about = "Deterministic simulator for Kubernetes-style orchestration policies")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario in virtual time and write its report.
    Run(run::Args),
    /// Parse and check a scenario and every manifest it names.
    Validate(validate::Args),
    /// Run the scenario once per seed, in parallel, and aggregate.
    Sweep(sweep::Args),
    /// Run the scenario under several settings and compare them side by side.
    Compare(compare::Args),
    /// Replay a run's decisions against the local Docker engine, checking every step.
    Replay(replay::Args),
    /// Merge the shard folders of a sweep (`sim sweep --shard I/N`) into the whole sweep.
    Merge(merge::Args),
    /// Build an image (FROM scratch) with a static sim and a scenario's files, on the local Docker engine.
    Image(image::Args),
    /// Print a shell completion script: `sim completion bash > /etc/bash_completion.d/sim`.
    Completion(completion::Args),
}

/// What a command prints on stdout: `-o table` (for people, the default) or `-o json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
}

pub fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Image(args) => image::run(args),
        Command::Completion(args) => completion::run(args),
    }
}

/// The standard input, read once (a scenario given as `-`; `compare` loads it per variant),
/// under the same bound and UTF-8 check as a scenario file.
fn stdin_text() -> Result<&'static str, Diagnostic> {
    static TEXT: OnceLock<Result<String, Diagnostic>> = OnceLock::new();
    TEXT.get_or_init(|| {
        use clustersim::scenario::{read_bounded, InputError, MAX_INPUT_BYTES};
        let stdin = Path::new("<stdin>");
        read_bounded(&mut std::io::stdin().lock(), MAX_INPUT_BYTES, 0).map_err(|e| {
            let d = e.diagnostic(stdin, None, "the standard input");
            match e {
                InputError::Io(_) => d.with_hint("pipe a scenario in, e.g. `sim run - < failover.yaml`"),
                _ => d,
            }
        })
    })
    .as_ref()
    .map(String::as_str)
    .map_err(Clone::clone)
}

/// A scenario and its warnings, or the diagnostic that stopped it. `-` reads standard
/// input, whose relative paths start at the working folder.
pub fn load_checked(file: &Path, sets: &[String]) -> Result<clustersim::scenario::Loaded, Diagnostic> {
    if file == Path::new("-") {
        let text = stdin_text()?;
        return clustersim::scenario::load_scenario_text(text, Path::new("<stdin>"), sets);
    }
    clustersim::scenario::load_scenario(file, sets)
}

/// `sim run FILE --set A=B ...` for a seed: what reproduces one run of a sweep or compare.
pub fn reproduce_command(file: &Path, sets: &[String]) -> String {
    clustersim::report::aggregate::reproduce_command(&file.display().to_string(), sets)
}

/// Claims the output folder `dir` before any work starts; on refusal prints why and
/// returns `Err(exit code)` (SPEC 5.1: nothing has been touched).
pub fn claim_output(dir: &std::path::Path, completion: &str) -> Result<clustersim::report::OutputFolder, u8> {
    clustersim::report::OutputFolder::claim(dir, completion).map_err(|e| {
        eprintln!("{e}");
        EXIT_BAD_INPUT
    })
}

/// Reports a run that could not finish and returns the exit code: 2 when the scenario
/// asked for more than a run can hold (`RunError::Limit`), 4 for a simulator bug.
/// `seed` and `rerun` name the run ("sim run FILE --seed N").
pub fn run_failed(e: &clustersim::world::RunError, seed: u64, rerun: &str) -> u8 {
    if e.is_bad_input() {
        eprintln!("error: seed {seed}: {e}");
        eprintln!("  hint: {}", e.hint());
        EXIT_BAD_INPUT
    } else {
        eprintln!("internal error: seed {seed}: {e}");
        eprintln!("  this is a bug in clustersim; reproduce with: {rerun}");
        EXIT_INTERNAL
    }
}

/// Loads a scenario, printing warnings; on error prints it and returns `Err(exit code)`.
pub fn load(file: &Path, sets: &[String]) -> Result<Scenario, u8> {
    match load_checked(file, sets) {
        Ok(loaded) => {
            for w in &loaded.warnings.0 {
                eprintln!("{}", w.render("warning"));
            }
            Ok(loaded.scenario)
        }
        Err(d) => {
            eprintln!("{d}");
            Err(EXIT_BAD_INPUT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clustersim::engine::Time;
    use clustersim::world::RunError;

    #[test]
    fn a_run_limit_is_bad_input_and_an_invariant_a_bug() {
        let limit = RunError::Limit { time: Time::ZERO, what: "more than 1 world events were handled".into() };
        assert_eq!(run_failed(&limit, 1, "sim run s.yaml --seed 1"), EXIT_BAD_INPUT);
        let bug = RunError::Invariant { time: Time::ZERO, message: "x".into() };
        assert_eq!(run_failed(&bug, 1, "sim run s.yaml --seed 1"), EXIT_INTERNAL);
    }
}
