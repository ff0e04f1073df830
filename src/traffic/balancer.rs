//! Per-Service load balancing: which endpoint gets the next request.
//!
//! The balancer works over the current endpoint list (indices `0..n`, in the order the
//! control plane lists them). The load-aware policies read each endpoint's requests in
//! flight as a client-side proxy sees them (sent, and neither answered nor given up),
//! which the caller keeps current with [`Balancer::set_load`]. Policies, after kube-proxy
//! (K8S-REFERENCE.md section 6) and common proxies:
//!
//! - `roundRobin`: IPVS `rr`, kube-proxy's default IPVS scheduler: endpoints in turn.
//! - `random`: iptables and nftables mode: each request independently uniform over the
//!   `n` endpoints (iptables' cascade of `1/(n-i)` rules and nftables' `numgen random
//!   mod n` both give exactly `1/n`).
//! - `leastRequest`: an endpoint with the fewest requests in flight over all of them;
//!   ties are broken uniformly at random (so an idle Service spreads its requests instead
//!   of piling them on endpoint 0). O(1) per request: endpoints are kept in buckets by
//!   load with the minimum tracked; loads of [`MAX_LEVEL`] and more share one bucket.
//! - `powerOfTwo`: two distinct endpoints drawn uniformly at random, the one with fewer in
//!   flight wins, the first draw on a tie (Envoy's two-choice least-request).

use crate::engine::RandomStream;

/// Loads at or above this are not told apart by `leastRequest` (every endpoint that
/// loaded is drowning anyway); it bounds the bucket array.
pub const MAX_LEVEL: u32 = 1023;

/// A Service's load-balancing policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LoadBalancing {
    RoundRobin,
    Random,
    LeastRequest,
    PowerOfTwo,
}

impl LoadBalancing {
    pub const ALL: [LoadBalancing; 4] =
        [LoadBalancing::RoundRobin, LoadBalancing::Random, LoadBalancing::LeastRequest, LoadBalancing::PowerOfTwo];

    /// The scenario spelling: `roundRobin`, `random`, `leastRequest`, `powerOfTwo`.
    pub fn name(self) -> &'static str {
        match self {
            LoadBalancing::RoundRobin => "roundRobin",
            LoadBalancing::Random => "random",
            LoadBalancing::LeastRequest => "leastRequest",
            LoadBalancing::PowerOfTwo => "powerOfTwo",
        }
    }

    /// Parses the scenario spelling.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the policy reads endpoints' in-flight counts.
    pub fn is_load_aware(self) -> bool {
        matches!(self, LoadBalancing::LeastRequest | LoadBalancing::PowerOfTwo)
    }
}

/// A policy with its state: endpoint count, loads, round-robin cursor, random stream.
pub struct Balancer {
    policy: LoadBalancing,
    n: usize,
    cursor: usize,
    rng: RandomStream,
    /// In flight per endpoint (load-aware policies only).
    loads: Vec<u32>,
    /// `leastRequest` only: endpoints by load level, each endpoint's place in its level,
    /// and the lowest non-empty level.
    levels: Vec<Vec<u32>>,
    place: Vec<u32>,
    min_level: usize,
}

impl Balancer {
    /// `rng` should be the Service's own stream (`traffic/<service>/balancer`).
    pub fn new(policy: LoadBalancing, rng: RandomStream) -> Self {
        Balancer {
            policy,
            n: 0,
            cursor: 0,
            rng,
            loads: Vec::new(),
            levels: Vec::new(),
            place: Vec::new(),
            min_level: 0,
        }
    }

    pub fn policy(&self) -> LoadBalancing {
        self.policy
    }

    /// Endpoints in the list.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// A new endpoint list: `loads[i]` is endpoint `i`'s requests in flight. The
    /// round-robin cursor carries over (modulo the new length).
    pub fn reset(&mut self, loads: &[u32]) {
        self.n = loads.len();
        self.loads.clear();
        if !self.policy.is_load_aware() {
            return;
        }
        self.loads.extend_from_slice(loads);
        if self.policy == LoadBalancing::LeastRequest {
            for level in &mut self.levels {
                level.clear();
            }
            self.place.clear();
            self.min_level = usize::MAX;
            for (i, &load) in loads.iter().enumerate() {
                let l = Self::level(load);
                if self.levels.len() <= l {
                    self.levels.resize_with(l + 1, Vec::new);
                }
                self.place.push(self.levels[l].len() as u32);
                self.levels[l].push(i as u32);
                self.min_level = self.min_level.min(l);
            }
        }
    }

    #[inline]
    fn level(load: u32) -> usize {
        load.min(MAX_LEVEL) as usize
    }

    /// Endpoint `i` now has `load` requests in flight.
    #[inline]
    pub fn set_load(&mut self, i: usize, load: u32) {
        if !self.policy.is_load_aware() {
            return;
        }
        let old = std::mem::replace(&mut self.loads[i], load);
        if self.policy != LoadBalancing::LeastRequest {
            return;
        }
        let (from, to) = (Self::level(old), Self::level(load));
        if from == to {
            return;
        }
        // Out of the old level (swap-remove, fixing the moved endpoint's place)...
        let at = self.place[i] as usize;
        let level = &mut self.levels[from];
        level.swap_remove(at);
        if let Some(&moved) = level.get(at) {
            self.place[moved as usize] = at as u32;
        }
        // ...into the new one.
        if self.levels.len() <= to {
            self.levels.resize_with(to + 1, Vec::new);
        }
        self.place[i] = self.levels[to].len() as u32;
        self.levels[to].push(i as u32);
        if to < self.min_level {
            self.min_level = to;
        } else {
            while self.levels[self.min_level].is_empty() {
                self.min_level += 1;
            }
        }
    }

