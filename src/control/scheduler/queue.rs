//! The scheduling queue: active pods by priority then age; pods that failed wait in
//! backoff (1 s doubling to 10 s per attempt) or as unschedulable until a cluster event
//! could make them fit, and at most 5 minutes.
//! Upstream: pkg/scheduler/backend/queue/scheduling_queue.go.

use crate::engine::{Duration, Time};
use crate::model::PodId;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where a queued pod sits.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Active(Reverse<i32>, u64),
    Backoff(Time, u64),
}

/// Upstream: DefaultPodInitialBackoffDuration.
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Upstream: DefaultPodMaxBackoffDuration.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Upstream: DefaultPodMaxInUnschedulablePodsDuration.
pub const MAX_IN_UNSCHEDULABLE: Duration = Duration::from_secs(300);
/// Upstream: the unschedulable-leftover flush runs every 30 s.
pub const LEFTOVER_FLUSH_PERIOD: Duration = Duration::from_secs(30);

struct Parked {
    priority: i32,
    since: Time,
    reason: String,
}

#[derive(Default)]
pub struct SchedulingQueue {
    active: BTreeSet<(Reverse<i32>, u64, PodId)>,
    /// (ready at, seq) -> pod.
    backoff: BTreeMap<(Time, u64), (PodId, i32)>,
    /// Where each pod in `active` or `backoff` sits, so removal is a lookup, not a scan
    /// (a map only looked up, never iterated).
    slots: HashMap<PodId, Slot>,
    unschedulable: BTreeMap<PodId, Parked>,
    /// (parked since, pod) of every unschedulable pod: the 5-minute flush without a scan.
    parked_since: BTreeSet<(Time, PodId)>,
    /// Scheduling attempts per pod (drives the backoff).
    attempts: BTreeMap<PodId, (u32, Time)>,
    /// Pods waiting for victims to go (nominated node).
    pub nominated: BTreeMap<PodId, crate::model::NodeId>,
    seq: u64,
}

/// Upstream: calculateBackoffDuration (doubling from 1 s, capped at 10 s).
pub fn backoff_for(attempts: u32) -> Duration {
    let mut d = INITIAL_BACKOFF.as_nanos();
    for _ in 1..attempts {
        if d > MAX_BACKOFF.as_nanos() - d {
            return MAX_BACKOFF;
        }
        d += d;
    }
    Duration::from_nanos(d.min(MAX_BACKOFF.as_nanos()))
}

impl SchedulingQueue {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Adds a new pending pod (PrioritySort: higher priority first, then FIFO).
    pub fn add(&mut self, pod: PodId, priority: i32) {
        self.unpark(pod);
        let seq = self.next_seq();
        self.insert_active(pod, priority, seq);
    }

    fn insert_active(&mut self, pod: PodId, priority: i32, seq: u64) {
        self.take_slot(pod);
        self.active.insert((Reverse(priority), seq, pod));
        self.slots.insert(pod, Slot::Active(Reverse(priority), seq));
    }

    /// Takes a pod out of `active` or `backoff`, wherever it is.
    fn take_slot(&mut self, pod: PodId) {
        match self.slots.remove(&pod) {
            Some(Slot::Active(p, seq)) => {
                self.active.remove(&(p, seq, pod));
            }
            Some(Slot::Backoff(t, seq)) => {
                self.backoff.remove(&(t, seq));
            }
            None => {}
        }
    }

    fn unpark(&mut self, pod: PodId) -> Option<Parked> {
        let p = self.unschedulable.remove(&pod)?;
        self.parked_since.remove(&(p.since, pod));
        Some(p)
    }

    pub fn pop(&mut self, now: Time) -> Option<PodId> {
        let (_, _, pod) = self.active.pop_first()?;
        self.slots.remove(&pod);
        let entry = self.attempts.entry(pod).or_insert((0, now));
        entry.0 += 1;
        entry.1 = now;
        Some(pod)
    }

    /// Parks a pod that did not fit. Returns whether the reason changed since last time
    /// (so the caller logs it only then).
    pub fn park(&mut self, pod: PodId, priority: i32, reason: &str, now: Time) -> bool {
        let changed = self.unschedulable.get(&pod).is_none_or(|p| p.reason != reason);
        self.unpark(pod);
        self.parked_since.insert((now, pod));
        self.unschedulable.insert(pod, Parked { priority, since: now, reason: reason.to_string() });
        changed
    }

    /// The reason a parked pod failed last time.
    pub fn last_reason(&self, pod: PodId) -> Option<&str> {
        self.unschedulable.get(&pod).map(|p| p.reason.as_str())
    }

