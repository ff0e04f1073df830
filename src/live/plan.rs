//! What to do to the engine so its containers match the expected state.

use super::expected::Expected;
use std::collections::BTreeMap;

/// A container this run holds, as the replay last left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub id: String,
    pub node: String,
    pub running: bool,
}

/// One step towards the expected state, for one pod's container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create the pod's container on `node` and start it.
    Create { pod: String, node: String, deployment: Option<String> },
    /// Start the pod's existing, stopped container (a restart after its host came back).
    Start { pod: String },
    /// SIGKILL the pod's container and leave it dead (its host crashed).
    Kill { pod: String },
    /// Remove the pod's container, killing it if it runs.
    Remove { pod: String },
}

/// The actions, in pod order, that turn `held` into `expected` (removals first, so a
/// pod moving nodes never has two containers).
pub fn plan(expected: &Expected, held: &BTreeMap<String, Held>) -> Vec<Action> {
    let want = expected.containers();
    let mut removals = Vec::new();
    let mut others = Vec::new();
    for (pod, h) in held {
        match want.get(pod) {
            None => removals.push(Action::Remove { pod: pod.clone() }),
            Some(w) if w.node != h.node => removals.push(Action::Remove { pod: pod.clone() }),
            Some(w) if w.running && !h.running => others.push(Action::Start { pod: pod.clone() }),
            Some(w) if !w.running && h.running => others.push(Action::Kill { pod: pod.clone() }),
            Some(_) => {}
        }
    }
    for (pod, w) in want {
        let fits = held.get(pod).is_some_and(|h| h.node == w.node);
        if !fits && w.running {
            others.push(Action::Create { pod: pod.clone(), node: w.node.clone(), deployment: w.deployment.clone() });
        }
    }
    removals.extend(others);
    removals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::events::parse_events;
    use std::path::Path;

    fn expected(text: &str) -> Expected {
        let mut expected = Expected::default();
        for e in parse_events(Path::new("events.jsonl"), text).unwrap() {
            expected.apply(&e);
        }
        expected
    }

    fn held(entries: &[(&str, &str, bool)]) -> BTreeMap<String, Held> {
        entries
            .iter()
            .map(|(pod, node, running)| {
                (pod.to_string(), Held { id: format!("id-{pod}"), node: node.to_string(), running: *running })
            })
            .collect()
    }

    #[test]
    fn each_difference_becomes_one_action_and_removals_go_first() {
        let want = expected(
            r#"{"t":0,"kind":"pod_created","pod":"new","deployment":"web"}
{"t":0,"kind":"pod_running","pod":"new","node":"w-1"}
{"t":0,"kind":"pod_running","pod":"same","node":"w-1"}
{"t":0,"kind":"pod_running","pod":"moved","node":"w-2"}
{"t":0,"kind":"pod_running","pod":"restarted","node":"w-2"}
{"t":0,"kind":"pod_running","pod":"crashed","node":"w-3"}
{"t":1,"kind":"node_crashed","node":"w-3"}
"#,
        );
        let have = held(&[
            ("same", "w-1", true),
            ("moved", "w-1", true),
            ("restarted", "w-2", false),
            ("crashed", "w-3", true),
            ("gone", "w-1", false),
        ]);
        let s = |p: &str| p.to_string();
        assert_eq!(
            plan(&want, &have),
            [
                Action::Remove { pod: s("gone") },
                Action::Remove { pod: s("moved") },
                Action::Kill { pod: s("crashed") },
                Action::Start { pod: s("restarted") },
                Action::Create { pod: s("moved"), node: s("w-2"), deployment: None },
                Action::Create { pod: s("new"), node: s("w-1"), deployment: Some(s("web")) },
            ]
        );
    }

    #[test]
    fn nothing_to_do_when_the_engine_already_matches_and_dead_pods_are_not_created() {
        let want = expected(
            r#"{"t":0,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":0,"kind":"pod_running","pod":"b","node":"w-2"}
{"t":1,"kind":"node_crashed","node":"w-2"}
"#,
        );
        assert_eq!(plan(&want, &held(&[("a", "w-1", true), ("b", "w-2", false)])), []);
        // b died before the engine ever saw it: no container is made just to be dead.
        assert_eq!(plan(&want, &held(&[("a", "w-1", true)])), []);
    }
}
