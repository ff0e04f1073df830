//! Sampling the settled state at the end of each instant into time series, from the
//! store's kept counts: only Deployments and nodes queued since the last sample are
//! recorded again (a series records changes only, so the result is the same as
//! sampling everything).

use super::World;

impl World<'_> {
    pub(super) fn observe(&mut self) {
        let now = self.now();
        self.store.account();
        for id in std::mem::take(&mut self.store.queues.observed_deployments) {
            let d = self.store.deployment(id);
            let name = self.store.key(d.namespace, &d.name);
            let desired = i64::from(d.replicas);
            let counts = self.store.deployment_counts(id);
            let (live, ready) = (i64::from(counts.active), i64::from(counts.ready));
            let obs = &mut self.observations;
            obs.desired.entry(name.clone()).or_default().record(now, desired);
            obs.ready.entry(name.clone()).or_default().record(now, ready);
            obs.pods.entry(name.clone()).or_default().record(now, live);
            if self.rollouts[id.0 as usize].is_some_and(|revision| revision > 1) {
                let low = obs.min_ready_during_rollout.entry(name).or_insert(ready);
                *low = (*low).min(ready);
            }
        }
        for id in std::mem::take(&mut self.store.queues.observed_nodes) {
            let Some(node) = self.store.try_node(id) else { continue };
            let counts = self.store.node_counts(id);
            let obs = &mut self.observations;
            obs.running_on_node.entry(node.name.clone()).or_default().record(now, i64::from(counts.running));
            obs.bound_on_node.entry(node.name.clone()).or_default().record(now, i64::from(counts.active));
        }
        self.observations.unschedulable.record(now, self.scheduler.queue.parked() as i64);
        for pool in &self.scenario.cluster.node_pools {
            let count = self.store.pool_size(&pool.name);
            self.observations.pool_nodes.entry(pool.name.clone()).or_default().record(now, i64::from(count));
        }
    }
}
