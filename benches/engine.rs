//! Engine throughput: events per second through the queue and clock.
//! - null: one event pending at a time (pop, schedule the next) — the floor cost per event;
//! - timers_1m: one million timers pending, each pop re-arms one at a random future time.

use clustersim::engine::{Duration, EventQueue, RngStreams, Time};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const EVENTS: u64 = 1_000_000;
const PENDING: u64 = 1_000_000;
const POPS: u64 = 200_000;

fn null_workload(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(EVENTS));
    g.bench_function("null_1m_events", |b| {
        b.iter(|| {
            let mut q: EventQueue<u32> = EventQueue::new();
            q.schedule(Time::ZERO, 0);
            let mut handled = 0u64;
            while let Some((t, e)) = q.pop() {
                handled += 1;
                if handled < EVENTS {
                    q.schedule(t + Duration::from_nanos(1_000), black_box(e) + 1);
                }
            }
            handled
        })
    });
    g.finish();
}

fn heavy_timers(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(POPS));
    g.bench_function("timers_1m_pending", |b| {
        b.iter_batched_ref(
            || {
                let mut q: EventQueue<u64> = EventQueue::new();
                let mut r = RngStreams::new(2).stream("bench");
                for i in 0..PENDING {
                    q.schedule(Time(r.below(60_000_000_000)), i);
                }
                (q, r)
            },
            |(q, r)| {
                for _ in 0..POPS {
                    let (t, e) = q.pop().expect("never empty");
                    q.schedule(t + Duration::from_nanos(1 + r.below(60_000_000_000)), e);
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, null_workload, heavy_timers);
criterion_main!(benches);
