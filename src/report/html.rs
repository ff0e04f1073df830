//! `report.html` and its SVG plots, readable offline.

use super::svg::{Chart, Marker, Series as SvgSeries};
use super::Summary;
use crate::record::Series;
use std::fmt::Write;

/// The plots as (file name, SVG text).
pub fn plots(s: &Summary) -> Vec<(String, String)> {
    let obs = &s.run.observations;
    let x_max = s.run.end.as_secs_f64();
    let markers: Vec<(f64, &str)> = obs.markers.iter().map(|(t, l)| (t.as_secs_f64(), l.as_str())).collect();
    let to_points = |series: &Series| -> Vec<(f64, f64)> {
        series.points.iter().map(|(t, v)| (t.as_secs_f64(), *v as f64)).collect()
    };
    let chart = |title: &str, y: &str, data: &[(String, Vec<(f64, f64)>)]| {
        Chart {
            title,
            y_label: y,
            series: data.iter().map(|(n, p)| SvgSeries { name: n, points: p, step: true }).collect(),
            markers: markers.iter().map(|(x, l)| Marker { x: *x, label: l }).collect(),
            x_max,
        }
        .to_svg()
    };
    let mut replicas = Vec::new();
    for (name, ready) in &obs.ready {
        replicas.push((format!("{name} ready"), to_points(ready)));
        if let Some(d) = obs.desired.get(name) {
            replicas.push((format!("{name} desired"), to_points(d)));
        }
    }
    let per_node: Vec<_> = obs.running_on_node.iter().map(|(n, s)| (n.clone(), to_points(s))).collect();
    let pending = vec![("unschedulable".to_string(), to_points(&obs.unschedulable))];
    let mut charts = vec![
        ("replicas.svg".into(), chart("Ready vs desired replicas", "replicas", &replicas)),
        ("pods-per-node.svg".into(), chart("Running pods per node", "pods", &per_node)),
        ("unschedulable.svg".into(), chart("Pods waiting for a node", "pods", &pending)),
    ];
    if s.scenario.cluster.node_pools.iter().any(|p| p.autoscaling.is_some()) {
        let pools: Vec<_> = obs.pool_nodes.iter().map(|(n, s)| (n.clone(), to_points(s))).collect();
        charts.push(("nodes-per-pool.svg".into(), chart("Nodes per pool", "nodes", &pools)));
    }
    for (svc, windows) in &obs.traffic {
        let per_sec = |f: &dyn Fn(&crate::traffic::Figures) -> u64| -> Vec<(f64, f64)> {
            windows
                .iter()
                .map(|w| {
                    (
                        w.figures.from.as_secs_f64(),
                        f(&w.figures) as f64 / (w.figures.to - w.figures.from).as_secs_f64().max(1e-9),
                    )
                })
                .collect()
        };
        let requests = vec![
            ("offered".to_string(), per_sec(&|f| f.counts.offered)),
            ("served".to_string(), per_sec(&|f| f.counts.served)),
            ("dropped".to_string(), per_sec(&|f| f.counts.dropped.total())),
        ];
        let ms = |p: &dyn Fn(&crate::traffic::Figures) -> Option<crate::engine::Duration>| -> Vec<(f64, f64)> {
            windows
                .iter()
                .filter_map(|w| p(&w.figures).map(|d| (w.figures.from.as_secs_f64(), d.as_secs_f64() * 1e3)))
                .collect()
        };
        let latency = vec![("p50".to_string(), ms(&|f| f.latency.p50)), ("p99".to_string(), ms(&|f| f.latency.p99))];
        charts.push((format!("traffic-{svc}.svg"), chart(&format!("Requests per second: {svc}"), "req/s", &requests)));
        charts
            .push((format!("latency-{svc}.svg"), chart(&format!("Latency of served requests: {svc}"), "ms", &latency)));
    }
    charts
}

/// The page's style: readable tables, the verdict panel, figures as cards.
pub const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}\
h1{margin:.2em 0}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:.6em 0;font-size:14px}th,td{padding:4px 10px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}\
th{background:#f6f8fa;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.failed td{background:#fff1f0}\
.badge{display:inline-block;padding:1px 7px;border-radius:3px;font-weight:700;font-size:12px;color:#fff}.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}\
.verdict-line{font-size:20px;font-weight:700;margin:.4em 0}.verdict-line.pass{color:#1a7f37}.verdict-line.fail{color:#cf222e}\
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
    let class = if s.passed() { "pass" } else { "fail" };
    let word = if s.passed() { "PASS" } else { "FAIL" };
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
