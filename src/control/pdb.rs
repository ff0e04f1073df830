//! PodDisruptionBudgets over the store: the pods a budget selects as the disruption
//! controller reads them, the budget's status, and the eviction subresource's verdict for
//! a pod. All arithmetic is [`super::disruption`]'s (the one PDB implementation); this
//! file only turns store objects into its inputs.
//!
//! The disruption controller syncs instantly here (controllers settle within an instant),
//! and an approved eviction deletes the pod in the same step, so `status.disruptedPods`
//! never holds a live pod: every `disrupted_at` is `None`.

use super::disruption::{self, EvictPhase, Eviction, EvictionPod, PdbBudget, PdbPod, PdbStatus, PdbView};
use crate::engine::Time;
use crate::model::{Pod, PodDisruptionBudget, PodPhase, Store};

/// `spec.minAvailable` / `spec.maxUnavailable` as the arithmetic takes them (maxUnavailable
/// wins if both were set; validation allows only one).
pub fn budget(pdb: &PodDisruptionBudget) -> PdbBudget {
    match (pdb.min_available, pdb.max_unavailable) {
        (_, Some(max)) => PdbBudget::MaxUnavailable(max),
        (Some(min), None) => PdbBudget::MinAvailable(min),
        (None, None) => PdbBudget::Unset,
    }
}

/// Every pod of the budget's namespace its selector matches, terminating and pending ones included.
// Upstream: pkg/controller/disruption/disruption.go (getPodsForPdb lists the pods of the selector in pdb.Namespace).
pub fn matching_pods<'s>(store: &'s Store, pdb: &'s PodDisruptionBudget) -> impl Iterator<Item = &'s Pod> + 's {
    store.pods().values().filter(move |p| pdb.selects(p))
}

/// One pod as the disruption controller reads it: the scale that counts for it is its
/// Deployment's when its ReplicaSet has one, else its ReplicaSet's; bare pods have none.
// Upstream: disruption.go (getExpectedScale with the Deployment and ReplicaSet finders).
pub fn pdb_pod(store: &Store, pod: &Pod) -> PdbPod {
    // DaemonSets are not among upstream's scale finders (they have no scale subresource).
    let controller = pod.replica_set().map(|rs| {
        let r = store.replica_set(rs);
        match r.deployment {
            Some(d) => ((1 << 32) | u64::from(d.0), store.deployment(d).replicas as i32),
            None => (u64::from(rs.0), r.replicas as i32),
        }
    });
    PdbPod { ready: pod.ready, deleting: !pod.is_active(), controller, disrupted_at: None }
}

/// The budget's status as a disruption-controller sync would write it now.
pub fn status(store: &Store, pdb: &PodDisruptionBudget) -> PdbStatus {
    let pods: Vec<PdbPod> = matching_pods(store, pdb).map(|p| pdb_pod(store, p)).collect();
    // No entry has a disruption time, so the clock does not matter.
    disruption::pdb_status(budget(pdb), &pods, Time::ZERO)
}

/// `status.disruptionsAllowed`, as preemption reads it.
pub fn disruptions_allowed(store: &Store, pdb: &PodDisruptionBudget) -> i64 {
    i64::from(status(store, pdb).disruptions_allowed)
}

