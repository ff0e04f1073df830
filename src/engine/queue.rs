//! The event queue: pending events ordered by `(time, seq)`.
//!
//! `seq` is a monotonic counter taken when an event is scheduled, so events at the same
//! virtual instant fire in the order they were scheduled (FIFO). That order is part of the
//! determinism contract: it never depends on the payload, on addresses or on hashing.
//!
//! The structure is a radix heap over the 128-bit key `time << 64 | seq`. It relies on the
//! clock being monotone (nothing is scheduled before the last popped key, which the clamp
//! to "now" guarantees): bucket `i` holds keys whose highest bit differing from the last
//! popped key is bit `i - 1`, so a pop only ever redistributes one bucket into lower ones.
//! Each event moves down a few buckets in its life instead of paying `log n` cache misses
//! per operation as a binary heap does with a million pending timers.

use super::Time;

const BUCKETS: usize = 129;

/// Pending events ordered by `(time, seq)`; owns the virtual clock.
pub struct EventQueue<E> {
    buckets: Vec<Vec<(u128, E)>>,
    /// Bit `i` set when bucket `i` is non-empty (finds the next bucket in O(1)).
    occupied: [u64; 3],
    /// An empty vector swapped with the bucket being redistributed, so no bucket loses
    /// its allocation.
    spare: Vec<(u128, E)>,
    /// The last key popped: every pending key is >= it.
    last: u128,
    len: usize,
    next_seq: u64,
    now: Time,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

fn key(time: Time, seq: u64) -> u128 {
    (u128::from(time.0) << 64) | u128::from(seq)
}

/// The bucket of `key` relative to `last`: the bit length of their difference.
fn bucket(key: u128, last: u128) -> usize {
    (128 - (key ^ last).leading_zeros()) as usize
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: [0; 3],
            spare: Vec::new(),
            last: 0,
            len: 0,
            next_seq: 0,
            now: Time::ZERO,
        }
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
        let k = key(time.max(self.now), seq);
        debug_assert!(k > self.last || self.len == 0 && self.last == 0);
        self.push(k, event);
        self.len += 1;
    }

    fn push(&mut self, k: u128, event: E) {
        let b = bucket(k, self.last);
        self.buckets[b].push((k, event));
        self.occupied[b / 64] |= 1 << (b % 64);
    }

    /// The lowest non-empty bucket above 0.
    fn first_occupied_above_zero(&self) -> Option<usize> {
        let words = [self.occupied[0] & !1, self.occupied[1], self.occupied[2]];
        words.iter().enumerate().find(|(_, w)| **w != 0).map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }

    /// Makes bucket 0 hold the smallest pending key (if any), redistributing the first
    /// non-empty bucket around its minimum.
    fn settle(&mut self) -> bool {
        if self.len == 0 {
            return false;
        }
        if self.buckets[0].is_empty() {
            let i = self.first_occupied_above_zero().expect("len > 0");
            let mut moved = std::mem::take(&mut self.spare);
            std::mem::swap(&mut moved, &mut self.buckets[i]);
            self.occupied[i / 64] &= !(1 << (i % 64));
            self.last = moved.iter().map(|(k, _)| *k).min().expect("non-empty");
            for (k, e) in moved.drain(..) {
                self.push(k, e);
            }
            self.spare = moved;
        }
        true
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&mut self) -> Option<Time> {
        self.settle().then(|| Time((self.buckets[0][0].0 >> 64) as u64))
    }

    /// Removes the earliest event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(Time, E)> {
        if !self.settle() {
            return None;
        }
        // Keys are unique (seq), so bucket 0 holds exactly the one equal to `last`.
        let (k, event) = self.buckets[0].pop().expect("settled");
        if self.buckets[0].is_empty() {
            self.occupied[0] &= !1;
        }
        self.len -= 1;
        let time = Time((k >> 64) as u64);
        debug_assert!(time >= self.now, "virtual time went backwards");
        self.now = time;
        Some((time, event))
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
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
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
