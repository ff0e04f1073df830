//! Random small clusters, Deployments and timelines: the invariant checker stays quiet
//! after every event (safety), desired replicas are ready once faults stop and capacity
//! allows (liveness), and the same seed gives the same bytes (determinism).

mod common;
use common::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Crash(u32),
    Recover(u32),
    Scale(u32),
    Cordon(u32),
    Uncordon(u32),
    DeletePod,
    Join(u32),
    /// Cut the node off for this many seconds (ending by 10m).
    Partition(u32, u32),
    CrashMaster(u32),
    RecoverMaster(u32),
    Drain(u32),
}

#[derive(Clone, Debug)]
struct Case {
    nodes: u32,
    node_cpu_millis: u32,
    replicas: u32,
    pod_cpu_millis: u32,
    ops: Vec<(u32, Op)>,
    seed: u64,
}

fn op(nodes: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..=nodes).prop_map(Op::Crash),
        (1..=nodes).prop_map(Op::Recover),
        (0u32..12).prop_map(Op::Scale),
        (1..=nodes).prop_map(Op::Cordon),
        (1..=nodes).prop_map(Op::Uncordon),
        Just(Op::DeletePod),
        (1u32..3).prop_map(Op::Join),
        (1..=nodes, 10u32..400).prop_map(|(n, s)| Op::Partition(n, s)),
        (1u32..=3).prop_map(Op::CrashMaster),
        (1u32..=3).prop_map(Op::RecoverMaster),
        (1..=nodes).prop_map(Op::Drain),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (1u32..5, 1000u32..4000, 0u32..10, 100u32..1500, any::<u64>()).prop_flat_map(
        |(nodes, cpu, replicas, pod_cpu, seed)| {
            proptest::collection::vec((0u32..600, op(nodes)), 0..8).prop_map(move |ops| Case {
                nodes,
                node_cpu_millis: cpu,
                replicas,
                pod_cpu_millis: pod_cpu,
                ops,
                seed,
            })
        },
    )
}

/// The scenario text: the random timeline in the first 10 minutes (partitions end by
/// then), then every master and node is recovered and every node uncordoned at 10m and the
/// run goes on to 20m (the liveness phase).
fn scenario_yaml(c: &Case) -> (String, u32) {
    scenario_yaml_with(c, "")
}

/// An autoscaled pool of up to 3 nodes like the workers, joining 30-120 s after the
/// autoscaler asks.
const BURST_POOL: &str = "    - name: burst\n      capacity: {cpu: CPUm, memory: 8Gi, pods: 20}\n      autoscaling: {min: 0, max: 3}\n      provisioningDelay: {uniform: {min: 30s, max: 120s}}\n";
const BURST_MAX: i64 = 3;

