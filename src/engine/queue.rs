//! The event queue: a min-heap keyed by `(time, seq)`.
//!
//! `seq` is a monotonic counter taken when an event is scheduled, so events at the same
//! virtual instant fire in the order they were scheduled (FIFO). That order is part of the
//! determinism contract: it never depends on the payload, on addresses or on hashing.
//! The key lives beside the payload in one heap entry; the heap type is private so a
//! calendar queue or timer wheel can replace it behind the same API.

use super::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: Time,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest `(time, seq)`.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events ordered by `(time, seq)`; owns the virtual clock.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: Time,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0, now: Time::ZERO }
    }

    /// The current virtual time: the time of the last event popped.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Schedules `event` at `time`. A time in the past is clamped to now, so the clock
    /// can never go backwards.
    pub fn schedule(&mut self, time: Time, event: E) {
        let seq = self.next_seq;
        // 2^64 schedules would take centuries at a billion events per second.
        self.next_seq = seq.checked_add(1).expect("event sequence wrapped");
        self.heap.push(Entry { time: time.max(self.now), seq, event });
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes the earliest event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let entry = self.heap.pop()?;
        debug_assert!(entry.time >= self.now, "virtual time went backwards");
        self.now = entry.time;
        Some((entry.time, entry.event))
    }

    /// Pops the earliest event only if it is due at or before `horizon`.
    pub fn pop_until(&mut self, horizon: Time) -> Option<(Time, E)> {
        match self.peek_time() {
            Some(t) if t <= horizon => self.pop(),
            _ => None,
        }
    }

    /// Moves the clock forward to `time` without an event (end of run).
    pub fn advance_to(&mut self, time: Time) {
        self.now = self.now.max(time);
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn simultaneous_events_fire_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(Time(10), "b");
        q.schedule(Time(5), "a");
        q.schedule(Time(10), "c");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    #[test]
    fn past_times_are_clamped_to_now() {
        let mut q = EventQueue::new();
        q.schedule(Time(10), 1);
        q.pop();
        q.schedule(Time(3), 2);
        assert_eq!(q.pop(), Some((Time(10), 2)));
    }

    proptest! {
        /// The heap pops exactly what a trivially correct shadow (a BTreeMap keyed by
        /// `(time, seq)`) pops, including interleaved schedules after pops.
        #[test]
        fn matches_a_btreemap_shadow(ops in proptest::collection::vec((0u64..50, any::<bool>()), 1..300)) {
            let mut q = EventQueue::new();
            let mut shadow = BTreeMap::new();
            let mut seq = 0u64;
            for (offset, pop) in ops {
                if pop {
                    let got = q.pop();
                    let want = shadow.pop_first().map(|((t, _), v): ((u64, u64), u64)| (Time(t), v));
                    prop_assert_eq!(got, want);
                } else {
                    let t = q.now().0 + offset;
                    q.schedule(Time(t), seq);
                    shadow.insert((t, seq), seq);
                    seq += 1;
                }
            }
        }
    }
}
