//! The Deployment controller: one ReplicaSet per pod template, named
//! `<deployment>-<pod-template-hash>`, scaled to the Deployment's replicas.
//! Upstream: pkg/controller/deployment/sync.go (getNewReplicaSet, scale).
//!
//! This build has no template changes (`setImage`, `apply`, rollback land with the
//! rollout issue), so a Deployment has exactly one ReplicaSet.

use super::naming::pod_template_hash;
use super::Decision;
use crate::model::Store;

pub fn reconcile(store: &Store) -> Vec<Decision> {
    let mut out = Vec::new();
    for d in &store.deployments {
        if d.paused {
            continue;
        }
        let hash = pod_template_hash(&d.template, 0);
        let current = d.replica_sets.iter().map(|&id| store.replica_set(id)).find(|rs| rs.template_hash == hash);
        match current {
            None => {
                let revision = d.replica_sets.iter().map(|&id| store.replica_set(id).revision).max().unwrap_or(0) + 1;
                out.push(Decision::CreateReplicaSet {
                    deployment: d.id,
                    template: d.template.clone(),
                    hash,
                    revision,
                    replicas: d.replicas,
                });
            }
            Some(rs) if rs.replicas != d.replicas => {
                out.push(Decision::ScaleReplicaSet { rs: rs.id, replicas: d.replicas })
            }
            Some(_) => {}
        }
    }
    out
}
