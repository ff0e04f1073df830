//! HorizontalPodAutoscaler arithmetic as pure functions: the CPU-utilization replica
//! calculation (pod grouping, integer utilization, tolerance, missing/unready rebalancing)
//! and the normalization of a recommendation, without `spec.behavior` (legacy: scale-down
//! stabilization, `max(2 x current, 4)`) and with it (stabilization windows, rate
//! policies over past scale events).
//!
//! The per-HPA memory upstream keeps in the controller (recommendations and scale events)
//! is an [`HpaState`] the caller stores next to each HPA. Upstream sources:
//! pkg/controller/podautoscaler/{replica_calculator.go, horizontal.go, metrics/utilization.go},
//! pkg/apis/autoscaling/v2/defaults.go and pkg/controller/podautoscaler/config/v1alpha1/defaults.go
//! (current master). Only the Resource/cpu/Utilization metric is covered.

use crate::engine::{Duration, Time};
use std::fmt;

/// Upstream: pkg/controller/podautoscaler/config/v1alpha1/defaults.go (HorizontalPodAutoscalerSyncPeriod).
pub const DEFAULT_SYNC_PERIOD: Duration = Duration::from_secs(15);
/// Upstream: config/v1alpha1/defaults.go (HorizontalPodAutoscalerTolerance).
pub const DEFAULT_TOLERANCE: f64 = 0.1;
/// Upstream: config/v1alpha1/defaults.go (HorizontalPodAutoscalerCPUInitializationPeriod).
pub const DEFAULT_CPU_INITIALIZATION_PERIOD: Duration = Duration::from_secs(300);
/// Upstream: config/v1alpha1/defaults.go (HorizontalPodAutoscalerInitialReadinessDelay).
pub const DEFAULT_INITIAL_READINESS_DELAY: Duration = Duration::from_secs(30);
/// Upstream: config/v1alpha1/defaults.go (HorizontalPodAutoscalerDownscaleStabilizationWindow).
pub const DEFAULT_DOWNSCALE_STABILIZATION_WINDOW: Duration = Duration::from_secs(300);
/// Upstream: pkg/apis/autoscaling/v2/defaults.go (SetDefaults_HorizontalPodAutoscaler: minReplicas).
pub const DEFAULT_MIN_REPLICAS: i32 = 1;
/// Upstream: pkg/apis/autoscaling/types.go (DefaultCPUUtilization), used when no metric is given.
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;
/// Upstream: horizontal.go (scaleUpLimitFactor, scaleUpLimitMinimum).
const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;

/// The kube-controller-manager's HPA settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HpaConfig {
    pub sync_period: Duration,
    pub tolerance: f64,
    pub cpu_initialization_period: Duration,
    pub initial_readiness_delay: Duration,
    pub downscale_stabilization_window: Duration,
}

impl Default for HpaConfig {
    fn default() -> Self {
        HpaConfig {
            sync_period: DEFAULT_SYNC_PERIOD,
            tolerance: DEFAULT_TOLERANCE,
            cpu_initialization_period: DEFAULT_CPU_INITIALIZATION_PERIOD,
            initial_readiness_delay: DEFAULT_INITIAL_READINESS_DELAY,
            downscale_stabilization_window: DEFAULT_DOWNSCALE_STABILIZATION_WINDOW,
        }
    }
}

/// Scale-up and scale-down tolerances around a usage ratio of 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Tolerances {
    pub fn uniform(t: f64) -> Self {
        Tolerances { scale_down: t, scale_up: t }
    }

    /// `1 - down <= ratio <= 1 + up`, both ends inclusive.
    // Upstream: pkg/controller/podautoscaler/replica_calculator.go (Tolerances.isWithin).
    pub fn is_within(self, ratio: f64) -> bool {
        (1.0 - self.scale_down) <= ratio && ratio <= (1.0 + self.scale_up)
    }
}

/// The controller tolerance, overridden per direction by `behavior.scale{Up,Down}.tolerance`.
// Upstream: horizontal.go (tolerancesForHpa; HPAConfigurableTolerance).
pub fn tolerances_for(config_tolerance: f64, behavior: Option<&Behavior>) -> Tolerances {
    let mut t = Tolerances::uniform(config_tolerance);
    if let Some(b) = behavior {
        if let Some(down) = b.scale_down.tolerance {
            t.scale_down = down;
        }
        if let Some(up) = b.scale_up.tolerance {
            t.scale_up = up;
        }
    }
    t
}

