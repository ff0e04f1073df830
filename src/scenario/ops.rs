//! Node operations, masters and faults in the scenario file: the timeline verbs
//! `partitionNode`, `crashMaster`, `recoverMaster` and `drain`, and the `faults:` section.

use super::decode::Reader;
use super::diag::{Diagnostic, Span};
use super::load::decode_distribution;
use super::schema::{Action, ClusterSpec, Distribution, Object, TimedAction};
use super::yaml::{Node, Value};
use crate::engine::Duration;

type R<T> = Result<T, Diagnostic>;

/// The label whose value names a node's zone.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// One source of faults from the `faults:` section.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Every node of `pool` alternates: up for Exp(mtbf), its host down for Exp(mttr).
    NodeCrash { pool: String, mtbf: Duration, mttr: Duration },
    /// Every node of `pool` alternates: connected for Exp(mtbf), cut off from the masters
    /// for Exp(mttr).
    NodePartition { pool: String, mtbf: Duration, mttr: Duration },
    /// Every master alternates: up for Exp(mtbf), down for Exp(mttr).
    MasterCrash { mtbf: Duration, mttr: Duration },
    /// Every node labelled with the zone is down during [at, at + duration).
    ZoneOutage { zone: String, at: Duration, duration: Duration },
    /// Pods bound to the pool's nodes take `pod_startup` to start instead of the
    /// control plane's `podStartup`.
    SlowStart { pool: String, pod_startup: Distribution },
}

impl Fault {
    pub const KINDS: [&'static str; 5] = ["nodeCrash", "nodePartition", "masterCrash", "zoneOutage", "slowStart"];

    /// (mtbf, mttr) of the alternating kinds.
    pub fn mean_times(&self) -> Option<(Duration, Duration)> {
        match self {
            Fault::NodeCrash { mtbf, mttr, .. }
            | Fault::NodePartition { mtbf, mttr, .. }
            | Fault::MasterCrash { mtbf, mttr } => Some((*mtbf, *mttr)),
            Fault::ZoneOutage { .. } | Fault::SlowStart { .. } => None,
        }
    }

    /// The `kind:` as written in the scenario.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::NodeCrash { .. } => "nodeCrash",
            Fault::NodePartition { .. } => "nodePartition",
            Fault::MasterCrash { .. } => "masterCrash",
            Fault::ZoneOutage { .. } => "zoneOutage",
            Fault::SlowStart { .. } => "slowStart",
        }
    }
}

/// A fault source and where it was written.
#[derive(Clone, Debug)]
pub struct FaultSpec {
    pub fault: Fault,
    pub span: Span,
}

/// The argument of one of this module's timeline verbs, and where the name it refers to
/// (node or master) was written.
pub(super) fn decode_action(r: Reader, verb: &str, arg: &Node) -> R<(Action, Span)> {
    match verb {
        "partitionNode" => {
            if !matches!(arg.value, Value::Map(_)) {
                return Ok((Action::PartitionNode { node: r.string(arg, verb)?, duration: None }, arg.span));
            }
            let mut f = r.fields(arg, "partitionNode")?;
            let node_node = f.req("node")?;
            let node = r.string(node_node, "node")?;
            let duration = match f.opt("for") {
                Some(n) => Some(positive(r, n, "for", "e.g. `for: 2m`")?),
                None => None,
            };
            f.deny_unknown(&["node", "for"])?;
            Ok((Action::PartitionNode { node, duration }, node_node.span))
        }
        "crashMaster" | "recoverMaster" => {
            let k = r.count(arg, verb, 99)? as u32;
            if k == 0 {
                return Err(r
                    .error(arg.span, format!("{verb} takes a master number from 1"))
                    .with_hint("masters are numbered 1 .. cluster.masters"));
            }
            Ok((if verb == "crashMaster" { Action::CrashMaster(k) } else { Action::RecoverMaster(k) }, arg.span))
        }
        _ => {
            if !matches!(arg.value, Value::Map(_)) {
                return Ok((
                    Action::Drain {
                        node: r.string(arg, verb)?,
                        timeout: None,
                        force: false,
                        ignore_daemon_sets: false,
                    },
                    arg.span,
                ));
            }
            let mut f = r.fields(arg, "drain")?;
            let node_node = f.req("node")?;
            let node = r.string(node_node, "node")?;
            // kubectl drain --timeout: 0 (the default) waits forever.
            let timeout =
                f.opt("timeout").map(|n| r.duration(n, "timeout")).transpose()?.filter(|t| *t > Duration::ZERO);
            let force = f.opt("force").map(|n| r.boolean(n, "force")).transpose()?.unwrap_or(false);
            let ignore_daemon_sets =
                f.opt("ignoreDaemonSets").map(|n| r.boolean(n, "ignoreDaemonSets")).transpose()?.unwrap_or(false);
            f.deny_unknown(&["node", "timeout", "force", "ignoreDaemonSets"])?;
            Ok((Action::Drain { node, timeout, force, ignore_daemon_sets }, node_node.span))
        }
    }
}

/// Master numbers in the timeline must exist.
pub(super) fn check_master(r: Reader, action: &TimedAction, master: u32, masters: u32) -> R<()> {
    if master > masters {
        return Err(r
            .error(
                action.span,
                format!("{} names master {master}, but the cluster has {masters}", action.action.verb()),
            )
            .with_hint(format!("masters are numbered 1 .. {masters} (cluster.masters)")));
    }
    Ok(())
}

fn positive(r: Reader, node: &Node, what: &str, hint: &str) -> R<Duration> {
    let d = r.duration(node, what)?;
    if d == Duration::ZERO {
        return Err(r
            .error(node.span, format!("{what} {} must be positive", node.describe()))
            .with_hint(hint.to_string()));
    }
    Ok(d)
}

