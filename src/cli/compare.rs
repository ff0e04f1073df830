//! `sim compare FILE --variant NAME:PATH=VALUE[,PATH=VALUE]... [--seeds A..B] [--out DIR]`:
//! the same scenario under several settings, side by side: a table of pass rates and
//! median metrics, and plots with one line per variant.

use super::sweep::{parse_seeds, run_seeds};
use super::{EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK};
use clustersim::report::svg::{Chart, Marker, Series};
use clustersim::report::RunDigest;
use clustersim::world::{run as simulate, RunOptions};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file.
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
}

fn parse_variant(text: &str) -> Result<(String, Vec<String>), String> {
    let (name, sets) =
        text.split_once(':').ok_or_else(|| format!("--variant {text:?} needs NAME:PATH=VALUE[,PATH=VALUE]"))?;
    if name.is_empty() || sets.is_empty() {
        return Err(format!("--variant {text:?} needs a name and at least one PATH=VALUE"));
    }
    Ok((name.to_string(), sets.split(',').map(str::to_string).collect()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

pub fn run(args: Args) -> u8 {
    let variants: Vec<(String, Vec<String>)> = match args.variants.iter().map(|v| parse_variant(v)).collect() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}\n  hint: e.g. --variant binpack:controlPlane.scheduler.policy=binpack");
            return EXIT_BAD_INPUT;
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut table: Vec<(String, Vec<RunDigest>)> = Vec::new();
    let mut firsts = Vec::new();
    let mut name = String::new();
    for (vname, sets) in &variants {
        let mut all_sets = args.set.clone();
        all_sets.extend(sets.iter().cloned());
        let scenario = match super::load(&args.file, &all_sets) {
            Ok(s) => s,
            Err(code) => return code,
        };
        name = scenario.name.clone();
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
        let runs = match run_seeds(&scenario, &seeds, jobs, &|_| {}) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("internal error: {e}");
                return EXIT_INTERNAL;
            }
        };
        let mut first = scenario.clone();
        first.seed = seeds[0];
        match simulate(&first, RunOptions::default()) {
            Ok(out) => firsts.push((vname.clone(), out)),
            Err(e) => {
                eprintln!("internal error: {e}");
                return EXIT_INTERNAL;
            }
        }
        table.push((vname.clone(), runs.into_iter().map(|(d, _)| d).collect()));
    }
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(format!("{name}-compare")));
    let md = markdown(&name, &table);
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| {
        std::fs::write(dir.join("compare.md"), &md)?;
        for (file, svg) in plots(&firsts) {
            std::fs::write(dir.join(file), svg)?;
        }
        Ok(())
    }) {
        eprintln!("error: cannot write the comparison to {}: {e}", dir.display());
        return EXIT_BAD_INPUT;
    }
    print!("{md}");
    println!("\nreport: {}", dir.join("compare.md").display());
    EXIT_OK
}

fn markdown(name: &str, table: &[(String, Vec<RunDigest>)]) -> String {
    let mut metrics: Vec<String> =
        table.iter().flat_map(|(_, r)| r.iter().flat_map(|d| d.metrics.keys().cloned())).collect();
    metrics.sort();
    metrics.dedup();
    let mut md = format!("# {name}: variants compared\n\n| variant | runs passing every expectation |");
    for m in &metrics {
        let _ = write!(md, " {m} (median) |");
    }
    md.push_str("\n|---|---:|");
    md.push_str(&"---:|".repeat(metrics.len()));
    md.push('\n');
    for (v, runs) in table {
        let passed = runs.iter().filter(|d| d.passed()).count();
        let _ = write!(md, "| {v} | {passed}/{} |", runs.len());
        for m in &metrics {
            let values: Vec<f64> = runs.iter().filter_map(|d| d.metrics.get(m).copied()).collect();
            let cell = if values.is_empty() {
                "–".to_string()
            } else {
                format!("{:.3}", median(values)).trim_end_matches('0').trim_end_matches('.').to_string()
            };
            let _ = write!(md, " {cell} |");
        }
        md.push('\n');
    }
    md.push_str("\n## Expectations per variant\n\n| variant | expectation | pass rate |\n|---|---|---:|\n");
    for (v, runs) in table {
        let mut rates: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for d in runs {
            for e in &d.expectations {
                let r = rates.entry(e.name.as_str()).or_default();
                r.0 += usize::from(e.passed);
                r.1 += 1;
            }
        }
        for (e, (p, t)) in rates {
            let _ = writeln!(md, "| {v} | {e} | {p}/{t} |");
        }
    }
    md
}

/// Ready replicas per Deployment and served requests per Service, one line per variant.
fn plots(firsts: &[(String, clustersim::world::RunOutput)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some((_, first)) = firsts.first() else { return out };
    let x_max = first.end.as_secs_f64();
    for d in first.observations.ready.keys() {
        let data: Vec<(String, Vec<(f64, f64)>)> = firsts
            .iter()
            .filter_map(|(v, o)| {
                o.observations
                    .ready
                    .get(d)
                    .map(|s| (v.clone(), s.points.iter().map(|(t, x)| (t.as_secs_f64(), *x as f64)).collect()))
            })
            .collect();
        let title = format!("Ready replicas: {d}");
        let svg = Chart {
            title: &title,
            y_label: "replicas",
            series: data.iter().map(|(n, p)| Series::line(n, p, true)).collect(),
            markers: first.observations.markers.iter().map(|(t, l)| Marker { x: t.as_secs_f64(), label: l }).collect(),
            x_max,
            integer: false,
        }
        .to_svg();
        out.push((format!("ready-{d}.svg"), svg));
    }
    for svc in first.observations.traffic.keys() {
        let data: Vec<(String, Vec<(f64, f64)>)> = firsts
            .iter()
            .filter_map(|(v, o)| {
                o.observations.traffic.get(svc).map(|w| {
                    let pts = w
                        .iter()
                        .map(|w| {
                            (
                                w.figures.from.as_secs_f64(),
                                w.figures.counts.served as f64
                                    / (w.figures.to - w.figures.from).as_secs_f64().max(1e-9),
                            )
                        })
                        .collect();
                    (v.clone(), pts)
                })
            })
            .collect();
        let title = format!("Served requests per second: {svc}");
        let svg = Chart {
            title: &title,
            y_label: "req/s",
            series: data.iter().map(|(n, p)| Series::line(n, p, true)).collect(),
            markers: first.observations.markers.iter().map(|(t, l)| Marker { x: t.as_secs_f64(), label: l }).collect(),
            x_max,
            integer: false,
        }
        .to_svg();
        out.push((format!("served-{svc}.svg"), svg));
    }
    out
}
