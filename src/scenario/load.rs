//! Loading a scenario file: YAML -> located tree -> `--set` overrides -> typed, checked
//! [`Scenario`] with every default filled in.

use super::decode::{Fields, Reader};
use super::diag::{Diagnostic, Span, Warnings};
use super::input::{read_input, MAX_INPUT_BYTES};
use super::manifest::{capacity, decode_list, decode_object, list_kind, taints};
use super::overrides::apply_override;
use super::refs::{object_key, object_namespace, object_ref};
use super::schema::*;
use super::yaml::{parse_documents, Node, Value};
use crate::engine::Duration;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

type R<T> = Result<T, Diagnostic>;

/// A loaded scenario and the warnings met on the way.
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Warnings,
}

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration",
    "start",
    "cluster",
    "controlPlane",
    "manifests",
    "serving",
    "running",
    "traffic",
    "faults",
    "timeline",
    "expect",
];
/// Top-level sections of the contract that this build does not run yet.
const NOT_YET: &[(&str, &str)] = &[];
/// Past the largest cluster reported (GKE, 130,000 nodes), with room to spare.
const MAX_NODES_PER_POOL: u64 = 250_000;
/// A year of virtual time is far past any sensible scenario.
const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);

/// Reads and checks `path`, applying `overrides` (`PATH=VALUE`) first.
pub fn load_scenario(path: &Path, overrides: &[String]) -> R<Loaded> {
    let text = read_input(path, MAX_INPUT_BYTES).map_err(|e| e.diagnostic(path, None, "the scenario file"))?;
    load_scenario_text(&text, path, overrides)
}

/// Loads a scenario from its text; `path` names it in messages and its folder is where
/// relative paths start (`Path::new("<stdin>")`: the working folder).
pub fn load_scenario_text(text: &str, path: &Path, overrides: &[String]) -> R<Loaded> {
    let mut docs = parse_documents(text, path)?;
    if docs.is_empty() {
        return Err(Diagnostic::new(path, Span::WHOLE_FILE, "the scenario file is empty")
            .with_hint("a scenario needs at least `name`, `duration` and `cluster`"));
    }
    if docs.len() != 1 {
        return Err(Diagnostic::new(
            path,
            docs.get(1).map_or(Span { line: 1, col: 1 }, |d| d.span),
            "a scenario file holds exactly one YAML document",
        )
        .with_hint("put Kubernetes manifests in their own files and list them under `manifests:`"));
    }
    let mut root = docs.remove(0);
    for (i, o) in overrides.iter().enumerate() {
        apply_override(&mut root, o, i, path)?;
    }
    let mut warnings = Warnings::default();
    let scalars = std::cell::RefCell::new(super::scalars::ScalarRegistry::default());
    let scenario = decode_scenario(Reader { file: path, scalars: &scalars }, &root, &mut warnings)?;
    warnings.finish();
    Ok(Loaded { scenario, warnings })
}

/// Reads a file the scenario names (`referrer` at `span` is the value naming it).
pub(super) fn read_referenced(path: &Path, referrer: &Path, span: Span, what: &str) -> R<String> {
    read_input(path, MAX_INPUT_BYTES).map_err(|e| e.diagnostic(path, Some((referrer, span)), what))
}

fn decode_scenario(r: Reader, root: &Node, warnings: &mut Warnings) -> R<Scenario> {
    let mut f = r.fields(root, "the scenario")?;
    for (key, why) in NOT_YET {
        if let Some(n) = f.opt(key) {
            return Err(r
                .error(n.span, format!("`{key}` is part of the scenario format but this build does not run it yet"))
                .with_hint(format!("{why}; remove the section to run the rest of the scenario")));
        }
    }
    let name_node = f.req("name")?;
    let name = r.string(name_node, "name")?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(r
            .error(name_node.span, format!("scenario name {name:?} must match [a-z0-9-]+"))
            .with_hint("it names the report folder: use lowercase letters, digits and '-'"));
    }
    let description = f.opt("description").map(|n| r.string(n, "description")).transpose()?.unwrap_or_default();
    let seed = f.opt("seed").map(|n| r.count(n, "seed", u64::MAX)).transpose()?.unwrap_or(1);
    let duration_node = f.req("duration")?;
    let duration = r.duration(duration_node, "duration")?;
    if duration == Duration::ZERO || duration > MAX_DURATION {
        return Err(r
            .error(duration_node.span, format!("duration {} is out of range", duration_node.describe()))
            .with_hint("use a positive horizon of at most a year, e.g. 15m"));
    }
    let (cluster, pool_spans) = decode_cluster(r, f.req("cluster")?, warnings)?;
    let control_plane = match f.opt("controlPlane") {
        Some(n) => decode_control_plane(r, n)?,
        None => ControlPlane::default(),
    };
    let mut objects = Vec::new();
    let mut object_spans = Vec::new();
    if let Some(list) = f.opt("manifests") {
        for item in r.list(list, "manifests")? {
            decode_manifest_entry(r, item, &mut objects, &mut object_spans, warnings)?;
        }
    }
    let timeline = match f.opt("timeline") {
        Some(n) => decode_timeline(r, n, duration, &objects, warnings)?,
        None => Vec::new(),
    };
    let faults = match f.opt("faults") {
        Some(n) => super::ops::decode_faults(r, n, &cluster, &objects, duration)?,
        None => Vec::new(),
    };
    let expect = match f.opt("expect") {
        Some(n) => decode_expectations(r, n, duration)?,
        None => Vec::new(),
    };
    let (serving, serving_spans) = match f.opt("serving") {
        Some(n) => super::traffic::decode_serving(r, n)?,
        None => Default::default(),
    };
    let start_unix = super::jobs::decode_start(r, f.opt("start"))?;
    let (running, running_spans) = match f.opt("running") {
        Some(n) => super::jobs::decode_running(r, n)?,
        None => Default::default(),
    };
    let (traffic, traffic_spans): (Vec<_>, Vec<_>) = match f.opt("traffic") {
        Some(n) => super::traffic::decode_traffic(r, n, duration)?.into_iter().unzip(),
        None => Default::default(),
    };
    f.deny_unknown(TOP_KEYS)?;
    let scalars = r.scalars.borrow();
    scalars.warn_unoffered(warnings);
    let scenario = Scenario {
        name,
        description,
        seed,
        duration,
        source: r.file.to_path_buf(),
        cluster,
        control_plane,
        objects,
        timeline,
        expect,
        serving,
        traffic,
        faults,
        scalar_names: scalars.names.clone(),
        start_unix,
        running,
    };
    check_size(r, &scenario, &pool_spans, &object_spans)?;
    check_names(r, &scenario, &object_spans)?;
    super::traffic::check_traffic(r, &scenario, &traffic_spans, &serving_spans)?;
    check_priority_classes(r, &scenario, &object_spans)?;
    super::jobs::check_jobs(r, &scenario, &running_spans, &object_spans, warnings)?;
    Ok(scenario)
}

/// The cluster, and where each pool was written.
fn decode_cluster(r: Reader, node: &Node, warnings: &mut Warnings) -> R<(ClusterSpec, Vec<Span>)> {
    let mut f = r.fields(node, "cluster")?;
    let masters_node = f.opt("masters");
    let masters = masters_node.map(|n| r.count(n, "cluster.masters", 99)).transpose()?.unwrap_or(1) as u32;
    if masters == 0 {
        return Err(r
            .error(masters_node.map_or(node.span, |n| n.span), "cluster.masters 0 must be at least 1")
            .with_hint("a cluster needs a control plane; 3 masters is the usual HA setup"));
    }
    let mut node_pools: Vec<NodePool> = Vec::new();
    let mut spans = Vec::new();
    if let Some(list) = f.opt("nodePools") {
        for item in r.list(list, "nodePools")? {
            spans.push(item.span);
            let pool = decode_pool(r, item, warnings)?;
            if node_pools.iter().any(|p| p.name == pool.name) {
                return Err(r
                    .error(item.span, format!("node pool {:?} is defined twice", pool.name))
                    .with_hint("pool names must be unique"));
            }
            node_pools.push(pool);
        }
    }
    f.deny_unknown(&["masters", "nodePools"])?;
    Ok((ClusterSpec { masters, node_pools }, spans))
}

