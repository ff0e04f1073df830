//! The Deployment controller's rollout arithmetic as pure functions: fence posts, the
//! rolling-update step (new ReplicaSet up, old ones down), proportional scaling while a
//! rollout is in flight, Recreate, status and the Progressing condition, revision
//! bookkeeping, history cleanup and `kubectl rollout undo` target selection.
//!
//! Nothing here reads the `Store`: the caller describes each ReplicaSet as an
//! [`RsSnapshot`] and applies the returned [`RsWrite`]s. Upstream sources:
//! pkg/controller/deployment/{rolling.go, recreate.go, sync.go, progress.go},
//! pkg/controller/deployment/util/deployment_util.go, pkg/controller/controller_utils.go and
//! staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go (current master).
//!
//! Not modelled: the `DeploymentPodReplacementPolicy` feature (`podReplacementPolicy:
//! TerminationComplete`, the `replicaset-replicas-before-scale` annotation and
//! `status.terminatingReplicas` in the surge arithmetic). With the field unset, upstream
//! behaves exactly as here.

use crate::engine::{Duration, Time};
use crate::model::{DeploymentStrategy, IntOrPercent, RsId};
use std::cmp::Ordering;

/// Upstream: pkg/controller/deployment/sync.go (maxRevHistoryLengthInChars).
pub const REVISION_HISTORY_MAX_CHARS: usize = 2000;

/// The Deployment fields the rollout arithmetic reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RolloutSpec {
    /// `spec.replicas`.
    pub replicas: i32,
    pub strategy: DeploymentStrategy,
}

impl RolloutSpec {
    pub fn rolling(replicas: i32, max_surge: IntOrPercent, max_unavailable: IntOrPercent) -> Self {
        RolloutSpec { replicas, strategy: DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } }
    }

    pub fn recreate(replicas: i32) -> Self {
        RolloutSpec { replicas, strategy: DeploymentStrategy::Recreate }
    }
}

/// What the Deployment controller reads from one of its ReplicaSets.
///
/// `created_seq` orders ReplicaSets by age (smaller = older); it stands in for
/// `creationTimestamp`, and `id` for the name upstream uses to break ties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsSnapshot {
    pub id: RsId,
    /// `deployment.kubernetes.io/revision`.
    pub revision: u64,
    pub created_seq: u64,
    /// `spec.replicas`.
    pub replicas: i32,
    /// `status.replicas`: pods not being deleted.
    pub current: i32,
    /// `status.readyReplicas`.
    pub ready: i32,
    /// `status.availableReplicas` (ready for at least `minReadySeconds`).
    pub available: i32,
    /// `deployment.kubernetes.io/desired-replicas` (None: absent or not a non-negative int).
    pub desired_annotation: Option<i32>,
    /// `deployment.kubernetes.io/max-replicas` (None: absent or not a non-negative int).
    pub max_annotation: Option<i32>,
}

impl RsSnapshot {
    /// A ReplicaSet with `replicas` in its spec, empty status and no annotations.
    pub fn new(id: RsId, created_seq: u64, replicas: i32) -> Self {
        RsSnapshot {
            id,
            revision: 0,
            created_seq,
            replicas,
            current: 0,
            ready: 0,
            available: 0,
            desired_annotation: None,
            max_annotation: None,
        }
    }

    pub fn with_status(mut self, current: i32, ready: i32, available: i32) -> Self {
        self.current = current;
        self.ready = ready;
        self.available = available;
        self
    }

    pub fn with_available(mut self, available: i32) -> Self {
        self.available = available;
        self
    }

    pub fn with_annotations(mut self, desired: i32, max: i32) -> Self {
        self.desired_annotation = Some(desired);
        self.max_annotation = Some(max);
        self
    }

    pub fn with_revision(mut self, revision: u64) -> Self {
        self.revision = revision;
        self
    }
}

/// One ReplicaSet update the controller sends. Upstream (sync.go scaleReplicaSet) every such
/// update also sets the annotations to [`replica_annotations`] of the Deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsWrite {
    pub rs: RsId,
    pub replicas: i32,
}

/// Oldest first; ties by id. Upstream: pkg/controller/controller_utils.go (ReplicaSetsByCreationTimestamp).
fn older_first(a: &RsSnapshot, b: &RsSnapshot) -> Ordering {
    a.created_seq.cmp(&b.created_seq).then(a.id.cmp(&b.id))
}

fn sum(rss: &[RsSnapshot], f: impl Fn(&RsSnapshot) -> i32) -> i32 {
    rss.iter().map(f).sum()
}

fn active(rss: &[RsSnapshot]) -> Vec<RsSnapshot> {
    // Upstream: pkg/controller/controller_utils.go (FilterActiveReplicaSets: spec.replicas > 0).
    rss.iter().filter(|rs| rs.replicas > 0).cloned().collect()
}

