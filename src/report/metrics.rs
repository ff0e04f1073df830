//! `metrics.csv`: `t,series,value`, the time series behind every plot.

use crate::record::{Observations, Series};
use std::fmt::Write;

pub fn metrics_csv(obs: &Observations) -> String {
    let mut out = String::from("t,series,value\n");
    let mut emit = |name: &str, series: &Series| {
        for (t, v) in &series.points {
            let _ = writeln!(out, "{t},{name},{v}");
        }
    };
    for (name, s) in &obs.desired {
        emit(&format!("deployment/{name}/desired"), s);
    }
    for (name, s) in &obs.ready {
        emit(&format!("deployment/{name}/ready"), s);
    }
    for (name, s) in &obs.pods {
        emit(&format!("deployment/{name}/pods"), s);
    }
    for (name, s) in &obs.running_on_node {
        emit(&format!("node/{name}/running_pods"), s);
    }
    emit("cluster/unschedulable_pods", &obs.unschedulable);
    for (name, s) in &obs.pool_nodes {
        emit(&format!("pool/{name}/nodes"), s);
    }
    for (svc, windows) in &obs.traffic {
        for w in windows {
            let f = &w.figures;
            let t = f.to;
            let _ = writeln!(out, "{t},service/{svc}/offered,{}", f.counts.offered);
            let _ = writeln!(out, "{t},service/{svc}/served,{}", f.counts.served);
            let _ = writeln!(out, "{t},service/{svc}/dropped,{}", f.counts.dropped.total());
            if let (Some(p50), Some(p99)) = (f.latency.p50, f.latency.p99) {
                let _ = writeln!(out, "{t},service/{svc}/p50_ms,{}", super::json::number(super::latency_ms(p50)));
                let _ = writeln!(out, "{t},service/{svc}/p99_ms,{}", super::json::number(super::latency_ms(p99)));
            }
        }
    }
    out
}
