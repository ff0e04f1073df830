//! Upstream's HPA test tables, restated. Each test names the Go test it restates; paths are
//! relative to github.com/kubernetes/kubernetes, pkg/controller/podautoscaler/.

use super::*;

// ---------------------------------------------------------------------------------------
// replica_calculator_test.go
// ---------------------------------------------------------------------------------------

/// Wall-clock "now" of the Go tests; their zero `metav1.Time` (year 1) is `Time(0)`.
const NOW: Time = Time::from_secs(1_000_000);

fn hot() -> Time {
    NOW // hotCPUCreationTime: time.Now()
}

fn cool() -> Time {
    Time::from_secs(1_000_000 - 180) // coolCPUCreationTime: time.Now() - 3 minutes
}

/// The testing controller settings (defaultTesting* constants).
fn testing_cfg() -> HpaConfig {
    HpaConfig {
        cpu_initialization_period: Duration::from_secs(120),
        initial_readiness_delay: Duration::from_secs(10),
        ..HpaConfig::default()
    }
}

/// replicaCalcTestCase.prepareTestClientSet / prepareTestMetricsClient for a CPU resource:
/// `max(currentReplicas, len(podPhase))` pods, each with two containers requesting
/// `requests[i]` (none beyond the list), Ready (default True) with a zero transition time,
/// start time zero unless given, phase Running unless given; pod i has a sample of both
/// containers at `levels[i]` taken at time zero over a one-minute window.
#[derive(Default)]
struct Case {
    current: i32,
    readiness: Vec<ReadyStatus>,
    start: Vec<Time>,
    phase: Vec<Phase>,
    deleting: Vec<bool>,
    requests_milli: Vec<i64>,
    levels: Vec<i64>,
    target: i32,
}

const CONTAINERS: i64 = 2; // numContainersPerPod

impl Case {
    fn pods(&self) -> Vec<HpaPod> {
        let n = (self.current as usize).max(self.phase.len());
        (0..n)
            .map(|i| HpaPod {
                phase: self.phase.get(i).copied().unwrap_or(Phase::Running),
                deleting: self.deleting.get(i).copied().unwrap_or(false),
                cpu_request_milli: self.requests_milli.get(i).map(|r| CONTAINERS * r),
                start_time: Some(self.start.get(i).copied().unwrap_or(Time::ZERO)),
                ready: Some(ReadyCondition {
                    status: self.readiness.get(i).copied().unwrap_or(ReadyStatus::True),
                    last_transition: Time::ZERO,
                }),
                sample: self.levels.get(i).map(|&l| CpuSample {
                    usage_milli: CONTAINERS * l,
                    timestamp: Time::ZERO,
                    window: Duration::from_secs(60),
                }),
            })
            .collect()
    }

    fn run(&self) -> Result<ResourceReplicas, HpaError> {
        get_resource_replicas(self.current, self.target, &self.pods(), Tolerances::uniform(0.1), &testing_cfg(), NOW)
    }

    fn expect(&self, replicas: i32, utilization: i32, raw: i64) {
        assert_eq!(self.run(), Ok(ResourceReplicas { replicas, utilization, raw_average_milli: raw }));
    }
}

use ReadyStatus::{False as F, True as T};

#[test]
fn replica_calc_scale_up() {
    // TestReplicaCalcScaleUp
    Case { current: 3, requests_milli: vec![1000; 3], levels: vec![300, 500, 700], target: 30, ..Case::default() }
        .expect(5, 50, CONTAINERS * 500);
}

#[test]
fn replica_calc_scale_up_unready_less_scale() {
    // TestReplicaCalcScaleUpUnreadyLessScale
    Case {
        current: 3,
        readiness: vec![F, T, T],
        requests_milli: vec![1000; 3],
        levels: vec![300, 500, 700],
        target: 30,
        ..Case::default()
    }
    .expect(4, 60, CONTAINERS * 600);
}

#[test]
fn replica_calc_scale_up_hot_cpu_less_scale() {
    // TestReplicaCalcScaleUpHotCpuLessScale
    Case {
        current: 3,
        start: vec![hot(), cool(), cool()],
        requests_milli: vec![1000; 3],
        levels: vec![300, 500, 700],
        target: 30,
        ..Case::default()
    }
    .expect(4, 60, CONTAINERS * 600);
}

#[test]
fn replica_calc_scale_up_unready_no_scale() {
    // TestReplicaCalcScaleUpUnreadyNoScale
    Case {
        current: 3,
        readiness: vec![T, F, F],
        requests_milli: vec![1000; 3],
        levels: vec![400, 500, 700],
        target: 30,
        ..Case::default()
    }
    .expect(3, 40, CONTAINERS * 400);
}

#[test]
fn replica_calc_scale_hot_cpu_no_scale() {
    // TestReplicaCalcScaleHotCpuNoScale
    Case {
        current: 3,
        readiness: vec![T, F, F],
        start: vec![cool(), hot(), hot()],
        requests_milli: vec![1000; 3],
        levels: vec![400, 500, 700],
        target: 30,
        ..Case::default()
    }
    .expect(3, 40, CONTAINERS * 400);
}

#[test]
fn replica_calc_scale_up_ignores_failed_and_deleted_pods() {
    // TestReplicaCalcScaleUpIgnoresFailedPods
    Case {
        current: 2,
        readiness: vec![T, T, F, F],
        phase: vec![Phase::Running, Phase::Running, Phase::Failed, Phase::Failed],
        requests_milli: vec![1000; 4],
        levels: vec![500, 700],
        target: 30,
        ..Case::default()
    }
    .expect(4, 60, CONTAINERS * 600);
    // TestReplicaCalcScaleUpIgnoresDeletionPods
    Case {
        current: 2,
        readiness: vec![T, T, F, F],
        phase: vec![Phase::Running; 4],
        deleting: vec![false, false, true, true],
        requests_milli: vec![1000; 4],
        levels: vec![500, 700],
        target: 30,
        ..Case::default()
    }
    .expect(4, 60, CONTAINERS * 600);
}