// ---------------------------------------------------------------------------------------
// Pods and metrics
// ---------------------------------------------------------------------------------------

/// A pod's phase as the HPA reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

/// A condition's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyStatus {
    True,
    False,
    Unknown,
}

/// The pod's Ready condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyCondition {
    pub status: ReadyStatus,
    pub last_transition: Time,
}

/// A metrics-server sample of a pod's CPU usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuSample {
    pub usage_milli: i64,
    pub timestamp: Time,
    pub window: Duration,
}

/// What the HPA reads from one pod matched by the target's selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HpaPod {
    pub phase: Phase,
    /// deletionTimestamp is set.
    pub deleting: bool,
    /// The CPU request in millicores as upstream sums it ([`pod_cpu_request`]); None if a
    /// counted container has no request.
    pub cpu_request_milli: Option<i64>,
    /// status.startTime.
    pub start_time: Option<Time>,
    pub ready: Option<ReadyCondition>,
    pub sample: Option<CpuSample>,
}

impl HpaPod {
    /// A Running, Ready pod started at `start` (Ready since then) with this request and no sample.
    pub fn running(request_milli: i64, start: Time) -> Self {
        HpaPod {
            phase: Phase::Running,
            deleting: false,
            cpu_request_milli: Some(request_milli),
            start_time: Some(start),
            ready: Some(ReadyCondition { status: ReadyStatus::True, last_transition: start }),
            sample: None,
        }
    }

    pub fn with_sample(mut self, usage_milli: i64, timestamp: Time, window: Duration) -> Self {
        self.sample = Some(CpuSample { usage_milli, timestamp, window });
        self
    }
}

/// A pod's CPU request: its containers plus restartable (sidecar) init containers; None if
/// one of them has no request. (Pod-level requests and per-container HPA metrics are not
/// modelled.)
// Upstream: replica_calculator.go (calculatePodRequestsFromContainers).
pub fn pod_cpu_request(containers: &[Option<i64>], restartable_init_containers: &[Option<i64>]) -> Option<i64> {
    containers.iter().chain(restartable_init_containers).try_fold(0i64, |sum, r| r.map(|r| sum + r))
}

/// How groupPods sorted the pods (indices into the input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodGroups {
    pub ready: usize,
    pub unready: Vec<usize>,
    pub missing: Vec<usize>,
    pub ignored: Vec<usize>,
}

/// Ignored: deleting or Failed. Unready: Pending; for CPU also no Ready condition or start
/// time, or, while `start + cpuInitializationPeriod > now`, Ready=False or a sample taken
/// before `lastTransition + window`; after it, Ready=False and never ready
/// (`start + initialReadinessDelay > lastTransition`). Missing: no sample. All comparisons strict.
// Upstream: replica_calculator.go (groupPods).
pub fn group_pods(pods: &[HpaPod], resource_is_cpu: bool, cfg: &HpaConfig, now: Time) -> PodGroups {
    let mut g = PodGroups::default();
    for (i, pod) in pods.iter().enumerate() {
        if pod.deleting || pod.phase == Phase::Failed {
            g.ignored.push(i);
            continue;
        }
        if pod.phase == Phase::Pending {
            g.unready.push(i);
            continue;
        }
        let Some(sample) = pod.sample else {
            g.missing.push(i);
            continue;
        };
        if resource_is_cpu {
            let unready = match (pod.ready, pod.start_time) {
                (Some(cond), Some(start)) => {
                    if start + cfg.cpu_initialization_period > now {
                        cond.status == ReadyStatus::False || sample.timestamp < cond.last_transition + sample.window
                    } else {
                        cond.status == ReadyStatus::False && start + cfg.initial_readiness_delay > cond.last_transition
                    }
                }
                _ => true,
            };
            if unready {
                g.unready.push(i);
                continue;
            }
        }
        g.ready += 1;
    }
    g
}

/// Why the replica count could not be computed (upstream's error text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HpaError {
    /// The metrics API returned nothing.
    NoMetrics,
    NoPods,
    /// Every pod with a sample is unready or ignored.
    NoMetricsForTargetedPods,
    /// A pod (index) has a container without a CPU request.
    MissingRequest(usize),
    /// All requests of the measured pods are zero.
    NoMetricsMatchedKnownPods,
}

