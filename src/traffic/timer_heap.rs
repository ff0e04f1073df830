//! A 4-ary min-heap of timed entries: the pending completions and deadlines of one
//! Service.
//!
//! Four children per node halve the depth of a binary heap, and a node's children share
//! a cache line or two, so a pop costs about `log4(n)` levels of four comparisons. Entries
//! move through a "hole" (no swaps). Entries with equal times pop in an order fixed by
//! the sequence of operations, so the heap is deterministic.

/// An entry: `time` orders the heap, the rest is payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timed {
    pub time: u64,
    pub aux: u64,
    pub slot: u32,
    pub tag: u32,
}

#[derive(Default)]
pub(crate) struct TimerHeap {
    v: Vec<Timed>,
}

const ARITY: usize = 4;

impl TimerHeap {
    pub fn new() -> Self {
        TimerHeap { v: Vec::new() }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Time of the earliest entry (`u64::MAX` when empty).
    #[inline]
    pub fn peek_time(&self) -> u64 {
        self.v.first().map_or(u64::MAX, |e| e.time)
    }

    #[inline]
    pub fn push(&mut self, e: Timed) {
        let mut i = self.v.len();
        self.v.push(e);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.v[parent].time <= e.time {
                break;
            }
            self.v[i] = self.v[parent];
            i = parent;
        }
        self.v[i] = e;
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Timed> {
        let last = self.v.pop()?;
        if self.v.is_empty() {
            return Some(last);
        }
        let top = self.v[0];
        self.sift_down_from_root(last);
        Some(top)
    }

    /// Puts `e` in the hole at the root and sifts it down.
    #[inline]
    fn sift_down_from_root(&mut self, e: Timed) {
        let n = self.v.len();
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let end = (first + ARITY).min(n);
            let mut best = first;
            let mut best_time = self.v[first].time;
            for c in first + 1..end {
                let t = self.v[c].time;
                if t < best_time {
                    best = c;
                    best_time = t;
                }
            }
            if e.time <= best_time {
                break;
            }
            self.v[i] = self.v[best];
            i = best;
        }
        self.v[i] = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn pops_in_time_order_under_mixed_operations() {
        let mut rng = RngStreams::new(1).stream("heap");
        let mut h = TimerHeap::new();
        let mut shadow = std::collections::BinaryHeap::new();
        for round in 0..20_000u64 {
            if rng.below(3) > 0 || shadow.is_empty() {
                let time = rng.below(1000);
                h.push(Timed { time, aux: round, slot: 0, tag: 0 });
                shadow.push(std::cmp::Reverse(time));
            } else {
                let want = shadow.pop().unwrap().0;
                assert_eq!(h.peek_time(), want);
                assert_eq!(h.pop().map(|e| e.time), Some(want));
            }
            assert_eq!(h.len(), shadow.len());
        }
        while let Some(std::cmp::Reverse(want)) = shadow.pop() {
            assert_eq!(h.pop().unwrap().time, want);
        }
        assert_eq!(h.pop(), None);
        assert_eq!(h.peek_time(), u64::MAX);
    }
}