fn did_you_mean(name: &str, known: &[&str], label: &str) -> String {
    match super::suggest::closest(name, known) {
        Some(best) => format!("did you mean {best:?}?"),
        None if known.is_empty() => format!("there are no {label}"),
        None => format!("{label}: {}", known.join(", ")),
    }
}

/// The shortest mean up or down time of a fault process: below it a process flips
/// millions of times a simulated hour, far faster than any heartbeat or controller can
/// react, and a run would only grow.
pub const MIN_FAULT_MEAN: Duration = Duration::from_secs(1);

/// The `faults:` list, checked against the cluster: pools and zones must exist, mean
/// times at least [`MIN_FAULT_MEAN`], an outage must start within the run, one slowStart per pool.
pub(super) fn decode_faults(
    r: Reader,
    node: &Node,
    cluster: &ClusterSpec,
    objects: &[Object],
    horizon: Duration,
) -> R<Vec<FaultSpec>> {
    let pools: Vec<&str> = cluster.node_pools.iter().map(|p| p.name.as_str()).collect();
    let mut zones: Vec<&str> =
        cluster.node_pools.iter().filter_map(|p| p.labels.get(ZONE_LABEL)).map(String::as_str).collect();
    for o in objects {
        if let Object::Node(n) = o {
            zones.extend(n.labels.get(ZONE_LABEL).map(String::as_str));
        }
    }
    zones.sort_unstable();
    zones.dedup();
    let mut out: Vec<FaultSpec> = Vec::new();
    for item in r.list(node, "faults")? {
        let mut f = r.fields(item, "a fault")?;
        let kind_node = f.req("kind")?;
        let kind = r.string(kind_node, "kind")?;
        let pool = |f: &mut super::decode::Fields| -> R<String> {
            let n = f.req("pool")?;
            let name = r.string(n, "pool")?;
            if !pools.contains(&name.as_str()) {
                return Err(r
                    .error(n.span, format!("{kind} names unknown pool {name:?}"))
                    .with_hint(did_you_mean(&name, &pools, "pools")));
            }
            Ok(name)
        };
        let mean = |f: &mut super::decode::Fields, key: &str| -> R<Duration> {
            let example = if key == "mtbf" {
                "the mean time between failures, e.g. `mtbf: 2h`"
            } else {
                "the mean time to repair, e.g. `mttr: 10m`"
            };
            let n = f.req(key)?;
            let d = r.duration(n, key)?;
            if d < MIN_FAULT_MEAN {
                return Err(r.error(n.span, format!("{key} {} is shorter than 1s", n.describe())).with_hint(format!(
                    "{example}; a fault process draws these times again and again for the whole run, and \
                     heartbeats, grace periods and controllers work in seconds: use at least 1s"
                )));
            }
            Ok(d)
        };
        let fault =
            match kind.as_str() {
                "nodeCrash" | "nodePartition" => {
                    let pool = pool(&mut f)?;
                    let (mtbf, mttr) = (mean(&mut f, "mtbf")?, mean(&mut f, "mttr")?);
                    f.deny_unknown(&["kind", "pool", "mtbf", "mttr"])?;
                    if kind == "nodeCrash" {
                        Fault::NodeCrash { pool, mtbf, mttr }
                    } else {
                        Fault::NodePartition { pool, mtbf, mttr }
                    }
                }
                "masterCrash" => {
                    let (mtbf, mttr) = (mean(&mut f, "mtbf")?, mean(&mut f, "mttr")?);
                    f.deny_unknown(&["kind", "mtbf", "mttr"])?;
                    Fault::MasterCrash { mtbf, mttr }
                }
                "zoneOutage" => {
                    let zone_node = f.req("zone")?;
                    let zone = r.string(zone_node, "zone")?;
                    if !zones.contains(&zone.as_str()) {
                        let hint = if zones.is_empty() {
                            format!("no pool or Node has a {ZONE_LABEL} label: add one to the pools' labels")
                        } else {
                            did_you_mean(&zone, &zones, "zones")
                        };
                        return Err(r
                            .error(
                                zone_node.span,
                                format!("zoneOutage names zone {zone:?}, which no node is labelled with"),
                            )
                            .with_hint(hint));
                    }
                    let at_node = f.req("at")?;
                    let at = r.duration(at_node, "at")?;
                    if at > horizon {
                        return Err(r
                            .error(
                                at_node.span,
                                format!("this outage at {} starts after the end of the run", at_node.describe()),
                            )
                            .with_hint("raise `duration` or start the outage earlier"));
                    }
                    let duration = positive(r, f.req("for")?, "for", "how long the zone is dark, e.g. `for: 4m`")?;
                    f.deny_unknown(&["kind", "zone", "at", "for"])?;
                    Fault::ZoneOutage { zone, at, duration }
                }
                "slowStart" => {
                    let pool = pool(&mut f)?;
                    let pod_startup = decode_distribution(r, f.req("podStartup")?, "podStartup")?;
                    f.deny_unknown(&["kind", "pool", "podStartup"])?;
                    if out.iter().any(|o| matches!(&o.fault, Fault::SlowStart { pool: p, .. } if *p == pool)) {
                        return Err(r
                            .error(item.span, format!("pool {pool:?} has two slowStart faults"))
                            .with_hint("keep one podStartup per pool"));
                    }
                    Fault::SlowStart { pool, pod_startup }
                }
                other => {
                    return Err(r
                        .error(kind_node.span, format!("unknown fault kind {other:?}"))
                        .with_hint(did_you_mean(other, &Fault::KINDS, "kinds")));
                }
            };
        out.push(FaultSpec { fault, span: item.span });
    }
    Ok(out)
}