// ---------------------------------------------------------------------------------------
// Fence posts
// ---------------------------------------------------------------------------------------

/// `(maxSurge, maxUnavailable)` for `desired` replicas: surge rounds up, unavailable down,
/// and if both come out 0 unavailable becomes 1.
// Upstream: pkg/controller/deployment/util/deployment_util.go (ResolveFenceposts).
pub fn resolve_fenceposts(max_surge: IntOrPercent, max_unavailable: IntOrPercent, desired: i32) -> (i32, i32) {
    let surge = max_surge.scaled(i64::from(desired), true) as i32;
    let mut unavailable = max_unavailable.scaled(i64::from(desired), false) as i32;
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// Pods a rollout may run above `replicas`; 0 for Recreate.
// Upstream: deployment_util.go (MaxSurge).
pub fn max_surge(spec: &RolloutSpec) -> i32 {
    match spec.strategy {
        DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => {
            resolve_fenceposts(max_surge, max_unavailable, spec.replicas).0
        }
        DeploymentStrategy::Recreate => 0,
    }
}

/// Pods a rollout may have unavailable; 0 for Recreate or 0 replicas, at most `replicas`.
// Upstream: deployment_util.go (MaxUnavailable).
pub fn max_unavailable(spec: &RolloutSpec) -> i32 {
    match spec.strategy {
        DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } if spec.replicas != 0 => {
            resolve_fenceposts(max_surge, max_unavailable, spec.replicas).1.min(spec.replicas)
        }
        _ => 0,
    }
}

/// `replicas - maxUnavailable`; 0 for Recreate.
// Upstream: deployment_util.go (MinAvailable).
pub fn min_available(spec: &RolloutSpec) -> i32 {
    match spec.strategy {
        DeploymentStrategy::RollingUpdate { .. } => spec.replicas - max_unavailable(spec),
        DeploymentStrategy::Recreate => 0,
    }
}

/// `(desired-replicas, max-replicas)` annotation values every ReplicaSet write carries.
// Upstream: sync.go (scaleReplicaSet -> SetReplicasAnnotations(rs, replicas, replicas+MaxSurge)).
pub fn replica_annotations(spec: &RolloutSpec) -> (i32, i32) {
    (spec.replicas, spec.replicas + max_surge(spec))
}

// ---------------------------------------------------------------------------------------
// Rolling update
// ---------------------------------------------------------------------------------------

/// The size the new ReplicaSet may grow to now. `old` is every old ReplicaSet.
// Upstream: deployment_util.go (NewRSNewReplicas), PodReplacementPolicy unset.
pub fn new_rs_new_replicas(spec: &RolloutSpec, new: &RsSnapshot, old: &[RsSnapshot]) -> i32 {
    if spec.replicas == 0 {
        return 0;
    }
    match spec.strategy {
        DeploymentStrategy::RollingUpdate { max_surge, .. } => {
            let surge = max_surge.scaled(i64::from(spec.replicas), true) as i32;
            let current = new.replicas + sum(old, |rs| rs.replicas);
            let max_total = spec.replicas + surge;
            if current >= max_total {
                return new.replicas;
            }
            new.replicas + (max_total - current).min(spec.replicas - new.replicas)
        }
        DeploymentStrategy::Recreate => spec.replicas,
    }
}

/// The size a new ReplicaSet is created with (the rollout's first sync).
// Upstream: sync.go (getNewReplicaSet: NewRSNewReplicas with the new RS at 0).
pub fn new_rs_initial_replicas(spec: &RolloutSpec, old: &[RsSnapshot]) -> i32 {
    let zero = RsSnapshot::new(RsId(u32::MAX), u64::MAX, 0);
    new_rs_new_replicas(spec, &zero, old)
}

/// reconcileNewReplicaSet: the new ReplicaSet's next size, or None if it stays. Scales it
/// down to `replicas` if it is above, else up by the surge budget.
// Upstream: pkg/controller/deployment/rolling.go (reconcileNewReplicaSet).
pub fn new_rs_scale_up(spec: &RolloutSpec, new: &RsSnapshot, old: &[RsSnapshot]) -> Option<i32> {
    if new.replicas == spec.replicas {
        return None;
    }
    if new.replicas > spec.replicas {
        return Some(spec.replicas);
    }
    let next = new_rs_new_replicas(spec, new, old);
    (next != new.replicas).then_some(next)
}

/// Result of cleanupUnhealthyReplicas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cleanup {
    /// The old ReplicaSets oldest first, with their cut sizes.
    pub old: Vec<RsSnapshot>,
    pub writes: Vec<RsWrite>,
    /// Replicas removed in total.
    pub count: i32,
    /// Upstream hit its "invalid request to scale down" error (an old ReplicaSet reported
    /// more available pods than its spec): the writes made so far stand, the scale-down
    /// of this sync ends there and reports no scaling.
    pub aborted: bool,
}

