//! One Service's request-level simulation with its own event loop.
//!
//! Internal events, none of them an allocation: the next arrival (one cached instant);
//! and in one 4-ary min-heap of 24-byte entries keyed by time, a service completion
//! (one entry per request in service), a client deadline passing while a request is in
//! service, and at most one timer per pod at its oldest waiting request's deadline
//! (queued requests are arrival instants in their pod's ring buffer, so their deadlines
//! come in order). A pod that dies or stops gets a new generation number so its pending
//! heap entries are ignored when they surface.
//!
//! Everything is exact at every instant: a request is abandoned at its deadline, not
//! at the next event that happens to look at its pod, so the load-aware balancers and
//! the figures always see the true number of requests in flight.
//!
//! At equal instants a completion (or deadline) is handled before an arrival, so a server
//! freed at `t` can take a request arriving at `t`.

use super::arrivals::{Arrivals, RateCurve};
use super::balancer::{Balancer, LoadBalancing};
use super::figures::{Counts, Figures, Latency, PodCpu};
use super::histogram::Histogram;
use super::pod_queue::{Admission, PodQueue};
use super::service_time::ServiceTime;
use super::timer_heap::{Timed, TimerHeap};
use crate::engine::{Duration, RandomStream, RngStreams, Time};
use std::collections::BTreeMap;

/// How the pods behind a Service serve requests (the scenario's `serving` block).
#[derive(Clone, Debug, PartialEq)]
pub struct ServingProfile {
    /// Requests one pod works on at once (its servers); at least 1.
    pub concurrency: u32,
    /// Waiting requests per pod beyond which arrivals are dropped; `None`: unbounded.
    pub queue_limit: Option<u32>,
    /// Client timeout from arrival; `None`: clients wait forever.
    pub timeout: Option<Duration>,
    pub service_time: ServiceTime,
    /// CPU time one request costs; `None`: its service time (a CPU-bound server).
    pub cpu_per_request: Option<Duration>,
    /// Millicores a running pod uses while it serves nothing (what metrics-server reports
    /// for an idle pod; requests add to it). Read by the HPA, not by the traffic model.
    pub idle_cpu_millis: i64,
}

/// Everything about one Service's traffic except its endpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct TrafficSpec {
    pub rate: RateCurve,
    pub balancing: LoadBalancing,
    /// Serving profiles, referenced by index from [`Endpoint::profile`] (one per
    /// Deployment behind the Service, usually exactly one).
    pub profiles: Vec<ServingProfile>,
}

/// A pod in the Service's endpoints (it is Ready as far as the API knows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The pod's identity; stable for the pod's life and never reused for another pod.
    pub id: u64,
    /// Index into [`TrafficSpec::profiles`].
    pub profile: usize,
    /// Whether its containers really run. A listed pod that is not alive (its node just
    /// died, say) receives requests that hang and are lost (`pod_lost`).
    pub alive: bool,
}

/// A pod's current state, for reports and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodState {
    /// In the endpoint list (else it is finishing its work after leaving it).
    pub listed: bool,
    pub alive: bool,
    /// Servers working (requests whose client gave up included).
    pub busy: u32,
    /// Requests waiting in its queue (for a dead pod: hung requests).
    pub queued: u32,
    /// Requests whose client still waits on this pod.
    pub in_flight: u32,
}

const KIND_DONE: u32 = 0;
const KIND_DEADLINE: u32 = 1;
const KIND_ZOMBIE_DONE: u32 = 2;
const KIND_QUEUE_TIMER: u32 = 3;
const GEN_MASK: u32 = u32::MAX >> 2;
const NOT_LISTED: u32 = u32::MAX;

/// Heap entries: `aux` is the arrival instant (`DONE`) or the service end (`DEADLINE`);
/// `tag` is `generation << 2 | kind`.
type Entry = Timed;

struct Pod {
    id: u64,
    /// Bumped when the pod loses its work or its slot is released: stale heap entries
    /// carry an older generation.
    gen: u32,
    profile: usize,
    alive: bool,
    listed: bool,
    in_use: bool,
    /// Index in the endpoint list (`NOT_LISTED` when not listed).
    pos: u32,
    /// A queue timer is pending in the heap.
    timer: bool,
    q: PodQueue,
    /// Requests hung on a dead pod when there is no timeout to expire them.
    hung_untimed: u32,
    /// CPU ns already reported by `take_cpu`.
    cpu_taken: u64,
}

impl Pod {
    #[inline]
    fn in_flight(&self) -> u32 {
        self.q.in_flight() + self.hung_untimed
    }

