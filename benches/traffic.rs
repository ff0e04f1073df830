//! Traffic throughput: simulated requests per second of wall time for one Service of
//! 100 pods × concurrency 4, exponential 10 ms service, Poisson arrivals at utilization
//! 0.7 (28,000 requests/s of virtual time), driven as the world will drive it: 60 s of
//! virtual time in 10 s windows. One group per load-balancing policy.

use clustersim::engine::{Duration, RngStreams, Time};
use clustersim::traffic::{
    Endpoint, LoadBalancing, RateCurve, ServiceTime, ServiceTraffic, ServingProfile, TrafficSpec,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const PODS: u64 = 100;
const CONCURRENCY: u32 = 4;
const MEAN_SERVICE_MS: u64 = 10;
const UTILIZATION: f64 = 0.7;
const WINDOWS: u64 = 6;

/// Runs the whole simulation; returns the number of requests offered.
fn run(balancing: LoadBalancing) -> u64 {
    let rps = UTILIZATION * (PODS * CONCURRENCY as u64) as f64 * 1000.0 / MEAN_SERVICE_MS as f64;
    let spec = TrafficSpec {
        rate: RateCurve::constant(rps).expect("valid rate"),
        balancing,
        profiles: vec![ServingProfile {
            concurrency: CONCURRENCY,
            queue_limit: Some(100),
            timeout: Some(Duration::from_secs(1)),
            service_time: ServiceTime::exponential(Duration::from_millis(MEAN_SERVICE_MS)),
            cpu_per_request: None,
            idle_cpu_millis: 0,
        }],
    };
    let mut t = ServiceTraffic::new("web", spec, &RngStreams::new(1));
    let endpoints: Vec<Endpoint> = (0..PODS).map(|id| Endpoint { id, profile: 0, alive: true }).collect();
    t.set_endpoints(Time::ZERO, &endpoints);
    let mut offered = 0;
    for w in 1..=WINDOWS {
        let f = t.take_window(Time::from_secs(10 * w));
        offered += black_box(f).counts.offered;
    }
    offered
}

fn service_100_pods(c: &mut Criterion) {
    let mut g = c.benchmark_group("traffic_100_pods");
    g.sample_size(10);
    for balancing in
        [LoadBalancing::PowerOfTwo, LoadBalancing::RoundRobin, LoadBalancing::LeastRequest, LoadBalancing::Random]
    {
        g.throughput(Throughput::Elements(run(balancing)));
        g.bench_function(balancing.name(), |b| b.iter(|| run(balancing)));
    }
    g.finish();
}

criterion_group!(benches, service_100_pods);
criterion_main!(benches);
