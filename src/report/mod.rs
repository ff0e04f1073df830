//! Turning a finished run into its report: expectations, `summary.json`, `summary.md`,
//! `metrics.csv`, `report.html` with SVG plots, and the kubectl-style table on stdout.
//!
//! Architecture invariant: the report reads the run's output only; it never simulates.

mod aggregate;
mod expect;
pub mod folder;
mod html;
mod json;
mod metrics;
pub mod shard;
mod summary;
pub mod svg;
mod table;
mod write;

pub use aggregate::{aggregate_json, aggregate_markdown, sweep_files, RunDigest};
pub use expect::{evaluate, ExpectationResult};
pub use folder::{FolderError, OutputFolder};
pub use json::number as json_number;
pub use summary::{summary_json, summary_markdown, Summary};
pub use table::stdout_table;
pub use write::{write_report, RUN_COMPLETION};

use crate::engine::Duration;

/// `1h30m0s` style, as Kubernetes users read durations, to the millisecond.
pub fn human_duration(d: Duration) -> String {
    let millis = (d.as_nanos() + 500_000) / 1_000_000 * 1_000_000;
    crate::scenario::format_duration_nanos(millis.min(i64::MAX as u64) as i64)
}