/// The same with `extra_pools` appended to the node pools (CPU replaced by the worker cpu).
fn scenario_yaml_with(c: &Case, extra_pools: &str) -> (String, u32) {
    let mut timeline = String::new();
    let mut ops = c.ops.clone();
    ops.sort_by_key(|(t, _)| *t);
    let mut nodes = c.nodes;
    let mut down = [false; 64];
    let mut masters_down = [false; 4];
    let mut partitioned_until = [0u32; 64];
    for (t, op) in &ops {
        let line = match op {
            Op::Crash(n) if !down[*n as usize] => {
                down[*n as usize] = true;
                format!("crashNode: worker-{n}")
            }
            Op::Recover(n) if down[*n as usize] => {
                down[*n as usize] = false;
                format!("recoverNode: worker-{n}")
            }
            Op::Crash(_) | Op::Recover(_) => continue,
            Op::Partition(n, secs) if partitioned_until[*n as usize] <= *t => {
                let secs = (*secs).min(600 - t).max(1);
                partitioned_until[*n as usize] = t + secs + 1;
                format!("partitionNode: {{node: worker-{n}, for: {secs}s}}")
            }
            Op::Partition(..) => continue,
            Op::CrashMaster(k) if !masters_down[*k as usize] => {
                masters_down[*k as usize] = true;
                format!("crashMaster: {k}")
            }
            Op::RecoverMaster(k) if masters_down[*k as usize] => {
                masters_down[*k as usize] = false;
                format!("recoverMaster: {k}")
            }
            Op::CrashMaster(_) | Op::RecoverMaster(_) => continue,
            Op::Drain(n) => format!("drain: worker-{n}"),
            Op::Scale(r) => format!("scale: {{deployment: web, replicas: {r}}}"),
            Op::Cordon(n) => format!("cordon: worker-{n}"),
            Op::Uncordon(n) => format!("uncordon: worker-{n}"),
            Op::DeletePod => "deletePod: web".to_string(),
            Op::Join(k) => {
                // Without quorum (two of three masters down) the join is refused.
                if masters_down.iter().filter(|d| **d).count() < 2 {
                    nodes += k;
                }
                format!("join: {{pool: worker, count: {k}}}")
            }
        };
        timeline.push_str(&format!("  - {{at: {t}s, {line}}}\n"));
    }
    for (k, down) in masters_down.iter().enumerate().skip(1) {
        if *down {
            timeline.push_str(&format!("  - {{at: 10m, recoverMaster: {k}}}\n"));
        }
    }
    for n in 1..=nodes {
        if down[n as usize] {
            timeline.push_str(&format!("  - {{at: 10m, recoverNode: worker-{n}}}\n"));
        }
        timeline.push_str(&format!("  - {{at: 10m, uncordon: worker-{n}}}\n"));
    }
    let yaml = format!(
        r#"name: prop
seed: {seed}
duration: 20m
cluster:
  masters: 3
  nodePools:
    - name: worker
      count: {n}
      capacity: {{cpu: {cpu}m, memory: 8Gi, pods: 20}}
{extra_pools}controlPlane:
  podStartup: {{lognormal: {{median: 2s, p99: 30s}}}}
manifests:
{web}timeline:
{timeline}"#,
        seed = c.seed,
        n = c.nodes,
        cpu = c.node_cpu_millis,
        extra_pools = extra_pools.replace("CPU", &c.node_cpu_millis.to_string()),
        web = deployment_manifest(
            "web",
            c.replicas,
            "",
            &format!("{{name: web, image: web:1, resources: {{requests: {{cpu: {}m, memory: 100Mi}}}}, readinessProbe: {{initialDelaySeconds: 3, periodSeconds: 5}}}}", c.pod_cpu_millis),
            ""
        ),
    );
    (yaml, nodes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_the_cluster_converges_and_runs_are_deterministic(c in case()) {
        let (yaml, nodes) = scenario_yaml(&c);
        let scenario = load_str(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        // Safety: `simulate` runs the invariant checker after every event.
        let out = simulate(&scenario);
        // Liveness: once every node is back and schedulable, desired replicas are ready
        // if the cluster can hold them (one Deployment: per-node fit is exact).
        let desired = out.observations.desired["web"].last();
        let per_node = (i64::from(c.node_cpu_millis) / i64::from(c.pod_cpu_millis)).min(20);
        let capacity = per_node * i64::from(nodes);
        let ready = out.observations.ready["web"].last();
        if desired <= capacity {
            prop_assert_eq!(ready, desired, "capacity {} for {} desired\n{}", capacity, desired, yaml);
            prop_assert_eq!(out.observations.unschedulable.last(), 0);
        } else {
            prop_assert_eq!(ready, capacity, "a full cluster runs as many as fit\n{}", yaml);
        }
        // Determinism: the same scenario and seed give identical bytes.
        let again = simulate(&scenario);
        prop_assert_eq!(out.events.text(), again.events.text());
    }

    #[test]
    fn with_the_cluster_autoscaler_every_pod_that_fits_gets_a_node(c in case()) {
        let (yaml, nodes) = scenario_yaml_with(&c, BURST_POOL);
        let scenario = load_str(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let out = simulate(&scenario);
        let desired = out.observations.desired["web"].last();
        let per_node = (i64::from(c.node_cpu_millis) / i64::from(c.pod_cpu_millis)).min(20);
        let capacity = per_node * (i64::from(nodes) + BURST_MAX);
        // The autoscaler may move a pod right at the end (scale-down), so the check is on
        // pods bound, not ready: every pod that fits has a node.
        let bound: i64 = out.observations.bound_on_node.values().map(|s| s.last()).sum();
        prop_assert_eq!(bound, desired.min(capacity), "capacity {} with the burst pool at max\n{}", capacity, yaml);
        let burst = out.observations.pool_nodes["burst"].max_over(clustersim::engine::Time::ZERO, out.end);
        prop_assert!(burst <= BURST_MAX, "the group stays within max: {}", burst);
        let again = simulate(&scenario);
        prop_assert_eq!(out.events.text(), again.events.text());
    }

    #[test]
    fn autoscaled_nodes_that_crash_are_replaced_and_removed_safely(c in case(), mtbf in 5u32..30) {
        // Burst nodes crash on their own (exponential gaps, mean `mtbf` minutes, down for
        // ~an hour) through a 40-minute run: dead nodes are replaced, and removed once
        // unready for 20 minutes. Safety (the invariant checker after every event),
        // determinism and the group's max must hold whatever happens.
        let (yaml, _) = scenario_yaml_with(&c, BURST_POOL);
        let faults = format!("faults:\n  - {{kind: nodeCrash, pool: burst, mtbf: {mtbf}m, mttr: 60m}}\n");
        let yaml = yaml.replace("duration: 20m", "duration: 40m").replace("timeline:\n", &format!("{faults}timeline:\n"));
        let scenario = load_str(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let out = simulate(&scenario);
        let burst = out.observations.pool_nodes["burst"].max_over(clustersim::engine::Time::ZERO, out.end);
        prop_assert!(burst <= BURST_MAX, "the group stays within max: {}", burst);
        let again = simulate(&scenario);
        prop_assert_eq!(out.events.text(), again.events.text());
    }
}
