//! Sweeps in shards: `sim sweep --shard I/N` runs the seeds `A+I, A+I+N, ...` of `A..B` and
//! writes a shard folder (`shard.json` + `seeds/N.json`); `sim merge` checks that a set of
//! shard folders is one whole sweep and rebuilds exactly the files the unsharded sweep
//! writes.
//!
//! `shard.json` records what must match for shards to merge: the scenario's hash (of the
//! loaded scenario, `--set` and manifests included), the binary (crate version + SHA-256
//! of the executable), the seed range and the shard count; and each seed's [`RunDigest`]
//! with its metrics as exact decimal strings (Rust's shortest round-trip form), so the
//! aggregate computed from them is the unsharded one to the last bit.

use super::aggregate::{sweep_files, RunDigest};
use super::ExpectationResult;
use crate::scenario::{read_input, InputError, Scenario, MAX_INPUT_BYTES};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The file of a shard folder that describes it (written last: it marks a complete shard).
pub const SHARD_FILE: &str = "shard.json";
const FORMAT: &str = "clustersim-sweep-shard/1";

/// Which binary ran: the crate version and a hash of the executable itself, so two builds
/// of one version (another commit, other flags, a static build) never pass for each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinaryId {
    pub version: String,
    /// `sha256:` and the first 16 hex digits of the executable's SHA-256.
    pub build: String,
}

impl fmt::Display for BinaryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sim {} ({})", self.version, self.build)
    }
}

/// The build id of an executable's bytes.
pub fn build_id(executable: &[u8]) -> String {
    format!("sha256:{}", &hex(&Sha256::digest(executable))[..16])
}

