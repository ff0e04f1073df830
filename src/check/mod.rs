//! Invariant checkers, run after every event in debug builds and tests. A violation is a
//! bug in the simulator, reported with the time and a way to reproduce it.
//!
//! Architecture invariant: checkers only read; they never repair what they find.

use crate::engine::Time;
use crate::model::{NodeCondition, NodeId, PodId, Resources, Scalars, Store};
use std::collections::BTreeSet;

/// Checks that need memory across events.
#[derive(Default)]
pub struct Checker {
    bound: BTreeSet<PodId>,
    last_time: Time,
    violations: Vec<String>,
}

impl Checker {
    /// A pod is bound at most once in its life.
    pub fn record_bind(&mut self, pod: PodId) {
        if !self.bound.insert(pod) {
            self.violations.push(format!("pod {pod:?} was bound twice"));
        }
    }

    pub fn report(&mut self, violation: String) {
        self.violations.push(violation);
    }

    /// Virtual time never goes backwards.
    pub fn check_time(&mut self, now: Time) -> Option<String> {
        let problem = (now < self.last_time).then(|| format!("time went backwards from {} to {now}", self.last_time));
        self.last_time = self.last_time.max(now);
        problem
    }

    pub fn take_violations(&mut self) -> Vec<String> {
        std::mem::take(&mut self.violations)
    }
}

/// A bind is allowed only to a node that is schedulable and Ready as the API shows it.
/// (The scheduler sees the API, like upstream: a host that died a moment ago but is not
/// yet marked is still a candidate, as in a real cluster.)
pub use crate::model::BindGuards;

pub fn check_bind(store: &Store, pod: PodId, node: NodeId, guards: BindGuards) -> Option<String> {
    let n = store.node(node);
    let p = store.pods().get(&pod)?;
    if guards.cordon && n.unschedulable {
        return Some(format!("pod {} bound to cordoned node {}", p.name, n.name));
    }
    if guards.readiness && n.condition != NodeCondition::Ready {
        return Some(format!("pod {} bound to node {} whose condition is {:?}", p.name, n.name, n.condition));
    }
    if p.node.is_some() {
        return Some(format!("pod {} bound while already bound", p.name));
    }
    None
}

