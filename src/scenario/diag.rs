//! Diagnostics for bad input: file, line, column, what was wrong, and a hint.

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
pub struct Warnings(pub Vec<Diagnostic>);

impl Warnings {
    pub fn push(&mut self, d: Diagnostic) {
        if !self.0.contains(&d) {
            self.0.push(d);
        }
    }
}
