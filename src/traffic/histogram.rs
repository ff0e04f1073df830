//! A log-linear (HDR-style) histogram of durations in nanoseconds.
//!
//! Values below 256 ns have a bucket each; above, every power of two `[2^e, 2^(e+1))` is
//! split into 128 equal buckets, so a bucket is at most 1/128 of its values wide. Reported
//! percentiles are bucket midpoints (clamped to the exact min and max), so the relative
//! error is at most 1/256 ≈ 0.4 %. The whole `u64` range fits in 7,424 counters (58 KiB),
//! fixed at creation; recording is a leading-zero count, a shift and an increment.
//! Count, sum (so the mean), min and max are exact.

use crate::engine::Duration;

/// log2 of the buckets per power of two.
const SUB_BITS: u32 = 7;
const SUB: usize = 1 << SUB_BITS;
/// Values below this get one bucket each.
const LINEAR: u64 = 2 * SUB as u64;
const BUCKETS: usize = LINEAR as usize + (64 - (SUB_BITS as usize + 1)) * SUB;

/// A fixed-size histogram of nanosecond durations.
#[derive(Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram").field("count", &self.count).field("min", &self.min).field("max", &self.max).finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn index(v: u64) -> usize {
    if v < LINEAR {
        v as usize
    } else {
        let e = 63 - v.leading_zeros(); // >= SUB_BITS + 1
        let sub = (v >> (e - SUB_BITS)) as usize & (SUB - 1);
        LINEAR as usize + (e - SUB_BITS - 1) as usize * SUB + sub
    }
}

/// The lowest value and the width of bucket `i`.
fn bucket(i: usize) -> (u64, u64) {
    if i < LINEAR as usize {
        (i as u64, 1)
    } else {
        let k = i - LINEAR as usize;
        let e = (k / SUB) as u32 + SUB_BITS + 1;
        let sub = (k % SUB) as u64;
        let width = 1u64 << (e - SUB_BITS);
        ((1u64 << e) + sub * width, width)
    }
}

impl Histogram {
    pub fn new() -> Self {
        Histogram { counts: vec![0; BUCKETS].into_boxed_slice(), count: 0, sum: 0, min: u64::MAX, max: 0 }
    }

    /// Records one value in nanoseconds.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.counts[index(ns)] += 1;
        self.count += 1;
        self.sum += ns as u128;
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean, or `None` when empty.
    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration((self.sum / self.count as u128) as u64))
    }

    /// Exact mean in nanoseconds as a float, or `None` when empty.
    pub fn mean_nanos_f64(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    pub fn min(&self) -> Option<Duration> {
        (self.count > 0).then_some(Duration(self.min))
    }

    pub fn max(&self) -> Option<Duration> {
        (self.count > 0).then_some(Duration(self.max))
    }

    /// The smallest recorded value `v` (to within 0.4 %) such that at least `percentile`
    /// percent of the values are `<= v`; `None` when empty. `percentile` is clamped to
    /// `[0, 100]`; 0 gives the minimum and 100 the maximum.
    pub fn value_at_percentile(&self, percentile: f64) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let p = percentile.clamp(0.0, 100.0);
        let rank = ((p / 100.0 * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == 1 {
            return Some(Duration(self.min));
        }
        if rank == self.count {
            return Some(Duration(self.max));
        }
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, width) = bucket(i);
                let mid = lo + (width - 1) / 2;
                return Some(Duration(mid.clamp(self.min, self.max)));
            }
        }
        unreachable!("rank <= count")
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Empties the histogram (for the next window), keeping its memory.
    pub fn reset(&mut self) {
        if self.count > 0 {
            self.counts.fill(0);
        }
        self.count = 0;
        self.sum = 0;
        self.min = u64::MAX;
        self.max = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn buckets_tile_the_whole_range() {
        assert_eq!(BUCKETS, 7424);
        let mut next = 0u64;
        for i in 0..BUCKETS {
            let (lo, width) = bucket(i);
            assert_eq!(lo, next, "bucket {i}");
            assert_eq!(index(lo), i);
            assert_eq!(index(lo + (width - 1)), i);
            next = lo.wrapping_add(width);
        }
        assert_eq!(next, 0, "the last bucket ends at u64::MAX");
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn bucket_width_is_at_most_one_128th_of_the_value() {
        for i in LINEAR as usize..BUCKETS {
            let (lo, width) = bucket(i);
            assert!(width as f64 / lo as f64 <= 1.0 / 128.0 + 1e-12);
        }
    }

    #[test]
    fn percentiles_are_within_half_a_percent_of_exact() {
        let mut rng = RngStreams::new(5).stream("h");
        let mut h = Histogram::new();
        let mut v: Vec<u64> = (0..100_000).map(|_| (-(rng.next_f64_open0().ln()) * 2e7) as u64 + 1).collect();
        for &x in &v {
            h.record(x);
        }
        v.sort_unstable();
        for p in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9] {
            let exact = v[((p / 100.0 * v.len() as f64).ceil() as usize).max(1) - 1] as f64;
            let got = h.value_at_percentile(p).unwrap().0 as f64;
            assert!((got / exact - 1.0).abs() <= 1.0 / 256.0, "p{p}: {got} vs {exact}");
        }
        assert_eq!(h.value_at_percentile(0.0), h.min());
        assert_eq!(h.value_at_percentile(100.0).unwrap().0, v[v.len() - 1]);
        let exact_mean = v.iter().map(|&x| x as u128).sum::<u128>() / v.len() as u128;
        assert_eq!(h.mean().unwrap().0 as u128, exact_mean);
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in [3, 3, 7, 200] {
            h.record(v);
        }
        assert_eq!(h.value_at_percentile(50.0), Some(Duration(3)));
        assert_eq!(h.value_at_percentile(75.0), Some(Duration(7)));
        assert_eq!(h.value_at_percentile(99.0), Some(Duration(200)));
        assert_eq!(h.count(), 4);
    }

    #[test]
    fn merge_equals_recording_everything_and_reset_empties() {
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for v in 0..5000u64 {
            let x = v * v * 37 + 11;
            if v % 3 == 0 { &mut a } else { &mut b }.record(x);
            all.record(x);
        }
        a.merge(&b);
        assert_eq!(a, all);
        a.reset();
        assert_eq!(a, Histogram::new());
        assert_eq!(a.value_at_percentile(50.0), None);
        assert_eq!(a.mean(), None);
    }
}
