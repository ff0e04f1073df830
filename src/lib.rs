//! clustersim: a deterministic simulator for Kubernetes-style orchestration policies.
//!
//! See `ARCHITECTURE.md` for the code map. Data flows one way:
//! `scenario` -> `world` (driving `engine`, `model`, `control`) -> `report`.

pub mod check;
pub mod control;
pub mod engine;
pub mod live;
pub mod model;
pub mod record;
pub mod report;
pub mod scenario;
pub mod signals;
pub mod traffic;
pub mod world;