/// Scales old ReplicaSets (oldest first) down by their unavailable pods, at most
/// `max_cleanup` in total. `old_active` are the old ReplicaSets with spec.replicas > 0.
// Upstream: rolling.go (cleanupUnhealthyReplicas).
pub fn cleanup_unhealthy_replicas(old_active: &[RsSnapshot], max_cleanup: i32) -> Cleanup {
    let mut old = old_active.to_vec();
    old.sort_by(older_first);
    let mut writes = Vec::new();
    let mut total = 0;
    for rs in old.iter_mut() {
        if total >= max_cleanup {
            break;
        }
        if rs.replicas == 0 || rs.replicas == rs.available {
            continue;
        }
        let cut = (max_cleanup - total).min(rs.replicas - rs.available);
        let next = rs.replicas - cut;
        if next > rs.replicas {
            return Cleanup { old, writes, count: 0, aborted: true };
        }
        writes.push(RsWrite { rs: rs.id, replicas: next });
        total += cut;
        rs.replicas = next;
    }
    Cleanup { old, writes, count: total, aborted: false }
}

/// Scales old ReplicaSets (oldest first) down by `available - minAvailable`, where
/// available counts `old_active` and `new` (status as read at the start of the sync).
/// Returns the writes and the replicas removed.
// Upstream: rolling.go (scaleDownOldReplicaSetsForRollingUpdate).
pub fn scale_down_old_for_rolling_update(
    spec: &RolloutSpec,
    new: Option<&RsSnapshot>,
    old_active: &[RsSnapshot],
) -> (Vec<RsWrite>, i32) {
    let min_available = spec.replicas - max_unavailable(spec);
    let available = sum(old_active, |rs| rs.available) + new.map_or(0, |rs| rs.available);
    if available <= min_available {
        return (Vec::new(), 0);
    }
    let mut old = old_active.to_vec();
    old.sort_by(older_first);
    let budget = available - min_available;
    let mut writes = Vec::new();
    let mut total = 0;
    for rs in &old {
        if total >= budget {
            break;
        }
        if rs.replicas == 0 {
            continue;
        }
        let cut = rs.replicas.min(budget - total);
        writes.push(RsWrite { rs: rs.id, replicas: rs.replicas - cut });
        total += cut;
    }
    (writes, total)
}

/// Result of reconcileOldReplicaSets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OldScaleDown {
    pub writes: Vec<RsWrite>,
    /// Something was scaled down: upstream ends the sync here (status update only).
    pub scaled: bool,
}

/// reconcileOldReplicaSets: `maxScaledDown = allPods - minAvailable - newUnavailable`;
/// unhealthy old replicas go first, then available ones down to minAvailable.
/// `old` is every old ReplicaSet (inactive ones included).
// Upstream: rolling.go (reconcileOldReplicaSets).
pub fn old_rs_scale_down(spec: &RolloutSpec, new: &RsSnapshot, old: &[RsSnapshot]) -> OldScaleDown {
    let old_active = active(old);
    if sum(&old_active, |rs| rs.replicas) == 0 {
        return OldScaleDown::default();
    }
    let all_pods = sum(old, |rs| rs.replicas) + new.replicas;
    let min_available = spec.replicas - max_unavailable(spec);
    let new_unavailable = new.replicas - new.available;
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return OldScaleDown::default();
    }
    let cleanup = cleanup_unhealthy_replicas(&old_active, max_scaled_down);
    if cleanup.aborted {
        return OldScaleDown { writes: cleanup.writes, scaled: false };
    }
    // The second pass sees the cut spec sizes but the status read at the start of the sync.
    let (more, count) = scale_down_old_for_rolling_update(spec, Some(new), &cleanup.old);
    let mut writes = cleanup.writes;
    writes.extend(more);
    OldScaleDown { writes, scaled: cleanup.count + count > 0 }
}

/// How a rolling-update sync ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The new ReplicaSet was resized; the sync stops (status update only).
    NewScaled,
    /// Old ReplicaSets were scaled down; the sync stops (status update only).
    OldScaledDown,
    /// Nothing scaled: upstream now deletes surplus history if the Deployment is complete
    /// ([`deployment_complete`], [`cleanup_old_replica_sets`]) and updates status.
    Idle,
}

/// One rolling-update sync over an existing new ReplicaSet (create it first with
/// [`new_rs_initial_replicas`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollingStep {
    pub writes: Vec<RsWrite>,
    pub outcome: StepOutcome,
}