#[test]
fn replica_calc_scale_down() {
    // TestReplicaCalcScaleDown
    Case {
        current: 5,
        requests_milli: vec![1000; 5],
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        ..Case::default()
    }
    .expect(3, 28, CONTAINERS * 280);
}

#[test]
fn replica_calc_scale_down_excludes_unready_unscheduled_and_hot_pods() {
    // TestReplicaCalcScaleDownExcludeUnreadyPods
    Case {
        current: 5,
        readiness: vec![T, T, T, F, F],
        requests_milli: vec![1000; 5],
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        ..Case::default()
    }
    .expect(2, 30, CONTAINERS * 300);
    // TestReplicaCalcScaleDownExcludeUnscheduledPods
    Case {
        current: 5,
        readiness: vec![T, F, F, F, F],
        phase: vec![Phase::Running, Phase::Pending, Phase::Pending, Phase::Pending, Phase::Pending],
        requests_milli: vec![1000; 5],
        levels: vec![100],
        target: 50,
        ..Case::default()
    }
    .expect(1, 10, CONTAINERS * 100);
    // TestReplicaCalcScaleDownIgnoreHotCpuPods
    Case {
        current: 5,
        start: vec![cool(), cool(), cool(), hot(), hot()],
        requests_milli: vec![1000; 5],
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        ..Case::default()
    }
    .expect(2, 30, CONTAINERS * 300);
}

#[test]
fn replica_calc_scale_down_ignores_failed_and_deleted_pods() {
    // TestReplicaCalcScaleDownIgnoresFailedPods
    Case {
        current: 5,
        readiness: vec![T, T, T, T, T, F, F],
        phase: [vec![Phase::Running; 5], vec![Phase::Failed; 2]].concat(),
        requests_milli: vec![1000; 7],
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        ..Case::default()
    }
    .expect(3, 28, CONTAINERS * 280);
    // TestReplicaCalcScaleDownIgnoresDeletionPods
    Case {
        current: 5,
        readiness: vec![T, T, T, T, T, F, F],
        phase: vec![Phase::Running; 7],
        deleting: vec![false, false, false, false, false, true, true],
        requests_milli: vec![1000; 7],
        levels: vec![100, 300, 500, 250, 250],
        target: 50,
        ..Case::default()
    }
    .expect(3, 28, CONTAINERS * 280);
}

#[test]
fn replica_calc_tolerance() {
    // TestReplicaCalcTolerance
    Case {
        current: 3,
        requests_milli: vec![900, 1000, 1100],
        levels: vec![1010, 1030, 1020],
        target: 100,
        ..Case::default()
    }
    .expect(3, 102, CONTAINERS * 1020);
}

#[test]
fn replica_calc_missing_metrics() {
    // TestReplicaCalcMissingMetrics: 495 = (800 + 190) / 2.
    Case { current: 4, requests_milli: vec![1000; 4], levels: vec![400, 95], target: 100, ..Case::default() }
        .expect(3, 24, 495);
    // TestReplicaCalcMissingMetricsNoChangeEq / Gt / Lt
    let two =
        |level| Case { current: 2, requests_milli: vec![1000; 2], levels: vec![level], target: 100, ..Case::default() };
    two(1000).expect(2, 100, CONTAINERS * 1000);
    two(1900).expect(2, 190, CONTAINERS * 1900);
    two(600).expect(2, 60, CONTAINERS * 600);
}

#[test]
fn replica_calc_missing_metrics_with_unready_pods() {
    let three = |readiness: Vec<ReadyStatus>, start: Vec<Time>, levels: Vec<i64>| Case {
        current: 3,
        readiness,
        start,
        requests_milli: vec![1000; 3],
        levels,
        target: 50,
        ..Case::default()
    };
    // TestReplicaCalcMissingMetricsUnreadyChange
    three(vec![F, T, T], vec![], vec![100, 450]).expect(3, 45, CONTAINERS * 450);
    // TestReplicaCalcMissingMetricsHotCpuNoChange
    three(vec![], vec![hot(), cool(), cool()], vec![100, 450]).expect(3, 45, CONTAINERS * 450);
    // TestReplicaCalcMissingMetricsUnreadyScaleUp
    three(vec![F, T, T], vec![], vec![100, 2000]).expect(4, 200, CONTAINERS * 2000);
    // TestReplicaCalcMissingMetricsHotCpuScaleUp
    three(vec![F, T, T], vec![hot(), cool(), cool()], vec![100, 2000]).expect(4, 200, CONTAINERS * 2000);
    // TestReplicaCalcMissingMetricsUnreadyScaleDown
    Case {
        current: 4,
        readiness: vec![F, T, T, T],
        requests_milli: vec![1000; 4],
        levels: vec![100, 100, 100],
        target: 50,
        ..Case::default()
    }
    .expect(3, 10, CONTAINERS * 100);
}

#[test]
fn replica_calc_missing_metrics_scale_down_target_over_100() {
    // TestReplicaCalcMissingMetricsScaleDownTargetOver100: missing pods count as 300% of
    // their request (max(100, target)), not 100%.
    Case {
        current: 4,
        readiness: vec![F, T, T, T],
        requests_milli: vec![1000, 1000, 2000, 2000],
        levels: vec![200, 100, 100],
        target: 300,
        ..Case::default()
    }
    .expect(2, 6, CONTAINERS * 100);
}

