//! One pod as a queueing station: `concurrency` servers in front of one FIFO queue.
//!
//! A request that finds a free server starts at once; otherwise it waits in the queue,
//! unless `queueLimit` requests already wait (then it is dropped: `queue_full`).
//!
//! Timeouts (the client's `timeout`, measured from arrival):
//! - a request still *queued* at its deadline is abandoned: it leaves the queue and never
//!   uses a server or CPU;
//! - a request whose service would end after its deadline counts as dropped (`timeout`)
//!   at the deadline, but it **keeps its server busy until its service ends** and its CPU
//!   is spent: a real server does not notice that the client went away. Such a request
//!   is a *zombie* from the deadline until its service ends.
//!
//! CPU: each request that starts service is charged its CPU cost at the start (the
//! caller passes the cost). The cumulative CPU time is monotonic like cAdvisor's
//! `container_cpu_usage_seconds_total`; utilization over a window is
//! `used / (requested cpu × window)`. Charging at the start misplaces at most
//! `concurrency` requests' CPU across a window boundary.
//!
//! Queued requests are stored as their arrival instants in a ring buffer (`VecDeque`)
//! that grows to the queue limit once and is then reused: no allocation per request.
//! Their deadlines come in FIFO order, so the owner needs a single timer per pod, at
//! [`PodQueue::head_deadline`], to abandon them on time; admission and a freed server
//! also expire the head first.

use std::collections::VecDeque;

/// What happened to an arriving request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A server is free: the caller starts the request now (and calls [`PodQueue::begin`]).
    Start,
    /// All servers are busy; the request waits in the queue.
    Queued,
    /// All servers are busy and the queue is full: the request is dropped (`queue_full`).
    Full,
}

/// A pod's servers, queue and CPU counter. Times are nanoseconds.
#[derive(Clone, Debug)]
pub struct PodQueue {
    concurrency: u32,
    /// Maximum waiting requests (`u32::MAX`: unbounded).
    queue_limit: u32,
    /// Client timeout in ns (`u64::MAX`: none).
    timeout: u64,
    /// Servers working, zombies included.
    busy: u32,
    /// Busy servers whose client already timed out.
    zombies: u32,
    /// Arrival instants of the waiting requests, oldest first.
    waiting: VecDeque<u64>,
    /// CPU time spent, in ns, since the pod appeared.
    cpu_ns: u64,
}

impl PodQueue {
    pub fn new(concurrency: u32, queue_limit: Option<u32>, timeout: Option<u64>) -> Self {
        PodQueue {
            concurrency,
            queue_limit: queue_limit.unwrap_or(u32::MAX),
            timeout: timeout.unwrap_or(u64::MAX),
            busy: 0,
            zombies: 0,
            waiting: VecDeque::new(),
            cpu_ns: 0,
        }
    }

    pub fn concurrency(&self) -> u32 {
        self.concurrency
    }

    /// Client timeout in ns (`u64::MAX`: none).
    #[inline]
    pub fn timeout(&self) -> u64 {
        self.timeout
    }

    /// Requests whose client is still waiting: in service (not zombies) plus queued.
    #[inline]
    pub fn in_flight(&self) -> u32 {
        self.busy - self.zombies + self.waiting.len() as u32
    }

    pub fn busy(&self) -> u32 {
        self.busy
    }

    pub fn queued(&self) -> u32 {
        self.waiting.len() as u32
    }

    /// Cumulative CPU time in ns.
    pub fn cpu_ns(&self) -> u64 {
        self.cpu_ns
    }

    /// No request in service or waiting.
    pub fn is_idle(&self) -> bool {
        self.busy == 0 && self.waiting.is_empty()
    }

    /// The deadline of the oldest waiting request, if any (and if there is a timeout).
    #[inline]
    pub fn head_deadline(&self) -> Option<u64> {
        match self.waiting.front() {
            Some(&arrival) if self.timeout != u64::MAX => Some(arrival.saturating_add(self.timeout)),
            _ => None,
        }
    }

    /// Removes the queued requests whose deadline (`arrival + timeout`) is at or before
    /// `now`; returns how many (the caller counts them as `timeout`).
    #[inline]
    pub fn expire(&mut self, now: u64) -> u32 {
        let mut n = 0;
        while let Some(&arrival) = self.waiting.front() {
            if arrival.saturating_add(self.timeout) > now {
                break;
            }
            self.waiting.pop_front();
            n += 1;
        }
        n
    }

