//! The DaemonSet controller: one pod per node the DaemonSet should run on, replaced
//! node by node on a template change (RollingUpdate with maxUnavailable or maxSurge) or
//! only when deleted (OnDelete).
//! Upstream: pkg/controller/daemon/daemon_controller.go (manage, podsShouldBeOnNode,
//! NodeShouldRunDaemonPod), update.go (rollingUpdate), util/daemonset_util.go.
//!
//! Upstream's sync walks every node for every DaemonSet it syncs. Here the controller
//! keeps, per DaemonSet, what each node holds (its [`NodeClass`]) and the sums the rolling
//! update reads, and looks again only at the nodes whose pods or node object changed:
//! a reconcile costs what changed, never the size of the cluster.

use super::scheduler::required_node_affinity_matches;
use super::{Decision, TerminationReason};
use crate::engine::{Duration, Time};
use crate::model::{
    DaemonSet, DaemonSetId, DaemonSetStatus, DaemonSetStrategy, Node, NodeId, NodeSelectorOp, NodeSelectorRequirement,
    NodeSelectorTerm, Pod, PodPhase, PodTemplate, Store, Taint, TaintEffect, Toleration, TolerationOperator,
};
use std::collections::{BTreeMap, BTreeSet};

/// The tolerations every DaemonSet pod gets, whatever its template says.
/// Upstream: pkg/controller/daemon/util/daemonset_util.go (AddOrUpdateDaemonPodTolerations).
pub const DAEMON_TOLERATIONS: [(&str, TaintEffect); 6] = [
    ("node.kubernetes.io/not-ready", TaintEffect::NoExecute),
    ("node.kubernetes.io/unreachable", TaintEffect::NoExecute),
    ("node.kubernetes.io/disk-pressure", TaintEffect::NoSchedule),
    ("node.kubernetes.io/memory-pressure", TaintEffect::NoSchedule),
    ("node.kubernetes.io/pid-pressure", TaintEffect::NoSchedule),
    ("node.kubernetes.io/unschedulable", TaintEffect::NoSchedule),
];

/// The pod a DaemonSet makes for `node`: its template, the automatic tolerations, and
/// required node affinity on `metadata.name` replacing any such field term.
/// Upstream: pkg/controller/daemon/util/daemonset_util.go (ReplaceDaemonSetPodNodeNameNodeAffinity).
pub fn daemon_pod_template(template: &PodTemplate, node_name: &str) -> PodTemplate {
    let mut t = template.clone();
    for (key, effect) in DAEMON_TOLERATIONS {
        let present = t.spec.tolerations.iter().any(|x| x.key == key && x.effect == Some(effect));
        if !present {
            t.spec.tolerations.push(Toleration {
                key: key.to_string(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: Some(effect),
                toleration_seconds: None,
            });
        }
    }
    let pin = NodeSelectorRequirement {
        key: "metadata.name".into(),
        op: NodeSelectorOp::In,
        values: vec![node_name.to_string()],
    };
    let terms = match t.spec.affinity.node.required.take() {
        // Each term keeps its expressions; its field requirements become the pin.
        Some(terms) if !terms.is_empty() => terms
            .into_iter()
            .map(|term| NodeSelectorTerm { match_expressions: term.match_expressions, match_fields: vec![pin.clone()] })
            .collect(),
        _ => vec![NodeSelectorTerm { match_expressions: Vec::new(), match_fields: vec![pin] }],
    };
    t.spec.affinity.node.required = Some(terms);
    t
}

/// Whether the DaemonSet should run a pod on `node`, and whether a pod already there may
/// keep running: node selector and required affinity, and taints (an untolerated
/// NoSchedule taint stops new pods only, a NoExecute one also existing pods).
/// Upstream: pkg/controller/daemon/daemon_controller.go (NodeShouldRunDaemonPod, predicates).
pub fn node_should_run(template: &PodTemplate, node: &Node) -> (bool, bool) {
    let spec = &template.spec;
    if spec.node_name.as_ref().is_some_and(|n| *n != node.name) {
        return (false, false);
    }
    if !required_node_affinity_matches(spec, node) {
        return (false, false);
    }
    let tolerated = |taint: &Taint| {
        spec.tolerations.iter().any(|t| t.tolerates(taint))
            || DAEMON_TOLERATIONS.iter().any(|(k, e)| *k == taint.key && *e == taint.effect)
    };
    let mut run = true;
    for (taint, _) in &node.taints {
        match taint.effect {
            TaintEffect::NoExecute if !tolerated(taint) => return (false, false),
            TaintEffect::NoSchedule if !tolerated(taint) => run = false,
            _ => {}
        }
    }
    (run, true)
}

/// What one node holds of one DaemonSet (pods being deleted left out), as the rolling
/// update classifies it. Upstream: update.go (findUpdatedPodsOnNode and the switches of rollingUpdate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeClass {
    /// Nothing to do here (no pods, or more than one of a revision: `manage` cleans up).
    Idle,
    /// Only pods being deleted: counts as unavailable.
    Empty,
    New {
        available: bool,
    },
    Old {
        available: bool,
    },
    /// A surge under way: an old pod beside a new one that is not available yet (once it
    /// is, `manage_node` deletes the old pod, so the node is `New`).
    Both,
}

