//! Whole runs, as `sim run` does them: load the scenario, simulate it to its horizon,
//! evaluate the expectations and write the report folder. Workloads:
//! - the Rust peer kubernetriks' workload (`../shared/tools/peer_workload.py N P`): N nodes
//!   of 4 cpu / 16Gi, P pods at t=0 as 16 Deployments cycling through four cpu and four
//!   memory requests, at 1,000 / 10,000 and 5,000 / 50,000;
//! - kube-scheduler's SchedulingBasic shape (`scenarios/scale/scheduling-basic.yaml`);
//! - 100,000 pending pods on 4 nodes (`scenarios/scale/pending-100k.yaml`).
//!
//! `cargo bench --bench whole_run`; the large cases take 10 samples each.

use clustersim::report::{evaluate, write_report, OutputFolder, Summary, RUN_COMPLETION};
use clustersim::scenario::load_scenario;
use clustersim::world::{run, RunOptions};
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The peer workload, as `peer_workload.py` writes it.
fn peer_workload(nodes: u32, pods: u32) -> String {
    let cpus = ["100m", "200m", "250m", "500m"];
    let rams = ["256Mi", "512Mi", "1Gi", "2Gi"];
    let mut y = format!(
        "name: peer-n{nodes}-p{pods}\nseed: 123\nduration: 10m\ncluster:\n  masters: 1\n  nodePools:\n    - {{name: \
         node, count: {nodes}, capacity: {{cpu: \"4\", memory: 16Gi, pods: 110}}}}\ncontrolPlane:\n  podStartup: \
         2s\nmanifests:\n"
    );
    for i in 0..16 {
        let n = pods / 16 + u32::from(i < pods % 16);
        y.push_str(&format!(
            "  - inline: {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d{i}}}, spec: {{replicas: {n}, \
             selector: {{matchLabels: {{app: d{i}}}}}, template: {{metadata: {{labels: {{app: d{i}}}}}, spec: \
             {{containers: [{{name: c, image: x, resources: {{requests: {{cpu: {}, memory: {}}}}}}}]}}}}}}}}\n",
            cpus[i as usize % 4],
            rams[i as usize / 4]
        ));
    }
    y.push_str("expect:\n  - allPodsScheduled: {by: 1m}\n");
    y
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clustersim-whole-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One whole run: load, simulate, evaluate, write the report (as `sim run --quiet`).
fn whole_run(file: &Path, out: &Path) {
    let scenario = load_scenario(file, &[]).expect("the scenario loads").scenario;
    let output = run(&scenario, RunOptions::default()).expect("the run finishes");
    let results = evaluate(&scenario, &output);
    let summary = Summary::new(&scenario, &output, &results, 0.0);
    assert!(summary.passed(), "{} failed an expectation", scenario.name);
    write_report(OutputFolder::claim(out, RUN_COMPLETION).expect("the folder is ours"), &summary).unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = scratch();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases: Vec<(String, PathBuf)> = Vec::new();
    for (nodes, pods) in [(1_000, 10_000), (5_000, 50_000)] {
        let file = dir.join(format!("peer-{nodes}-{pods}.yaml"));
        std::fs::write(&file, peer_workload(nodes, pods)).unwrap();
        cases.push((format!("peer/{nodes}-nodes/{pods}-pods"), file));
    }
    cases.push(("scheduling-basic/5000-nodes/50000-pods".into(), root.join("scenarios/scale/scheduling-basic.yaml")));
    cases.push(("pending/4-nodes/100000-pods".into(), root.join("scenarios/scale/pending-100k.yaml")));
    cases.push(("bundled/failover".into(), root.join("scenarios/failover.yaml")));
    let mut group = c.benchmark_group("whole_run");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(20));
    for (name, file) in &cases {
        let out = dir.join("report");
        group.bench_function(name.as_str(), |b| b.iter(|| whole_run(file, &out)));
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
