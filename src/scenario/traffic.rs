//! The `serving` and `traffic` sections: how pods serve requests and what each Service is
//! offered. Checked against the manifests: every Service with traffic exists, and every
//! Deployment behind it has a serving profile.

use super::decode::Reader;
use super::diag::{Diagnostic, Span};
use super::load::decode_distribution_like_duration;
use super::refs::object_key;
use super::schema::{Expectation, Object, Scenario, TrafficEntry};
use super::yaml::{Node, Value};
use crate::engine::{Duration, Time};
use crate::traffic::{LoadBalancing, RateCurve, RatePoint, ServiceTime, ServingProfile};
use std::collections::BTreeMap;
use std::path::Path;

type R<T> = Result<T, Diagnostic>;

/// `serving: {DEPLOYMENT: {concurrency, serviceTime, cpuPerRequest, queueLimit, timeout, idleCpu}}`;
/// a Deployment outside `default` is written `namespace/name`.
pub fn decode_serving(r: Reader, node: &Node) -> R<(BTreeMap<String, ServingProfile>, BTreeMap<String, Span>)> {
    let mut out = BTreeMap::new();
    let mut spans = BTreeMap::new();
    let Value::Map(entries) = &node.value else {
        return Err(r
            .error(node.span, "serving must be a mapping from Deployment name to its profile")
            .with_hint("serving: {web: {concurrency: 4, serviceTime: {exponential: 20ms}}}"));
    };
    for (key, value) in entries {
        let deployment = super::refs::key_ref(r, &key.name, key.span, "serving")?;
        let mut f = r.fields(value, &format!("serving.{}", key.name))?;
        let concurrency = f.opt("concurrency").map(|n| r.count(n, "concurrency", 1_000_000)).transpose()?.unwrap_or(1);
        if concurrency == 0 {
            return Err(r
                .error(value.span, "concurrency 0 must be at least 1")
                .with_hint("the number of requests one pod works on at once"));
        }
        let service_time = service_time(r, f.req("serviceTime")?)?;
        let cpu_per_request = f.opt("cpuPerRequest").map(|n| r.duration(n, "cpuPerRequest")).transpose()?;
        let queue_limit =
            f.opt("queueLimit").map(|n| r.count(n, "queueLimit", u32::MAX as u64).map(|v| v as u32)).transpose()?;
        let timeout = f.opt("timeout").map(|n| r.duration(n, "timeout")).transpose()?;
        if timeout == Some(Duration::ZERO) {
            return Err(r
                .error(value.span, "timeout 0s must be positive")
                .with_hint("leave it out for clients that wait forever"));
        }
        let idle_cpu_millis = f.opt("idleCpu").map(|n| r.milli_quantity(n, "idleCpu")).transpose()?.unwrap_or(0);
        f.deny_unknown(&["concurrency", "serviceTime", "cpuPerRequest", "queueLimit", "timeout", "idleCpu"])?;
        out.insert(
            deployment.clone(),
            ServingProfile {
                concurrency: concurrency as u32,
                queue_limit,
                timeout,
                service_time,
                cpu_per_request,
                idle_cpu_millis,
            },
        );
        spans.insert(deployment, key.span);
    }
    Ok((out, spans))
}

/// `{exponential: 20ms}`, `{constant: 5ms}`, `{lognormal: {median, p99}}` or
/// `{empirical: FILE}` (one sample in ms per line, or a `ms` column).
fn service_time(r: Reader, node: &Node) -> R<ServiceTime> {
    let hint = "write {exponential: 20ms}, {constant: 5ms}, {lognormal: {median: 20ms, p99: 200ms}} or {empirical: samples.csv}";
    if let Some(file) = node.get("empirical") {
        let rel = r.string(file, "empirical")?;
        let path = r.file.parent().unwrap_or(Path::new(".")).join(&rel);
        let text = super::load::read_referenced(&path, r.file, file.span, "the samples file")?;
        return ServiceTime::empirical_from_csv(&text).map_err(|e| {
            Diagnostic::new(&path, Span { line: e.line as u32, col: e.column as u32 }, e.message.clone())
                .with_hint("one duration in milliseconds per line")
        });
    }
    let dist = decode_distribution_like_duration(r, node, "serviceTime")?;
    let st = match dist {
        super::schema::Distribution::Exponential { mean } if mean > Duration::ZERO => ServiceTime::exponential(mean),
        super::schema::Distribution::Constant(d) if d > Duration::ZERO => ServiceTime::constant(d),
        super::schema::Distribution::LogNormal { median, p99 } => {
            ServiceTime::lognormal(median, p99).map_err(|e| r.error(node.span, e.to_string()).with_hint(hint))?
        }
        _ => {
            return Err(r
                .error(
                    node.span,
                    "serviceTime must be a positive exponential, constant, lognormal or empirical distribution",
                )
                .with_hint(hint))
        }
    };
    Ok(st)
}