fn decode_pool(r: Reader, node: &Node, warnings: &mut Warnings) -> R<NodePool> {
    let mut f = r.fields(node, "a node pool")?;
    let name = r.name(f.req("name")?, "pool name")?;
    let count = f.opt("count").map(|n| r.count(n, "count", MAX_NODES_PER_POOL)).transpose()?.unwrap_or(0) as u32;
    let (capacity, scalar_capacity) = capacity(r, f.req("capacity")?, "capacity")?;
    let labels = f.opt("labels").map(|n| r.string_map(n, "labels")).transpose()?.unwrap_or_default();
    let taints = f.opt("taints").map(|n| taints(r, n)).transpose()?.unwrap_or_default();
    let cost_per_hour = f.opt("costPerHour").map(|n| r.float(n, "costPerHour")).transpose()?.unwrap_or(0.0);
    if cost_per_hour < 0.0 {
        return Err(r
            .error(node.span, format!("costPerHour {cost_per_hour} must not be negative"))
            .with_hint("write the hourly price of one node, e.g. 0.38"));
    }
    let autoscaling = f.opt("autoscaling").map(|n| pool_limits(r, n, count)).transpose()?;
    let provisioning_delay = match f.opt("provisioningDelay") {
        Some(n) => decode_distribution(r, n, "provisioningDelay")?,
        None => Distribution::Constant(DEFAULT_PROVISIONING_DELAY),
    };
    if autoscaling.is_none() {
        if let Some(n) = f.opt("provisioningDelay") {
            warnings.push(
                r.error(n.span, "provisioningDelay only matters for a pool with `autoscaling`")
                    .with_hint("add autoscaling: {min: 0, max: 10} to let the Cluster Autoscaler grow this pool"),
            );
        }
    }
    f.deny_unknown(&[
        "name",
        "count",
        "capacity",
        "labels",
        "taints",
        "autoscaling",
        "provisioningDelay",
        "costPerHour",
    ])?;
    Ok(NodePool {
        name,
        count,
        capacity,
        scalar_capacity,
        labels,
        taints,
        cost_per_hour,
        autoscaling,
        provisioning_delay,
    })
}

/// A typical cloud VM's boot and kubelet join when the scenario gives none.
const DEFAULT_PROVISIONING_DELAY: Duration = Duration::from_secs(90);

/// `autoscaling: {min, max}`: min <= max, and the pool's initial count within them.
fn pool_limits(r: Reader, node: &Node, count: u32) -> R<PoolLimits> {
    let mut f = r.fields(node, "autoscaling")?;
    let min = f.opt("min").map(|n| r.count(n, "autoscaling.min", MAX_NODES_PER_POOL)).transpose()?.unwrap_or(0) as u32;
    let max_node = f.req("max")?;
    let max = r.count(max_node, "autoscaling.max", MAX_NODES_PER_POOL)? as u32;
    f.deny_unknown(&["min", "max"])?;
    if max == 0 || min > max {
        return Err(r
            .error(max_node.span, format!("autoscaling.max {max} must be at least 1 and at least min ({min})"))
            .with_hint("e.g. autoscaling: {min: 0, max: 50}"));
    }
    if count < min || count > max {
        return Err(r
            .error(
                node.span,
                format!("the pool starts with {count} nodes, outside autoscaling {{min: {min}, max: {max}}}"),
            )
            .with_hint("set count within [min, max]"));
    }
    Ok(PoolLimits { min, max })
}

fn decode_control_plane(r: Reader, node: &Node) -> R<ControlPlane> {
    let mut cp = ControlPlane::default();
    let mut f = r.fields(node, "controlPlane")?;
    let positive = |f: &mut Fields, key: &str, slot: &mut Duration| -> R<()> {
        if let Some(n) = f.opt(key) {
            let d = r.duration(n, key)?;
            if d == Duration::ZERO {
                return Err(r.error(n.span, format!("{key} {} must be positive", n.describe())).with_hint("e.g. 5s"));
            }
            *slot = d;
        }
        Ok(())
    };
    positive(&mut f, "nodeMonitorGracePeriod", &mut cp.node_monitor_grace_period)?;
    positive(&mut f, "nodeStartupGracePeriod", &mut cp.node_startup_grace_period)?;
    for (key, slot) in [
        ("nodeMonitorPeriod", &mut cp.node_monitor_period),
        ("nodeStatusUpdateFrequency", &mut cp.node_status_update_frequency),
        ("hpaSyncPeriod", &mut cp.hpa_sync_period),
    ] {
        if let Some(n) = f.opt(key) {
            *slot = control_loop_period(r, n, key)?;
        }
    }
    if let Some(n) = f.opt("nodeEvictionRate") {
        cp.node_eviction_rate = r.float(n, "nodeEvictionRate")?;
        if cp.node_eviction_rate <= 0.0 {
            return Err(r
                .error(n.span, format!("nodeEvictionRate {} must be positive", n.describe()))
                .with_hint("the default is 0.1 nodes per second"));
        }
    }
    if let Some(n) = f.opt("notReadyTolerationSeconds") {
        cp.not_ready_toleration_seconds = r.count(n, "notReadyTolerationSeconds", 10 * 365 * 86_400)?;
    }
    if let Some(n) = f.opt("unreachableTolerationSeconds") {
        cp.unreachable_toleration_seconds = r.count(n, "unreachableTolerationSeconds", 10 * 365 * 86_400)?;
    }
    if let Some(n) = f.opt("scheduler") {
        cp.scheduler = decode_scheduler(r, n)?;
    }
    if let Some(n) = f.opt("podStartup") {
        cp.pod_startup = decode_distribution(r, n, "podStartup")?;
    }
    if let Some(n) = f.opt("podShutdown") {
        cp.pod_shutdown = decode_distribution(r, n, "podShutdown")?;
    }
    if let Some(n) = f.opt("clusterAutoscaler") {
        cp.cluster_autoscaler = decode_cluster_autoscaler(r, n)?;
    }
    f.deny_unknown(&[
        "nodeMonitorGracePeriod",
        "nodeMonitorPeriod",
        "nodeStartupGracePeriod",
        "nodeStatusUpdateFrequency",
        "nodeEvictionRate",
        "notReadyTolerationSeconds",
        "unreachableTolerationSeconds",
        "hpaSyncPeriod",
        "scheduler",
        "podStartup",
        "podShutdown",
        "clusterAutoscaler",
    ])?;
    Ok(cp)
}

/// Shortest period of a controller loop: upstream's defaults are 5-15 s, and a loop of
/// microseconds would keep a run busy for hours of wall time without telling anything new.
const MIN_CONTROL_LOOP_PERIOD: Duration = Duration::from_secs(1);

/// The period of a controller loop (monitor pass, heartbeat, HPA sync, autoscaler scan).
fn control_loop_period(r: Reader, n: &Node, key: &str) -> R<Duration> {
    let d = r.duration(n, key)?;
    if d < MIN_CONTROL_LOOP_PERIOD {
        return Err(r
            .error(n.span, format!("{key} {} is shorter than 1s", n.describe()))
            .with_hint("controller loops run every few seconds (upstream: 5s to 15s); use at least 1s"));
    }
    Ok(d)
}

fn decode_cluster_autoscaler(r: Reader, node: &Node) -> R<ClusterAutoscalerConfig> {
    let mut ca = ClusterAutoscalerConfig::default();
    let mut f = r.fields(node, "controlPlane.clusterAutoscaler")?;
    if let Some(n) = f.opt("scanInterval") {
        ca.scan_interval = control_loop_period(r, n, "scanInterval")?;
    }
    for (key, slot) in [
        ("scaleDownUnneededTime", &mut ca.scale_down_unneeded_time),
        ("scaleDownUnreadyTime", &mut ca.scale_down_unready_time),
        ("scaleDownDelayAfterAdd", &mut ca.scale_down_delay_after_add),
        ("maxNodeProvisionTime", &mut ca.max_node_provision_time),
    ] {
        if let Some(n) = f.opt(key) {
            let d = r.duration(n, key)?;
            if d == Duration::ZERO && key == "maxNodeProvisionTime" {
                return Err(r.error(n.span, format!("{key} {} must be positive", n.describe())).with_hint("e.g. 10s"));
            }
            *slot = d;
        }
    }
    if let Some(n) = f.opt("expander") {
        ca.expander = match r.string(n, "clusterAutoscaler.expander")?.as_str() {
            "random" => Expander::Random,
            "least-waste" => Expander::LeastWaste,
            "most-pods" => Expander::MostPods,
            "priority" => Expander::Priority,
            other => {
                let hint = did_you_mean(other, Expander::NAMES.into_iter(), "expanders");
                return Err(r
                    .error(n.span, format!("unknown expander {other:?}"))
                    .with_hint(format!("{hint} (expanders: {})", Expander::NAMES.join(", "))));
            }
        };
    }
    for (key, slot, milli) in [("coresTotal", &mut ca.cpu_total, true), ("memoryTotal", &mut ca.memory_total, false)] {
        if let Some(n) = f.opt(key) {
            *slot = resource_range(r, n, key, milli, *slot)?;
        }
    }
    if let Some(n) = f.opt("maxNodesTotal") {
        ca.max_nodes_total = r.count(n, "maxNodesTotal", 1_000_000)? as u32;
    }
    if let Some(n) = f.opt("scaleDownUtilizationThreshold") {
        let t = r.float(n, "scaleDownUtilizationThreshold")?;
        if !(0.0..=1.0).contains(&t) {
            return Err(r
                .error(n.span, format!("scaleDownUtilizationThreshold {t} is outside 0..1"))
                .with_hint("a fraction of the node's allocatable, e.g. 0.5"));
        }
        ca.scale_down_utilization_threshold = t;
    }
    f.deny_unknown(&[
        "scanInterval",
        "expander",
        "scaleDownUnneededTime",
        "scaleDownUnreadyTime",
        "scaleDownDelayAfterAdd",
        "scaleDownUtilizationThreshold",
        "maxNodeProvisionTime",
        "maxNodesTotal",
        "coresTotal",
        "memoryTotal",
    ])?;
    Ok(ca)
}