#[test]
fn replica_calc_during_rolling_update_with_max_surge() {
    // TestReplicaCalcDuringRollingUpdateWithMaxSurge
    Case {
        current: 2,
        phase: vec![Phase::Running; 3],
        requests_milli: vec![1000; 3],
        levels: vec![100, 100],
        target: 50,
        ..Case::default()
    }
    .expect(2, 10, CONTAINERS * 100);
}

#[test]
fn replica_calc_errors() {
    // TestReplicaCalcEmptyMetrics
    let empty = Case { current: 4, requests_milli: vec![1000; 3], levels: vec![], target: 100, ..Case::default() };
    let err = empty.run().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to get metrics for resource cpu: no metrics returned from resource metrics API"
    );
    // TestReplicaCalcEmptyCPURequest
    let no_request = Case { current: 1, requests_milli: vec![], levels: vec![200], target: 100, ..Case::default() };
    assert!(no_request.run().unwrap_err().to_string().starts_with("missing request for"));
    // Every measured pod unready.
    let all_unready = Case {
        current: 1,
        readiness: vec![F],
        requests_milli: vec![1000],
        levels: vec![200],
        target: 100,
        ..Case::default()
    };
    assert_eq!(all_unready.run(), Err(HpaError::NoMetricsForTargetedPods));
    // Zero requests: utilization.go's "no metrics returned matched known pods".
    let zero = Case { current: 1, requests_milli: vec![0], levels: vec![200], target: 100, ..Case::default() };
    assert_eq!(zero.run().unwrap_err().to_string(), "no metrics returned matched known pods");
}

#[test]
fn replica_calc_computed_tolerance_alg_implementation() {
    // TestReplicaCalcComputedToleranceAlgImplementation: 10 pods using 150m of ~300m;
    // target int32((1/(2*0.9) + 0.01) * 100) = 56 -> 9 pods; + 0.004 instead -> 55 -> no change.
    let requests = vec![400, 200, 310, 290, 302, 298, 301, 299, 300, 300];
    let case = |target| Case {
        current: 10,
        requests_milli: requests.clone(),
        levels: vec![150; 10],
        target,
        ..Case::default()
    };
    case(56).expect(9, 50, CONTAINERS * 150);
    case(55).expect(10, 50, CONTAINERS * 150);
}

// replica_calculator_test.go TestGroupPods ("now" is NOW; cpuInitializationPeriod 2 min,
// initial readiness delay 10 s).
#[test]
fn group_pods_table() {
    let ago = |s: u64| Time::from_secs(1_000_000 - s);
    let pod = |phase, start: Option<Time>, ready: Option<(ReadyStatus, Time)>, sample: Option<(Time, u64)>| HpaPod {
        phase,
        deleting: false,
        cpu_request_milli: Some(1),
        start_time: start,
        ready: ready.map(|(status, last_transition)| ReadyCondition { status, last_transition }),
        sample: sample.map(|(timestamp, window)| CpuSample {
            usage_milli: 1,
            timestamp,
            window: Duration::from_secs(window),
        }),
    };
    let cfg = testing_cfg();
    let groups = |pods: &[HpaPod], cpu| group_pods(pods, cpu, &cfg, NOW);
    let g = |ready, unready: &[usize], missing: &[usize], ignored: &[usize]| PodGroups {
        ready,
        unready: unready.to_vec(),
        missing: missing.to_vec(),
        ignored: ignored.to_vec(),
    };
    assert_eq!(groups(&[], true), g(0, &[], &[], &[]), "void");
    let succeeded = Phase::Succeeded;
    assert_eq!(
        groups(&[pod(succeeded, None, None, Some((NOW, 60)))], false),
        g(1, &[], &[], &[]),
        "ready pod - memory"
    );
    assert_eq!(
        groups(&[pod(succeeded, Some(NOW), None, Some((Time::ZERO, 0)))], true),
        g(0, &[0], &[], &[]),
        "unready a pod without ready condition - CPU"
    );
    assert_eq!(
        groups(&[pod(succeeded, Some(ago(60)), Some((T, ago(30))), Some((NOW, 30)))], true),
        g(1, &[], &[], &[]),
        "ready pod with fresh metrics during initialization period"
    );
    assert_eq!(
        groups(&[pod(succeeded, Some(ago(60)), Some((T, ago(30))), Some((NOW, 60)))], true),
        g(0, &[0], &[], &[]),
        "ready pod without fresh metrics during initialization period"
    );
    assert_eq!(
        groups(&[pod(succeeded, Some(ago(600)), Some((F, ago(594))), Some((Time::ZERO, 0)))], true),
        g(0, &[0], &[], &[]),
        "unready pod never ready (transition within the readiness delay)"
    );
    assert_eq!(
        groups(&[pod(succeeded, Some(ago(180)), Some((T, ago(180))), Some((ago(120), 60)))], true),
        g(1, &[], &[], &[]),
        "ready pod without fresh metrics after initialization period"
    );
    assert_eq!(
        groups(&[pod(succeeded, Some(ago(600)), Some((F, ago(540))), Some((Time::ZERO, 0)))], true),
        g(1, &[], &[], &[]),
        "unready pod that was ready after initialization period"
    );
    assert_eq!(
        groups(&[pod(succeeded, Some(ago(600)), Some((F, ago(590))), Some((Time::ZERO, 0)))], true),
        g(1, &[], &[], &[]),
        "unready pod whose transition is exactly the readiness delay after start (strict)"
    );
    assert_eq!(groups(&[pod(succeeded, Some(ago(180)), None, None)], true), g(0, &[], &[0], &[]), "a missing pod");
    let several = [
        pod(succeeded, Some(NOW), None, Some((Time::ZERO, 0))),
        pod(succeeded, Some(ago(180)), Some((T, ago(180))), Some((Time::ZERO, 0))),
        pod(succeeded, Some(ago(180)), None, None),
    ];
    assert_eq!(groups(&several, true), g(1, &[0], &[2], &[]), "several pods");
    assert_eq!(
        groups(&[pod(Phase::Pending, None, None, None)], true),
        g(0, &[0], &[], &[]),
        "pending pods are unreadied"
    );
    let mut deleted = pod(Phase::Pending, None, None, Some((Time::ZERO, 0)));
    deleted.deleting = true;
    assert_eq!(groups(&[deleted], true), g(0, &[], &[], &[0]), "ignore pods with deletion timestamps");
    assert_eq!(
        groups(&[pod(Phase::Failed, None, None, Some((Time::ZERO, 0)))], true),
        g(0, &[], &[], &[0]),
        "ignore pods in a failed state"
    );
}

