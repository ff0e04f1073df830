//! One file per plugin, each restating its upstream file.

mod balanced_allocation;
mod inter_pod_affinity;
mod node_affinity;
mod node_name;
mod node_resources_fit;
mod node_unschedulable;
mod pod_topology_spread;
mod taint_toleration;
mod workload_spread;

pub use balanced_allocation::BalancedAllocation;
pub use inter_pod_affinity::InterPodAffinity;
pub use node_affinity::{required_node_affinity_matches, NodeAffinity};
pub use node_name::NodeName;
pub use node_resources_fit::{scalar_shortage, NodeResourcesFit, ScoringStrategy, ShapePoint};
pub use node_unschedulable::NodeUnschedulable;
pub use pod_topology_spread::{Defaults, PodTopologySpread};
pub use taint_toleration::TaintToleration;
pub use workload_spread::WorkloadSpread;