/// One DaemonSet's view of the cluster, kept between reconciles.
#[derive(Clone, Debug, Default)]
struct DsView {
    /// Nodes it should run on.
    should_run: BTreeSet<NodeId>,
    class: BTreeMap<NodeId, NodeClass>,
    /// Sums over `class`.
    unavailable: u32,
    /// Nodes with a pod of the current revision (`New` or `Both`).
    updated: u32,
    surging: u32,
    updated_available: u32,
    old_available: BTreeSet<NodeId>,
    old_unavailable: BTreeSet<NodeId>,
    /// The revision the view was built for.
    revision: u64,
    /// Availability waits for minReadySeconds: (when, node) to look at again.
    due: BTreeSet<(Time, NodeId)>,
}

impl DsView {
    fn account(&mut self, node: NodeId, class: NodeClass, sign: i32) {
        let step = |n: &mut u32, on: bool| {
            if on {
                *n = n.checked_add_signed(sign).expect("daemon view count underflow");
            }
        };
        let set = |s: &mut BTreeSet<NodeId>, on: bool| {
            if on && sign > 0 {
                s.insert(node);
            } else if on {
                s.remove(&node);
            }
        };
        match class {
            NodeClass::Idle => {}
            NodeClass::Empty => step(&mut self.unavailable, true),
            NodeClass::New { available } => {
                step(&mut self.updated, true);
                step(&mut self.unavailable, !available);
                step(&mut self.updated_available, available);
            }
            NodeClass::Old { available } => {
                set(&mut self.old_available, available);
                set(&mut self.old_unavailable, !available);
            }
            NodeClass::Both => {
                step(&mut self.updated, true);
                step(&mut self.unavailable, true);
                step(&mut self.surging, true);
            }
        }
    }
}

/// The DaemonSet controller's state: a view per DaemonSet.
#[derive(Clone, Debug, Default)]
pub struct DaemonSetController {
    views: Vec<DsView>,
}

/// What a reconcile asks of the world beyond its decisions.
#[derive(Clone, Debug, Default)]
pub struct DaemonSync {
    pub decisions: Vec<Decision>,
    /// Look again then (a pod becomes available after minReadySeconds).
    pub recheck: Option<Time>,
    /// DaemonSets whose rollout finished: (DaemonSet, revision).
    pub rolled_out: Vec<(DaemonSetId, u64)>,
    /// The status of each DaemonSet looked at.
    pub statuses: Vec<(DaemonSetId, DaemonSetStatus)>,
}

fn is_available(pod: &Pod, min_ready: Duration, now: Time) -> bool {
    // Upstream: pkg/api/v1/pod/util.go (IsPodAvailable).
    pod.ready && pod.ready_since.is_some_and(|t| min_ready == Duration::ZERO || t + min_ready <= now)
}