impl fmt::Display for HpaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HpaError::NoMetrics => {
                f.write_str("unable to get metrics for resource cpu: no metrics returned from resource metrics API")
            }
            HpaError::NoPods => f.write_str("no pods returned by selector while calculating replica count"),
            HpaError::NoMetricsForTargetedPods => {
                f.write_str("did not receive metrics for targeted pods (pods might be unready)")
            }
            HpaError::MissingRequest(i) => write!(f, "missing request for cpu in a container of pod #{i}"),
            HpaError::NoMetricsMatchedKnownPods => f.write_str("no metrics returned matched known pods"),
        }
    }
}

/// The CPU metric's proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceReplicas {
    pub replicas: i32,
    /// Current utilization in percent of request (integer, truncated), as in the HPA status.
    pub utilization: i32,
    /// Average usage in millicores over the measured pods.
    pub raw_average_milli: i64,
}

/// `(ratio, utilization, raw average)` over `(usage, request)` pairs:
/// `utilization = int(100 * sum(usage) / sum(request))`, `ratio = utilization / target`.
// Upstream: pkg/controller/podautoscaler/metrics/utilization.go (GetResourceUtilizationRatio).
fn utilization_ratio(metrics: &[(i64, i64)], target: i32) -> Result<(f64, i32, i64), HpaError> {
    let usage: i64 = metrics.iter().map(|m| m.0).sum();
    let requests: i64 = metrics.iter().map(|m| m.1).sum();
    if requests == 0 {
        return Err(HpaError::NoMetricsMatchedKnownPods);
    }
    let utilization = (usage * 100 / requests) as i32;
    Ok((f64::from(utilization) / f64::from(target), utilization, usage / metrics.len() as i64))
}

/// The replica count the CPU-utilization metric asks for.
///
/// Ready pods give the usage ratio. Without unready-on-scale-up or missing pods: current
/// if within tolerance, else `ceil(ratio * ready)`. Otherwise missing pods count as
/// `max(100, target)`% of their request on scale-down and 0 on scale-up, unready pods as 0
/// on scale-up; if the new ratio is within tolerance or flips direction, or the new count
/// `ceil(newRatio * pods counted)` moves against it, the current count stays.
// Upstream: replica_calculator.go (GetResourceReplicas).
pub fn get_resource_replicas(
    current_replicas: i32,
    target_utilization: i32,
    pods: &[HpaPod],
    tolerances: Tolerances,
    cfg: &HpaConfig,
    now: Time,
) -> Result<ResourceReplicas, HpaError> {
    // The resource metrics client fails when metrics-server returns no pod at all.
    if pods.iter().all(|p| p.sample.is_none()) {
        return Err(HpaError::NoMetrics);
    }
    if pods.is_empty() {
        return Err(HpaError::NoPods);
    }
    let groups = group_pods(pods, true, cfg, now);
    let counted = |i: usize| !groups.ignored.contains(&i) && !groups.unready.contains(&i);
    let measured: Vec<usize> = (0..pods.len()).filter(|&i| counted(i) && pods[i].sample.is_some()).collect();
    if measured.is_empty() {
        return Err(HpaError::NoMetricsForTargetedPods);
    }
    // Requests are read for every pod, ignored ones included.
    let mut requests = Vec::with_capacity(pods.len());
    for (i, p) in pods.iter().enumerate() {
        requests.push(p.cpu_request_milli.ok_or(HpaError::MissingRequest(i))?);
    }
    let mut metrics: Vec<(i64, i64)> =
        measured.iter().map(|&i| (pods[i].sample.map_or(0, |s| s.usage_milli), requests[i])).collect();
    let (ratio, utilization, raw) = utilization_ratio(&metrics, target_utilization)?;
    let result = |replicas| Ok(ResourceReplicas { replicas, utilization, raw_average_milli: raw });

    let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && groups.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return result(current_replicas);
        }
        return result((ratio * groups.ready as f64).ceil() as i32);
    }
    if !groups.missing.is_empty() {
        if ratio < 1.0 {
            let fallback = i64::from(target_utilization.max(100));
            metrics.extend(groups.missing.iter().map(|&i| (requests[i] * fallback / 100, requests[i])));
        } else if ratio > 1.0 {
            metrics.extend(groups.missing.iter().map(|&i| (0, requests[i])));
        }
    }
    if scale_up_with_unready {
        metrics.extend(groups.unready.iter().map(|&i| (0, requests[i])));
    }
    let (new_ratio, _, _) = utilization_ratio(&metrics, target_utilization)?;
    if tolerances.is_within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return result(current_replicas);
    }
    let new_replicas = (new_ratio * metrics.len() as f64).ceil() as i32;
    if (new_ratio < 1.0 && new_replicas > current_replicas) || (new_ratio > 1.0 && new_replicas < current_replicas) {
        return result(current_replicas);
    }
    result(new_replicas)
}

