//! The containers the engine should hold after a prefix of `events.jsonl`: a reducer that
//! mirrors what the simulated kubelets do (`world/kubelet.rs`, `world/ops.rs`).
//!
//! - A pod gets a running container at `pod_running` (or `pod_ready`): the kubelet has
//!   started its containers and the API knows. `pod_scheduled` is only the binding; the
//!   kubelet still has `podStartup` to go, and a pod bound to a dead or cut-off node may
//!   never start.
//! - `pod_terminated` starts a graceful termination: the container runs on until
//!   `pod_deleted` (preStop, SIGTERM, grace period). On a partitioned node whose host is
//!   up the kubelet never heard of the deletion, so it runs on until the node reconnects
//!   and the kubelet kills it (`pod_killed`); on a dead host it is gone at once.
//! - `node_crashed` kills every container on the node; they stay dead. A pod still in the
//!   API restarts there at its next `pod_running` after `node_recovered`; one deleted
//!   meanwhile is removed (the kubelet finishes the deletion silently when it returns).
//! - `node_partitioned` changes nothing: the containers keep running.
//! - `pod_succeeded` / `pod_failed`: a Job pod's containers exited; the container goes.

use super::events::{Event, EventLine};
use std::collections::BTreeMap;

/// The expected container of one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodContainer {
    pub node: String,
    pub deployment: Option<String>,
    /// False once its host crashed (the container exists, dead).
    pub running: bool,
    /// Deleted in the API: still running until `pod_deleted` (or, its kubelet cut off, `pod_killed`).
    pub deleted: bool,
    /// The events.jsonl line that last changed this container.
    pub since_line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NodeState {
    host_up: bool,
}

/// The expected state: one entry per pod that has (or had, on a dead host) a container.
#[derive(Default)]
pub struct Expected {
    nodes: BTreeMap<String, NodeState>,
    containers: BTreeMap<String, PodContainer>,
    /// Deployment of each pod created and not yet deleted, for the container's label.
    deployments: BTreeMap<String, Option<String>>,
}

impl Expected {
    /// Applies one event; true when the expected containers changed.
    pub fn apply(&mut self, event: &EventLine) -> bool {
        let line = event.line;
        match &event.event {
            Event::PodCreated { pod, deployment } => {
                self.deployments.insert(pod.clone(), deployment.clone());
                false
            }
            Event::PodRunning { pod, node } => {
                if self.containers.get(pod).is_some_and(|c| c.running && c.node == *node) {
                    return false;
                }
                self.nodes.entry(node.clone()).or_insert(NodeState { host_up: true });
                let deployment = self.deployments.get(pod).cloned().flatten();
                self.containers.insert(
                    pod.clone(),
                    PodContainer { node: node.clone(), deployment, running: true, deleted: false, since_line: line },
                );
                true
            }
            Event::PodTerminated { pod, .. } => {
                self.deployments.remove(pod);
                let Some(container) = self.containers.get_mut(pod) else { return false };
                let host_up = self.nodes.get(&container.node).is_some_and(|n| n.host_up);
                if container.running && host_up {
                    container.deleted = true;
                    container.since_line = line;
                    false
                } else {
                    self.containers.remove(pod);
                    true
                }
            }
            Event::PodKilled { pod } | Event::PodDeleted { pod } | Event::PodExited { pod } => {
                self.containers.remove(pod).is_some()
            }
            Event::NodeJoined { node } => {
                self.nodes.insert(node.clone(), NodeState { host_up: true });
                false
            }
            Event::NodeCrashed { node } => {
                self.nodes.entry(node.clone()).or_insert(NodeState { host_up: true }).host_up = false;
                let before = self.containers.len();
                self.containers.retain(|_, c| c.node != *node || !c.deleted);
                let mut changed = self.containers.len() != before;
                for c in self.containers.values_mut().filter(|c| c.node == *node && c.running) {
                    c.running = false;
                    c.since_line = line;
                    changed = true;
                }
                changed
            }
            Event::NodeRecovered { node } => {
                self.nodes.entry(node.clone()).or_insert(NodeState { host_up: true }).host_up = true;
                false
            }
            // A partition changes no container: a deletion meanwhile waits for `pod_killed`.
            Event::NodePartitioned { .. } | Event::NodeReconnected { .. } => false,
            Event::NodeRemoved { node } => {
                self.nodes.remove(node);
                let before = self.containers.len();
                self.containers.retain(|_, c| c.node != *node);
                self.containers.len() != before
            }
            Event::Other => false,
        }
    }

    /// Every pod with a container, by pod name.
    pub fn containers(&self) -> &BTreeMap<String, PodContainer> {
        &self.containers
    }

