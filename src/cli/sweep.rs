//! `sim sweep FILE --seeds A..B [--jobs N] [--out DIR]`: the scenario once per seed, in
//! parallel; per-seed summaries and an aggregate (pass rate of each expectation,
//! distribution of each metric). Results are ordered by seed, whatever `--jobs` is.
//!
//! `--shard I/N` (or `--shards N` with `JOB_COMPLETION_INDEX`) runs one shard of the seeds
//! and writes a shard folder for `sim merge`; `--emit-job NAME` prints a Kubernetes Indexed
//! Job that runs every shard.

use super::progress::{Mode, Progress};
use super::{Output, EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_INTERNAL, EXIT_OK};
use clustersim::live::image::default_tag;
use clustersim::live::job::{check_job_name, sweep_job_yaml, SweepJob};
use clustersim::report::shard::SHARD_FILE;
use clustersim::report::shard::{
    current_binary, parse_shard, scenario_hash, shard_files, shard_seeds, shard_spec, ShardInfo, ShardSpec,
};
use clustersim::report::{aggregate_json, evaluate, sweep_files, FolderError, OutputFolder, RunDigest, Summary};
use clustersim::scenario::{image_scenario_path, Scenario};
use clustersim::world::{run as simulate, RunError, RunOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The variable a Kubernetes Indexed Job sets to each pod's index.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

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
    /// Where to write the sweep (default: reports/<scenario name>-sweep/; with a shard,
    /// reports/<scenario name>-sweep-shard-I-of-N/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Override a scenario field by its dotted path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Run shard I of N only (0 <= I < N): the seeds A+I, A+I+N, ...; writes a shard folder
    /// for `sim merge` and exits 0 once it is written (failed expectations are results).
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    shard: Option<String>,
    /// Split the sweep into N shards and run the one JOB_COMPLETION_INDEX names (as each
    /// pod of a Kubernetes Indexed Job has it); with --emit-job, the Job's completions.
    #[arg(long, value_name = "N")]
    shards: Option<u64>,
    /// Print a Kubernetes Indexed Job named NAME that runs the --shards N shards from the
    /// image `sim image` builds, and how to collect and merge them; runs nothing.
    #[arg(long, value_name = "NAME", requires = "shards", conflicts_with = "out")]
    emit_job: Option<String>,
    /// The image the emitted Job runs (default: the tag `sim image` gives this scenario
    /// and this binary).
    #[arg(long, value_name = "TAG", requires = "emit_job")]
    image: Option<String>,
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

fn bad_input(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}

pub fn run(args: Args) -> u8 {
    let scenario = match super::load(&args.file, &args.set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let range = match parse_seeds(&args.seeds) {
        Ok(r) => r,
        Err(e) => return bad_input(e),
    };
    let seed_count = range.end() - range.start() + 1;
    if let Some(n) = args.shards {
        if n == 0 || n > seed_count {
            return bad_input(format!(
                "--shards {n} does not fit --seeds {}..{} ({seed_count} seeds)\n  hint: between 1 and the number of seeds",
                range.start(),
                range.end()
            ));
        }
    }
    if let Some(name) = &args.emit_job {
        return emit_job(&args, name, &scenario, &range);
    }
    let shard = match which_shard(&args) {
        Ok(s) => s,
        Err(e) => return bad_input(e),
    };
    if let Some(spec) = shard.filter(|s| s.count > seed_count) {
        return bad_input(format!(
            "--shard {spec} does not fit --seeds {}..{} ({seed_count} seeds)\n  hint: use at most as many shards as seeds",
            range.start(),
            range.end()
        ));
    }
    let seeds: Vec<u64> = match shard {
        Some(spec) => shard_seeds(&range, spec),
        None => range.clone().collect(),
    };
    // A shard records the binary that ran it; find out before running anything.
    let binary = match shard.map(|_| current_binary()).transpose() {
        Ok(b) => b.cloned(),
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INTERNAL;
        }
    };
    // The output folder is claimed before any seed runs (SPEC 5.1).
    let (dir, completion) = match shard {
        None => (
            args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", scenario.name))),
            SWEEP_COMPLETION,
        ),
        Some(spec) => (
            args.out.clone().unwrap_or_else(|| {
                PathBuf::from("reports").join(format!("{}-sweep-shard-{}-of-{}", scenario.name, spec.index, spec.count))
            }),
            SHARD_FILE,
        ),
    };
    let folder = match super::claim_output(&dir, completion) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = seeds.len();
    let bar = Mutex::new(Progress::new(
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
        Err((seed, e)) => {
            return super::run_failed(&e, seed, &format!("sim run {} --seed {seed}", args.file.display()))
        }
    };
    let passed = runs.iter().filter(|(d, _)| d.passed()).count();
    let file = args.file.display().to_string();
    match shard {
        None => {
            let digests: Vec<RunDigest> = runs.iter().map(|(d, _)| d.clone()).collect();
            if let Err(e) = write_sweep(folder, &sweep_files(&scenario.name, &file, &args.set, runs)) {
                eprintln!("{e}");
                return EXIT_BAD_INPUT;
            }
            let reproduce = super::reproduce_command(&args.file, &args.set);
            match args.output {
                Output::Json => print!("{}", aggregate_json(&scenario.name, &digests)),
                Output::Table if !args.quiet || passed < total => {
                    println!("sweep {}: {passed} of {total} seeds passed every expectation", scenario.name);
                    let failing: Vec<&RunDigest> = digests.iter().filter(|d| !d.passed()).collect();
                    for d in failing.iter().take(REPRODUCE_LINES) {
                        println!("  seed {} failed; reproduce with: {reproduce} --seed {}", d.seed, d.seed);
                    }
                    if failing.len() > REPRODUCE_LINES {
                        println!(
                            "  ... and {} more failing seeds (sweep.md lists them)",
                            failing.len() - REPRODUCE_LINES
                        );
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
        Some(spec) => {
            let shard_seeds = seed_list(&runs.iter().map(|(d, _)| d.seed).collect::<Vec<_>>());
            let info = ShardInfo {
                scenario: scenario.name.clone(),
                file,
                sets: args.set.clone(),
                scenario_hash: scenario_hash(&scenario),
                binary: binary.expect("looked up for a shard"),
                seeds: (*range.start(), *range.end()),
                shard: spec,
            };
            if let Err(e) = write_sweep(folder, &shard_files(&info, runs)) {
                eprintln!("{e}");
                return EXIT_BAD_INPUT;
            }
            println!(
                "sweep {}, shard {spec}: {passed} of {total} seeds passed every expectation (seeds {shard_seeds} of {}..{})",
                scenario.name,
                range.start(),
                range.end(),
            );
            println!("shard: {}", dir.display());
            println!("  merge every shard with: sim merge SHARD_DIR... --out DIR");
            EXIT_OK
        }
    }
}

/// `2, 5, 8` or `2, 5, 8, ..., 98`.
fn seed_list(seeds: &[u64]) -> String {
    let text: Vec<String> = seeds.iter().map(u64::to_string).collect();
    if text.len() <= 5 {
        text.join(", ")
    } else {
        format!("{}, ..., {}", text[..3].join(", "), text[text.len() - 1])
    }
}

/// The shard to run: `--shard I/N`, or `--shards N` with the index from JOB_COMPLETION_INDEX.
fn which_shard(args: &Args) -> Result<Option<ShardSpec>, String> {
    if let Some(text) = &args.shard {
        return parse_shard(text).map(Some);
    }
    let Some(count) = args.shards else { return Ok(None) };
    let value = std::env::var(JOB_COMPLETION_INDEX).map_err(|_| {
        format!(
            "--shards {count} needs {JOB_COMPLETION_INDEX} to say which shard to run\n  hint: a Kubernetes Indexed Job \
             sets it in each pod; by hand, use --shard I/{count}"
        )
    })?;
    let index = value.trim().parse::<u64>().map_err(|_| {
        format!("{JOB_COMPLETION_INDEX}={value:?} is not a shard index\n  hint: a whole number from 0 to {}", count - 1)
    })?;
    shard_spec(index, count).map(Some).map_err(|e| {
        format!("{JOB_COMPLETION_INDEX}={value}: {e}\n  hint: the Job's completions must equal --shards {count}")
    })
}

/// `--emit-job NAME`: prints the Indexed Job.
fn emit_job(args: &Args, name: &str, scenario: &Scenario, range: &std::ops::RangeInclusive<u64>) -> u8 {
    if let Err(e) = check_job_name(name) {
        return bad_input(e);
    }
    let image = match &args.image {
        Some(tag) => tag.clone(),
        None => match current_binary() {
            Ok(b) => default_tag(&scenario.name, &scenario_hash(scenario), &b.build),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_INTERNAL;
            }
        },
    };
    let file_here = args.file.display().to_string();
    let job = SweepJob {
        name,
        image: &image,
        scenario: &scenario.name,
        file_here: &file_here,
        file_in_image: &image_scenario_path(&args.file),
        sets: &args.set,
        seeds: (*range.start(), *range.end()),
        shards: args.shards.expect("clap requires --shards with --emit-job"),
        jobs_per_pod: args.jobs.unwrap_or(1).max(1),
    };
    print!("{}", sweep_job_yaml(&job));
    EXIT_OK
}

/// The file whose presence marks a complete sweep.
pub const SWEEP_COMPLETION: &str = "sweep.json";

/// Writes `files` (relative paths, bytes; the completion file last) into the claimed
/// folder, which swaps them in for an earlier report: every sweep, shard and merge folder
/// is written through here.
pub fn write_sweep(folder: OutputFolder, files: &[(PathBuf, Vec<u8>)]) -> Result<(), FolderError> {
    folder.commit(|w| {
        for (path, bytes) in files {
            w.file(&path.to_string_lossy(), bytes)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_seeds_are_listed_briefly() {
        assert_eq!(seed_list(&[2, 5]), "2, 5");
        assert_eq!(seed_list(&[1, 2, 3, 4, 5]), "1, 2, 3, 4, 5");
        assert_eq!(seed_list(&[2, 5, 8, 11, 14, 17]), "2, 5, 8, ..., 17");
    }

    #[test]
    fn seed_ranges_are_inclusive() {
        assert_eq!(parse_seeds("1..3").unwrap(), 1..=3);
        assert_eq!(parse_seeds("5..=5").unwrap(), 5..=5);
        assert!(parse_seeds("3..1").is_err());
        assert!(parse_seeds("x").is_err());
    }
}
