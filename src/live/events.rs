//! Reading `events.jsonl` into the events that matter to containers, each with its line.

use crate::scenario::{Diagnostic, Span};
use serde_json::Value;
use std::path::Path;

/// One line of `events.jsonl` as the replay sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// Virtual time in microseconds (`t` has at most 6 decimals).
    pub t_micros: u64,
    pub kind: String,
    pub event: Event,
}

/// What a line says about pods, nodes and so about containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `pod_created`: the pod's Deployment, if any (for the container's label).
    PodCreated {
        pod: String,
        deployment: Option<String>,
    },
    /// `pod_running` or `pod_ready`: the kubelet runs the pod's containers on `node`.
    PodRunning {
        pod: String,
        node: String,
    },
    /// `pod_terminated`: the API deleted the pod (`node` absent if it was never bound).
    PodTerminated {
        pod: String,
        node: Option<String>,
    },
    /// `pod_killed`: a reconnecting kubelet killed a pod deleted while it was cut off.
    PodKilled {
        pod: String,
    },
    /// `pod_deleted`: the kubelet finished a graceful termination and the object is gone.
    PodDeleted {
        pod: String,
    },
    /// `pod_succeeded` or `pod_failed`: the pod's containers exited (a Job's pod), or the
    /// kubelet refused it (then it never had a container).
    PodExited {
        pod: String,
    },
    NodeJoined {
        node: String,
    },
    /// The host died: its containers are gone.
    NodeCrashed {
        node: String,
    },
    NodeRecovered {
        node: String,
    },
    /// Cut off from the masters: its containers keep running.
    NodePartitioned {
        node: String,
    },
    NodeReconnected {
        node: String,
    },
    /// Taken out of the cluster (Cluster Autoscaler scale-down).
    NodeRemoved {
        node: String,
    },
    /// Every other kind (scheduling, readiness, traffic, masters...): no container changes.
    Other,
}

/// Reads and checks the whole file; the error names the line, the bad value and a hint.
/// Through the scenario loader's reader (regular files only, bounded, UTF-8 checked), up
/// to the largest events.jsonl a run may write.
pub fn read_events(path: &Path) -> Result<Vec<EventLine>, Diagnostic> {
    let limit = crate::record::MAX_EVENT_LOG_BYTES;
    let text = crate::scenario::read_input(path, limit).map_err(|e| {
        let d = e.diagnostic(path, None, "events.jsonl");
        match e {
            crate::scenario::InputError::Io(_) => {
                d.with_hint("pass the folder `sim run` wrote its report to, e.g. reports/failover/")
            }
            _ => d,
        }
    })?;
    if text.trim().is_empty() {
        return Err(Diagnostic::new(
            path,
            Span { line: 1, col: 1 },
            "events.jsonl is empty: there is nothing to replay",
        )
        .with_hint("every run logs at least its nodes joining; run the scenario again with `sim run`"));
    }
    if !text.ends_with('\n') {
        let line = text.lines().count();
        let last = text.lines().last().unwrap_or_default();
        return Err(Diagnostic::new(
            path,
            Span { line: line as u32, col: last.chars().count() as u32 + 1 },
            format!("events.jsonl is cut off in the middle of line {line}: {}", excerpt(last)),
        )
        .with_hint("the run that wrote it was stopped before it finished; run the scenario again with `sim run`"));
    }
    parse_events(path, &text)
}