/// `{min, max}` as Kubernetes quantities (cpu in millicores when `milli`); either may be
/// left out to keep `default`'s.
fn resource_range(r: Reader, node: &Node, key: &str, milli: bool, default: ResourceRange) -> R<ResourceRange> {
    let mut f = r.fields(node, key)?;
    let read = |n: &Node, what: &str| if milli { r.milli_quantity(n, what) } else { r.unit_quantity(n, what) };
    let min = f.opt("min").map(|n| read(n, "min")).transpose()?.unwrap_or(default.min);
    let max = f.opt("max").map(|n| read(n, "max")).transpose()?.unwrap_or(default.max);
    f.deny_unknown(&["min", "max"])?;
    if min > max {
        return Err(r.error(node.span, format!("{key} min is above its max")).with_hint(if milli {
            "e.g. coresTotal: {min: 8, max: 400}"
        } else {
            "e.g. memoryTotal: {min: 32Gi, max: 2Ti}"
        }));
    }
    Ok(ResourceRange { min, max })
}

fn decode_scheduler(r: Reader, node: &Node) -> R<SchedulerConfig> {
    let mut cfg = SchedulerConfig::default();
    let mut f = r.fields(node, "controlPlane.scheduler")?;
    if let Some(n) = f.opt("policy") {
        cfg.policy = match r.string(n, "scheduler.policy")?.as_str() {
            "default" => SchedulerPolicy::Default,
            "binpack" => SchedulerPolicy::Binpack,
            "spread" => SchedulerPolicy::Spread,
            "random" => SchedulerPolicy::Random,
            "roundRobin" => SchedulerPolicy::RoundRobin,
            other => {
                let hint = did_you_mean(other, SchedulerPolicy::NAMES.into_iter(), "policies");
                return Err(r
                    .error(n.span, format!("unknown scheduler policy {other:?}"))
                    .with_hint(format!("{hint} (policies: {})", SchedulerPolicy::NAMES.join(", "))));
            }
        };
    }
    if let Some(n) = f.opt("percentageOfNodesToScore") {
        cfg.percentage_of_nodes_to_score = r.count(n, "percentageOfNodesToScore", 100)? as u32;
    }
    if let Some(n) = f.opt("profile") {
        let (overrides, points) = decode_profile(r, n)?;
        cfg.overrides = overrides;
        // A plugin whose Filter/Score reads its PreFilter/PreScore state must keep them.
        if let Err(p) = crate::control::scheduler::check_profile(&cfg) {
            let span = points.iter().find(|(k, _)| *k == p.point).map_or(n.span, |(_, s)| *s);
            return Err(r.error(span, p.message).with_hint(p.hint));
        }
    }
    f.deny_unknown(&["policy", "percentageOfNodesToScore", "profile"])?;
    Ok(cfg)
}

