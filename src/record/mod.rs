//! What a run leaves behind: the `events.jsonl` log and the time series behind
//! expectations, plots and `metrics.csv`.
//!
//! Architecture invariant: recording never influences the simulation; nothing here is
//! read back by controllers.

mod events;
mod observations;

pub use events::{json_number, json_string, EventLine, EventLog};
pub use observations::{CronJobRecord, HpaTrack, JobRecord, Observations, Series, TrafficWindow};

/// The largest `events.jsonl` a run writes (and a replay reads): 2 GiB.
pub const MAX_EVENT_LOG_BYTES: u64 = 2 << 30;
