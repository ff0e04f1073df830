//! NodeResourcesFit: the fit filter for cpu, memory, pod count and scalar resources
//! (ephemeral-storage, hugepages, extended resources such as GPUs), and its scoring
//! strategies. Upstream: pkg/scheduler/framework/plugins/noderesources/fit.go,
//! least_allocated.go, most_allocated.go, requested_to_capacity_ratio.go.

use super::super::framework::{Ctx, Failure, Plugin, Reason, FIT_REASONS, MAX_NODE_SCORE};
use crate::model::{Node, Pod, Scalars};

/// A point of RequestedToCapacityRatio's shape: utilization 0..100 -> score 0..10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapePoint {
    pub utilization: i64,
    pub score: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoringStrategy {
    /// Prefer the emptiest node (upstream default).
    LeastAllocated,
    /// Prefer the fullest node (bin packing).
    MostAllocated,
    /// A user-given broken line from utilization to score.
    RequestedToCapacityRatio(Vec<ShapePoint>),
}

pub struct NodeResourcesFit {
    strategy: ScoringStrategy,
    /// (cpu weight, memory weight), each 1..=100; 0 leaves the resource out.
    weights: (i64, i64),
    /// Division by the sum of both weights, the divisor of almost every node's average.
    by_weight_sum: SmallDivisor,
}

/// Exact `n / d` for `0 <= n < 2^20` and `1 <= d < 2^8` by a multiplication: with
/// `m = ceil(2^40 / d)` and `e = m*d - 2^40 < d`, `n*m / 2^40 = n/d + n*e/(d*2^40)`, and the
/// excess `n*e/(d*2^40) < 2^28/(d*2^40)` is below `1/d`, the smallest step by which
/// `n/d` can fall short of the next integer, so the floor is unchanged.
#[derive(Clone, Copy, Debug)]
struct SmallDivisor {
    d: i64,
    m: u64,
}

impl SmallDivisor {
    fn new(d: i64) -> Self {
        SmallDivisor { d, m: if d > 0 { (1u64 << 40).div_ceil(d as u64) } else { 0 } }
    }

    /// `n / divisor`, where `divisor` is this one's `d` or any other positive number.
    fn divide(self, n: i64, divisor: i64) -> i64 {
        if divisor == self.d && (0..1 << 20).contains(&n) && divisor < 1 << 8 {
            ((n as u64 * self.m) >> 40) as i64
        } else {
            n / divisor
        }
    }
}

impl NodeResourcesFit {
    pub fn new(strategy: ScoringStrategy) -> Self {
        Self::with_weights(strategy, 1, 1)
    }

    pub fn with_weights(strategy: ScoringStrategy, cpu: i64, memory: i64) -> Self {
        NodeResourcesFit { strategy, weights: (cpu, memory), by_weight_sum: SmallDivisor::new(cpu + memory) }
    }

    /// Fit failures in upstream order (pods, cpu, memory, then the scalar resources:
    /// ephemeral-storage, hugepages, extended resources); equality fits. `used` is what the
    /// node's pods request (plus any reserved by nominated pods), `used_scalars` the same
    /// for scalar resources (`None`: the node's own sums).
    #[inline]
    pub fn fits(
        pod: &Pod,
        node: &Node,
        used: crate::model::Resources,
        used_scalars: Option<&Scalars>,
        pods_on_node: usize,
    ) -> Option<Failure> {
        if pod.scalar_requests.is_some() {
            return Self::fits_with_scalars(pod, node, used, used_scalars, pods_on_node);
        }
        let (mask, unresolvable) = Self::shortage(pod, node, used, pods_on_node);
        (mask != 0).then_some(Failure { reason: Reason::Insufficient(mask), unresolvable })
    }

    /// [`NodeResourcesFit::fits`] against the node's own pods.
    #[inline]
    pub fn fits_node(pod: &Pod, node: &Node) -> Option<Failure> {
        Self::fits(pod, node, node.requested, None, node.requested.pods as usize)
    }