    /// Pods whose container should be running, with their node.
    pub fn running(&self) -> impl Iterator<Item = (&str, &PodContainer)> {
        self.containers.iter().filter(|(_, c)| c.running).map(|(p, c)| (p.as_str(), c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::events::parse_events;
    use std::path::Path;

    /// Runs the reducer over `text`, returning `pod@node` for running containers and
    /// `pod@node(dead)` for dead ones after each line.
    fn states(text: &str) -> Vec<String> {
        let mut expected = Expected::default();
        parse_events(Path::new("events.jsonl"), text)
            .unwrap()
            .iter()
            .map(|e| {
                expected.apply(e);
                let shown: Vec<String> = expected
                    .containers()
                    .iter()
                    .map(|(p, c)| format!("{p}@{}{}", c.node, if c.running { "" } else { "(dead)" }))
                    .collect();
                shown.join(" ")
            })
            .collect()
    }

    #[test]
    fn crash_kills_and_recovery_restarts_at_the_next_pod_running() {
        let text = r#"{"t":0,"kind":"node_joined","node":"w-1"}
{"t":0,"kind":"node_joined","node":"w-2"}
{"t":0,"kind":"pod_created","pod":"a","owner":"web-1","deployment":"web","revision":1}
{"t":0,"kind":"pod_created","pod":"b","owner":"web-1","deployment":"web","revision":1}
{"t":0,"kind":"pod_scheduled","pod":"a","node":"w-1"}
{"t":0,"kind":"pod_scheduled","pod":"b","node":"w-2"}
{"t":2,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":3,"kind":"pod_running","pod":"b","node":"w-2"}
{"t":3,"kind":"pod_ready","pod":"b","node":"w-2"}
{"t":60,"kind":"node_crashed","node":"w-1"}
{"t":90,"kind":"node_recovered","node":"w-1"}
{"t":92,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":99,"kind":"pod_terminated","pod":"b","node":"w-2","reason":"scaled_down"}
{"t":104,"kind":"pod_deleted","pod":"b","node":"w-2"}
"#;
        let s = states(text);
        assert_eq!(s[5], "", "scheduling starts nothing");
        assert_eq!(s[6], "a@w-1");
        assert_eq!(s[8], "a@w-1 b@w-2");
        assert_eq!(s[9], "a@w-1(dead) b@w-2");
        assert_eq!(s[10], "a@w-1(dead) b@w-2", "a recovered host starts nothing by itself");
        assert_eq!(s[11], "a@w-1 b@w-2");
        assert_eq!(s[12], "a@w-1 b@w-2", "terminating: running until the kubelet has stopped it");
        assert_eq!(s[13], "a@w-1");
        let mut expected = Expected::default();
        for e in parse_events(Path::new("events.jsonl"), text).unwrap() {
            expected.apply(&e);
        }
        assert_eq!(expected.containers()["a"].deployment.as_deref(), Some("web"));
        assert_eq!(expected.containers()["a"].since_line, 12);
    }

    #[test]
    fn partitioned_pods_run_on_after_deletion_until_killed() {
        let s = states(
            r#"{"t":0,"kind":"node_joined","node":"w-1"}
{"t":2,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":60,"kind":"node_partitioned","node":"w-1"}
{"t":410,"kind":"pod_terminated","pod":"a","node":"w-1","reason":"node_lost"}
{"t":412,"kind":"pod_running","pod":"c","node":"w-2"}
{"t":600,"kind":"node_reconnected","node":"w-1"}
{"t":600,"kind":"pod_killed","pod":"a","node":"w-1"}
"#,
        );
        assert_eq!(s[2], "a@w-1");
        assert_eq!(s[3], "a@w-1", "the kubelet has not heard of the deletion");
        assert_eq!(s[4], "a@w-1 c@w-2");
        assert_eq!(s[5], "a@w-1 c@w-2");
        assert_eq!(s[6], "c@w-2");
    }

    #[test]
    fn deleting_a_pod_on_a_dead_host_removes_its_dead_container() {
        let s = states(
            r#"{"t":0,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":0,"kind":"pod_running","pod":"b","node":"w-1"}
{"t":1,"kind":"node_partitioned","node":"w-1"}
{"t":2,"kind":"pod_terminated","pod":"b","node":"w-1","reason":"node_lost"}
{"t":60,"kind":"node_crashed","node":"w-1"}
{"t":400,"kind":"pod_terminated","pod":"a","node":"w-1","reason":"node_lost"}
{"t":401,"kind":"pod_terminated","pod":"never-bound","reason":"scaled_down"}
"#,
        );
        assert_eq!(s[3], "a@w-1 b@w-1");
        assert_eq!(s[4], "a@w-1(dead)", "a deleted pod's container dies with the host and is gone");
        assert_eq!(s[5], "");
        assert_eq!(s[6], "");
    }

    #[test]
    fn same_named_pods_of_two_namespaces_are_two_containers() {
        let s = states(
            r#"{"t":0,"kind":"pod_running","pod":"web-x","node":"w-1"}
{"t":0,"kind":"pod_running","pod":"web-x","namespace":"team-a","node":"w-2"}
{"t":5,"kind":"pod_terminated","pod":"web-x","namespace":"team-a","node":"w-2","reason":"deleted"}
{"t":6,"kind":"pod_deleted","pod":"web-x","namespace":"team-a","node":"w-2"}
"#,
        );
        assert_eq!(s[1], "team-a/web-x@w-2 web-x@w-1");
        assert_eq!(s[3], "web-x@w-1", "deleting team-a's pod leaves default's");
    }

    #[test]
    fn removed_nodes_take_their_containers_and_changes_are_reported() {
        let mut expected = Expected::default();
        let events = parse_events(
            Path::new("events.jsonl"),
            r#"{"t":0,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":0,"kind":"pod_ready","pod":"a","node":"w-1"}
{"t":5,"kind":"traffic","service":"web"}
{"t":9,"kind":"node_removed","node":"w-1"}
"#,
        )
        .unwrap();
        let changed: Vec<bool> = events.iter().map(|e| expected.apply(e)).collect();
        assert_eq!(changed, [true, false, false, true]);
        assert!(expected.containers().is_empty());
    }
}
