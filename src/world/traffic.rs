//! Requests in the world: each Service with traffic runs a [`ServiceTraffic`] that the
//! world advances between control-plane events, feeds with the Service's endpoints (the
//! endpoints controller's view: ready pods matching the selector, not terminating), and
//! reads every 10 s for `traffic` events.
//! Upstream: pkg/controller/endpointslice (a pod is an endpoint while Ready and not terminating).

use super::World;
use crate::engine::{Duration, Time};
use crate::model::{DeploymentId, LabelSelector, NamespaceId};
use crate::traffic::{Endpoint, ServiceTraffic, TrafficSpec};
use std::collections::{BTreeMap, BTreeSet};

/// The `traffic` event period.
pub const WINDOW: Duration = Duration::from_secs(10);

pub(super) struct ServiceRun {
    /// The Service's key (`name`, or `namespace/name` outside default).
    name: String,
    namespace: NamespaceId,
    selector: LabelSelector,
    traffic: ServiceTraffic,
    /// Serving profile index per Deployment behind the Service.
    profiles: BTreeMap<DeploymentId, usize>,
    last: Vec<Endpoint>,
    /// The endpoints as the queued pod changes leave them, by pod id (the order of `last`).
    members: BTreeMap<u64, Endpoint>,
    /// Pods ever handed to the traffic model and not yet forgotten.
    known: BTreeSet<u64>,
}

#[derive(Default)]
pub(super) struct TrafficRun {
    services: Vec<ServiceRun>,
    next_window: Time,
    /// The endpoints view was frozen at the last sync (no controller-manager leader).
    was_frozen: bool,
}

