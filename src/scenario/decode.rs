//! Typed reading of the located YAML tree: every failure names file, line, column, the bad
//! value and a hint.

use super::diag::{Diagnostic, Span};
use super::duration::parse_duration_nanos;
use super::quantity::{parse_quantity, Quantity};
use super::scalars::ScalarRegistry;
use super::suggest::closest;
use super::yaml::{Key, Node, Value};
use crate::engine::Duration;
use crate::model::IntOrPercent;
use std::cell::RefCell;
use std::path::Path;

/// Reads values out of one file's tree.
#[derive(Clone, Copy)]
pub struct Reader<'f> {
    pub file: &'f Path,
    /// The scalar resources (ephemeral-storage, hugepages, extended) the whole scenario
    /// names so far: each gets its slot when first read, in any file.
    pub scalars: &'f RefCell<ScalarRegistry>,
}

/// The entries of one mapping, tracking which keys were read.
pub struct Fields<'a> {
    reader: Reader<'a>,
    pub node: &'a Node,
    entries: &'a [(Key, Node)],
    used: Vec<bool>,
    /// What the mapping is, for messages ("the scenario", "spec.template").
    what: String,
}

type R<T> = Result<T, Diagnostic>;

impl<'f> Reader<'f> {
    pub fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, span, message)
    }

    /// Opens a mapping for field-by-field reading.
    pub fn fields<'a>(&self, node: &'a Node, what: &str) -> R<Fields<'a>>
    where
        'f: 'a,
    {
        match &node.value {
            Value::Map(entries) => {
                Ok(Fields { reader: *self, node, entries, used: vec![false; entries.len()], what: what.to_string() })
            }
            Value::Null => Ok(Fields { reader: *self, node, entries: &[], used: Vec::new(), what: what.to_string() }),
            other => Err(self
                .error(node.span, format!("{what} must be a mapping, found {}", other.type_name()))
                .with_hint("write `key: value` pairs indented under it")),
        }
    }

    pub fn string(&self, node: &Node, what: &str) -> R<String> {
        match &node.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => Ok(node.scalar_text().unwrap_or_default()),
            other => Err(self
                .error(node.span, format!("{what} must be a string, found {}", other.type_name()))
                .with_hint("write a plain value such as `web`")),
        }
    }

    /// A lowercase RFC 1123 name such as Kubernetes object names.
    pub fn name(&self, node: &Node, what: &str) -> R<String> {
        let s = self.string(node, what)?;
        let valid = !s.is_empty()
            && s.len() <= 253
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric();
        if valid {
            Ok(s)
        } else {
            Err(self.error(node.span, format!("{what} {s:?} is not a valid name")).with_hint(
                "names use lowercase letters, digits, '-' and '.', and start and end with a letter or digit",
            ))
        }
    }

    /// A whole number in `0..=max`.
    pub fn count(&self, node: &Node, what: &str, max: u64) -> R<u64> {
        let value: i128 = match &node.value {
            Value::Int(i) => *i,
            // Whole floats (`3.0`, `1e3`); beyond i128 the cast saturates, still "too large".
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 => *f as i128,
            other => {
                return Err(self
                    .error(
                        node.span,
                        format!("{what} must be a whole number, found {} {}", other.type_name(), node.describe()),
                    )
                    .with_hint("write a number without quotes, e.g. `3`"))
            }
        };
        if value < 0 {
            return Err(self
                .error(node.span, format!("{what} must not be negative, found {value}"))
                .with_hint("use 0 or a positive number"));
        }
        if value > i128::from(max) {
            return Err(self
                .error(node.span, format!("{what} {} is absurdly large (at most {max})", node.describe()))
                .with_hint("check for a typo or a missing unit"));
        }
        Ok(value as u64)
    }

    pub fn float(&self, node: &Node, what: &str) -> R<f64> {
        match &node.value {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) if f.is_finite() => Ok(*f),
            Value::Float(_) => Err(self
                .error(node.span, format!("{what} must be a finite number, found {}", node.describe()))
                .with_hint("write a number such as `0.5`")),
            other => Err(self
                .error(node.span, format!("{what} must be a number, found {} {}", other.type_name(), node.describe()))
                .with_hint("write a number such as `0.5`")),
        }
    }

    pub fn boolean(&self, node: &Node, what: &str) -> R<bool> {
        match &node.value {
            Value::Bool(b) => Ok(*b),
            other => Err(self
                .error(
                    node.span,
                    format!("{what} must be true or false, found {} {}", other.type_name(), node.describe()),
                )
                .with_hint("write `true` or `false` without quotes")),
        }
    }

    /// A Go/Kubernetes duration string: `250ms`, `40s`, `5m`, `1h30m`.
    pub fn duration(&self, node: &Node, what: &str) -> R<Duration> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(0) => "0s".into(),
            Value::Int(i) => {
                return Err(self
                    .error(node.span, format!("{what} {i} has no unit"))
                    .with_hint(format!("durations need a unit: write `{i}s` for seconds or `{i}m` for minutes")))
            }
            other => {
                return Err(self
                    .error(
                        node.span,
                        format!("{what} must be a duration, found {} {}", other.type_name(), node.describe()),
                    )
                    .with_hint("durations look like 250ms, 40s, 5m, 1h30m"))
            }
        };
        match parse_duration_nanos(&text) {
            Ok(ns) if ns < 0 => Err(self
                .error(node.span, format!("{what} must not be negative, found {text:?}"))
                .with_hint("use a positive duration such as 30s")),
            Ok(ns) => Ok(Duration::from_nanos(ns as u64)),
            Err(e) => {
                Err(self.error(node.span, format!("{what} {text:?} is not a valid duration: {e}")).with_hint(e.hint()))
            }
        }
    }

    /// Whole seconds as Kubernetes' `*Seconds` fields take them.
    pub fn seconds(&self, node: &Node, what: &str, max: u64) -> R<Duration> {
        Ok(Duration::from_secs(self.count(node, what, max)?))
    }

    fn quantity_text(&self, node: &Node, what: &str) -> R<String> {
        match &node.value {
            Value::Str(_) | Value::Int(_) | Value::Float(_) => Ok(node.scalar_text().unwrap_or_default()),
            other => Err(self
                .error(node.span, format!("{what} must be a quantity, found {}", other.type_name()))
                .with_hint("Kubernetes quantities look like 500m, 2, 1.5Gi, 512Mi, 2e3")),
        }
    }

    /// A non-negative quantity in milli-units (CPU).
    pub fn milli_quantity(&self, node: &Node, what: &str) -> R<i64> {
        self.quantity(node, what, true)
    }

    /// A non-negative quantity in whole units (memory bytes, pods), rounded up.
    pub fn unit_quantity(&self, node: &Node, what: &str) -> R<i64> {
        self.quantity(node, what, false)
    }

    /// A non-negative quantity, exactly as written (for comparisons such as request <= limit).
    pub fn exact_quantity(&self, node: &Node, what: &str) -> R<Quantity> {
        let text = self.quantity_text(node, what)?;
        let q = parse_quantity(&text).map_err(|e| {
            self.error(node.span, format!("{what} {text:?} is not a valid quantity: {e}")).with_hint(e.hint())
        })?;
        if q.is_negative() {
            return Err(self
                .error(node.span, format!("{what} must not be negative, found {text:?}"))
                .with_hint("resources are zero or more"));
        }
        Ok(q)
    }

    fn quantity(&self, node: &Node, what: &str, milli: bool) -> R<i64> {
        let text = self.quantity_text(node, what)?;
        let q = parse_quantity(&text).map_err(|e| {
            self.error(node.span, format!("{what} {text:?} is not a valid quantity: {e}")).with_hint(e.hint())
        })?;
        if q.is_negative() {
            return Err(self
                .error(node.span, format!("{what} must not be negative, found {text:?}"))
                .with_hint("resources are zero or more"));
        }
        let v = if milli { q.milli_value() } else { q.value() };
        v.map_err(|e| self.error(node.span, format!("{what} {text:?} is too large: {e}")).with_hint(e.hint()))
    }

    /// `3` or `"25%"`.
    pub fn int_or_percent(&self, node: &Node, what: &str) -> R<IntOrPercent> {
        match &node.value {
            Value::Int(i) if (0..=i128::from(i32::MAX)).contains(i) => Ok(IntOrPercent::Int(*i as i64)),
            Value::Str(s) if s.ends_with('%') => match s[..s.len() - 1].parse::<i64>() {
                Ok(p) if p >= 0 => Ok(IntOrPercent::Percent(p)),
                _ => Err(self
                    .error(node.span, format!("{what} {s:?} is not a valid percentage"))
                    .with_hint("write a whole percentage such as \"25%\"")),
            },
            _ => Err(self
                .error(
                    node.span,
                    format!("{what} must be a non-negative number or a percentage, found {}", node.describe()),
                )
                .with_hint("write e.g. `1` or \"25%\"")),
        }
    }

    /// A percentage `"99.5%"` as a fraction in [0, 1].
    pub fn percentage(&self, node: &Node, what: &str) -> R<f64> {
        let s = self.string(node, what)?;
        match s.strip_suffix('%').and_then(|p| p.trim().parse::<f64>().ok()) {
            Some(p) if (0.0..=100.0).contains(&p) => Ok(p / 100.0),
            _ => Err(self
                .error(node.span, format!("{what} {s:?} is not a percentage between 0% and 100%"))
                .with_hint("write a quoted percentage such as \"99.5%\"")),
        }
    }

    /// A percentage that may exceed 100% (`"250%"`, CPU utilization), as a fraction.
    pub fn percentage_any(&self, node: &Node, what: &str) -> R<f64> {
        let s = self.string(node, what)?;
        match s.strip_suffix('%').and_then(|p| p.trim().parse::<f64>().ok()) {
            Some(p) if (0.0..=100_000.0).contains(&p) => Ok(p / 100.0),
            _ => Err(self
                .error(node.span, format!("{what} {s:?} is not a percentage"))
                .with_hint("write a quoted percentage such as \"90%\"")),
        }
    }

    pub fn list<'a>(&self, node: &'a Node, what: &str) -> R<&'a [Node]> {
        match &node.value {
            Value::Seq(items) => Ok(items),
            Value::Null => Ok(&[]),
            other => Err(self
                .error(node.span, format!("{what} must be a list, found {}", other.type_name()))
                .with_hint("write one `- item` per line")),
        }
    }

    /// A mapping of strings to strings (labels, nodeSelector).
    pub fn string_map(&self, node: &Node, what: &str) -> R<std::collections::BTreeMap<String, String>> {
        let mut out = std::collections::BTreeMap::new();
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    out.insert(k.name.clone(), self.string(v, &format!("{what}.{}", k.name))?);
                }
                Ok(out)
            }
            Value::Null => Ok(out),
            other => Err(self
                .error(node.span, format!("{what} must be a mapping of strings, found {}", other.type_name()))
                .with_hint("write `key: value` pairs")),
        }
    }
}

