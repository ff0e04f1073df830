//! The Deployment controller: one ReplicaSet per pod template, named
//! `<deployment>-<pod-template-hash>`; RollingUpdate and Recreate rollouts, proportional
//! scaling, revisions, history cleanup and the progress deadline, all through the
//! upstream arithmetic in [`super::rollout`].
//! Upstream: pkg/controller/deployment/{deployment_controller,sync,rolling,recreate,progress}.go.

use super::naming::pod_template_hash;
use super::rollout::{
    self, calculate_status, cleanup_old_replica_sets, max_revision, new_rs_initial_replicas, progress_deadline,
    progress_recheck_after, proportional_scale, recreate_step, replica_annotations, rolling_update_step,
    sync_rollout_progress, DeploymentStatusCounts, ProgressingCondition, ProgressingReason, RecreateStep, RolloutSpec,
    RsSnapshot, RsWrite,
};
use super::Decision;
use crate::engine::{Duration, Time};
use crate::model::{Deployment, DeploymentId, DeploymentStrategy, Pod, ReplicaSet, Store};
use std::collections::BTreeSet;

/// How a rollout ended, as the controller reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutReport {
    /// The Progressing condition became NewReplicaSetAvailable.
    Completed,
    /// The Progressing condition became ProgressDeadlineExceeded (nothing is rolled back).
    DeadlineExceeded,
}

/// What the controller remembers between syncs (what the Deployment's status would hold).
#[derive(Clone, Debug, Default)]
struct DeploymentState {
    status: DeploymentStatusCounts,
    condition: Option<ProgressingCondition>,
    /// The template last hashed and its pod-template-hash (hashing formats the whole
    /// template: done once per template, not once per sync).
    hashed: Option<(std::sync::Arc<crate::model::PodTemplate>, String)>,
}

#[derive(Default)]
pub struct DeploymentController {
    state: Vec<DeploymentState>,
}

/// Pod availability: ready for at least minReadySeconds (strictly longer, as upstream).
/// Upstream: staging/src/k8s.io/kubectl/pkg/util/podutils (IsPodAvailable).
pub fn is_available(pod: &Pod, min_ready: Duration, now: Time) -> bool {
    pod.ready && pod.ready_since.is_some_and(|t| min_ready == Duration::ZERO || t + min_ready < now)
}

/// The ReplicaSet's figures from the store's kept counts; only availability under
/// minReadySeconds (which moves with time) looks at the pods.
fn snapshot(store: &Store, rs: &ReplicaSet, min_ready: Duration, now: Time) -> RsSnapshot {
    let counts = store.rs_counts(rs.id);
    let (current, ready) = (counts.active as i32, counts.ready as i32);
    let available = if min_ready == Duration::ZERO {
        counts.ready_since as i32
    } else {
        store.pods_of(rs.id).filter(|p| p.is_active() && is_available(p, min_ready, now)).count() as i32
    };
    RsSnapshot {
        id: rs.id,
        revision: rs.revision,
        created_seq: u64::from(rs.id.0),
        replicas: rs.replicas as i32,
        current,
        ready,
        available,
        desired_annotation: rs.desired_annotation,
        max_annotation: rs.max_annotation,
    }
}

fn spec_of(d: &Deployment) -> RolloutSpec {
    RolloutSpec { replicas: d.replicas as i32, strategy: d.strategy }
}

fn scale(spec: &RolloutSpec, writes: Vec<RsWrite>) -> impl Iterator<Item = Decision> {
    let (desired, max) = replica_annotations(spec);
    writes.into_iter().map(move |w| Decision::ScaleReplicaSet {
        rs: w.rs,
        replicas: w.replicas.max(0) as u32,
        desired,
        max,
    })
}