    /// Retires waiting requests whose deadline passed: abandoned from the queue
    /// (`timeout`) or, on a dead pod, hung requests whose client gave up (`pod_lost`).
    #[inline]
    fn expire(&mut self, now: u64, counts: &mut Counts, in_flight: &mut u64) {
        let n = self.q.expire(now);
        if n > 0 {
            if self.alive {
                counts.dropped.timeout += n as u64;
            } else {
                counts.dropped.pod_lost += n as u64;
            }
            *in_flight -= n as u64;
        }
    }
}

/// One Service's traffic: arrivals, balancing, pods' queues, figures.
pub struct ServiceTraffic {
    now: u64,
    arrivals: Arrivals,
    /// Instant of the next arrival (`u64::MAX`: none).
    next_arrival: u64,
    balancer: Balancer,
    load_aware: bool,
    service_rng: RandomStream,
    profiles: Vec<ServingProfile>,
    pods: Vec<Pod>,
    free_slots: Vec<u32>,
    by_id: BTreeMap<u64, u32>,
    /// Slots of the listed pods, in the order given by the control plane.
    endpoints: Vec<u32>,
    heap: TimerHeap,
    in_flight: u64,
    window: Counts,
    window_hist: Histogram,
    window_start: u64,
    /// Closed windows.
    closed: Counts,
    closed_hist: Histogram,
}

impl ServiceTraffic {
    /// A Service's traffic from t = 0, with no endpoints yet. Its random streams are
    /// `traffic/<service>/arrivals`, `traffic/<service>/service-time` and
    /// `traffic/<service>/balancer`.
    pub fn new(service: &str, spec: TrafficSpec, streams: &RngStreams) -> Self {
        assert!(!spec.profiles.is_empty(), "a Service needs a serving profile");
        assert!(spec.profiles.iter().all(|p| p.concurrency > 0), "concurrency must be at least 1");
        let mut arrivals =
            Arrivals::new(&spec.rate, Time::ZERO, streams.stream(&format!("traffic/{service}/arrivals")));
        let next_arrival = arrivals.next_arrival().map_or(u64::MAX, |t| t.0);
        ServiceTraffic {
            now: 0,
            arrivals,
            next_arrival,
            balancer: Balancer::new(spec.balancing, streams.stream(&format!("traffic/{service}/balancer"))),
            load_aware: spec.balancing.is_load_aware(),
            service_rng: streams.stream(&format!("traffic/{service}/service-time")),
            profiles: spec.profiles,
            pods: Vec::new(),
            free_slots: Vec::new(),
            by_id: BTreeMap::new(),
            endpoints: Vec::new(),
            heap: TimerHeap::new(),
            in_flight: 0,
            window: Counts::default(),
            window_hist: Histogram::new(),
            window_start: 0,
            closed: Counts::default(),
            closed_hist: Histogram::new(),
        }
    }

    /// The instant up to which everything has been simulated.
    pub fn now(&self) -> Time {
        Time(self.now)
    }

    /// Requests in flight now (client side).
    pub fn in_flight(&self) -> u64 {
        self.in_flight
    }

    pub fn policy(&self) -> LoadBalancing {
        self.balancer.policy()
    }

    /// Simulates every arrival, completion and deadline at or before `t`. `t` must not
    /// be before [`Self::now`].
    pub fn advance_to(&mut self, t: Time) {
        let t = t.0;
        assert!(t >= self.now, "traffic time goes back: {t} < {}", self.now);
        loop {
            let tc = self.heap.peek_time();
            let ta = self.next_arrival;
            if tc <= ta {
                if tc > t || tc == u64::MAX {
                    break;
                }
                let e = self.heap.pop().expect("peeked");
                self.on_entry(e);
            } else {
                if ta > t {
                    break;
                }
                self.on_arrival(ta);
                self.next_arrival = self.arrivals.next_arrival().map_or(u64::MAX, |x| x.0);
            }
        }
        self.now = t;
    }

