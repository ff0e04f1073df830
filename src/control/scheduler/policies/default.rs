//! `default`: upstream's default profile with its score weights.
//! Upstream: pkg/scheduler/apis/config/v1/default_plugins.go. ImageLocality (weight 1)
//! is left out: images are not modelled, so it would score every node the same.

use super::super::plugins::*;
use super::super::profile::{HostSelection, Profile};
use crate::control::scheduler::plugins::Defaults;

/// The filters every policy shares, in upstream order.
pub fn with_default_filters(p: Profile) -> Profile {
    p.with(Box::new(NodeUnschedulable::default()), true, None)
        .with(Box::new(NodeName), true, None)
        .with(Box::new(TaintToleration::default()), true, None)
        .with(Box::new(NodeAffinity), true, None)
        .with(Box::new(NodeResourcesFit::new(ScoringStrategy::LeastAllocated)), true, None)
        .with(Box::new(PodTopologySpread::new(Defaults::System)), true, None)
        .with(Box::new(InterPodAffinity::default()), true, None)
}

pub fn profile() -> Profile {
    let mut p = with_default_filters(Profile::new(HostSelection::TopScore));
    for (name, weight) in [
        ("TaintToleration", 3),
        ("NodeAffinity", 2),
        ("NodeResourcesFit", 1),
        ("PodTopologySpread", 2),
        ("InterPodAffinity", 2),
    ] {
        p.set_weight(name, weight);
    }
    p.with(Box::new(BalancedAllocation), false, Some(1))
}