impl DeploymentController {
    /// One sync of each queued Deployment (those whose spec, ReplicaSets or pods changed,
    /// or all of them at a resync). Returns the decisions and when to look again (a pod
    /// turning available after minReadySeconds, or the progress deadline).
    pub fn reconcile(
        &mut self,
        store: &Store,
        queued: &BTreeSet<DeploymentId>,
        now: Time,
    ) -> (Vec<Decision>, Option<Time>) {
        let mut out = Vec::new();
        let mut next: Option<Time> = None;
        let mut wake = |t: Time| next = Some(next.map_or(t, |n: Time| n.min(t)));
        self.state.resize(store.deployments.len(), DeploymentState::default());
        for d in queued.iter().map(|&id| store.deployment(id)) {
            let min_ready = d.min_ready_seconds;
            let hashed = &mut self.state[d.id.0 as usize].hashed;
            if !hashed.as_ref().is_some_and(|(t, _)| std::sync::Arc::ptr_eq(t, &d.template)) {
                *hashed = Some((d.template.clone(), pod_template_hash(&d.template, 0)));
            }
            let hash = hashed.as_ref().map(|(_, h)| h.clone()).expect("hashed above");
            let alive: Vec<&ReplicaSet> =
                d.replica_sets.iter().map(|&id| store.replica_set(id)).filter(|rs| !rs.deleted).collect();
            let new = alive.iter().find(|rs| rs.template_hash == hash).map(|rs| snapshot(store, rs, min_ready, now));
            let old: Vec<RsSnapshot> = alive
                .iter()
                .filter(|rs| rs.template_hash != hash)
                .map(|rs| snapshot(store, rs, min_ready, now))
                .collect();
            if min_ready > Duration::ZERO {
                for rs in &alive {
                    for p in
                        store.pods_of(rs.id).filter(|p| p.ready && p.is_active() && !is_available(p, min_ready, now))
                    {
                        wake(p.ready_since.unwrap_or(now) + min_ready + Duration::from_nanos(1));
                    }
                }
            }
            let spec = spec_of(d);
            let before = out.len();
            if d.paused || rollout::is_scaling_event(spec.replicas, new.as_ref(), &old) {
                // sync.go `sync`: scale only (proportionally during a rollout).
                out.extend(scale(
                    &spec,
                    proportional_scale(&spec, new.as_ref(), &old, self.state[d.id.0 as usize].status.replicas),
                ));
                if d.paused || out.len() > before {
                    continue;
                }
            }
            let next_revision = max_revision(&old) + 1;
            if let Some(n) = &new {
                if n.revision < next_revision {
                    out.push(Decision::SetRevision { rs: n.id, revision: next_revision });
                }
            }
            match (spec.strategy, &new) {
                (DeploymentStrategy::RollingUpdate { .. }, None) => {
                    out.push(self.create(d, hash, next_revision, new_rs_initial_replicas(&spec, &old)));
                    continue;
                }
                (DeploymentStrategy::RollingUpdate { .. }, Some(n)) => {
                    out.extend(scale(&spec, rolling_update_step(&spec, n, &old).writes));
                }
                (DeploymentStrategy::Recreate, _) => {
                    let old_pods = old.iter().any(|rs| store.replica_set(rs.id).pods.iter().next().is_some());
                    match recreate_step(&spec, new.as_ref(), &old, old_pods) {
                        RecreateStep::ScaleDownOld(w) => out.extend(scale(&spec, w)),
                        RecreateStep::ScaleUpNew(w) => out.extend(scale(&spec, vec![w])),
                        RecreateStep::CreateNew { replicas } => {
                            out.push(self.create(d, hash, next_revision, replicas));
                            continue;
                        }
                        RecreateStep::WaitForOldPods | RecreateStep::Idle => {}
                    }
                }
            }
            if let Some(t) = self.progress(store, d, new.as_ref(), &old, now, &mut out) {
                wake(t);
            }
        }
        (out, next)
    }

    fn create(&self, d: &Deployment, hash: String, revision: u64, replicas: i32) -> Decision {
        let (desired, max) = replica_annotations(&spec_of(d));
        Decision::CreateReplicaSet {
            deployment: d.id,
            template: d.template.clone(),
            hash,
            revision,
            replicas: replicas.max(0) as u32,
            desired,
            max,
        }
    }

    /// Status, the Progressing condition and history cleanup (syncRolloutStatus,
    /// cleanupDeployment). Returns when to check the deadline again.
    fn progress(
        &mut self,
        store: &Store,
        d: &Deployment,
        new: Option<&RsSnapshot>,
        old: &[RsSnapshot],
        now: Time,
        out: &mut Vec<Decision>,
    ) -> Option<Time> {
        let state = &mut self.state[d.id.0 as usize];
        let status = calculate_status(new, old, d.generation);
        let deadline =
            progress_deadline(Some(d.progress_deadline.as_nanos().div_ceil(1_000_000_000).min(i32::MAX as u64) as i32));
        let before = state.condition;
        let cond =
            sync_rollout_progress(deadline, d.replicas as i32, d.generation, &state.status, &status, before, now);
        let recheck = progress_recheck_after(deadline, d.replicas as i32, d.generation, &status, cond.as_ref(), now);
        let reason = |c: Option<ProgressingCondition>| c.map(|c| c.reason);
        let revision = new.map_or(0, |n| n.revision);
        if reason(cond) != reason(before) {
            match reason(cond) {
                Some(ProgressingReason::NewReplicaSetAvailable) => {
                    out.push(Decision::ReportRollout { deployment: d.id, revision, report: RolloutReport::Completed })
                }
                Some(ProgressingReason::ProgressDeadlineExceeded) => out.push(Decision::ReportRollout {
                    deployment: d.id,
                    revision,
                    report: RolloutReport::DeadlineExceeded,
                }),
                _ => {}
            }
        }
        if reason(cond) == Some(ProgressingReason::NewReplicaSetAvailable) {
            let limit = Some(d.revision_history_limit.min(i32::MAX as u32) as i32);
            for rs in cleanup_old_replica_sets(old, limit) {
                if store.replica_set(rs).pods.is_empty() {
                    out.push(Decision::DeleteReplicaSet { rs });
                }
            }
        }
        state.status = status;
        state.condition = cond;
        recheck.map(|after| now + after)
    }

    /// Forgets the condition (a template change starts a new rollout).
    pub fn id_changed(&mut self, id: DeploymentId) {
        if let Some(s) = self.state.get_mut(id.0 as usize) {
            s.condition = None;
        }
    }
}
