//! `--set PATH=VALUE`: overrides applied to the YAML tree before it is decoded, so the
//! override is checked exactly like the file.

use super::diag::{Diagnostic, Span};
use super::yaml::{parse_documents, Key, Node, Value, MAX_DEPTH};
use std::path::Path;

/// Applies `PATH=VALUE` to `root`. Numeric segments index lists (`nodePools.0.count`); a
/// segment in double or single quotes is one map key even with dots in it
/// (`labels."kubernetes.io/os"=linux`). Values are YAML (`3`, `binpack`, `"25%"`,
/// `{cpu: "4", memory: 8Gi}`).
/// Spans of the new value use line 0 so messages can say the value came from `--set`.
pub fn apply_override(root: &mut Node, text: &str, index: usize, file: &Path) -> Result<(), Diagnostic> {
    let origin = Span { line: 0, col: index as u32 + 1 };
    let bad = |msg: String| {
        Diagnostic::new(file, origin, msg)
            .with_hint("write --set PATH=VALUE, e.g. --set controlPlane.scheduler.policy=binpack")
    };
    let (segments, raw) = split_path(text).map_err(bad)?;
    let path = &text[..text.len() - raw.len() - 1];
    // Each segment may create a mapping: as deep as the file itself may nest.
    if segments.len() > MAX_DEPTH {
        let shown: String = path.chars().take(40).collect();
        return Err(bad(format!("--set path {shown:?}... has more than {MAX_DEPTH} segments")));
    }
    let mut value = parse_documents(raw, Path::new("--set"))
        .map_err(|e| bad(format!("--set value {raw:?} is not valid YAML: {}", e.message)))?
        .into_iter()
        .next()
        .unwrap_or(Node { value: Value::Null, span: origin });
    relocate(&mut value, origin);
    let mut current = root;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if current.value == Value::Null {
            current.value = Value::Map(Vec::new());
        }
        current = match &mut current.value {
            Value::Map(entries) => {
                let pos = match entries.iter().position(|(k, _)| k.name == *segment) {
                    Some(p) => p,
                    None => {
                        entries.push((
                            Key { name: segment.to_string(), span: origin },
                            Node { value: Value::Null, span: origin },
                        ));
                        entries.len() - 1
                    }
                };
                &mut entries[pos].1
            }
            Value::Seq(items) => {
                let len = items.len();
                match segment.parse::<usize>().ok().filter(|&n| n < len) {
                    Some(n) => &mut items[n],
                    None => return Err(bad(format!("--set {path}: {segment:?} is not an index into a list of {len}"))),
                }
            }
            _ => return Err(bad(format!("--set {path}: {segment:?} goes inside a plain value"))),
        };
        if last {
            *current = value;
            return Ok(());
        }
    }
    Ok(())
}

/// `PATH=VALUE` split into the path's segments (quotes removed) and the value text.
fn split_path(text: &str) -> Result<(Vec<String>, &str), String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\'' if current.is_empty() && !quoted => {
                // A quoted segment runs to the matching quote, which must end the segment.
                let rest = &text[i + 1..];
                let end =
                    rest.find(c).ok_or_else(|| format!("--set {text:?}: the quote at {} is not closed", i + 1))?;
                current = rest[..end].to_string();
                quoted = true;
                for _ in 0..=end {
                    chars.next();
                }
                if current.is_empty() {
                    return Err(format!("--set {text:?}: an empty quoted key"));
                }
            }
            '.' | '=' => {
                if current.is_empty() {
                    return Err(format!("--set path {:?} is empty or has an empty segment", &text[..i]));
                }
                segments.push(std::mem::take(&mut current));
                quoted = false;
                if c == '=' {
                    return Ok((segments, &text[i + 1..]));
                }
            }
            _ if quoted => {
                return Err(format!("--set {text:?}: a quoted key must be a whole segment (end it with `.` or `=`)"))
            }
            _ => current.push(c),
        }
    }
    Err(format!("--set {text:?} has no `=`"))
}

fn relocate(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, span)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            k.span = span;
            relocate(v, span)
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_fields_and_list_items() {
        let file = Path::new("s.yaml");
        let mut root = parse_documents("a:\n  b: 1\nl:\n  - {c: 1}\n", file).unwrap().remove(0);
        apply_override(&mut root, "a.b=7", 0, file).unwrap();
        apply_override(&mut root, "l.0.c=x", 1, file).unwrap();
        apply_override(&mut root, "new.deep=1m", 2, file).unwrap();
        assert_eq!(root.get("a").unwrap().get("b").unwrap().value, Value::Int(7));
        assert_eq!(root.get("new").unwrap().get("deep").unwrap().value, Value::Str("1m".into()));
        let deep = format!("{}b=1", "a.".repeat(60_000));
        let e = apply_override(&mut root, &deep, 3, file).unwrap_err();
        assert!(e.message.ends_with("has more than 100 segments"), "{}", e.message);
        let e = apply_override(&mut root, "l.5.c=1", 3, file).unwrap_err();
        assert!(e.message.contains("not an index"), "{}", e.message);
        assert!(apply_override(&mut root, "noequals", 4, file).is_err());
    }

    #[test]
    fn a_quoted_segment_is_one_key_with_its_dots() {
        let file = Path::new("s.yaml");
        let mut root = parse_documents("labels: {a: b}\n", file).unwrap().remove(0);
        apply_override(&mut root, r#"labels."kubernetes.io/os"=linux"#, 0, file).unwrap();
        apply_override(&mut root, "labels.'topology.kubernetes.io/zone'=a=b", 1, file).unwrap();
        let labels = root.get("labels").unwrap();
        assert_eq!(labels.get("kubernetes.io/os").unwrap().value, Value::Str("linux".into()));
        assert_eq!(labels.get("topology.kubernetes.io/zone").unwrap().value, Value::Str("a=b".into()));
        assert!(labels.get("kubernetes").is_none());
        for bad in [r#"labels."open=1"#, r#"labels."x"y=1"#, "a..b=1", ".a=1", r#"labels.""=1"#] {
            assert!(apply_override(&mut root, bad, 2, file).is_err(), "{bad}");
        }
    }
}