// ---------------------------------------------------------------------------------------
// spec.behavior
// ---------------------------------------------------------------------------------------

/// `HPAScalingPolicy.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Pods,
    Percent,
}

/// One rate policy: at most `value` pods / percent per `period_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalingPolicy {
    pub kind: PolicyKind,
    pub value: i32,
    pub period_seconds: i32,
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

/// Fully defaulted scaling rules of one direction.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    /// None only for scale-down left unset: the controller's window applies.
    pub stabilization_window_seconds: Option<i32>,
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
    /// Per-HPA tolerance (HPAConfigurableTolerance); None: the controller's.
    pub tolerance: Option<f64>,
}

/// Scaling rules as written by the user; unset fields take the defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScalingRulesSpec {
    pub stabilization_window_seconds: Option<i32>,
    pub select_policy: Option<SelectPolicy>,
    pub policies: Option<Vec<ScalingPolicy>>,
    pub tolerance: Option<f64>,
}

impl ScalingRules {
    /// {window 0, Max, [Pods 4 per 15 s, Percent 100 per 15 s]}.
    // Upstream: pkg/apis/autoscaling/v2/defaults.go (defaultHPAScaleUpRules).
    pub fn default_scale_up() -> Self {
        ScalingRules {
            stabilization_window_seconds: Some(0),
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy { kind: PolicyKind::Pods, value: 4, period_seconds: 15 },
                ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 },
            ],
            tolerance: None,
        }
    }

    /// {window unset (controller's 300 s), Max, [Percent 100 per 15 s]}.
    // Upstream: defaults.go (defaultHPAScaleDownRules).
    pub fn default_scale_down() -> Self {
        ScalingRules {
            stabilization_window_seconds: None,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 }],
            tolerance: None,
        }
    }

    // Upstream: defaults.go (copyHPAScalingRules).
    fn overlay(mut self, from: Option<&ScalingRulesSpec>) -> Self {
        if let Some(from) = from {
            if let Some(p) = from.select_policy {
                self.select_policy = p;
            }
            if let Some(w) = from.stabilization_window_seconds {
                self.stabilization_window_seconds = Some(w);
            }
            if let Some(p) = &from.policies {
                self.policies = p.clone();
            }
            if let Some(t) = from.tolerance {
                self.tolerance = Some(t);
            }
        }
        self
    }

    // Upstream: defaults.go (GenerateHPAScaleUpRules).
    pub fn scale_up_from(spec: Option<&ScalingRulesSpec>) -> Self {
        Self::default_scale_up().overlay(spec)
    }

    // Upstream: defaults.go (GenerateHPAScaleDownRules).
    pub fn scale_down_from(spec: Option<&ScalingRulesSpec>) -> Self {
        Self::default_scale_down().overlay(spec)
    }

    /// The longest policy period in seconds (0 without policies).
    // Upstream: horizontal.go (getLongestPolicyPeriod).
    pub fn longest_policy_period(&self) -> i32 {
        self.policies.iter().map(|p| p.period_seconds).max().unwrap_or(0).max(0)
    }
}

/// A defaulted `spec.behavior`.
#[derive(Clone, Debug, PartialEq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Behavior {
    /// `behavior` as written (either direction may be absent), defaulted.
    // Upstream: defaults.go (SetDefaults_HorizontalPodAutoscalerBehavior).
    pub fn from_spec(up: Option<&ScalingRulesSpec>, down: Option<&ScalingRulesSpec>) -> Self {
        Behavior { scale_up: ScalingRules::scale_up_from(up), scale_down: ScalingRules::scale_down_from(down) }
    }
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior::from_spec(None, None)
    }
}