/// rolloutRolling: scale the new ReplicaSet up if possible, else old ones down.
// Upstream: rolling.go (rolloutRolling).
pub fn rolling_update_step(spec: &RolloutSpec, new: &RsSnapshot, old: &[RsSnapshot]) -> RollingStep {
    if let Some(replicas) = new_rs_scale_up(spec, new, old) {
        return RollingStep { writes: vec![RsWrite { rs: new.id, replicas }], outcome: StepOutcome::NewScaled };
    }
    let down = old_rs_scale_down(spec, new, old);
    let outcome = if down.scaled { StepOutcome::OldScaledDown } else { StepOutcome::Idle };
    RollingStep { writes: down.writes, outcome }
}

// ---------------------------------------------------------------------------------------
// Recreate
// ---------------------------------------------------------------------------------------

/// One Recreate sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecreateStep {
    /// Old ReplicaSets scaled to 0; the sync stops.
    ScaleDownOld(Vec<RsWrite>),
    /// Old pods still exist; nothing else happens this sync.
    WaitForOldPods,
    /// No new ReplicaSet yet: create it with this size.
    CreateNew { replicas: i32 },
    /// Scale the new ReplicaSet to `spec.replicas`.
    ScaleUpNew(RsWrite),
    /// Nothing to do: upstream deletes surplus history if complete, then updates status.
    Idle,
}

/// rolloutRecreate: old ReplicaSets to 0 first; the new one is created and scaled up only
/// once no old pod remains. `old_pods_present`: some pod of an old ReplicaSet still exists
/// and is not Succeeded/Failed (terminating pods count); old `status.replicas` also counts.
// Upstream: pkg/controller/deployment/recreate.go (rolloutRecreate, oldPodsRunning).
pub fn recreate_step(
    spec: &RolloutSpec,
    new: Option<&RsSnapshot>,
    old: &[RsSnapshot],
    old_pods_present: bool,
) -> RecreateStep {
    let writes: Vec<RsWrite> = active(old).iter().map(|rs| RsWrite { rs: rs.id, replicas: 0 }).collect();
    if !writes.is_empty() {
        return RecreateStep::ScaleDownOld(writes);
    }
    if sum(old, |rs| rs.current) > 0 || old_pods_present {
        return RecreateStep::WaitForOldPods;
    }
    match new {
        None => RecreateStep::CreateNew { replicas: new_rs_initial_replicas(spec, old) },
        Some(rs) if rs.replicas != spec.replicas => {
            RecreateStep::ScaleUpNew(RsWrite { rs: rs.id, replicas: spec.replicas })
        }
        Some(_) => RecreateStep::Idle,
    }
}

// ---------------------------------------------------------------------------------------
// Proportional scaling (a Deployment resized mid-rollout, or while paused)
// ---------------------------------------------------------------------------------------

/// The only active ReplicaSet, or the newest one if none is active; None if several are
/// active (then they scale proportionally).
// Upstream: deployment_util.go (FindActiveOrLatest).
pub fn find_active_or_latest<'a>(new: Option<&'a RsSnapshot>, old: &'a [RsSnapshot]) -> Option<&'a RsSnapshot> {
    let mut newest_first: Vec<&RsSnapshot> = old.iter().collect();
    newest_first.sort_by(|a, b| older_first(b, a));
    let actives: Vec<&RsSnapshot> = newest_first.iter().copied().chain(new).filter(|rs| rs.replicas > 0).collect();
    match actives.len() {
        0 => new.or(newest_first.first().copied()),
        1 => Some(actives[0]),
        _ => None,
    }
}

/// The new ReplicaSet owns all `replicas` and they are all available.
// Upstream: deployment_util.go (IsSaturated).
pub fn is_saturated(spec_replicas: i32, rs: Option<&RsSnapshot>) -> bool {
    rs.is_some_and(|rs| {
        rs.replicas == spec_replicas && rs.desired_annotation == Some(spec_replicas) && rs.available == spec_replicas
    })
}

/// Go's k8s.io/utils/integer.RoundToInt32: half away from zero, by truncation.
fn round_to_i32(a: f64) -> i32 {
    if a < 0.0 {
        (a - 0.5) as i32
    } else {
        (a + 0.5) as i32
    }
}

/// How many replicas `rs` should gain (or lose) when the Deployment becomes `spec`:
/// `round(rs.replicas * (replicas + maxSurge) / max-replicas annotation) - rs.replicas`.
/// A missing or zero annotation falls back to `status_replicas` (the Deployment's
/// status.replicas); if that is 0 too the fraction is 0.
// Upstream: deployment_util.go (getReplicaSetFraction).
pub fn get_replica_set_fraction(rs: &RsSnapshot, spec: &RolloutSpec, status_replicas: i32) -> i32 {
    if spec.replicas == 0 {
        return -rs.replicas;
    }
    let deployment_max = spec.replicas + max_surge(spec);
    let before = match rs.max_annotation {
        Some(v) if v != 0 => v,
        _ if status_replicas == 0 => return 0,
        _ => status_replicas,
    };
    // Upstream multiplies in int32; i64 here cannot overflow.
    let new_size = (i64::from(rs.replicas) * i64::from(deployment_max)) as f64 / f64::from(before);
    round_to_i32(new_size) - rs.replicas
}