    /// Pods, cpu and memory: the shortage bits and whether one could never fit.
    #[inline(always)]
    fn shortage(pod: &Pod, node: &Node, used: crate::model::Resources, pods_on_node: usize) -> (u32, bool) {
        let mut mask = 0u32;
        let mut unresolvable = false;
        if pods_on_node as i64 + 1 > node.allocatable.pods {
            mask |= 1;
        }
        let req = pod.requests;
        // Upstream stops here when the pod requests nothing; each check below also skips a
        // zero request, so scalar resources are checked on their own.
        if req.cpu_millis != 0 || req.memory_bytes != 0 {
            let free = node.allocatable - used;
            if req.cpu_millis > 0 && req.cpu_millis > free.cpu_millis {
                mask |= 2;
                unresolvable |= req.cpu_millis > node.allocatable.cpu_millis;
            }
            if req.memory_bytes > 0 && req.memory_bytes > free.memory_bytes {
                mask |= 4;
                unresolvable |= req.memory_bytes > node.allocatable.memory_bytes;
            }
        }
        (mask, unresolvable)
    }

    /// [`NodeResourcesFit::fits`] for a pod with scalar requests, out of line: most pods
    /// have none, and the filter's hot path then never reads the node's scalar resources.
    #[inline(never)]
    fn fits_with_scalars(
        pod: &Pod,
        node: &Node,
        used: crate::model::Resources,
        used_scalars: Option<&Scalars>,
        pods_on_node: usize,
    ) -> Option<Failure> {
        let (mut mask, mut unresolvable) = Self::shortage(pod, node, used, pods_on_node);
        if let Some(requested) = pod.scalar_requests.as_deref() {
            let used = used_scalars.copied().unwrap_or_else(|| node.scalar_requested());
            let (shortage, never) = scalar_shortage(requested, &node.scalar_allocatable(), &used);
            mask |= shortage << FIT_REASONS.len();
            unresolvable |= never;
        }
        (mask != 0).then_some(Failure { reason: Reason::Insufficient(mask), unresolvable })
    }

    fn resource_score(&self, req: i64, alloc: i64) -> i64 {
        match &self.strategy {
            ScoringStrategy::LeastAllocated if req > alloc => 0,
            ScoringStrategy::LeastAllocated => div((alloc - req) * MAX_NODE_SCORE, alloc),
            ScoringStrategy::MostAllocated => div(req.min(alloc) * MAX_NODE_SCORE, alloc),
            ScoringStrategy::RequestedToCapacityRatio(shape) => {
                let p = if req > alloc { 100 } else { req * 100 / alloc };
                broken_line(shape, p)
            }
        }
    }
}

/// The scalar resources `requested` that do not fit `allocatable - used` (a bit per slot),
/// and whether one could never fit (more than the node's allocatable, 0 where the node does
/// not have the resource). Zero requests are skipped.
/// Upstream: pkg/scheduler/framework/plugins/noderesources/fit.go (fitsRequest: EphemeralStorage, ScalarResources).
pub fn scalar_shortage(requested: &Scalars, allocatable: &Scalars, used: &Scalars) -> (u32, bool) {
    let (mut mask, mut never) = (0u32, false);
    for (slot, &req) in requested.0.iter().enumerate() {
        if req > 0 && req > allocatable.0[slot] - used.0[slot] {
            mask |= 1 << slot;
            never |= req > allocatable.0[slot];
        }
    }
    (mask, never)
}

/// `a / b` for `0 <= a`, `0 < b` (truncating, as Go's integer division); unsigned
/// division is the cheaper instruction on the scoring hot path (a float division, exact
/// below 2^46, measured slower here).
fn div(a: i64, b: i64) -> i64 {
    debug_assert!(a >= 0 && b > 0);
    (a as u64 / b as u64) as i64
}

