//! A YAML tree that remembers where every node came from.
//!
//! Built from yaml-rust2's event parser (maintained, YAML 1.2, reports line and column
//! for every event), so every later check can name file, line and column.

use super::diag::{Diagnostic, Span};
use std::path::Path;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

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
            Value::Float(f) => Some(float_text(*f)),
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

/// Values nested deeper than this are refused (a manifest nests about 15 deep).
pub const MAX_DEPTH: usize = 100;
/// Values one file may hold, alias copies included (a large manifest holds thousands).
pub const MAX_VALUES: u64 = 1_000_000;
/// Values aliases may copy in one file: a "billion laughs" file stops here.
pub const MAX_ALIAS_VALUES: u64 = 100_000;
/// Bytes of text aliases may copy in one file.
pub const MAX_ALIAS_BYTES: u64 = 16 * 1024 * 1024;

/// A float as YAML writes it: `.inf`, `-.inf`, `.nan`, scientific notation when long.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.into()
    } else if f != 0.0 && !(1e-4..1e16).contains(&f.abs()) {
        format!("{f:e}")
    } else {
        f.to_string()
    }
}

/// Parses every document in `text`; `file` names it in errors.
///
/// The parser is driven one event at a time (yaml-rust2's own `load` recurses once per
/// level of nesting), so depth, the number of values and what aliases copy are bounded
/// before anything large is built.
pub fn parse_documents(text: &str, file: &Path) -> Result<Vec<Node>, Diagnostic> {
    // yaml-rust2 takes a NUL for the end of the stream; YAML allows none of these.
    if let Some((at, c)) = text.char_indices().find(|(_, c)| !printable(*c)) {
        return Err(Diagnostic::new(
            file,
            position(text, at),
            format!("the control character U+{:04X} is not allowed in YAML", c as u32),
        )
        .with_hint("YAML text holds printable characters, tabs and line breaks only; remove it"));
    }
    let mut builder = TreeBuilder {
        file,
        text,
        stack: Vec::new(),
        documents: Vec::new(),
        anchors: Vec::new(),
        values: 0,
        copied: Size::default(),
        cursor: (0, 0),
        end: trim_yaml_end(text).chars().count(),
        last_token: at_end(text, usize::MAX).unwrap_or(Span { line: 1, col: 1 }),
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Err(e) => return Err(syntax_error(text, file, &e, &builder.stack)),
            Ok((Event::StreamEnd, _)) => return Ok(builder.documents),
            Ok((event, mark)) => builder.on_event(event, mark)?,
        }
    }
}

fn span_of(m: &Marker) -> Span {
    // yaml-rust2 reports 1-based lines and 0-based columns.
    Span { line: m.line() as u32, col: m.col() as u32 + 1 }
}

/// A syntax error, located at the offending token. At the end of the file (a file cut
/// short), the parser's position is one past the last line; the error points instead at
/// the unclosed `[`/`{` or quote, or at the last token.
fn syntax_error(text: &str, file: &Path, e: &ScanError, stack: &[Frame]) -> Diagnostic {
    let m = e.marker();
    let info = e.info();
    if info == "recursion limit exceeded" {
        // The scanner's own bound (255 levels of `[`/`{`), met when it looks ahead of the
        // parser past MAX_DEPTH.
        return Diagnostic::new(file, span_of(m), "`[` and `{` nested more than 255 deep")
            .with_hint("a scenario or manifest nests a few levels; check for a runaway run of `[` or `{`");
    }
    let hint = "check the indentation and quoting around this position";
    let Some(tail) = at_end(text, m.index()) else {
        let hint = if info.contains("end of stream") {
            format!("the file may be cut short; {hint}")
        } else {
            hint.to_string()
        };
        return Diagnostic::new(file, span_of(m), format!("invalid YAML: {info}")).with_hint(hint);
    };
    if info.contains("quoted scalar") {
        if let Some(at) = opening_quote(text) {
            return Diagnostic::new(file, at, format!("invalid YAML: this quoted string is never closed ({info})"))
                .with_hint("close the quote; the file may be cut short");
        }
    }
    if let Some(frame) = stack.iter().rev().find(|f| f.flow) {
        let bracket = if matches!(frame.node.value, Value::Seq(_)) { ('[', ']') } else { ('{', '}') };
        return Diagnostic::new(
            file,
            frame.node.span,
            format!("invalid YAML: this `{}` is never closed ({info})", bracket.0),
        )
        .with_hint(format!("close it with `{}`; the file may be cut short", bracket.1));
    }
    Diagnostic::new(file, tail, format!("invalid YAML at the end of the file: {info}"))
        .with_hint(format!("the file may be cut short; {hint}"))
}