// replica_calculator_test.go TestCalculatePodRequests (container "" cases).
#[test]
fn calculate_pod_requests_table() {
    assert_eq!(pod_cpu_request(&[Some(100), Some(50)], &[]), Some(150), "pod with regular containers");
    assert_eq!(pod_cpu_request(&[None], &[]), None, "container missing requests");
    // init-container1 (20m, not restartable) is not counted; restartable-container1 is.
    assert_eq!(pod_cpu_request(&[Some(100)], &[Some(50)]), Some(150), "pod with restartable init containers");
}

#[test]
fn tolerance_is_inclusive_and_per_direction() {
    let t = Tolerances::uniform(0.1);
    assert!(t.is_within(0.9) && t.is_within(1.1) && !t.is_within(1.1000001) && !t.is_within(0.8999999));
    let b = Behavior::from_spec(
        Some(&ScalingRulesSpec { tolerance: Some(0.05), ..ScalingRulesSpec::default() }),
        Some(&ScalingRulesSpec { tolerance: Some(0.2), ..ScalingRulesSpec::default() }),
    );
    assert_eq!(tolerances_for(0.1, Some(&b)), Tolerances { scale_down: 0.2, scale_up: 0.05 });
    assert_eq!(tolerances_for(0.1, None), Tolerances::uniform(0.1));
}

// ---------------------------------------------------------------------------------------
// horizontal_test.go
// ---------------------------------------------------------------------------------------

fn rec(replicas: i32, ago_secs: u64) -> Recommendation {
    Recommendation { replicas, at: Time::from_secs(1_000_000 - ago_secs) }
}

// horizontal_test.go TestNormalizeDesiredReplicas (stabilizeRecommendation, 5 min window).
#[test]
fn normalize_desired_replicas_table() {
    let cases: [(&str, Vec<Recommendation>, i32, i32, usize); 5] = [
        ("empty log", vec![], 5, 5, 1),
        ("stabilize", vec![rec(4, 120), rec(5, 60)], 3, 5, 3),
        ("no stabilize", vec![rec(1, 120), rec(2, 60)], 3, 3, 3),
        ("no stabilize - old recommendations", vec![rec(10, 600), rec(9, 540)], 3, 3, 2),
        ("stabilize - old recommendations", vec![rec(10, 600), rec(4, 60), rec(5, 120), rec(9, 540)], 3, 5, 4),
    ];
    for (name, recommendations, desired, expected, log_len) in cases {
        let mut s = HpaState { recommendations, ..HpaState::default() };
        assert_eq!(s.stabilize_recommendation(desired, Duration::from_secs(300), NOW), expected, "{name}");
        assert_eq!(s.recommendations.len(), log_len, "{name}");
    }
}

// horizontal_test.go TestConvertDesiredReplicasWithRules.
#[test]
fn convert_desired_replicas_with_rules_table() {
    // (current, desired, min, max, expected, condition)
    let cases = [
        (5, 7, 3, 8, 7, "DesiredWithinRange"),
        (3, 1, 2, 8, 2, "TooFewReplicas"),
        (1, 0, 0, 10, 0, "DesiredWithinRange"),
        (20, 1000, 1, 10, 10, "TooManyReplicas"),
        (3, 1000, 1, 2000, calculate_scale_up_limit(3), "ScaleUpLimit"),
    ];
    for (current, desired, min, max, expected, condition) in cases {
        assert_eq!(convert_desired_replicas_with_rules(current, desired, min, max), (expected, condition));
    }
    assert_eq!(calculate_scale_up_limit(3), 6);
    assert_eq!(calculate_scale_up_limit(1), 4);
}

// horizontal_test.go TestCalculateScaleUpLimitWithScalingRules and
// TestCalculateScaleDownLimitWithBehaviors (selectPolicy Min).
#[test]
fn calculate_limits_with_min_select_policy() {
    let rules = ScalingRules {
        stabilization_window_seconds: Some(300),
        select_policy: SelectPolicy::Min,
        policies: vec![
            ScalingPolicy { kind: PolicyKind::Pods, value: 2, period_seconds: 60 },
            ScalingPolicy { kind: PolicyKind::Percent, value: 50, period_seconds: 60 },
        ],
        tolerance: None,
    };
    assert_eq!(calculate_scale_up_limit_with_scaling_rules(1, &[], &[], &rules, NOW), 2);
    assert_eq!(calculate_scale_down_limit_with_behaviors(5, &[], &[], &rules, NOW), 3);
    let disabled = ScalingRules { select_policy: SelectPolicy::Disabled, ..rules };
    assert_eq!(calculate_scale_up_limit_with_scaling_rules(7, &[], &[], &disabled, NOW), 7);
    assert_eq!(calculate_scale_down_limit_with_behaviors(7, &[], &[], &disabled, NOW), 7);
}