/// RequestedToCapacityRatio's function, scores scaled by 10 (MaxNodeScore/MaxCustomPriorityScore).
/// Upstream: pkg/scheduler/framework/plugins/helper/shape_score.go (BuildBrokenLinearFunction).
fn broken_line(shape: &[ShapePoint], p: i64) -> i64 {
    let scaled = |s: i64| s * (MAX_NODE_SCORE / 10);
    for (i, pt) in shape.iter().enumerate() {
        if p <= pt.utilization {
            if i == 0 {
                return scaled(pt.score);
            }
            let prev = shape[i - 1];
            return scaled(prev.score)
                + (scaled(pt.score) - scaled(prev.score)) * (p - prev.utilization)
                    / (pt.utilization - prev.utilization);
        }
    }
    shape.last().map_or(0, |pt| scaled(pt.score))
}

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn filter(&self, ctx: &Ctx, node: &Node) -> Option<Failure> {
        Self::fits_node(ctx.pod, node)
    }

    fn score(&self, ctx: &Ctx, node: &Node) -> i64 {
        let requested = node.nonzero_requested + ctx.pod.nonzero_requests;
        let pairs = [
            (requested.cpu_millis, node.allocatable.cpu_millis, self.weights.0),
            (requested.memory_bytes, node.allocatable.memory_bytes, self.weights.1),
        ];
        let (mut total, mut weights) = (0i64, 0i64);
        let ratio = matches!(self.strategy, ScoringStrategy::RequestedToCapacityRatio(_));
        for (req, alloc, w) in pairs {
            if alloc == 0 || w == 0 {
                continue;
            }
            let s = self.resource_score(req, alloc);
            // RequestedToCapacityRatio leaves resources that score 0 out of the average.
            if ratio && s == 0 {
                continue;
            }
            total += s * w;
            weights += w;
        }
        match weights {
            0 => 0,
            // RequestedToCapacityRatio rounds (math.Round); the others truncate.
            _ if ratio => (total as f64 / weights as f64).round() as i64,
            _ => self.by_weight_sum.divide(total, weights),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{node, pod};
    use crate::model::{Resources, Store};

    fn score(plugin: &NodeResourcesFit, p: &Pod, n: &Node) -> i64 {
        let store = Store::default();
        let topology = Default::default();
        plugin.score(&Ctx { store: &store, pod: p, topology: &topology }, n)
    }

    #[test]
    fn least_allocated_matches_upstream_table() {
        // least_allocated_test.go: "nothing scheduled, resources requested, differently sized nodes".
        let p = pod(&[(1000, 2000), (2000, 3000)]);
        let plugin = NodeResourcesFit::new(ScoringStrategy::LeastAllocated);
        assert_eq!(score(&plugin, &p, &node(4000, 10000, Resources::default())), 37);
        assert_eq!(score(&plugin, &p, &node(6000, 10000, Resources::default())), 50);
        assert_eq!(score(&plugin, &p, &node(10000, 20000, Resources::new(3000, 0, 0))), 57);
    }

    #[test]
    fn most_allocated_matches_upstream_table() {
        // most_allocated_test.go: "nothing scheduled, resources requested, differently sized nodes".
        let p = pod(&[(1000, 2000), (2000, 3000)]);
        let plugin = NodeResourcesFit::new(ScoringStrategy::MostAllocated);
        assert_eq!(score(&plugin, &p, &node(4000, 10000, Resources::default())), 62);
        assert_eq!(score(&plugin, &p, &node(6000, 10000, Resources::default())), 50);
        assert_eq!(
            score(&plugin, &p, &node(1000, 1000, Resources::default())),
            100,
            "over-committed scores 100, not 0"
        );
    }

    #[test]
    fn requested_to_capacity_ratio_matches_upstream_table() {
        // requested_to_capacity_ratio_test.go: shape {0:10, 100:0} ("nothing scheduled, nothing requested")
        // and {0:0,100:10} on differently sized nodes.
        let least = vec![ShapePoint { utilization: 0, score: 10 }, ShapePoint { utilization: 100, score: 0 }];
        let most = vec![ShapePoint { utilization: 0, score: 0 }, ShapePoint { utilization: 100, score: 10 }];
        let p = pod(&[(3000, 5000)]);
        let plugin = NodeResourcesFit::new(ScoringStrategy::RequestedToCapacityRatio(least));
        // cpu 3000/4000 = 75% -> 25, memory 5000/10000 = 50% -> 50; round(37.5) = 38.
        assert_eq!(score(&plugin, &p, &node(4000, 10000, Resources::default())), 38);
        let plugin = NodeResourcesFit::new(ScoringStrategy::RequestedToCapacityRatio(most));
        assert_eq!(score(&plugin, &p, &node(4000, 10000, Resources::default())), 63);
        assert_eq!(
            broken_line(&[ShapePoint { utilization: 10, score: 2 }, ShapePoint { utilization: 50, score: 8 }], 30),
            50
        );
        assert_eq!(
            broken_line(&[ShapePoint { utilization: 10, score: 2 }, ShapePoint { utilization: 50, score: 8 }], 5),
            20
        );
        assert_eq!(
            broken_line(&[ShapePoint { utilization: 10, score: 2 }, ShapePoint { utilization: 50, score: 8 }], 90),
            80
        );
    }

    #[test]
    fn small_divisor_is_exact_over_its_whole_range() {
        for d in 1..256 {
            let div = SmallDivisor::new(d);
            for n in (0..1 << 20).step_by(7).chain([(1 << 20) - 1, d * 100, d * 100 - 1]) {
                assert_eq!(div.divide(n, d), n / d, "{n} / {d}");
            }
            assert_eq!(div.divide(1000, d + 1), 1000 / (d + 1), "another divisor falls back");
        }
    }

    #[test]
    fn filter_reports_every_shortage_and_equality_fits() {
        let n = node(1000, 100, Resources::new(600, 1, 1));
        let f = NodeResourcesFit::fits(&pod(&[(500, 100)]), &n, n.requested, None, 0).unwrap();
        assert_eq!(f, Failure { reason: Reason::Insufficient(0b110), unresolvable: false });
        assert!(NodeResourcesFit::fits(&pod(&[(400, 99)]), &n, n.requested, None, 0).is_none());
        let f = NodeResourcesFit::fits(&pod(&[(2000, 1)]), &n, n.requested, None, 0).unwrap();
        assert!(f.unresolvable, "more than the node's allocatable can never fit");
        let mut full = node(1000, 100, Resources::default());
        full.allocatable.pods = 0;
        assert_eq!(
            NodeResourcesFit::fits(&pod(&[(0, 0)]), &full, full.requested, None, 0).unwrap().reason,
            Reason::Insufficient(1)
        );
    }

    #[test]
    fn scalar_resources_fit_as_upstreams_fits_request() {
        // fit_test.go "extended resource allocatable enforced" and "...not on node": a
        // GPU pod fits a node with a free GPU, not one whose GPUs are taken, never one without.
        let mut p = pod(&[(100, 100)]);
        let mut gpu = Scalars::default();
        gpu.0[1] = 1;
        p.scalar_requests = gpu.boxed();
        let mut n = node(1000, 1000, Resources::default());
        assert_eq!(
            NodeResourcesFit::fits_node(&p, &n),
            Some(Failure { reason: Reason::Insufficient(1 << 4), unresolvable: true }),
            "absent on the node: allocatable 0"
        );
        let mut two = Scalars::default();
        two.0[1] = 2;
        n.scalars = Some(Box::new(crate::model::NodeScalars { allocatable: two, requested: Scalars::default() }));
        assert_eq!(NodeResourcesFit::fits_node(&p, &n), None);
        n.add_requests(Resources::default(), Some(&gpu));
        assert_eq!(NodeResourcesFit::fits_node(&p, &n), None, "equality fits");
        n.add_requests(Resources::default(), Some(&gpu));
        assert_eq!(
            NodeResourcesFit::fits_node(&p, &n),
            Some(Failure { reason: Reason::Insufficient(1 << 4), unresolvable: false }),
            "taken: preemption may help"
        );
        // A pod that requests no cpu or memory but a scalar resource is still checked.
        let mut q = pod(&[(0, 0)]);
        q.scalar_requests = gpu.boxed();
        assert!(NodeResourcesFit::fits_node(&q, &n).is_some());
        assert_eq!(scalar_shortage(&Scalars::default(), &Scalars::default(), &Scalars::default()), (0, false));
    }
}
