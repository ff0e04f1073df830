//! Request-level traffic: Poisson arrivals, Service load balancing, pods as queueing
//! stations, latency histograms — independent of the control plane.
//!
//! Requests are never heap-allocated objects and never events in `events.jsonl`: a
//! request is an arrival instant in a pod's ring buffer or one entry in a completion
//! heap, and costs a few integer operations, two random draws and one histogram record.
//! Time is integer nanoseconds; every draw comes from the Service's own named streams
//! (`traffic/<service>/arrivals`, `.../service-time`, `.../balancer`), so adding a Service
//! never shifts another's draws; memory does not grow with run length.
//!
//! # Driving it from the world
//!
//! One [`ServiceTraffic`] per Service with traffic, created at t = 0 from a
//! [`TrafficSpec`] (rate curve, balancing policy, one [`ServingProfile`] per Deployment
//! behind the Service). It keeps its own event loop; the world advances it lazily:
//!
//! - Whenever the Service's usable endpoints change — a pod becomes Ready or not Ready,
//!   is deleted (leaves endpoints), its node crashes (still listed, `alive: false`) —
//!   call [`ServiceTraffic::set_endpoints`]`(now, &list)` with the full current list:
//!   every pod in the Service's Ready endpoints, `alive` saying whether its containers
//!   really run. It first simulates up to `now`.
//! - When a pod's containers stop while it is not listed (killed at the end of its
//!   termination grace period, or its node died while it drained), call
//!   [`ServiceTraffic::pod_stopped`]`(now, id)`.
//! - Every 10 s window: [`ServiceTraffic::take_window`]`(now)` → offered, served, dropped
//!   by cause, latency p50/p99/mean for the window; [`ServiceTraffic::totals`] at the end.
//! - For the HPA (and metrics-server's view): [`ServiceTraffic::take_cpu`]`(now)` → CPU
//!   time per pod since the previous call; utilization = CPU / (request × elapsed).
//!
//! Nothing here reads the clock or the world: the same calls with the same seed give the
//! same figures.
//!
//! # Semantics worth knowing
//!
//! - Every request ends exactly once as served or dropped with one cause
//!   (`no_endpoints`, `queue_full`, `timeout`, `pod_lost`), or is still in flight:
//!   `offered = served + dropped + in flight` at every instant
//!   ([`ServiceTraffic::check_invariants`] verifies it).
//! - Timeout: a request still queued at its deadline is abandoned (it never uses the
//!   server); a request whose service would end after its deadline is dropped at the
//!   deadline but keeps its server busy, and spends its CPU, until its service ends — a
//!   real server does not notice that the client left.
//! - A dead but listed endpoint: requests sent to it hang like connections to a dead
//!   host and are lost (`pod_lost`) when their client's timeout passes (or when the pod
//!   leaves the list or revives, if sooner); meanwhile the load-aware balancers see them
//!   in flight on it, as a proxy would.
//! - CPU is charged when a request starts service: `cpuPerRequest`, or the request's
//!   service time when none is given.
//! - Latency is arrival to completion of served requests; `p50`/`p99` come from a
//!   log-linear histogram within 0.4 %; means are exact.

mod arrivals;
mod balancer;
mod csv;
mod figures;
mod histogram;
mod pod_queue;
mod service;
mod service_time;
mod timer_heap;

pub use arrivals::{Arrivals, RateCurve, RateError, RatePoint};
pub use balancer::{Balancer, LoadBalancing};
pub use csv::CsvError;
pub use figures::{Counts, Drops, Figures, Latency, PodCpu};
pub use histogram::Histogram;
pub use pod_queue::{Admission, PodQueue};
pub use service::{Endpoint, PodState, ServiceTraffic, ServingProfile, TrafficSpec};
pub use service_time::{ServiceTime, ServiceTimeError, Z99};