    /// A cluster event could make parked pods fit: each goes to active if its backoff is
    /// over, else to the backoff queue. Returns the earliest backoff expiry, if any.
    pub fn move_all_to_active_or_backoff(&mut self, now: Time) -> Option<Time> {
        let parked = std::mem::take(&mut self.unschedulable);
        self.parked_since.clear();
        for (pod, p) in parked {
            self.requeue(pod, p.priority, now);
        }
        self.next_backoff_expiry()
    }

    fn requeue(&mut self, pod: PodId, priority: i32, now: Time) {
        let (attempts, last) = self.attempts.get(&pod).copied().unwrap_or((0, now));
        let ready = last + backoff_for(attempts.max(1));
        let seq = self.next_seq();
        if ready <= now {
            self.insert_active(pod, priority, seq);
        } else {
            self.take_slot(pod);
            self.backoff.insert((ready, seq), (pod, priority));
            self.slots.insert(pod, Slot::Backoff(ready, seq));
        }
    }

    pub fn next_backoff_expiry(&self) -> Option<Time> {
        self.backoff.keys().next().map(|(t, _)| *t)
    }

    /// Moves pods whose backoff is over to active, and pods parked for 5 minutes back to
    /// the queue (flushUnschedulablePodsLeftover). Returns the next time to call again.
    pub fn flush(&mut self, now: Time) -> Option<Time> {
        while let Some((&(ready, seq), &(pod, priority))) = self.backoff.iter().next() {
            if ready > now {
                break;
            }
            self.backoff.remove(&(ready, seq));
            self.insert_active(pod, priority, seq);
        }
        // In pod-id order, as a scan of the unschedulable pods would find them.
        let mut stale: Vec<PodId> = self
            .parked_since
            .iter()
            .take_while(|(since, _)| *since + MAX_IN_UNSCHEDULABLE <= now)
            .map(|(_, id)| *id)
            .collect();
        stale.sort();
        for pod in stale {
            if let Some(p) = self.unpark(pod) {
                self.requeue(pod, p.priority, now);
            }
        }
        self.next_wakeup()
    }

    /// When `flush` next has work: a backoff expiry or the leftover flush tick after the
    /// oldest parked pod's 5 minutes.
    pub fn next_wakeup(&self) -> Option<Time> {
        let leftover = self.parked_since.first().map(|(since, _)| *since + MAX_IN_UNSCHEDULABLE).map(|t| {
            let period = LEFTOVER_FLUSH_PERIOD.as_nanos();
            Time(t.as_nanos().div_ceil(period) * period)
        });
        match (self.next_backoff_expiry(), leftover) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Forgets a pod (bound or deleted).
    pub fn remove(&mut self, pod: PodId) {
        self.take_slot(pod);
        self.unpark(pod);
        self.attempts.remove(&pod);
        self.nominated.remove(&pod);
    }

    /// Pods waiting for a node in any sub-queue.
    pub fn pending(&self) -> usize {
        self.active.len() + self.backoff.len() + self.unschedulable.len()
    }

    /// Pods that failed to schedule and wait (backoff or unschedulable).
    pub fn parked(&self) -> usize {
        self.backoff.len() + self.unschedulable.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_to_ten() {
        // Upstream: scheduling_queue_test.go (TestBackOffFlow): 1, 2, 4, 8, 10, 10 s.
        let got: Vec<u64> = (1..=6).map(|a| backoff_for(a).as_nanos() / 1_000_000_000).collect();
        assert_eq!(got, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn a_moved_pod_waits_out_its_backoff() {
        let mut q = SchedulingQueue::default();
        let p = PodId(1);
        q.add(p, 0);
        assert_eq!(q.pop(Time::from_secs(10)), Some(p));
        q.park(p, 0, "no", Time::from_secs(10));
        // A node joins half a second later: the pod is still backing off (1 s).
        let due = q.move_all_to_active_or_backoff(Time(10_500_000_000));
        assert_eq!(due, Some(Time::from_secs(11)));
        assert_eq!(q.pop(Time(10_500_000_000)), None);
        q.flush(Time::from_secs(11));
        assert_eq!(q.pop(Time::from_secs(11)), Some(p));
    }

    #[test]
    fn parked_pods_are_retried_after_five_minutes() {
        let mut q = SchedulingQueue::default();
        q.add(PodId(1), 0);
        q.pop(Time::from_secs(1));
        q.park(PodId(1), 0, "no", Time::from_secs(1));
        assert_eq!(q.next_wakeup(), Some(Time::from_secs(330)), "the first 30 s flush tick after 5 minutes");
        q.flush(Time::from_secs(330));
        assert_eq!(q.pop(Time::from_secs(330)), Some(PodId(1)));
    }

    #[test]
    fn higher_priority_pops_first() {
        let mut q = SchedulingQueue::default();
        q.add(PodId(1), 0);
        q.add(PodId(2), 100);
        assert_eq!(q.pop(Time::ZERO), Some(PodId(2)));
    }
}