/// If only whitespace follows character `index`, the position of the last token's first
/// character (the file's last word).
fn at_end(text: &str, index: usize) -> Option<Span> {
    let trimmed = trim_yaml_end(text);
    if index < trimmed.chars().count() {
        return None;
    }
    // YAML's white space and breaks are ASCII, so `+ 1` stays on a character boundary.
    let line_start = trimmed.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let word_start = trimmed[line_start..].rfind([' ', '\t']).map_or(line_start, |i| line_start + i + 1);
    Some(position(text, word_start))
}

/// `text` without trailing YAML white space and line breaks (not Unicode's wider set:
/// U+2028 is content to YAML 1.2).
fn trim_yaml_end(text: &str) -> &str {
    text.trim_end_matches([' ', '\t', '\n', '\r'])
}

/// YAML's printable characters (https://yaml.org/spec/1.2.2/#51-character-set).
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// The line and column of byte `at`, counting line breaks as YAML does (`\r\n`, `\r`
/// or `\n`), columns in characters.
fn position(text: &str, at: usize) -> Span {
    let before = &text[..at];
    let line = before.matches('\n').count() + before.matches('\r').count() - before.matches("\r\n").count() + 1;
    let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    Span { line: line as u32, col: before[line_start..].chars().count() as u32 + 1 }
}

/// The position of the quote that opens an unterminated quoted scalar at the end of
/// `text`: the last `"` not escaped, or the last `'` not doubled.
fn opening_quote(text: &str) -> Option<Span> {
    let bytes = text.as_bytes();
    let double = (0..bytes.len()).rev().find(|&i| bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\'));
    let mut single = None;
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        if bytes[i] == b'\'' {
            if i > 0 && bytes[i - 1] == b'\'' {
                i -= 1;
                continue;
            }
            single = Some(i);
            break;
        }
    }
    let at = match (double, single) {
        (Some(d), Some(s)) => d.max(s),
        (d, s) => d.or(s)?,
    };
    Some(position(text, at))
}

/// How much a value holds: values (scalars and collections) and bytes of scalar text.
#[derive(Clone, Copy, Debug, Default)]
struct Size {
    values: u64,
    bytes: u64,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.values += other.values;
        self.bytes += other.bytes;
    }
}

struct Frame {
    node: Node,
    /// A mapping's key waiting for its value.
    key: Option<Key>,
    anchor: usize,
    /// Written `[...]` / `{...}` rather than as a block.
    flow: bool,
    size: Size,
}

struct TreeBuilder<'a> {
    file: &'a Path,
    text: &'a str,
    stack: Vec<Frame>,
    documents: Vec<Node>,
    /// Anchored values by anchor id (yaml-rust2 numbers anchors from 1 across the stream).
    anchors: Vec<Option<(Node, Size)>>,
    /// Values in the tree so far, alias copies included.
    values: u64,
    /// What aliases copied so far.
    copied: Size,
    /// (char index, byte index) of the last position looked at in `text`.
    cursor: (usize, usize),
    /// Characters up to the last non-blank one, and where the last token starts: an empty
    /// value at the end of the file is placed there rather than one line past the end.
    end: usize,
    last_token: Span,
}

type R<T> = Result<T, Diagnostic>;

