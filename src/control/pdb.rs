//! PodDisruptionBudget arithmetic: how many matching pods may be disrupted now.
//! Upstream: pkg/controller/disruption/disruption.go (getExpectedPodCount, updatePdbStatus).

use crate::model::{IntOrPercent, PodDisruptionBudget, Store};
use std::collections::BTreeSet;

/// `currentHealthy - desiredHealthy`, floored at 0.
pub fn disruptions_allowed(store: &Store, pdb: &PodDisruptionBudget) -> i64 {
    let matching: Vec<_> =
        store.pods.values().filter(|p| p.is_active() && pdb.selector.matches(&p.template.labels)).collect();
    let healthy = matching.iter().filter(|p| p.ready).count() as i64;
    // Expected pods: the scale of the controllers owning the matching pods (bare pods count 1).
    let mut owners = BTreeSet::new();
    let mut bare = 0i64;
    for p in &matching {
        match p.owner {
            Some(rs) => {
                let r = store.replica_set(rs);
                owners.insert(r.deployment.map_or(Err(rs.0), |d| Ok(d.0)));
            }
            None => bare += 1,
        }
    }
    let expected: i64 = owners
        .iter()
        .map(|o| match o {
            Ok(d) => i64::from(store.deployments[*d as usize].replicas),
            Err(rs) => i64::from(store.replica_sets[*rs as usize].replicas),
        })
        .sum::<i64>()
        + bare;
    let desired = match (pdb.min_available, pdb.max_unavailable) {
        (Some(IntOrPercent::Int(n)), _) => n,
        (Some(p @ IntOrPercent::Percent(_)), _) => p.scaled(expected, true),
        (None, Some(max)) => expected - max.scaled(expected, true),
        (None, None) => 0,
    };
    (healthy - desired).max(0)
}