/// `traffic: [{service, loadBalancing, rate: [{at, rps}]} | {service, trace: FILE}]`.
pub fn decode_traffic(r: Reader, node: &Node, duration: Duration) -> R<Vec<(TrafficEntry, Span)>> {
    let mut out = Vec::new();
    for item in r.list(node, "traffic")? {
        let mut f = r.fields(item, "a traffic entry")?;
        let service_node = f.req("service")?;
        let service = super::refs::object_ref(r, service_node, "service")?;
        let balancing = match f.opt("loadBalancing") {
            Some(n) => {
                let name = r.string(n, "loadBalancing")?;
                LoadBalancing::from_name(&name).ok_or_else(|| {
                    r.error(n.span, format!("unknown loadBalancing {name:?}"))
                        .with_hint("use roundRobin (IPVS default), random (iptables), leastRequest or powerOfTwo")
                })?
            }
            None => LoadBalancing::Random,
        };
        let rate = match (f.opt("rate"), f.opt("trace")) {
            (Some(rate), None) => {
                let mut points = Vec::new();
                for p in r.list(rate, "rate")? {
                    let mut pf = r.fields(p, "a rate point")?;
                    let at_node = pf.req("at")?;
                    let at = r.duration(at_node, "at")?;
                    if at > duration {
                        return Err(r
                            .error(
                                at_node.span,
                                format!("rate point at {} is after the end of the run", at_node.describe()),
                            )
                            .with_hint("raise `duration` or drop the point"));
                    }
                    let rps_node = pf.req("rps")?;
                    let rps = r.float(rps_node, "rps")?;
                    if !(0.0..=1e9).contains(&rps) {
                        return Err(r
                            .error(rps_node.span, format!("rps {rps} is out of range"))
                            .with_hint("requests per second, 0 to 1e9"));
                    }
                    pf.deny_unknown(&["at", "rps"])?;
                    if points.last().is_some_and(|last: &RatePoint| last.at > Time::ZERO + at) {
                        return Err(r
                            .error(
                                at_node.span,
                                format!(
                                    "rate points must be in time order: {} comes after a later point",
                                    at_node.describe()
                                ),
                            )
                            .with_hint("sort the points by `at`"));
                    }
                    points.push(RatePoint { at: Time::ZERO + at, rps });
                }
                RateCurve::new(points)
                    .map_err(|e| r.error(rate.span, e.to_string()).with_hint("give at least one {at, rps} point"))?
            }
            (None, Some(trace)) => {
                let rel = r.string(trace, "trace")?;
                let path = r.file.parent().unwrap_or(Path::new(".")).join(&rel);
                let text = super::load::read_referenced(&path, r.file, trace.span, "the trace file")?;
                RateCurve::from_trace_csv(&text).map_err(|e| {
                    Diagnostic::new(&path, Span { line: e.line as u32, col: e.column as u32 }, e.message.clone())
                        .with_hint("a header naming a time and a rate column, e.g. t_seconds,rps or timestamp,value")
                })?
            }
            _ => {
                return Err(r
                    .error(item.span, "a traffic entry needs exactly one of `rate` or `trace`")
                    .with_hint("rate: [{at: 0s, rps: 100}] or trace: traces/web.csv"))
            }
        };
        f.deny_unknown(&["service", "loadBalancing", "rate", "trace"])?;
        out.push((TrafficEntry { service, balancing, rate }, service_node.span));
    }
    let expected = |e: &TrafficEntry| e.rate.expected_arrivals(Time::ZERO, Time::ZERO + duration);
    let total: f64 = out.iter().map(|(e, _)| expected(e)).sum();
    if total > MAX_REQUESTS_PER_RUN {
        let (_, span) = out.iter().max_by(|a, b| expected(&a.0).total_cmp(&expected(&b.0))).expect("total > 0");
        return Err(r
            .error(
                *span,
                format!(
                    "the traffic adds up to about {total:.2e} requests over the run, more than the {MAX_REQUESTS_PER_RUN:.0e} \
                     the simulator takes"
                ),
            )
            .with_hint(
                "every request is simulated (about 13 million a second of wall time); lower the rps or the duration",
            ));
    }
    Ok(out)
}

/// Requests one run may simulate (a few minutes of wall time at ~13 M requests/s).
const MAX_REQUESTS_PER_RUN: f64 = 2e9;

