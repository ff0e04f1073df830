//! Scenario loading: the schema, Kubernetes durations and quantities, manifests, `--set`
//! overrides and validation. Every error names file, line, column, the bad value and a hint.
//!
//! Architecture invariant: nothing here simulates; the output is plain data
//! ([`Scenario`]) with every default filled in.

mod decode;
mod diag;
mod duration;
mod files;
mod hpa;
mod input;
mod jobs;
mod load;
mod manifest;
mod ops;
mod overrides;
mod quantity;
mod refs;
mod scalars;
mod schema;
mod suggest;
mod traffic;
mod yaml;

pub use diag::{Diagnostic, Span, Warnings};
pub use duration::{format_duration_nanos, parse_duration_nanos};
pub use files::{image_scenario_path, scenario_files, ScenarioFile, IMAGE_SCENARIO_DIR};
pub use input::{read_bounded, read_input, InputError, MAX_INPUT_BYTES};
pub use load::{load_scenario, load_scenario_text, object_kind_name, Loaded, SYSTEM_PRIORITY_CLASSES};
pub use ops::{Fault, FaultSpec, ZONE_LABEL};
pub use quantity::parse_quantity;
pub use refs::{is_namespace_name, object_key, object_namespace};
pub use schema::*;