    /// The Service's endpoints change at `now` (first simulated up to `now`). Pods keep
    /// their state across calls, keyed by [`Endpoint::id`]:
    /// - a pod that stays listed keeps its servers and queue;
    /// - a listed pod that stops being alive loses every request in it (`pod_lost`);
    /// - a dead listed pod's hung requests are lost when it leaves the list or revives;
    /// - a pod that leaves the list alive finishes its work (graceful) and is forgotten
    ///   once idle; call [`Self::pod_stopped`] if it stops before that.
    ///
    /// The order of `endpoints` is the balancer's order; ids must be distinct, and a pod
    /// keeps the profile it was first listed with.
    pub fn set_endpoints(&mut self, now: Time, endpoints: &[Endpoint]) {
        self.advance_to(now);
        let old = std::mem::take(&mut self.endpoints);
        for &s in &old {
            let pod = &mut self.pods[s as usize];
            pod.listed = false;
            pod.pos = NOT_LISTED;
        }
        for ep in endpoints {
            assert!(ep.profile < self.profiles.len(), "endpoint {}: no profile {}", ep.id, ep.profile);
            let slot = match self.by_id.get(&ep.id) {
                Some(&s) => s,
                None => self.new_pod(ep),
            };
            let pod = &mut self.pods[slot as usize];
            assert!(!pod.listed, "endpoint {} listed twice", ep.id);
            assert_eq!(pod.profile, ep.profile, "endpoint {}: a pod's profile never changes", ep.id);
            pod.listed = true;
            if pod.alive != ep.alive {
                self.lose(slot);
                self.pods[slot as usize].alive = ep.alive;
            }
            self.pods[slot as usize].pos = self.endpoints.len() as u32;
            self.endpoints.push(slot);
        }
        for &s in &old {
            let pod = &self.pods[s as usize];
            if pod.listed {
                continue;
            }
            if !pod.alive {
                self.lose(s);
            }
            if self.pods[s as usize].q.is_idle() {
                self.release(s);
            }
        }
        let loads: Vec<u32> = self.endpoints.iter().map(|&s| self.pods[s as usize].in_flight()).collect();
        self.balancer.reset(&loads);
    }

    /// The pod's containers stopped at `now` (killed after its grace period, or its node
    /// died): every request still in it is lost (`pod_lost`) and the pod is forgotten,
    /// leaving the endpoints if listed. Unknown ids are ignored.
    pub fn pod_stopped(&mut self, now: Time, id: u64) {
        self.advance_to(now);
        let Some(&slot) = self.by_id.get(&id) else { return };
        self.lose(slot);
        if self.pods[slot as usize].listed {
            self.endpoints.retain(|&s| s != slot);
            let loads: Vec<u32> = self.endpoints.iter().map(|&s| self.pods[s as usize].in_flight()).collect();
            for (i, &s) in self.endpoints.iter().enumerate() {
                self.pods[s as usize].pos = i as u32;
            }
            self.balancer.reset(&loads);
        }
        self.release(slot);
    }

    /// The latency histogram of the window in progress (call [`Self::advance_to`] first).
    pub fn window_histogram(&self) -> &Histogram {
        &self.window_hist
    }

    /// Figures since the previous call (or the start), after simulating up to `now`;
    /// starts the next window. The lead calls this every 10 s of virtual time.
    pub fn take_window(&mut self, now: Time) -> Figures {
        self.advance_to(now);
        let figures = Figures {
            from: Time(self.window_start),
            to: now,
            counts: self.window,
            in_flight: self.in_flight,
            latency: Latency::of(&self.window_hist),
        };
        self.closed.add(&self.window);
        self.window = Counts::default();
        self.closed_hist.merge(&self.window_hist);
        self.window_hist.reset();
        self.window_start = now.0;
        figures
    }

    /// Figures from the start to [`Self::now`] (does not simulate further).
    pub fn totals(&self) -> Figures {
        let mut counts = self.closed;
        counts.add(&self.window);
        Figures {
            from: Time::ZERO,
            to: Time(self.now),
            counts,
            in_flight: self.in_flight,
            latency: Latency::of(&self.latency_histogram()),
        }
    }

    /// Latency of every request served so far (arrival to completion, ns).
    pub fn latency_histogram(&self) -> Histogram {
        let mut h = self.closed_hist.clone();
        h.merge(&self.window_hist);
        h
    }

    /// CPU per pod after simulating up to `now`: since the previous call and in total,
    /// for every pod the Service still knows (listed, or finishing after leaving), in
    /// ascending id order. For the HPA: `utilization = since_last / (cpu request × time
    /// since the previous call)`, averaged over the pods as metrics-server and the HPA do.
    pub fn take_cpu(&mut self, now: Time) -> Vec<PodCpu> {
        self.advance_to(now);
        let mut out = Vec::with_capacity(self.by_id.len());
        for (&id, &slot) in &self.by_id {
            let pod = &mut self.pods[slot as usize];
            let total = pod.q.cpu_ns();
            out.push(PodCpu { id, since_last: Duration(total - pod.cpu_taken), total: Duration(total) });
            pod.cpu_taken = total;
        }
        out
    }

    /// A pod's state, or `None` if the Service does not know it (never listed, or
    /// forgotten after leaving).
    pub fn pod_state(&self, id: u64) -> Option<PodState> {
        let pod = &self.pods[*self.by_id.get(&id)? as usize];
        Some(PodState {
            listed: pod.listed,
            alive: pod.alive,
            busy: pod.q.busy(),
            queued: pod.q.queued(),
            in_flight: pod.in_flight(),
        })
    }

    /// The ids of the listed endpoints, in balancer order.
    pub fn endpoint_ids(&self) -> Vec<u64> {
        self.endpoints.iter().map(|&s| self.pods[s as usize].id).collect()
    }