    /// An arrival at `now` (expire first): start it, queue it or refuse it.
    #[inline]
    pub fn admit(&mut self, now: u64) -> Admission {
        if self.busy < self.concurrency {
            debug_assert!(self.waiting.is_empty(), "a server idles while requests wait");
            Admission::Start
        } else if self.waiting.len() >= self.queue_limit as usize {
            Admission::Full
        } else {
            self.waiting.push_back(now);
            Admission::Queued
        }
    }

    /// A request starts service, costing `cpu_ns` of CPU.
    #[inline]
    pub fn begin(&mut self, cpu_ns: u64) {
        self.busy += 1;
        self.cpu_ns = self.cpu_ns.saturating_add(cpu_ns);
    }

    /// The client of a request in service gave up; the server keeps working on it.
    #[inline]
    pub fn abandon_in_service(&mut self) {
        debug_assert!(self.zombies < self.busy);
        self.zombies += 1;
    }

    /// A server finishes a request (`zombie`: one whose client already gave up).
    #[inline]
    pub fn finish(&mut self, zombie: bool) {
        self.busy -= 1;
        if zombie {
            self.zombies -= 1;
        }
    }

    /// The next waiting request to start at `now` if a server is free: returns how many
    /// waiting requests expired first (count them as `timeout`) and the arrival instant of
    /// the one to start, if any (then call [`PodQueue::begin`]).
    #[inline]
    pub fn next_to_start(&mut self, now: u64) -> (u32, Option<u64>) {
        if self.busy >= self.concurrency {
            return (0, None);
        }
        let expired = self.expire(now);
        (expired, self.waiting.pop_front())
    }

    /// Appends a request that will never be served (a dead endpoint's hung connection)
    /// to the waiting list, where it expires at its deadline like a queued one.
    #[inline]
    pub fn hang(&mut self, now: u64) {
        self.waiting.push_back(now);
    }

    /// The pod's containers are gone: every request whose client still waits is lost.
    /// Returns how many; servers and queue are empty afterwards (CPU stays counted).
    pub fn lose_all(&mut self) -> u32 {
        let lost = self.in_flight();
        self.busy = 0;
        self.zombies = 0;
        self.waiting.clear();
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_to_free_servers_then_queues_then_refuses() {
        let mut q = PodQueue::new(2, Some(1), None);
        assert_eq!(q.admit(0), Admission::Start);
        q.begin(5);
        assert_eq!(q.admit(1), Admission::Start);
        q.begin(5);
        assert_eq!(q.admit(2), Admission::Queued);
        assert_eq!(q.admit(3), Admission::Full);
        assert_eq!((q.busy(), q.queued(), q.in_flight(), q.cpu_ns()), (2, 1, 3, 10));
        q.finish(false);
        assert_eq!(q.next_to_start(10), (0, Some(2)));
        q.begin(5);
        assert_eq!(q.next_to_start(10), (0, None), "no free server");
    }

    #[test]
    fn queued_requests_expire_at_their_deadline_in_fifo_order() {
        let mut q = PodQueue::new(1, None, Some(100));
        assert_eq!(q.admit(0), Admission::Start);
        q.begin(0);
        for t in [10, 20, 30] {
            assert_eq!(q.admit(t), Admission::Queued);
        }
        assert_eq!(q.expire(119), 1, "deadline 110 passed, 120 not yet");
        assert_eq!(q.expire(120), 1, "a deadline at now expires");
        q.finish(false);
        assert_eq!(q.next_to_start(135), (1, None), "the last one expired at 130");
        assert!(q.is_idle());
    }

    #[test]
    fn zombies_keep_their_server_but_leave_the_in_flight_count() {
        let mut q = PodQueue::new(1, None, Some(100));
        q.admit(0);
        q.begin(7);
        q.admit(1);
        q.abandon_in_service();
        assert_eq!((q.busy(), q.in_flight()), (1, 1));
        assert_eq!(q.admit(2), Admission::Queued, "the zombie still holds the only server");
        q.finish(true);
        assert_eq!(q.next_to_start(60), (0, Some(1)));
    }

    #[test]
    fn losing_everything_counts_only_waiting_clients() {
        let mut q = PodQueue::new(2, None, Some(50));
        for t in 0..4 {
            if q.admit(t) == Admission::Start {
                q.begin(3);
            }
        }
        q.abandon_in_service();
        assert_eq!(q.lose_all(), 3);
        assert!(q.is_idle());
        assert_eq!(q.cpu_ns(), 6);
    }
}