/// The HPA spec fields normalization reads.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    pub min_replicas: i32,
    pub max_replicas: i32,
    /// None: no `spec.behavior` (the legacy path).
    pub behavior: Option<Behavior>,
}

// ---------------------------------------------------------------------------------------
// Per-HPA state and normalization
// ---------------------------------------------------------------------------------------

/// An unstabilized recommendation and when it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    pub replicas: i32,
    pub at: Time,
}

/// A past rescale (a positive count of replicas added or removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleEvent {
    pub change: i32,
    pub at: Time,
    /// Older than the longest policy period when last checked; its slot is reused.
    pub outdated: bool,
}

/// What the HPA controller remembers about one HPA between syncs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HpaState {
    pub recommendations: Vec<Recommendation>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
}

/// `now - window` in signed nanoseconds (may precede time zero).
fn cutoff(now: Time, window_ns: i128) -> i128 {
    i128::from(now.as_nanos()) - window_ns
}

fn ns(t: Time) -> i128 {
    i128::from(t.as_nanos())
}

fn secs_ns(seconds: i32) -> i128 {
    i128::from(seconds) * 1_000_000_000
}

/// Sum of the changes of `events` strictly newer than `now - period`.
// Upstream: horizontal.go (getReplicasChangePerPeriod).
pub fn get_replicas_change_per_period(period_seconds: i32, events: &[ScaleEvent], now: Time) -> i32 {
    let c = cutoff(now, secs_ns(period_seconds));
    events.iter().filter(|e| ns(e.at) > c).map(|e| e.change).sum()
}

/// Marks events older than `now - longest period` as outdated.
// Upstream: horizontal.go (markScaleEventsOutdated).
pub fn mark_scale_events_outdated(events: &mut [ScaleEvent], longest_period_seconds: i32, now: Time) {
    let c = cutoff(now, secs_ns(longest_period_seconds));
    for e in events.iter_mut().filter(|e| ns(e.at) < c) {
        e.outdated = true;
    }
}

/// The most replicas the scale-up rules allow now: per policy, from the replicas at the
/// start of its period (`current - added + removed` in it), Pods adds `value`, Percent
/// multiplies by `1 + value/100` and rounds up (in float64, as upstream); Max takes the
/// largest, Min the smallest, Disabled returns current.
// Upstream: horizontal.go (calculateScaleUpLimitWithScalingRules).
pub fn calculate_scale_up_limit_with_scaling_rules(
    current: i32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: Time,
) -> i32 {
    let pick: fn(i32, i32) -> i32 = match rules.select_policy {
        SelectPolicy::Disabled => return current,
        SelectPolicy::Min => i32::min,
        SelectPolicy::Max => i32::max,
    };
    let mut result = if rules.select_policy == SelectPolicy::Min { i32::MAX } else { i32::MIN };
    for p in &rules.policies {
        let added = get_replicas_change_per_period(p.period_seconds, up_events, now);
        let removed = get_replicas_change_per_period(p.period_seconds, down_events, now);
        let start = current - added + removed;
        let proposed = match p.kind {
            PolicyKind::Pods => start + p.value,
            PolicyKind::Percent => (f64::from(start) * (1.0 + f64::from(p.value) / 100.0)).ceil() as i32,
        };
        result = pick(result, proposed);
    }
    result
}

/// The fewest replicas the scale-down rules allow now: Pods subtracts `value`, Percent
/// multiplies by `1 - value/100` and truncates; Max takes the smallest (largest change),
/// Min the largest, Disabled returns current.
// Upstream: horizontal.go (calculateScaleDownLimitWithBehaviors).
pub fn calculate_scale_down_limit_with_behaviors(
    current: i32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: Time,
) -> i32 {
    let pick: fn(i32, i32) -> i32 = match rules.select_policy {
        SelectPolicy::Disabled => return current,
        SelectPolicy::Min => i32::max,
        SelectPolicy::Max => i32::min,
    };
    let mut result = if rules.select_policy == SelectPolicy::Min { i32::MIN } else { i32::MAX };
    for p in &rules.policies {
        let added = get_replicas_change_per_period(p.period_seconds, up_events, now);
        let removed = get_replicas_change_per_period(p.period_seconds, down_events, now);
        let start = current - added + removed;
        let proposed = match p.kind {
            PolicyKind::Pods => start - p.value,
            PolicyKind::Percent => (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)) as i32,
        };
        result = pick(result, proposed);
    }
    result
}

