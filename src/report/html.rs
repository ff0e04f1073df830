//! `report.html` and its SVG plots, readable offline.

use super::pods::natural_cmp;
use super::svg::{Chart, Marker, Series as SvgSeries, Style, PALETTE};
use super::Summary;
use crate::record::Series;
use std::fmt::Write;

/// Per-node plots draw one line per node up to this many nodes, quantile bands past it.
const NODE_LINES: usize = 12;
/// Time columns of a quantile band.
const BAND_COLUMNS: usize = 360;

const SERVED: Style = Style { color: Some("#0072B2"), dash: Some(""), width: Some(3.0), fill: None };
const OFFERED: Style = Style { color: Some("#222222"), dash: Some("5 4"), width: Some(1.4), fill: None };
const DROPPED: Style = Style { color: Some("#D55E00"), dash: Some(""), width: Some(1.2), fill: Some(0.35) };
const LIMIT: Style = Style { color: Some("#888888"), dash: Some("2 3"), width: Some(1.2), fill: None };

fn to_points(series: &Series) -> Vec<(f64, f64)> {
    series.points.iter().map(|(t, v)| (t.as_secs_f64(), *v as f64)).collect()
}

/// A file name part made of the name's safe characters.
fn file_part(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' }).collect()
}

/// Min–max and p10–p90 bands and the median of many step series, sampled on a grid.
fn quantile_bands(series: &[&Series], end: f64) -> [Vec<(f64, f64)>; 5] {
    let mut out: [Vec<(f64, f64)>; 5] = Default::default();
    let mut values = Vec::with_capacity(series.len());
    for k in 0..BAND_COLUMNS {
        let t = end * k as f64 / (BAND_COLUMNS - 1) as f64;
        let at = crate::engine::Time::ZERO + crate::engine::Duration::from_secs_f64(t);
        values.clear();
        values.extend(series.iter().filter(|s| s.points.first().is_some_and(|p| p.0 <= at)).map(|s| s.at(at)));
        if values.is_empty() {
            continue;
        }
        values.sort_unstable();
        let rank = |q: f64| values[((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1] as f64;
        for (i, q) in [0.0, 0.1, 0.5, 0.9, 1.0].into_iter().enumerate() {
            out[i].push((t, if q == 0.0 { values[0] as f64 } else { rank(q) }));
        }
    }
    out
}

fn sorted(mut names: Vec<&String>) -> Vec<&String> {
    names.sort_by(|a, b| natural_cmp(a, b));
    names
}

/// The plots as (file name, SVG text); plots with nothing to show are left out.
pub fn plots(s: &Summary) -> Vec<(String, String)> {
    let obs = &s.run.observations;
    let x_max = s.run.end.as_secs_f64();
    let markers: Vec<(f64, &str)> = obs.markers.iter().map(|(t, l)| (t.as_secs_f64(), l.as_str())).collect();
    let mut charts: Vec<(String, String)> = Vec::new();
    let mut add = |file: String, title: &str, y: &str, integer: bool, series: Vec<SvgSeries>| {
        let chart = Chart {
            title,
            y_label: y,
            series,
            markers: markers.iter().map(|(x, l)| Marker { x: *x, label: l }).collect(),
            x_max,
            integer,
        };
        if chart.has_data() {
            charts.push((file, chart.to_svg()));
        }
    };

    // Ready vs desired: one colour per Deployment, desired dashed.
    let deployments = sorted(obs.ready.keys().collect());
    type Pair = (String, Vec<(f64, f64)>);
    let data: Vec<(Pair, Pair)> = deployments
        .iter()
        .map(|d| {
            let desired = obs.desired.get(*d).map(to_points).unwrap_or_default();
            ((format!("{d} ready"), to_points(&obs.ready[*d])), (format!("{d} desired"), desired))
        })
        .collect();
    let mut series = Vec::new();
    for (i, ((rn, rp), (dn, dp))) in data.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        series.push(SvgSeries::line(rn, rp, true).styled(Style {
            color: Some(c),
            dash: Some(""),
            width: Some(2.2),
            fill: None,
        }));
        series.push(SvgSeries::line(dn, dp, true).styled(Style {
            color: Some(c),
            dash: Some("6 4"),
            width: Some(1.3),
            fill: None,
        }));
    }
    add("replicas.svg".into(), "Ready vs desired replicas", "replicas", true, series);

    // One plot per HPA: current and desired replicas within min and max, then CPU vs target.
    for (name, h) in &obs.hpas {
        let current = to_points(&h.current);
        let desired = to_points(&h.desired);
        let bound = |v: i64| vec![(0.0, v as f64), (x_max, v as f64)];
        let (min, max) = (bound(h.min_replicas), bound(h.max_replicas));
        let title = format!("HPA {name} ({}): replicas", h.deployment);
        add(
            format!("hpa-{}.svg", file_part(name)),
            &title,
            "replicas",
            true,
            vec![
                SvgSeries::line("current", &current, true).styled(Style {
                    color: Some("#0072B2"),
                    dash: Some(""),
                    width: Some(2.2),
                    fill: None,
                }),
                SvgSeries::line("desired", &desired, true).styled(Style {
                    color: Some("#E69F00"),
                    dash: Some("6 4"),
                    width: Some(1.6),
                    fill: None,
                }),
                SvgSeries::line("minReplicas", &min, false).styled(LIMIT),
                SvgSeries::line("maxReplicas", &max, false).styled(Style { color: Some("#D55E00"), ..LIMIT }),
            ],
        );
        let used: Vec<(f64, f64)> = h.utilization.iter().map(|(t, u)| (t.as_secs_f64(), *u as f64)).collect();
        let target = bound(h.target_utilization);
        let title = format!("HPA {name}: CPU utilization vs target");
        add(
            format!("hpa-{}-cpu.svg", file_part(name)),
            &title,
            "% of request",
            false,
            vec![
                SvgSeries::line("utilization", &used, false).styled(Style {
                    color: Some("#009E73"),
                    dash: Some(""),
                    width: Some(1.8),
                    fill: None,
                }),
                SvgSeries::line("target", &target, false).styled(Style {
                    color: Some("#D55E00"),
                    dash: Some("6 4"),
                    width: Some(1.4),
                    fill: None,
                }),
            ],
        );
    }

    // Pods per node: a line per node for a few nodes, quantile bands for many.
    let nodes = sorted(obs.running_on_node.keys().collect());
    if nodes.len() <= NODE_LINES {
        let data: Vec<(&String, Vec<(f64, f64)>)> =
            nodes.iter().map(|n| (*n, to_points(&obs.running_on_node[*n]))).collect();
        add(
            "pods-per-node.svg".into(),
            "Running pods per node",
            "pods",
            true,
            data.iter().map(|(n, p)| SvgSeries::line(n, p, true)).collect(),
        );
    } else {
        let all: Vec<&Series> = nodes.iter().map(|n| &obs.running_on_node[*n]).collect();
        let [lo, p10, p50, p90, hi] = quantile_bands(&all, x_max);
        let title = format!("Running pods per node: spread over {} nodes", nodes.len());
        add(
            "pods-per-node.svg".into(),
            &title,
            "pods",
            true,
            vec![
                SvgSeries {
                    low: Some(&lo),
                    ..SvgSeries::line("min – max", &hi, true).styled(Style {
                        color: Some("#56B4E9"),
                        dash: None,
                        width: None,
                        fill: Some(0.25),
                    })
                },
                SvgSeries {
                    low: Some(&p10),
                    ..SvgSeries::line("p10 – p90", &p90, true).styled(Style {
                        color: Some("#0072B2"),
                        dash: None,
                        width: None,
                        fill: Some(0.35),
                    })
                },
                SvgSeries::line("median", &p50, true).styled(Style {
                    color: Some("#000000"),
                    dash: Some(""),
                    width: Some(1.6),
                    fill: None,
                }),
            ],
        );
    }
    let pending = to_points(&obs.unschedulable);
    add(
        "unschedulable.svg".into(),
        "Pods waiting for a node",
        "pods",
        true,
        vec![SvgSeries::line("unschedulable", &pending, true)],
    );
    if s.scenario.cluster.node_pools.iter().any(|p| p.autoscaling.is_some()) {
        let pools = sorted(obs.pool_nodes.keys().collect());
        let data: Vec<(&String, Vec<(f64, f64)>)> =
            pools.iter().map(|p| (*p, to_points(&obs.pool_nodes[*p]))).collect();
        add(
            "nodes-per-pool.svg".into(),
            "Nodes per pool",
            "nodes",
            true,
            data.iter().map(|(n, p)| SvgSeries::line(n, p, true)).collect(),
        );
    }
    for (svc, windows) in &obs.traffic {
        let per_sec = |f: &dyn Fn(&crate::traffic::Figures) -> u64| -> Vec<(f64, f64)> {
            windows
                .iter()
                .map(|w| {
                    let span = (w.figures.to - w.figures.from).as_secs_f64().max(1e-9);
                    (w.figures.from.as_secs_f64(), (f(&w.figures) as f64 / span * 100.0).round() / 100.0)
                })
                .collect()
        };
        let (offered, served, dropped) =
            (per_sec(&|f| f.counts.offered), per_sec(&|f| f.counts.served), per_sec(&|f| f.counts.dropped.total()));
        add(
            format!("traffic-{}.svg", file_part(svc)),
            &format!("Requests per second: {svc}"),
            "req/s",
            false,
            vec![
                SvgSeries::line("served", &served, true).styled(SERVED),
                SvgSeries::line("dropped", &dropped, true).styled(DROPPED),
                SvgSeries::line("offered", &offered, true).styled(OFFERED),
            ],
        );
        let causes = [
            ("no endpoints", per_sec(&|f| f.counts.dropped.no_endpoints)),
            ("queue full", per_sec(&|f| f.counts.dropped.queue_full)),
            ("timeout", per_sec(&|f| f.counts.dropped.timeout)),
            ("pod lost", per_sec(&|f| f.counts.dropped.pod_lost)),
        ];
        add(
            format!("dropped-{}.svg", file_part(svc)),
            &format!("Dropped requests per second by cause: {svc}"),
            "req/s",
            false,
            causes
                .iter()
                .filter(|(_, p)| p.iter().any(|(_, v)| *v > 0.0))
                .map(|(n, p)| SvgSeries::line(n, p, true))
                .collect(),
        );
        let ms = |p: &dyn Fn(&crate::traffic::Figures) -> Option<crate::engine::Duration>| -> Vec<(f64, f64)> {
            windows
                .iter()
                .filter_map(|w| p(&w.figures).map(|d| (w.figures.from.as_secs_f64(), super::latency_ms(d))))
                .collect()
        };
        let (p50, p99) = (ms(&|f| f.latency.p50), ms(&|f| f.latency.p99));
        add(
            format!("latency-{}.svg", file_part(svc)),
            &format!("Latency of served requests: {svc}"),
            "ms",
            false,
            vec![
                SvgSeries::line("p50", &p50, true).styled(Style {
                    color: Some("#0072B2"),
                    dash: Some(""),
                    width: Some(1.8),
                    fill: None,
                }),
                SvgSeries::line("p99", &p99, true).styled(Style {
                    color: Some("#D55E00"),
                    dash: Some(""),
                    width: Some(1.4),
                    fill: None,
                }),
            ],
        );
    }
    charts
}

/// The page's style: readable tables, the verdict panel, figures as cards.
pub const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}\
h1{margin:.2em 0}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:.6em 0;font-size:14px}th,td{padding:4px 10px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}\
th{background:#f6f8fa;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr.failed td{background:#fff1f0}\
.badge{display:inline-block;padding:1px 7px;border-radius:3px;font-weight:700;font-size:12px;color:#fff}.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}\
.verdict-line{font-size:20px;font-weight:700;margin:.4em 0}.verdict-line.pass{color:#1a7f37}.verdict-line.fail{color:#cf222e}.verdict-line.none{color:#555}\
dl.figures{display:flex;flex-wrap:wrap;gap:8px;margin:.8em 0}dl.figures div{border:1px solid #ddd;border-radius:6px;padding:6px 12px;min-width:150px}\
dl.figures div.fail{border-color:#cf222e;background:#fff1f0}dt{font-size:12px;color:#555}dd{margin:0;font-size:17px;font-weight:600}\
p.note{color:#555;font-size:13px}p.warning{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:4px}\
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}details{margin:.3em 0}summary{cursor:pointer}\
figure{margin:1.2em 0;position:relative}figcaption{font-size:12px;color:#555}svg{max-width:100%;height:auto}\
.tip{position:absolute;pointer-events:none;background:rgba(255,255,255,.96);border:1px solid #999;border-radius:4px;padding:4px 7px;font-size:12px;white-space:nowrap;display:none;box-shadow:0 1px 4px rgba(0,0,0,.2)}\
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}.panel{border:1px solid #ddd;border-radius:6px;padding:0 12px}";

/// A self-contained page: the verdict panel, the plots, then the details.
pub fn report_html(s: &Summary, plots: &[(String, String)]) -> String {
    let doc = super::summary::summary_doc(s);
    let mut html = page_head(&format!("{} — clustersim", s.scenario.name));
    let _ = writeln!(html, "<h1>{}</h1>", escape(&s.scenario.name));
    let (class, word) = match (s.expectations.is_empty(), s.passed()) {
        (true, _) => ("none", "NO EXPECTATIONS"),
        (false, true) => ("pass", "PASS"),
        (false, false) => ("fail", "FAIL"),
    };
    let _ = writeln!(
        html,
        "<section id=\"verdict\"><p class=\"verdict-line {class}\">{word}: {}</p>",
        escape(&super::summary::verdict_line(s.expectations))
    );
    html.push_str(&super::doc::html(&doc.panel));
    html.push_str("</section>\n<section id=\"plots\"><h2>Plots</h2>\n");
    for (file, svg) in plots {
        let _ = writeln!(html, "<figure>{svg}<figcaption><a href=\"{file}\">{file}</a></figcaption></figure>");
    }
    html.push_str("</section>\n<section id=\"details\">\n");
    html.push_str(&super::doc::html(&doc.details));
    html.push_str("</section>\n");
    html.push_str(&page_tail());
    html
}

/// `<!DOCTYPE html>` to the opening `<body>`.
pub fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\n<style>{STYLE}</style></head><body>\n",
        escape(title)
    )
}

/// The tooltip script and the closing tags.
pub fn page_tail() -> String {
    format!("<script>{}</script>\n</body></html>\n", super::svg::TOOLTIP_JS)
}

fn escape(s: &str) -> String {
    super::doc::escape(s)
}
