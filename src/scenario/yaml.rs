//! A YAML tree that remembers where every node came from.
//!
//! Built from yaml-rust2's event parser (maintained, YAML 1.2, reports line and column
//! for every event), so every later check can name file, line and column.

use super::diag::{Diagnostic, Span};
use std::path::Path;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML value with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// A YAML value. Scalars keep their source text so that `2` can still be read as a
/// quantity or a name.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Wide enough for every u64 and i64 (seeds use the full u64 range).
    Int(i128),
    Float(f64),
    /// A string: quoted, or plain text that is no other type.
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Value {
    /// How a user would call this type in an error message.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The scalar's text as the user wrote it (numbers re-printed), for messages and
    /// for fields that accept either a number or a string.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => None,
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// A short rendering of the value for error messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Str(s) => format!("{s:?}"),
            Value::Seq(_) | Value::Map(_) | Value::Null => self.value.type_name().to_string(),
            _ => self.scalar_text().unwrap_or_default(),
        }
    }

    /// Looks up `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Parses every document in `text`; `file` names it in errors.
pub fn parse_documents(text: &str, file: &Path) -> Result<Vec<Node>, Diagnostic> {
    let mut builder = TreeBuilder { file, stack: Vec::new(), documents: Vec::new(), anchors: Vec::new(), error: None };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        let m = e.marker();
        return Err(Diagnostic::new(file, span_of(m), format!("invalid YAML: {}", e.info()))
            .with_hint("check the indentation and quoting around this position"));
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.documents)
}

fn span_of(m: &Marker) -> Span {
    // yaml-rust2 reports 1-based lines and 0-based columns.
    Span { line: m.line() as u32, col: m.col() as u32 + 1 }
}

enum Frame {
    Seq(Node),
    Map(Node, Option<Key>),
}

struct TreeBuilder<'a> {
    file: &'a Path,
    stack: Vec<(Frame, usize)>,
    documents: Vec<Node>,
    anchors: Vec<(usize, Node)>,
    error: Option<Diagnostic>,
}

impl TreeBuilder<'_> {
    fn fail(&mut self, span: Span, message: String, hint: &str) {
        if self.error.is_none() {
            self.error = Some(Diagnostic::new(self.file, span, message).with_hint(hint));
        }
    }

    /// Attaches a finished node to its parent (or makes it a document).
    fn add(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some((Frame::Seq(seq), _)) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some((Frame::Map(map, pending), _)) => match pending.take() {
                None => {
                    let name = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Seq(_) | Value::Map(_) => {
                            let span = node.span;
                            self.fail(span, "a mapping key must be a plain value".into(), "write `key: value`");
                            return;
                        }
                        _ => node.scalar_text().unwrap_or_else(|| "null".into()),
                    };
                    let duplicate = matches!(&map.value, Value::Map(e) if e.iter().any(|(k, _)| k.name == name));
                    if duplicate {
                        self.fail(
                            node.span,
                            format!("duplicate key {name:?}"),
                            "each key may appear once in a mapping; remove one of them",
                        );
                        return;
                    }
                    *pending = Some(Key { name, span: node.span });
                }
                Some(key) => {
                    if let Value::Map(entries) = &mut map.value {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for TreeBuilder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let span = span_of(&mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value =
                    if style == TScalarStyle::Plain && tag.is_none() { resolve_plain(&text) } else { Value::Str(text) };
                self.add(Node { value, span }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push((Frame::Seq(Node { value: Value::Seq(Vec::new()), span }), anchor))
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push((Frame::Map(Node { value: Value::Map(Vec::new()), span }, None), anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((frame, anchor)) = self.stack.pop() {
                    let node = match frame {
                        Frame::Seq(n) | Frame::Map(n, _) => n,
                    };
                    self.add(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.iter().rev().find(|(a, _)| *a == id) {
                Some((_, node)) => {
                    let mut node = node.clone();
                    node.span = span;
                    self.add(node, 0);
                }
                None => self.fail(span, "unknown alias".into(), "define the anchor (&name) before using it (*name)"),
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i128>() {
        return Value::Int(i);
    }
    let looks_numeric = text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && text.chars().any(|c| c.is_ascii_digit());
    if looks_numeric {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_documents(text, Path::new("t.yaml")).unwrap().remove(0)
    }

    #[test]
    fn keeps_line_and_column_of_values() {
        let doc = parse("a: 1\nb:\n  c: x\n");
        let c = doc.get("b").unwrap().get("c").unwrap();
        assert_eq!(c.value, Value::Str("x".into()));
        assert_eq!(c.span, Span { line: 3, col: 6 });
    }

    #[test]
    fn resolves_core_schema_scalars_but_keeps_quoted_strings() {
        let doc = parse("a: 2\nb: '2'\nc: 1.5\nd: true\ne: ~\nf: 2e3\ng: 500m\n");
        assert_eq!(doc.get("a").unwrap().value, Value::Int(2));
        assert_eq!(doc.get("b").unwrap().value, Value::Str("2".into()));
        assert_eq!(doc.get("c").unwrap().value, Value::Float(1.5));
        assert_eq!(doc.get("d").unwrap().value, Value::Bool(true));
        assert_eq!(doc.get("e").unwrap().value, Value::Null);
        assert_eq!(doc.get("f").unwrap().value, Value::Float(2000.0));
        assert_eq!(doc.get("g").unwrap().value, Value::Str("500m".into()));
    }

    #[test]
    fn multi_document_and_aliases() {
        let docs = parse_documents("a: &x {b: 1}\nc: *x\n---\nd: 2\n", Path::new("t")).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].get("c").unwrap().get("b").unwrap().value, Value::Int(1));
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_have_positions() {
        let e = parse_documents("a: 1\na: 2\n", Path::new("t")).unwrap_err();
        assert_eq!(e.span.line, 2);
        assert!(e.message.contains("duplicate key"));
        let e = parse_documents("a: [1, 2\n", Path::new("t")).unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{e}");
    }
}