/// Parses the text of an `events.jsonl` (`path` only names it in errors).
pub fn parse_events(path: &Path, text: &str) -> Result<Vec<EventLine>, Diagnostic> {
    let mut events = Vec::new();
    let mut previous_t: Option<(u64, f64)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let at = |col: usize| Span { line: line as u32, col: col as u32 };
        if raw.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(raw).map_err(|e| {
            Diagnostic::new(path, at(e.column().max(1)), format!("not a JSON object: {e}: {}", excerpt(raw)))
                .with_hint("events.jsonl holds one JSON object per line, as `sim run` writes it")
        })?;
        let Some(object) = value.as_object() else {
            return Err(Diagnostic::new(path, at(1), format!("expected a JSON object, found {}", excerpt(raw)))
                .with_hint("events.jsonl holds one JSON object per line, as `sim run` writes it"));
        };
        let t_value = object.get("t");
        let t = t_value.and_then(Value::as_f64).filter(|t| t.is_finite() && *t >= 0.0 && *t < 1e12);
        let Some(t) = t else {
            let shown = t_value.map_or("nothing".to_string(), Value::to_string);
            return Err(Diagnostic::new(path, at(1), format!("\"t\" is {shown}, expected virtual seconds >= 0"))
                .with_hint("every line starts with \"t\": seconds since the start of the run, e.g. {\"t\":12.5,...}"));
        };
        let t_micros = (t * 1e6).round() as u64;
        let Some(kind) = object.get("kind").and_then(Value::as_str) else {
            let shown = object.get("kind").map_or("nothing".to_string(), Value::to_string);
            return Err(Diagnostic::new(path, at(1), format!("\"kind\" is {shown}, expected a string"))
                .with_hint("every line names its event, e.g. \"kind\":\"pod_running\""));
        };
        if let Some((before, before_t)) = previous_t {
            if t_micros < before {
                return Err(Diagnostic::new(
                    path,
                    at(1),
                    format!("\"t\" is {t}, earlier than the line before ({before_t}); events must be in time order"),
                )
                .with_hint("replay a file written by `sim run`; do not sort or concatenate event files"));
            }
        }
        previous_t = Some((t_micros, t));
        let field = |name: &str| -> Result<String, Diagnostic> {
            match object.get(name) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                other => Err(Diagnostic::new(
                    path,
                    at(1),
                    format!(
                        "{kind} event has \"{name}\": {}, expected a non-empty string",
                        other.map_or("missing".to_string(), Value::to_string)
                    ),
                )
                .with_hint(format!("a {kind} line carries the {name} it is about (SPEC §3)"))),
            }
        };
        let optional = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_string);
        // A pod outside `default` carries its namespace: pods (and their Deployments) are
        // named by key, `namespace/name`, so same-named pods of two namespaces stay apart.
        let namespace = match object.get("namespace") {
            None => None,
            Some(_) => Some(field("namespace")?),
        };
        let key = |name: String| match &namespace {
            Some(ns) => format!("{ns}/{name}"),
            None => name,
        };
        let pod = || field("pod").map(key);
        let event = match kind {
            "pod_created" => Event::PodCreated { pod: pod()?, deployment: optional("deployment").map(key) },
            "pod_running" | "pod_ready" => Event::PodRunning { pod: pod()?, node: field("node")? },
            "pod_terminated" => Event::PodTerminated { pod: pod()?, node: optional("node") },
            "pod_killed" => Event::PodKilled { pod: pod()? },
            "pod_deleted" => Event::PodDeleted { pod: pod()? },
            "pod_succeeded" | "pod_failed" => Event::PodExited { pod: pod()? },
            "node_joined" => Event::NodeJoined { node: field("node")? },
            "node_crashed" => Event::NodeCrashed { node: field("node")? },
            "node_recovered" => Event::NodeRecovered { node: field("node")? },
            "node_partitioned" => Event::NodePartitioned { node: field("node")? },
            "node_reconnected" => Event::NodeReconnected { node: field("node")? },
            "node_removed" => Event::NodeRemoved { node: field("node")? },
            _ => Event::Other,
        };
        events.push(EventLine { line, t_micros, kind: kind.to_string(), event });
    }
    Ok(events)
}

