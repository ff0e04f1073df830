//! The check after each step: the engine's running containers of this run are exactly
//! the expected ones, each on its pod's node.

use super::docker::ContainerInfo;
use super::expected::Expected;
use super::{LABEL_NODE, LABEL_POD};
use std::collections::BTreeMap;

/// Every difference between the engine's containers and the expected state, one
/// sentence each, naming the pod, the node and the events.jsonl line behind the
/// expectation.
pub fn differences(expected: &Expected, listed: &[ContainerInfo]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut running: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut state_of: BTreeMap<&str, &str> = BTreeMap::new();
    for c in listed {
        let short_id: String = c.id.chars().take(12).collect();
        let (Some(pod), Some(node)) = (c.labels.get(LABEL_POD), c.labels.get(LABEL_NODE)) else {
            if c.state == "running" {
                problems.push(format!("container {short_id} runs without {LABEL_POD}/{LABEL_NODE} labels"));
            }
            continue;
        };
        state_of.insert(pod, &c.state);
        if c.state == "running" {
            running.entry(pod).or_default().push(node);
        }
    }
    for (pod, want) in expected.running() {
        let line = want.since_line;
        match running.get(pod).map(Vec::as_slice) {
            Some([node]) if *node == want.node => {}
            Some(nodes) => problems.push(format!(
                "pod {pod} should run on {} (events.jsonl line {line}) but runs on {}",
                want.node,
                nodes.join(" and ")
            )),
            None => {
                let state = state_of.get(pod).map_or("missing".to_string(), |s| format!("{s}, not running"));
                problems.push(format!(
                    "pod {pod} should run on {} (events.jsonl line {line}) but its container is {state}",
                    want.node
                ));
            }
        }
    }
    for (pod, nodes) in &running {
        if expected.containers().get(*pod).is_some_and(|c| c.running) {
            continue;
        }
        let why = match expected.containers().get(*pod) {
            Some(c) => format!("its host {} crashed (events.jsonl line {})", c.node, c.since_line),
            None => "no pod of that name should have a container".to_string(),
        };
        problems.push(format!("pod {pod} runs on {} but should not run: {why}", nodes.join(" and ")));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::events::parse_events;
    use std::path::Path;

    fn container(pod: &str, node: &str, state: &str) -> ContainerInfo {
        let labels = [(LABEL_POD, pod), (LABEL_NODE, node), ("clustersim.run", "1-2")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ContainerInfo { id: format!("{pod:0>64}"), state: state.into(), labels }
    }

    fn expected() -> Expected {
        let mut expected = Expected::default();
        let text = r#"{"t":0,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":0,"kind":"pod_running","pod":"b","node":"w-2"}
{"t":0,"kind":"pod_running","pod":"c","node":"w-3"}
{"t":5,"kind":"node_crashed","node":"w-3"}
"#;
        for e in parse_events(Path::new("events.jsonl"), text).unwrap() {
            expected.apply(&e);
        }
        expected
    }

    #[test]
    fn a_matching_engine_has_no_differences() {
        let listed =
            [container("a", "w-1", "running"), container("b", "w-2", "running"), container("c", "w-3", "exited")];
        assert_eq!(differences(&expected(), &listed), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_difference_names_pod_node_and_line() {
        let listed = [
            container("a", "w-2", "running"),
            container("b", "w-2", "exited"),
            container("c", "w-3", "running"),
            container("stray", "w-1", "running"),
        ];
        assert_eq!(
            differences(&expected(), &listed),
            [
                "pod a should run on w-1 (events.jsonl line 1) but runs on w-2",
                "pod b should run on w-2 (events.jsonl line 2) but its container is exited, not running",
                "pod c runs on w-3 but should not run: its host w-3 crashed (events.jsonl line 4)",
                "pod stray runs on w-1 but should not run: no pod of that name should have a container",
            ]
        );
        let missing = differences(&expected(), &[container("a", "w-1", "running"), container("a", "w-1", "running")]);
        assert_eq!(missing[0], "pod a should run on w-1 (events.jsonl line 1) but runs on w-1 and w-1");
        assert_eq!(missing[1], "pod b should run on w-2 (events.jsonl line 2) but its container is missing");
    }
}