impl World<'_> {
    /// One traffic model per Service with traffic, created once the manifests exist.
    pub(super) fn start_traffic(&mut self) {
        for t in &self.scenario.traffic {
            let Some((ns, name)) = self.store.resolve_key(&t.service) else { continue };
            let Some(svc) = self.store.services.iter().find(|s| s.namespace == ns && s.name == name) else { continue };
            let mut profiles = BTreeMap::new();
            let mut list = Vec::new();
            for d in &self.store.deployments {
                if d.namespace == svc.namespace && !svc.selector.is_empty() && svc.selector.matches(&d.template.labels)
                {
                    if let Some(p) = self.scenario.serving.get(&self.store.key(d.namespace, &d.name)) {
                        profiles.insert(d.id, list.len());
                        list.push(p.clone());
                    }
                }
            }
            let spec = TrafficSpec { rate: t.rate.clone(), balancing: t.balancing, profiles: list };
            self.traffic.services.push(ServiceRun {
                name: t.service.clone(),
                namespace: svc.namespace,
                selector: svc.selector.clone(),
                traffic: ServiceTraffic::new(&t.service, spec, &self.streams),
                profiles,
                last: Vec::new(),
                members: BTreeMap::new(),
                known: BTreeSet::new(),
            });
        }
        self.traffic.next_window = Time::ZERO + WINDOW;
        for (e, _) in &self.scenario.expect {
            if let crate::scenario::Expectation::Latency { service, from, to, .. } = e {
                self.observations.latency_windows.push((
                    service.clone(),
                    Time::ZERO + *from,
                    Time::ZERO + *to,
                    Default::default(),
                ));
            }
        }
    }

    /// Simulates requests up to `t`, closing every 10 s window on the way.
    pub(super) fn advance_traffic(&mut self, t: Time) {
        while self.traffic.next_window <= t {
            let w = self.traffic.next_window;
            self.close_windows(w);
            self.traffic.next_window = w + WINDOW;
        }
        for s in &mut self.traffic.services {
            s.traffic.advance_to(t);
        }
    }

    fn close_windows(&mut self, at: Time) {
        for s in &mut self.traffic.services {
            s.traffic.advance_to(at);
            let hist = s.traffic.window_histogram();
            // The window that ends at `at` began at the previous 10 s boundary.
            let from = Time((at.0 - 1) / WINDOW.as_nanos() * WINDOW.as_nanos());
            for (svc, lo, hi, acc) in &mut self.observations.latency_windows {
                if *svc == s.name && from >= *lo && at <= *hi {
                    acc.merge(hist);
                }
            }
            let f = s.traffic.take_window(at);
            let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
            let (name, p50, p99) = (s.name.clone(), ms(f.latency.p50), ms(f.latency.p99));
            let (namespace, service) = crate::model::split_key(&name);
            self.events.emit(at, "traffic", |e| {
                e.str("service", service)
                    .namespace(namespace)
                    .int("offered", f.counts.offered as i64)
                    .int("served", f.counts.served as i64)
                    .int("dropped", f.counts.dropped.total() as i64)
                    .raw("p50_ms", &crate::record::json_number(p50))
                    .raw("p99_ms", &crate::record::json_number(p99))
                    .int("in_flight", f.in_flight as i64);
            });
            self.observations.traffic.entry(name).or_default().push(crate::record::TrafficWindow { figures: f });
        }
    }

    /// Hands each Service its current endpoints (after the controllers settled). Only the
    /// pods the store queued since the last call are looked at.
    pub(super) fn sync_endpoints(&mut self) {
        let now = self.now();
        // The EndpointSlice controller runs in kube-controller-manager: without a leader
        // (or without quorum) kube-proxy keeps the last list; only whether those pods
        // still run changes. Its queue is kept for the next leader.
        // Upstream: pkg/controller/endpointslice (runs under the controller-manager's leader election).
        let frozen = !self.ops.masters.active(super::masters::Component::ControllerManager);
        self.store.account();
        if self.traffic.services.is_empty() {
            self.store.queues.endpoints.clear();
            return;
        }
        let changed = if frozen { BTreeSet::new() } else { std::mem::take(&mut self.store.queues.endpoints) };
        let thawed = std::mem::replace(&mut self.traffic.was_frozen, frozen) && !frozen;
        let store = &self.store;
        for s in &mut self.traffic.services {
            let mut list_changed = thawed;
            for &id in &changed {
                let endpoint = store
                    .pods()
                    .get(&id)
                    .filter(|p| {
                        p.ready && p.is_active() && p.namespace == s.namespace && s.selector.matches(&p.template.labels)
                    })
                    .and_then(|p| {
                        let profile = store.deployment_of(p).and_then(|d| s.profiles.get(&d))?;
                        Some(Endpoint { id: p.id.0, profile: *profile, alive: p.containers_running })
                    });
                let before = match endpoint {
                    Some(e) => s.members.insert(id.0, e),
                    None => s.members.remove(&id.0),
                };
                list_changed |= before != endpoint;
            }
            let list: Vec<Endpoint> = if frozen {
                let alive =
                    |e: &Endpoint| store.pods().get(&crate::model::PodId(e.id)).is_some_and(|p| p.containers_running);
                let refreshed: Vec<Endpoint> = s.last.iter().map(|e| Endpoint { alive: alive(e), ..*e }).collect();
                list_changed = refreshed != s.last;
                refreshed
            } else if list_changed {
                s.members.values().copied().collect()
            } else {
                Vec::new()
            };
            if !list.is_empty() && !self.observations.first_endpoint.contains_key(&s.name) {
                self.observations.first_endpoint.insert(s.name.clone(), (now, s.traffic.totals().counts));
            }
            if list_changed && list != s.last {
                s.traffic.set_endpoints(now, &list);
                s.known.extend(list.iter().map(|e| e.id));
                s.last = list;
            }
            // Pods off the list whose containers stopped (deleted on a healthy node, or
            // their node died) lose what they still held.
            let stopped: Vec<u64> = if frozen {
                let listed: BTreeSet<u64> = s.last.iter().map(|e| e.id).collect();
                s.known.iter().copied().filter(|id| !listed.contains(id)).collect()
            } else {
                changed.iter().map(|p| p.0).filter(|id| s.known.contains(id) && !s.members.contains_key(id)).collect()
            };
            for id in stopped {
                if store.pods().get(&crate::model::PodId(id)).is_none_or(|p| !p.containers_running) {
                    s.traffic.pod_stopped(now, id);
                    s.known.remove(&id);
                }
            }
        }
    }

    /// The last (partial) window and the run's totals.
    pub(super) fn finish_traffic(&mut self, horizon: Time) {
        self.advance_traffic(horizon);
        if self.traffic.services.iter().any(|s| s.traffic.totals().to > Time::ZERO)
            && horizon.0 % WINDOW.as_nanos() != 0
        {
            self.close_windows(horizon);
        }
        for s in &self.traffic.services {
            self.observations.traffic_totals.insert(s.name.clone(), s.traffic.totals());
        }
    }

    /// CPU time each pod used since the last call (by pod id), for the HPA.
    pub(super) fn take_cpu(&mut self, now: Time) -> BTreeMap<u64, Duration> {
        let mut out = BTreeMap::new();
        for s in &mut self.traffic.services {
            for c in s.traffic.take_cpu(now) {
                let used = out.entry(c.id).or_insert(Duration::ZERO);
                *used = *used + c.since_last;
            }
        }
        out
    }
}