    /// Checks the bookkeeping: the per-pod in-flight counts add up to the Service's, and
    /// `offered = served + dropped + in flight`.
    pub fn check_invariants(&self) -> Result<(), String> {
        let per_pod: u64 = self.pods.iter().filter(|p| p.in_use).map(|p| p.in_flight() as u64).sum();
        if per_pod != self.in_flight {
            return Err(format!("pods hold {per_pod} requests in flight, the Service counts {}", self.in_flight));
        }
        let t = self.totals().counts;
        if t.offered != t.served + t.dropped.total() + self.in_flight {
            return Err(format!(
                "offered {} != served {} + dropped {} + in flight {}",
                t.offered,
                t.served,
                t.dropped.total(),
                self.in_flight
            ));
        }
        for (&id, &slot) in &self.by_id {
            let pod = &self.pods[slot as usize];
            if !pod.in_use || pod.id != id {
                return Err(format!("pod {id}: index points at slot {slot} holding {}", pod.id));
            }
            if pod.alive && pod.q.busy() < pod.q.concurrency() && pod.q.queued() > 0 {
                return Err(format!("pod {id}: a server idles while {} requests wait", pod.q.queued()));
            }
            if let Some(deadline) = pod.q.head_deadline() {
                if deadline <= self.now {
                    return Err(format!("pod {id}: a request waits past its deadline {deadline}"));
                }
                if !pod.timer {
                    return Err(format!("pod {id}: requests wait without a queue timer"));
                }
            }
            if pod.listed && self.load_aware && self.balancer.load(pod.pos as usize) != pod.in_flight() {
                return Err(format!("pod {id}: the balancer sees {} in flight", self.balancer.load(pod.pos as usize)));
            }
        }
        Ok(())
    }

    #[inline]
    fn on_arrival(&mut self, now: u64) {
        self.window.offered += 1;
        let n = self.endpoints.len();
        if n == 0 {
            self.window.dropped.no_endpoints += 1;
            return;
        }
        self.in_flight += 1;
        let slot = self.endpoints[self.balancer.pick()];
        let pod = &mut self.pods[slot as usize];
        if !pod.alive {
            if pod.q.timeout() == u64::MAX {
                pod.hung_untimed += 1;
            } else {
                pod.q.hang(now);
                self.arm_timer(slot);
            }
        } else {
            match pod.q.admit(now) {
                Admission::Start => self.start(slot, now, now),
                Admission::Queued => {
                    self.window.queued += 1;
                    self.arm_timer(slot);
                }
                Admission::Full => {
                    self.window.dropped.queue_full += 1;
                    self.in_flight -= 1;
                    return;
                }
            }
        }
        self.touch(slot);
    }

    /// Tells the balancer the pod's new in-flight count.
    #[inline]
    fn touch(&mut self, slot: u32) {
        if self.load_aware {
            let pod = &self.pods[slot as usize];
            if pod.pos != NOT_LISTED {
                self.balancer.set_load(pod.pos as usize, pod.in_flight());
            }
        }
    }

    /// Makes sure a timer is pending for the pod's oldest waiting request.
    #[inline]
    fn arm_timer(&mut self, slot: u32) {
        let pod = &mut self.pods[slot as usize];
        if !pod.timer {
            if let Some(deadline) = pod.q.head_deadline() {
                pod.timer = true;
                self.heap.push(Entry { time: deadline, aux: 0, slot, tag: pod.gen << 2 | KIND_QUEUE_TIMER });
            }
        }
    }

    /// Starts the request that arrived at `arrival` on `slot` at `now`.
    #[inline]
    fn start(&mut self, slot: u32, now: u64, arrival: u64) {
        let pod = &mut self.pods[slot as usize];
        let profile = &self.profiles[pod.profile];
        let service = profile.service_time.sample(&mut self.service_rng).0;
        pod.q.begin(profile.cpu_per_request.map_or(service, |d| d.0));
        self.window.started += 1;
        self.window.wait_ns += (now - arrival) as u128;
        let done = now.saturating_add(service);
        let deadline = arrival.saturating_add(pod.q.timeout());
        let tag = pod.gen << 2;
        self.heap.push(if done > deadline {
            Entry { time: deadline, aux: done, slot, tag: tag | KIND_DEADLINE }
        } else {
            Entry { time: done, aux: arrival, slot, tag: tag | KIND_DONE }
        });
    }

