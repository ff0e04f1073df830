//! A tiny document model (headings, paragraphs, tables, lists) rendered both as Markdown
//! (`summary.md`, `compare.md`) and as HTML (`report.html`, `compare.html`), so the two
//! always show the same figures.

use std::fmt::Write;

/// How a table cell is shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number or figure: right-aligned.
    Num(String),
    /// Monospace text (names, hashes, commands).
    Code(String),
    /// A verdict: PASS or FAIL.
    Verdict(bool),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    pub fn num(s: impl std::fmt::Display) -> Cell {
        Cell::Num(s.to_string())
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// CSS class on the HTML table (the verdict table is `verdict`).
    pub class: &'static str,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    H2(String),
    H3(String),
    Para(String),
    /// A paragraph of smaller, muted text.
    Note(String),
    /// A warning line, highlighted.
    Warning(String),
    Table(Table),
    List(Vec<String>),
    /// Collapsed in HTML (a `<details>` element), a heading and its blocks in Markdown.
    Details {
        summary: String,
        blocks: Vec<Block>,
    },
    /// Headline figures: (label, value, pass/fail/neutral).
    Figures(Vec<(String, String, Option<bool>)>),
    /// Shown in HTML only (too long for Markdown).
    HtmlOnly(Vec<Block>),
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// GitHub-flavoured Markdown.
pub fn markdown(blocks: &[Block]) -> String {
    let mut md = String::new();
    for b in blocks {
        write_md(&mut md, b, 2);
    }
    md
}

fn write_md(md: &mut String, b: &Block, level: usize) {
    match b {
        Block::H2(t) => {
            let _ = writeln!(md, "{} {t}\n", "#".repeat(level));
        }
        Block::H3(t) => {
            let _ = writeln!(md, "{} {t}\n", "#".repeat(level + 1));
        }
        Block::Para(t) => {
            let _ = writeln!(md, "{t}\n");
        }
        Block::Note(t) => {
            let _ = writeln!(md, "_{t}_\n");
        }
        Block::Warning(t) => {
            let _ = writeln!(md, "> **Warning:** {t}\n");
        }
        Block::List(items) => {
            for i in items {
                let _ = writeln!(md, "- {i}");
            }
            md.push('\n');
        }
        Block::Figures(items) => {
            for (label, value, verdict) in items {
                let mark = match verdict {
                    Some(true) => " (pass)",
                    Some(false) => " (**fail**)",
                    None => "",
                };
                let _ = writeln!(md, "- **{label}:** {value}{mark}");
            }
            md.push('\n');
        }
        Block::Table(t) => {
            let _ = writeln!(md, "| {} |", t.head.iter().map(|h| md_cell(h)).collect::<Vec<_>>().join(" | "));
            let aligns: Vec<&str> = (0..t.head.len())
                .map(|c| if t.rows.iter().any(|r| matches!(r.get(c), Some(Cell::Num(_)))) { "---:" } else { "---" })
                .collect();
            let _ = writeln!(md, "|{}|", aligns.join("|"));
            for r in &t.rows {
                let cells: Vec<String> = r
                    .iter()
                    .map(|c| match c {
                        Cell::Text(s) | Cell::Num(s) => md_cell(s),
                        Cell::Code(s) => format!("`{}`", md_cell(s)),
                        Cell::Verdict(true) => "PASS".into(),
                        Cell::Verdict(false) => "**FAIL**".into(),
                    })
                    .collect();
                let _ = writeln!(md, "| {} |", cells.join(" | "));
            }
            md.push('\n');
        }
        Block::HtmlOnly(_) => {}
        Block::Details { summary, blocks } => {
            let _ = writeln!(md, "{} {summary}\n", "#".repeat(level + 1));
            for b in blocks {
                write_md(md, b, level + 1);
            }
        }
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with Markdown code spans (`like this`) as `<code>` elements, so text
/// written for both forms shows no backticks in HTML.
pub fn inline(s: &str) -> String {
    let escaped = escape(s);
    if escaped.matches('`').count() < 2 {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    let mut parts = escaped.split('`').peekable();
    let mut code = false;
    while let Some(part) = parts.next() {
        if code && parts.peek().is_none() {
            // An unpaired backtick stays as it was.
            out.push('`');
            out.push_str(part);
            break;
        }
        if code {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
        code = !code;
    }
    out
}

/// HTML fragments (no page around them).
pub fn html(blocks: &[Block]) -> String {
    let mut h = String::new();
    for b in blocks {
        write_html(&mut h, b);
    }
    h
}

fn write_html(h: &mut String, b: &Block) {
    match b {
        Block::H2(t) => {
            let _ = writeln!(h, "<h2>{}</h2>", escape(t));
        }
        Block::H3(t) => {
            let _ = writeln!(h, "<h3>{}</h3>", escape(t));
        }
        Block::Para(t) => {
            let _ = writeln!(h, "<p>{}</p>", inline(t));
        }
        Block::Note(t) => {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", inline(t));
        }
        Block::Warning(t) => {
            let _ = writeln!(h, "<p class=\"warning\"><strong>Warning:</strong> {}</p>", inline(t));
        }
        Block::List(items) => {
            h.push_str("<ul>");
            for i in items {
                let _ = write!(h, "<li>{}</li>", inline(i));
            }
            h.push_str("</ul>\n");
        }
        Block::Figures(items) => {
            h.push_str("<dl class=\"figures\">");
            for (label, value, verdict) in items {
                let class = match verdict {
                    Some(true) => " class=\"pass\"",
                    Some(false) => " class=\"fail\"",
                    None => "",
                };
                let _ = write!(h, "<div{class}><dt>{}</dt><dd>{}</dd></div>", escape(label), escape(value));
            }
            h.push_str("</dl>\n");
        }
        Block::Table(t) => {
            let class = if t.class.is_empty() { String::new() } else { format!(" class=\"{}\"", t.class) };
            let _ = write!(h, "<table{class}><thead><tr>");
            let numeric: Vec<bool> =
                (0..t.head.len()).map(|c| t.rows.iter().any(|r| matches!(r.get(c), Some(Cell::Num(_))))).collect();
            for (c, head) in t.head.iter().enumerate() {
                let align = if numeric[c] { " class=\"n\"" } else { "" };
                let _ = write!(h, "<th{align}>{}</th>", escape(head));
            }
            h.push_str("</tr></thead><tbody>");
            for r in &t.rows {
                let failed = r.first() == Some(&Cell::Verdict(false));
                h.push_str(if failed { "<tr class=\"failed\">" } else { "<tr>" });
                for c in r {
                    match c {
                        Cell::Text(s) => {
                            let _ = write!(h, "<td>{}</td>", inline(s));
                        }
                        Cell::Num(s) => {
                            let _ = write!(h, "<td class=\"n\">{}</td>", escape(s));
                        }
                        Cell::Code(s) => {
                            let _ = write!(h, "<td><code>{}</code></td>", escape(s));
                        }
                        Cell::Verdict(p) => {
                            let (class, word) = if *p { ("pass", "PASS") } else { ("fail", "FAIL") };
                            let _ = write!(h, "<td><span class=\"badge {class}\">{word}</span></td>");
                        }
                    }
                }
                h.push_str("</tr>");
            }
            h.push_str("</tbody></table>\n");
        }
        Block::HtmlOnly(blocks) => {
            for b in blocks {
                write_html(h, b);
            }
        }
        Block::Details { summary, blocks } => {
            let _ = writeln!(h, "<details><summary>{}</summary>", escape(summary));
            for b in blocks {
                write_html(h, b);
            }
            h.push_str("</details>\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_become_code_elements() {
        assert_eq!(inline("run `sim run a<b`, then `x`"), "run <code>sim run a&lt;b</code>, then <code>x</code>");
        assert_eq!(inline("one ` tick"), "one ` tick");
        assert_eq!(inline("a `b` c ` d"), "a <code>b</code> c ` d");
    }

    #[test]
    fn tables_render_in_both_forms() {
        let t = Block::Table(Table {
            class: "verdict",
            head: vec!["".into(), "expectation".into(), "n".into()],
            rows: vec![vec![Cell::Verdict(false), Cell::text("a|b <c>"), Cell::num(3)]],
        });
        let md = markdown(std::slice::from_ref(&t));
        assert_eq!(md, "|  | expectation | n |\n|---|---|---:|\n| **FAIL** | a\\|b <c> | 3 |\n\n");
        let h = html(&[t]);
        assert!(h.starts_with("<table class=\"verdict\">"));
        assert!(h.contains("a|b &lt;c&gt;") && h.contains("badge fail") && h.contains("<td class=\"n\">3</td>"));
    }
}
