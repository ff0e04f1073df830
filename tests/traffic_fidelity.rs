//! Fidelity of the request-level traffic simulation against queueing theory.
//!
//! - One pod with `concurrency: c`, exponential service and Poisson arrivals is an M/M/c
//!   queue: its mean wait, probability of waiting, and response-time p50/p99 must match
//!   Erlang C (the response-time percentiles from the exact distribution of service +
//!   wait, inverted by bisection).
//! - `random` over n single-server pods is n independent M/M/1 queues.
//! - At high load the policies rank leastRequest <= powerOfTwo < roundRobin < random in
//!   p99 latency.
//! - offered = served + dropped + in flight, exactly, through overload and pod loss.
//!
//! Statistics come from a window after a warm-up, so the empty start does not bias them.
//! The run lengths give standard errors well under the tolerances (the heavy-traffic
//! case is the noisiest: its waits are correlated over ~1,500 arrivals).

use clustersim::engine::{Duration, RngStreams, Time};
use clustersim::traffic::{
    Endpoint, Figures, LoadBalancing, RateCurve, ServiceTime, ServiceTraffic, ServingProfile, TrafficSpec,
};

/// Mean service time: 1 ms.
const SERVICE_NS: f64 = 1e6;

struct Run {
    pods: u64,
    concurrency: u32,
    utilization: f64,
    balancing: LoadBalancing,
    requests: f64,
    seed: u64,
}

/// Simulates `requests` arrivals after a warm-up of 5 % of them; returns the figures of
/// the measured window.
fn simulate(r: &Run) -> Figures {
    let mu = 1e9 / SERVICE_NS;
    let rps = r.utilization * mu * r.concurrency as f64 * r.pods as f64;
    let spec = TrafficSpec {
        rate: RateCurve::constant(rps).unwrap(),
        balancing: r.balancing,
        profiles: vec![ServingProfile {
            concurrency: r.concurrency,
            queue_limit: None,
            timeout: None,
            service_time: ServiceTime::exponential(Duration(SERVICE_NS as u64)),
            cpu_per_request: None,
            idle_cpu_millis: 0,
        }],
    };
    let mut t = ServiceTraffic::new("fidelity", spec, &RngStreams::new(r.seed));
    let endpoints: Vec<Endpoint> = (0..r.pods).map(|id| Endpoint { id, profile: 0, alive: true }).collect();
    t.set_endpoints(Time::ZERO, &endpoints);
    let warm = Time::ZERO + Duration::from_secs_f64(0.05 * r.requests / rps);
    let end = warm + Duration::from_secs_f64(r.requests / rps);
    t.take_window(warm);
    let f = t.take_window(end);
    t.check_invariants().unwrap();
    f
}

/// Erlang C: the probability that an arrival waits in M/M/c with offered load `a = λ/μ`.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0; // Erlang B by its recursion
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    b / (1.0 - rho * (1.0 - b))
}

/// Exact M/M/c figures, times in units of the mean service time (μ = 1).
struct MMc {
    c_prob: f64,
    /// Rate of the waiting time's exponential tail: `cμ - λ`.
    theta: f64,
}

impl MMc {
    fn new(c: u32, rho: f64) -> Self {
        let a = rho * c as f64;
        MMc { c_prob: erlang_c(c, a), theta: c as f64 - a }
    }

    fn mean_wait(&self) -> f64 {
        self.c_prob / self.theta
    }

    /// P(R <= t) for R = S + W, S ~ Exp(1), W = 0 w.p. 1 - C, else Exp(θ).
    fn response_cdf(&self, t: f64) -> f64 {
        let s = 1.0 - (-t).exp();
        let th = self.theta;
        let sum = if (th - 1.0).abs() < 1e-9 {
            1.0 - (-t).exp() * (1.0 + t)
        } else {
            1.0 - (th * (-t).exp() - (-th * t).exp()) / (th - 1.0)
        };
        (1.0 - self.c_prob) * s + self.c_prob * sum
    }

