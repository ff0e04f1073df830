//! What a Service's traffic simulation reports: request counts by outcome, latency
//! summaries and per-pod CPU.

use super::histogram::Histogram;
use crate::engine::{Duration, Time};

/// Dropped requests by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drops {
    /// The Service had no endpoint when the request arrived.
    pub no_endpoints: u64,
    /// The chosen pod's servers were busy and its queue full.
    pub queue_full: u64,
    /// The client's timeout passed before the response (queued or in service).
    pub timeout: u64,
    /// The chosen pod was dead (counted when the client gives up: at its timeout, or when
    /// the pod leaves the endpoints), or the pod died or stopped with the request in it.
    pub pod_lost: u64,
}

impl Drops {
    pub fn total(&self) -> u64 {
        self.no_endpoints + self.queue_full + self.timeout + self.pod_lost
    }

    fn add(&mut self, o: &Drops) {
        self.no_endpoints += o.no_endpoints;
        self.queue_full += o.queue_full;
        self.timeout += o.timeout;
        self.pod_lost += o.pod_lost;
    }
}

/// Request counts over an interval. Every offered request ends up served or dropped,
/// or is still in flight: `offered = served + dropped + in flight` holds at all times
/// for the totals (for a window: `offered = served + dropped + Δ in flight`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests that arrived.
    pub offered: u64,
    /// Requests answered within their timeout.
    pub served: u64,
    pub dropped: Drops,
    /// Arrivals that found every server of their pod busy and waited in its queue.
    pub queued: u64,
    /// Requests that started service (served, timed out in service, or lost in service).
    pub started: u64,
    /// Total time from arrival to start of service of the `started` requests, in ns.
    pub wait_ns: u128,
}

impl Counts {
    /// Mean wait before service of the requests that started, or `None` if none did.
    pub fn mean_wait(&self) -> Option<Duration> {
        (self.started > 0).then(|| Duration((self.wait_ns / self.started as u128) as u64))
    }

    pub(crate) fn add(&mut self, o: &Counts) {
        self.offered += o.offered;
        self.served += o.served;
        self.dropped.add(&o.dropped);
        self.queued += o.queued;
        self.started += o.started;
        self.wait_ns += o.wait_ns;
    }
}

/// Latency (arrival to completion) of the requests served in an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latency {
    pub count: u64,
    /// Exact mean.
    pub mean: Option<Duration>,
    /// Percentiles from the histogram (within 0.4 %).
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub max: Option<Duration>,
}

impl Latency {
    pub fn of(h: &Histogram) -> Self {
        Latency {
            count: h.count(),
            mean: h.mean(),
            p50: h.value_at_percentile(50.0),
            p99: h.value_at_percentile(99.0),
            max: h.max(),
        }
    }
}

/// A Service's figures over `[from, to]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures {
    pub from: Time,
    pub to: Time,
    pub counts: Counts,
    /// Requests in flight at `to` (client side: neither answered nor given up).
    pub in_flight: u64,
    pub latency: Latency,
}

impl Figures {
    /// `served / offered`, or `None` when nothing was offered.
    pub fn availability(&self) -> Option<f64> {
        (self.counts.offered > 0).then(|| self.counts.served as f64 / self.counts.offered as f64)
    }
}

/// One pod's CPU use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodCpu {
    /// The pod identity given in [`super::Endpoint::id`].
    pub id: u64,
    /// CPU time since the previous [`super::ServiceTraffic::take_cpu`] (or since the pod
    /// appeared).
    pub since_last: Duration,
    /// CPU time since the pod appeared (monotonic, like cAdvisor's usage counter).
    pub total: Duration,
}
