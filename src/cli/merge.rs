//! `sim merge SHARD_DIR... --out DIR`: a sweep's shard folders put back together into the
//! `sweep.md`, `sweep.json` and `seeds/` the unsharded sweep writes, byte for byte.
//! Shards of different scenarios, binaries or seed ranges, a missing or a duplicate shard
//! are refused (exit 2, naming the folders).

use super::sweep::{write_sweep, SWEEP_COMPLETION};
use super::{EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_OK};
use clustersim::report::shard::{current_binary, merge_shards};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Every shard folder of the sweep (`sim sweep --shard I/N` wrote them), in any order.
    #[arg(required = true, value_name = "SHARD_DIR")]
    shards: Vec<PathBuf>,
    /// Where to write the merged sweep (default: reports/<scenario name>-sweep/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    let merged = match merge_shards(&args.shards) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let info = merged.info.clone();
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", info.scenario)));
    if let Some(shard) = args.shards.iter().find(|s| inside(s, &dir)) {
        eprintln!("error: --out {} would replace the shard folder {}", dir.display(), shard.display());
        eprintln!("  hint: write the merged sweep to a folder of its own, e.g. --out reports/{}-sweep", info.scenario);
        return EXIT_BAD_INPUT;
    }
    if let Ok(me) = current_binary() {
        if *me != info.binary {
            eprintln!("note: the shards were run by {}; merging with {}", info.binary, me);
        }
    }
    let folder = match super::claim_output(&dir, SWEEP_COMPLETION) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let total = merged.runs.len();
    let passed = merged.runs.iter().filter(|(d, _)| d.passed()).count();
    if let Err(e) = write_sweep(folder, &merged.files()) {
        eprintln!("{e}");
        return EXIT_BAD_INPUT;
    }
    println!(
        "sweep {}: {passed} of {total} seeds passed every expectation ({} shards merged)",
        info.scenario, info.shard.count
    );
    println!("report: {}", dir.join("sweep.md").display());
    if passed == total {
        EXIT_OK
    } else {
        EXIT_EXPECTATION_FAILED
    }
}

/// Whether `path` is `dir` or inside it (compared as absolute paths, symbolic links resolved
/// where they exist).
fn inside(path: &Path, dir: &Path) -> bool {
    let absolute = |p: &Path| {
        p.canonicalize().unwrap_or_else(|_| std::env::current_dir().map(|cwd| cwd.join(p)).unwrap_or(p.to_path_buf()))
    };
    absolute(path).starts_with(absolute(dir))
}
