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

/// A self-contained page: the summary's figures and the plots inline.
pub fn report_html(s: &Summary, summary_md: &str, plots: &[(String, String)]) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — clustersim</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}}pre{{background:#f6f8fa;padding:1em;overflow:auto;white-space:pre-wrap}}figure{{margin:1.5em 0}}</style></head><body>\n",
        escape(&s.scenario.name)
    );
    let _ = writeln!(html, "<h1>{}</h1>", escape(&s.scenario.name));
    for (file, svg) in plots {
        let _ = writeln!(html, "<figure>{svg}<figcaption><a href=\"{file}\">{file}</a></figcaption></figure>");
    }
    let _ = writeln!(html, "<h2>Summary</h2><pre>{}</pre>\n</body></html>", escape(summary_md));
    html
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