impl TreeBuilder<'_> {
    fn fail(&self, span: Span, message: String, hint: &str) -> Diagnostic {
        Diagnostic::new(self.file, span, message).with_hint(hint)
    }

    /// Counts one more value in the file.
    fn count(&mut self, span: Span) -> R<()> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(self.fail(
                span,
                format!("the file holds more than {MAX_VALUES} values"),
                "scenario and manifest files hold at most thousands of values; split the file",
            ));
        }
        Ok(())
    }

    /// Attaches a finished value to its parent (or makes it a document).
    fn add(&mut self, node: Node, size: Size, anchor: usize) -> R<()> {
        if anchor > 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some((node.clone(), size));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.documents.push(node);
            return Ok(());
        };
        frame.size.add(size);
        match &mut frame.node.value {
            Value::Seq(items) => items.push(node),
            Value::Map(entries) => match frame.key.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    let name = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(self.fail(
                                node.span,
                                "a mapping key must be a plain value".into(),
                                "write `key: value`",
                            ))
                        }
                        _ => node.scalar_text().unwrap_or_else(|| "null".into()),
                    };
                    if entries.iter().any(|(k, _)| k.name == name) {
                        return Err(self.fail(
                            node.span,
                            format!("duplicate key {name:?}"),
                            "each key may appear once in a mapping; remove one of them",
                        ));
                    }
                    // yaml-rust2 places a block mapping's start at its first `:`; the
                    // mapping starts at its first key.
                    if entries.is_empty() && !frame.flow && node.span < frame.node.span {
                        frame.node.span = node.span;
                    }
                    frame.key = Some(Key { name, span: node.span });
                }
            },
            _ => unreachable!("frames hold collections"),
        }
        Ok(())
    }

    fn open(&mut self, value: Value, anchor: usize, tag: Option<Tag>, mark: Marker, span: Span) -> R<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.fail(
                span,
                format!("values nested more than {MAX_DEPTH} deep"),
                "a scenario or manifest nests a few levels; check for a runaway run of `- ` or `[`",
            ));
        }
        self.count(span)?;
        let want = if matches!(value, Value::Seq(_)) { "seq" } else { "map" };
        if let Some(tag) = tag {
            match core_tag(&tag) {
                Some(t) if t == want => {}
                Some(t @ ("seq" | "map")) => {
                    return Err(self.fail(
                        span,
                        format!("the tag `!!{t}` is on a {}", if want == "seq" { "list" } else { "mapping" }),
                        "remove the tag",
                    ))
                }
                _ => return Err(self.fail(span, unsupported_tag(&tag), CORE_TAGS_HINT)),
            }
        }
        let flow = self.text_at(mark.index()).is_some_and(|c| c == '[' || c == '{');
        self.stack.push(Frame {
            node: Node { value, span },
            key: None,
            anchor,
            flow,
            size: Size { values: 1, bytes: 0 },
        });
        Ok(())
    }

    /// The character at char index `index`. Events come in text order, so a cursor moving
    /// forward keeps this linear over the file.
    fn text_at(&mut self, index: usize) -> Option<char> {
        if index < self.cursor.0 {
            self.cursor = (0, 0);
        }
        let (mut chars, mut bytes) = self.cursor;
        let mut it = self.text[bytes..].chars();
        while chars < index {
            bytes += it.next()?.len_utf8();
            chars += 1;
        }
        self.cursor = (chars, bytes);
        self.text[bytes..].chars().next()
    }

    fn on_event(&mut self, ev: Event, mark: Marker) -> R<()> {
        let span = if mark.index() >= self.end { self.last_token } else { span_of(&mark) };
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(span)?;
                let bytes = text.len() as u64;
                let value = match tag {
                    None if style == TScalarStyle::Plain => resolve_plain(&text)
                        .map_err(|m| self.fail(span, m, "check the number, or quote it to keep it text"))?,
                    None => Value::Str(text),
                    Some(tag) => resolve_tagged(&tag, text).map_err(|(m, h)| self.fail(span, m, h))?,
                };
                self.add(Node { value, span }, Size { values: 1, bytes }, anchor)
            }
            Event::SequenceStart(anchor, tag) => self.open(Value::Seq(Vec::new()), anchor, tag, mark, span),
            Event::MappingStart(anchor, tag) => self.open(Value::Map(Vec::new()), anchor, tag, mark, span),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(frame) => self.add(frame.node, frame.size, frame.anchor),
                None => Ok(()),
            },
            Event::Alias(id) => {
                let Some(Some((node, size))) = self.anchors.get(id) else {
                    return Err(self.fail(
                        span,
                        "an alias to a value that is not finished".into(),
                        "an alias (*name) cannot refer to a value that contains it",
                    ));
                };
                let size = *size;
                self.copied.add(size);
                self.values += size.values;
                let over = if self.copied.values > MAX_ALIAS_VALUES {
                    Some(format!("{MAX_ALIAS_VALUES} values (this one copies {})", size.values))
                } else if self.copied.bytes > MAX_ALIAS_BYTES {
                    Some(format!(
                        "{} MiB of text (this one copies {} bytes)",
                        MAX_ALIAS_BYTES / (1024 * 1024),
                        size.bytes
                    ))
                } else {
                    None
                };
                if let Some(over) = over {
                    return Err(self.fail(
                        span,
                        format!(
                            "with the alias {} the aliases of this file would copy more than {over}",
                            alias_name(self.text, mark.index())
                        ),
                        "each alias (*name) copies its anchored value, and aliases of aliases multiply \
                         (a \"billion laughs\" file); write the values out or use fewer aliases",
                    ));
                }
                if self.values > MAX_VALUES {
                    return Err(self.fail(
                        span,
                        format!("with this alias the file holds more than {MAX_VALUES} values"),
                        "scenario and manifest files hold at most thousands of values; split the file",
                    ));
                }
                let mut node = node.clone();
                node.span = span;
                self.add(node, size, 0)
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {
                Ok(())
            }
        }
    }
}