/// One KubeSchedulerConfiguration profile's `plugins` and `pluginConfig`, applied on top
/// of the policy. Upstream: pkg/scheduler/apis/config/v1 (KubeSchedulerProfile).
fn decode_profile(r: Reader, node: &Node) -> R<(ProfileOverrides, Vec<(&'static str, Span)>)> {
    let mut out = ProfileOverrides::default();
    let mut f = r.fields(node, "scheduler.profile")?;
    let plugin_name = |n: &Node, known: &[&str], star: bool| -> R<String> {
        let name = r.string(n, "plugin name")?;
        if (star && name == "*") || known.contains(&name.as_str()) {
            Ok(name)
        } else {
            Err(r.error(n.span, format!("unknown plugin {name:?}")).with_hint(did_you_mean(
                &name,
                known.iter().copied(),
                "plugins",
            )))
        }
    };
    let mut points = Vec::new();
    if let Some(plugins) = f.opt("plugins") {
        let mut pf = r.fields(plugins, "profile.plugins")?;
        for (key, known) in EXTENSION_POINTS {
            let Some(point) = pf.opt(key) else { continue };
            points.push((key, point.span));
            let mut sf = r.fields(point, &format!("plugins.{key}"))?;
            let set = out.point_mut(key);
            if let Some(list) = sf.opt("enabled") {
                for item in r.list(list, "enabled")? {
                    let mut e = r.fields(item, "an enabled plugin")?;
                    let name_node = e.req("name")?;
                    let name = r.string(name_node, "plugin name")?;
                    if !known.contains(&name.as_str()) {
                        // Upstream: runtime/framework.go ("plugin %q does not extend %s plugin").
                        let hint = if name == "*" {
                            "\"*\" is for disabled lists only".to_string()
                        } else if FILTER_PLUGINS.contains(&name.as_str()) || SCORE_PLUGINS.contains(&name.as_str()) {
                            format!("{key} plugins: {}", known.join(", "))
                        } else {
                            did_you_mean(&name, known.iter().copied(), "plugins")
                        };
                        return Err(r
                            .error(name_node.span, format!("plugin {name:?} does not extend {key}"))
                            .with_hint(hint));
                    }
                    let weight = if key == "score" {
                        e.opt("weight").map(|w| r.count(w, "weight", 100).map(|w| w as i64)).transpose()?
                    } else {
                        None
                    };
                    e.deny_unknown(if key == "score" { &["name", "weight"] } else { &["name"] })?;
                    set.enabled.push((name, weight));
                }
            }
            if let Some(list) = sf.opt("disabled") {
                for item in r.list(list, "disabled")? {
                    let mut e = r.fields(item, "a disabled plugin")?;
                    set.disabled.push(plugin_name(e.req("name")?, known, true)?);
                    e.deny_unknown(&["name"])?;
                }
            }
            sf.deny_unknown(&["enabled", "disabled"])?;
        }
        pf.deny_unknown(&EXTENSION_POINTS.map(|(k, _)| k))?;
    }
    if let Some(list) = f.opt("pluginConfig") {
        for item in r.list(list, "pluginConfig")? {
            let mut c = r.fields(item, "a pluginConfig entry")?;
            let name_node = c.req("name")?;
            let name = plugin_name(name_node, &["NodeResourcesFit", "PodTopologySpread"], false)?;
            let args = c.req("args")?;
            c.deny_unknown(&["name", "args"])?;
            let mut af = r.fields(args, "args")?;
            if name == "NodeResourcesFit" {
                if let Some(strategy) = af.opt("scoringStrategy") {
                    out.fit_strategy = Some(decode_fit_strategy(r, strategy)?);
                }
                af.deny_unknown(&["scoringStrategy"])?;
            } else {
                let defaulting = af.opt("defaultingType").map(|n| r.string(n, "defaultingType")).transpose()?;
                let constraints = match af.opt("defaultConstraints") {
                    Some(n) => r
                        .list(n, "defaultConstraints")?
                        .iter()
                        .map(|c| super::manifest::spread_constraint(r, c))
                        .collect::<R<Vec<_>>>()?,
                    None => Vec::new(),
                };
                out.spread_defaults = Some(match defaulting.as_deref() {
                    None | Some("System") if constraints.is_empty() => None,
                    Some("List") | None => Some(constraints),
                    Some(other) => {
                        return Err(r
                            .error(args.span, format!("defaultingType {other:?} does not fit these defaultConstraints"))
                            .with_hint("use List with defaultConstraints, or System without"))
                    }
                });
                af.deny_unknown(&["defaultingType", "defaultConstraints"])?;
            }
        }
    }
    f.deny_unknown(&["plugins", "pluginConfig"])?;
    Ok((out, points))
}

/// The extension points a profile's `plugins` may configure, with the plugins each has.
const EXTENSION_POINTS: [(&str, &[&str]); 5] = [
    ("preFilter", PRE_FILTER_PLUGINS),
    ("filter", FILTER_PLUGINS),
    ("postFilter", POST_FILTER_PLUGINS),
    ("preScore", PRE_SCORE_PLUGINS),
    ("score", SCORE_PLUGINS),
];

/// Upstream: pkg/scheduler/apis/config/validation (resources weights 1..100; shape points
/// utilization 0..100 ascending, score 0..10).
fn decode_fit_strategy(r: Reader, node: &Node) -> R<FitStrategyConfig> {
    let mut f = r.fields(node, "scoringStrategy")?;
    let kind_node = f.opt("type");
    let kind = kind_node.map(|n| r.string(n, "type")).transpose()?.unwrap_or_else(|| "LeastAllocated".into());
    if !["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"].contains(&kind.as_str()) {
        return Err(r
            .error(kind_node.map_or(node.span, |n| n.span), format!("unknown scoringStrategy type {kind:?}"))
            .with_hint("use LeastAllocated, MostAllocated or RequestedToCapacityRatio"));
    }
    let mut cfg = FitStrategyConfig { kind, cpu_weight: 1, memory_weight: 1, shape: Vec::new() };
    if let Some(list) = f.opt("resources") {
        cfg.cpu_weight = 0;
        cfg.memory_weight = 0;
        for item in r.list(list, "resources")? {
            let mut rf = r.fields(item, "a resource")?;
            let name_node = rf.req("name")?;
            let weight_node = rf.opt("weight");
            let weight = weight_node.map(|n| r.count(n, "weight", 100)).transpose()?.unwrap_or(1) as i64;
            if weight == 0 {
                return Err(r
                    .error(weight_node.map_or(item.span, |n| n.span), "resource weight 0 must be 1..100")
                    .with_hint("leave the resource out instead"));
            }
            match r.string(name_node, "resource name")?.as_str() {
                "cpu" => cfg.cpu_weight = weight,
                "memory" => cfg.memory_weight = weight,
                other => {
                    return Err(r
                        .error(name_node.span, format!("resource {other:?} is not modelled"))
                        .with_hint("use cpu and memory"))
                }
            }
            rf.deny_unknown(&["name", "weight"])?;
        }
    }
    if let Some(ratio) = f.opt("requestedToCapacityRatio") {
        let mut rf = r.fields(ratio, "requestedToCapacityRatio")?;
        for item in r.list(rf.req("shape")?, "shape")? {
            let mut pf = r.fields(item, "a shape point")?;
            let u = r.count(pf.req("utilization")?, "utilization", 100)? as i64;
            let score_node = pf.req("score")?;
            let sc = r.count(score_node, "score", 10)? as i64;
            pf.deny_unknown(&["utilization", "score"])?;
            if let Some((last, _)) = cfg.shape.last().filter(|(last, _)| *last >= u) {
                return Err(r
                    .error(item.span, format!("shape utilizations must increase: {u} after {last}"))
                    .with_hint("list points in ascending utilization"));
            }
            cfg.shape.push((u, sc));
        }
        rf.deny_unknown(&["shape"])?;
    }
    if cfg.kind == "RequestedToCapacityRatio" && cfg.shape.is_empty() {
        return Err(r
            .error(node.span, "RequestedToCapacityRatio needs requestedToCapacityRatio.shape")
            .with_hint("e.g. shape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]"));
    }
    f.deny_unknown(&["type", "resources", "requestedToCapacityRatio"])?;
    Ok(cfg)
}

/// Like [`decode_distribution`] (used by `serviceTime`).
pub fn decode_distribution_like_duration(r: Reader, node: &Node, what: &str) -> R<Distribution> {
    decode_distribution(r, node, what)
}

/// A duration (`2s`) or one of `{constant}`, `{exponential}`, `{lognormal: {median, p99}}`,
/// `{uniform: {min, max}}`.
pub fn decode_distribution(r: Reader, node: &Node, what: &str) -> R<Distribution> {
    if !matches!(node.value, Value::Map(_)) {
        return Ok(Distribution::Constant(r.duration(node, what)?));
    }
    let mut f = r.fields(node, what)?;
    let dist = if let Some(n) = f.opt("constant") {
        Distribution::Constant(r.duration(n, "constant")?)
    } else if let Some(n) = f.opt("exponential") {
        Distribution::Exponential { mean: r.duration(n, "exponential mean")? }
    } else if let Some(n) = f.opt("lognormal") {
        let mut lf = r.fields(n, "lognormal")?;
        let median = r.duration(lf.req("median")?, "median")?;
        let p99 = r.duration(lf.req("p99")?, "p99")?;
        lf.deny_unknown(&["median", "p99"])?;
        if median == Duration::ZERO || p99 < median {
            let (m, p) = (fmt_duration(median), fmt_duration(p99));
            return Err(r
                .error(n.span, format!("lognormal needs 0 < median <= p99, found median {m}, p99 {p}"))
                .with_hint("e.g. {median: 5s, p99: 90s}"));
        }
        Distribution::LogNormal { median, p99 }
    } else if let Some(n) = f.opt("uniform") {
        let mut uf = r.fields(n, "uniform")?;
        let min = r.duration(uf.req("min")?, "min")?;
        let max = r.duration(uf.req("max")?, "max")?;
        uf.deny_unknown(&["min", "max"])?;
        if max < min {
            let (lo, hi) = (fmt_duration(min), fmt_duration(max));
            return Err(r
                .error(n.span, format!("uniform needs min <= max, found min {lo}, max {hi}"))
                .with_hint("e.g. {min: 1s, max: 5s}"));
        }
        Distribution::Uniform { min, max }
    } else {
        return Err(r.error(node.span, format!("{what} must be a duration or a distribution")).with_hint(
            "write e.g. 2s, {exponential: 2s}, {lognormal: {median: 5s, p99: 90s}} or {uniform: {min: 1s, max: 5s}}",
        ));
    };
    f.deny_unknown(&["constant", "exponential", "lognormal", "uniform"])?;
    Ok(dist)
}

fn decode_manifest_entry(
    r: Reader,
    item: &Node,
    objects: &mut Vec<Object>,
    spans: &mut Vec<(PathBuf, Span)>,
    warnings: &mut Warnings,
) -> R<()> {
    let mut f = r.fields(item, "a manifests entry")?;
    let file = f.opt("file");
    let inline = f.opt("inline");
    f.deny_unknown(&["file", "inline"])?;
    match (file, inline) {
        (Some(file_node), None) => {
            let rel = r.string(file_node, "file")?;
            let path = r.file.parent().unwrap_or(Path::new(".")).join(&rel);
            let text = read_referenced(&path, r.file, file_node.span, "the manifest file")?;
            let sub = Reader { file: &path, ..r };
            for doc in parse_documents(&text, &path)? {
                if doc.value == Value::Null {
                    continue;
                }
                push_object(sub, &doc, objects, spans, warnings)?;
            }
            Ok(())
        }
        (None, Some(doc)) => push_object(r, doc, objects, spans, warnings),
        _ => Err(r
            .error(item.span, "a manifests entry needs exactly one of `file` or `inline`")
            .with_hint("write `- file: manifests/web.yaml` or `- inline: {apiVersion: v1, kind: Service, ...}`")),
    }
}

fn push_object(
    r: Reader,
    doc: &Node,
    objects: &mut Vec<Object>,
    spans: &mut Vec<(PathBuf, Span)>,
    warnings: &mut Warnings,
) -> R<()> {
    if let Value::Seq(_) = doc.value {
        return Err(r
            .error(doc.span, "a manifest document must be one object, not a list")
            .with_hint("separate objects with `---`, or write a `kind: List` with the objects under `items:`"));
    }
    let Some(list) = decode_list(r, doc, warnings)? else {
        return push_item(r, doc, None, objects, spans, warnings);
    };
    for item in list.items {
        if let Value::Seq(_) = item.value {
            return Err(r
                .error(item.span, "a List item must be one object, not a list")
                .with_hint("write each object as its own `- apiVersion: ...` entry under `items:`"));
        }
        if let Some(inner) = list_kind(item) {
            return Err(r.error(item.span, format!("a {inner} inside a List is not valid Kubernetes")).with_hint(
                "move its items into the outer list's `items:`, or make it a document of its own after `---`",
            ));
        }
        push_item(r, item, list.item_type.as_ref(), objects, spans, warnings)?;
    }
    Ok(())
}

/// One object (a document, or an item of a List: each keeps its own location).
fn push_item(
    r: Reader,
    doc: &Node,
    inherited: Option<&(String, String)>,
    objects: &mut Vec<Object>,
    spans: &mut Vec<(PathBuf, Span)>,
    warnings: &mut Warnings,
) -> R<()> {
    if let Some(object) = decode_object(r, doc, inherited, warnings)? {
        // (kind, namespace, name) is an object's identity.
        let (kind, name) = object_kind_name(&object);
        let namespace = object_namespace(&object);
        if let Some(i) =
            objects.iter().position(|o| object_kind_name(o) == (kind, name) && object_namespace(o) == namespace)
        {
            let name = object_key(&object);
            return Err(r.error(doc.span, format!("{kind} {name:?} is defined twice")).with_hint(format!(
                "the first is at {}:{}",
                spans[i].0.display(),
                spans[i].1.line
            )));
        }
        objects.push(object);
        spans.push((r.file.to_path_buf(), doc.span));
    }
    Ok(())
}

/// The kind and name of a manifest object.
pub fn object_kind_name(o: &Object) -> (&'static str, &str) {
    match o {
        Object::Deployment(d) => ("Deployment", &d.name),
        Object::ReplicaSet(r) => ("ReplicaSet", &r.name),
        Object::Pod(p) => ("Pod", &p.name),
        Object::Service(s) => ("Service", &s.name),
        Object::Node(n) => ("Node", &n.name),
        Object::PriorityClass(p) => ("PriorityClass", &p.name),
        Object::PodDisruptionBudget(p) => ("PodDisruptionBudget", &p.budget.name),
        Object::HorizontalPodAutoscaler(h) => ("HorizontalPodAutoscaler", &h.name),
        Object::Namespace(n) => ("Namespace", &n.name),
        Object::DaemonSet(d) => ("DaemonSet", &d.name),
        Object::Job(j) => ("Job", &j.name),
        Object::CronJob(c) => ("CronJob", &c.name),
    }
}

const ACTIONS: &[&str] = &[
    "join",
    "crashNode",
    "recoverNode",
    "scale",
    "deletePod",
    "cordon",
    "uncordon",
    "setImage",
    "rolloutUndo",
    "rolloutPause",
    "rolloutResume",
    "apply",
    "setMetric",
    "partitionNode",
    "crashMaster",
    "recoverMaster",
    "drain",
];
const ACTIONS_NOT_YET: &[&str] = &[];

fn decode_timeline(
    r: Reader,
    node: &Node,
    duration: Duration,
    manifests: &[Object],
    warnings: &mut Warnings,
) -> R<Vec<TimedAction>> {
    let mut out = Vec::new();
    // setImage entries naming a container: (index in `out`, where the name is).
    let mut set_image_containers: Vec<(usize, Span)> = Vec::new();
    for item in r.list(node, "timeline")? {
        let mut f = r.fields(item, "a timeline entry")?;
        let at_node = f.req("at")?;
        let at = r.duration(at_node, "at")?;
        if at > duration {
            return Err(r
                .error(at_node.span, format!("this action at {} is after the end of the run", at_node.describe()))
                .with_hint("raise `duration` or move the action earlier"));
        }
        for verb in ACTIONS_NOT_YET {
            if let Some(n) = f.opt(verb) {
                return Err(r
                    .error(n.span, format!("timeline action `{verb}` is part of the scenario format but this build does not run it yet"))
                    .with_hint(format!("available now: {}", ACTIONS.join(", "))));
            }
        }
        let mut found = Vec::new();
        for verb in ACTIONS {
            if let Some(n) = f.opt(verb) {
                found.push((*verb, n));
            }
        }
        let all: Vec<&str> = ["at"].iter().chain(ACTIONS).chain(ACTIONS_NOT_YET).copied().collect();
        f.deny_unknown(&all)?;
        let (verb, arg) = match found.as_slice() {
            [one] => *one,
            [] => {
                return Err(r
                    .error(item.span, "a timeline entry needs an action")
                    .with_hint(format!("add one of: {}", ACTIONS.join(", "))))
            }
            [_, second, ..] => {
                return Err(r
                    .error(second.1.span, "a timeline entry holds one action")
                    .with_hint("split it into two entries with the same `at`"))
            }
        };
        // Where the name the action refers to was written (for "unknown ..." errors).
        let mut span = arg.span;
        let action = match verb {
            "join" => {
                let mut jf = r.fields(arg, "join")?;
                let pool = r.string(noted(&mut span, jf.req("pool")?), "pool")?;
                let count =
                    jf.opt("count").map(|n| r.count(n, "count", MAX_NODES_PER_POOL)).transpose()?.unwrap_or(1) as u32;
                jf.deny_unknown(&["pool", "count"])?;
                Action::Join { pool, count }
            }
            "scale" => {
                let mut sf = r.fields(arg, "scale")?;
                let deployment = object_ref(r, noted(&mut span, sf.req("deployment")?), "deployment")?;
                let replicas = r.count(sf.req("replicas")?, "replicas", 2_000_000)? as u32;
                sf.deny_unknown(&["deployment", "replicas"])?;
                Action::Scale { deployment, replicas }
            }
            "crashNode" => Action::CrashNode(r.string(arg, verb)?),
            "recoverNode" => Action::RecoverNode(r.string(arg, verb)?),
            "deletePod" => Action::DeletePod(object_ref(r, arg, verb)?),
            "cordon" => Action::Cordon(r.string(arg, verb)?),
            "uncordon" => Action::Uncordon(r.string(arg, verb)?),
            "setImage" => {
                let mut sf = r.fields(arg, "setImage")?;
                let deployment = object_ref(r, noted(&mut span, sf.req("deployment")?), "deployment")?;
                let image = r.string(sf.req("image")?, "image")?;
                let container = match sf.opt("container") {
                    Some(n) => {
                        set_image_containers.push((out.len(), n.span));
                        Some(r.string(n, "container")?)
                    }
                    None => None,
                };
                sf.deny_unknown(&["deployment", "image", "container"])?;
                Action::SetImage { deployment, container, image }
            }
            "rolloutUndo" => {
                let mut uf = r.fields(arg, "rolloutUndo")?;
                let deployment = object_ref(r, noted(&mut span, uf.req("deployment")?), "deployment")?;
                let to_revision =
                    uf.opt("toRevision").map(|n| r.count(n, "toRevision", i64::MAX as u64)).transpose()?.unwrap_or(0)
                        as i64;
                uf.deny_unknown(&["deployment", "toRevision"])?;
                Action::RolloutUndo { deployment, to_revision }
            }
            "setMetric" => {
                let mut mf = r.fields(arg, "setMetric")?;
                let deployment = object_ref(r, noted(&mut span, mf.req("deployment")?), "deployment")?;
                let cpu_utilization = r.percentage_any(mf.req("cpuUtilization")?, "cpuUtilization")?;
                let for_ = mf.opt("for").map(|n| r.duration(n, "for")).transpose()?.unwrap_or(duration);
                mf.deny_unknown(&["deployment", "cpuUtilization", "for"])?;
                Action::SetMetric { deployment, cpu_utilization, for_ }
            }
            "rolloutPause" => Action::RolloutPause(object_ref(r, arg, verb)?),
            "partitionNode" | "crashMaster" | "recoverMaster" | "drain" => {
                let (action, at) = super::ops::decode_action(r, verb, arg)?;
                span = at;
                action
            }
            "rolloutResume" => Action::RolloutResume(object_ref(r, arg, verb)?),
            _ => {
                let mut af = r.fields(arg, "apply")?;
                let file_node = noted(&mut span, af.req("file")?);
                let file = r.string(file_node, "file")?;
                af.deny_unknown(&["file"])?;
                let path = r.file.parent().unwrap_or(Path::new(".")).join(&file);
                let text = read_referenced(&path, r.file, file_node.span, "the applied file")?;
                let sub = Reader { file: &path, ..r };
                let mut objects = Vec::new();
                let mut spans = Vec::new();
                for doc in parse_documents(&text, &path)? {
                    if doc.value != Value::Null {
                        push_object(sub, &doc, &mut objects, &mut spans, warnings)?;
                    }
                }
                Action::Apply { file, objects }
            }
        };
        out.push(TimedAction { at, action, span });
    }
    check_containers(r, manifests, &out, &set_image_containers)?;
    // Stable: simultaneous actions keep their order in the file.
    out.sort_by_key(|a| a.at);
    Ok(out)
}

/// Notes where `n` was written in `slot` and hands it on.
fn noted<'a>(slot: &mut Span, n: &'a Node) -> &'a Node {
    *slot = n.span;
    n
}