/// The fraction, capped by what is still left to add (`to_add - added`).
// Upstream: deployment_util.go (getReplicaSetProportion / GetProportion).
pub fn get_proportion(rs: &RsSnapshot, spec: &RolloutSpec, status_replicas: i32, to_add: i32, added: i32) -> i32 {
    if rs.replicas == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = get_replica_set_fraction(rs, spec, status_replicas);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// Target sizes for `all_active` (already in upstream's order: by size descending, newer
/// first when adding, older first when removing); the leftover goes to the first one.
// Upstream: deployment_util.go (PrepareProportionalScalePlan) and sync.go (scale).
pub fn proportional_plan(
    all_active: &[RsSnapshot],
    spec: &RolloutSpec,
    status_replicas: i32,
    to_add: i32,
) -> Vec<(RsId, i32)> {
    let mut added = 0;
    let mut plan: Vec<(RsId, i32)> = Vec::with_capacity(all_active.len());
    for rs in all_active {
        if to_add != 0 {
            let p = get_proportion(rs, spec, status_replicas, to_add, added);
            plan.push((rs.id, rs.replicas + p));
            added += p;
        } else {
            plan.push((rs.id, rs.replicas));
        }
    }
    if to_add != 0 {
        if let Some(first) = plan.first_mut() {
            let leftover = to_add - added;
            first.1 = (first.1 + leftover).max(0);
        }
    }
    plan
}

/// sync.go `scale`: the ReplicaSet writes when the Deployment is resized during a rollout
/// (or while paused). `status_replicas` is the Deployment's status.replicas.
// Upstream: pkg/controller/deployment/sync.go (scale).
pub fn proportional_scale(
    spec: &RolloutSpec,
    new: Option<&RsSnapshot>,
    old: &[RsSnapshot],
    status_replicas: i32,
) -> Vec<RsWrite> {
    if let Some(rs) = find_active_or_latest(new, old) {
        if rs.replicas == spec.replicas {
            return Vec::new();
        }
        return vec![RsWrite { rs: rs.id, replicas: spec.replicas }];
    }
    // FindActiveOrLatest sorted the old ReplicaSets newest first in place.
    let mut old_newest_first = old.to_vec();
    old_newest_first.sort_by(|a, b| older_first(b, a));
    if is_saturated(spec.replicas, new) {
        return active(&old_newest_first).iter().map(|rs| RsWrite { rs: rs.id, replicas: 0 }).collect();
    }
    if !matches!(spec.strategy, DeploymentStrategy::RollingUpdate { .. }) {
        return Vec::new();
    }
    let mut all = active(&old_newest_first);
    all.extend(new.filter(|rs| rs.replicas > 0).cloned());
    let all_replicas = sum(&all, |rs| rs.replicas);
    let allowed = if spec.replicas > 0 { spec.replicas + max_surge(spec) } else { 0 };
    let to_add = allowed - all_replicas;
    match to_add.cmp(&0) {
        // Upstream: controller_utils.go (ReplicaSetsBySizeNewer).
        Ordering::Greater => all.sort_by(|a, b| b.replicas.cmp(&a.replicas).then_with(|| older_first(b, a))),
        // Upstream: controller_utils.go (ReplicaSetsBySizeOlder).
        Ordering::Less => all.sort_by(|a, b| b.replicas.cmp(&a.replicas).then_with(|| older_first(a, b))),
        Ordering::Equal => {}
    }
    let (desired, max) = replica_annotations(spec);
    proportional_plan(&all, spec, status_replicas, to_add)
        .into_iter()
        .zip(&all)
        .filter(|((_, size), rs)| {
            // scaleReplicaSet writes if the size or the annotations change.
            *size != rs.replicas || rs.desired_annotation != Some(desired) || rs.max_annotation != Some(max)
        })
        .map(|((id, size), _)| RsWrite { rs: id, replicas: size })
        .collect()
}

/// Some active ReplicaSet's desired-replicas annotation differs from `spec_replicas`: the
/// Deployment was resized, so upstream runs [`proportional_scale`] instead of a rollout step.
// Upstream: sync.go (isScalingEvent).
pub fn is_scaling_event(spec_replicas: i32, new: Option<&RsSnapshot>, old: &[RsSnapshot]) -> bool {
    old.iter()
        .chain(new)
        .filter(|rs| rs.replicas > 0)
        .any(|rs| rs.desired_annotation.is_some_and(|d| d != spec_replicas))
}

// ---------------------------------------------------------------------------------------
// Status, completeness, progress
// ---------------------------------------------------------------------------------------

/// The counters of a Deployment's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeploymentStatusCounts {
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub unavailable: i32,
    pub observed_generation: i64,
}

