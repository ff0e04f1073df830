//! `binpack`: fill the fullest feasible node first (MostAllocated) and nothing that pulls
//! the other way (no spreading, no balance), so empty nodes stay empty while others have room.

use super::super::plugins::{NodeResourcesFit, ScoringStrategy};
use super::super::profile::{HostSelection, Profile};
use super::default::with_default_filters;

pub fn profile() -> Profile {
    let mut p = with_default_filters(Profile::new(HostSelection::TopScore));
    p.replace(Box::new(NodeResourcesFit::new(ScoringStrategy::MostAllocated)));
    p.set_weight("NodeResourcesFit", 1);
    p
}