/// `max(2 * current, 4)`.
// Upstream: horizontal.go (calculateScaleUpLimit).
pub fn calculate_scale_up_limit(current: i32) -> i32 {
    (SCALE_UP_LIMIT_FACTOR * f64::from(current)).max(SCALE_UP_LIMIT_MINIMUM) as i32
}

/// Legacy clamp: below min -> min (TooFewReplicas); above `min(max, max(2 x current, 4))`
/// -> that (ScaleUpLimit or TooManyReplicas); else DesiredWithinRange.
// Upstream: horizontal.go (convertDesiredReplicasWithRules).
pub fn convert_desired_replicas_with_rules(current: i32, desired: i32, min: i32, max: i32) -> (i32, &'static str) {
    let scale_up_limit = calculate_scale_up_limit(current);
    let (maximum, reason) =
        if max > scale_up_limit { (scale_up_limit, "ScaleUpLimit") } else { (max, "TooManyReplicas") };
    if desired < min {
        (min, "TooFewReplicas")
    } else if desired > maximum {
        (maximum, reason)
    } else {
        (desired, "DesiredWithinRange")
    }
}

/// The result of normalizing a recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Normalized {
    pub replicas: i32,
    /// The AbleToScale reason: ReadyForNewScale, ScaleUpStabilized or ScaleDownStabilized.
    pub able_to_scale: &'static str,
    /// The ScalingLimited reason (TooFewReplicas, TooManyReplicas, ScaleUpLimit,
    /// ScaleDownLimit, DesiredWithinRange); `limited` is its status.
    pub limit_reason: &'static str,
    pub limited: bool,
}

/// Arguments of behavior normalization.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormalizationArg<'a> {
    pub scale_up: &'a ScalingRules,
    pub scale_down: &'a ScalingRules,
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub current_replicas: i32,
    pub desired_replicas: i32,
}

impl HpaState {
    /// On the first sync the recommendation list starts with `(current, now)`, so a new
    /// HPA does not scale down within its first stabilization window.
    // Upstream: horizontal.go (recordInitialRecommendation).
    pub fn record_initial_recommendation(&mut self, current: i32, now: Time) {
        if self.recommendations.is_empty() {
            self.recommendations.push(Recommendation { replicas: current, at: now });
        }
    }

    /// Legacy stabilization: the highest of `desired` and the recommendations not older
    /// than `window` (one older than `now - window` is replaced by `desired`, else it is appended).
    // Upstream: horizontal.go (stabilizeRecommendation).
    pub fn stabilize_recommendation(&mut self, desired: i32, window: Duration, now: Time) -> i32 {
        let c = cutoff(now, i128::from(window.as_nanos()));
        let mut max = desired;
        let mut old = None;
        for (i, rec) in self.recommendations.iter().enumerate() {
            if ns(rec.at) < c {
                old = Some(i);
            } else if rec.replicas > max {
                max = rec.replicas;
            }
        }
        let rec = Recommendation { replicas: desired, at: now };
        match old {
            Some(i) => self.recommendations[i] = rec,
            None => self.recommendations.push(rec),
        }
        max
    }

    /// Without `spec.behavior`: stabilize over `window` (the controller's downscale
    /// window), then [`convert_desired_replicas_with_rules`].
    // Upstream: horizontal.go (normalizeDesiredReplicas).
    pub fn normalize_desired_replicas(
        &mut self,
        current: i32,
        desired: i32,
        min: i32,
        max: i32,
        window: Duration,
        now: Time,
    ) -> Normalized {
        let stabilized = self.stabilize_recommendation(desired, window, now);
        let able_to_scale = if stabilized != desired { "ScaleDownStabilized" } else { "ReadyForNewScale" };
        let (replicas, limit_reason) = convert_desired_replicas_with_rules(current, stabilized, min, max);
        Normalized { replicas, able_to_scale, limit_reason, limited: replicas != stabilized }
    }