// horizontal.go calculateScaleUpLimitWithScalingRules computes Percent policies in float64:
// 100 * (1 + 10/100) is 110.00000000000001, so +10% of 100 allows 111 (of 50, 56).
#[test]
fn percent_policies_round_up_in_float64() {
    let rules = ScalingRules::scale_up_from(Some(&rules(0, 0, 10, 60, 0)));
    assert_eq!(calculate_scale_up_limit_with_scaling_rules(100, &[], &[], &rules, NOW), 111);
    assert_eq!(calculate_scale_up_limit_with_scaling_rules(50, &[], &[], &rules, NOW), 56);
    assert_eq!(calculate_scale_up_limit_with_scaling_rules(10, &[], &[], &rules, NOW), 11);
}

/// horizontal_test.go generateScalingRules (selectPolicy Max; a zero value omits the policy).
fn rules(pods: i32, pods_period: i32, percent: i32, percent_period: i32, window: i32) -> ScalingRulesSpec {
    let mut policies = Vec::new();
    if pods != 0 {
        policies.push(ScalingPolicy { kind: PolicyKind::Pods, value: pods, period_seconds: pods_period });
    }
    if percent != 0 {
        policies.push(ScalingPolicy { kind: PolicyKind::Percent, value: percent, period_seconds: percent_period });
    }
    ScalingRulesSpec {
        stabilization_window_seconds: Some(window),
        select_policy: Some(SelectPolicy::Max),
        policies: Some(policies),
        tolerance: None,
    }
}

/// horizontal_test.go generateEventsUniformDistribution: event i sits at the middle of the
/// i-th of `len` equal segments of the last `period` seconds (seconds truncated, as the Go
/// conversion does).
fn events(raw: &[i32], period: i32) -> Vec<ScaleEvent> {
    let seg = f64::from(period) / raw.len() as f64;
    raw.iter()
        .enumerate()
        .map(|(i, &change)| {
            let back = (f64::from(period) - seg * (i + 1) as f64 + seg / 2.0) as u64;
            ScaleEvent { change, at: Time::from_secs(1_000_000 - back), outdated: false }
        })
        .collect()
}