/// The running executable's id (hashed once per process).
pub fn current_binary() -> Result<&'static BinaryId, String> {
    static ID: OnceLock<Result<BinaryId, String>> = OnceLock::new();
    ID.get_or_init(|| {
        let path = std::env::current_exe().map_err(|e| format!("cannot find the running executable: {e}"))?;
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(BinaryId { version: env!("CARGO_PKG_VERSION").to_string(), build: build_id(&bytes) })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// SHA-256 of the loaded scenario with its seed and the path it was loaded from left out:
/// the same file, manifests and `--set` give the same hash wherever the files sit.
pub fn scenario_hash(scenario: &Scenario) -> String {
    let mut s = scenario.clone();
    s.seed = 0;
    s.source = PathBuf::new();
    hex(&Sha256::digest(format!("{s:?}").as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Shard `index` of `count` (0-based, as `JOB_COMPLETION_INDEX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--shard I/N`: 0 <= I < N.
pub fn parse_shard(text: &str) -> Result<ShardSpec, String> {
    let bad = || {
        format!("--shard {text:?} is not I/N with 0 <= I < N\n  hint: --shard 0/3, --shard 1/3 and --shard 2/3 together run every seed")
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (index, count) = (i.trim().parse::<u64>().map_err(|_| bad())?, n.trim().parse::<u64>().map_err(|_| bad())?);
    shard_spec(index, count).map_err(|_| bad())
}

/// Shard `index` of `count`, checked.
pub fn shard_spec(index: u64, count: u64) -> Result<ShardSpec, String> {
    if count == 0 {
        return Err("a sweep has at least 1 shard".into());
    }
    if index >= count {
        return Err(format!("shard index {index} is not below the shard count {count} (indexes run from 0)"));
    }
    Ok(ShardSpec { index, count })
}

/// The seeds of shard `spec`: `A+I, A+I+N, ...` up to `B`.
pub fn shard_seeds(range: &RangeInclusive<u64>, spec: ShardSpec) -> Vec<u64> {
    let mut seeds = Vec::new();
    let mut next = range.start().checked_add(spec.index);
    while let Some(seed) = next.filter(|s| s <= range.end()) {
        seeds.push(seed);
        next = seed.checked_add(spec.count);
    }
    seeds
}

/// What a shard folder says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardInfo {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as the sweep was given it (the failing seeds' reproduce lines use it).
    pub file: String,
    /// The `--set` overrides, in order.
    pub sets: Vec<String>,
    pub scenario_hash: String,
    pub binary: BinaryId,
    /// The whole sweep's seeds, inclusive.
    pub seeds: (u64, u64),
    pub shard: ShardSpec,
}

impl ShardInfo {
    fn range(&self) -> RangeInclusive<u64> {
        self.seeds.0..=self.seeds.1
    }
}

/// The files of a shard folder, in writing order: `seeds/N.json`, then `shard.json`.
pub fn shard_files(info: &ShardInfo, runs: Vec<(RunDigest, String)>) -> Vec<(PathBuf, Vec<u8>)> {
    let digests: Vec<Value> = runs.iter().map(|(d, _)| digest_json(d)).collect();
    let manifest = json!({
        "format": FORMAT,
        "scenario": info.scenario,
        "file": info.file,
        "sets": info.sets,
        "scenario_hash": info.scenario_hash,
        "binary": {"version": info.binary.version, "build": info.binary.build},
        "seeds": {"first": info.seeds.0, "last": info.seeds.1},
        "shard": {"index": info.shard.index, "count": info.shard.count},
        "runs": digests,
    });
    let mut files: Vec<(PathBuf, Vec<u8>)> = runs
        .into_iter()
        .map(|(d, json)| (Path::new("seeds").join(format!("{}.json", d.seed)), json.into_bytes()))
        .collect();
    let mut text = serde_json::to_string_pretty(&manifest).expect("a JSON value always serialises");
    text.push('\n');
    files.push((PathBuf::from(SHARD_FILE), text.into_bytes()));
    files
}

fn digest_json(d: &RunDigest) -> Value {
    let expectations: Vec<Value> =
        d.expectations.iter().map(|e| json!({"name": e.name, "passed": e.passed, "observed": e.observed})).collect();
    // `{}` on f64 is the shortest text that parses back to the same bits (NaN and inf too).
    let metrics: Map<String, Value> =
        d.metrics.iter().map(|(k, v)| (k.clone(), Value::String(v.to_string()))).collect();
    json!({"seed": d.seed, "trace_hash": d.trace_hash, "expectations": expectations, "metrics": metrics})
}

/// A shard folder as read back.
#[derive(Clone, Debug)]
pub struct Shard {
    pub dir: PathBuf,
    pub info: ShardInfo,
    pub runs: Vec<RunDigest>,
}

/// Why shards do not merge: what is wrong, naming the folders, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeError {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  hint: {}", self.message, self.hint)
    }
}

fn refuse(message: String, hint: &str) -> MergeError {
    MergeError { message, hint: hint.to_string() }
}

/// Reads `dir/shard.json`.
pub fn read_shard(dir: &Path) -> Result<Shard, MergeError> {
    let path = dir.join(SHARD_FILE);
    let text = match read_input(&path, MAX_INPUT_BYTES) {
        Ok(t) => t,
        Err(InputError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refuse(
                format!("{} is not a sweep shard: it has no {SHARD_FILE}", dir.display()),
                "give the folders `sim sweep ... --shard I/N` wrote (a shard that did not finish has none)",
            ))
        }
        Err(e) => return Err(refuse(format!("cannot read {}: {e}", path.display()), "check the folder's permissions")),
    };
    let bad = |what: &str| {
        refuse(
            format!("{}: {what}", path.display()),
            "the file is damaged or not from this version of clustersim; run that shard again",
        )
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(&format!("not JSON ({e})")))?;
    if v["format"] != FORMAT {
        return Err(bad(&format!("format is {}, expected {FORMAT:?}", v["format"])));
    }
    let text_at =
        |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string).ok_or_else(|| bad(&format!("no {p}")));
    let int_at = |p: &str| v.pointer(p).and_then(Value::as_u64).ok_or_else(|| bad(&format!("no {p}")));
    let sets = v["sets"]
        .as_array()
        .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
        .ok_or_else(|| bad("no /sets"))?;
    let info = ShardInfo {
        scenario: text_at("/scenario")?,
        file: text_at("/file")?,
        sets,
        scenario_hash: text_at("/scenario_hash")?,
        binary: BinaryId { version: text_at("/binary/version")?, build: text_at("/binary/build")? },
        seeds: (int_at("/seeds/first")?, int_at("/seeds/last")?),
        shard: shard_spec(int_at("/shard/index")?, int_at("/shard/count")?).map_err(|e| bad(&e))?,
    };
    if info.seeds.0 > info.seeds.1 {
        return Err(bad("the seed range is empty"));
    }
    let runs = v["runs"]
        .as_array()
        .ok_or_else(|| bad("no /runs"))?
        .iter()
        .enumerate()
        .map(|(i, r)| read_digest(r).ok_or_else(|| bad(&format!("run {i} is malformed"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Shard { dir: dir.to_path_buf(), info, runs })
}

fn read_digest(v: &Value) -> Option<RunDigest> {
    let expectations = v["expectations"]
        .as_array()?
        .iter()
        .map(|e| {
            Some(ExpectationResult {
                name: e["name"].as_str()?.to_string(),
                passed: e["passed"].as_bool()?,
                observed: e["observed"].as_str()?.to_string(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let metrics = v["metrics"]
        .as_object()?
        .iter()
        .map(|(k, m)| Some((k.clone(), m.as_str()?.parse::<f64>().ok()?)))
        .collect::<Option<BTreeMap<_, _>>>()?;
    Some(RunDigest {
        seed: v["seed"].as_u64()?,
        trace_hash: v["trace_hash"].as_str()?.to_string(),
        expectations,
        metrics,
    })
}

/// A whole sweep put back together from its shards.
#[derive(Debug)]
pub struct Merged {
    /// Shard 0's description (every shard agrees on all but the shard index).
    pub info: ShardInfo,
    /// Every seed's digest and `summary.json`, by seed.
    pub runs: Vec<(RunDigest, String)>,
}

impl Merged {
    /// Exactly the files the unsharded sweep writes.
    pub fn files(self) -> Vec<(PathBuf, Vec<u8>)> {
        sweep_files(&self.info.scenario, &self.info.file, &self.info.sets, self.runs)
    }
}

/// Reads the shard folders and checks they are every shard of one sweep, each once, of
/// the same scenario and binary, each holding exactly its seeds.
pub fn merge_shards(dirs: &[PathBuf]) -> Result<Merged, MergeError> {
    if dirs.is_empty() {
        return Err(refuse("no shard folders given".into(), "sim merge SHARD_DIR... --out DIR"));
    }
    let shards = dirs.iter().map(|d| read_shard(d)).collect::<Result<Vec<_>, _>>()?;
    let first = &shards[0];
    for other in &shards[1..] {
        let (a, b) = (&first.info, &other.info);
        if a.scenario_hash != b.scenario_hash {
            return Err(refuse(
                format!(
                    "{} and {} are shards of different scenarios: {} ({}, hash {}) and {} ({}, hash {})",
                    first.dir.display(),
                    other.dir.display(),
                    a.scenario,
                    describe_file(a),
                    &a.scenario_hash[..12.min(a.scenario_hash.len())],
                    b.scenario,
                    describe_file(b),
                    &b.scenario_hash[..12.min(b.scenario_hash.len())],
                ),
                "every shard must load the same scenario file, manifests and --set values",
            ));
        }
        if a.binary != b.binary {
            return Err(refuse(
                format!(
                    "{} and {} were written by different binaries: {} and {}",
                    first.dir.display(),
                    other.dir.display(),
                    a.binary,
                    b.binary
                ),
                "run every shard with the same sim build (one image for the whole Job)",
            ));
        }
        if a.seeds != b.seeds || a.shard.count != b.shard.count {
            return Err(refuse(
                format!(
                    "{} and {} are shards of different sweeps: seeds {}..{} in {} shards and seeds {}..{} in {} shards",
                    first.dir.display(),
                    other.dir.display(),
                    a.seeds.0,
                    a.seeds.1,
                    a.shard.count,
                    b.seeds.0,
                    b.seeds.1,
                    b.shard.count
                ),
                "every shard must be run with the same --seeds and the same shard count",
            ));
        }
    }
    let count = first.info.shard.count;
    let mut by_index: BTreeMap<u64, &Shard> = BTreeMap::new();
    for s in &shards {
        if let Some(earlier) = by_index.insert(s.info.shard.index, s) {
            return Err(refuse(
                format!("shard {} is given twice: {} and {}", s.info.shard, earlier.dir.display(), s.dir.display()),
                "give each shard folder once",
            ));
        }
    }
    let missing: Vec<String> =
        (0..count).filter(|i| !by_index.contains_key(i)).map(|i| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        let info = &first.info;
        return Err(refuse(
            format!(
                "missing {} {} of the sweep of {} (seeds {}..{} in {count} shards)",
                if missing.len() == 1 { "shard" } else { "shards" },
                list(&missing),
                info.scenario,
                info.seeds.0,
                info.seeds.1,
            ),
            "run the missing shards (--shard I/N) or give their folders too",
        ));
    }
    let mut runs = Vec::new();
    for s in by_index.values() {
        let expected = shard_seeds(&s.info.range(), s.info.shard);
        let held: Vec<u64> = s.runs.iter().map(|r| r.seed).collect();
        if held != expected {
            return Err(refuse(
                format!(
                    "{} (shard {}) holds seeds {} but the shard's seeds are {}",
                    s.dir.display(),
                    s.info.shard,
                    seed_list(&held),
                    seed_list(&expected)
                ),
                "the shard folder was changed by hand or is damaged; run that shard again",
            ));
        }
        for r in &s.runs {
            let path = s.dir.join("seeds").join(format!("{}.json", r.seed));
            let json = read_input(&path, MAX_INPUT_BYTES).map_err(|e| {
                refuse(
                    format!("cannot read {}: {e}", path.display()),
                    "the shard folder is incomplete or damaged; run that shard again",
                )
            })?;
            runs.push((r.clone(), json));
        }
    }
    runs.sort_by_key(|(d, _)| d.seed);
    let info = by_index[&0].info.clone();
    Ok(Merged { info, runs })
}

fn describe_file(info: &ShardInfo) -> String {
    if info.sets.is_empty() {
        info.file.clone()
    } else {
        format!("{} --set {}", info.file, info.sets.join(" --set "))
    }
}

fn list(items: &[String]) -> String {
    match items.len() {
        0..=12 => items.join(", "),
        n => format!("{}, ... ({n} in all)", items[..10].join(", ")),
    }
}

fn seed_list(seeds: &[u64]) -> String {
    if seeds.is_empty() {
        return "none".into();
    }
    list(&seeds.iter().map(u64::to_string).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(index: u64, count: u64) -> ShardSpec {
        shard_spec(index, count).unwrap()
    }

    #[test]
    fn a_fifo_for_shard_json_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("clustersim-shard-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let c = std::ffi::CString::new(dir.join(SHARD_FILE).to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer ever opens it: a blocking read would hang here.
        let e = read_shard(&dir).expect_err("refused");
        assert!(e.message.contains("not a regular file (it is a FIFO)"), "{}", e.message);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shards_take_every_nth_seed_and_together_every_seed_once() {
        assert_eq!(shard_seeds(&(1..=10), spec(0, 3)), [1, 4, 7, 10]);
        assert_eq!(shard_seeds(&(1..=10), spec(1, 3)), [2, 5, 8]);
        assert_eq!(shard_seeds(&(1..=10), spec(2, 3)), [3, 6, 9]);
        assert_eq!(shard_seeds(&(5..=5), spec(0, 1)), [5]);
        assert_eq!(shard_seeds(&(5..=6), spec(2, 3)), Vec::<u64>::new());
        assert_eq!(shard_seeds(&(u64::MAX - 2..=u64::MAX), spec(1, 2)), [u64::MAX - 1]);
        for count in 1..7 {
            let mut all: Vec<u64> = (0..count).flat_map(|i| shard_seeds(&(3..=20), spec(i, count))).collect();
            all.sort_unstable();
            assert_eq!(all, (3..=20).collect::<Vec<_>>(), "{count} shards");
        }
    }

    #[test]
    fn shard_arguments_are_checked() {
        assert_eq!(parse_shard("1/3"), Ok(spec(1, 3)));
        assert_eq!(parse_shard(" 0 / 1 "), Ok(spec(0, 1)));
        for bad in ["3/3", "0/0", "1", "a/3", "-1/3", "1/3/4"] {
            let err = parse_shard(bad).unwrap_err();
            assert!(err.contains("is not I/N") && err.contains("hint:"), "{bad}: {err}");
        }
    }

    #[test]
    fn digests_round_trip_to_the_bit() {
        let mut metrics = BTreeMap::new();
        for (i, v) in [0.1 + 0.2, 1e-300, 99.999_999_999_9, -0.0, f64::NAN, f64::INFINITY, 12345.678].iter().enumerate()
        {
            metrics.insert(format!("m{i}"), *v);
        }
        let d = RunDigest {
            seed: u64::MAX,
            trace_hash: "abc".into(),
            expectations: vec![ExpectationResult { name: "e \"1\"".into(), passed: false, observed: "ü".into() }],
            metrics,
        };
        let back = read_digest(&digest_json(&d)).unwrap();
        assert_eq!(back.seed, d.seed);
        assert_eq!(back.expectations, d.expectations);
        let bits = |m: &BTreeMap<String, f64>| m.iter().map(|(k, v)| (k.clone(), v.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(&back.metrics), bits(&d.metrics));
    }
}
