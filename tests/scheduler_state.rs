//! The scheduler keeps state across cycles (per-group resolved constraints, topology
//! index, cached "any node tainted/cordoned" answers). A long-running scheduler must score
//! every node exactly as a freshly built one does, whatever happened in between: new
//! workloads, Services, nodes joining, taints, pods removed.

use clustersim::control::scheduler::Scheduler;
use clustersim::control::{Decision, ScoreTable};
use clustersim::engine::{RngStreams, Time};
use clustersim::model::*;
use clustersim::scenario::SchedulerConfig;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const ZONE: &str = "topology.kubernetes.io/zone";
const HOST: &str = "kubernetes.io/hostname";

#[derive(Clone, Debug)]
enum Op {
    /// A workload: app label, tier label, spread kind, pod (anti-)affinity kind, cpu.
    Workload(u8, u8, u8, u8, i64),
    /// A Service selecting a tier (it narrows the default spreading selector).
    Service(u8),
    /// Schedule and bind a pod of the workload with this index (mod count).
    Schedule(usize),
    /// A node joins (zone index; 3 means no zone label).
    Join(u8),
    /// Taint a node PreferNoSchedule or NoSchedule.
    Taint(usize, bool),
    /// Remove the oldest bound pod.
    RemovePod,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3, 0u8..2, 0u8..4, 0u8..5, 100i64..3000)
            .prop_map(|(a, t, s, anti, cpu)| Op::Workload(a, t, s, anti, cpu)),
        (0u8..2).prop_map(Op::Service),
        (0usize..8).prop_map(Op::Schedule),
        (0usize..8).prop_map(Op::Schedule),
        (0usize..8).prop_map(Op::Schedule),
        (0u8..4).prop_map(Op::Join),
        (0usize..64, any::<bool>()).prop_map(|(n, hard)| Op::Taint(n, hard)),
        Just(Op::RemovePod),
    ]
}

fn labels(pairs: &[(&str, String)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn join(store: &mut Store, zone: u8) {
    let i = store.nodes.len();
    let mut l = vec![(HOST, format!("n{i}"))];
    if zone < 3 {
        l.push((ZONE, format!("z{zone}")));
    }
    let allocatable = Resources::new(8_000, 32 << 30, 110);
    store.add_node(|id| Node::joined(id, format!("n{i}"), labels(&l), allocatable, Time::ZERO));
}

fn workload(store: &mut Store, app: u8, tier: u8, spread: u8, affinity: u8, cpu: i64) -> RsId {
    let app_sel = LabelSelector::from_labels(labels(&[("app", format!("a{app}"))]));
    let mut spec = PodSpec {
        containers: vec![Container {
            name: "c".into(),
            image: "x".into(),
            cpu_request_millis: Some(cpu),
            memory_request_bytes: Some(256 << 20),
            ..Container::default()
        }],
        ..PodSpec::default()
    };
    let constraint = |key: &str, when| TopologySpreadConstraint {
        max_skew: 1,
        topology_key: key.into(),
        when_unsatisfiable: when,
        selector: app_sel.clone(),
        min_domains: None,
        match_label_keys: vec!["tier".into()],
    };
    match spread {
        1 => spec.topology_spread.push(constraint(ZONE, WhenUnsatisfiable::ScheduleAnyway)),
        2 => spec.topology_spread.push(constraint(ZONE, WhenUnsatisfiable::DoNotSchedule)),
        3 => spec.topology_spread.push(constraint(HOST, WhenUnsatisfiable::ScheduleAnyway)),
        _ => {}
    }
    let term = |app: u8, key: &str| PodAffinityTerm {
        selector: LabelSelector::from_labels(labels(&[("app", format!("a{app}"))])),
        topology_key: key.into(),
    };
    let rules = &mut spec.affinity;
    match affinity {
        1 => rules.pod_anti.required.push(term(app, HOST)),
        2 => rules.pod.preferred.push((50, term((app + 1) % 3, ZONE))),
        3 => rules.pod.required.push(term(app, ZONE)),
        4 => rules.pod_anti.preferred.push((30, term(app, HOST))),
        _ => {}
    }
    let template = PodTemplate {
        labels: labels(&[("app", format!("a{app}")), ("tier", format!("t{tier}"))]),
        deletion_cost: 0,
        spec,
    };
    let n = store.replica_sets.len();
    store.add_replica_set(|id, group| {
        ReplicaSet::standalone(id, group, format!("rs-{n}"), app_sel, Arc::new(template), 0, Time::ZERO)
    })
}

fn scheduler() -> Scheduler {
    let config = SchedulerConfig { percentage_of_nodes_to_score: 100, ..SchedulerConfig::default() };
    Scheduler::new(&config, RngStreams::new(1).stream("scheduler"), true)
}

/// Per node name: the per-plugin scores and the total.
type Scores = BTreeMap<String, (Vec<(&'static str, i64)>, i64)>;

/// The scores behind a binding, or the unschedulable reason.
fn table(store: &Store, decision: Decision) -> Result<Scores, String> {
    let scores: ScoreTable = match decision {
        Decision::Bind { scores, .. } => scores.unwrap_or_default(),
        Decision::Unschedulable { reason, .. } => return Err(reason),
        other => return Err(format!("{other:?}")),
    };
    Ok(scores.nodes.into_iter().map(|s| (store.node(s.node).name.clone(), (s.plugins, s.total))).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_warm_scheduler_scores_exactly_like_a_fresh_one(ops in proptest::collection::vec(op(), 1..60)) {
        let mut store = Store::default();
        for z in [0, 1, 2, 0, 1, 3] {
            join(&mut store, z);
        }
        let mut rss = vec![workload(&mut store, 0, 0, 0, 0, 500)];
        let mut warm = scheduler();
        let mut bound = std::collections::VecDeque::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Workload(a, t, s, anti, cpu) => rss.push(workload(&mut store, a, t, s, anti, cpu)),
                Op::Service(a) => store.services.push(Service {
                    name: format!("svc-{step}"),
                    selector: LabelSelector::from_labels(labels(&[("tier", format!("t{a}"))])),
                }),
                Op::Join(z) => join(&mut store, z),
                Op::Taint(n, hard) => {
                    let n = NodeId((n % store.nodes.len()) as u32);
                    let effect = if hard { TaintEffect::NoSchedule } else { TaintEffect::PreferNoSchedule };
                    let taint = Taint { key: "k".into(), value: String::new(), effect };
                    store.node_mut(n).taints.push((taint, Time::ZERO));
                }
                Op::RemovePod => {
                    if let Some(p) = bound.pop_front() {
                        store.remove_pod(p);
                    }
                }
                Op::Schedule(i) => {
                    let rs = rss[i % rss.len()];
                    let template = store.replica_set(rs).template.clone();
                    let pod = store.create_pod(format!("p{step}"), template, Vec::new(), Some(clustersim::model::Owner::ReplicaSet(rs)), Time::ZERO);
                    let warm_decision = warm.schedule_one(&store, pod, Time::ZERO);
                    let fresh_decision = scheduler().schedule_one(&store, pod, Time::ZERO);
                    let node = match &warm_decision {
                        Decision::Bind { node, .. } => Some(*node),
                        _ => None,
                    };
                    prop_assert_eq!(table(&store, warm_decision), table(&store, fresh_decision), "step {}", step);
                    match node {
                        Some(node) => {
                            store.bind(pod, node);
                            bound.push_back(pod);
                        }
                        None => {
                            store.remove_pod(pod);
                        }
                    }
                }
            }
        }
    }
}
