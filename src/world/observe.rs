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
            if self.rollouts[i].is_some_and(|revision| revision > 1) {
                let low = obs.min_ready_during_rollout.entry(name.clone()).or_insert(ready);
                *low = (*low).min(ready);
            }
        }
        for node in &self.store.nodes {
            let running = node.pods.iter().filter(|p| self.store.pod(**p).containers_running).count() as i64;
            let bound = node.pods.iter().filter(|p| self.store.pod(**p).is_active()).count() as i64;
            self.observations.running_on_node.entry(node.name.clone()).or_default().record(now, running);
            self.observations.bound_on_node.entry(node.name.clone()).or_default().record(now, bound);
        }
        self.observations.unschedulable.record(now, self.scheduler.queue.parked() as i64);
        for pool in &self.scenario.cluster.node_pools {
            let count = self.store.nodes.iter().filter(|n| n.pool.as_deref() == Some(pool.name.as_str())).count();
            self.observations.pool_nodes.entry(pool.name.clone()).or_default().record(now, count as i64);
        }
    }
}