/// status from the ReplicaSets. `generation` is the Deployment's metadata.generation.
// Upstream: sync.go (calculateStatus).
pub fn calculate_status(new: Option<&RsSnapshot>, old: &[RsSnapshot], generation: i64) -> DeploymentStatusCounts {
    let all: Vec<RsSnapshot> = old.iter().chain(new).cloned().collect();
    let available = sum(&all, |rs| rs.available);
    let total = sum(&all, |rs| rs.replicas);
    DeploymentStatusCounts {
        replicas: sum(&all, |rs| rs.current),
        updated: new.map_or(0, |rs| rs.current),
        ready: sum(&all, |rs| rs.ready),
        available,
        unavailable: (total - available).max(0),
        observed_generation: generation,
    }
}

/// The Available condition: at least `replicas - maxUnavailable` available.
// Upstream: sync.go (calculateStatus, MinimumReplicasAvailable).
pub fn has_minimum_availability(spec: &RolloutSpec, available: i32) -> bool {
    available >= spec.replicas - max_unavailable(spec)
}

/// All desired replicas updated and available, no old pods left.
// Upstream: deployment_util.go (DeploymentComplete).
pub fn deployment_complete(spec_replicas: i32, generation: i64, s: &DeploymentStatusCounts) -> bool {
    s.updated == spec_replicas
        && s.replicas == spec_replicas
        && s.available == spec_replicas
        && s.observed_generation >= generation
}

/// Progress since `old`: more updated pods, fewer old pods, more ready or more available.
// Upstream: deployment_util.go (DeploymentProgressing).
pub fn deployment_progressing(old: &DeploymentStatusCounts, new: &DeploymentStatusCounts) -> bool {
    let old_old = old.replicas - old.updated;
    let new_old = new.replicas - new.updated;
    new.updated > old.updated || new_old < old_old || new.ready > old.ready || new.available > old.available
}

/// A condition's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

/// Reasons of the Progressing condition.
// Upstream: deployment_util.go (the *Reason constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressingReason {
    NewReplicaSetCreated,
    FoundNewReplicaSet,
    ReplicaSetUpdated,
    NewReplicaSetAvailable,
    ProgressDeadlineExceeded,
    DeploymentPaused,
    DeploymentResumed,
    ReplicaSetCreateError,
}

impl ProgressingReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressingReason::NewReplicaSetCreated => "NewReplicaSetCreated",
            ProgressingReason::FoundNewReplicaSet => "FoundNewReplicaSet",
            ProgressingReason::ReplicaSetUpdated => "ReplicaSetUpdated",
            ProgressingReason::NewReplicaSetAvailable => "NewReplicaSetAvailable",
            ProgressingReason::ProgressDeadlineExceeded => "ProgressDeadlineExceeded",
            ProgressingReason::DeploymentPaused => "DeploymentPaused",
            ProgressingReason::DeploymentResumed => "DeploymentResumed",
            ProgressingReason::ReplicaSetCreateError => "ReplicaSetCreateError",
        }
    }
}

/// The Deployment's Progressing condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgressingCondition {
    pub status: ConditionStatus,
    pub reason: ProgressingReason,
    pub last_update: Time,
    pub last_transition: Time,
}

/// Sets a condition: unchanged if status and reason are the same; the transition time is
/// kept if only the reason changes.
// Upstream: deployment_util.go (SetDeploymentCondition).
pub fn set_progressing(
    current: Option<ProgressingCondition>,
    status: ConditionStatus,
    reason: ProgressingReason,
    now: Time,
) -> ProgressingCondition {
    match current {
        Some(c) if c.status == status && c.reason == reason => c,
        Some(c) if c.status == status => {
            ProgressingCondition { status, reason, last_update: now, last_transition: c.last_transition }
        }
        _ => ProgressingCondition { status, reason, last_update: now, last_transition: now },
    }
}

/// `progressDeadlineSeconds`, with None for unset or MaxInt32 (no deadline).
// Upstream: deployment_util.go (HasProgressDeadline).
pub fn progress_deadline(seconds: Option<i32>) -> Option<Duration> {
    match seconds {
        Some(s) if s != i32::MAX => Some(Duration::from_secs(s.max(0) as u64)),
        _ => None,
    }
}