/// `setImage {container}` must name a container of the Deployment (kubectl set image:
/// "unable to find container named"), as defined by the manifests or any `apply`.
fn check_containers(r: Reader, manifests: &[Object], actions: &[TimedAction], at: &[(usize, Span)]) -> R<()> {
    let applied = actions.iter().flat_map(|a| match &a.action {
        Action::Apply { objects, .. } => objects.as_slice(),
        _ => &[],
    });
    for &(i, span) in at {
        let Action::SetImage { deployment, container: Some(container), .. } = &actions[i].action else { continue };
        let mut names: Vec<&str> = Vec::new();
        for o in manifests.iter().chain(applied.clone()) {
            if let Object::Deployment(d) = o {
                if &object_key(o) == deployment {
                    names.extend(d.template.spec.containers.iter().map(|c| c.name.as_str()));
                }
            }
        }
        // No such Deployment at all: check_names reports it.
        if !names.is_empty() && !names.contains(&container.as_str()) {
            return Err(r
                .error(
                    span,
                    format!("setImage names container {container:?}, which Deployment {deployment:?} does not have"),
                )
                .with_hint(did_you_mean(container, names.into_iter(), "containers")));
        }
    }
    Ok(())
}

const EXPECTATIONS: &[&str] = &[
    "readyReplicas",
    "allPodsScheduled",
    "noPodOn",
    "rolloutComplete",
    "availability",
    "latency",
    "poolSize",
    "cost",
    "jobComplete",
];
const EXPECTATIONS_NOT_YET: &[&str] = &[];

