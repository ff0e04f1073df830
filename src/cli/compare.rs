//! `sim compare FILE --variant NAME:PATH=VALUE[,PATH=VALUE]... [--seeds A..B] [--out DIR]`:
//! the same scenario under several settings, side by side: `compare.md` (one column per
//! variant), `compare.json`, `compare.html` (a verdict table, a panel per variant, overlaid
//! plots of each variant's median seed or of every seed), and exit 1 when any variant
//! failed an expectation on any seed.

use super::progress::{Mode, Progress};
use super::sweep::{parse_seeds, run_seeds};
use super::{Output, EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_OK};
use clustersim::report::aggregate::{distribution, metric_values, pass_rates};
use clustersim::report::doc::{self, Block, Cell, Table};
use clustersim::report::svg::{Chart, Marker, Series, Style, PALETTE};
use clustersim::report::{json_number, RunDigest};
use clustersim::world::{run as simulate, RunOptions, RunOutput};
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (`-`: standard input).
    file: PathBuf,
    /// A variant: `NAME:PATH=VALUE[,PATH=VALUE]...` (repeatable), e.g.
    /// `binpack:controlPlane.scheduler.policy=binpack`.
    #[arg(long = "variant", value_name = "NAME:PATH=VALUE,...", required = true)]
    variants: Vec<String>,
    /// Seeds to run each variant with (default: the scenario's seed).
    #[arg(long, value_name = "A..B")]
    seeds: Option<String>,
    /// Where to write the comparison (default: reports/<scenario name>-compare/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Override a field for every variant (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Parallel runs (default: the machine's cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// What the overlaid plots show per variant: its median seed, or every seed.
    #[arg(long, value_enum, default_value_t = Overlay::Median)]
    overlay: Overlay,
    /// What to print on stdout: `table` for people, `json` for the compare.json document.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Plain progress lines on stderr, even when it is not a terminal.
    #[arg(long)]
    progress: bool,
    /// No progress and no table on success (failures and errors still go out).
    #[arg(short, long)]
    quiet: bool,
}

/// The file whose presence marks a complete comparison (written last).
const COMPARE_COMPLETION: &str = "compare.md";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Overlay {
    Median,
    All,
}

fn parse_variant(text: &str) -> Result<(String, Vec<String>), String> {
    let (name, sets) =
        text.split_once(':').ok_or_else(|| format!("--variant {text:?} needs NAME:PATH=VALUE[,PATH=VALUE]"))?;
    if name.is_empty() || sets.is_empty() {
        return Err(format!("--variant {text:?} needs a name and at least one PATH=VALUE"));
    }
    Ok((name.to_string(), sets.split(',').map(str::to_string).collect()))
}

/// One variant's runs.
struct Variant {
    name: String,
    /// Its own `--set`s (the command's come first in `all_sets`).
    sets: Vec<String>,
    all_sets: Vec<String>,
    runs: Vec<RunDigest>,
    /// The seed whose plots stand for the variant, and why.
    median: (u64, String),
    /// (seed, run) drawn in the overlays.
    drawn: Vec<(u64, RunOutput)>,
}

impl Variant {
    fn passed(&self) -> usize {
        self.runs.iter().filter(|d| d.passed()).count()
    }
}