/// Timed out: a deadline is set, the Progressing condition exists, is not
/// NewReplicaSetAvailable, and is either already ProgressDeadlineExceeded or was last
/// updated more than `deadline` ago (strictly).
// Upstream: deployment_util.go (DeploymentTimedOut).
pub fn deployment_timed_out(deadline: Option<Duration>, cond: Option<&ProgressingCondition>, now: Time) -> bool {
    let (Some(deadline), Some(cond)) = (deadline, cond) else { return false };
    match cond.reason {
        ProgressingReason::NewReplicaSetAvailable => false,
        ProgressingReason::ProgressDeadlineExceeded => true,
        _ => cond.last_update + deadline < now,
    }
}

/// The Progressing condition after a rollout sync: `old` is the status before the sync,
/// `new` the recomputed one, `current` the condition before the sync. None removes it.
// Upstream: pkg/controller/deployment/progress.go (syncRolloutStatus).
pub fn sync_rollout_progress(
    deadline: Option<Duration>,
    spec_replicas: i32,
    generation: i64,
    old: &DeploymentStatusCounts,
    new: &DeploymentStatusCounts,
    current: Option<ProgressingCondition>,
    now: Time,
) -> Option<ProgressingCondition> {
    deadline?;
    let is_complete_deployment =
        new.replicas == new.updated && current.is_some_and(|c| c.reason == ProgressingReason::NewReplicaSetAvailable);
    if is_complete_deployment {
        return current;
    }
    if deployment_complete(spec_replicas, generation, new) {
        return Some(set_progressing(current, ConditionStatus::True, ProgressingReason::NewReplicaSetAvailable, now));
    }
    if deployment_progressing(old, new) {
        // Progress refreshes lastUpdateTime even with the same reason; a True condition
        // keeps its transition time.
        let last_transition = match current {
            Some(c) if c.status == ConditionStatus::True => c.last_transition,
            _ => now,
        };
        return Some(ProgressingCondition {
            status: ConditionStatus::True,
            reason: ProgressingReason::ReplicaSetUpdated,
            last_update: now,
            last_transition,
        });
    }
    if deployment_timed_out(deadline, current.as_ref(), now) {
        return Some(set_progressing(
            current,
            ConditionStatus::False,
            ProgressingReason::ProgressDeadlineExceeded,
            now,
        ));
    }
    current
}

/// When to look again for a timeout if nothing else happens: `lastUpdate + deadline - now
/// + 1 s`, or zero (now) if that is under a second away; None if no check is needed.
/// `current` is the condition before the sync.
// Upstream: progress.go (requeueStuckDeployment).
pub fn progress_recheck_after(
    deadline: Option<Duration>,
    spec_replicas: i32,
    generation: i64,
    new: &DeploymentStatusCounts,
    current: Option<&ProgressingCondition>,
    now: Time,
) -> Option<Duration> {
    let (deadline, cond) = (deadline?, current?);
    if deployment_complete(spec_replicas, generation, new) || cond.reason == ProgressingReason::ProgressDeadlineExceeded
    {
        return None;
    }
    let after = (cond.last_update + deadline).since(now);
    if after < Duration::from_secs(1) {
        Some(Duration::ZERO)
    } else {
        Some(Duration(after.0 + Duration::from_secs(1).0))
    }
}

// ---------------------------------------------------------------------------------------
// Revisions and history
// ---------------------------------------------------------------------------------------

/// The highest revision among `rss` (0 if none).
// Upstream: deployment_util.go (MaxRevision).
pub fn max_revision(rss: &[RsSnapshot]) -> u64 {
    rss.iter().map(|rs| rs.revision).max().unwrap_or(0)
}

/// The revision of the new ReplicaSet: max over the old ones + 1.
// Upstream: sync.go (getNewReplicaSet: MaxRevision(oldRSs)+1).
pub fn next_revision(old: &[RsSnapshot]) -> u64 {
    max_revision(old) + 1
}

/// A ReplicaSet's revision annotations after being (re)used as the new ReplicaSet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionAnnotations {
    pub revision: u64,
    /// `deployment.kubernetes.io/revision-history`, oldest first.
    pub history: Vec<u64>,
}

/// The new ReplicaSet's revision annotations given its `current` revision (None: no
/// annotation) and history: raised to `new_revision` if lower; when an existing revision
/// is raised (a rollback reuses an old ReplicaSet) the old number is appended to the
/// history, dropping the oldest entries to stay within `max_chars` characters (or not
/// appending if even that fails). None if nothing changes.
// Upstream: deployment_util.go (SetNewReplicaSetAnnotations).
pub fn sync_revision(
    current: Option<u64>,
    history: &[u64],
    new_revision: u64,
    max_chars: usize,
) -> Option<RevisionAnnotations> {
    let old = current.unwrap_or(0);
    if old >= new_revision {
        return None;
    }
    let mut history = history.to_vec();
    if current.is_some() {
        if history.is_empty() {
            history.push(old);
        } else {
            let len = |v: u64| v.to_string().len();
            let old_len = len(old);
            let mut total = history.iter().map(|&r| len(r)).sum::<usize>() + history.len() - 1 + old_len + 1;
            let mut start = 0;
            while total > max_chars && start < history.len() {
                total -= len(history[start]) + 1;
                start += 1;
            }
            if total <= max_chars {
                history.drain(..start);
                history.push(old);
            }
        }
    }
    Some(RevisionAnnotations { revision: new_revision, history })
}