fn decode_expectations(r: Reader, node: &Node, duration: Duration) -> R<Vec<(Expectation, Span)>> {
    let mut out = Vec::new();
    for item in r.list(node, "expect")? {
        let mut f = r.fields(item, "an expectation")?;
        for kind in EXPECTATIONS_NOT_YET {
            if let Some(n) = f.opt(kind) {
                return Err(r
                    .error(
                        n.span,
                        format!(
                            "expectation `{kind}` is part of the scenario format but this build does not check it yet"
                        ),
                    )
                    .with_hint(format!("available now: {}", EXPECTATIONS.join(", "))));
            }
        }
        let time = |fields: &mut Fields, key: &str, default: Option<Duration>| -> R<Duration> {
            match fields.opt(key) {
                Some(n) => {
                    let d = r.duration(n, key)?;
                    if d > duration {
                        return Err(r
                            .error(n.span, format!("`{key}: {}` is after the end of the run", n.describe()))
                            .with_hint("raise `duration` or pick an earlier time"));
                    }
                    Ok(d)
                }
                None => default.ok_or_else(|| {
                    r.error(fields.node.span, format!("missing `{key}`")).with_hint(format!("add `{key}: 5m`"))
                }),
            }
        };
        let warmup = |fields: &mut Fields| -> R<Warmup> {
            let Some(n) = fields.opt("warmup") else { return Ok(Warmup::Include) };
            match r.string(n, "warmup")?.as_str() {
                "include" => Ok(Warmup::Include),
                "exclude" => Ok(Warmup::Exclude),
                other => Err(r.error(n.span, format!("`warmup: {other}` is not a warm-up setting")).with_hint(
                    "use `warmup: exclude` to start counting at the first ready endpoint, or `include` (the default)",
                )),
            }
        };
        let expectation = if let Some(n) = f.opt("readyReplicas") {
            let mut ef = r.fields(n, "readyReplicas")?;
            let name = ef.req("deployment")?;
            let deployment = object_ref(r, name, "deployment")?;
            let at_least = r.count(ef.req("atLeast")?, "atLeast", 2_000_000)? as u32;
            let by = time(&mut ef, "by", None)?;
            let to = time(&mut ef, "to", Some(duration))?;
            if to < by {
                return Err(r
                    .error(n.span, "readyReplicas `to` is before `by`")
                    .with_hint("`by` is when the count must be reached, `to` how long it must hold"));
            }
            ef.deny_unknown(&["deployment", "atLeast", "by", "to"])?;
            (Expectation::ReadyReplicas { deployment, at_least, by, to }, name.span)
        } else if let Some(n) = f.opt("allPodsScheduled") {
            let mut ef = r.fields(n, "allPodsScheduled")?;
            let by = time(&mut ef, "by", None)?;
            ef.deny_unknown(&["by"])?;
            (Expectation::AllPodsScheduled { by }, n.span)
        } else if let Some(n) = f.opt("availability") {
            let mut ef = r.fields(n, "availability")?;
            let name = ef.req("service")?;
            let service = object_ref(r, name, "service")?;
            let min = r.percentage(ef.req("min")?, "min")?;
            let from = time(&mut ef, "from", Some(Duration::ZERO))?;
            let to = time(&mut ef, "to", Some(duration))?;
            let warmup = warmup(&mut ef)?;
            ef.deny_unknown(&["service", "min", "from", "to", "warmup"])?;
            (Expectation::Availability { service, min, from, to, warmup }, name.span)
        } else if let Some(n) = f.opt("latency") {
            let mut ef = r.fields(n, "latency")?;
            let name = ef.req("service")?;
            let service = object_ref(r, name, "service")?;
            let p50 = ef.opt("p50").map(|x| r.duration(x, "p50")).transpose()?;
            let p99 = ef.opt("p99").map(|x| r.duration(x, "p99")).transpose()?;
            if p50.is_none() && p99.is_none() {
                return Err(r
                    .error(n.span, "latency needs p50 or p99")
                    .with_hint("e.g. latency: {service: web, p99: 300ms}"));
            }
            let from = time(&mut ef, "from", Some(Duration::ZERO))?;
            let to = time(&mut ef, "to", Some(duration))?;
            let warmup = warmup(&mut ef)?;
            ef.deny_unknown(&["service", "p50", "p99", "from", "to", "warmup"])?;
            (Expectation::Latency { service, p50, p99, from, to, warmup }, name.span)
        } else if let Some(n) = f.opt("rolloutComplete") {
            let mut ef = r.fields(n, "rolloutComplete")?;
            let name = ef.req("deployment")?;
            let deployment = object_ref(r, name, "deployment")?;
            let revision = r.count(ef.req("revision")?, "revision", 1_000_000)?;
            let by = time(&mut ef, "by", None)?;
            ef.deny_unknown(&["deployment", "revision", "by"])?;
            (Expectation::RolloutComplete { deployment, revision, by }, name.span)
        } else if let Some(n) = f.opt("poolSize") {
            let mut ef = r.fields(n, "poolSize")?;
            let name = ef.req("pool")?;
            let pool = r.string(name, "pool")?;
            let bound = |ef: &mut Fields, key: &str| ef.opt(key).map(|x| r.count(x, key, 1_000_000)).transpose();
            let (at_least, at_most) = (bound(&mut ef, "atLeast")?, bound(&mut ef, "atMost")?);
            if at_least.is_none() && at_most.is_none() {
                return Err(r
                    .error(n.span, "poolSize needs atLeast or atMost")
                    .with_hint("e.g. poolSize: {pool: burst, atMost: 10}"));
            }
            let from = time(&mut ef, "from", Some(Duration::ZERO))?;
            let to = time(&mut ef, "to", Some(duration))?;
            ef.deny_unknown(&["pool", "atLeast", "atMost", "from", "to"])?;
            let (at_least, at_most) = (at_least.map(|x| x as u32), at_most.map(|x| x as u32));
            (Expectation::PoolSize { pool, at_least, at_most, from, to }, name.span)
        } else if let Some(n) = f.opt("cost") {
            let mut ef = r.fields(n, "cost")?;
            let name = ef.opt("pool");
            let pool = name.map(|x| r.string(x, "pool")).transpose()?;
            let max_node = ef.req("max")?;
            let max = r.float(max_node, "max")?;
            if max < 0.0 {
                return Err(r
                    .error(max_node.span, format!("cost max {max} must not be negative"))
                    .with_hint("e.g. cost: {max: 12.5}"));
            }
            ef.deny_unknown(&["pool", "max"])?;
            (Expectation::Cost { pool, max }, name.map_or(n.span, |x| x.span))
        } else if let Some(n) = f.opt("jobComplete") {
            let mut ef = r.fields(n, "jobComplete")?;
            let name = ef.req("job")?;
            let job = r.string(name, "job")?;
            let by = time(&mut ef, "by", None)?;
            ef.deny_unknown(&["job", "by"])?;
            (Expectation::JobComplete { job, by }, name.span)
        } else if let Some(n) = f.opt("noPodOn") {
            let mut ef = r.fields(n, "noPodOn")?;
            let name = ef.req("node")?;
            let node = r.string(name, "node")?;
            let from = time(&mut ef, "from", Some(Duration::ZERO))?;
            let to = time(&mut ef, "to", Some(duration))?;
            ef.deny_unknown(&["node", "from", "to"])?;
            if to < from {
                let (t, f) = (fmt_duration(to), fmt_duration(from));
                return Err(r.error(n.span, format!("`to` {t} is before `from` {f}")).with_hint("swap them"));
            }
            (Expectation::NoPodOn { node, from, to }, name.span)
        } else {
            let all: Vec<&str> = EXPECTATIONS.iter().chain(EXPECTATIONS_NOT_YET).copied().collect();
            f.deny_unknown(&all)?;
            return Err(r
                .error(item.span, "an empty expectation")
                .with_hint(format!("use one of: {}", EXPECTATIONS.join(", "))));
        };
        let all: Vec<&str> = EXPECTATIONS.iter().chain(EXPECTATIONS_NOT_YET).copied().collect();
        f.deny_unknown(&all)?;
        out.push(expectation);
    }
    Ok(out)
}

