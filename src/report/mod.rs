//! Turning a finished run into its report: expectations, `summary.json`, `summary.md`,
//! `metrics.csv`, `report.html` with SVG plots, and the kubectl-style table on stdout.
//!
//! Architecture invariant: the report reads the run's output only; it never simulates.

pub mod aggregate;
pub mod doc;
mod expect;
pub mod folder;
mod html;
mod json;
mod metrics;
pub mod pods;
pub mod shard;
mod summary;
pub mod svg;
mod table;
mod write;

pub use aggregate::{aggregate_json, aggregate_markdown, sweep_files, RunDigest};
pub use expect::{evaluate, ExpectationResult};
pub use folder::{FolderError, OutputFolder};
pub use html::{page_head as html_page_head, page_tail as html_page_tail};
pub use json::number as json_number;
pub use summary::{pending_warning, summary_doc, summary_json, summary_markdown, verdict_line, Summary};
pub use table::{stdout_summary, stdout_table, verdict_word, verdicts};
pub use write::{write_report, RUN_COMPLETION};

use crate::engine::Duration;

/// `1h30m0s` style, as Kubernetes users read durations, to the millisecond.
pub fn human_duration(d: Duration) -> String {
    let millis = (d.as_nanos() + 500_000) / 1_000_000 * 1_000_000;
    crate::scenario::format_duration_nanos(millis.min(i64::MAX as u64) as i64)
}

/// A latency in milliseconds to the latency histogram's precision: three significant
/// figures (its buckets are at most 1/128 of their value wide, its percentiles within 0.4 %).
pub fn latency_ms(d: Duration) -> f64 {
    significant(d.as_secs_f64() * 1e3, 3)
}

/// `x` rounded to `digits` significant figures.
pub fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// A latency as people read it, to the histogram's precision: `765 ms`, `12.3 ms`, `1.23 s`.
pub fn latency_text(d: Duration) -> String {
    let ms = latency_ms(d);
    if ms >= 1000.0 {
        format!("{} s", json::number(significant(ms / 1e3, 3)))
    } else {
        format!("{} ms", json::number(ms))
    }
}

/// Seconds as people read them: `0.85s`, `14.2s`, `1m57s`, `1h2m`.
pub fn seconds_text(s: f64) -> String {
    if !s.is_finite() {
        return "–".into();
    }
    if s < 10.0 {
        format!("{}s", json::number((s * 100.0).round() / 100.0))
    } else if s < 60.0 {
        format!("{}s", json::number((s * 10.0).round() / 10.0))
    } else {
        let whole = s.round() as u64;
        let (h, m, sec) = (whole / 3600, whole % 3600 / 60, whole % 60);
        match (h, sec) {
            (0, _) => format!("{m}m{sec}s"),
            (_, _) => format!("{h}h{m}m"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_keep_three_significant_figures() {
        assert_eq!(latency_text(Duration::from_nanos(765_460_479)), "765 ms");
        assert_eq!(latency_text(Duration::from_nanos(12_345_678)), "12.3 ms");
        assert_eq!(latency_text(Duration::from_nanos(1_234_567_890)), "1.23 s");
        assert_eq!(latency_ms(Duration::from_nanos(456_789)), 0.457);
        assert_eq!(seconds_text(14.24), "14.2s");
        assert_eq!(seconds_text(117.4), "1m57s");
        assert_eq!(seconds_text(0.5), "0.5s");
        assert_eq!(seconds_text(3725.0), "1h2m");
    }
}
