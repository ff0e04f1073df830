//! Writing the report atomically: everything goes into a sibling temporary folder that
//! replaces the old report in one rename, so a crashed run never leaves a report that
//! looks complete.

use super::html::{plots, report_html};
use super::metrics::metrics_csv;
use super::{summary_json, summary_markdown, Summary};
use std::io;
use std::path::{Path, PathBuf};

/// The files of a written report.
pub struct ReportFiles {
    pub dir: PathBuf,
}

pub fn write_report(dir: &Path, s: &Summary) -> io::Result<ReportFiles> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let tmp = parent.join(format!(".{base}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let md = summary_markdown(s);
    let svgs = plots(s);
    std::fs::write(tmp.join("events.jsonl"), s.run.events.as_bytes())?;
    std::fs::write(tmp.join("metrics.csv"), metrics_csv(&s.run.observations))?;
    for (name, svg) in &svgs {
        std::fs::write(tmp.join(name), svg)?;
    }
    std::fs::write(tmp.join("report.html"), report_html(s, &svgs))?;
    std::fs::write(tmp.join("summary.md"), &md)?;
    // summary.json last: its presence marks a complete report.
    std::fs::write(tmp.join("summary.json"), summary_json(s))?;
    if dir.exists() {
        let old = parent.join(format!(".{base}.old-{}", std::process::id()));
        std::fs::rename(dir, &old)?;
        std::fs::rename(&tmp, dir)?;
        std::fs::remove_dir_all(&old)?;
    } else {
        std::fs::rename(&tmp, dir)?;
    }
    Ok(ReportFiles { dir: dir.to_path_buf() })
}