/// `revisionHistoryLimit`, with None for unset or MaxInt32 (keep everything).
// Upstream: deployment_util.go (HasRevisionHistoryLimit).
pub fn revision_history_limit(limit: Option<i32>) -> Option<i32> {
    limit.filter(|&l| l != i32::MAX)
}

/// Old ReplicaSets to delete beyond the history limit: `diff = len(old) - limit`; walking
/// the first `diff` by revision (oldest first) only those with spec and status replicas 0
/// are deleted, the others are skipped (not replaced). `old_alive` excludes ReplicaSets
/// already being deleted; their status is assumed observed (the simulator has no lag).
// Upstream: sync.go (cleanupDeployment), deployment_util.go (ReplicaSetsByRevision).
pub fn cleanup_old_replica_sets(old_alive: &[RsSnapshot], limit: Option<i32>) -> Vec<RsId> {
    let Some(limit) = revision_history_limit(limit) else { return Vec::new() };
    let diff = old_alive.len() as i64 - i64::from(limit);
    if diff <= 0 {
        return Vec::new();
    }
    let mut by_revision = old_alive.to_vec();
    by_revision.sort_by(|a, b| a.revision.cmp(&b.revision).then_with(|| older_first(a, b)));
    by_revision.iter().take(diff as usize).filter(|rs| rs.current == 0 && rs.replicas == 0).map(|rs| rs.id).collect()
}

// ---------------------------------------------------------------------------------------
// kubectl rollout undo
// ---------------------------------------------------------------------------------------

/// A ReplicaSet as `kubectl rollout undo` sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UndoCandidate {
    pub rs: RsId,
    pub revision: u64,
    /// Its pod template equals the Deployment's, ignoring `pod-template-hash`.
    pub matches_current_template: bool,
}

/// What `kubectl rollout undo` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UndoOutcome {
    /// The Deployment's template becomes this ReplicaSet's (minus the hash label).
    RolledBack { to: RsId },
    /// The template already matches; nothing is patched.
    Skipped { to_revision: i64 },
}

impl UndoOutcome {
    /// kubectl's message (it prints `deployment.apps/NAME <message>`).
    pub fn message(&self) -> String {
        match self {
            UndoOutcome::RolledBack { .. } => "rolled back".to_string(),
            UndoOutcome::Skipped { to_revision } => {
                format!("skipped rollback (current template already matches revision {to_revision})")
            }
        }
    }
}

/// The ReplicaSet `kubectl rollout undo --to-revision=N` targets: N = 0 takes the
/// second-highest revision. `rss` is the Deployment's old ReplicaSets followed by the new
/// one. Errors carry kubectl's text. The revision is looked up before the paused check,
/// and the skip message names the revision asked for (0 for a plain undo), as upstream.
// Upstream: staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go (DeploymentRollbacker.Rollback, deploymentRevision).
pub fn rollout_undo(name: &str, paused: bool, to_revision: i64, rss: &[UndoCandidate]) -> Result<UndoOutcome, String> {
    let not_found = |r: i64| format!("unable to find specified revision {r} in history");
    if to_revision < 0 {
        return Err(not_found(to_revision));
    }
    let target = if to_revision == 0 {
        let (mut latest, mut latest_rev, mut previous, mut previous_rev) = (None, -1i128, None, -1i128);
        for c in rss {
            let v = i128::from(c.revision);
            if latest_rev < v {
                previous = latest;
                previous_rev = latest_rev;
                latest = Some(c);
                latest_rev = v;
            } else if previous_rev < v {
                previous = Some(c);
                previous_rev = v;
            }
        }
        previous.ok_or_else(|| format!("no rollout history found for deployment {name:?}"))?
    } else {
        rss.iter().find(|c| i128::from(c.revision) == i128::from(to_revision)).ok_or_else(|| not_found(to_revision))?
    };
    if paused {
        return Err(format!(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{name}' and try again"
        ));
    }
    if target.matches_current_template {
        return Ok(UndoOutcome::Skipped { to_revision });
    }
    Ok(UndoOutcome::RolledBack { to: target.rs })
}

#[cfg(test)]
#[path = "rollout_tests.rs"]
mod tests;