// horizontal_test.go TestScalingWithRules (convertDesiredReplicasWithBehaviorRate, rules
// through GenerateHPAScale{Up,Down}Rules). Includes the case upstream skips (`testThis`).
#[test]
fn scaling_with_rules_table() {
    struct C {
        name: &'static str,
        up_events: Vec<ScaleEvent>,
        down_events: Vec<ScaleEvent>,
        min: i32,
        max: i32,
        up: Option<ScalingRulesSpec>,
        down: Option<ScalingRulesSpec>,
        current: i32,
        desired: i32,
        expected: i32,
        condition: &'static str,
    }
    let c = |name, min, max, current, desired, expected, condition| C {
        name,
        up_events: vec![],
        down_events: vec![],
        min,
        max,
        up: None,
        down: None,
        current,
        desired,
        expected,
        condition,
    };
    let cases = vec![
        c("prenormalized desired replicas within range", 3, 8, 5, 7, 7, "DesiredWithinRange"),
        c("prenormalized desired replicas < minReplicas", 2, 8, 3, 1, 2, "TooFewReplicas"),
        c("within range when minReplicas is 0", 0, 10, 1, 0, 0, "DesiredWithinRange"),
        c("maxReplicas is the limit because maxReplicas < scaleUpLimit", 1, 10, 20, 1000, 10, "TooManyReplicas"),
        c("desired replica count is more than the maximum replica count", 100, 150, 100, 1000, 150, "TooManyReplicas"),
        C {
            up: Some(rules(0, 0, 1, 60, 0)),
            ..c("scaleUpLimit < maxReplicas with user policies", 1, 2000, 3, 1000, 4, "ScaleUpLimit")
        },
        C {
            down: Some(rules(20, 60, 0, 0, 0)),
            ..c("scaleDownLimit > minReplicas with user defined policies", 3, 2000, 1000, 3, 980, "ScaleDownLimit")
        },
        c("scaleUp with default behavior", 1, 1000, 10, 50, 20, "ScaleUpLimit"),
        C {
            up: Some(rules(100, 60, 100, 60, 0)),
            ..c("scaleUp pods policy larger than percent", 1, 1000, 10, 500, 110, "ScaleUpLimit")
        },
        C {
            up: Some(rules(2, 60, 100, 60, 0)),
            ..c("scaleUp percent policy larger than pods", 1, 1000, 10, 500, 20, "ScaleUpLimit")
        },
        C {
            up: Some(rules(100, 60, 0, 0, 0)),
            ..c("scaleUp MaxReplicas with large pod policy", 1, 1000, 10, 50, 50, "DesiredWithinRange")
        },
        C {
            up: Some(rules(10000, 60, 0, 0, 0)),
            ..c("scaleUp MaxReplicas with large percent policy", 1, 1000, 10, 50, 50, "DesiredWithinRange")
        },
        C {
            up: Some(rules(30, 60, 0, 0, 0)),
            ..c("scaleUp with pod policy limitation", 1, 1000, 10, 50, 40, "ScaleUpLimit")
        },
        C {
            up: Some(rules(0, 0, 200, 60, 0)),
            ..c("scaleUp with percent policy limitation", 1, 1000, 10, 50, 30, "ScaleUpLimit")
        },
        C {
            down: Some(rules(20, 60, 1, 60, 300)),
            ..c("scaleDown percent policy larger than pod policy", 1, 1000, 100, 2, 80, "ScaleDownLimit")
        },
        C {
            down: Some(rules(2, 60, 1, 60, 300)),
            ..c("scaleDown pod policy larger than percent policy", 1, 1000, 100, 2, 98, "ScaleDownLimit")
        },
        C {
            down: Some(rules(100, 60, 0, 0, 300)),
            ..c("scaleDown MinReplicas with large pod policy", 1, 1000, 10, 0, 1, "TooFewReplicas")
        },
        C {
            down: Some(rules(0, 0, 100, 60, 300)),
            ..c("scaleDown MinReplicas with large percent policy", 5, 1000, 10, 2, 5, "TooFewReplicas")
        },
        C {
            down: Some(rules(5, 60, 0, 0, 300)),
            ..c("scaleDown with pod policy limitation", 1, 1000, 10, 2, 5, "ScaleDownLimit")
        },
        C {
            down: Some(rules(0, 0, 50, 60, 300)),
            ..c("scaleDown with percent policy limitation", 1, 1000, 10, 5, 5, "DesiredWithinRange")
        },
        C {
            up_events: events(&[1, 5, 9], 120),
            up: Some(rules(300, 60, 0, 0, 0)),
            ..c("scaleUp MaxReplicas, large pod policy and events", 1, 200, 100, 500, 200, "TooManyReplicas")
        },
        C {
            up_events: events(&[1, 5, 9], 120),
            up: Some(rules(0, 0, 10000, 60, 0)),
            ..c("scaleUp MaxReplicas, large percent policy and events", 1, 200, 100, 500, 200, "TooManyReplicas")
        },
        C {
            up_events: events(&[1, 5, 9], 120),
            up: Some(rules(5, 120, 0, 0, 0)),
            ..c("scaleUp currentReplicas limitation with many recent events", 1, 1000, 100, 500, 100, "ScaleUpLimit")
        },
        C {
            up_events: events(&[1, 5, 9], 120),
            up: Some(rules(150, 120, 0, 0, 0)),
            ..c("scaleUp with pod policy and previous scale up events", 1, 1000, 100, 500, 235, "ScaleUpLimit")
        },
        C {
            up_events: events(&[1, 5, 9], 120),
            up: Some(rules(0, 0, 200, 120, 0)),
            ..c("scaleUp with percent policy and previous scale up events", 1, 1000, 100, 500, 255, "ScaleUpLimit")
        },
        C {
            up_events: events(&[4], 120),
            down_events: events(&[2], 120),
            up: Some(rules(0, 0, 300, 300, 0)),
            ..c("scaleUp with percent policy and previous up and down events", 1, 1000, 6, 24, 16, "ScaleUpLimit")
        },
        C {
            down_events: events(&[1, 5, 9], 120),
            ..c("scaleDown with default policy and previous events", 1, 1000, 10, 5, 5, "DesiredWithinRange")
        },
        C {
            down_events: events(&[1, 5, 9], 120),
            down: Some(rules(115, 120, 0, 0, 300)),
            ..c("scaleDown MinReplicas=nil, large pod policy, events", 1, 1000, 100, 0, 1, "TooFewReplicas")
        },
        C {
            down_events: events(&[1, 5, 9], 120),
            down: Some(rules(130, 120, 0, 0, 300)),
            ..c("scaleDown MinReplicas, large pod policy, events", 5, 1000, 100, 0, 5, "TooFewReplicas")
        },
        C {
            down_events: events(&[1, 5, 9], 120),
            down: Some(rules(0, 0, 100, 120, 300)),
            ..c("scaleDown MinReplicas, large percent policy, events", 5, 1000, 100, 2, 5, "TooFewReplicas")
        },
        C {
            down_events: events(&[1, 5, 9], 120),
            down: Some(rules(5, 120, 0, 0, 300)),
            ..c("scaleDown with pod policy limitation and previous events", 1, 1000, 100, 2, 100, "ScaleDownLimit")
        },
        C {
            down_events: events(&[2, 4, 6], 120),
            down: Some(rules(0, 0, 50, 120, 300)),
            ..c("scaleDown with percent policy limitation and previous events", 1, 1000, 100, 0, 56, "ScaleDownLimit")
        },
        C {
            up_events: events(&[2], 120),
            down_events: events(&[4], 120),
            down: Some(rules(0, 0, 50, 180, 0)),
            ..c("scaleDown with percent policy and previous up and down events", 1, 1000, 10, 1, 6, "ScaleDownLimit")
        },
        C {
            down_events: events(&[10, 10, 10], 120),
            down: Some(rules(0, 0, 10, 120, 300)),
            ..c("scaleDown with previous events preventing further scale down", 1, 1000, 100, 0, 100, "ScaleDownLimit")
        },
        C {
            down_events: events(&[10, 10, 10], 120),
            down: Some(rules(0, 0, 1000, 120, 300)),
            ..c("scaleDown with previous events still allowing more", 1, 1000, 10, 5, 5, "DesiredWithinRange")
        },
        C {
            up_events: events(&[8, 12, 9, 11], 120),
            up: Some(rules(1000, 60, 0, 0, 0)),
            ..c("outdated flag for one behavior for up", 1, 1000, 100, 200, 200, "DesiredWithinRange")
        },
        C {
            up_events: events(&[8, 12, 9, 11], 120),
            up: Some(rules(1000, 120, 100, 60, 0)),
            ..c("events not outdated for two policies for up", 1, 1000, 100, 200, 200, "DesiredWithinRange")
        },
        C {
            up_events: events(&[8, 12, 9, 11], 120),
            up: Some(rules(1000, 30, 100, 60, 0)),
            ..c("events outdated for two policies for up", 1, 1000, 100, 200, 200, "DesiredWithinRange")
        },
        C {
            down_events: events(&[8, 12, 9, 11], 120),
            down: Some(rules(1000, 60, 0, 0, 300)),
            ..c("outdated flag for one behavior for down", 1, 1000, 100, 5, 5, "DesiredWithinRange")
        },
        C {
            down_events: events(&[8, 12, 9, 11], 120),
            down: Some(rules(1000, 120, 100, 60, 300)),
            ..c("events not outdated for two policies for down", 1, 1000, 100, 5, 5, "DesiredWithinRange")
        },
        C {
            down_events: events(&[8, 12, 9, 11], 120),
            down: Some(rules(1000, 30, 100, 60, 300)),
            ..c("events outdated for two policies for down", 1, 1000, 100, 5, 5, "DesiredWithinRange")
        },
    ];
    for case in cases {
        let state =
            HpaState { scale_up_events: case.up_events, scale_down_events: case.down_events, ..HpaState::default() };
        let up = ScalingRules::scale_up_from(case.up.as_ref());
        let down = ScalingRules::scale_down_from(case.down.as_ref());
        let arg = NormalizationArg {
            scale_up: &up,
            scale_down: &down,
            min_replicas: case.min,
            max_replicas: case.max,
            current_replicas: case.current,
            desired_replicas: case.desired,
        };
        assert_eq!(
            state.convert_desired_replicas_with_behavior_rate(&arg, NOW),
            (case.expected, case.condition),
            "{}",
            case.name
        );
    }
}