/// Every name the timeline and expectations use must exist when it is used.
/// `object_spans[i]` is where `s.objects[i]` was written.
fn check_names(r: Reader, s: &Scenario, object_spans: &[(PathBuf, Span)]) -> R<()> {
    let mut nodes: BTreeSet<String> = BTreeSet::new();
    let mut pool_sizes: Vec<(String, u32)> = Vec::new();
    for pool in &s.cluster.node_pools {
        for i in 1..=pool.count {
            nodes.insert(format!("{}-{i}", pool.name));
        }
        pool_sizes.push((pool.name.clone(), pool.count));
    }
    let mut deployments = BTreeSet::new();
    let mut pod_owners = BTreeSet::new();
    let mut hpa_targets: Vec<(String, usize)> = Vec::new();
    for (i, o) in s.objects.iter().enumerate() {
        match o {
            Object::Node(n) => {
                if !nodes.insert(n.name.clone()) {
                    let (file, span) = &object_spans[i];
                    return Err(Diagnostic::new(
                        file,
                        *span,
                        format!("Node {:?} clashes with a node of a pool", n.name),
                    )
                    .with_hint("pools name their nodes <pool>-1, <pool>-2...; rename the Node or the pool"));
                }
            }
            // Names are keys: `name` in default, `namespace/name` elsewhere.
            Object::Deployment(_) => {
                deployments.insert(object_key(o));
                pod_owners.insert(object_key(o));
            }
            Object::ReplicaSet(_) | Object::Pod(_) => {
                pod_owners.insert(object_key(o));
            }
            Object::Service(_) | Object::PriorityClass(_) | Object::PodDisruptionBudget(_) | Object::Namespace(_) => {}
            // scaleTargetRef names a Deployment of the HPA's own namespace.
            Object::HorizontalPodAutoscaler(h) => {
                hpa_targets.push((crate::model::qualified(&h.namespace, &h.deployment), i))
            }
            Object::DaemonSet(_) => {
                pod_owners.insert(object_key(o));
            }
            Object::Job(_) => {
                pod_owners.insert(object_key(o));
            }
            Object::CronJob(_) => {}
        }
    }
    let all_nodes_eventually = {
        let mut all = nodes.clone();
        let mut sizes = pool_sizes.clone();
        for a in &s.timeline {
            if let Action::Join { pool, count } = &a.action {
                if let Some((_, size)) = sizes.iter_mut().find(|(p, _)| p == pool) {
                    for i in *size + 1..=*size + count {
                        all.insert(format!("{pool}-{i}"));
                    }
                    *size += count;
                }
            }
        }
        all
    };
    let node_hint =
        |set: &BTreeSet<String>, name: &str| did_you_mean(name, set.iter().map(String::as_str), "known nodes");
    // The Cluster Autoscaler names its nodes `<pool>-<n>` too; whether one exists is known
    // only at run time (an action on a missing node fails then, as `action_failed`).
    let autoscaled = |name: &str| {
        s.cluster.node_pools.iter().filter(|p| p.autoscaling.is_some()).any(|p| {
            name.strip_prefix(p.name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n > 0))
        })
    };
    for a in &s.timeline {
        match &a.action {
            Action::Join { pool, count } => {
                let Some((_, size)) = pool_sizes.iter_mut().find(|(p, _)| p == pool) else {
                    let pools = s.cluster.node_pools.iter().map(|p| p.name.as_str());
                    return Err(r
                        .error(a.span, format!("join names unknown pool {pool:?}"))
                        .with_hint(did_you_mean(pool, pools, "pools")));
                };
                for i in *size + 1..=*size + count {
                    nodes.insert(format!("{pool}-{i}"));
                }
                *size += count;
            }
            Action::CrashNode(n)
            | Action::RecoverNode(n)
            | Action::Cordon(n)
            | Action::Uncordon(n)
            | Action::PartitionNode { node: n, .. }
            | Action::Drain { node: n, .. } => {
                if !nodes.contains(n) && !autoscaled(n) {
                    let later = all_nodes_eventually.contains(n);
                    return Err(r
                        .error(
                            a.span,
                            format!("{} names node {n:?}, which does not exist at that time", a.action.verb()),
                        )
                        .with_hint(if later {
                            "that node joins later in the timeline: move this action after its join".to_string()
                        } else {
                            node_hint(&nodes, n)
                        }));
                }
            }
            Action::Scale { deployment, .. } => {
                if !deployments.contains(deployment) {
                    let hint = did_you_mean(deployment, deployments.iter().map(String::as_str), "deployments");
                    return Err(r
                        .error(a.span, format!("scale names unknown deployment {deployment:?}"))
                        .with_hint(hint));
                }
            }
            Action::SetImage { deployment, .. }
            | Action::SetMetric { deployment, .. }
            | Action::RolloutUndo { deployment, .. }
            | Action::RolloutPause(deployment)
            | Action::RolloutResume(deployment) => {
                if !deployments.contains(deployment) {
                    let hint = did_you_mean(deployment, deployments.iter().map(String::as_str), "deployments");
                    return Err(r
                        .error(a.span, format!("{} names unknown deployment {deployment:?}", a.action.verb()))
                        .with_hint(hint));
                }
            }
            Action::Apply { objects, .. } => {
                for o in objects {
                    if let Object::Deployment(_) = o {
                        deployments.insert(object_key(o));
                        pod_owners.insert(object_key(o));
                    }
                }
            }
            Action::CrashMaster(k) | Action::RecoverMaster(k) => {
                super::ops::check_master(r, a, *k, s.cluster.masters)?;
            }
            Action::DeletePod(target) => {
                let known =
                    pod_owners.contains(target) || pod_owners.iter().any(|o| target.starts_with(&format!("{o}-")));
                if !known {
                    let hint = match did_you_mean(target, pod_owners.iter().map(String::as_str), "") {
                        h if h.starts_with("did you mean") => h,
                        _ => "name a Deployment, ReplicaSet or Pod (one of its pods is deleted), or a pod".to_string(),
                    };
                    return Err(r
                        .error(a.span, format!("deletePod names {target:?}, which is no Deployment, ReplicaSet or Pod of the manifests"))
                        .with_hint(hint));
                }
            }
        }
    }
    for (target, i) in &hpa_targets {
        if !deployments.contains(target) {
            let (file, span) = &object_spans[*i];
            let name = object_key(&s.objects[*i]);
            let (namespace, bare) = crate::model::split_key(target);
            // The same name in another namespace: scaleTargetRef cannot reach it.
            let elsewhere = deployments.iter().find(|d| crate::model::split_key(d).1 == bare);
            let hint = match elsewhere {
                Some(d) => format!(
                    "scaleTargetRef names a Deployment of the HPA's own namespace ({namespace}); {d:?} is in namespace {}: \
                     put the HPA in that namespace",
                    crate::model::split_key(d).0
                ),
                None => did_you_mean(target, deployments.iter().map(String::as_str), "deployments"),
            };
            return Err(Diagnostic::new(
                file,
                *span,
                format!("HorizontalPodAutoscaler {name:?} targets unknown Deployment {target:?}"),
            )
            .with_hint(hint));
        }
    }
    for (e, span) in &s.expect {
        match e {
            Expectation::ReadyReplicas { deployment, .. } | Expectation::RolloutComplete { deployment, .. }
                if !deployments.contains(deployment) =>
            {
                let kind =
                    if matches!(e, Expectation::ReadyReplicas { .. }) { "readyReplicas" } else { "rolloutComplete" };
                let hint = did_you_mean(deployment, deployments.iter().map(String::as_str), "deployments");
                return Err(r.error(*span, format!("{kind} names unknown deployment {deployment:?}")).with_hint(hint));
            }
            Expectation::PoolSize { pool, .. } | Expectation::Cost { pool: Some(pool), .. }
                if !s.cluster.node_pools.iter().any(|p| &p.name == pool) =>
            {
                let pools = s.cluster.node_pools.iter().map(|p| p.name.as_str());
                return Err(r
                    .error(*span, format!("expectation names unknown pool {pool:?}"))
                    .with_hint(did_you_mean(pool, pools, "pools")));
            }
            Expectation::NoPodOn { node, .. } if !all_nodes_eventually.contains(node) && !autoscaled(node) => {
                return Err(r
                    .error(*span, format!("noPodOn names unknown node {node:?}"))
                    .with_hint(node_hint(&all_nodes_eventually, node)));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Nodes a run may ever hold (pools at their count or autoscaling maximum, joins, Node
/// objects): like one pool's bound, past the largest cluster reported (GKE, 130,000
/// nodes) with room to spare.
pub const MAX_CLUSTER_NODES: u64 = MAX_NODES_PER_POOL;
/// Replicas all workloads together may ask for (each Deployment at the largest of its
/// replicas, its HPA's maxReplicas and its `scale` actions): like one Deployment's
/// bound, past the largest cluster reported (1,000,000 pods) with room to spare.
pub const MAX_TOTAL_REPLICAS: u64 = 2_000_000;

/// A scenario whose cluster or workloads could grow past what one run holds is refused
/// here, before a run allocates it; the run's own `RunLimits` catch the rest.
fn check_size(r: Reader, s: &Scenario, pool_spans: &[Span], object_spans: &[(PathBuf, Span)]) -> R<()> {
    let too_many_nodes = |file: &Path, span: Span, total: u64| {
        Diagnostic::new(
            file,
            span,
            format!("the cluster could reach {total} nodes, more than the {MAX_CLUSTER_NODES} a run holds"),
        )
        .with_hint(
            "pools count at their count or autoscaling.max, plus joins; the largest cluster reported has 130,000 nodes",
        )
    };
    let mut nodes = 0u64;
    for (pool, span) in s.cluster.node_pools.iter().zip(pool_spans) {
        nodes += u64::from(pool.autoscaling.map_or(pool.count, |a| a.max.max(pool.count)));
        if nodes > MAX_CLUSTER_NODES {
            return Err(too_many_nodes(r.file, *span, nodes));
        }
    }
    for (i, o) in s.objects.iter().enumerate() {
        if let Object::Node(_) = o {
            nodes += 1;
            if nodes > MAX_CLUSTER_NODES {
                return Err(too_many_nodes(&object_spans[i].0, object_spans[i].1, nodes));
            }
        }
    }
    for a in &s.timeline {
        if let Action::Join { count, .. } = &a.action {
            nodes += u64::from(*count);
            if nodes > MAX_CLUSTER_NODES {
                return Err(too_many_nodes(r.file, a.span, nodes));
            }
        }
    }
    // Replicas: a running total of each workload's largest request, in file order.
    let mut wanted: std::collections::BTreeMap<String, u64> = Default::default();
    let mut total = 0u64;
    let mut raise = |name: &str, replicas: u64, file: &Path, span: Span| -> R<()> {
        let slot = wanted.entry(name.to_string()).or_insert(0);
        if replicas > *slot {
            total += replicas - *slot;
            *slot = replicas;
        }
        if total > MAX_TOTAL_REPLICAS {
            return Err(Diagnostic::new(
                file,
                span,
                format!("the workloads could ask for {total} pods, more than the {MAX_TOTAL_REPLICAS} a run holds"),
            )
            .with_hint("each Deployment counts at the largest of replicas, HPA maxReplicas and scale; the largest cluster reported runs 1,000,000 pods"));
        }
        Ok(())
    };
    let workloads = |o: &Object| match o {
        Object::Deployment(d) => Some((format!("Deployment/{}", object_key(o)), u64::from(d.replicas))),
        Object::ReplicaSet(rs) => Some((format!("ReplicaSet/{}", object_key(o)), u64::from(rs.replicas))),
        Object::Pod(_) => Some((format!("Pod/{}", object_key(o)), 1)),
        Object::HorizontalPodAutoscaler(h) => Some((
            format!("Deployment/{}", crate::model::qualified(&h.namespace, &h.deployment)),
            h.max_replicas.max(0) as u64,
        )),
        Object::Job(j) => Some((format!("Job/{}", j.name), u64::from(j.spec.parallelism))),
        Object::CronJob(c) => Some((format!("CronJob/{}", c.name), u64::from(c.job_spec.parallelism))),
        _ => None,
    };
    for (i, o) in s.objects.iter().enumerate() {
        if let Some((name, replicas)) = workloads(o) {
            raise(&name, replicas, &object_spans[i].0, object_spans[i].1)?;
        }
    }
    for a in &s.timeline {
        match &a.action {
            Action::Scale { deployment, replicas } => {
                raise(&format!("Deployment/{deployment}"), u64::from(*replicas), r.file, a.span)?
            }
            Action::Apply { objects, .. } => {
                for (name, replicas) in objects.iter().filter_map(workloads) {
                    raise(&name, replicas, r.file, a.span)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// "did you mean X?" when a name is close to a known one, else the list of known names.
fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>, label: &str) -> String {
    let names: Vec<&str> = known.collect();
    if let Some(hint) = super::refs::elsewhere_hint(name, &names) {
        return hint;
    }
    match super::suggest::closest(name, &names) {
        Some(best) => format!("did you mean {best:?}?"),
        None if names.is_empty() => format!("there are no {label}"),
        None => format!("{label}: {}", names.iter().take(12).copied().collect::<Vec<_>>().join(", ")),
    }
}

/// Built-in PriorityClasses. Upstream: pkg/apis/scheduling/types.go (SystemCriticalPriority).
pub const SYSTEM_PRIORITY_CLASSES: &[(&str, i32)] =
    &[("system-cluster-critical", 2_000_000_000), ("system-node-critical", 2_000_001_000)];

/// The Priority admission plugin runs on every pod create (the world does it, with the
/// classes that exist at that moment); what can be refused up front is refused here, in
/// the order objects are applied (the manifests at t=0, then each timeline `apply`):
/// a priorityClassName must name a class that exists once its object's batch is applied,
/// at most one class may be the global default, and an explicit `spec.priority` must
/// equal what admission computes.
// Upstream: plugin/pkg/admission/priority/admission.go (admitPod: "no PriorityClass with name %v was found",
// "the integer value of priority (%d) must not be provided in pod spec ...";
// validatePriorityClass: "PriorityClass %v is already marked as default. Only one default can exist").
fn check_priority_classes(r: Reader, s: &Scenario, object_spans: &[(PathBuf, Span)]) -> R<()> {
    let mut classes: Vec<(String, i32)> = SYSTEM_PRIORITY_CLASSES.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    let mut default: Option<(String, i32)> = None;
    // The objects applied at t=0 are located at their own manifest; later ones at their `apply`.
    let batches =
        std::iter::once((None, Span { line: 1, col: 1 }, &s.objects)).chain(s.timeline.iter().filter_map(|a| {
            if let Action::Apply { objects, .. } = &a.action {
                Some((Some(()), a.span, objects))
            } else {
                None
            }
        }));
    for (later, span, objects) in batches {
        let error = |i: usize, message: String| match (later, object_spans.get(i)) {
            (None, Some((file, at))) => Diagnostic::new(file, *at, message),
            _ => r.error(span, message),
        };
        for (i, o) in objects.iter().enumerate() {
            if let Object::PriorityClass(p) = o {
                if p.global_default {
                    if let Some((name, _)) = default.as_ref().filter(|(n, _)| *n != p.name) {
                        return Err(error(
                            i,
                            format!("PriorityClass {name} is already marked as default. Only one default can exist"),
                        )
                        .with_hint(format!("drop globalDefault from PriorityClass {:?}", p.name)));
                    }
                    default = Some((p.name.clone(), p.value));
                }
                if !classes.iter().any(|(n, _)| *n == p.name) {
                    classes.push((p.name.clone(), p.value));
                }
            }
        }
        for (i, o) in objects.iter().enumerate() {
            let (kind, template) = match o {
                Object::Deployment(d) => ("Deployment", &d.template),
                Object::ReplicaSet(rs) => ("ReplicaSet", &rs.template),
                Object::Pod(p) => ("Pod", &p.template),
                _ => continue,
            };
            let name = object_key(o);
            let computed = match &template.spec.priority_class_name {
                Some(class) => match classes.iter().find(|(n, _)| n == class) {
                    Some((_, v)) => *v,
                    None => {
                        let names = classes.iter().map(|(n, _)| n.as_str());
                        return Err(error(
                            i,
                            format!(
                                "{kind} {name:?} uses priorityClassName {class:?}: no PriorityClass with name {class} was found"
                            ),
                        )
                            .with_hint(did_you_mean(class, names, "priority classes")));
                    }
                },
                None => default.as_ref().map_or(0, |(_, v)| *v),
            };
            let given = template.spec.priority;
            if given != 0 && given != computed {
                return Err(error(
                    i,
                    format!(
                        "{kind} {name:?}: the integer value of priority ({given}) must not be provided in pod spec; \
                         priority admission controller computed {computed} from the given PriorityClass name"
                    ),
                )
                .with_hint("set priorityClassName instead of priority"));
            }
        }
    }
    Ok(())
}

/// A duration as the scenario would write it (`90s`, `5m`), for messages.
fn fmt_duration(d: Duration) -> String {
    super::duration::format_duration_nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "name: t\nduration: 1m\ncluster:\n  nodePools: [{name: w, count: 1, capacity: {cpu: \"4\", memory: 8Gi}}]\n";

    fn load(manifests: &str) -> R<Loaded> {
        load_scenario_text(&format!("{HEAD}manifests:\n{manifests}"), Path::new("s.yaml"), &[])
    }

    #[test]
    fn list_items_load_one_by_one_with_their_own_locations() {
        let loaded = load(
            "  - inline:
      apiVersion: v1
      kind: List
      metadata: {resourceVersion: \"\"}
      items:
        - {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {selector: {app: a}}}
        - {apiVersion: v1, kind: Service, metadata: {name: b}, spec: {selector: {app: b}}}
",
        )
        .unwrap();
        assert_eq!(loaded.scenario.objects.len(), 2);
        let err = load(
            "  - inline:
      apiVersion: v1
      kind: List
      items:
        - {apiVersion: v1, kind: Service, metadata: {name: a}}
        - {apiVersion: v1, kind: Service, metadata: {name: a}}
",
        )
        .err()
        .unwrap();
        assert_eq!((err.span.line, err.message.as_str()), (11, "Service \"a\" is defined twice"));
    }

    #[test]
    fn a_list_inside_a_list_is_refused() {
        let err = load(
            "  - inline:
      apiVersion: v1
      kind: List
      items:
        - {apiVersion: v1, kind: List, items: []}
",
        )
        .err()
        .unwrap();
        assert_eq!(err.span.line, 10);
        assert!(err.message.contains("a List inside a List is not valid Kubernetes"), "{err}");
    }
}