/// What `POST pods/<name>/eviction` answers for `pod`, given every budget that selects it.
// Upstream: pkg/registry/core/pod/storage/eviction.go (EvictionREST.Create, getPodDisruptionBudgets).
pub fn eviction_verdict(store: &Store, pod: &Pod) -> Eviction {
    let phase = match pod.phase {
        PodPhase::Pending => EvictPhase::Pending,
        PodPhase::Running => EvictPhase::Running,
        PodPhase::Succeeded => EvictPhase::Succeeded,
        PodPhase::Failed => EvictPhase::Failed,
    };
    let target = EvictionPod { phase, deleting: !pod.is_active(), ready: pod.ready };
    let budgets: Vec<(&PodDisruptionBudget, PdbStatus)> =
        store.pdbs.iter().filter(|b| b.selects(pod)).map(|b| (b, status(store, b))).collect();
    let views: Vec<PdbView> = budgets
        .iter()
        .map(|(b, s)| PdbView {
            name: &b.name,
            current_healthy: s.current_healthy,
            desired_healthy: s.desired_healthy,
            disruptions_allowed: s.disruptions_allowed,
            disrupted_pods: s.disrupted_pods.len(),
            observed: true,
            unhealthy_pod_eviction_policy: b.unhealthy_pod_eviction_policy,
        })
        .collect();
    disruption::evict(&target, &views)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Deployment, DeploymentId, DeploymentStrategy, IntOrPercent, LabelSelector, NamespaceId, NodeId, PodTemplate,
        ReplicaSet, UnhealthyPodEvictionPolicy,
    };
    use std::sync::Arc;

    /// A Deployment `web` of `replicas` (scale) with `ready` ready pods and `unready` others.
    fn store(replicas: u32, ready: usize, unready: usize) -> Store {
        let mut s = Store::default();
        s.add_node(|id| {
            let mut n = crate::model::testing::node(100_000, 1 << 40, Default::default());
            n.id = id;
            n
        });
        let mut template = PodTemplate::default();
        template.labels.insert("app".into(), "web".into());
        let template = Arc::new(template);
        let selector = LabelSelector { match_labels: template.labels.clone(), ..Default::default() };
        s.deployments.push(Deployment {
            id: DeploymentId(0),
            name: "web".into(),
            namespace: NamespaceId::DEFAULT,
            replicas,
            selector: selector.clone(),
            template: template.clone(),
            strategy: DeploymentStrategy::Recreate,
            min_ready_seconds: Default::default(),
            revision_history_limit: 10,
            progress_deadline: Default::default(),
            paused: false,
            replica_sets: Vec::new(),
            generation: 1,
        });
        let rs = s.add_replica_set(|id, group| ReplicaSet {
            deployment: Some(DeploymentId(0)),
            template_hash: "1".into(),
            revision: 1,
            ..ReplicaSet::standalone(id, group, "web-1".into(), selector, template.clone(), replicas, Time::ZERO)
        });
        for i in 0..ready + unready {
            let id = s.create_pod(
                format!("web-{i}"),
                template.clone(),
                Vec::new(),
                Some(crate::model::Owner::ReplicaSet(rs)),
                Time::ZERO,
            );
            s.bind(id, NodeId(0));
            let p = s.pod_mut(id);
            p.phase = PodPhase::Running;
            p.ready = i < ready;
        }
        s
    }

    fn pdb(min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> PodDisruptionBudget {
        let mut selector = LabelSelector::default();
        selector.match_labels.insert("app".into(), "web".into());
        PodDisruptionBudget {
            name: "web".into(),
            namespace: NamespaceId::DEFAULT,
            selector,
            min_available: min,
            max_unavailable: max,
            unhealthy_pod_eviction_policy: None,
        }
    }

    #[test]
    fn status_counts_the_deployment_scale_and_ready_pods() {
        let s = store(4, 3, 1);
        let max1 = status(&s, &pdb(None, Some(IntOrPercent::Int(1))));
        assert_eq!((max1.expected_pods, max1.desired_healthy, max1.current_healthy), (4, 3, 3));
        assert_eq!(max1.disruptions_allowed, 0, "one pod is already unavailable");
        let min2 = status(&s, &pdb(Some(IntOrPercent::Int(2)), None));
        assert_eq!(min2.disruptions_allowed, 1);
        let half = status(&s, &pdb(Some(IntOrPercent::Percent(50)), None));
        assert_eq!((half.desired_healthy, half.disruptions_allowed), (2, 1));
    }

    #[test]
    fn terminating_pods_are_not_healthy_but_count_for_integer_min_available() {
        let mut s = store(3, 3, 0);
        let first = *s.pods().keys().next().unwrap();
        s.mark_terminating(first, Time::ZERO);
        let st = status(&s, &pdb(Some(IntOrPercent::Int(2)), None));
        assert_eq!((st.expected_pods, st.current_healthy, st.disruptions_allowed), (3, 2, 0));
        assert_eq!(disruptions_allowed(&s, &pdb(Some(IntOrPercent::Int(1)), None)), 1);
    }

    #[test]
    fn eviction_verdicts_follow_the_budget() {
        let mut s = store(3, 3, 0);
        s.pdbs.push(pdb(Some(IntOrPercent::Int(2)), None));
        let pods: Vec<_> = s.pods().keys().copied().collect();
        assert_eq!(eviction_verdict(&s, s.pod(pods[0])), Eviction::EvictedWithinBudget);
        s.remove_pod(pods[0]);
        assert!(matches!(eviction_verdict(&s, s.pod(pods[1])), Eviction::TooManyRequests { .. }));
        // A pending pod is evicted without consulting the budget.
        s.pod_mut(pods[1]).phase = PodPhase::Pending;
        assert_eq!(eviction_verdict(&s, s.pod(pods[1])), Eviction::Evicted);
        // An unready pod with AlwaysAllow is let go; under IfHealthyBudget it is not.
        s.pod_mut(pods[1]).phase = PodPhase::Running;
        s.pod_mut(pods[1]).ready = false;
        assert!(matches!(eviction_verdict(&s, s.pod(pods[1])), Eviction::TooManyRequests { .. }));
        s.pdbs[0].unhealthy_pod_eviction_policy = Some(UnhealthyPodEvictionPolicy::AlwaysAllow);
        assert_eq!(eviction_verdict(&s, s.pod(pods[1])), Eviction::Evicted);
        // Two budgets over one pod: the eviction subresource refuses with a 500.
        s.pdbs.push(pdb(Some(IntOrPercent::Int(0)), None));
        assert!(matches!(eviction_verdict(&s, s.pod(pods[2])), Eviction::Failure { .. }));
    }
}