/// Whole-store invariants: capacity, bookkeeping, ownership.
pub fn check_store(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for node in &store.nodes {
        let mut sum = Resources::default();
        let (mut scalars, mut placed_scalars) = (Scalars::default(), Scalars::default());
        // A spec.nodeName pod may overcommit its node until its kubelet refuses it.
        let (mut placed, mut placed_pods) = (Resources::default(), 0);
        for id in &node.pods {
            match store.pods().get(id) {
                Some(p) if p.node == Some(node.id) => {
                    sum += p.requests;
                    let s = p.scalar_requests.as_deref();
                    if let Some(s) = s {
                        scalars += *s;
                    }
                    if !p.awaits_kubelet_admission() {
                        placed += p.requests;
                        if let Some(s) = s {
                            placed_scalars += *s;
                        }
                        placed_pods += 1;
                    }
                }
                _ => out.push(format!("node {} lists pod {id:?} that is not bound to it", node.name)),
            }
        }
        if sum != node.requested {
            out.push(format!("node {} requested {:?} but its pods sum to {sum:?}", node.name, node.requested));
        }
        if scalars != node.scalar_requested() {
            out.push(format!("node {} scalar requests disagree with its pods' sum {scalars:?}", node.name));
        }
        let alloc = node.scalar_allocatable();
        if placed_scalars.0.iter().zip(alloc.0).any(|(p, a)| *p > a) {
            out.push(format!("node {} is over its scalar allocatable: {placed_scalars:?} of {alloc:?}", node.name));
        }
        let a = node.allocatable;
        if placed.cpu_millis > a.cpu_millis || placed.memory_bytes > a.memory_bytes || placed_pods > a.pods {
            out.push(format!(
                "node {} is over its allocatable: {sum:?} of {a:?} with {} pods",
                node.name,
                node.pods.len()
            ));
        }
    }
    let mut per_group: Vec<std::collections::BTreeMap<NodeId, u32>> = vec![Default::default(); store.groups.len()];
    let mut with_terminating = per_group.clone();
    for pod in store.pods().values() {
        if let Some(n) = pod.node {
            *with_terminating[pod.group as usize].entry(n).or_default() += 1;
            if pod.is_active() {
                *per_group[pod.group as usize].entry(n).or_default() += 1;
            }
        }
    }
    for (i, (group, counted)) in store.groups.iter().zip(&with_terminating).enumerate() {
        let pods = &group.with_terminating;
        if counted.values().sum::<u32>() != pods.total
            || pods.nodes.len() != counted.len()
            || counted.iter().any(|(n, c)| pods.on_node(*n) != *c)
        {
            out.push(format!("pod group {i} counts with Terminating pods disagree with its pods {counted:?}"));
        }
    }
    for (i, (group, counted)) in store.groups.iter().zip(&per_group).enumerate() {
        let kept: u32 = group.per_node.iter().sum();
        if kept != group.bound
            || counted.values().sum::<u32>() != kept
            || counted.iter().any(|(n, c)| group.on_node(*n) != *c)
        {
            out.push(format!("pod group {i} counts {:?} disagree with its pods {counted:?}", group.per_node));
        }
    }
    for pod in store.pods().values() {
        match pod.owner {
            Some(crate::model::Owner::ReplicaSet(rs)) if !store.replica_set(rs).pods.contains(&pod.id) => {
                out.push(format!("pod {} is missing from its ReplicaSet", pod.name));
            }
            Some(crate::model::Owner::DaemonSet(ds)) if !store.daemon_set(ds).pods.contains_key(&pod.id) => {
                out.push(format!("pod {} is missing from its DaemonSet", pod.name));
            }
            Some(crate::model::Owner::Job(job))
                if !store.job(job).pods.contains_key(&pod.id) && !store.job(job).finished_pods.contains(&pod.id) =>
            {
                out.push(format!("pod {} is missing from its Job", pod.name));
            }
            _ => {}
        }
        if let Some(n) = pod.node {
            if !store.node(n).pods.contains(&pod.id) {
                out.push(format!("pod {} is bound to {} but the node does not list it", pod.name, store.node(n).name));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{node, pod};
    use crate::model::Resources;
    use std::sync::Arc;

    /// The canary: plant violations and make sure each is caught.
    #[test]
    fn canary_catches_planted_violations() {
        let mut store = Store::default();
        let n = store.add_node(|id| {
            let mut x = node(1000, 1000, Resources::default());
            x.id = id;
            x
        });
        let template = Arc::new(pod(&[(800, 10)]).template.as_ref().clone());
        let a = store.create_pod("a".into(), template.clone(), vec![], None, Time::ZERO);
        let b = store.create_pod("b".into(), template, vec![], None, Time::ZERO);
        store.bind(a, n);
        assert!(check_store(&store).is_empty());
        // Over-commit: a second 800m pod on a 1000m node.
        store.bind(b, n);
        assert!(check_store(&store).iter().any(|v| v.contains("over its allocatable")), "{:?}", check_store(&store));
        // A bind to a cordoned or not-ready node.
        store.node_mut(n).unschedulable = true;
        let c = store.create_pod("c".into(), Arc::new(Default::default()), vec![], None, Time::ZERO);
        assert!(check_bind(&store, c, n, BindGuards::default()).unwrap().contains("cordoned"));
        store.node_mut(n).unschedulable = false;
        store.node_mut(n).condition = NodeCondition::Unknown;
        assert!(check_bind(&store, c, n, BindGuards::default()).unwrap().contains("Unknown"));
        // A pod bound twice, and time going backwards.
        let mut checker = Checker::default();
        checker.record_bind(c);
        checker.record_bind(c);
        assert_eq!(checker.take_violations().len(), 1);
        assert!(checker.check_time(Time(10)).is_none());
        assert!(checker.check_time(Time(5)).is_some());
        // Corrupted bookkeeping.
        store.node_mut(n).requested = Resources::default();
        assert!(check_store(&store).iter().any(|v| v.contains("sum to")));
    }
}
