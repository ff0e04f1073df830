//! The files of one run's report, written into a claimed [`OutputFolder`] (which swaps
//! them in atomically). `summary.json` is written last: its presence marks a complete report.

use super::folder::{FolderError, OutputFolder};
use super::html::{plots, report_html};
use super::metrics::metrics_csv;
use super::{summary_json, summary_markdown, Summary};

/// The file whose presence marks a complete run report.
pub const RUN_COMPLETION: &str = "summary.json";

/// Writes the report of `s` into `folder` (claimed with [`RUN_COMPLETION`]).
pub fn write_report(folder: OutputFolder, s: &Summary) -> Result<(), FolderError> {
    let md = summary_markdown(s);
    let svgs = plots(s);
    folder.commit(|w| {
        w.file("events.jsonl", s.run.events.as_bytes())?;
        w.file("metrics.csv", metrics_csv(&s.run.observations))?;
        for (name, svg) in &svgs {
            w.file(name, svg)?;
        }
        w.file("report.html", report_html(s, &svgs))?;
        w.file("summary.md", &md)?;
        w.file(RUN_COMPLETION, summary_json(s))
    })
}
