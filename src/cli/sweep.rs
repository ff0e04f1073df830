//! `sim sweep FILE --seeds A..B [--jobs N] [--out DIR]`: the scenario once per seed, in
//! parallel; per-seed summaries and an aggregate (pass rate of each expectation,
//! distribution of each metric). Results are ordered by seed, whatever `--jobs` is.

use super::progress::{Mode, Progress};
use super::{Output, EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_INTERNAL, EXIT_OK};
use clustersim::report::{aggregate_json, aggregate_markdown, evaluate, RunDigest, Summary};
use clustersim::scenario::Scenario;
use clustersim::world::{run as simulate, RunOptions};
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
    /// What to print on stdout: `table` for people, `json` for the sweep.json document.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Plain progress lines on stderr (one per tenth of the seeds), even when it is not a
    /// terminal; on a terminal a bar shows by itself.
    #[arg(long)]
    progress: bool,
    /// No progress and no summary on success (failures and errors still go out).
    #[arg(short, long)]
    quiet: bool,
}

/// Failing seeds whose reproduce command `sweep` prints (sweep.md lists up to 50).
const REPRODUCE_LINES: usize = 10;

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

/// One seed's digest and its `summary.json`, or why the run broke.
type SeedResult = Result<(RunDigest, String), String>;

/// Runs `scenario` once per seed on `jobs` threads, calling `each` as runs finish.
pub fn run_seeds(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: usize,
    each: &(dyn Fn(usize) + Sync),
) -> Result<Vec<(RunDigest, String)>, String> {
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
                let r = simulate(&s, RunOptions::default()).map_err(|e| format!("seed {seed}: {e}")).map(|out| {
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
    let seeds: Vec<u64> = range.collect();
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = seeds.len();
    let bar = std::sync::Mutex::new(Progress::new(
        Mode::pick(args.progress, args.quiet),
        format!("sweep {}", scenario.name),
        total as f64,
        std::time::Duration::ZERO,
    ));
    let runs = run_seeds(&scenario, &seeds, jobs, &|done| {
        if let Ok(mut bar) = bar.lock() {
            bar.update(done as f64, &format!("{done}/{total} seeds"));
        }
    });
    if let Ok(mut bar) = bar.lock() {
        bar.finish();
    }
    let runs = match runs {
        Ok(r) => r,
        Err(e) => {
            eprintln!("internal error: {e}");
            return EXIT_INTERNAL;
        }
    };
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", scenario.name)));
    let digests: Vec<RunDigest> = runs.iter().map(|(d, _)| d.clone()).collect();
    let reproduce = super::reproduce_command(&args.file, &args.set);
    if let Err(e) = write_sweep(&dir, &scenario.name, &reproduce, &runs, &digests) {
        eprintln!("error: cannot write the sweep to {}: {e}", dir.display());
        return EXIT_BAD_INPUT;
    }
    let passed = digests.iter().filter(|d| d.passed()).count();
    match args.output {
        Output::Json => print!("{}", aggregate_json(&scenario.name, &digests)),
        Output::Table if !args.quiet || passed < total => {
            println!("sweep {}: {passed} of {total} seeds passed every expectation", scenario.name);
            let failing: Vec<&RunDigest> = digests.iter().filter(|d| !d.passed()).collect();
            for d in failing.iter().take(REPRODUCE_LINES) {
                println!("  seed {} failed; reproduce with: {reproduce} --seed {}", d.seed, d.seed);
            }
            if failing.len() > REPRODUCE_LINES {
                println!("  ... and {} more failing seeds (sweep.md lists them)", failing.len() - REPRODUCE_LINES);
            }
            println!("report: {}", dir.join("sweep.md").display());
        }
        Output::Table => {}
    }
    if passed == total {
        EXIT_OK
    } else {
        EXIT_EXPECTATION_FAILED
    }
}

fn write_sweep(
    dir: &Path,
    name: &str,
    reproduce: &str,
    runs: &[(RunDigest, String)],
    digests: &[RunDigest],
) -> std::io::Result<()> {
    let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("seeds"))?;
    for (d, json) in runs {
        std::fs::write(tmp.join("seeds").join(format!("{}.json", d.seed)), json)?;
    }
    std::fs::write(tmp.join("sweep.md"), aggregate_markdown(name, reproduce, digests))?;
    std::fs::write(tmp.join("sweep.json"), aggregate_json(name, digests))?;
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::rename(&tmp, dir)
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
