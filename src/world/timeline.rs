//! Timeline actions: what the operator does, applied through the same paths the
//! controllers use. An action the API refuses becomes an `action_failed` event.

use super::World;
use crate::control::TerminationReason;
use crate::model::PodId;
use crate::scenario::Action;

impl World<'_> {
    pub(super) fn run_action(&mut self, index: usize) {
        let action = self.scenario.timeline[index].action.clone();
        self.observations.markers.push((self.now(), action.describe()));
        if let Err(reason) = self.try_action(&action) {
            let now = self.now();
            self.events.emit(now, "action_failed", |e| {
                e.str("action", &action.describe()).str("reason", &reason);
            });
        }
    }

    fn node_named(&self, name: &str) -> Result<crate::model::NodeId, String> {
        self.store.node_id(name).ok_or_else(|| format!("node {name:?} not found"))
    }

    fn try_action(&mut self, action: &Action) -> Result<(), String> {
        let now = self.now();
        match action {
            Action::Join { pool, count } => {
                let idx = self
                    .scenario
                    .cluster
                    .node_pools
                    .iter()
                    .position(|p| p.name == *pool)
                    .ok_or_else(|| format!("pool {pool:?} not found"))?;
                self.join_pool_nodes(idx, *count);
            }
            Action::CrashNode(name) => {
                let id = self.node_named(name)?;
                if !self.store.node(id).host_up {
                    return Err(format!("node {name:?} is already down"));
                }
                self.crash_node(id);
            }
            Action::RecoverNode(name) => {
                let id = self.node_named(name)?;
                if self.store.node(id).host_up {
                    return Err(format!("node {name:?} is not down"));
                }
                self.recover_node(id);
            }
            Action::Scale { deployment, replicas } => {
                let id = self
                    .store
                    .deployment_id(deployment)
                    .ok_or_else(|| format!("deployment {deployment:?} not found"))?;
                let d = self.store.deployment_mut(id);
                let from = d.replicas;
                d.replicas = *replicas;
                self.events.emit(now, "deployment_scaled", |e| {
                    e.str("deployment", deployment)
                        .int("from", i64::from(from))
                        .int("to", i64::from(*replicas))
                        .str("by", "user");
                });
            }
            Action::DeletePod(target) => {
                let pod = self.resolve_pod(target)?;
                self.delete_pod(pod, TerminationReason::Deleted);
            }
            Action::Cordon(name) | Action::Uncordon(name) => {
                let id = self.node_named(name)?;
                let cordon = matches!(action, Action::Cordon(_));
                let node = self.store.node_mut(id);
                if node.unschedulable == cordon {
                    // kubectl reports "already cordoned" and succeeds.
                    return Ok(());
                }
                node.unschedulable = cordon;
                self.events.emit(now, if cordon { "node_cordoned" } else { "node_uncordoned" }, |e| {
                    e.str("node", name);
                });
                if !cordon {
                    self.cluster_changed();
                }
            }
        }
        Ok(())
    }

    /// A pod by name, or one active pod (chosen from the timeline's stream) of the named
    /// Deployment or ReplicaSet.
    fn resolve_pod(&mut self, target: &str) -> Result<PodId, String> {
        if let Some(id) = self.store.pod_id(target) {
            return if self.store.pod(id).is_active() {
                Ok(id)
            } else {
                Err(format!("pod {target:?} is already terminating"))
            };
        }
        let candidates: Vec<PodId> = if let Some(d) = self.store.deployment_id(target) {
            self.store.pods_of_deployment(d).filter(|p| p.is_active()).map(|p| p.id).collect()
        } else if let Some(rs) = self.store.replica_sets.iter().find(|r| r.name == target) {
            self.store.pods_of(rs.id).filter(|p| p.is_active()).map(|p| p.id).collect()
        } else {
            return Err(format!("no pod, Deployment or ReplicaSet named {target:?}"));
        };
        if candidates.is_empty() {
            return Err(format!("{target:?} has no pods to delete"));
        }
        Ok(candidates[self.timeline_rng.below(candidates.len() as u64) as usize])
    }
}
