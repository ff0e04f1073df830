//! The discrete-event engine: an integer virtual clock, an event queue with a defined
//! order for simultaneous events, and seeded random streams named per component.
//!
//! Architecture invariant: this module knows nothing of Kubernetes. It never sees a Pod.

mod queue;
mod rng;
mod time;

pub use queue::EventQueue;
pub use rng::{RandomStream, RngStreams};
pub use time::{Duration, Time};
