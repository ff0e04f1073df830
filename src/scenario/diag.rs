//! Diagnostics for bad input: file, line, column, what was wrong, and a hint.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a source file, both 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

impl Span {
    /// No position: the diagnostic is about the file as a whole (it cannot be read).
    pub const WHOLE_FILE: Span = Span { line: 0, col: 0 };
}

/// One error or warning about the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(file: &Path, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { file: file.to_path_buf(), span, message: message.into(), hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Renders as `file:line:col: <severity>: message` plus an indented hint line.
    pub fn render(&self, severity: &str) -> String {
        let mut out = if self.span == Span::WHOLE_FILE {
            format!("{}: {severity}: {}", self.file.display(), self.message)
        } else if self.span.line == 0 {
            // Line 0 marks a value that came from the command line's n-th `--set`.
            format!("{} (--set #{}): {severity}: {}", self.file.display(), self.span.col, self.message)
        } else {
            format!("{}:{}:{}: {severity}: {}", self.file.display(), self.span.line, self.span.col, self.message)
        };
        if let Some(hint) = &self.hint {
            out.push_str("\n  hint: ");
            out.push_str(hint);
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("error"))
    }
}

impl std::error::Error for Diagnostic {}

/// Warnings gathered while loading; errors stop loading at the first one.
#[derive(Clone, Debug, Default)]
pub struct Warnings(pub Vec<Diagnostic>, Skipped);

/// Objects of kinds that cannot change placement, timing or traffic, counted per kind
/// for one warning line; where the first one was met, and how many warnings came before it.
#[derive(Clone, Debug, Default)]
struct Skipped {
    counts: BTreeMap<String, usize>,
    first: Option<(Diagnostic, usize)>,
}

impl Warnings {
    pub fn push(&mut self, d: Diagnostic) {
        if !self.0.contains(&d) {
            self.0.push(d);
        }
    }

    /// Counts a skipped object of `kind` (written at `file`:`span`) for [`Warnings::finish`].
    pub fn skip(&mut self, kind: &str, file: &Path, span: Span) {
        *self.1.counts.entry(kind.to_string()).or_default() += 1;
        if self.1.first.is_none() {
            self.1.first = Some((Diagnostic::new(file, span, ""), self.0.len()));
        }
    }

    /// Turns the skipped objects into one warning at the first of them, in its place among
    /// the others: `skipped 21 ServiceAccount, 10 ClusterRole, 3 ConfigMap (...)`, kinds
    /// by count (most first), then by name.
    pub fn finish(&mut self) {
        let Some((mut d, at)) = self.1.first.take() else { return };
        let mut counts: Vec<(&String, &usize)> = self.1.counts.iter().collect();
        counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = counts.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        d.message =
            format!("skipped {} (not modelled: they do not change placement, timing or traffic)", list.join(", "));
        d.hint = Some(format!("this is the first of them; {MODELLED_KINDS_HINT}"));
        self.0.insert(at.min(self.0.len()), d);
        self.1.counts.clear();
    }
}

/// The kinds the simulator reads, for hints about the others.
pub const MODELLED_KINDS_HINT: &str = "the simulator models Deployment, ReplicaSet, Pod, Service, Node, \
     HorizontalPodAutoscaler, PodDisruptionBudget and PriorityClass";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_kinds_collapse_into_one_line_at_the_first() {
        let mut w = Warnings::default();
        w.push(Diagnostic::new(Path::new("a.yaml"), Span { line: 1, col: 1 }, "before"));
        for (kind, line) in [("ConfigMap", 3), ("ServiceAccount", 5), ("ClusterRole", 7), ("ServiceAccount", 9)] {
            w.skip(kind, Path::new("b.yaml"), Span { line, col: 1 });
        }
        w.push(Diagnostic::new(Path::new("a.yaml"), Span { line: 20, col: 1 }, "after"));
        w.skip("ClusterRole", Path::new("c.yaml"), Span { line: 1, col: 1 });
        w.finish();
        let lines: Vec<String> = w.0.iter().map(|d| d.render("warning")).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(w.0[0].message, "before");
        assert_eq!(
            lines[1].lines().next().unwrap(),
            "b.yaml:3:1: warning: skipped 2 ClusterRole, 2 ServiceAccount, 1 ConfigMap \
             (not modelled: they do not change placement, timing or traffic)"
        );
        assert_eq!(w.0[2].message, "after");
        w.finish();
        assert_eq!(w.0.len(), 3, "finishing twice adds nothing");
    }
}
