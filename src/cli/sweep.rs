//! `sim sweep FILE --seeds A..B [--jobs N] [--out DIR]`: the scenario once per seed, in
//! parallel; per-seed summaries and an aggregate (pass rate of each expectation,
//! distribution of each metric). Results are ordered by seed, whatever `--jobs` is.

use super::{EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_OK};
use clustersim::report::{aggregate_json, aggregate_markdown, evaluate, FolderError, OutputFolder, RunDigest, Summary};
use clustersim::scenario::Scenario;
use clustersim::world::{run as simulate, RunError, RunOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file.
    file: PathBuf,
    /// Seeds to run, inclusive: `1..100` (or `1..=100`).
    #[arg(long, value_name = "A..B")]
    seeds: String,
    /// Parallel runs (default: the machine's cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Where to write the sweep (default: reports/<scenario name>-sweep/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Override a scenario field by its dotted path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

/// `A..B` or `A..=B`, inclusive, A <= B.
pub fn parse_seeds(text: &str) -> Result<std::ops::RangeInclusive<u64>, String> {
    let (a, b) =
        text.split_once("..").ok_or_else(|| format!("--seeds {text:?} is not a range: write A..B, e.g. 1..100"))?;
    let b = b.strip_prefix('=').unwrap_or(b);
    let (a, b) = (a.trim().parse::<u64>(), b.trim().parse::<u64>());
    match (a, b) {
        (Ok(a), Ok(b)) if a <= b && b - a < 10_000_000 => Ok(a..=b),
        _ => Err(format!("--seeds {text:?} needs two whole numbers A <= B, e.g. 1..100")),
    }
}

/// One seed's digest and its `summary.json`, or the seed and why its run broke.
type SeedResult = Result<(RunDigest, String), (u64, RunError)>;

/// Runs `scenario` once per seed on `jobs` threads, calling `each` as runs finish.
pub fn run_seeds(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: usize,
    each: &(dyn Fn(usize) + Sync),
) -> Result<Vec<(RunDigest, String)>, (u64, RunError)> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<SeedResult>>> = Mutex::new(vec![None; seeds.len()]);
    let done = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(seeds.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&seed) = seeds.get(i) else { break };
                let mut s = scenario.clone();
                s.seed = seed;
                let r = simulate(&s, RunOptions::default()).map_err(|e| (seed, e)).map(|out| {
                    let results = evaluate(&s, &out);
                    let summary = Summary::new(&s, &out, &results, 0.0);
                    let json = clustersim::report::summary_json(&summary);
                    (RunDigest::new(&summary), json)
                });
                results.lock().expect("no thread panics while holding the lock")[i] = Some(r);
                each(done.fetch_add(1, Ordering::Relaxed) + 1);
            });
        }
    });
    results.into_inner().expect("threads joined").into_iter().map(|r| r.expect("every seed ran")).collect()
}

fn progress(done: usize, total: usize) {
    let width = 30;
    let filled = done * width / total.max(1);
    eprint!("\r[{}{}] {done}/{total} seeds", "#".repeat(filled), ".".repeat(width - filled));
    if done == total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

pub fn run(args: Args) -> u8 {
    let scenario = match super::load(&args.file, &args.set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let range = match parse_seeds(&args.seeds) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", scenario.name)));
    let folder = match super::claim_output(&dir, SWEEP_COMPLETION) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let seeds: Vec<u64> = range.collect();
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = seeds.len();
    let runs = match run_seeds(&scenario, &seeds, jobs, &|done| progress(done, total)) {
        Ok(r) => r,
        Err((seed, e)) => {
            return super::run_failed(&e, seed, &format!("sim run {} --seed {seed}", args.file.display()))
        }
    };
    let digests: Vec<RunDigest> = runs.iter().map(|(d, _)| d.clone()).collect();
    if let Err(e) = write_sweep(folder, &scenario.name, &args.file, &runs, &digests) {
        eprintln!("{e}");
        return EXIT_BAD_INPUT;
    }
    let passed = digests.iter().filter(|d| d.passed()).count();
    println!("sweep {}: {passed} of {total} seeds passed every expectation", scenario.name);
    println!("report: {}", dir.join("sweep.md").display());
    if passed == total {
        EXIT_OK
    } else {
        EXIT_EXPECTATION_FAILED
    }
}

/// The file whose presence marks a complete sweep.
pub const SWEEP_COMPLETION: &str = "sweep.json";

/// Writes `seeds/N.json`, `sweep.md` and, last, `sweep.json` into the claimed folder.
fn write_sweep(
    folder: OutputFolder,
    name: &str,
    file: &Path,
    runs: &[(RunDigest, String)],
    digests: &[RunDigest],
) -> Result<(), FolderError> {
    folder.commit(|w| {
        for (d, json) in runs {
            w.file(&format!("seeds/{}.json", d.seed), json)?;
        }
        w.file("sweep.md", aggregate_markdown(name, &file.display().to_string(), digests))?;
        w.file(SWEEP_COMPLETION, aggregate_json(name, digests))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_are_inclusive() {
        assert_eq!(parse_seeds("1..3").unwrap(), 1..=3);
        assert_eq!(parse_seeds("5..=5").unwrap(), 5..=5);
        assert!(parse_seeds("3..1").is_err());
        assert!(parse_seeds("x").is_err());
    }
}
