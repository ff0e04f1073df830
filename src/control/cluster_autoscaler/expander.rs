//! Choosing among node groups that could take the pending pods.
//! Upstream: cluster-autoscaler/expander/{random,mostpods,waste,priority}.

use super::estimator::Estimate;
use crate::control::cluster_autoscaler::config::{Expander, NodePool};
use crate::engine::RandomStream;
use crate::model::Store;

/// One group that could grow: its index, the pool, and what growing would achieve.
pub struct GroupOption<'a> {
    pub pool_index: usize,
    pub pool: &'a NodePool,
    pub estimate: Estimate,
}

/// Least-waste's score: the fraction of the new nodes' cpu left unrequested plus the same
/// for memory (lower is better). Upstream: expander/waste/waste.go (BestOptions).
pub fn wasted_score(store: &Store, option: &GroupOption) -> f64 {
    let n = i64::from(option.estimate.nodes);
    let requested = option.estimate.pods.iter().map(|p| store.pod(*p).template.spec.container_requests());
    let (cpu, mem) = requested.fold((0i64, 0i64), |(c, m), r| (c + r.cpu_millis, m + r.memory_bytes));
    let waste = |requested: i64, per_node: i64| {
        let available = (per_node * n) as f64;
        if available > 0.0 {
            (available - requested as f64) / available
        } else {
            0.0
        }
    };
    waste(cpu, option.pool.capacity.cpu_millis) + waste(mem, option.pool.capacity.memory_bytes)
}

/// The chosen option's position in `options` (which must not be empty). Ties are broken
/// at random, as upstream falls back to the random expander.
pub fn choose(expander: Expander, store: &Store, options: &[GroupOption], rng: &mut RandomStream) -> usize {
    let best: Vec<usize> = match expander {
        Expander::Random => (0..options.len()).collect(),
        Expander::MostPods => {
            let most = options.iter().map(|o| o.estimate.pods.len()).max().unwrap_or(0);
            (0..options.len()).filter(|i| options[*i].estimate.pods.len() == most).collect()
        }
        Expander::LeastWaste => {
            let scores: Vec<f64> = options.iter().map(|o| wasted_score(store, o)).collect();
            let least = scores.iter().copied().fold(f64::INFINITY, f64::min);
            (0..options.len()).filter(|i| scores[*i] == least).collect()
        }
        // Upstream reads priorities from a ConfigMap; here the pool listed first wins.
        Expander::Priority => {
            let first = options.iter().map(|o| o.pool_index).min().unwrap_or(0);
            (0..options.len()).filter(|i| options[*i].pool_index == first).collect()
        }
    };
    match best.len() {
        1 => best[0],
        n => best[rng.below(n as u64) as usize],
    }
}
