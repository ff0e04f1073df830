//! The HorizontalPodAutoscaler controller: every sync period it reads each target's pods
//! and their CPU samples (metrics-server's view) and applies the upstream replica
//! calculation and normalization from [`super::hpa`].
//! Upstream: pkg/controller/podautoscaler/horizontal.go (reconcileAutoscaler).

use super::hpa::{
    get_resource_replicas, pod_cpu_request, reconcile, tolerances_for, CpuSample, HpaConfig, HpaPod, HpaSpec, HpaState,
    Phase, ReadyCondition, ReadyStatus,
};
use super::Decision;
use crate::engine::{Duration, Time};
use crate::model::{PodId, PodPhase, Store};
use std::collections::BTreeMap;

/// A CPU sample per pod: millicores used, averaged over `window` ending at the sync.
pub type CpuSamples = BTreeMap<PodId, i64>;

#[derive(Default)]
pub struct Autoscaler {
    hpas: Vec<(HpaObject, HpaState)>,
    pub config: HpaConfig,
    /// What the last sync saw and decided, per HPA (for the report, never read back).
    pub last_status: Vec<HpaStatus>,
}

/// An HPA's status after a sync, as `kubectl get hpa` shows it.
/// Upstream: staging/src/k8s.io/api/autoscaling/v2/types.go (HorizontalPodAutoscalerStatus).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaStatus {
    /// The HPA's and its target's keys (`name`, or `namespace/name` outside default).
    pub name: String,
    pub deployment: String,
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub target_utilization: i32,
    /// status.currentReplicas.
    pub current: i32,
    /// status.desiredReplicas.
    pub desired: i32,
    /// status.currentMetrics cpu averageUtilization (percent of request), when measured.
    pub utilization: Option<i32>,
}

impl Autoscaler {
    pub fn new(sync_period: Duration) -> Self {
        Autoscaler {
            hpas: Vec::new(),
            config: HpaConfig { sync_period, ..HpaConfig::default() },
            last_status: Vec::new(),
        }
    }

    /// Creates or replaces an HPA (kubectl apply).
    pub fn apply(&mut self, hpa: HpaObject) {
        match self.hpas.iter_mut().find(|(h, _)| h.namespace == hpa.namespace && h.name == hpa.name) {
            Some(entry) => entry.0 = hpa,
            None => self.hpas.push((hpa, HpaState::default())),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.hpas.is_empty()
    }

    /// The keys (`name`, or `namespace/name` outside default) of the Deployments the HPAs scale.
    pub fn targets(&self) -> impl Iterator<Item = String> + '_ {
        self.hpas.iter().map(|(h, _)| crate::model::qualified(&h.namespace, &h.deployment))
    }

    /// One sync of every HPA. `samples` are the pods' CPU usage over the last window.
    pub fn sync(&mut self, store: &Store, samples: &CpuSamples, window: Duration, now: Time) -> Vec<Decision> {
        let mut out = Vec::new();
        let cfg = self.config;
        self.last_status.clear();
        for (hpa, state) in &mut self.hpas {
            // scaleTargetRef resolves in the HPA's own namespace.
            // Upstream: pkg/controller/podautoscaler/horizontal.go (scaleNamespacer.Scales(hpa.Namespace)).
            let Some(ns) = store.namespaces.id(&hpa.namespace) else { continue };
            let Some(id) = store.deployment_id(ns, &hpa.deployment) else { continue };
            let d = store.deployment(id);
            let current = d.replicas as i32;
            let pods: Vec<HpaPod> = store
                .pods_of_deployment(id)
                .map(|p| {
                    let requests: Vec<Option<i64>> =
                        p.template.spec.containers.iter().map(|c| c.cpu_request_millis).collect();
                    HpaPod {
                        phase: match p.phase {
                            PodPhase::Running => Phase::Running,
                            PodPhase::Pending => Phase::Pending,
                            PodPhase::Succeeded => Phase::Succeeded,
                            PodPhase::Failed => Phase::Failed,
                        },
                        deleting: !p.is_active(),
                        cpu_request_milli: pod_cpu_request(&requests, &[]),
                        start_time: p.started,
                        ready: Some(ReadyCondition {
                            status: if p.ready { ReadyStatus::True } else { ReadyStatus::False },
                            last_transition: p.ready_changed,
                        }),
                        sample: samples.get(&p.id).map(|&usage_milli| CpuSample {
                            usage_milli,
                            timestamp: now,
                            window,
                        }),
                    }
                })
                .collect();
            let tolerances = tolerances_for(cfg.tolerance, hpa.behavior.as_ref());
            let measured = get_resource_replicas(current, hpa.target_utilization, &pods, tolerances, &cfg, now);
            let utilization = measured.as_ref().ok().map(|r| r.utilization);
            let metric = measured.map(|r| r.replicas);
            let spec = HpaSpec {
                min_replicas: hpa.min_replicas,
                max_replicas: hpa.max_replicas,
                behavior: hpa.behavior.clone(),
            };
            let outcome = reconcile(state, &spec, &cfg, current, metric, now);
            self.last_status.push(HpaStatus {
                name: crate::model::qualified(&hpa.namespace, &hpa.name),
                deployment: crate::model::qualified(&hpa.namespace, &hpa.deployment),
                min_replicas: hpa.min_replicas,
                max_replicas: hpa.max_replicas,
                target_utilization: hpa.target_utilization,
                current,
                desired: outcome.as_ref().map_or(current, |o| o.desired),
                utilization,
            });
            if let Ok(outcome) = outcome {
                if outcome.rescale {
                    out.push(Decision::ScaleDeployment {
                        deployment: id,
                        replicas: outcome.desired.max(0) as u32,
                        by: "hpa",
                    });
                }
            }
        }
        out
    }
}

/// `autoscaling/v2` (or v1) HorizontalPodAutoscaler on CPU utilization.
#[derive(Clone, Debug)]
pub struct HpaObject {
    pub name: String,
    /// `metadata.namespace`: `scaleTargetRef` names a Deployment of this namespace.
    pub namespace: String,
    /// The target Deployment.
    pub deployment: String,
    pub min_replicas: i32,
    pub max_replicas: i32,
    /// averageUtilization of the cpu Resource metric (default 80).
    pub target_utilization: i32,
    /// `spec.behavior`, defaulted; None when absent (the legacy path).
    pub behavior: Option<crate::control::hpa::Behavior>,
}