    #[inline]
    fn on_entry(&mut self, e: Entry) {
        let pod = &mut self.pods[e.slot as usize];
        if e.tag >> 2 != pod.gen {
            return; // the pod lost this request already
        }
        match e.tag & 3 {
            KIND_DONE => {
                self.window.served += 1;
                self.in_flight -= 1;
                self.window_hist.record(e.time - e.aux);
                pod.q.finish(false);
            }
            KIND_DEADLINE => {
                self.window.dropped.timeout += 1;
                self.in_flight -= 1;
                pod.q.abandon_in_service();
                self.heap.push(Entry { time: e.aux, aux: 0, slot: e.slot, tag: (e.tag & !3) | KIND_ZOMBIE_DONE });
                self.touch(e.slot);
                return;
            }
            KIND_ZOMBIE_DONE => pod.q.finish(true),
            _ => {
                pod.timer = false;
                pod.expire(e.time, &mut self.window, &mut self.in_flight);
                self.arm_timer(e.slot);
                self.touch(e.slot);
                return;
            }
        }
        self.refill(e.slot, e.time);
        self.touch(e.slot);
    }

    /// Starts waiting requests on free servers of `slot`; forgets the pod if it left the
    /// endpoints and has nothing left to do.
    #[inline]
    fn refill(&mut self, slot: u32, now: u64) {
        loop {
            let pod = &mut self.pods[slot as usize];
            let (expired, next) = pod.q.next_to_start(now);
            if expired > 0 {
                self.window.dropped.timeout += expired as u64;
                self.in_flight -= expired as u64;
            }
            match next {
                Some(arrival) => self.start(slot, now, arrival),
                None => break,
            }
        }
        let pod = &self.pods[slot as usize];
        if !pod.listed && pod.q.is_idle() {
            self.release(slot);
        }
    }

    /// Every request whose client still waits on `slot` is lost; pending heap entries
    /// of the pod become stale.
    fn lose(&mut self, slot: u32) {
        let pod = &mut self.pods[slot as usize];
        let lost = pod.q.lose_all() as u64 + pod.hung_untimed as u64;
        pod.hung_untimed = 0;
        pod.gen = (pod.gen + 1) & GEN_MASK;
        pod.timer = false;
        self.window.dropped.pod_lost += lost;
        self.in_flight -= lost;
        self.touch(slot);
    }

    fn new_pod(&mut self, ep: &Endpoint) -> u32 {
        let p = &self.profiles[ep.profile];
        let pod = Pod {
            id: ep.id,
            gen: 0,
            profile: ep.profile,
            alive: ep.alive,
            listed: false,
            in_use: true,
            pos: NOT_LISTED,
            timer: false,
            q: PodQueue::new(p.concurrency, p.queue_limit, p.timeout.map(|d| d.0)),
            hung_untimed: 0,
            cpu_taken: 0,
        };
        let slot = match self.free_slots.pop() {
            Some(s) => {
                let gen = self.pods[s as usize].gen;
                self.pods[s as usize] = Pod { gen, ..pod };
                s
            }
            None => {
                self.pods.push(pod);
                u32::try_from(self.pods.len() - 1).expect("fewer than 2^32 pods")
            }
        };
        self.by_id.insert(ep.id, slot);
        slot
    }

