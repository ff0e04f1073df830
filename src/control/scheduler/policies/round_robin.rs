//! `roundRobin`: the next feasible node after the last one chosen, in node order.

use super::super::profile::{HostSelection, Profile};
use super::default::with_default_filters;

pub fn profile() -> Profile {
    let mut p = with_default_filters(Profile::new(HostSelection::RoundRobin));
    p.score_all_nodes = true;
    p
}