    /// Behavior stabilization: `up = min(desired, recommendations newer than now - upWindow)`,
    /// `down = max(desired, recommendations newer than now - downWindow)`; the result is the
    /// current count raised to `up` and capped at `down`. The recommendation is recorded,
    /// reusing a slot older than both windows. Returns it and the AbleToScale reason used
    /// when it differs from `desired`.
    // Upstream: horizontal.go (stabilizeRecommendationWithBehaviors).
    pub fn stabilize_recommendation_with_behaviors(
        &mut self,
        desired: i32,
        current: i32,
        up_window_seconds: i32,
        down_window_seconds: i32,
        now: Time,
    ) -> (i32, &'static str) {
        let up_cutoff = cutoff(now, secs_ns(up_window_seconds));
        let down_cutoff = cutoff(now, secs_ns(down_window_seconds));
        let (mut up, mut down) = (desired, desired);
        let mut old = None;
        for (i, rec) in self.recommendations.iter().enumerate() {
            let at = ns(rec.at);
            if at > up_cutoff {
                up = up.min(rec.replicas);
            }
            if at > down_cutoff {
                down = down.max(rec.replicas);
            }
            if at < up_cutoff && at < down_cutoff {
                old = Some(i);
            }
        }
        let mut recommendation = current;
        if recommendation < up {
            recommendation = up;
        }
        if recommendation > down {
            recommendation = down;
        }
        let rec = Recommendation { replicas: desired, at: now };
        match old {
            Some(i) => self.recommendations[i] = rec,
            None => self.recommendations.push(rec),
        }
        let reason = if desired >= current { "ScaleUpStabilized" } else { "ScaleDownStabilized" };
        (recommendation, reason)
    }

    /// Behavior rate limits: scaling up is capped at `min(max, scale-up limit)` (the limit
    /// raised to current), scaling down at `max(min, scale-down limit)` (the limit lowered
    /// to current). Returns the count and the ScalingLimited reason.
    // Upstream: horizontal.go (convertDesiredReplicasWithBehaviorRate).
    pub fn convert_desired_replicas_with_behavior_rate(
        &self,
        arg: &NormalizationArg,
        now: Time,
    ) -> (i32, &'static str) {
        if arg.desired_replicas > arg.current_replicas {
            let limit = calculate_scale_up_limit_with_scaling_rules(
                arg.current_replicas,
                &self.scale_up_events,
                &self.scale_down_events,
                arg.scale_up,
                now,
            )
            .max(arg.current_replicas);
            let (maximum, reason) =
                if arg.max_replicas > limit { (limit, "ScaleUpLimit") } else { (arg.max_replicas, "TooManyReplicas") };
            if arg.desired_replicas > maximum {
                return (maximum, reason);
            }
        } else if arg.desired_replicas < arg.current_replicas {
            let limit = calculate_scale_down_limit_with_behaviors(
                arg.current_replicas,
                &self.scale_up_events,
                &self.scale_down_events,
                arg.scale_down,
                now,
            )
            .min(arg.current_replicas);
            let (minimum, reason) =
                if arg.min_replicas < limit { (limit, "ScaleDownLimit") } else { (arg.min_replicas, "TooFewReplicas") };
            if arg.desired_replicas < minimum {
                return (minimum, reason);
            }
        }
        (arg.desired_replicas, "DesiredWithinRange")
    }

    /// With `spec.behavior`: stabilize (an unset scale-down window takes `default_down_window`),
    /// then apply the rate policies.
    // Upstream: horizontal.go (normalizeDesiredReplicasWithBehaviors, maybeInitScaleDownStabilizationWindow).
    #[allow(clippy::too_many_arguments)]
    pub fn normalize_desired_replicas_with_behaviors(
        &mut self,
        behavior: &Behavior,
        current: i32,
        desired: i32,
        min: i32,
        max: i32,
        default_down_window: Duration,
        now: Time,
    ) -> Normalized {
        let down_window = behavior
            .scale_down
            .stabilization_window_seconds
            .unwrap_or((default_down_window.as_nanos() / 1_000_000_000) as i32);
        let up_window = behavior.scale_up.stabilization_window_seconds.unwrap_or(0);
        let (stabilized, reason) =
            self.stabilize_recommendation_with_behaviors(desired, current, up_window, down_window, now);
        let able_to_scale = if stabilized != desired { reason } else { "ReadyForNewScale" };
        let arg = NormalizationArg {
            scale_up: &behavior.scale_up,
            scale_down: &behavior.scale_down,
            min_replicas: min,
            max_replicas: max,
            current_replicas: current,
            desired_replicas: stabilized,
        };
        let (replicas, limit_reason) = self.convert_desired_replicas_with_behavior_rate(&arg, now);
        Normalized { replicas, able_to_scale, limit_reason, limited: replicas != stabilized }
    }

