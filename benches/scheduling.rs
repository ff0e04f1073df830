//! Scheduler throughput: pods scheduled per second with the default profile on 100 to
//! 15,000 nodes, with upstream's adaptive percentageOfNodesToScore and with every node
//! scored. Pods are a mix: plain small and large pods, pods with a hard zone spread
//! constraint, and pods with required hostname anti-affinity; every pod is owned by a
//! ReplicaSet, so the system-default spreading constraints apply to all of them.

use clustersim::control::scheduler::Scheduler;
use clustersim::control::Decision;
use clustersim::engine::{RngStreams, Time};
use clustersim::model::*;
use clustersim::scenario::SchedulerConfig;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::sync::Arc;

const PODS: usize = 2_000;
const ZONES: usize = 10;

fn template(app: &str, cpu: i64, mem: i64, extra: impl FnOnce(&mut PodSpec)) -> PodTemplate {
    let mut spec = PodSpec {
        containers: vec![Container {
            name: "c".into(),
            image: "x".into(),
            cpu_request_millis: Some(cpu),
            memory_request_bytes: Some(mem),
            ..Container::default()
        }],
        ..PodSpec::default()
    };
    extra(&mut spec);
    PodTemplate { labels: [("app".to_string(), app.to_string())].into(), deletion_cost: 0, spec }
}

fn cluster(nodes: usize) -> (Store, Vec<RsId>) {
    let mut store = Store::default();
    for i in 0..nodes {
        let labels = [
            ("kubernetes.io/hostname".to_string(), format!("node-{i}")),
            ("topology.kubernetes.io/zone".to_string(), format!("zone-{}", i % ZONES)),
        ];
        let allocatable = Resources::new(32_000, 128 << 30, 110);
        store.add_node(|id| Node::joined(id, format!("node-{i}"), labels.into(), allocatable, Time::ZERO));
    }
    let sel = |app: &str| LabelSelector::from_labels([("app".to_string(), app.to_string())].into());
    let spread = TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "topology.kubernetes.io/zone".into(),
        when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
        selector: sel("zonal"),
        min_domains: None,
        match_label_keys: Vec::new(),
    };
    let anti = PodAffinityTerm { selector: sel("singleton"), topology_key: "kubernetes.io/hostname".into() };
    let templates = [
        template("small", 100, 128 << 20, |_| {}),
        template("large", 2_000, 4 << 30, |_| {}),
        template("zonal", 250, 512 << 20, |s| s.topology_spread.push(spread)),
        template("singleton", 500, 1 << 30, |s| s.affinity.pod_anti.required.push(anti)),
    ];
    let mut rss = Vec::new();
    for (i, t) in templates.into_iter().enumerate() {
        let app = t.labels["app"].clone();
        rss.push(store.add_replica_set(|id, group| {
            ReplicaSet::standalone(id, group, format!("rs-{i}"), sel(&app), Arc::new(t), 0, Time::ZERO)
        }));
    }
    (store, rss)
}

/// Schedules PODS pods (mix 4:2:2:1 of small, large, zonal, singleton) and binds each.
fn schedule_all(store: &mut Store, rss: &[RsId], scheduler: &mut Scheduler) -> usize {
    let mix = [0, 0, 0, 0, 1, 1, 2, 2, 3];
    let mut bound = 0;
    for i in 0..PODS {
        let rs = rss[mix[i % mix.len()]];
        let template = store.replica_set(rs).template.clone();
        let pod = store.create_pod(
            format!("p{i}"),
            template,
            Vec::new(),
            Some(clustersim::model::Owner::ReplicaSet(rs)),
            Time::ZERO,
        );
        if let Decision::Bind { node, .. } = scheduler.schedule_one(store, pod, clustersim::engine::Time::ZERO) {
            store.bind(pod, node);
            bound += 1;
        }
    }
    bound
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("schedule");
    g.sample_size(10);
    g.throughput(Throughput::Elements(PODS as u64));
    for nodes in [100, 1_000, 5_000, 15_000] {
        for (label, pct) in [("adaptive", 0), ("all-nodes", 100)] {
            let config = SchedulerConfig { percentage_of_nodes_to_score: pct, ..SchedulerConfig::default() };
            g.bench_with_input(BenchmarkId::new(label, nodes), &nodes, |b, &n| {
                b.iter_batched(
                    || (cluster(n), Scheduler::new(&config, RngStreams::new(1).stream("scheduler"), false)),
                    |((mut store, rss), mut scheduler)| schedule_all(&mut store, &rss, &mut scheduler),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