/// The seed at the lower median of the variant's first service's availability (or of its
/// event count without traffic), so its plots show a typical run, not the first.
fn median_seed(runs: &[RunDigest]) -> (u64, String) {
    let metric = runs
        .iter()
        .flat_map(|d| d.metrics.keys())
        .find(|k| k.ends_with("/availability_pct"))
        .cloned()
        .unwrap_or_else(|| "events".to_string());
    let mut ranked: Vec<(f64, u64)> =
        runs.iter().map(|d| (d.metrics.get(&metric).copied().unwrap_or(0.0), d.seed)).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let seed = ranked[(ranked.len() - 1) / 2].1;
    let why = if runs.len() == 1 { "the only seed".to_string() } else { format!("median {metric}") };
    (seed, why)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

fn fmt(x: f64) -> String {
    format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn run(args: Args) -> u8 {
    let parsed: Vec<(String, Vec<String>)> = match args.variants.iter().map(|v| parse_variant(v)).collect() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}\n  hint: e.g. --variant binpack:controlPlane.scheduler.policy=binpack");
            return EXIT_BAD_INPUT;
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Every variant is loaded and checked before the output folder is claimed (SPEC 5.1).
    let mut loaded = Vec::new();
    for (vname, sets) in &parsed {
        let mut all_sets = args.set.clone();
        all_sets.extend(sets.iter().cloned());
        let scenario = match super::load(&args.file, &all_sets) {
            Ok(s) => s,
            Err(code) => return code,
        };
        let seeds: Vec<u64> = match &args.seeds {
            Some(s) => match parse_seeds(s) {
                Ok(r) => r.collect(),
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_BAD_INPUT;
                }
            },
            None => vec![scenario.seed],
        };
        loaded.push((vname.clone(), sets.clone(), all_sets, scenario, seeds));
    }
    let name = loaded.first().map(|l| l.3.name.clone()).unwrap_or_default();
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{name}-compare")));
    let folder = match super::claim_output(&dir, COMPARE_COMPLETION) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut variants: Vec<Variant> = Vec::new();
    for (vname, sets, all_sets, scenario, seeds) in loaded {
        let total = seeds.len();
        let bar = std::sync::Mutex::new(Progress::new(
            Mode::pick(args.progress, args.quiet),
            format!("compare {vname}"),
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
        let rerun = |seed: u64| format!("{} --seed {seed}", super::reproduce_command(&args.file, &all_sets));
        let runs: Vec<RunDigest> = match runs {
            Ok(r) => r.into_iter().map(|(d, _)| d).collect(),
            Err((seed, e)) => return super::run_failed(&e, seed, &rerun(seed)),
        };
        let median = median_seed(&runs);
        let drawn_seeds: Vec<u64> = match args.overlay {
            Overlay::Median => vec![median.0],
            Overlay::All => seeds.clone(),
        };
        let mut drawn = Vec::new();
        for seed in drawn_seeds {
            let mut s = scenario.clone();
            s.seed = seed;
            match simulate(&s, RunOptions::default()) {
                Ok(out) => drawn.push((seed, out)),
                Err(e) => return super::run_failed(&e, seed, &rerun(seed)),
            }
        }
        variants.push(Variant { name: vname, sets, all_sets, runs, median, drawn });
    }
    let md = markdown(&name, &args.file, &variants);
    let json = json(&name, &args.file, &variants);
    let plots = plots(&variants, args.overlay);
    let html = html(&name, &args.file, &variants, &plots);
    if let Err(e) = folder.commit(|w| {
        for (file, svg) in &plots {
            w.file(file, svg)?;
        }
        w.file("compare.json", &json)?;
        w.file("compare.html", &html)?;
        w.file(COMPARE_COMPLETION, &md)
    }) {
        eprintln!("{e}");
        return EXIT_BAD_INPUT;
    }
    let all_passed = variants.iter().all(|v| v.passed() == v.runs.len());
    match args.output {
        Output::Json => print!("{json}"),
        Output::Table if !args.quiet || !all_passed => {
            print!("{md}");
            println!("\nreport: {}", dir.join("compare.html").display());
        }
        Output::Table => {}
    }
    if all_passed {
        EXIT_OK
    } else {
        EXIT_EXPECTATION_FAILED
    }
}

/// The comparison as rows (what) by columns (variants): verdict, settings, pass rates,
/// then each metric's median over the seeds.
fn table(file: &Path, variants: &[Variant]) -> (Table, Table, Vec<String>) {
    let mut head = vec![String::new()];
    head.extend(variants.iter().map(|v| v.name.clone()));
    let mut verdict = Table { class: "verdict", head: head.clone(), rows: Vec::new() };
    let mut row = vec![Cell::text("verdict")];
    row.extend(variants.iter().map(|v| Cell::Verdict(v.passed() == v.runs.len())));
    verdict.rows.push(row);
    let mut row = vec![Cell::text("settings")];
    row.extend(variants.iter().map(|v| Cell::Code(v.sets.join(", "))));
    verdict.rows.push(row);
    let mut row = vec![Cell::text("seeds passing every expectation")];
    row.extend(variants.iter().map(|v| Cell::num(format!("{}/{}", v.passed(), v.runs.len()))));
    verdict.rows.push(row);
    let mut names: Vec<String> = Vec::new();
    for v in variants {
        for (n, _, _) in pass_rates(&v.runs) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    for n in &names {
        let mut row = vec![Cell::text(n.clone())];
        for v in variants {
            let rate = pass_rates(&v.runs).into_iter().find(|(x, _, _)| x == n);
            row.push(Cell::num(rate.map_or("–".to_string(), |(_, p, t)| format!("{p}/{t}"))));
        }
        verdict.rows.push(row);
    }
    let mut metrics: Vec<String> = variants.iter().flat_map(|v| metric_values(&v.runs).into_keys()).collect();
    metrics.sort();
    metrics.dedup();
    let mut head = vec!["median over the seeds".to_string()];
    head.extend(variants.iter().map(|v| v.name.clone()));
    let mut figures = Table { class: "", head, rows: Vec::new() };
    for m in &metrics {
        let mut row = vec![Cell::Code(m.clone())];
        for v in variants {
            let values: Vec<f64> = v.runs.iter().filter_map(|d| d.metrics.get(m).copied()).collect();
            row.push(Cell::num(if values.is_empty() { "–".to_string() } else { fmt(median(values)) }));
        }
        figures.rows.push(row);
    }
    let mut reproduce = Vec::new();
    for v in variants {
        let cmd = super::reproduce_command(file, &v.all_sets);
        for d in v.runs.iter().filter(|d| !d.passed()).take(10) {
            let failed: Vec<&str> = d.expectations.iter().filter(|e| !e.passed).map(|e| e.name.as_str()).collect();
            reproduce.push(format!("{} seed {}: {} — `{cmd} --seed {}`", v.name, d.seed, failed.join("; "), d.seed));
        }
    }
    (verdict, figures, reproduce)
}

fn blocks(file: &Path, variants: &[Variant]) -> Vec<Block> {
    let (verdict, figures, reproduce) = table(file, variants);
    let mut out = vec![Block::Table(verdict), Block::Table(figures)];
    let seeds = variants.first().map_or(0, |v| v.runs.len());
    out.push(Block::Note(format!(
        "{seeds} seed(s) per variant; figures are medians over the seeds (availability in %, latency in ms, times in s)."
    )));
    if !reproduce.is_empty() {
        out.push(Block::H2("Failing runs".into()));
        out.push(Block::List(reproduce));
    }
    out
}

fn markdown(name: &str, file: &Path, variants: &[Variant]) -> String {
    let mut md = format!("# {name}: {} variants compared\n\n", variants.len());
    md.push_str(&doc::markdown(&blocks(file, variants)));
    md
}

fn json(name: &str, file: &Path, variants: &[Variant]) -> String {
    use clustersim::record::json_string as q;
    let mut out = format!(
        "{{\n  \"scenario\": {},\n  \"passed\": {},\n  \"variants\": [",
        q(name),
        variants.iter().all(|v| v.passed() == v.runs.len())
    );
    for (i, v) in variants.iter().enumerate() {
        let sets: Vec<String> = v.sets.iter().map(|s| q(s)).collect();
        let rates: Vec<String> = pass_rates(&v.runs)
            .into_iter()
            .map(|(n, p, t)| format!("{{\"name\": {}, \"passed\": {p}, \"runs\": {t}}}", q(&n)))
            .collect();
        let metrics: Vec<String> = metric_values(&v.runs)
            .into_iter()
            .map(|(k, vals)| {
                let [min, p50, p90, max] = distribution(&vals);
                format!(
                    "{}: {{\"min\": {}, \"p50\": {}, \"p90\": {}, \"max\": {}}}",
                    q(&k),
                    json_number(min),
                    json_number(p50),
                    json_number(p90),
                    json_number(max)
                )
            })
            .collect();
        let cmd = super::reproduce_command(file, &v.all_sets);
        let seeds: Vec<String> = v
            .runs
            .iter()
            .map(|d| {
                format!(
                    "{{\"seed\": {}, \"passed\": {}, \"trace_hash\": {}, \"reproduce\": {}}}",
                    d.seed,
                    d.passed(),
                    q(&d.trace_hash),
                    q(&format!("{cmd} --seed {}", d.seed))
                )
            })
            .collect();
        let _ = write!(
            out,
            "{}\n    {{\n      \"name\": {},\n      \"sets\": [{}],\n      \"runs\": {},\n      \"passed\": {},\n      \"median_seed\": {},\n      \"expectations\": [{}],\n      \"metrics\": {{{}}},\n      \"seeds\": [{}]\n    }}",
            if i == 0 { "" } else { "," },
            q(&v.name),
            sets.join(", "),
            v.runs.len(),
            v.passed(),
            v.median.0,
            rates.join(", "),
            metrics.join(", "),
            seeds.join(", ")
        );
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// A variant's headline figures (medians over its seeds) for its panel.
fn panel(v: &Variant) -> Vec<Block> {
    let values = metric_values(&v.runs);
    let med = |k: &str| values.get(k).map(|x| median(x.clone()));
    let mut figures = Vec::new();
    for (k, x) in &values {
        if let Some(svc) = k.strip_suffix("/availability_pct") {
            figures.push((format!("availability {svc}"), format!("{}%", fmt(median(x.clone()))), None));
            if let Some(p99) = med(&format!("{svc}/p99_ms")) {
                figures.push((format!("p99 {svc}"), format!("{} ms", fmt(p99)), None));
            }
        }
    }
    if let Some(x) = med("pods/startup_p99_s") {
        figures.push(("pod startup p99".into(), clustersim::report::seconds_text(x), None));
    }
    if let Some(x) = med("recovery/slowest_s") {
        figures.push(("slowest recovery".into(), clustersim::report::seconds_text(x), None));
    }
    if let Some(x) = med("cost") {
        figures.push(("cost".into(), fmt(x), None));
    }
    if let Some(x) = med("pods/pending_at_end").filter(|x| *x > 0.0) {
        figures.push(("pending at the end".into(), fmt(x), Some(false)));
    }
    let passed = v.passed() == v.runs.len();
    let mut out = vec![
        Block::H3(format!("{} — {}", v.name, if passed { "PASS" } else { "FAIL" })),
        Block::Note(format!(
            "{} · {}/{} seeds passed · plots: seed {} ({})",
            v.sets.join(", "),
            v.passed(),
            v.runs.len(),
            v.median.0,
            v.median.1
        )),
        Block::Figures(figures),
    ];
    let rows = pass_rates(&v.runs)
        .into_iter()
        .map(|(n, p, t)| vec![Cell::Verdict(p == t), Cell::text(n), Cell::num(format!("{p}/{t}"))])
        .collect();
    out.push(Block::Table(Table { class: "", head: vec!["".into(), "expectation".into(), "passed".into()], rows }));
    out
}

fn html(name: &str, file: &Path, variants: &[Variant], plots: &[(String, String)]) -> String {
    let mut h = clustersim::report::html_page_head(&format!("{name}: variants compared — clustersim"));
    let all = variants.iter().all(|v| v.passed() == v.runs.len());
    let _ = writeln!(h, "<h1>{}: {} variants compared</h1>", doc::escape(name), variants.len());
    let failing: Vec<&str> = variants.iter().filter(|v| v.passed() < v.runs.len()).map(|v| v.name.as_str()).collect();
    let line = if all {
        "every variant held every expectation on every seed".to_string()
    } else {
        format!("failed on some seed: {}", failing.join(", "))
    };
    let _ = writeln!(
        h,
        "<section id=\"verdict\"><p class=\"verdict-line {}\">{}: {}</p>",
        if all { "pass" } else { "fail" },
        if all { "PASS" } else { "FAIL" },
        doc::escape(&line)
    );
    let (verdict, figures, reproduce) = table(file, variants);
    h.push_str(&doc::html(&[Block::Table(verdict)]));
    h.push_str("<div class=\"panels\">");
    for v in variants {
        h.push_str("<div class=\"panel\">");
        h.push_str(&doc::html(&panel(v)));
        h.push_str("</div>");
    }
    h.push_str("</div></section>\n<section id=\"plots\"><h2>Plots</h2>\n");
    for (file, svg) in plots {
        let _ = writeln!(h, "<figure>{svg}<figcaption><a href=\"{file}\">{file}</a></figcaption></figure>");
    }
    h.push_str("</section>\n<section id=\"details\"><h2>Figures</h2>\n");
    let mut rest = vec![Block::Table(figures)];
    if !reproduce.is_empty() {
        rest.push(Block::H2("Failing runs".into()));
        rest.push(Block::List(reproduce));
    }
    h.push_str(&doc::html(&rest));
    h.push_str("</section>\n");
    h.push_str(&clustersim::report::html_page_tail());
    h
}

/// Overlays: ready replicas per Deployment, served requests and p99 per Service, pending
/// pods and nodes per pool; one colour per variant, one line per drawn seed, labelled.
fn plots(variants: &[Variant], overlay: Overlay) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(first) = variants.first().and_then(|v| v.drawn.first()) else { return out };
    let x_max = first.1.end.as_secs_f64();
    let label = |v: &Variant, seed: u64| format!("{} seed {seed}", v.name);
    let which = match overlay {
        Overlay::Median => "median seed of each variant",
        Overlay::All => "every seed",
    };
    type Extract<'a> = &'a dyn Fn(&RunOutput) -> Option<Vec<(f64, f64)>>;
    let mut chart = |file: String, title: String, y: &str, integer: bool, f: Extract| {
        // (label, points, variant index)
        type Line = (String, Vec<(f64, f64)>, usize);
        let mut data: Vec<Line> = Vec::new();
        for (i, v) in variants.iter().enumerate() {
            for (seed, run) in &v.drawn {
                if let Some(points) = f(run) {
                    data.push((label(v, *seed), points, i));
                }
            }
        }
        let width = if overlay == Overlay::All { 1.0 } else { 2.2 };
        let title = format!("{title} ({which})");
        let c = Chart {
            title: &title,
            y_label: y,
            series: data
                .iter()
                .map(|(n, p, i)| {
                    // Each variant its colour and dash, so lines that coincide stay visible.
                    Series::line(n, p, true).styled(Style {
                        color: Some(PALETTE[i % PALETTE.len()]),
                        dash: Some(["", "7 4", "2 3", "10 3 2 3"][i % 4]),
                        width: Some(width),
                        fill: None,
                    })
                })
                .collect(),
            markers: first
                .1
                .observations
                .markers
                .iter()
                .map(|(t, l)| Marker { x: t.as_secs_f64(), label: l })
                .collect(),
            x_max,
            integer,
        };
        if c.has_data() {
            out.push((file, c.to_svg()));
        }
    };
    let pts = |s: &clustersim::record::Series| s.points.iter().map(|(t, v)| (t.as_secs_f64(), *v as f64)).collect();
    for d in first.1.observations.ready.keys() {
        chart(format!("ready-{d}.svg"), format!("Ready replicas: {d}"), "replicas", true, &|o| {
            o.observations.ready.get(d).map(pts)
        });
    }
    for svc in first.1.observations.traffic.keys() {
        let served = |o: &RunOutput| {
            o.observations.traffic.get(svc).map(|w| {
                w.iter()
                    .map(|w| {
                        let span = (w.figures.to - w.figures.from).as_secs_f64().max(1e-9);
                        (w.figures.from.as_secs_f64(), w.figures.counts.served as f64 / span)
                    })
                    .collect()
            })
        };
        chart(format!("served-{svc}.svg"), format!("Served requests per second: {svc}"), "req/s", false, &served);
        let p99 = |o: &RunOutput| {
            o.observations.traffic.get(svc).map(|w| {
                w.iter()
                    .filter_map(|w| {
                        w.figures.latency.p99.map(|d| (w.figures.from.as_secs_f64(), clustersim::report::latency_ms(d)))
                    })
                    .collect()
            })
        };
        chart(format!("p99-{svc}.svg"), format!("Latency p99 of served requests: {svc}"), "ms", false, &p99);
    }
    chart("unschedulable.svg".into(), "Pods waiting for a node".into(), "pods", true, &|o| {
        Some(pts(&o.observations.unschedulable))
    });
    // Pools whose size changed in some drawn run (fixed pools are flat lines).
    let changed = |pool: &String| {
        variants
            .iter()
            .flat_map(|v| &v.drawn)
            .any(|(_, o)| o.observations.pool_nodes.get(pool).is_some_and(|s| s.points.len() > 1))
    };
    for pool in first.1.observations.pool_nodes.keys().filter(|p| changed(p)) {
        chart(format!("nodes-{pool}.svg"), format!("Nodes in pool {pool}"), "nodes", true, &|o| {
            o.observations.pool_nodes.get(pool).map(pts)
        });
    }
    out
}
