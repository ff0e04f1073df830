//! Replaying a run against a live Docker engine (`sim replay DIR --docker`): each pod of
//! `events.jsonl` becomes a container of a tiny `pause` image on the local engine, and after
//! each instant the engine's containers are checked against the simulated state.
//!
//! Also what runs a sweep on a real cluster: the `FROM scratch` image with a static `sim`
//! and a scenario's files (`image.rs`, built by `sim image`) and the Indexed Job that runs
//! its shards (`job.rs`, printed by `sim sweep --emit-job`).
//!
//! Everything created carries the label `clustersim.run=<run id>` and is removed at the
//! end; nothing without it is ever touched (the engine may be shared).
//!
//! Architecture invariant: reads only `events.jsonl`, never the world or the store; the
//! simulation never calls into it.

mod conformance;
pub mod docker;
mod events;
mod expected;
mod http;
pub mod image;
pub mod job;
mod plan;
mod replay;
pub mod tar;

pub use replay::{replay, ReplayError, ReplayOptions, ReplaySummary};

/// Label on everything a replay creates; its value is the run id.
pub const LABEL_RUN: &str = "clustersim.run";
/// Label: the pod a container stands for.
pub const LABEL_POD: &str = "clustersim.pod";
/// Label: the simulated node the container runs on.
pub const LABEL_NODE: &str = "clustersim.node";
/// Label: the pod's Deployment (empty for a pod without one).
pub const LABEL_DEPLOYMENT: &str = "clustersim.deployment";

/// Checks `--speed X`: virtual seconds per wall second, a finite number > 0.
pub fn parse_speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!(
            "--speed {text:?} is not a positive number\n  hint: X virtual seconds per wall second, e.g. --speed 60 \
             replays a minute per second; leave it out to replay as fast as the engine allows"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_is_a_positive_finite_number() {
        assert_eq!(parse_speed("60"), Ok(60.0));
        assert_eq!(parse_speed("0.5"), Ok(0.5));
        assert_eq!(parse_speed("1e3"), Ok(1000.0));
        for bad in ["0", "-2", "fast", "", "inf", "NaN", "1e400"] {
            let err = parse_speed(bad).unwrap_err();
            assert!(err.contains("is not a positive number") && err.contains("hint:"), "{bad}: {err}");
        }
    }
}
