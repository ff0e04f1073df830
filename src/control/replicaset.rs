//! The ReplicaSet controller: keeps `spec.replicas` active pods, creating or deleting the
//! difference. Upstream: pkg/controller/replicaset/replica_set.go (manageReplicas).

use super::{Decision, TerminationReason};
use crate::engine::Time;
use crate::model::{Pod, PodPhase, ReplicaSet, RsId, Store};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Upstream: pkg/controller/replicaset/replica_set.go (BurstReplicas).
pub const BURST_REPLICAS: u32 = 500;

/// Decisions for the queued ReplicaSets whose active pod count differs from their spec
/// (the work queue of upstream's controller: keys whose ReplicaSet or pods changed).
pub fn reconcile(store: &Store, queued: &BTreeSet<RsId>, now: Time) -> Vec<Decision> {
    let mut out = Vec::new();
    for rs in queued.iter().map(|&id| store.replica_set(id)).filter(|rs| !rs.deleted) {
        let have = store.rs_counts(rs.id).active as usize;
        let want = rs.replicas as usize;
        match have.cmp(&want) {
            Ordering::Less => {
                out.push(Decision::CreatePods { rs: rs.id, count: ((want - have) as u32).min(BURST_REPLICAS) })
            }
            Ordering::Greater => {
                let active: Vec<&Pod> = store.pods_of(rs.id).filter(|p| p.is_active()).collect();
                let diff = (have - want).min(BURST_REPLICAS as usize);
                let reason = deletion_reason(store, rs);
                for pod in pods_to_delete(store, rs, active, diff, now) {
                    out.push(Decision::DeletePod { pod, reason });
                }
            }
            Ordering::Equal => {}
        }
    }
    out
}

/// Scaling down an old revision of a Deployment is replacing it; anything else is a scale-down.
fn deletion_reason(store: &Store, rs: &ReplicaSet) -> TerminationReason {
    let newest = rs.deployment.and_then(|d| {
        store.deployment(d).replica_sets.iter().max_by_key(|id| store.replica_set(**id).revision).copied()
    });
    match newest {
        Some(newest) if newest != rs.id => TerminationReason::Replaced,
        _ => TerminationReason::ScaledDown,
    }
}

/// The `diff` pods to delete first, by upstream's ranking.
/// Upstream: pkg/controller/replicaset/replica_set.go (getPodsToDelete) and
/// pkg/controller/controller_utils.go (ActivePodsWithRanks).
fn pods_to_delete(
    store: &Store,
    rs: &ReplicaSet,
    active: Vec<&Pod>,
    diff: usize,
    now: Time,
) -> Vec<crate::model::PodId> {
    // Rank: active pods of the same owner family (all ReplicaSets of the Deployment) on
    // the same node; "doubled-up" pods go first.
    let family: Vec<&Pod> = match rs.deployment {
        Some(d) => store.pods_of_deployment(d).filter(|p| p.is_active()).collect(),
        None => active.clone(),
    };
    let mut per_node: BTreeMap<_, i64> = BTreeMap::new();
    for p in &family {
        if let Some(n) = p.node {
            *per_node.entry(n).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&Pod, i64)> =
        active.into_iter().map(|p| (p, p.node.map_or(0, |n| per_node.get(&n).copied().unwrap_or(0)))).collect();
    ranked.sort_by(|a, b| compare_for_deletion(a.0, a.1, b.0, b.1, now));
    ranked.into_iter().take(diff).map(|(p, _)| p.id).collect()
}

/// `Less` means "delete first". Upstream: controller_utils.go (ActivePodsWithRanks.Less),
/// with LogarithmicScaleDown and PodDeletionCost on (their defaults).
pub fn compare_for_deletion(a: &Pod, rank_a: i64, b: &Pod, rank_b: i64, now: Time) -> Ordering {
    // 1. Unassigned before assigned.
    a.node
        .is_some()
        .cmp(&b.node.is_some())
        // 2. Pending before Running (Unknown does not occur here).
        .then_with(|| phase_order(a).cmp(&phase_order(b)))
        // 3. Not ready before ready.
        .then_with(|| a.ready.cmp(&b.ready))
        // 4. Lower pod-deletion-cost first.
        .then_with(|| a.template.deletion_cost.cmp(&b.template.deletion_cost))
        // 5. Higher rank (more pods of the family on the same node) first.
        .then_with(|| rank_b.cmp(&rank_a))
        // 6. Both ready: more recently ready first, in log2 buckets.
        .then_with(|| {
            if a.ready && b.ready {
                log_bucket(a.ready_since, now).cmp(&log_bucket(b.ready_since, now))
            } else {
                Ordering::Equal
            }
        })
        // 7. More restarts first.
        .then_with(|| b.restarts.cmp(&a.restarts))
        // 8. Newer first, in log2 buckets; then by UID (the random name stands in).
        .then_with(|| log_bucket(Some(a.created), now).cmp(&log_bucket(Some(b.created), now)))
        .then_with(|| a.name.cmp(&b.name))
}

fn phase_order(p: &Pod) -> u8 {
    match p.phase {
        // A terminal pod is never active, so never ranked; upstream's order is Pending < Unknown < Running.
        PodPhase::Pending | PodPhase::Succeeded | PodPhase::Failed => 0,
        PodPhase::Running => 1,
    }
}

/// `floor(log2(now - t in ns))`; a missing time counts as newest.
fn log_bucket(t: Option<Time>, now: Time) -> i64 {
    match t {
        None => -1,
        Some(t) => {
            let age = now.since(t).as_nanos();
            if age == 0 {
                -1
            } else {
                63 - i64::from(age.leading_zeros())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::pod_named;
    use crate::model::NodeId;

    #[test]
    fn deletion_order_follows_upstream_rules() {
        let now = Time::from_secs(1000);
        let unassigned = pod_named("a");
        let mut pending = pod_named("b");
        pending.node = Some(NodeId(0));
        let mut running_unready = pending.clone();
        running_unready.phase = PodPhase::Running;
        let mut ready_old = running_unready.clone();
        ready_old.ready = true;
        ready_old.ready_since = Some(Time::from_secs(10));
        let mut ready_new = ready_old.clone();
        ready_new.ready_since = Some(Time::from_secs(990));
        let order = [&unassigned, &pending, &running_unready, &ready_new, &ready_old];
        for w in order.windows(2) {
            assert_eq!(
                compare_for_deletion(w[0], 1, w[1], 1, now),
                Ordering::Less,
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
        // Doubled-up pods go first among otherwise equal pods.
        assert_eq!(compare_for_deletion(&ready_old, 2, &ready_new, 1, now), Ordering::Less);
        // Ready times within the same power-of-two bucket tie, then restarts decide.
        let mut a = ready_old.clone();
        a.ready_since = Some(Time::from_secs(1000 - 600));
        let mut b = ready_old.clone();
        b.ready_since = Some(Time::from_secs(1000 - 700));
        b.restarts = 3;
        assert_eq!(compare_for_deletion(&b, 1, &a, 1, now), Ordering::Less);
    }
}