impl DaemonSetController {
    /// Looks at what changed for each DaemonSet: its pods' nodes (`pod_nodes`, filled by
    /// the store as pods are written), the nodes that joined, left or changed (`nodes`,
    /// for every DaemonSet), every node when the DaemonSet or its template is new, and
    /// nodes whose pods became available after minReadySeconds; then manages those
    /// nodes and takes the rolling update's next step.
    pub fn reconcile(
        &mut self,
        store: &Store,
        queued: &BTreeSet<DaemonSetId>,
        pod_nodes: &BTreeSet<(DaemonSetId, NodeId)>,
        nodes: &BTreeSet<NodeId>,
        now: Time,
    ) -> DaemonSync {
        let mut out = DaemonSync::default();
        if self.views.len() < store.daemon_sets.len() {
            self.views.resize_with(store.daemon_sets.len(), DsView::default);
        }
        for ds in &store.daemon_sets {
            let view = &mut self.views[ds.id.0 as usize];
            let mut dirty: BTreeSet<NodeId> = nodes.clone();
            if view.revision != ds.revision {
                // New DaemonSet or new template: every node, once per spec change.
                view.revision = ds.revision;
                dirty.extend(store.nodes.iter().map(|n| n.id));
                dirty.extend(view.class.keys().copied());
            }
            dirty.extend(pod_nodes.range((ds.id, NodeId(0))..=(ds.id, NodeId(u32::MAX))).map(|(_, n)| *n));
            while let Some(&(at, node)) = view.due.first() {
                if at > now {
                    break;
                }
                view.due.pop_first();
                dirty.insert(node);
            }
            if dirty.is_empty() && !queued.contains(&ds.id) {
                continue;
            }
            let surge = matches!(ds.strategy, DaemonSetStrategy::RollingUpdate { max_surge, .. }
                if max_surge.scaled(view.should_run.len().max(1) as i64, true) > 0);
            for node in dirty {
                Self::manage_node(store, ds, view, node, surge, now, &mut out.decisions);
            }
            if let DaemonSetStrategy::RollingUpdate { max_unavailable, max_surge } = ds.strategy {
                Self::rolling_update(store, ds, view, max_unavailable, max_surge, &mut out.decisions);
            }
            if let Some(&(at, _)) = view.due.first() {
                out.recheck = Some(out.recheck.map_or(at, |r: Time| r.min(at)));
            }
            let complete = view.old_available.is_empty()
                && view.old_unavailable.is_empty()
                && view.unavailable == 0
                && view.updated_available as usize == view.should_run.len();
            let counts = store.daemon_set_counts(ds.id);
            out.statuses.push((
                ds.id,
                DaemonSetStatus {
                    desired: view.should_run.len() as u32,
                    ready: counts.ready,
                    updated: view.updated,
                    available: view.updated_available + view.old_available.len() as u32,
                },
            ));
            if complete && ds.rolled_out < ds.revision {
                out.rolled_out.push((ds.id, ds.revision));
            }
        }
        out
    }

    /// Upstream's `podsShouldBeOnNode` for one node, then its class for the rolling update.
    fn manage_node(
        store: &Store,
        ds: &DaemonSet,
        view: &mut DsView,
        node: NodeId,
        surge: bool,
        now: Time,
        out: &mut Vec<Decision>,
    ) {
        let (should_run, should_continue) = match store.try_node(node) {
            Some(n) => node_should_run(&ds.template, n),
            None => (false, false),
        };
        if should_run {
            view.should_run.insert(node);
        } else {
            view.should_run.remove(&node);
        }
        let all = ds.pods_on(node);
        let mut running: Vec<&Pod> = Vec::new();
        let mut class = NodeClass::Idle;
        if should_run && all.is_empty() {
            // Upstream: daemon_controller.go (podsShouldBeOnNode: shouldRun && !exists).
            // The pod on its way counts as a new, unavailable one (upstream's expectations
            // hold the rolling update until the creation is observed).
            out.push(Decision::CreateDaemonPod { ds: ds.id, node });
            class = NodeClass::New { available: false };
        } else if should_continue {
            for pod in all.iter().map(|id| store.pod(*id)).filter(|p| p.deletion.is_none()) {
                if pod.phase == PodPhase::Failed {
                    // A failed daemon pod is deleted; the next look makes a new one.
                    out.push(Decision::DeletePod { pod: pod.id, reason: TerminationReason::Deleted });
                } else {
                    running.push(pod);
                }
            }
            // Oldest first. Upstream: podByCreationTimestampAndPhase.
            running.sort_by_key(|p| (p.created, p.id));
            let revision_of = |p: &Pod| ds.pods.get(&p.id).map_or(0, |(_, r)| *r);
            if !surge {
                // More than one running pod: all but the oldest go.
                for extra in running.iter().skip(1) {
                    out.push(Decision::DeletePod { pod: extra.id, reason: TerminationReason::Deleted });
                }
                running.truncate(1);
            } else if running.is_empty() && should_run {
                // Surging: at least one pod that is not being deleted.
                out.push(Decision::CreateDaemonPod { ds: ds.id, node });
                class = NodeClass::New { available: false };
            } else if running.len() > 1 {
                // Keep the oldest new and the oldest old pod; the old one goes once it is
                // not ready or the new one is available.
                let new = running.iter().copied().find(|p| revision_of(p) == ds.revision);
                let old = running.iter().copied().find(|p| revision_of(p) != ds.revision);
                let mut keep: Vec<&Pod> = new.into_iter().chain(old).collect();
                for extra in running.iter().filter(|p| !keep.iter().any(|k| k.id == p.id)) {
                    out.push(Decision::DeletePod { pod: extra.id, reason: TerminationReason::Deleted });
                }
                if let (Some(n), Some(o)) = (new, old) {
                    if !o.ready || is_available(n, ds.min_ready_seconds, now) {
                        out.push(Decision::DeletePod { pod: o.id, reason: TerminationReason::Replaced });
                        keep.retain(|k| k.id != o.id);
                    }
                }
                running = keep;
            }
            if class == NodeClass::Idle {
                class = Self::classify(ds, view, node, &running, all.len() > running.len(), now);
            }
        } else {
            // The node no longer takes this DaemonSet: every pod there goes.
            for pod in all.iter().map(|id| store.pod(*id)).filter(|p| p.deletion.is_none()) {
                out.push(Decision::DeletePod { pod: pod.id, reason: TerminationReason::Deleted });
            }
        }
        let before = view.class.insert(node, class).unwrap_or(NodeClass::Idle);
        view.account(node, before, -1);
        view.account(node, class, 1);
        if class == NodeClass::Idle {
            view.class.remove(&node);
        }
    }

