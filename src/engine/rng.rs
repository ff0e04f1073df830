//! Seeded random streams, one per named component.
//!
//! Each stream's key is SHA-256(seed, name), so adding a component (a new name) never
//! shifts the draws of another. Streams are ChaCha8: fast, portable, reproducible.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

/// Derives named streams from the scenario seed.
#[derive(Clone, Debug)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    pub fn new(seed: u64) -> Self {
        RngStreams { seed }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream for component `name` (e.g. `"scheduler"`, `"kubelet"`).
    pub fn stream(&self, name: &str) -> RandomStream {
        let mut hasher = Sha256::new();
        hasher.update(b"clustersim/v1\0");
        hasher.update(self.seed.to_le_bytes());
        hasher.update(name.as_bytes());
        let key: [u8; 32] = hasher.finalize().into();
        RandomStream { rng: ChaCha8Rng::from_seed(key) }
    }
}

/// One component's source of randomness. A clone continues the same sequence (for
/// copies that never draw, such as the Cluster Autoscaler's what-if schedulers).
#[derive(Clone)]
pub struct RandomStream {
    rng: ChaCha8Rng,
}

impl RandomStream {
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn next_f64_open0(&mut self) -> f64 {
        1.0 - self.next_f64()
    }

    /// Uniform integer in `0..n` without modulo bias (Lemire's method). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        let mut m = (self.next_u64() as u128) * (n as u128);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = (self.next_u64() as u128) * (n as u128);
            }
        }
        (m >> 64) as u64
    }

    /// A standard normal draw (Box–Muller; one value per call, for simplicity).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = self.next_f64_open0();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_name_give_the_same_stream() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut s = RngStreams::new(7).stream("scheduler");
                move |_| s.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut s = RngStreams::new(7).stream("scheduler");
                move |_| s.next_u64()
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn names_and_seeds_give_independent_streams() {
        let streams = RngStreams::new(7);
        assert_ne!(streams.stream("a").next_u64(), streams.stream("b").next_u64());
        assert_ne!(RngStreams::new(7).stream("a").next_u64(), RngStreams::new(8).stream("a").next_u64());
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut s = RngStreams::new(1).stream("t");
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = s.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&x| x));
    }
}