    fn response_percentile(&self, p: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, 1.0);
        while self.response_cdf(hi) < p {
            hi *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.response_cdf(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

fn ms(d: Option<Duration>) -> f64 {
    d.unwrap().0 as f64 / SERVICE_NS
}

fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    let err = got / want - 1.0;
    println!("{what:<34} simulated {got:>9.4}  exact {want:>9.4}  error {:>+6.2}%", 100.0 * err);
    assert!(err.abs() <= rel, "{what}: simulated {got}, exact {want} (error {:+.2}%)", 100.0 * err);
}

/// Relative tolerances for P(wait > 0), mean wait, mean response, p50 and p99 response.
struct Tolerance {
    p_wait: f64,
    mean_wait: f64,
    mean_response: f64,
    p50: f64,
    p99: f64,
}

fn check_mmc(c: u32, rho: f64, requests: f64, tol: Tolerance) {
    let f = simulate(&Run {
        pods: 1,
        concurrency: c,
        utilization: rho,
        balancing: LoadBalancing::RoundRobin,
        requests,
        seed: 7,
    });
    let exact = MMc::new(c, rho);
    let counts = f.counts;
    let tag = format!("M/M/{c} rho={rho}");
    assert_eq!(counts.dropped.total(), 0);
    assert_close(&format!("{tag} P(wait>0)"), counts.queued as f64 / counts.offered as f64, exact.c_prob, tol.p_wait);
    assert_close(&format!("{tag} mean wait"), ms(counts.mean_wait()), exact.mean_wait(), tol.mean_wait);
    assert_close(&format!("{tag} mean response"), ms(f.latency.mean), 1.0 + exact.mean_wait(), tol.mean_response);
    assert_close(&format!("{tag} p50 response"), ms(f.latency.p50), exact.response_percentile(0.50), tol.p50);
    assert_close(&format!("{tag} p99 response"), ms(f.latency.p99), exact.response_percentile(0.99), tol.p99);
}

// Tolerances are about 3-4 standard errors of each estimate at its run length (measured
// over 8-40 seeds); percentiles also carry the histogram's 0.4 % bucket error.

#[test]
fn one_pod_is_mmc_at_utilization_0_5() {
    let tol = Tolerance { p_wait: 0.015, mean_wait: 0.03, mean_response: 0.01, p50: 0.015, p99: 0.015 };
    check_mmc(4, 0.5, 2e6, tol);
}

#[test]
fn one_pod_is_mmc_at_utilization_0_8() {
    let tol = Tolerance { p_wait: 0.015, mean_wait: 0.02, mean_response: 0.015, p50: 0.015, p99: 0.02 };
    check_mmc(4, 0.8, 4e6, tol);
}

#[test]
fn one_pod_is_mmc_at_utilization_0_95() {
    // Heavy traffic: waits are correlated over ~1,500 arrivals, so 20 M requests leave a
    // standard error of about 1 % on the mean wait and 1.8 % on the p99.
    let tol = Tolerance { p_wait: 0.01, mean_wait: 0.04, mean_response: 0.03, p50: 0.02, p99: 0.05 };
    check_mmc(4, 0.95, 2e7, tol);
}

#[test]
fn random_over_single_server_pods_is_independent_mm1_queues() {
    let rho = 0.8;
    let f = simulate(&Run {
        pods: 10,
        concurrency: 1,
        utilization: rho,
        balancing: LoadBalancing::Random,
        requests: 3e6,
        seed: 3,
    });
    // M/M/1: P(wait) = ρ, mean wait ρ/(μ-λ), response ~ Exp(μ - λ).
    let tail = 1.0 - rho;
    let c = f.counts;
    assert_close("10 x M/M/1 P(wait>0)", c.queued as f64 / c.offered as f64, rho, 0.01);
    assert_close("10 x M/M/1 mean wait", ms(c.mean_wait()), rho / tail, 0.03);
    assert_close("10 x M/M/1 p50 response", ms(f.latency.p50), std::f64::consts::LN_2 / tail, 0.02);
    assert_close("10 x M/M/1 p99 response", ms(f.latency.p99), 100f64.ln() / tail, 0.03);
}

#[test]
fn at_high_load_balancers_rank_least_request_power_of_two_round_robin_random() {
    let p99 = |balancing| {
        let f = simulate(&Run { pods: 10, concurrency: 1, utilization: 0.9, balancing, requests: 5e5, seed: 11 });
        let v = ms(f.latency.p99);
        println!("{:<13} p99 {v:.2} service times", balancing.name());
        v
    };
    let (lr, p2c, rr, random) = (
        p99(LoadBalancing::LeastRequest),
        p99(LoadBalancing::PowerOfTwo),
        p99(LoadBalancing::RoundRobin),
        p99(LoadBalancing::Random),
    );
    assert!(lr <= p2c && p2c < rr && rr < random, "lr {lr} p2c {p2c} rr {rr} random {random}");
    // Random is M/M/1 at 0.9: p99 = ln(100)/0.1 service times.
    assert_close("random p99 at 0.9", random, 100f64.ln() / 0.1, 0.08);
}

#[test]
fn every_request_is_accounted_for_through_overload_and_pod_loss() {
    let spec = TrafficSpec {
        rate: RateCurve::constant(6000.0).unwrap(),
        balancing: LoadBalancing::PowerOfTwo,
        profiles: vec![ServingProfile {
            concurrency: 2,
            queue_limit: Some(50),
            timeout: Some(Duration::from_millis(40)),
            service_time: ServiceTime::lognormal(Duration::from_millis(1), Duration::from_millis(20)).unwrap(),
            cpu_per_request: Some(Duration::from_millis(1)),
            idle_cpu_millis: 0,
        }],
    };
    let mut t = ServiceTraffic::new("overload", spec, &RngStreams::new(5));
    let ep = |id, alive| Endpoint { id, profile: 0, alive };
    t.set_endpoints(Time::ZERO, &[ep(1, true), ep(2, true), ep(3, true)]);
    t.set_endpoints(Time::from_secs(2), &[ep(1, true), ep(2, false), ep(3, true)]);
    t.set_endpoints(Time::from_secs(3), &[ep(1, true), ep(3, true)]);
    t.set_endpoints(Time::from_secs(4), &[ep(3, true)]);
    t.pod_stopped(Time(4_010_000_000), 1);
    t.set_endpoints(Time::from_secs(5), &[]);
    t.set_endpoints(Time::from_secs(6), &[ep(4, true), ep(5, true)]);
    let mut windows = Vec::new();
    for s in [7, 8, 9] {
        windows.push(t.take_window(Time::from_secs(s)));
        t.check_invariants().unwrap();
    }
    let total = t.totals();
    let c = total.counts;
    let d = c.dropped;
    println!("{c:?} in flight {}", total.in_flight);
    assert_eq!(c.offered, c.served + d.no_endpoints + d.queue_full + d.timeout + d.pod_lost + total.in_flight);
    assert!(d.no_endpoints > 0 && d.queue_full > 0 && d.timeout > 0 && d.pod_lost > 0, "{d:?}");
    let cpu: u64 = t.take_cpu(Time::from_secs(9)).iter().map(|p| p.total.0).sum();
    assert!(cpu <= c.started * 1_000_000, "pods still known spent at most 1 ms per started request");
}