    /// The node's class from its running pods (at most one per revision by now).
    /// Upstream: update.go (findUpdatedPodsOnNode).
    fn classify(
        ds: &DaemonSet,
        view: &mut DsView,
        node: NodeId,
        running: &[&Pod],
        others: bool,
        now: Time,
    ) -> NodeClass {
        let revision_of = |p: &Pod| ds.pods.get(&p.id).map_or(0, |(_, r)| *r);
        let new = running.iter().find(|p| revision_of(p) == ds.revision);
        let old = running.iter().find(|p| revision_of(p) != ds.revision);
        let mut available = |p: &Pod| {
            let ok = is_available(p, ds.min_ready_seconds, now);
            if let (false, true, Some(since)) = (ok, p.ready, p.ready_since) {
                view.due.insert((since + ds.min_ready_seconds, node));
            }
            ok
        };
        match (new, old) {
            (None, None) if others => NodeClass::Empty,
            (None, None) => NodeClass::Idle,
            (Some(n), None) => NodeClass::New { available: available(n) },
            (None, Some(o)) => NodeClass::Old { available: available(o) },
            (Some(n), Some(_)) => {
                // Not available, or the old pod would be gone; this schedules the look
                // again when minReadySeconds runs out.
                let available = available(n);
                debug_assert!(!available, "manage_node deletes the old pod beside an available new one");
                NodeClass::Both
            }
        }
    }