    fn release(&mut self, slot: u32) {
        let pod = &mut self.pods[slot as usize];
        debug_assert!(pod.in_flight() == 0, "releasing a pod with requests in flight");
        pod.in_use = false;
        pod.listed = false;
        pod.pos = NOT_LISTED;
        pod.timer = false;
        pod.gen = (pod.gen + 1) & GEN_MASK;
        self.by_id.remove(&pod.id);
        self.free_slots.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::RatePoint;

    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;

    fn profile(concurrency: u32, queue_limit: Option<u32>, timeout_ms: Option<u64>, st: ServiceTime) -> ServingProfile {
        ServingProfile {
            concurrency,
            queue_limit,
            timeout: timeout_ms.map(Duration::from_millis),
            service_time: st,
            cpu_per_request: None,
            idle_cpu_millis: 0,
        }
    }

    fn traffic(rps: f64, balancing: LoadBalancing, profiles: Vec<ServingProfile>) -> ServiceTraffic {
        let spec = TrafficSpec { rate: RateCurve::constant(rps).unwrap(), balancing, profiles };
        ServiceTraffic::new("web", spec, &RngStreams::new(42))
    }

    fn ep(id: u64, alive: bool) -> Endpoint {
        Endpoint { id, profile: 0, alive }
    }

    fn exp_ms(ms: u64) -> ServiceTime {
        ServiceTime::exponential(Duration::from_millis(ms))
    }

    #[test]
    fn without_endpoints_every_request_is_dropped() {
        let mut t = traffic(100.0, LoadBalancing::RoundRobin, vec![profile(1, None, None, exp_ms(10))]);
        let f = t.take_window(Time::from_secs(10));
        assert!((900..1100).contains(&f.counts.offered), "{}", f.counts.offered);
        assert_eq!(f.counts.dropped.no_endpoints, f.counts.offered);
        assert_eq!((f.counts.served, f.in_flight, f.latency.p50), (0, 0, None));
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_light_load_is_served_with_the_service_time_as_latency() {
        let mut t = traffic(
            50.0,
            LoadBalancing::RoundRobin,
            vec![profile(4, None, None, ServiceTime::constant(Duration(7 * MS)))],
        );
        t.set_endpoints(Time::ZERO, &[ep(1, true), ep(2, true)]);
        let f = t.take_window(Time::from_secs(20));
        assert_eq!(f.counts.offered, f.counts.served + f.in_flight);
        assert_eq!(f.latency.p50, Some(Duration(7 * MS)));
        assert_eq!(f.latency.max, Some(Duration(7 * MS)));
        assert_eq!(f.counts.mean_wait(), Some(Duration::ZERO));
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_full_queue_drops_arrivals() {
        // One server busy 1 s per request, two waiting places, ~100 arrivals per second.
        let mut t =
            traffic(100.0, LoadBalancing::Random, vec![profile(1, Some(2), None, ServiceTime::constant(Duration(S)))]);
        t.set_endpoints(Time::ZERO, &[ep(7, true)]);
        let f = t.take_window(Time::from_secs(10));
        assert!(f.counts.dropped.queue_full > 900, "{:?}", f.counts);
        assert!((9..=10).contains(&f.counts.served), "{:?}", f.counts);
        assert_eq!(t.pod_state(7).map(|p| (p.busy, p.queued, p.in_flight)), Some((1, 2, 3)));
        assert_eq!(f.in_flight, 3);
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_request_past_its_timeout_is_dropped_at_the_deadline_but_keeps_its_server() {
        // Service 2 s, timeout 1 s: every request times out in service; the server stays
        // busy for the full 2 s; waiting requests expire from the queue at their deadline.
        let mut t = traffic(
            10.0,
            LoadBalancing::RoundRobin,
            vec![profile(1, None, Some(1000), ServiceTime::constant(Duration(2 * S)))],
        );
        t.set_endpoints(Time::ZERO, &[ep(1, true)]);
        let f = t.take_window(Time::from_secs(30));
        let c = f.counts;
        assert_eq!(c.served, 0);
        // One request starts every 2 s at most (zombies hold the server): ~15 starts.
        assert!((13..=15).contains(&c.started), "{c:?}");
        assert_eq!(c.offered, c.dropped.timeout + f.in_flight);
        let pod = t.pod_state(1).unwrap();
        assert_eq!(pod.busy, 1);
        assert!(pod.in_flight <= 11, "only requests younger than 1 s wait: {pod:?}");
        // CPU: each started request costs its 2 s service time, zombie or not.
        let cpu = t.take_cpu(Time::from_secs(30));
        assert_eq!(
            cpu,
            vec![PodCpu { id: 1, since_last: Duration(2 * S * c.started), total: Duration(2 * S * c.started) }]
        );
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_response_exactly_at_the_timeout_is_served() {
        let mut t = traffic(
            1.0,
            LoadBalancing::RoundRobin,
            vec![profile(8, None, Some(50), ServiceTime::constant(Duration(50 * MS)))],
        );
        t.set_endpoints(Time::ZERO, &[ep(1, true)]);
        let f = t.take_window(Time::from_secs(100));
        assert_eq!(f.counts.dropped.timeout, 0);
        assert_eq!(f.counts.served + f.in_flight, f.counts.offered);
    }

    #[test]
    fn a_dead_listed_endpoint_loses_requests_when_clients_give_up() {
        let mut t = traffic(100.0, LoadBalancing::RoundRobin, vec![profile(1, None, Some(1000), exp_ms(1))]);
        t.set_endpoints(Time::ZERO, &[ep(1, false)]);
        let early = t.take_window(Time(500 * MS));
        assert_eq!((early.counts.dropped.pod_lost, early.in_flight), (0, early.counts.offered));
        let f = t.take_window(Time::from_secs(10));
        let total = t.totals();
        // Lost = arrivals up to 9 s; in flight = arrivals in (9 s, 10 s].
        assert_eq!(total.counts.dropped.pod_lost + f.in_flight, total.counts.offered);
        assert!((60..140).contains(&f.in_flight), "{}", f.in_flight);
        // Leaving the list loses the hung ones at once.
        t.set_endpoints(Time::from_secs(10), &[]);
        assert_eq!(t.in_flight(), 0);
        assert_eq!(t.totals().counts.dropped.pod_lost, t.totals().counts.offered);
        assert_eq!(t.pod_state(1), None);
        t.check_invariants().unwrap();
    }

    #[test]
    fn without_a_timeout_a_dead_endpoint_holds_requests_until_it_leaves() {
        let mut t = traffic(100.0, LoadBalancing::LeastRequest, vec![profile(1, None, None, exp_ms(1))]);
        t.set_endpoints(Time::ZERO, &[ep(1, false), ep(2, true)]);
        let f = t.take_window(Time::from_secs(10));
        // Least-request sees the hung requests and sends the dead pod a request only
        // when the live one has as many in flight.
        let hung = t.pod_state(1).unwrap().in_flight as u64;
        assert!((1..5).contains(&hung), "{hung}");
        assert_eq!(f.counts.dropped.pod_lost, 0);
        t.set_endpoints(Time::from_secs(10), &[ep(2, true)]);
        assert_eq!(t.totals().counts.dropped.pod_lost, hung);
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_pod_that_dies_loses_its_work_and_its_pending_completions_are_ignored() {
        let mut t = traffic(
            1000.0,
            LoadBalancing::RoundRobin,
            vec![profile(2, None, None, ServiceTime::constant(Duration(S)))],
        );
        t.set_endpoints(Time::ZERO, &[ep(1, true), ep(2, true)]);
        let half = Time(1500 * MS);
        t.advance_to(half);
        let before = t.pod_state(1).unwrap();
        assert_eq!(before.busy, 2);
        assert!(before.queued > 400);
        let served = t.totals().counts.served;
        assert_eq!(served, 4, "two servers on each pod finished their first request at 1 s");
        t.set_endpoints(half, &[ep(1, false), ep(2, true)]);
        assert_eq!(t.totals().counts.dropped.pod_lost, before.in_flight as u64);
        assert_eq!(t.pod_state(1).unwrap().busy, 0);
        t.advance_to(Time(3500 * MS));
        let after = t.totals().counts;
        assert_eq!(after.served, 4 + 2 * 2, "only pod 2 completes requests (two per second)");
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_pod_leaving_endpoints_alive_finishes_its_work_then_is_forgotten() {
        let mut t =
            traffic(20.0, LoadBalancing::RoundRobin, vec![profile(1, None, None, ServiceTime::constant(Duration(S)))]);
        t.set_endpoints(Time::ZERO, &[ep(1, true)]);
        t.advance_to(Time::from_secs(2));
        let held = t.pod_state(1).unwrap().in_flight as u64;
        assert!(held > 10);
        let served_before = t.totals().counts.served;
        t.set_endpoints(Time::from_secs(2), &[]);
        assert!(!t.pod_state(1).unwrap().listed);
        t.advance_to(Time::from_secs(2 + held + 1));
        let c = t.totals().counts;
        assert_eq!(c.served, served_before + held, "{c:?}");
        assert_eq!(c.dropped.pod_lost, 0);
        assert_eq!(c.dropped.no_endpoints, c.offered - served_before - held);
        assert_eq!(t.pod_state(1), None);
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_pod_stopped_while_draining_loses_what_is_left() {
        let mut t =
            traffic(20.0, LoadBalancing::RoundRobin, vec![profile(1, None, None, ServiceTime::constant(Duration(S)))]);
        t.set_endpoints(Time::ZERO, &[ep(1, true)]);
        t.set_endpoints(Time::from_secs(2), &[]);
        let held = t.pod_state(1).unwrap().in_flight as u64;
        t.pod_stopped(Time::from_secs(3), 1);
        let c = t.totals().counts;
        assert_eq!(c.dropped.pod_lost, held - 1, "one finished at 3 s before the stop");
        assert_eq!(t.in_flight(), 0);
        assert_eq!(t.pod_state(1), None);
        t.pod_stopped(Time::from_secs(3), 99); // unknown: ignored
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_pod_that_stays_keeps_its_queue_when_others_come_and_go() {
        let mut t =
            traffic(50.0, LoadBalancing::RoundRobin, vec![profile(1, None, None, ServiceTime::constant(Duration(S)))]);
        t.set_endpoints(Time::ZERO, &[ep(1, true)]);
        t.advance_to(Time::from_secs(1) + Duration(MS));
        let before = t.pod_state(1).unwrap();
        t.set_endpoints(Time::from_secs(1) + Duration(MS), &[ep(3, true), ep(1, true)]);
        assert_eq!(t.pod_state(1), Some(before));
        assert_eq!(t.endpoint_ids(), vec![3, 1]);
        t.check_invariants().unwrap();
    }

    #[test]
    fn a_revived_pod_starts_empty_and_serves_again() {
        let mut t = traffic(100.0, LoadBalancing::RoundRobin, vec![profile(4, None, Some(500), exp_ms(5))]);
        t.set_endpoints(Time::ZERO, &[ep(1, false)]);
        t.set_endpoints(Time::from_secs(1), &[ep(1, true)]);
        let lost = t.totals().counts.dropped.pod_lost;
        assert!(lost > 50, "hung requests are lost on revival: {lost}");
        let f = t.take_window(Time::from_secs(5));
        assert!(f.counts.served > 300);
        t.check_invariants().unwrap();
    }

    #[test]
    fn cpu_is_charged_per_started_request_and_reported_since_the_last_call() {
        let mut p = profile(4, None, None, exp_ms(10));
        p.cpu_per_request = Some(Duration::from_millis(3));
        let mut t = traffic(200.0, LoadBalancing::RoundRobin, vec![p]);
        t.set_endpoints(Time::ZERO, &[ep(5, true), ep(4, true)]);
        let first = t.take_cpu(Time::from_secs(10));
        let started = t.totals().counts.started;
        assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(first.iter().map(|c| c.since_last.0).sum::<u64>(), started * 3 * MS);
        let second = t.take_cpu(Time::from_secs(10));
        assert!(second.iter().all(|c| c.since_last == Duration::ZERO));
        assert_eq!(second[0].total, first[0].total);
    }

    #[test]
    fn windows_add_up_to_the_totals() {
        let rate = RateCurve::new(vec![
            RatePoint { at: Time::ZERO, rps: 100.0 },
            RatePoint { at: Time::from_secs(30), rps: 3000.0 },
        ])
        .unwrap();
        let spec = TrafficSpec {
            rate,
            balancing: LoadBalancing::PowerOfTwo,
            profiles: vec![profile(2, Some(20), Some(200), exp_ms(20))],
        };
        let mut t = ServiceTraffic::new("web", spec, &RngStreams::new(1));
        t.set_endpoints(Time::ZERO, &[ep(1, true), ep(2, true), ep(3, true)]);
        let mut sum = Counts::default();
        let mut served_latency = 0u64;
        for w in 1..=6 {
            let f = t.take_window(Time::from_secs(10 * w));
            sum.add(&f.counts);
            served_latency += f.latency.count;
            assert_eq!(f.latency.count, f.counts.served);
            t.check_invariants().unwrap();
        }
        let total = t.totals();
        assert_eq!(total.counts, sum);
        assert_eq!(total.latency.count, served_latency);
        assert!(sum.dropped.queue_full > 0 && sum.dropped.timeout > 0, "{sum:?}");
        assert_eq!(sum.offered, sum.served + sum.dropped.total() + total.in_flight);
    }

    #[test]
    fn the_same_seed_gives_the_same_figures_and_other_services_differ() {
        let run = |name: &str| {
            let spec = TrafficSpec {
                rate: RateCurve::constant(500.0).unwrap(),
                balancing: LoadBalancing::PowerOfTwo,
                profiles: vec![profile(2, Some(10), Some(300), exp_ms(8))],
            };
            let mut t = ServiceTraffic::new(name, spec, &RngStreams::new(3));
            t.set_endpoints(Time::ZERO, &[ep(1, true), ep(2, true)]);
            t.set_endpoints(Time::from_secs(5), &[ep(2, true), ep(3, false)]);
            t.pod_stopped(Time::from_secs(6), 1);
            (t.take_window(Time::from_secs(10)), t.take_cpu(Time::from_secs(10)))
        };
        assert_eq!(run("web"), run("web"));
        assert_ne!(run("web").0, run("api").0);
    }

    /// Random churn of endpoints, deaths and stops keeps the bookkeeping exact.
    #[test]
    fn bookkeeping_survives_churn() {
        let mut rng = RngStreams::new(8).stream("churn");
        for balancing in LoadBalancing::ALL {
            let profiles = vec![profile(2, Some(5), Some(150), exp_ms(30)), profile(1, None, None, exp_ms(5))];
            let spec = TrafficSpec { rate: RateCurve::constant(300.0).unwrap(), balancing, profiles };
            let mut t = ServiceTraffic::new("churn", spec, &RngStreams::new(9));
            let mut now = Time::ZERO;
            for _ in 0..300 {
                now += Duration(rng.below(200 * MS));
                match rng.below(4) {
                    0 => t.pod_stopped(now, rng.below(8)),
                    _ => {
                        let mut list = Vec::new();
                        for id in 0..8 {
                            if rng.below(3) > 0 {
                                list.push(Endpoint { id, profile: id as usize % 2, alive: rng.below(5) > 0 });
                            }
                        }
                        t.set_endpoints(now, &list);
                    }
                }
                t.check_invariants().unwrap_or_else(|e| panic!("{balancing:?} at {now}: {e}"));
            }
            let c = t.totals().counts;
            assert!(c.served > 0 && c.dropped.pod_lost > 0 && c.dropped.no_endpoints > 0, "{balancing:?} {c:?}");
        }
    }
}
