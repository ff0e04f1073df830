//! `events.jsonl`: one JSON object per line, fields in a fixed order, `t` first.

use crate::engine::Time;
use std::fmt::Write;

/// The log of control-plane events, kept in memory as the bytes of `events.jsonl`.
#[derive(Default)]
pub struct EventLog {
    bytes: String,
    lines: u64,
}

/// One event being written; fields appear in the order they are added.
pub struct EventLine<'a> {
    out: &'a mut String,
}

impl EventLog {
    /// Writes one event: `{"t":...,"kind":...` then whatever `fields` adds.
    pub fn emit(&mut self, t: Time, kind: &str, fields: impl FnOnce(&mut EventLine)) {
        let _ = write!(self.bytes, "{{\"t\":{t},\"kind\":{}", json_string(kind));
        fields(&mut EventLine { out: &mut self.bytes });
        self.bytes.push_str("}\n");
        self.lines += 1;
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The lines as text (for tests and summaries).
    pub fn text(&self) -> &str {
        &self.bytes
    }
}

impl EventLine<'_> {
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        let _ = write!(self.out, ",{}:{}", json_string(key), json_string(value));
        self
    }

    pub fn int(&mut self, key: &str, value: i64) -> &mut Self {
        let _ = write!(self.out, ",{}:{value}", json_string(key));
        self
    }

    /// `"namespace"` of the object the event is about, written right after the field
    /// naming the object, and only outside `default`: events of `default` objects keep the
    /// bytes they had before namespaces existed.
    pub fn namespace(&mut self, namespace: &str) -> &mut Self {
        if namespace == "default" {
            self
        } else {
            self.str("namespace", namespace)
        }
    }

    /// A value that is already JSON (an object or array built by the caller).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        let _ = write!(self.out, ",{}:{json}", json_string(key));
        self
    }
}

/// A finite float with at most 6 decimals; non-finite numbers become null.
pub fn json_number(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    let s = format!("{f:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A JSON string literal with the escapes RFC 8259 requires.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_t_and_kind_first_and_escape_strings() {
        let mut log = EventLog::default();
        log.emit(Time(1_500_000_000), "pod_terminated", |e| {
            e.str("pod", "a\"b").int("n", 3);
        });
        assert_eq!(log.text(), "{\"t\":1.5,\"kind\":\"pod_terminated\",\"pod\":\"a\\\"b\",\"n\":3}\n");
        assert_eq!(log.lines(), 1);
    }

    #[test]
    fn a_namespace_is_written_only_outside_default() {
        let mut log = EventLog::default();
        log.emit(Time(0), "pod_ready", |e| {
            e.str("pod", "a").namespace("default").str("node", "n");
        });
        log.emit(Time(0), "pod_ready", |e| {
            e.str("pod", "a").namespace("team-a").str("node", "n");
        });
        assert_eq!(
            log.text(),
            "{\"t\":0,\"kind\":\"pod_ready\",\"pod\":\"a\",\"node\":\"n\"}\n\
             {\"t\":0,\"kind\":\"pod_ready\",\"pod\":\"a\",\"namespace\":\"team-a\",\"node\":\"n\"}\n"
        );
    }
}
