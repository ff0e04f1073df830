//! The little CSV dialect of traffic inputs (rate traces, service-time samples):
//! comma-separated, one record per line, an optional header, blank lines and `#`
//! comment lines skipped. Errors name the line and column (both 1-based) so the scenario
//! loader can point at the exact cell.

/// A parse error at a line and column (1-based, columns counted in characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl CsvError {
    pub(crate) fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        CsvError { line, column, message: message.into() }
    }
}

/// One trimmed cell and the column where its text starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cell<'a> {
    pub column: usize,
    pub text: &'a str,
}

/// One record: its line number and cells.
#[derive(Clone, Debug)]
pub(crate) struct Record<'a> {
    pub line: usize,
    pub cells: Vec<Cell<'a>>,
    /// Column just past the last character of the line, for "missing cell" errors.
    pub end_column: usize,
}

/// The records of `text`, skipping blank lines and lines starting with `#`.
pub(crate) fn records(text: &str) -> impl Iterator<Item = Record<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().filter_map(|(i, raw)| {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return None;
        }
        let mut cells = Vec::new();
        let mut column = 1;
        for piece in raw.split(',') {
            let lead = piece.chars().take_while(|c| c.is_whitespace()).count();
            let text = piece.trim();
            let at = if text.is_empty() { column } else { column + lead };
            cells.push(Cell { column: at, text });
            column += piece.chars().count() + 1;
        }
        Some(Record { line: i + 1, cells, end_column: raw.chars().count() + 1 })
    })
}

/// Parses a cell as a finite float, naming `what` in the error.
pub(crate) fn number(line: usize, cell: Cell<'_>, what: &str) -> Result<f64, CsvError> {
    if cell.text.is_empty() {
        return Err(CsvError::new(line, cell.column, format!("{what} is empty")));
    }
    match cell.text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(CsvError::new(line, cell.column, format!("{what} `{}` is not a finite number", cell.text))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_skip_blank_and_comment_lines_and_locate_cells() {
        let recs: Vec<_> = records("\u{feff}a,b\n\n# note\n 1 ,  2\r\n").collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].line, 1);
        assert_eq!(recs[1].line, 4);
        assert_eq!(recs[1].cells, vec![Cell { column: 2, text: "1" }, Cell { column: 7, text: "2" }]);
    }

    #[test]
    fn numbers_must_be_finite() {
        let cell = Cell { column: 3, text: "inf" };
        let err = number(7, cell, "rps").unwrap_err();
        assert_eq!(err, CsvError::new(7, 3, "rps `inf` is not a finite number"));
        assert_eq!(err.to_string(), "line 7, column 3: rps `inf` is not a finite number");
        assert_eq!(number(1, Cell { column: 1, text: "2.5e1" }, "x"), Ok(25.0));
    }
}
