//! Upstream's test tables for the rollout arithmetic, restated. Each test names the Go test
//! it restates; file paths are relative to github.com/kubernetes/kubernetes.

use super::*;
use crate::model::IntOrPercent::{Int, Percent};
use proptest::prelude::*;

fn rs(id: u32, created_seq: u64, replicas: i32) -> RsSnapshot {
    RsSnapshot::new(RsId(id), created_seq, replicas)
}

fn write(id: u32, replicas: i32) -> RsWrite {
    RsWrite { rs: RsId(id), replicas }
}

type OldCase = (i32, i64, i32, i32, i32, i32, bool, i32);
type FractionCase = (&'static str, i32, i32, i64, i32, Option<i32>, i32);
type PlanCase = (&'static str, i32, i64, i32, [i32; 3], [i32; 3]);

// pkg/controller/deployment/util/deployment_util_test.go TestResolveFenceposts. A nil
// fence post is ValueOrDefault(nil, 0); the "oops"/"urg" error cases cannot be expressed
// by `IntOrPercent` (the scenario loader rejects them).
#[test]
fn resolve_fenceposts_table() {
    assert_eq!(resolve_fenceposts(Percent(0), Percent(0), 0), (0, 1));
    assert_eq!(resolve_fenceposts(Percent(39), Percent(39), 10), (4, 3));
    assert_eq!(resolve_fenceposts(Int(0), Percent(39), 10), (0, 3));
    assert_eq!(resolve_fenceposts(Percent(39), Int(0), 10), (4, 0));
    assert_eq!(resolve_fenceposts(Int(0), Int(0), 10), (0, 1));
    // K8S-REFERENCE.md 3.2 examples.
    assert_eq!(resolve_fenceposts(Percent(25), Percent(25), 10), (3, 2));
    assert_eq!(resolve_fenceposts(Percent(25), Percent(25), 1), (1, 0));
}

// deployment_util_test.go TestMaxUnavailable (maxSurge 1 throughout).
#[test]
fn max_unavailable_table() {
    let d = |replicas, mu| RolloutSpec::rolling(replicas, Int(1), mu);
    assert_eq!(max_unavailable(&d(10, Int(5))), 5, "less than replicas");
    assert_eq!(max_unavailable(&d(10, Int(10))), 10, "equal replicas");
    assert_eq!(max_unavailable(&d(5, Int(10))), 5, "greater than replicas");
    assert_eq!(max_unavailable(&d(0, Int(10))), 0, "replicas is 0");
    assert_eq!(max_unavailable(&RolloutSpec::recreate(0)), 0, "Recreate");
    assert_eq!(max_unavailable(&d(10, Percent(50))), 5, "less than replicas with percents");
    assert_eq!(max_unavailable(&d(10, Percent(100))), 10, "equal replicas with percents");
    assert_eq!(max_unavailable(&d(5, Percent(100))), 5, "greater than replicas with percents");
}

// deployment_util_test.go TestMinAvailable (maxSurge 1 throughout).
#[test]
fn min_available_table() {
    let d = |replicas, mu| RolloutSpec::rolling(replicas, Int(1), mu);
    assert_eq!(min_available(&d(10, Int(5))), 5);
    assert_eq!(min_available(&d(10, Int(10))), 0);
    assert_eq!(min_available(&d(5, Int(10))), 0);
    assert_eq!(min_available(&d(0, Int(10))), 0);
    assert_eq!(min_available(&RolloutSpec::recreate(10)), 0);
    assert_eq!(min_available(&d(10, Percent(60))), 4);
    assert_eq!(min_available(&d(10, Percent(100))), 0);
    assert_eq!(min_available(&d(5, Percent(100))), 0);
}

// deployment_util_test.go TestNewRSNewReplicas (the DeploymentPodReplacementPolicy
// variants give the same answers; the first ReplicaSet of the list is the new one).
#[test]
fn new_rs_new_replicas_table() {
    let zero = RolloutSpec::rolling(0, Int(0), Int(0));
    assert_eq!(new_rs_new_replicas(&zero, &rs(0, 0, 5), &[]), 0, "empty deployment does not scale");
    let surge1 = RolloutSpec::rolling(9, Int(1), Int(0));
    assert_eq!(new_rs_new_replicas(&surge1, &rs(0, 0, 5), &[rs(1, 0, 5)]), 5, "too many pods in the old RS");
    let surge3 = RolloutSpec::rolling(6, Int(3), Int(0));
    assert_eq!(new_rs_new_replicas(&surge3, &rs(0, 0, 2), &[rs(1, 0, 5)]), 4, "partially scale up");
    let surge10 = RolloutSpec::rolling(6, Int(10), Int(0));
    assert_eq!(new_rs_new_replicas(&surge10, &rs(0, 0, 2), &[rs(1, 0, 5)]), 6, "fully scale up");
    let recreate = RolloutSpec::recreate(3);
    assert_eq!(new_rs_new_replicas(&recreate, &rs(0, 0, 1), &[rs(1, 0, 5)]), 3, "recreate scales fully");
}

// pkg/controller/deployment/rolling_test.go TestDeploymentController_reconcileNewReplicaSet
// (maxUnavailable 0).
#[test]
fn reconcile_new_replica_set_table() {
    // (deploymentReplicas, maxSurge, oldReplicas, newReplicas, expected new size if scaled)
    let cases: [(i32, i64, i32, i32, Option<i32>); 5] = [
        (10, 0, 10, 0, None),
        (10, 2, 10, 0, Some(2)),
        (10, 2, 5, 0, Some(7)),
        (10, 2, 10, 2, None),
        (10, 2, 2, 11, Some(10)),
    ];
    for (i, (replicas, surge, old, new, expected)) in cases.into_iter().enumerate() {
        let spec = RolloutSpec::rolling(replicas, Int(surge), Int(0));
        assert_eq!(new_rs_scale_up(&spec, &rs(1, 1, new), &[rs(0, 0, old)]), expected, "scenario {i}");
    }
}

// rolling_test.go TestDeploymentController_reconcileOldReplicaSets (maxSurge 0).
#[test]
fn reconcile_old_replica_sets_table() {
    // (deploymentReplicas, maxUnavailable, oldReplicas, newReplicas, readyOld, readyNew,
    //  scaleExpected, expectedOldReplicas)
    let cases: [OldCase; 5] = [
        (10, 0, 10, 0, 10, 0, true, 9),
        (10, 2, 10, 0, 10, 0, true, 8),
        // unhealthy replicas from old replica sets are cleaned up
        (10, 2, 10, 0, 8, 0, true, 8),
        // 1 unhealthy replica cleaned up, 1 ready pod scaled down
        (10, 2, 10, 0, 9, 0, true, 8),
        // the unavailable pods of the new RS do not let old RSs scale down further
        (10, 2, 8, 2, 8, 0, false, 8),
    ];
    for (i, (replicas, mu, old, new, ready_old, ready_new, scaled, expected_old)) in cases.into_iter().enumerate() {
        let spec = RolloutSpec::rolling(replicas, Int(0), Int(mu));
        let old_rs = rs(0, 0, old).with_available(ready_old);
        let new_rs = rs(1, 1, new).with_available(ready_new);
        let got = old_rs_scale_down(&spec, &new_rs, &[old_rs]);
        assert_eq!(got.scaled, scaled, "scenario {i}");
        let final_old = got.writes.iter().rev().find(|w| w.rs == RsId(0)).map_or(old, |w| w.replicas);
        assert_eq!(final_old, expected_old, "scenario {i}");
    }
}

// rolling_test.go TestDeploymentController_cleanupUnhealthyReplicas.
#[test]
fn cleanup_unhealthy_replicas_table() {
    // (oldReplicas, readyPods, maxCleanupCount, cleanupCountExpected)
    for (old, ready, max, expected) in [(10, 8, 1, 1), (10, 8, 3, 2), (10, 8, 0, 0), (10, 10, 3, 0)] {
        let got = cleanup_unhealthy_replicas(&[rs(0, 0, old).with_available(ready)], max);
        assert_eq!(got.count, expected, "old {old} ready {ready} max {max}");
        assert!(!got.aborted);
    }
}

// rolling.go cleanupUnhealthyReplicas: more available than spec is upstream's "invalid
// request to scale down" error, which ends the scale-down without scaling (the writes to
// older ReplicaSets already made stand).
#[test]
fn cleanup_aborts_when_an_old_replica_set_is_over_available() {
    let old = [rs(0, 0, 4).with_available(3), rs(1, 1, 3).with_available(5)];
    let got = cleanup_unhealthy_replicas(&old, 10);
    assert!(got.aborted);
    assert_eq!(got.writes, vec![write(0, 3)]);
    // maxScaledDown = 7 - 5 - 0 = 2: one unhealthy pod of RS 0 goes, then RS 1 errors.
    let spec = RolloutSpec::rolling(7, Int(0), Int(2));
    let down = old_rs_scale_down(&spec, &rs(2, 2, 0), &old);
    assert_eq!(down, OldScaleDown { writes: vec![write(0, 3)], scaled: false });
}

// rolling_test.go TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate
// (allRSs is just the old ReplicaSet; maxSurge 0).
#[test]
fn scale_down_old_replica_sets_for_rolling_update_table() {
    // (deploymentReplicas, maxUnavailable, readyPods, oldReplicas, expected size if scaled)
    let cases: [(i32, i64, i32, i32, Option<i32>); 5] = [
        (10, 0, 10, 10, Some(9)),
        (10, 2, 10, 10, Some(8)),
        (10, 2, 8, 10, None),
        (10, 2, 10, 0, None),
        (10, 2, 1, 10, None),
    ];
    for (i, (replicas, mu, ready, old, expected)) in cases.into_iter().enumerate() {
        let spec = RolloutSpec::rolling(replicas, Int(0), Int(mu));
        let (writes, count) = scale_down_old_for_rolling_update(&spec, None, &[rs(0, 0, old).with_available(ready)]);
        match expected {
            Some(size) => {
                assert_eq!(writes, vec![write(0, size)], "scenario {i}");
                assert_eq!(count, old - size, "scenario {i}");
            }
            None => assert_eq!(count, 0, "scenario {i}"),
        }
    }
}

// rolling.go reconcileOldReplicaSets, the two worked examples in its comment (10 replicas,
// maxUnavailable 2, maxSurge 3).
#[test]
fn reconcile_old_replica_sets_comment_examples() {
    let spec = RolloutSpec::rolling(10, Int(3), Int(2));
    // Case 1: new RS crashloops at 5, a node failure takes one old pod: 13 - 8 - 5 = 0.
    let old = rs(0, 0, 8).with_available(7);
    let new = rs(1, 1, 5).with_available(0);
    assert_eq!(old_rs_scale_down(&spec, &new, &[old]), OldScaleDown::default());
    // After `rollout undo` the old RS is new again: maxScaledDown = 13 - 8 - 1 = 4 and the
    // 4 crashlooping pods (now in an old RS) are cleaned up.
    let crashing = rs(1, 1, 5).with_available(0);
    let back = rs(0, 0, 8).with_available(7);
    let got = old_rs_scale_down(&spec, &back, &[crashing]);
    assert_eq!(got.writes, vec![write(1, 1)]);
    assert!(got.scaled);
}

// pkg/controller/deployment/sync_test.go TestScale. The old Deployment's replicas (or the
// desiredReplicasAnnotations override) and its maxSurge are on every ReplicaSet's
// annotations; `newTimestamp`/`oldTimestamp`/`olderTimestamp` are creation order 2/1/0;
// foo-v1/v2/v3 are RsId 1/2/3. Expected sizes of ReplicaSets upstream marks `wasntUpdated`
// are the unchanged sizes.
#[test]
fn scale_table() {
    struct Case {
        name: &'static str,
        replicas: i32,
        surge: i64,
        unavailable: i64,
        old_replicas: i32,
        old_surge: i64,
        new: Option<(u32, u64, i32)>,
        old: Vec<(u32, u64, i32)>,
        desired_override: Option<(u32, i32)>,
        new_available: i32,
        expected: Vec<(u32, i32)>,
    }
    let c = |name, replicas, old_replicas, new: Option<(u32, u64, i32)>, old: Vec<(u32, u64, i32)>, expected| Case {
        name,
        replicas,
        surge: 0,
        unavailable: 0,
        old_replicas,
        old_surge: 0,
        new,
        old,
        desired_override: None,
        new_available: 0,
        expected,
    };
    let cases = vec![
        c("normal scaling event: 10 -> 12", 12, 10, Some((1, 2, 10)), vec![], vec![(1, 12)]),
        c("normal scaling event: 10 -> 5", 5, 10, Some((1, 2, 10)), vec![], vec![(1, 5)]),
        c("proportional scaling: 5 -> 10", 10, 5, Some((2, 2, 2)), vec![(1, 1, 3)], vec![(2, 4), (1, 6)]),
        c("proportional scaling: 5 -> 3", 3, 5, Some((2, 2, 2)), vec![(1, 1, 3)], vec![(2, 1), (1, 2)]),
        c("proportional scaling: 9 -> 4", 4, 9, Some((2, 2, 8)), vec![(1, 1, 1)], vec![(2, 4), (1, 0)]),
        c(
            "proportional scaling: 7 -> 10",
            10,
            7,
            Some((3, 2, 2)),
            vec![(2, 1, 3), (1, 0, 2)],
            vec![(3, 3), (2, 4), (1, 3)],
        ),
        c(
            "proportional scaling: 13 -> 8",
            8,
            13,
            Some((3, 2, 2)),
            vec![(2, 1, 8), (1, 0, 3)],
            vec![(3, 1), (2, 5), (1, 2)],
        ),
        c(
            "leftover distribution: 3 -> 4",
            4,
            3,
            Some((3, 2, 1)),
            vec![(2, 1, 1), (1, 0, 1)],
            vec![(3, 2), (2, 1), (1, 1)],
        ),
        c(
            "leftover distribution: 3 -> 2",
            2,
            3,
            Some((3, 2, 1)),
            vec![(2, 1, 1), (1, 0, 1)],
            vec![(3, 1), (2, 1), (1, 0)],
        ),
        c("proportional scaling (no new rs): 4 -> 5", 5, 4, None, vec![(2, 1, 2), (1, 0, 2)], vec![(2, 3), (1, 2)]),
        c(
            "proportional scaling: 6 -> 0",
            0,
            6,
            Some((3, 2, 3)),
            vec![(2, 1, 2), (1, 0, 1)],
            vec![(3, 0), (2, 0), (1, 0)],
        ),
        c(
            "proportional scaling: 0 -> 6",
            6,
            6,
            Some((3, 2, 0)),
            vec![(2, 1, 0), (1, 0, 0)],
            vec![(3, 6), (2, 0), (1, 0)],
        ),
        Case {
            desired_override: Some((2, 3)),
            ..c("failed rs update", 5, 5, Some((3, 2, 2)), vec![(2, 1, 1), (1, 0, 1)], vec![(3, 2), (2, 2), (1, 1)])
        },
        Case {
            surge: 2,
            old_surge: 2,
            ..c("deployment with surge pods", 20, 10, Some((2, 2, 6)), vec![(1, 1, 6)], vec![(2, 11), (1, 11)])
        },
        Case {
            surge: 6,
            old_surge: 3,
            ..c("change both surge and size", 50, 10, Some((2, 2, 5)), vec![(1, 1, 8)], vec![(2, 22), (1, 34)])
        },
        c("change both size and template", 14, 10, None, vec![(2, 2, 7), (1, 1, 3)], vec![(2, 10), (1, 4)]),
        Case {
            surge: 1,
            unavailable: 1,
            old_surge: 1,
            new_available: 0,
            ..c(
                "saturated but broken new replica set does not affect old pods",
                2,
                2,
                Some((2, 2, 2)),
                vec![(1, 1, 1)],
                vec![(2, 2), (1, 1)],
            )
        },
    ];
    for case in cases {
        let spec = RolloutSpec::rolling(case.replicas, Int(case.surge), Int(case.unavailable));
        let old_spec = RolloutSpec::rolling(case.old_replicas, Int(case.old_surge), Int(case.unavailable));
        let annotate = |(id, seq, replicas): (u32, u64, i32)| {
            let desired = match case.desired_override {
                Some((o, d)) if o == id => d,
                _ => case.old_replicas,
            };
            rs(id, seq, replicas).with_annotations(desired, desired + max_surge(&old_spec))
        };
        let new = case.new.map(|n| annotate(n).with_available(case.new_available));
        let old: Vec<RsSnapshot> = case.old.iter().copied().map(annotate).collect();
        let writes = proportional_scale(&spec, new.as_ref(), &old, 0);
        for (id, expected) in &case.expected {
            let start = new.iter().chain(&old).find(|r| r.id == RsId(*id)).unwrap().replicas;
            let got = writes.iter().rev().find(|w| w.rs == RsId(*id)).map_or(start, |w| w.replicas);
            assert_eq!(got, *expected, "{}: RS {id}", case.name);
        }
    }
}

// deployment_util_test.go TestGetReplicaSetFraction (cases without the
// DeploymentPodReplacementPolicy gate; maxUnavailable 1).
#[test]
fn get_replica_set_fraction_table() {
    // (deploymentReplicas, deploymentStatusReplicas, maxSurge, rsReplicas, max-replicas, expected)
    let cases: [FractionCase; 8] = [
        ("empty deployment always scales to 0", 0, 0, 0, 10, None, -10),
        ("unsynced deployment does not scale when the annotation is missing", 10, 0, 0, 5, None, 0),
        ("scale up by 1/5 with the annotation missing", 120, 100, 0, 50, None, 10),
        ("scale up by 1/5", 120, 0, 0, 50, Some(100), 10),
        ("scale up with maxSurge by 1/5", 120, 0, 10, 50, Some(110), 9),
        ("scale down by 1/6", 10, 0, 0, 6, Some(12), -1),
        ("scale down with maxSurge by 1/6", 100, 0, 10, 50, Some(130), -8),
        ("replicas-before-scale ignored with the gate off", 120, 0, 0, 55, Some(100), 11),
    ];
    for (name, replicas, status, surge, rs_replicas, max, expected) in cases {
        let spec = RolloutSpec::rolling(replicas, Int(surge), Int(1));
        let mut r = rs(0, 0, rs_replicas);
        r.max_annotation = max;
        assert_eq!(get_replica_set_fraction(&r, &spec, status), expected, "{name}");
    }
}

// deployment_util_test.go TestGetReplicaSetProportion (the Deployment has no strategy, so
// maxSurge is 0).
#[test]
fn get_replica_set_proportion_table() {
    // (deploymentReplicas, rsReplicas, max-replicas, replicasToAdd, replicasAdded, expected)
    let cases: [(&str, i32, i32, i32, i32, i32, i32); 7] = [
        ("empty RS always scales to 0", 10, 0, 5, 0, 0, 0),
        ("replicasToAdd=0 always scales to 0", 10, 5, 5, 0, 0, 0),
        ("replicasToAdd=replicasAdded always scales to 0", 10, 5, 5, 5, 5, 0),
        ("scale up by 1/5 with enough capacity", 120, 50, 100, 20, 5, 10),
        ("scale up by 1/5 without enough capacity", 120, 50, 100, 20, 13, 7),
        ("scale down by 1/6 with enough capacity", 100, 60, 120, -20, -10, -10),
        ("scale down by 1/6 without enough capacity", 100, 60, 120, -20, -19, -1),
    ];
    for (name, replicas, rs_replicas, max, to_add, added, expected) in cases {
        let spec = RolloutSpec::recreate(replicas);
        let mut r = rs(0, 0, rs_replicas);
        r.max_annotation = Some(max);
        assert_eq!(get_proportion(&r, &spec, 0, to_add, added), expected, "{name}");
    }
}

// deployment_util_test.go TestPrepareProportionalScalePlan (cases without the
// DeploymentPodReplacementPolicy gate). rs-N was created N minutes after the Deployment;
// every RS carries max-replicas = old replicas + maxSurge; maxUnavailable 1.
#[test]
fn prepare_proportional_scale_plan_table() {
    let cases: [PlanCase; 8] = [
        ("should scale up proportionally", 100, 0, 120, [50, 30, 20], [60, 36, 24]),
        ("should scale down proportionally", 120, 0, 100, [60, 36, 24], [50, 30, 20]),
        ("largest rs-2 gets the leftover when scaling up", 100, 0, 111, [30, 40, 30], [33, 45, 33]),
        ("newest and largest rs-3 gets the leftover when scaling up", 100, 0, 111, [40, 40, 20], [45, 44, 22]),
        ("oldest and largest rs-3 gets the leftover when scaling down", 111, 0, 100, [44, 44, 23], [40, 39, 21]),
        ("should scale up proportionally with maxSurge", 100, 10, 120, [60, 30, 20], [71, 35, 24]),
        ("scale up with maxSurge: second iteration", 120, 10, 130, [71, 35, 24], [76, 38, 26]),
        ("should scale down proportionally with maxSurge", 120, 10, 100, [71, 35, 24], [60, 30, 20]),
    ];
    for (name, replicas, surge, scaled_to, sizes, expected) in cases {
        // sizes/expected are [rs-3, rs-2, rs-1].
        let all: Vec<RsSnapshot> = sizes
            .iter()
            .zip([3u32, 2, 1])
            .map(|(&size, n)| {
                let mut r = rs(n, u64::from(n), size);
                r.max_annotation = Some(replicas + surge as i32);
                r
            })
            .collect();
        let spec = RolloutSpec::rolling(scaled_to, Int(surge), Int(1));
        let to_add = scaled_to + surge as i32 - sizes.iter().sum::<i32>();
        let mut sorted = all.clone();
        if to_add >= 0 {
            sorted.sort_by(|a, b| b.replicas.cmp(&a.replicas).then_with(|| older_first(b, a)));
        } else {
            sorted.sort_by(|a, b| b.replicas.cmp(&a.replicas).then_with(|| older_first(a, b)));
        }
        let plan = proportional_plan(&sorted, &spec, 0, to_add);
        for (n, want) in [3u32, 2, 1].into_iter().zip(expected) {
            let got = plan.iter().find(|(id, _)| *id == RsId(n)).unwrap().1;
            assert_eq!(got, want, "{name}: rs-{n}");
        }
    }
}

// deployment_util_test.go TestDeploymentComplete.
#[test]
fn deployment_complete_table() {
    let status = |current, updated, available| DeploymentStatusCounts {
        replicas: current,
        updated,
        available,
        ..DeploymentStatusCounts::default()
    };
    // (desired, current, updated, available, expected); maxUnavailable/maxSurge do not matter.
    let cases = [
        ("min but not all pods become available", 5, 5, 5, 4, false),
        ("min availability is not honored", 5, 5, 5, 3, false),
        ("complete", 5, 5, 5, 5, true),
        ("all pods are available but not updated", 5, 5, 4, 5, false),
        ("still running old pods", 1, 2, 1, 1, false),
        ("one replica deployment never comes up", 1, 1, 1, 0, false),
    ];
    for (name, desired, current, updated, available, expected) in cases {
        assert_eq!(deployment_complete(desired, 0, &status(current, updated, available)), expected, "{name}");
    }
}

// deployment_util_test.go TestDeploymentProgressing.
#[test]
fn deployment_progressing_table() {
    let s = |replicas, updated, ready, available| DeploymentStatusCounts {
        replicas,
        updated,
        ready,
        available,
        ..DeploymentStatusCounts::default()
    };
    let cases = [
        ("progressing: updated pods", s(10, 4, 4, 4), s(10, 6, 4, 4), true),
        ("not progressing", s(10, 4, 4, 4), s(10, 4, 4, 4), false),
        ("progressing: old pods removed", s(10, 4, 6, 6), s(8, 4, 6, 6), true),
        ("not progressing: less new pods", s(10, 7, 3, 3), s(10, 6, 3, 3), false),
        ("progressing: less overall but more new pods", s(10, 4, 7, 7), s(8, 8, 5, 5), true),
        ("progressing: more ready pods", s(10, 10, 9, 8), s(10, 10, 10, 8), true),
        ("progressing: more available pods", s(10, 10, 10, 9), s(10, 10, 10, 10), true),
    ];
    for (name, old, new, expected) in cases {
        assert_eq!(deployment_progressing(&old, &new), expected, "{name}");
    }
}

// deployment_util_test.go TestDeploymentTimedOut. The upstream reason "" is any reason
// other than NewReplicaSetAvailable / ProgressDeadlineExceeded (FoundNewReplicaSet here).
#[test]
fn deployment_timed_out_table() {
    let t = |min: u64, sec: u64| Time::from_secs(min * 60 + sec);
    let cond = |reason, from| ProgressingCondition {
        status: ConditionStatus::True,
        reason,
        last_update: from,
        last_transition: from,
    };
    let other = ProgressingReason::FoundNewReplicaSet;
    let ten = progress_deadline(Some(10));
    assert!(!deployment_timed_out(progress_deadline(None), Some(&cond(other, t(1, 9))), t(1, 20)), "nil deadline");
    assert!(
        !deployment_timed_out(progress_deadline(Some(i32::MAX)), Some(&cond(other, t(1, 9))), t(1, 20)),
        "infinite"
    );
    assert!(deployment_timed_out(ten, Some(&cond(other, t(1, 9))), t(1, 20)), "11s > 10s");
    assert!(!deployment_timed_out(ten, Some(&cond(other, t(1, 11))), t(1, 20)), "9s < 10s");
    assert!(
        !deployment_timed_out(
            progress_deadline(None),
            Some(&cond(ProgressingReason::NewReplicaSetAvailable, t(0, 0))),
            t(1, 0)
        ),
        "previous status was a complete deployment"
    );
    // Strict: exactly at the deadline is not yet timed out.
    assert!(!deployment_timed_out(ten, Some(&cond(other, t(1, 10))), t(1, 20)));
    assert!(deployment_timed_out(ten, Some(&cond(ProgressingReason::ProgressDeadlineExceeded, t(1, 19))), t(1, 20)));
    assert!(!deployment_timed_out(ten, None, t(1, 20)), "no Progressing condition");
}

// progress.go syncRolloutStatus and requeueStuckDeployment.
#[test]
fn progressing_condition_follows_sync_rollout_status() {
    let deadline = progress_deadline(Some(600));
    let s = |replicas, updated, available| DeploymentStatusCounts {
        replicas,
        updated,
        ready: available,
        available,
        ..DeploymentStatusCounts::default()
    };
    let created =
        set_progressing(None, ConditionStatus::True, ProgressingReason::NewReplicaSetCreated, Time::from_secs(0));
    // Progress refreshes lastUpdateTime and keeps lastTransitionTime.
    let c = sync_rollout_progress(deadline, 3, 0, &s(3, 0, 3), &s(4, 1, 3), Some(created), Time::from_secs(5)).unwrap();
    assert_eq!(c.reason, ProgressingReason::ReplicaSetUpdated);
    assert_eq!((c.last_update, c.last_transition), (Time::from_secs(5), Time::from_secs(0)));
    // Progress again with the same reason still refreshes lastUpdateTime.
    let c2 = sync_rollout_progress(deadline, 3, 0, &s(4, 1, 3), &s(4, 2, 3), Some(c), Time::from_secs(9)).unwrap();
    assert_eq!(c2.last_update, Time::from_secs(9));
    // No progress: nothing changes until the deadline has strictly passed.
    let same = s(4, 2, 3);
    assert_eq!(sync_rollout_progress(deadline, 3, 0, &same, &same, Some(c2), Time::from_secs(609)), Some(c2));
    let recheck = progress_recheck_after(deadline, 3, 0, &same, Some(&c2), Time::from_secs(9)).unwrap();
    assert_eq!(recheck, Duration::from_secs(601));
    let late = sync_rollout_progress(deadline, 3, 0, &same, &same, Some(c2), Time::from_secs(610)).unwrap();
    assert_eq!(late.status, ConditionStatus::False);
    assert_eq!(late.reason, ProgressingReason::ProgressDeadlineExceeded);
    assert_eq!(progress_recheck_after(deadline, 3, 0, &same, Some(&late), Time::from_secs(610)), None);
    // Completion.
    let done = sync_rollout_progress(deadline, 3, 0, &same, &s(3, 3, 3), Some(c2), Time::from_secs(20)).unwrap();
    assert_eq!(done.reason, ProgressingReason::NewReplicaSetAvailable);
    assert_eq!(done.last_transition, Time::from_secs(0));
    // Without a deadline the condition is removed.
    assert_eq!(sync_rollout_progress(None, 3, 0, &same, &same, Some(c2), Time::from_secs(20)), None);
}

// sync.go TestDeploymentController_cleanupDeployment. No ReplicaSet has a revision, so
// they are ordered by creation (then name); the one already being deleted is left out by
// the caller (cleanupDeployment's aliveFilter).
#[test]
fn cleanup_deployment_table() {
    let with_status = |id, spec, status| RsSnapshot::new(RsId(id), u64::from(id), spec).with_status(status, 0, 0);
    let cases: [(&str, Vec<RsSnapshot>, Option<i32>, usize); 6] = [
        ("limit 1", vec![with_status(1, 0, 0), with_status(2, 0, 0), with_status(3, 0, 0)], Some(1), 2),
        (
            "only spec = status = 0",
            vec![with_status(1, 0, 0), with_status(2, 0, 1), with_status(3, 1, 0), with_status(4, 1, 1)],
            Some(0),
            1,
        ),
        ("limit 0", vec![with_status(1, 0, 0), with_status(2, 0, 0)], Some(0), 2),
        ("all busy", vec![with_status(1, 1, 1), with_status(2, 1, 1)], Some(0), 0),
        ("already deleted", vec![], Some(0), 0),
        ("unlimited", vec![with_status(1, 0, 0), with_status(2, 0, 0), with_status(3, 0, 0)], Some(i32::MAX), 0),
    ];
    for (name, old, limit, expected) in cases {
        assert_eq!(cleanup_old_replica_sets(&old, limit).len(), expected, "{name}");
    }
}

#[test]
fn cleanup_walks_oldest_revisions_first() {
    let old: Vec<RsSnapshot> =
        [(5, 4), (6, 2), (7, 3), (8, 1)].iter().map(|&(id, rev)| rs(id, 0, 0).with_revision(rev)).collect();
    assert_eq!(cleanup_old_replica_sets(&old, Some(2)), vec![RsId(8), RsId(6)]);
    // A busy ReplicaSet among the oldest is skipped, not replaced by the next one.
    let mut busy = old.clone();
    busy[3].replicas = 1;
    assert_eq!(cleanup_old_replica_sets(&busy, Some(2)), vec![RsId(6)]);
    assert_eq!(cleanup_old_replica_sets(&old, None), Vec::<RsId>::new());
}

// deployment_util_test.go TestAnnotationUtils/SetNewReplicaSetAnnotations: revisions 11 to
// 20 set in turn with a 5-character history limit keep "i-1,i".
#[test]
fn revision_history_is_bounded_by_characters() {
    let (mut revision, mut history): (Option<u64>, Vec<u64>) = (None, Vec::new());
    for i in 10u64..20 {
        let next = i + 1;
        let got = sync_revision(revision, &history, next, 5).expect("revision raised");
        assert_eq!(got.revision, next);
        if i >= 12 {
            assert_eq!(got.history, vec![i - 1, i], "i = {i}");
        }
        revision = Some(got.revision);
        history = got.history;
    }
    // No change when the revision is already at least the new one.
    assert_eq!(sync_revision(Some(7), &[], 7, REVISION_HISTORY_MAX_CHARS), None);
    // A brand-new ReplicaSet (no annotation) gets no history.
    assert_eq!(
        sync_revision(None, &[], 1, REVISION_HISTORY_MAX_CHARS),
        Some(RevisionAnnotations { revision: 1, history: vec![] })
    );
}

// sync.go getNewReplicaSet + deployment_util.go SetNewReplicaSetAnnotations: rolling back
// to revision 1 of {1, 2} makes it revision 3 with history [1].
#[test]
fn rollback_reuses_an_old_replica_set_with_a_new_revision() {
    let old = [rs(2, 1, 3).with_revision(2)];
    assert_eq!(next_revision(&old), 3);
    let got = sync_revision(Some(1), &[], next_revision(&old), REVISION_HISTORY_MAX_CHARS).unwrap();
    assert_eq!(got, RevisionAnnotations { revision: 3, history: vec![1] });
    let again = sync_revision(Some(3), &got.history, 5, REVISION_HISTORY_MAX_CHARS).unwrap();
    assert_eq!(again.history, vec![1, 3]);
}

// rollback.go DeploymentRollbacker.Rollback / deploymentRevision.
#[test]
fn rollout_undo_selects_upstream_targets() {
    let c = |id, revision, same| UndoCandidate { rs: RsId(id), revision, matches_current_template: same };
    let rss = [c(1, 1, false), c(2, 3, false), c(3, 4, true)];
    assert_eq!(rollout_undo("web", false, 0, &rss), Ok(UndoOutcome::RolledBack { to: RsId(2) }));
    assert_eq!(rollout_undo("web", false, 1, &rss), Ok(UndoOutcome::RolledBack { to: RsId(1) }));
    assert_eq!(rollout_undo("web", false, 2, &rss), Err("unable to find specified revision 2 in history".into()));
    assert_eq!(rollout_undo("web", false, -1, &rss), Err("unable to find specified revision -1 in history".into()));
    assert_eq!(
        rollout_undo("web", true, 1, &rss),
        Err("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/web' and try again"
            .into())
    );
    // The revision is looked up first: a paused Deployment with a bad revision reports that.
    assert_eq!(rollout_undo("web", true, 9, &rss), Err("unable to find specified revision 9 in history".into()));
    let skipped = rollout_undo("web", false, 4, &rss).unwrap();
    assert_eq!(skipped.message(), "skipped rollback (current template already matches revision 4)");
    assert_eq!(UndoOutcome::RolledBack { to: RsId(2) }.message(), "rolled back");
    assert_eq!(
        rollout_undo("web", false, 0, &[c(3, 4, true)]),
        Err("no rollout history found for deployment \"web\"".into())
    );
    // Order independence of the second-highest pick.
    let shuffled = [c(3, 4, true), c(1, 1, false), c(2, 3, false)];
    assert_eq!(rollout_undo("web", false, 0, &shuffled), Ok(UndoOutcome::RolledBack { to: RsId(2) }));
}

// recreate.go rolloutRecreate.
#[test]
fn recreate_scales_old_to_zero_before_the_new_one() {
    let spec = RolloutSpec::recreate(3);
    let old = [rs(1, 0, 3).with_status(3, 3, 3), rs(2, 1, 0)];
    assert_eq!(recreate_step(&spec, None, &old, true), RecreateStep::ScaleDownOld(vec![write(1, 0)]));
    let draining = [rs(1, 0, 0).with_status(2, 0, 0)];
    assert_eq!(recreate_step(&spec, None, &draining, true), RecreateStep::WaitForOldPods);
    let terminating = [rs(1, 0, 0)];
    assert_eq!(recreate_step(&spec, None, &terminating, true), RecreateStep::WaitForOldPods);
    assert_eq!(recreate_step(&spec, None, &terminating, false), RecreateStep::CreateNew { replicas: 3 });
    let new = rs(9, 5, 0);
    assert_eq!(recreate_step(&spec, Some(&new), &terminating, false), RecreateStep::ScaleUpNew(write(9, 3)));
    assert_eq!(recreate_step(&spec, Some(&rs(9, 5, 3)), &terminating, false), RecreateStep::Idle);
}

// sync.go scale: Recreate Deployments are not scaled proportionally.
#[test]
fn proportional_scale_skips_recreate_and_handles_saturation() {
    let spec = RolloutSpec::recreate(6);
    let new = rs(2, 1, 2).with_annotations(4, 4);
    assert_eq!(proportional_scale(&spec, Some(&new), &[rs(1, 0, 2)], 4), vec![]);
    // A saturated new RS takes old ReplicaSets to 0.
    let spec = RolloutSpec::rolling(4, Int(1), Int(0));
    let saturated = rs(2, 1, 4).with_annotations(4, 5).with_available(4);
    assert_eq!(proportional_scale(&spec, Some(&saturated), &[rs(1, 0, 1), rs(0, 0, 0)], 5), vec![write(1, 0)]);
    // Annotation-only writes: sizes stay, annotations refresh.
    let spec = RolloutSpec::rolling(5, Int(0), Int(1));
    let a = rs(2, 1, 3).with_annotations(4, 4);
    let b = rs(1, 0, 2).with_annotations(5, 5);
    assert_eq!(proportional_scale(&spec, Some(&a), std::slice::from_ref(&b), 5), vec![write(2, 3)]);
}

#[test]
fn scaling_events_are_seen_on_active_replica_sets_only() {
    let new = rs(2, 1, 3).with_annotations(5, 6);
    let idle = rs(1, 0, 0).with_annotations(9, 9);
    assert!(!is_scaling_event(5, Some(&new), std::slice::from_ref(&idle)));
    assert!(is_scaling_event(6, Some(&new), &[idle]));
    assert!(!is_scaling_event(6, Some(&rs(3, 2, 3)), &[]), "no annotation: not a scaling event");
}

#[test]
fn status_is_summed_over_replica_sets() {
    let new = rs(2, 1, 4).with_status(3, 2, 1);
    let old = [rs(1, 0, 2).with_status(2, 2, 2)];
    let s = calculate_status(Some(&new), &old, 7);
    assert_eq!(
        s,
        DeploymentStatusCounts {
            replicas: 5,
            updated: 3,
            ready: 4,
            available: 3,
            unavailable: 3,
            observed_generation: 7
        }
    );
    let spec = RolloutSpec::rolling(4, Int(1), Int(1));
    assert!(has_minimum_availability(&spec, 3));
    assert!(!has_minimum_availability(&spec, 2));
}

// A rollout driven only by these functions, with new pods turning available between syncs
// (unavailable pods are deleted first, as the ReplicaSet controller does): the Deployment
// never runs more than replicas + maxSurge pods, never has fewer than replicas -
// maxUnavailable available, and finishes.
fn fence() -> impl Strategy<Value = IntOrPercent> {
    prop_oneof![(0i64..6).prop_map(Int), (0i64..=100).prop_map(Percent)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn rolling_update_stays_within_fenceposts_and_terminates(
        replicas in 0i32..30,
        surge in fence(),
        unavailable in fence(),
        split in 0i32..=100,
        progress in proptest::collection::vec(0i32..=100, 1..50),
    ) {
        let spec = RolloutSpec::rolling(replicas, surge, unavailable);
        let max_total = replicas + max_surge(&spec);
        let min_avail = replicas - max_unavailable(&spec);
        // An interrupted earlier rollout: two fully available old ReplicaSets.
        let first = replicas * split / 100;
        let mut old = vec![
            RsSnapshot::new(RsId(0), 0, first).with_status(first, first, first),
            RsSnapshot::new(RsId(1), 1, replicas - first).with_status(replicas - first, replicas - first, replicas - first),
        ];
        let initial = new_rs_initial_replicas(&spec, &old);
        let mut new = RsSnapshot::new(RsId(2), 2, initial).with_status(initial, 0, 0);
        let mut steps = 0usize;
        loop {
            steps += 1;
            prop_assert!(steps < 10_000, "no convergence");
            let done = new.replicas == replicas && new.available == replicas && old.iter().all(|r| r.replicas == 0);
            let step = rolling_update_step(&spec, &new, &old);
            if done {
                prop_assert!(step.writes.is_empty());
                prop_assert_eq!(step.outcome, StepOutcome::Idle);
                break;
            }
            for w in &step.writes {
                let target = if w.rs == new.id { &mut new } else { old.iter_mut().find(|r| r.id == w.rs).unwrap() };
                target.replicas = w.replicas;
                target.current = w.replicas;
                target.available = target.available.min(w.replicas);
                target.ready = target.available;
            }
            let total = new.replicas + old.iter().map(|r| r.replicas).sum::<i32>();
            let available = new.available + old.iter().map(|r| r.available).sum::<i32>();
            prop_assert!(total <= max_total, "total {total} > {max_total}");
            prop_assert!(available >= min_avail, "available {available} < {min_avail}");
            // Some of the new pods become available; when the controller is idle at least one does.
            let pending = new.replicas - new.available;
            let pct = progress[steps % progress.len()];
            let mut k = pending * pct / 100;
            if step.outcome == StepOutcome::Idle && k == 0 {
                prop_assert!(pending > 0, "stuck: idle with nothing pending");
                k = 1;
            }
            new.available += k;
            new.ready = new.available;
        }
    }
}