/// The start of a bad line, short enough for an error message.
fn excerpt(raw: &str) -> String {
    let mut shown: String = raw.chars().take(80).collect();
    if shown.len() < raw.len() {
        shown.push_str("...");
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<EventLine>, String> {
        parse_events(Path::new("run/events.jsonl"), text).map_err(|d| d.render("error"))
    }

    #[test]
    fn container_relevant_kinds_are_typed_and_the_rest_kept_as_other() {
        let events = parse(concat!(
            "{\"t\":0,\"kind\":\"node_joined\",\"node\":\"w-1\"}\n",
            "{\"t\":0,\"kind\":\"pod_created\",\"pod\":\"web-a\",\"owner\":\"web-1\",\"deployment\":\"web\",\"revision\":1}\n",
            "\n",
            "{\"t\":2.000001,\"kind\":\"pod_running\",\"pod\":\"web-a\",\"node\":\"w-1\"}\n",
            "{\"t\":10,\"kind\":\"traffic\",\"service\":\"web\",\"offered\":3}\n",
            "{\"t\":11,\"kind\":\"pod_terminated\",\"pod\":\"web-b\",\"reason\":\"deleted\"}\n",
        ))
        .unwrap();
        assert_eq!(events.len(), 5);
        assert_eq!(events[1].event, Event::PodCreated { pod: "web-a".into(), deployment: Some("web".into()) });
        assert_eq!((events[2].line, events[2].t_micros), (4, 2_000_001));
        assert_eq!(events[2].event, Event::PodRunning { pod: "web-a".into(), node: "w-1".into() });
        assert_eq!((events[3].kind.as_str(), &events[3].event), ("traffic", &Event::Other));
        assert_eq!(events[4].event, Event::PodTerminated { pod: "web-b".into(), node: None });
    }

    #[test]
    fn pods_outside_default_are_named_with_their_namespace() {
        let events = parse(concat!(
            "{\"t\":0,\"kind\":\"pod_created\",\"pod\":\"web-a\",\"namespace\":\"team-a\",\"owner\":\"web-1\",\"deployment\":\"web\",\"revision\":1}\n",
            "{\"t\":0,\"kind\":\"pod_created\",\"pod\":\"web-a\",\"owner\":\"web-1\",\"deployment\":\"web\",\"revision\":1}\n",
            "{\"t\":2,\"kind\":\"pod_running\",\"pod\":\"web-a\",\"namespace\":\"team-a\",\"node\":\"w-1\"}\n",
            "{\"t\":3,\"kind\":\"pod_deleted\",\"pod\":\"web-a\",\"namespace\":\"team-a\",\"node\":\"w-1\"}\n",
        ))
        .unwrap();
        assert_eq!(
            events[0].event,
            Event::PodCreated { pod: "team-a/web-a".into(), deployment: Some("team-a/web".into()) }
        );
        assert_eq!(events[1].event, Event::PodCreated { pod: "web-a".into(), deployment: Some("web".into()) });
        assert_eq!(events[2].event, Event::PodRunning { pod: "team-a/web-a".into(), node: "w-1".into() });
        assert_eq!(events[3].event, Event::PodDeleted { pod: "team-a/web-a".into() });
        let err = parse("{\"t\":0,\"kind\":\"pod_ready\",\"pod\":\"a\",\"namespace\":7,\"node\":\"n\"}\n").unwrap_err();
        assert!(err.contains("\"namespace\": 7, expected a non-empty string"), "{err}");
    }

    #[test]
    fn bad_lines_are_named_with_the_value_and_a_hint() {
        let ok = "{\"t\":1,\"kind\":\"node_joined\",\"node\":\"w-1\"}\n";
        for (text, expected) in [
            (
                format!("{ok}{{\"t\":2,\"kind\":\"pod_running\",\"pod\":\"a\"}}\n"),
                "run/events.jsonl:2:1: error: pod_running event has \"node\": missing",
            ),
            (
                format!("{ok}{{\"t\":2,\"kind\":\"pod_running\",\"pod\":7,\"node\":\"w\"}}"),
                "\"pod\": 7, expected a non-empty string",
            ),
            (
                format!("{ok}{{\"t\":0.5,\"kind\":\"node_crashed\",\"node\":\"w-1\"}}"),
                "\"t\" is 0.5, earlier than the line before",
            ),
            (format!("{ok}{{\"t\":\"soon\",\"kind\":\"x\"}}"), "\"t\" is \"soon\", expected virtual seconds >= 0"),
            (format!("{ok}{{\"t\":-1,\"kind\":\"x\"}}"), "\"t\" is -1"),
            (format!("{ok}{{\"t\":3}}"), "\"kind\" is nothing"),
            (format!("{ok}{{\"t\":3,\"kind\":\"pod_running\""), "run/events.jsonl:2:"),
            (format!("{ok}[1,2]"), "expected a JSON object, found \"[1,2]\""),
        ] {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(expected), "{err}\n  should contain: {expected}");
            assert!(err.contains("\n  hint: "), "{err}");
        }
    }

    #[test]
    fn a_missing_file_says_which_and_what_to_pass() {
        let err = read_events(Path::new("/nonexistent/run/events.jsonl")).unwrap_err().render("error");
        assert!(err.starts_with("/nonexistent/run/events.jsonl: error: cannot read events.jsonl: "), "{err}");
        assert!(err.contains("hint: pass the folder"), "{err}");
        let err = read_events(Path::new("/dev/null")).unwrap_err().render("error");
        assert!(err.contains("not a regular file (it is a character device)"), "{err}");
    }
}