/// `*name` as written at char index `index`.
fn alias_name(text: &str, index: usize) -> String {
    text.chars().skip(index).take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}')).take(64).collect()
}

const CORE_TAGS_HINT: &str = "the YAML 1.2 core tags are understood: !!str, !!int, !!float, !!bool, !!null, \
                              !!seq and !!map; remove the tag";

/// The suffix of a YAML 1.2 core schema tag (`!!int` -> `int`).
fn core_tag(tag: &Tag) -> Option<&str> {
    let name = if tag.handle == "tag:yaml.org,2002:" {
        tag.suffix.as_str()
    } else if tag.handle.is_empty() || tag.handle == "!" {
        tag.suffix.strip_prefix("tag:yaml.org,2002:")?
    } else {
        return None;
    };
    ["str", "int", "float", "bool", "null", "seq", "map"].into_iter().find(|t| *t == name)
}

/// The tag as the user wrote it, in a refusal.
fn unsupported_tag(tag: &Tag) -> String {
    let written = if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else if tag.handle.is_empty() {
        tag.suffix.clone()
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    };
    format!("the tag `{written}` is not supported")
}

/// A scalar with an explicit tag: `!!str 42`, `!!int 0x2A`, `!!float 1`, the
/// non-specific `!` (a string).
fn resolve_tagged(tag: &Tag, text: String) -> Result<Value, (String, &'static str)> {
    if tag.handle.is_empty() && tag.suffix == "!" || tag.handle == "!" && tag.suffix.is_empty() {
        return Ok(Value::Str(text));
    }
    let Some(name) = core_tag(tag) else {
        return Err((unsupported_tag(tag), CORE_TAGS_HINT));
    };
    let refused = |what: &str, hint: &'static str| Err((format!("`!!{name}` needs {what}, found {text:?}"), hint));
    match name {
        "str" => Ok(Value::Str(text)),
        "int" => match core_int(&text) {
            Some(Ok(i)) => Ok(Value::Int(i)),
            Some(Err(m)) => Err((m, "write a smaller integer")),
            None => refused("an integer", "write e.g. `!!int 42`, `0x2A` or `0o52`, or drop the tag"),
        },
        "float" => match core_int(&text) {
            Some(Ok(i)) => Ok(Value::Float(i as f64)),
            _ => match core_float(&text) {
                Some(f) => Ok(Value::Float(f)),
                None => refused("a number", "write e.g. `!!float 1.5`, `.inf` or `.nan`, or drop the tag"),
            },
        },
        "bool" => match resolve_plain(&text) {
            Ok(Value::Bool(b)) => Ok(Value::Bool(b)),
            _ => refused("true or false", "write `true` or `false`"),
        },
        "null" => match resolve_plain(&text) {
            Ok(Value::Null) => Ok(Value::Null),
            _ => refused("null", "write `null` or `~`, or nothing"),
        },
        _ => Err((format!("the tag `!!{name}` is on a plain value"), "remove the tag")),
    }
}

/// YAML 1.2 core schema resolution of a plain scalar
/// (https://yaml.org/spec/1.2.2/#1032-tag-resolution). An integer too large for 128 bits
/// is an error rather than a string.
fn resolve_plain(text: &str) -> Result<Value, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    match core_int(text) {
        Some(Ok(i)) => return Ok(Value::Int(i)),
        Some(Err(m)) => return Err(m),
        None => {}
    }
    Ok(core_float(text).map_or_else(|| Value::Str(text.to_string()), Value::Float))
}

/// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`: `None` if `text` is no integer form,
/// `Some(Err)` if it is one but does not fit.
fn core_int(text: &str) -> Option<Result<i128, String>> {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let (body, radix) = if let Some(h) = text.strip_prefix("0x") {
        (h, 16)
    } else if let Some(o) = text.strip_prefix("0o") {
        (o, 8)
    } else {
        (text.strip_prefix(['-', '+']).unwrap_or(text), 10)
    };
    if !digits(body, radix) {
        return None;
    }
    let parsed = if radix == 10 { text.parse::<i128>() } else { i128::from_str_radix(body, radix) };
    Some(parsed.map_err(|_| format!("the integer {text} is out of range (at most 39 digits)")))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf` and `.nan` in their
/// three spellings.
fn core_float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => all_digits(int) && all_digits(frac) && (!int.is_empty() || !frac.is_empty()),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    (mantissa_ok && exponent_ok).then(|| text.parse::<f64>().ok()).flatten()
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

    fn error(text: &str) -> Diagnostic {
        parse_documents(text, Path::new("t")).unwrap_err()
    }

    #[test]
    fn yaml_1_2_core_forms_resolve() {
        let doc = parse(
            "a: 0x2A\nb: 0o17\nc: .inf\nd: -.Inf\ne: !!int 42\nf: !!str 42\ng: !!float 1\nh: !!bool true\n\
             i: !!null ~\nj: +7\nk: 1_000\nl: 0x\nm: ! 12\nn: !!map {x: 1}\no: !!seq [1]\np: .5\nq: 1.e3\n",
        );
        let v = |k: &str| doc.get(k).unwrap().value.clone();
        assert_eq!(v("a"), Value::Int(42));
        assert_eq!(v("b"), Value::Int(15));
        assert_eq!(v("c"), Value::Float(f64::INFINITY));
        assert_eq!(v("d"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(parse("x: .NaN").get("x").unwrap().value, Value::Float(f) if f.is_nan()));
        assert_eq!(v("e"), Value::Int(42));
        assert_eq!(v("f"), Value::Str("42".into()));
        assert_eq!(v("g"), Value::Float(1.0));
        assert_eq!(v("h"), Value::Bool(true));
        assert_eq!(v("i"), Value::Null);
        assert_eq!(v("j"), Value::Int(7));
        // YAML 1.1 forms are strings in 1.2.
        assert_eq!(v("k"), Value::Str("1_000".into()));
        assert_eq!(v("l"), Value::Str("0x".into()));
        assert_eq!(v("m"), Value::Str("12".into()));
        assert!(matches!(v("n"), Value::Map(_)));
        assert!(matches!(v("o"), Value::Seq(_)));
        assert_eq!(v("p"), Value::Float(0.5));
        assert_eq!(v("q"), Value::Float(1000.0));
        assert_eq!(doc.get("c").unwrap().scalar_text().unwrap(), ".inf");
        assert_eq!(parse("x: 1e300").get("x").unwrap().describe(), "1e300");
    }

    #[test]
    fn unsupported_tags_and_bad_tagged_values_are_refused_by_name() {
        let e = error("a: 1\nb: !!binary aGk=\n");
        assert_eq!((e.span.line, e.message.as_str()), (2, "the tag `!!binary` is not supported"));
        assert!(e.hint.unwrap().contains("!!int"));
        assert_eq!(error("a: !Ref x\n").message, "the tag `!Ref` is not supported");
        assert_eq!(error("a: !!int 4x\n").message, "`!!int` needs an integer, found \"4x\"");
        assert_eq!(error("a: !!float abc\n").message, "`!!float` needs a number, found \"abc\"");
        assert_eq!(error("a: !!bool yes\n").message, "`!!bool` needs true or false, found \"yes\"");
        assert_eq!(error("a: !!seq {b: 1}\n").message, "the tag `!!seq` is on a mapping");
        assert_eq!(error("a: !!map x\n").message, "the tag `!!map` is on a plain value");
        let e = error("a: 1234567890123456789012345678901234567890\n");
        assert_eq!(
            (e.span, e.message.as_str()),
            (
                Span { line: 1, col: 4 },
                "the integer 1234567890123456789012345678901234567890 is out of range (at most 39 digits)"
            )
        );
        assert!(error("a: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n").message.contains("out of range"));
    }

    #[test]
    fn nesting_is_bounded_for_block_and_flow_forms() {
        let block = format!("a:\n  {}x\n", "- ".repeat(30_000));
        let e = error(&block);
        assert_eq!(e.span, Span { line: 2, col: 3 + 2 * MAX_DEPTH as u32 - 2 });
        assert_eq!(e.message, format!("values nested more than {MAX_DEPTH} deep"));
        let flow = format!("a: {}\n", "[".repeat(30_000));
        let e = error(&flow);
        assert_eq!(e.span.line, 1);
        assert!(e.message.contains("nested more than"), "{e}");
        let mut mapping = String::new();
        for i in 0..150 {
            mapping.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        let e = error(&mapping);
        // yaml-rust2 places a block mapping's start at its first key's `:`.
        assert_eq!(e.span, Span { line: MAX_DEPTH as u32 + 1, col: MAX_DEPTH as u32 + 5 });
        // Within the bound, deep values load.
        let ok = format!("a: {}1{}\n", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        parse(&ok);
    }

    #[test]
    fn alias_bombs_stop_at_the_alias() {
        let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 9].join(", ")));
        }
        let e = error(&bomb);
        assert_eq!(e.span, Span { line: 6, col: 10 });
        assert!(e
            .message
            .starts_with("with the alias *a4 the aliases of this file would copy more than 100000 values"));
        assert!(e.hint.unwrap().contains("billion laughs"));
        // A chain of anchors each aliasing the previous grows quadratically: refused early.
        let mut chain = String::from("- &a0 [x]\n");
        for i in 1..10_000 {
            chain.push_str(&format!("- &a{i} [*a{}]\n", i - 1));
        }
        let e = error(&chain);
        assert_eq!(e.span, Span { line: 447, col: 10 });
        // Text counts too: a long string aliased many times.
        let text = format!("a: &a {}\nb: [{}]\n", "y".repeat(1 << 20), vec!["*a"; 20].join(", "));
        let e = error(&text);
        assert!(e.message.contains("16 MiB of text (this one copies 1048576 bytes)"), "{e}");
        // Modest aliasing is fine.
        let doc = parse("x: &c {cpu: 1}\ny: *c\nz: *c\n");
        assert_eq!(doc.get("z").unwrap().get("cpu").unwrap().value, Value::Int(1));
        assert_eq!(doc.get("z").unwrap().span, Span { line: 3, col: 4 });
    }

    #[test]
    fn control_characters_are_refused_where_they_are() {
        let e = error("a: 1\nb: x\0y\n");
        assert_eq!(
            (e.span, e.message.as_str()),
            (Span { line: 2, col: 5 }, "the control character U+0000 is not allowed in YAML")
        );
        assert_eq!(error("a: \u{1b}[31m\n").span, Span { line: 1, col: 4 });
        // Tabs, CR LF, a BOM and non-ASCII text are fine.
        parse("\u{feff}a:\t\"\u{e9}\u{1F600}\"\r\nb: 2\r\n");
    }

    #[test]
    fn the_number_of_values_is_bounded() {
        let many = format!("[{}]", "0,".repeat(MAX_VALUES as usize + 1));
        let e = error(&many);
        assert_eq!(e.message, format!("the file holds more than {MAX_VALUES} values"));
    }

    #[test]
    fn errors_at_the_end_of_a_cut_file_point_at_the_last_token() {
        let e = error("a: 1\nb: [1, 2\n\n");
        assert_eq!((e.span, e.message.contains("this `[` is never closed")), (Span { line: 2, col: 4 }, true));
        let e = error("a: 1\nb: {c: [1], d: 2\n");
        assert_eq!(e.span, Span { line: 2, col: 4 });
        let e = error("a: 1\nb: \"abc\n");
        assert_eq!(e.span, Span { line: 2, col: 4 });
        let e = error("a:\n  - b: 1\n  c\n");
        assert_eq!(e.span, Span { line: 3, col: 3 });
        assert!(e.message.starts_with("invalid YAML at the end of the file"), "{e}");
        // A multi-byte character in the last token, and Unicode white space that YAML
        // takes as content.
        let e = error("a: 1\nb: [x\u{2028}y\u{2028}");
        assert_eq!(e.span, Span { line: 2, col: 4 });
        let e = error("a:\n  - b: 1\n  c\u{2028}\u{e9}\n");
        assert_eq!(e.span, Span { line: 3, col: 3 });
        // An empty value at the very end sits on the last token, not past the end.
        let doc = parse("a: 1\n? \n");
        assert_eq!(doc.get("null").map(|n| n.span), Some(Span { line: 2, col: 1 }));
    }
}
