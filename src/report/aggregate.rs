//! Many runs of one scenario (seeds, variants): pass rates of each expectation and the
//! distribution of each headline metric.

use super::json::{number, Json};
use super::ExpectationResult;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What one run contributes to an aggregate.
#[derive(Clone, Debug)]
pub struct RunDigest {
    pub seed: u64,
    pub trace_hash: String,
    pub expectations: Vec<ExpectationResult>,
    /// Metric name -> value (availability per service, p99 per service, final ready...).
    pub metrics: BTreeMap<String, f64>,
}

impl RunDigest {
    pub fn new(summary: &super::Summary) -> Self {
        let (run, scenario) = (summary.run, summary.scenario);
        let mut metrics = BTreeMap::new();
        for (svc, f) in &run.observations.traffic_totals {
            if let Some(a) = f.availability() {
                metrics.insert(format!("{svc}/availability_pct"), a * 100.0);
            }
            if let Some(p99) = f.latency.p99 {
                metrics.insert(format!("{svc}/p99_ms"), super::latency_ms(p99));
            }
            metrics.insert(format!("{svc}/dropped"), f.counts.dropped.total() as f64);
        }
        for (d, s) in &run.observations.ready {
            metrics.insert(format!("{d}/final_ready"), s.last() as f64);
            // The lowest ready count once the Deployment first had all its replicas.
            let desired = run.observations.desired.get(d);
            let full =
                s.points.iter().find(|(t, v)| desired.is_some_and(|x| *v >= x.at(*t) && x.at(*t) > 0)).map(|p| p.0);
            if let Some(from) = full {
                metrics.insert(format!("{d}/min_ready"), s.min_over(from, run.end) as f64);
            }
        }
        for (d, s) in &run.observations.pods {
            metrics.insert(format!("{d}/max_pods"), s.max_over(crate::engine::Time::ZERO, run.end) as f64);
        }
        let costs = super::summary::pool_costs(summary);
        for (pool, c) in scenario.cluster.node_pools.iter().zip(&costs) {
            if pool.autoscaling.is_some() {
                metrics.insert(format!("pool/{}/max_nodes", c.name), c.max_nodes as f64);
                metrics.insert(format!("pool/{}/node_hours", c.name), c.node_hours);
            }
        }
        if scenario.cluster.node_pools.iter().any(|p| p.cost_per_hour > 0.0) {
            metrics.insert("cost".into(), costs.iter().map(|c| c.cost).sum());
        }
        if let Some(q) = &summary.pods.startup {
            metrics.insert("pods/startup_p99_s".into(), q.p99);
        }
        metrics.insert("pods/pending_at_end".into(), summary.pods.pending_pods() as f64);
        // The slowest recovery from a node fault; one never recovered counts to the end.
        let worst = summary
            .pods
            .recovery
            .iter()
            .map(|r| r.seconds.unwrap_or_else(|| (run.end - r.at).as_secs_f64()))
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        if let Some(w) = worst {
            metrics.insert("recovery/slowest_s".into(), w);
        }
        metrics.insert("events".into(), run.events.lines() as f64);
        RunDigest {
            seed: scenario.seed,
            trace_hash: summary.trace_hash.clone(),
            expectations: summary.expectations.to_vec(),
            metrics,
        }
    }

    pub fn passed(&self) -> bool {
        self.expectations.iter().all(|e| e.passed)
    }
}

/// min, median, p90, max of a sample (sorted copy; nearest-rank percentiles).
pub fn distribution(values: &[f64]) -> [f64; 4] {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    [v[0], rank(0.5), rank(0.9), v[v.len() - 1]]
}

/// Pass rate per expectation name, in first-seen order.
pub fn pass_rates(runs: &[RunDigest]) -> Vec<(String, usize, usize)> {
    let mut rates: Vec<(String, usize, usize)> = Vec::new();
    for r in runs {
        for e in &r.expectations {
            match rates.iter_mut().find(|(n, _, _)| *n == e.name) {
                Some(entry) => {
                    entry.1 += usize::from(e.passed);
                    entry.2 += 1;
                }
                None => rates.push((e.name.clone(), usize::from(e.passed), 1)),
            }
        }
    }
    rates
}

pub fn metric_values(runs: &[RunDigest]) -> BTreeMap<String, Vec<f64>> {
    let mut m: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in runs {
        for (k, v) in &r.metrics {
            m.entry(k.clone()).or_default().push(*v);
        }
    }
    m
}