/// The keys of the Deployments whose pods a Service selects (those of its namespace).
pub fn deployments_behind<'a>(
    s: &'a Scenario,
    service: &'a super::schema::ServiceObject,
) -> impl Iterator<Item = String> + 'a {
    let selector = &service.selector;
    s.objects.iter().filter_map(move |o| match o {
        Object::Deployment(d)
            if d.namespace == service.namespace && !selector.is_empty() && selector.matches(&d.template.labels) =>
        {
            Some(object_key(o))
        }
        _ => None,
    })
}

/// "did you mean X?" when `name` is close to one of `known`, else `otherwise`.
fn closest_or(name: &str, known: &[&str], otherwise: String) -> String {
    if let Some(hint) = super::refs::elsewhere_hint(name, known) {
        return hint;
    }
    match super::suggest::closest(name, known) {
        Some(best) => format!("did you mean {best:?}?"),
        None => otherwise,
    }
}

/// Every Service with traffic exists and every Deployment behind it has a profile;
/// every `availability` and `latency` expectation names a Service that has traffic (a
/// Service without requests would pass on 0 of 0).
pub fn check_traffic(r: Reader, s: &Scenario, traffic_spans: &[Span], serving_spans: &BTreeMap<String, Span>) -> R<()> {
    let deployment_keys: Vec<String> =
        s.objects.iter().filter(|o| matches!(o, Object::Deployment(_))).map(object_key).collect();
    let deployments: Vec<&str> = deployment_keys.iter().map(String::as_str).collect();
    let service_keys: Vec<String> =
        s.objects.iter().filter(|o| matches!(o, Object::Service(_))).map(object_key).collect();
    let services: Vec<&str> = service_keys.iter().map(String::as_str).collect();
    let listing = |label: &str, names: &[&str]| {
        if names.is_empty() {
            format!("the manifests define no {label}")
        } else {
            format!("{label}: {}", names.iter().take(12).copied().collect::<Vec<_>>().join(", "))
        }
    };
    for (name, span) in serving_spans {
        if !deployments.contains(&name.as_str()) {
            return Err(r.error(*span, format!("serving names unknown deployment {name:?}")).with_hint(closest_or(
                name,
                &deployments,
                format!("serving is keyed by Deployment name; {}", listing("deployments", &deployments)),
            )));
        }
    }
    for (t, span) in s.traffic.iter().zip(traffic_spans) {
        let service = s.objects.iter().find_map(|o| match o {
            Object::Service(svc) if object_key(o) == t.service => Some(svc),
            _ => None,
        });
        let Some(service) = service else {
            let hint = closest_or(
                &t.service,
                &services,
                "add the Service to the manifests (kubectl create service clusterip ...)".to_string(),
            );
            return Err(r.error(*span, format!("traffic names unknown Service {:?}", t.service)).with_hint(hint));
        };
        for d in deployments_behind(s, service) {
            if !s.serving.contains_key(&d) {
                return Err(r
                    .error(
                        *span,
                        format!(
                            "Service {:?} sends traffic to Deployment {d:?}, which has no serving profile",
                            t.service
                        ),
                    )
                    .with_hint(format!(
                        "add serving: {{{d}: {{concurrency: 4, serviceTime: {{exponential: 20ms}}}}}}"
                    )));
            }
        }
    }
    for (e, span) in &s.expect {
        let (kind, service) = match e {
            Expectation::Availability { service, .. } => ("availability", service),
            Expectation::Latency { service, .. } => ("latency", service),
            _ => continue,
        };
        let offered: Vec<&str> = s.traffic.iter().map(|t| t.service.as_str()).collect();
        if offered.contains(&service.as_str()) {
            continue;
        }
        let message = if services.contains(&service.as_str()) {
            format!("{kind} names Service {service:?}, which has no traffic")
        } else {
            format!("{kind} names unknown Service {service:?}")
        };
        let elsewhere = super::refs::elsewhere_hint(service, &offered);
        let hint = match super::suggest::closest(service, &offered) {
            _ if elsewhere.is_some() => elsewhere.unwrap_or_default(),
            Some(best) if best != service => format!("did you mean {best:?}?"),
            _ if offered.is_empty() => format!(
                "{kind} is measured on the requests of a `traffic:` entry; add e.g. \
                 traffic: [{{service: {service}, rate: [{{at: 0s, rps: 100}}]}}]"
            ),
            _ => format!(
                "{kind} is measured on the requests of a `traffic:` entry; {}",
                listing("Services with traffic", &offered)
            ),
        };
        return Err(r.error(*span, message).with_hint(hint));
    }
    Ok(())
}
