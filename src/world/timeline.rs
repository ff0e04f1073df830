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
        if let Some(refusal) = super::ops::needs_api(action).then(|| self.api_refusal()).flatten() {
            return Err(refusal.to_string());
        }
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
                let cause = self.ops.timeline_cause();
                self.ops.node_down_by.add(id, cause);
                self.crash_node(id);
            }
            Action::RecoverNode(name) => {
                let id = self.node_named(name)?;
                if self.store.node(id).host_up {
                    return Err(format!("node {name:?} is not down"));
                }
                self.ops.node_down_by.clear(id);
                self.recover_node(id);
            }
            Action::Scale { deployment, replicas } => {
                let id = self
                    .store
                    .deployment_by_key(deployment)
                    .ok_or_else(|| format!("deployment {deployment:?} not found"))?;
                let d = self.store.deployment_mut(id);
                let from = d.replicas;
                d.replicas = *replicas;
                let d = self.store.deployment(id);
                self.events.emit(now, "deployment_scaled", |e| {
                    e.str("deployment", &d.name)
                        .namespace(self.store.namespaces.name(d.namespace))
                        .int("from", i64::from(from))
                        .int("to", i64::from(*replicas))
                        .str("by", "user");
                });
            }
            Action::DeletePod(target) => {
                let pod = self.resolve_pod(target)?;
                self.delete_pod(pod, TerminationReason::Deleted);
            }
            Action::SetImage { deployment, container, image } => {
                let id = self.deployment_named(deployment)?;
                let mut template = (*self.store.deployment(id).template).clone();
                let target = match container {
                    Some(c) => template
                        .spec
                        .containers
                        .iter_mut()
                        .find(|x| &x.name == c)
                        .ok_or_else(|| format!("unable to find container named {c:?}"))?,
                    None => template.spec.containers.first_mut().ok_or("the pod template has no containers")?,
                };
                target.image = image.clone();
                self.update_template(id, template);
            }
            Action::RolloutUndo { deployment, to_revision } => self.rollout_undo(deployment, *to_revision)?,
            Action::RolloutPause(deployment) | Action::RolloutResume(deployment) => {
                let id = self.deployment_named(deployment)?;
                let pause = matches!(action, Action::RolloutPause(_));
                let d = self.store.deployment_mut(id);
                if d.paused == pause {
                    return Err(format!(
                        "deployment {deployment:?} is {}",
                        if pause { "already paused" } else { "not paused" }
                    ));
                }
                d.paused = pause;
            }
            Action::SetMetric { deployment, cpu_utilization, for_ } => {
                let id = self.deployment_named(deployment)?;
                self.metric_overrides.retain(|(d, _, _)| *d != id);
                self.metric_overrides.push((id, *cpu_utilization, now + *for_));
            }
            Action::Apply { objects, .. } => {
                for o in objects {
                    self.apply_object(o);
                }
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
            Action::PartitionNode { node, duration } => self.partition_action(node, *duration)?,
            Action::CrashMaster(k) => self.master_action(*k, true)?,
            Action::RecoverMaster(k) => self.master_action(*k, false)?,
            Action::Drain { node, timeout, force, ignore_daemon_sets } => {
                self.start_drain(action.describe(), node, *timeout, *force, *ignore_daemon_sets)?
            }
        }
        Ok(())
    }

    /// The Deployment a key (`web`, `team-a/web`) names.
    fn deployment_named(&self, key: &str) -> Result<crate::model::DeploymentId, String> {
        self.store.deployment_by_key(key).ok_or_else(|| {
            let (namespace, name) = crate::model::split_key(key);
            match namespace {
                crate::model::DEFAULT_NAMESPACE => format!("deployments.apps {name:?} not found"),
                ns => format!("deployments.apps {name:?} not found in namespace {ns:?}"),
            }
        })
    }

    /// A new pod template: a new generation, and the controller starts a rollout.
    pub(super) fn update_template(&mut self, id: crate::model::DeploymentId, template: crate::model::PodTemplate) {
        let d = self.store.deployment_mut(id);
        if *d.template == template {
            return;
        }
        d.template = std::sync::Arc::new(template);
        d.generation += 1;
    }

    /// `kubectl rollout undo`: the target ReplicaSet's template (minus pod-template-hash)
    /// becomes the Deployment's. Upstream: kubectl polymorphichelpers/rollback.go.
    fn rollout_undo(&mut self, deployment: &str, to_revision: i64) -> Result<(), String> {
        use crate::control::rollout::{rollout_undo, UndoCandidate, UndoOutcome};
        let id = self.deployment_named(deployment)?;
        let d = self.store.deployment(id);
        let without_hash = |rs: &crate::model::ReplicaSet| {
            let mut t = (*rs.template).clone();
            t.labels.remove("pod-template-hash");
            t
        };
        let candidates: Vec<UndoCandidate> = d
            .replica_sets
            .iter()
            .map(|&r| self.store.replica_set(r))
            .filter(|rs| !rs.deleted)
            .map(|rs| UndoCandidate {
                rs: rs.id,
                revision: rs.revision,
                matches_current_template: without_hash(rs) == *d.template,
            })
            .collect();
        match rollout_undo(deployment, d.paused, to_revision, &candidates)? {
            UndoOutcome::RolledBack { to } => {
                let rs = self.store.replica_set(to);
                let (template, revision) = (without_hash(rs), rs.revision);
                self.update_template(id, template);
                let now = self.now();
                let d = self.store.deployment(id);
                self.events.emit(now, "rollout_undone", |e| {
                    e.str("deployment", &d.name)
                        .namespace(self.store.namespaces.name(d.namespace))
                        .int("to_revision", revision as i64);
                });
                Ok(())
            }
            skipped @ UndoOutcome::Skipped { .. } => Err(skipped.message()),
        }
    }

    /// A pod by key (`name` or `namespace/name`), or one active pod (chosen from the
    /// timeline's stream) of the Deployment or ReplicaSet the key names.
    fn resolve_pod(&mut self, target: &str) -> Result<PodId, String> {
        let Some((namespace, name)) = self.store.resolve_key(target) else {
            return Err(format!("no pod, Deployment or ReplicaSet named {target:?}"));
        };
        if let Some(id) = self.store.pod_id(namespace, name) {
            return if self.store.pod(id).is_active() {
                Ok(id)
            } else {
                Err(format!("pod {target:?} is already terminating"))
            };
        }
        let candidates: Vec<PodId> = if let Some(d) = self.store.deployment_id(namespace, name) {
            self.store.pods_of_deployment(d).filter(|p| p.is_active()).map(|p| p.id).collect()
        } else if let Some(rs) = self.store.replica_sets.iter().find(|r| r.namespace == namespace && r.name == name) {
            self.store.pods_of(rs.id).filter(|p| p.is_active()).map(|p| p.id).collect()
        } else if let Some(job) = self.store.job_id(target) {
            let job = self.store.job(job);
            job.pods.keys().filter(|p| self.store.pod(**p).is_active()).copied().collect()
        } else {
            return Err(format!("no pod, Deployment, ReplicaSet or Job named {target:?}"));
        };
        if candidates.is_empty() {
            return Err(format!("{target:?} has no pods to delete"));
        }
        Ok(candidates[self.timeline_rng.below(candidates.len() as u64) as usize])
    }
}