/// `sweep.json`: per-seed verdicts, pass rates, metric distributions.
pub fn aggregate_json(scenario: &str, runs: &[RunDigest]) -> String {
    let seeds = runs
        .iter()
        .map(|r| {
            Json::obj(vec![
                ("seed", Json::Int(r.seed as i64)),
                ("passed", Json::Bool(r.passed())),
                ("trace_hash", Json::str(&r.trace_hash)),
            ])
        })
        .collect();
    let rates = pass_rates(runs)
        .into_iter()
        .map(|(n, p, t)| {
            Json::obj(vec![("name", Json::str(n)), ("passed", Json::Int(p as i64)), ("runs", Json::Int(t as i64))])
        })
        .collect();
    let metrics = metric_values(runs)
        .into_iter()
        .map(|(k, v)| {
            let [min, p50, p90, max] = distribution(&v);
            (
                k,
                Json::obj(vec![
                    ("min", Json::Num(min)),
                    ("p50", Json::Num(p50)),
                    ("p90", Json::Num(p90)),
                    ("max", Json::Num(max)),
                ]),
            )
        })
        .collect();
    Json::obj(vec![
        ("scenario", Json::str(scenario)),
        ("runs", Json::Int(runs.len() as i64)),
        ("passed", Json::Int(runs.iter().filter(|r| r.passed()).count() as i64)),
        ("expectations", Json::Arr(rates)),
        ("metrics", Json::Obj(metrics)),
        ("seeds", Json::Arr(seeds)),
    ])
    .pretty()
}

/// `sweep.md`: the same for people, with the failing seeds to reproduce (`reproduce` is
/// the `sim run FILE --set ...` command that a seed is appended to).
pub fn aggregate_markdown(scenario: &str, reproduce: &str, runs: &[RunDigest]) -> String {
    let mut md = String::new();
    let passed = runs.iter().filter(|r| r.passed()).count();
    let _ = writeln!(md, "# {scenario}: {passed} of {} seeds passed\n", runs.len());
    md.push_str("## Expectations\n\n| expectation | pass rate |\n|---|---:|\n");
    for (name, p, t) in pass_rates(runs) {
        let _ = writeln!(md, "| {name} | {p}/{t} ({}%) |", number(100.0 * p as f64 / t as f64));
    }
    md.push_str("\n## Metrics\n\n| metric | min | p50 | p90 | max |\n|---|---:|---:|---:|---:|\n");
    for (k, v) in metric_values(runs) {
        let [min, p50, p90, max] = distribution(&v);
        let f = |x: f64| format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_string();
        let _ = writeln!(md, "| {k} | {} | {} | {} | {} |", f(min), f(p50), f(p90), f(max));
    }
    let failing: Vec<&RunDigest> = runs.iter().filter(|r| !r.passed()).collect();
    if !failing.is_empty() {
        md.push_str("\n## Failing seeds\n\n");
        for r in failing.iter().take(50) {
            let names: Vec<&str> = r.expectations.iter().filter(|e| !e.passed).map(|e| e.name.as_str()).collect();
            let _ = writeln!(
                md,
                "- seed {}: {} — reproduce with `{reproduce} --seed {}`",
                r.seed,
                names.join("; "),
                r.seed
            );
        }
    }
    md
}

/// `word` quoted for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// `sim run FILE --set A=B ...`: with `--seed N` appended, what reproduces one run of a
/// sweep or a comparison.
pub fn reproduce_command(file: &str, sets: &[String]) -> String {
    let mut cmd = format!("sim run {}", shell_word(file));
    for s in sets {
        cmd.push_str(" --set ");
        cmd.push_str(&shell_word(s));
    }
    cmd
}

/// The files of a sweep folder, in writing order: `seeds/N.json` (each seed's
/// `summary.json`), `sweep.md`, `sweep.json`. The unsharded sweep and `sim merge` both
/// write exactly these.
pub fn sweep_files(
    scenario: &str,
    file: &str,
    sets: &[String],
    runs: Vec<(RunDigest, String)>,
) -> Vec<(PathBuf, Vec<u8>)> {
    let digests: Vec<RunDigest> = runs.iter().map(|(d, _)| d.clone()).collect();
    let md = aggregate_markdown(scenario, &reproduce_command(file, sets), &digests);
    let json = aggregate_json(scenario, &digests);
    let mut files: Vec<(PathBuf, Vec<u8>)> = runs
        .into_iter()
        .map(|(d, summary)| (Path::new("seeds").join(format!("{}.json", d.seed)), summary.into_bytes()))
        .collect();
    files.push((PathBuf::from("sweep.md"), md.into_bytes()));
    files.push((PathBuf::from("sweep.json"), json.into_bytes()));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduce_commands_quote_what_the_shell_would_split() {
        assert_eq!(reproduce_command("a.yaml", &["x=1".into()]), "sim run a.yaml --set x=1");
        assert_eq!(
            reproduce_command("my dir/a.yaml", &["description=it's".into()]),
            "sim run 'my dir/a.yaml' --set 'description=it'\\''s'"
        );
    }

    #[test]
    fn distribution_uses_nearest_rank() {
        assert_eq!(distribution(&[3.0, 1.0, 2.0, 4.0]), [1.0, 2.0, 4.0, 4.0]);
        assert_eq!(distribution(&[5.0]), [5.0; 4]);
    }
}