// horizontal_test.go TestStoreScaleEvents (10 -> 15 for scale up, 10 -> 5 for scale down;
// the behavior holds `scalingRules` in the tested direction, the other is defaulted).
#[test]
fn store_scale_events_table() {
    let e = |change, ago: u64, outdated| ScaleEvent { change, at: Time::from_secs(1_000_000 - ago), outdated };
    // (name, prev events, rules, expected events (change, outdated), change per 60 s before)
    type StoreCase = (&'static str, Vec<ScaleEvent>, Option<ScalingRulesSpec>, Vec<(i32, bool)>, i32);
    let cases: Vec<StoreCase> = vec![
        ("empty entries with default behavior", vec![], None, vec![], 0),
        ("empty entries with two-policy-behavior", vec![], Some(rules(10, 60, 100, 60, 0)), vec![(5, false)], 0),
        ("one outdated entry kept untouched without behavior", vec![e(7, 61, false)], None, vec![(7, false)], 0),
        (
            "one outdated entry replaced with behavior",
            vec![e(7, 61, false)],
            Some(rules(10, 60, 100, 60, 0)),
            vec![(5, false)],
            0,
        ),
        (
            "one actual entry not touched with behavior",
            vec![e(7, 58, false)],
            Some(rules(10, 60, 100, 60, 0)),
            vec![(7, false), (5, false)],
            7,
        ),
        (
            "two entries, one of them replaced",
            vec![e(7, 61, false), e(6, 59, false)],
            Some(rules(10, 60, 0, 0, 0)),
            vec![(5, false), (6, false)],
            6,
        ),
        (
            "replace one entry, policies with different periods",
            vec![e(8, 29, false), e(6, 59, false), e(7, 61, false), e(9, 61, false)],
            Some(rules(10, 60, 100, 30, 0)),
            vec![(8, false), (6, false), (7, true), (5, false)],
            14,
        ),
        (
            "two entries, both actual",
            vec![e(7, 58, false), e(6, 59, false)],
            Some(rules(10, 120, 100, 30, 0)),
            vec![(7, false), (6, false), (5, false)],
            13,
        ),
    ];
    for (name, prev, spec, expected, change) in cases {
        for up in [true, false] {
            let behavior = spec.as_ref().map(|r| {
                if up {
                    Behavior {
                        scale_up: ScalingRules::scale_up_from(Some(r)),
                        scale_down: ScalingRules::default_scale_down(),
                    }
                } else {
                    Behavior {
                        scale_up: ScalingRules::default_scale_up(),
                        scale_down: ScalingRules::scale_down_from(Some(r)),
                    }
                }
            });
            let mut s = HpaState::default();
            if up {
                s.scale_up_events = prev.clone();
            } else {
                s.scale_down_events = prev.clone();
            }
            let list = |s: &HpaState| if up { s.scale_up_events.clone() } else { s.scale_down_events.clone() };
            assert_eq!(get_replicas_change_per_period(60, &list(&s), NOW), change, "{name} (up: {up})");
            s.store_scale_event(behavior.as_ref(), 10, if up { 15 } else { 5 }, NOW);
            let got: Vec<(i32, bool)> = list(&s).iter().map(|e| (e.change, e.outdated)).collect();
            assert_eq!(got, expected, "{name} (up: {up})");
        }
    }
}

// horizontal_test.go TestNormalizeDesiredReplicasWithBehavior
// (stabilizeRecommendationWithBehaviors; unset windows are 0 in that test).
#[test]
fn normalize_desired_replicas_with_behavior_table() {
    type StabilizeCase = (&'static str, Vec<Recommendation>, i32, i32, i32, Option<Vec<i32>>, i32, i32);
    let cases: Vec<StabilizeCase> = vec![
        ("empty recommendations for scaling down", vec![], 100, 5, 5, Some(vec![5]), 0, 0),
        ("simple scale down stabilization", vec![rec(4, 120), rec(5, 60)], 100, 3, 5, Some(vec![4, 5, 3]), 0, 180),
        ("simple scale up stabilization", vec![rec(4, 120), rec(5, 60)], 1, 7, 4, Some(vec![4, 5, 7]), 300, 0),
        ("no scale down stabilization", vec![rec(1, 120), rec(2, 60)], 100, 3, 3, Some(vec![1, 2, 3]), 300, 0),
        ("no scale up stabilization", vec![rec(4, 120), rec(5, 60)], 1, 3, 3, Some(vec![4, 5, 3]), 0, 300),
        (
            "no scale down stabilization, reuse element",
            vec![rec(10, 600), rec(9, 540)],
            100,
            3,
            3,
            Some(vec![10, 3]),
            0,
            0,
        ),
        (
            "no scale up stabilization, reuse element",
            vec![rec(10, 600), rec(9, 540)],
            1,
            100,
            100,
            Some(vec![10, 100]),
            0,
            0,
        ),
        (
            "scale down stabilization, reuse one obsolete element",
            vec![rec(10, 600), rec(4, 60), rec(5, 120), rec(9, 540)],
            100,
            3,
            5,
            Some(vec![10, 4, 5, 3]),
            0,
            180,
        ),
        (
            "scale up stabilization, reuse one obsolete element",
            vec![rec(10, 6000), rec(6, 60), rec(5, 120), rec(9, 180)],
            1,
            100,
            5,
            Some(vec![100, 6, 5, 9]),
            300,
            0,
        ),
        ("do not scale up when prenormalized rec goes down", vec![rec(2, 6000), rec(3, 180)], 2, 1, 2, None, 300, 300),
        ("do not scale down when prenormalized rec goes up", vec![rec(2, 6000), rec(1, 180)], 2, 3, 2, None, 300, 300),
    ];
    for (name, recommendations, current, desired, expected, stored, up_window, down_window) in cases {
        let mut s = HpaState { recommendations, ..HpaState::default() };
        let (got, _) = s.stabilize_recommendation_with_behaviors(desired, current, up_window, down_window, NOW);
        assert_eq!(got, expected, "{name}");
        if let Some(stored) = stored {
            let kept: Vec<i32> = s.recommendations.iter().map(|r| r.replicas).collect();
            assert_eq!(kept, stored, "{name}");
        }
    }
}

// horizontal.go reconcileAutoscaler with horizontal_test.go TestScaleUpRCImmediately,
// TestScaleDownRCImmediately and TestScaleUp (3 pods at 300/500/700m of 1 CPU, target 30%).
#[test]
fn reconcile_clamps_out_of_range_counts_and_follows_metrics() {
    let cfg = HpaConfig::default();
    let spec = |min, max| HpaSpec { min_replicas: min, max_replicas: max, behavior: None };
    let mut s = HpaState::default();
    let up = reconcile(&mut s, &spec(2, 6), &cfg, 1, Err(HpaError::NoMetrics), NOW).unwrap();
    assert_eq!(
        (up.desired, up.rescale, up.reason.as_str()),
        (2, true, "Current number of replicas below Spec.MinReplicas")
    );
    let mut s = HpaState::default();
    let down = reconcile(&mut s, &spec(2, 5), &cfg, 6, Err(HpaError::NoMetrics), NOW).unwrap();
    assert_eq!((down.desired, down.rescale), (5, true));

    let pods: Vec<HpaPod> = [300, 500, 700]
        .iter()
        .map(|&u| HpaPod::running(1000, Time::ZERO).with_sample(u, NOW, Duration::from_secs(30)))
        .collect();
    let metric = get_resource_replicas(3, 30, &pods, Tolerances::uniform(cfg.tolerance), &cfg, NOW).map(|r| r.replicas);
    assert_eq!(metric, Ok(5));
    let mut s = HpaState::default();
    let out = reconcile(&mut s, &spec(2, 6), &cfg, 3, metric, NOW).unwrap();
    assert_eq!(out.desired, 5);
    assert_eq!(out.reason, "cpu resource utilization (percentage of request) above target");
    // Scaling is disabled at zero replicas; a metric error stops the sync.
    let mut s = HpaState::default();
    assert!(!reconcile(&mut s, &spec(1, 6), &cfg, 0, Ok(3), NOW).unwrap().rescale);
    assert_eq!(reconcile(&mut s, &spec(1, 6), &cfg, 3, Err(HpaError::NoPods), NOW), Err(HpaError::NoPods));
}

// horizontal.go recordInitialRecommendation + stabilizeRecommendation: a new HPA without
// behavior does not scale down during its first five minutes, then drops at once.
#[test]
fn a_new_hpa_waits_out_the_downscale_window() {
    let cfg = HpaConfig::default();
    let spec = HpaSpec { min_replicas: 1, max_replicas: 10, behavior: None };
    let mut s = HpaState::default();
    let mut t = Time::from_secs(0);
    let mut desired = Vec::new();
    while t <= Time::from_secs(330) {
        let out = reconcile(&mut s, &spec, &cfg, 8, Ok(2), t).unwrap();
        desired.push((t.as_nanos() / 1_000_000_000, out.desired));
        t += cfg.sync_period;
    }
    // The seed (8, 0 s) is younger than 300 s through t = 300 s (not strictly older), so it holds.
    assert!(desired.iter().filter(|(s, _)| *s <= 300).all(|&(_, d)| d == 8), "{desired:?}");
    assert_eq!(desired.last(), Some(&(330, 2)));
}

// With the default behavior, scale-up is max(+4 pods, +100%) per 15 s and scale-down waits
// out the 300 s window, then 100% per 15 s.
#[test]
fn default_behavior_rates() {
    let cfg = HpaConfig::default();
    let spec = HpaSpec { min_replicas: 1, max_replicas: 100, behavior: Some(Behavior::default()) };
    let mut s = HpaState::default();
    let mut current = 2;
    let mut seen = Vec::new();
    for step in 0..4u64 {
        let out = reconcile(&mut s, &spec, &cfg, current, Ok(90), Time::from_secs(step * 15)).unwrap();
        current = out.desired;
        seen.push(current);
    }
    assert_eq!(seen, vec![6, 12, 24, 48]);
    // Two syncs within one 15 s period share the budget: 48 -> 96 is allowed, 96 -> 100 only after.
    let out = reconcile(&mut s, &spec, &cfg, 48, Ok(100), Time::from_secs(60)).unwrap();
    assert_eq!(out.desired, 96);
    let same_period = reconcile(&mut s, &spec, &cfg, 96, Ok(100), Time::from_secs(61)).unwrap();
    assert_eq!(same_period.desired, 96, "the period's budget is used up");
    assert_eq!(same_period.normalized.unwrap().limit_reason, "ScaleUpLimit");
}