    /// Records a rescale from `prev` to `new` (only with `spec.behavior`): events older than
    /// the direction's longest policy period are marked outdated and the last outdated one
    /// is overwritten, else the event is appended.
    // Upstream: horizontal.go (storeScaleEvent, markScaleEventsOutdated).
    pub fn store_scale_event(&mut self, behavior: Option<&Behavior>, prev: i32, new: i32, now: Time) {
        let Some(behavior) = behavior else { return };
        let (events, rules, change) = if new > prev {
            (&mut self.scale_up_events, &behavior.scale_up, new - prev)
        } else {
            (&mut self.scale_down_events, &behavior.scale_down, prev - new)
        };
        mark_scale_events_outdated(events, rules.longest_policy_period(), now);
        let event = ScaleEvent { change, at: now, outdated: false };
        match events.iter().rposition(|e| e.outdated) {
            Some(i) => events[i] = event,
            None => events.push(event),
        }
    }
}

/// What one HPA sync decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpaOutcome {
    /// The count the target should have (status.desiredReplicas).
    pub desired: i32,
    /// `desired != current`: upstream writes the target's scale subresource.
    pub rescale: bool,
    /// Upstream's rescale reason (SuccessfulRescale event text), empty if none.
    pub reason: String,
    /// The normalization, when metrics were consulted.
    pub normalized: Option<Normalized>,
}

/// Upstream's name of the CPU utilization metric in rescale reasons.
const CPU_METRIC_NAME: &str = "cpu resource utilization (percentage of request)";

/// One HPA sync for a target whose `scale.spec.replicas` is `current`: scaling is disabled
/// at 0 (with minReplicas > 0); outside [min, max] the count is clamped without metrics;
/// otherwise the metric proposal (`metric`, from [`get_resource_replicas`]) is normalized.
/// A metric error means no scaling this sync (returned as the error).
// Upstream: horizontal.go (reconcileAutoscaler).
pub fn reconcile(
    state: &mut HpaState,
    spec: &HpaSpec,
    cfg: &HpaConfig,
    current: i32,
    metric: Result<i32, HpaError>,
    now: Time,
) -> Result<HpaOutcome, HpaError> {
    state.record_initial_recommendation(current, now);
    let (desired, reason, normalized) = if current == 0 && spec.min_replicas != 0 {
        return Ok(HpaOutcome { desired: current, rescale: false, reason: String::new(), normalized: None });
    } else if current > spec.max_replicas {
        (spec.max_replicas, "Current number of replicas above Spec.MaxReplicas".to_string(), None)
    } else if current < spec.min_replicas {
        (spec.min_replicas, "Current number of replicas below Spec.MinReplicas".to_string(), None)
    } else {
        let proposed = metric?;
        let mut desired = 0;
        let mut rescale_metric = "";
        if proposed > desired {
            desired = proposed;
            rescale_metric = CPU_METRIC_NAME;
        }
        let mut reason = String::new();
        if desired > current {
            reason = format!("{rescale_metric} above target");
        }
        if desired < current {
            reason = "All metrics below target".to_string();
        }
        let n = match &spec.behavior {
            None => state.normalize_desired_replicas(
                current,
                desired,
                spec.min_replicas,
                spec.max_replicas,
                cfg.downscale_stabilization_window,
                now,
            ),
            Some(b) => state.normalize_desired_replicas_with_behaviors(
                b,
                current,
                desired,
                spec.min_replicas,
                spec.max_replicas,
                cfg.downscale_stabilization_window,
                now,
            ),
        };
        (n.replicas, reason, Some(n))
    };
    let rescale = desired != current;
    if rescale {
        state.store_scale_event(spec.behavior.as_ref(), current, desired, now);
        Ok(HpaOutcome { desired, rescale, reason, normalized })
    } else {
        Ok(HpaOutcome { desired: current, rescale, reason: String::new(), normalized })
    }
}

#[cfg(test)]
#[path = "hpa_tests.rs"]
mod tests;
