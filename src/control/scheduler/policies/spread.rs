//! `spread`: every workload's pods per node stay within one while the emptiest nodes are
//! feasible; LeastAllocated breaks ties among them.

use super::super::plugins::WorkloadSpread;
use super::super::profile::{HostSelection, Profile};
use super::default::with_default_filters;

pub fn profile() -> Profile {
    let mut p = with_default_filters(Profile::new(HostSelection::TopScore)).with(
        Box::new(WorkloadSpread::default()),
        false,
        Some(10),
    );
    p.set_weight("NodeResourcesFit", 1);
    p
}
