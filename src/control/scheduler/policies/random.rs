//! `random`: any feasible node, uniformly (no score plugins: every node ties, and the
//! tie-break picks one at random from the scheduler's stream).

use super::super::profile::{HostSelection, Profile};
use super::default::with_default_filters;

pub fn profile() -> Profile {
    with_default_filters(Profile::new(HostSelection::TopScore))
}