    /// Endpoint `i`'s requests in flight as last set (load-aware policies only).
    pub fn load(&self, i: usize) -> u32 {
        self.loads[i]
    }

    /// Picks an endpoint; the list must not be empty.
    #[inline]
    pub fn pick(&mut self) -> usize {
        let n = self.n;
        debug_assert!(n > 0, "pick from no endpoints");
        match self.policy {
            LoadBalancing::RoundRobin => {
                if self.cursor >= n {
                    self.cursor = 0;
                }
                let i = self.cursor;
                self.cursor += 1;
                i
            }
            LoadBalancing::Random => self.rng.below(n as u64) as usize,
            LoadBalancing::PowerOfTwo => {
                if n == 1 {
                    return 0;
                }
                let a = self.rng.below(n as u64) as usize;
                let mut b = self.rng.below(n as u64 - 1) as usize;
                if b >= a {
                    b += 1;
                }
                if self.loads[b] < self.loads[a] {
                    b
                } else {
                    a
                }
            }
            LoadBalancing::LeastRequest => {
                let level = &self.levels[self.min_level];
                if level.len() == 1 {
                    level[0] as usize
                } else {
                    level[self.rng.below(level.len() as u64) as usize] as usize
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn balancer(policy: LoadBalancing, loads: &[u32]) -> Balancer {
        let mut b = Balancer::new(policy, RngStreams::new(3).stream("balancer"));
        b.reset(loads);
        b
    }

    #[test]
    fn names_round_trip() {
        for p in LoadBalancing::ALL {
            assert_eq!(LoadBalancing::from_name(p.name()), Some(p));
        }
        assert_eq!(LoadBalancing::from_name("leastConn"), None);
    }

    #[test]
    fn round_robin_takes_turns_and_survives_a_shrinking_list() {
        let mut b = balancer(LoadBalancing::RoundRobin, &[0; 3]);
        let picks: Vec<usize> = (0..7).map(|_| b.pick()).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
        b.reset(&[0]);
        assert_eq!(b.pick(), 0);
        b.reset(&[0, 0]);
        assert_eq!(b.pick(), 1);
    }

    #[test]
    fn random_is_uniform() {
        let mut b = balancer(LoadBalancing::Random, &[0; 5]);
        let mut hits = [0u32; 5];
        for _ in 0..100_000 {
            hits[b.pick()] += 1;
        }
        for h in hits {
            assert!((h as f64 - 20_000.0).abs() < 4.5 * (20_000.0f64 * 0.8).sqrt(), "{hits:?}");
        }
    }

    #[test]
    fn least_request_takes_a_minimum_and_breaks_ties_at_random() {
        let mut b = balancer(LoadBalancing::LeastRequest, &[3, 1, 2, 1]);
        let mut hits = [0u32; 4];
        for _ in 0..10_000 {
            hits[b.pick()] += 1;
        }
        assert_eq!((hits[0], hits[2]), (0, 0));
        assert!(hits[1] > 4700 && hits[3] > 4700, "{hits:?}");
        // Loads move; the minimum follows.
        b.set_load(1, 2);
        b.set_load(3, 5);
        let p = b.pick();
        assert!(p == 1 || p == 2, "endpoints 1 and 2 tie at 2: {p}");
        b.set_load(0, 0);
        assert_eq!(b.pick(), 0);
        b.set_load(0, 9);
        b.set_load(1, 9);
        b.set_load(2, 9);
        assert_eq!(b.pick(), 3);
        b.set_load(3, 5000);
        assert!(b.pick() < 3, "loads above MAX_LEVEL rank last");
    }

    #[test]
    fn least_request_matches_a_full_scan_under_random_updates() {
        let mut rng = RngStreams::new(4).stream("updates");
        let mut loads = vec![0u32; 9];
        let mut b = balancer(LoadBalancing::LeastRequest, &loads);
        for _ in 0..20_000 {
            let i = rng.below(9) as usize;
            loads[i] = rng.below(12) as u32;
            b.set_load(i, loads[i]);
            let min = *loads.iter().min().unwrap();
            assert_eq!(loads[b.pick()], min);
        }
        b.reset(&[4, 2, 7]);
        assert_eq!(b.pick(), 1);
    }

    #[test]
    fn power_of_two_draws_two_distinct_and_keeps_the_lighter() {
        let mut b = balancer(LoadBalancing::PowerOfTwo, &[5, 1, 1, 9]);
        let mut hits = [0u32; 4];
        for _ in 0..30_000 {
            hits[b.pick()] += 1;
        }
        // The heaviest endpoint never wins; endpoint 0 wins only against 3: P = 2/12.
        assert_eq!(hits[3], 0);
        assert!((hits[0] as f64 / 30_000.0 - 1.0 / 6.0).abs() < 0.01, "{hits:?}");
        b.reset(&[7]);
        assert_eq!(b.pick(), 0);
    }
}