impl<'a> Fields<'a> {
    /// Takes an optional field.
    pub fn opt(&mut self, key: &str) -> Option<&'a Node> {
        let i = self.entries.iter().position(|(k, _)| k.name == key)?;
        self.used[i] = true;
        let node = &self.entries[i].1;
        (node.value != Value::Null).then_some(node)
    }

    /// Takes a required field. When it is missing but an unread key is a likely misspelling
    /// of it (`durration`), that key is the error, at its own line.
    pub fn req(&mut self, key: &str) -> Result<&'a Node, Diagnostic> {
        self.opt(key).ok_or_else(|| {
            if let Some(typo) = self.unknown().find(|k| closest(&k.name, &[key]).is_some()) {
                return self
                    .reader
                    .error(typo.span, format!("unknown key `{}` in {}", typo.name, self.what))
                    .with_hint(format!("did you mean `{key}`?"));
            }
            self.reader
                .error(self.node.span, format!("{} is missing the required field `{key}`", self.what))
                .with_hint(format!("add `{key}:` to {}", self.what))
        })
    }

    /// Fails on the first key not read, suggesting the closest known one.
    pub fn deny_unknown(&self, known: &[&str]) -> Result<(), Diagnostic> {
        match self.unknown().next() {
            None => Ok(()),
            Some(key) => Err(unknown_key(self.reader, key, &self.what, known)),
        }
    }

    /// The keys that were not read.
    pub fn unknown(&self) -> impl Iterator<Item = &'a Key> + '_ {
        self.entries.iter().zip(&self.used).filter(|(_, used)| !**used).map(|((k, _), _)| k)
    }

    /// Marks keys as read without using them (fields accepted quietly).
    pub fn ignore(&mut self, keys: &[&str]) {
        for key in keys {
            self.opt(key);
        }
    }
}

/// An error for an unknown key, with the closest valid key as a hint.
pub fn unknown_key(reader: Reader, key: &Key, what: &str, known: &[&str]) -> Diagnostic {
    let hint = match closest(&key.name, known) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("valid keys here: {}", known.join(", ")),
    };
    reader.error(key.span, format!("unknown key `{}` in {what}", key.name)).with_hint(hint)
}
