//! Sampling the settled state at the end of each instant into time series, and noticing
//! completed rollouts.

use super::World;
use crate::model::DeploymentId;

impl World<'_> {
    pub(super) fn observe(&mut self) {
        let now = self.now();
        for i in 0..self.store.deployments.len() {
            let id = DeploymentId(i as u32);
            let d = self.store.deployment(id);
            let name = d.name.clone();
            let desired = i64::from(d.replicas);
            let (mut live, mut ready) = (0i64, 0i64);
            for p in self.store.pods_of_deployment(id).filter(|p| p.is_active()) {
                live += 1;
                ready += i64::from(p.ready);
            }
            let obs = &mut self.observations;
            obs.desired.entry(name.clone()).or_default().record(now, desired);
            obs.ready.entry(name.clone()).or_default().record(now, ready);
            obs.pods.entry(name.clone()).or_default().record(now, live);
            if let Some(revision) = self.rollouts[i] {
                if revision > 1 {
                    let low = obs.min_ready_during_rollout.entry(name.clone()).or_insert(ready);
                    *low = (*low).min(ready);
                }
                self.check_rollout_complete(id, revision);
            }
        }
        for node in &self.store.nodes {
            let running = node.pods.iter().filter(|p| self.store.pod(**p).containers_running).count() as i64;
            let bound = node.pods.iter().filter(|p| self.store.pod(**p).is_active()).count() as i64;
            self.observations.running_on_node.entry(node.name.clone()).or_default().record(now, running);
            self.observations.bound_on_node.entry(node.name.clone()).or_default().record(now, bound);
        }
        self.observations.unschedulable.record(now, self.scheduler.queue.parked() as i64);
    }

    /// A rollout is complete when the newest ReplicaSet has every replica ready and no
    /// older ReplicaSet has pods left. Upstream: deployment_util.go (DeploymentComplete).
    fn check_rollout_complete(&mut self, id: DeploymentId, revision: u64) {
        let d = self.store.deployment(id);
        let newest = d.replica_sets.iter().copied().max_by_key(|rs| self.store.replica_set(*rs).revision);
        let Some(newest) = newest else { return };
        let new_rs = self.store.replica_set(newest);
        if new_rs.revision != revision {
            return;
        }
        let ready_new = self.store.pods_of(newest).filter(|p| p.is_active() && p.ready).count() as u32;
        let old_pods =
            d.replica_sets.iter().filter(|rs| **rs != newest).map(|rs| self.store.pods_of(*rs).count()).sum::<usize>();
        if ready_new == d.replicas && new_rs.replicas == d.replicas && old_pods == 0 {
            let (name, image) = (d.name.clone(), d.template.spec.image().to_string());
            self.rollouts[id.0 as usize] = None;
            let now = self.now();
            self.events.emit(now, "rollout_completed", |e| {
                e.str("deployment", &name).int("revision", revision as i64).str("image", &image);
            });
        }
    }
}