    /// Upstream: update.go (rollingUpdate): with maxSurge 0, delete old pods while fewer
    /// than maxUnavailable nodes are unavailable (unavailable old pods always); with
    /// maxSurge, create new pods beside old ones up to maxSurge and delete an old pod once
    /// its replacement is available. Candidates are taken in node order (upstream: map order).
    fn rolling_update(
        store: &Store,
        ds: &DaemonSet,
        view: &DsView,
        max_unavailable: crate::model::IntOrPercent,
        max_surge: crate::model::IntOrPercent,
        out: &mut Vec<Decision>,
    ) {
        // Upstream: update.go (updatedDesiredNodeCounts): percentages of desiredNumberScheduled,
        // maxSurge rounded up, maxUnavailable rounded up; both zero means maxUnavailable 1.
        let desired = view.should_run.len() as i64;
        let surge = max_surge.scaled(desired, true);
        let mut unavailable = max_unavailable.scaled(desired, true);
        if surge == 0 && unavailable == 0 {
            unavailable = 1;
        }
        let old_pod = |node: NodeId| {
            ds.pods_on(node)
                .iter()
                .copied()
                .find(|p| store.pod(*p).deletion.is_none() && ds.pods.get(p).is_some_and(|(_, r)| *r != ds.revision))
        };
        if surge == 0 {
            let mut delete: Vec<NodeId> = view.old_unavailable.iter().copied().collect();
            let room = (unavailable - i64::from(view.unavailable)).max(0) as usize;
            delete.extend(view.old_available.iter().copied().take(room));
            for node in delete {
                if let Some(pod) = old_pod(node) {
                    out.push(Decision::DeletePod { pod, reason: TerminationReason::Replaced });
                }
            }
        } else {
            // An old pod beside an available new one is deleted by `manage_node`.
            let mut create: Vec<NodeId> =
                view.old_unavailable.iter().copied().filter(|n| view.should_run.contains(n)).collect();
            let room = (surge - i64::from(view.surging)).max(0) as usize;
            create.extend(view.old_available.iter().copied().filter(|n| view.should_run.contains(n)).take(room));
            for node in create {
                out.push(Decision::CreateDaemonPod { ds: ds.id, node });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Labels;

    fn node(name: &str, taints: Vec<Taint>) -> Node {
        let mut n = crate::model::testing::node(4000, 8 << 30, crate::model::Resources::default());
        n.name = name.to_string();
        n.taints = taints.into_iter().map(|t| (t, Time::ZERO)).collect();
        n
    }

    #[test]
    fn taints_decide_run_and_continue_as_upstream() {
        // Upstream: daemon_controller_test.go (TestTaintedNodeDaemonDoesNotLaunchIntolerantPods,
        // TestNodeDaemonLaunchesToleratePods, TestTaintOutOfNodeEvictsPods...).
        let t = PodTemplate::default();
        let taint = |key: &str, effect| Taint { key: key.into(), value: String::new(), effect };
        assert_eq!(node_should_run(&t, &node("a", vec![])), (true, true));
        assert_eq!(node_should_run(&t, &node("a", vec![taint("dedicated", TaintEffect::NoSchedule)])), (false, true));
        assert_eq!(node_should_run(&t, &node("a", vec![taint("dedicated", TaintEffect::NoExecute)])), (false, false));
        // The automatic tolerations: a not-ready or cordoned node keeps its daemon pods.
        assert_eq!(
            node_should_run(&t, &node("a", vec![taint("node.kubernetes.io/not-ready", TaintEffect::NoExecute)])),
            (true, true)
        );
        assert_eq!(
            node_should_run(&t, &node("a", vec![taint("node.kubernetes.io/unschedulable", TaintEffect::NoSchedule)])),
            (true, true)
        );
        let mut tolerant = PodTemplate::default();
        tolerant.spec.tolerations.push(Toleration {
            key: "dedicated".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
            toleration_seconds: None,
        });
        assert_eq!(
            node_should_run(&tolerant, &node("a", vec![taint("dedicated", TaintEffect::NoExecute)])),
            (true, true)
        );
    }

    #[test]
    fn node_selector_limits_the_nodes() {
        // Upstream: daemon_controller_test.go (TestSelectorDaemonLaunchesPods, TestBadSelectorDaemonDoesNothing).
        let mut t = PodTemplate::default();
        t.spec.node_selector = Labels::from([("disk".to_string(), "ssd".to_string())]);
        let mut n = node("a", vec![]);
        assert_eq!(node_should_run(&t, &n), (false, false));
        n.labels.insert("disk".into(), "ssd".into());
        assert_eq!(node_should_run(&t, &n), (true, true));
    }

    #[test]
    fn pod_template_pins_the_node_and_adds_tolerations() {
        let mut t = PodTemplate::default();
        t.spec.affinity.node.required = Some(vec![NodeSelectorTerm {
            match_expressions: vec![NodeSelectorRequirement {
                key: "zone".into(),
                op: NodeSelectorOp::In,
                values: vec!["a".into()],
            }],
            match_fields: Vec::new(),
        }]);
        let pod = daemon_pod_template(&t, "n1");
        let terms = pod.spec.affinity.node.required.as_ref().unwrap();
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].match_expressions.len(), 1, "expressions kept");
        assert_eq!(terms[0].match_fields[0].values, vec!["n1".to_string()]);
        assert_eq!(pod.spec.tolerations.len(), DAEMON_TOLERATIONS.len());
        assert!(pod.spec.tolerations.iter().all(|t| t.toleration_seconds.is_none()));
        // Idempotent: a second pin replaces the first.
        let again = daemon_pod_template(&pod, "n2");
        assert_eq!(
            again.spec.affinity.node.required.as_ref().unwrap()[0].match_fields[0].values,
            vec!["n2".to_string()]
        );
        assert_eq!(again.spec.tolerations.len(), DAEMON_TOLERATIONS.len());
    }
}
