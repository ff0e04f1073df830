//! Kubernetes manifests: real objects decoded into the model's specs.
//!
//! Manifests follow the Kubernetes schema, not the scenario's strict unknown-key rule: a
//! misspelled known field gets a warning with the closest name, fields that cannot change
//! placement, timing or traffic are accepted quietly, and fields that could but are not
//! modelled are warned about once per object.

use super::decode::{Fields, Reader};
use super::diag::{Diagnostic, Span, Warnings};
use super::scalars::{classify, ResourceName};
use super::schema::{
    DaemonSetObject, DeploymentObject, NamespaceObject, NodeObject, Object, PdbObject, PodObject, PriorityClassObject,
    ReplicaSetObject, ServiceObject,
};
use super::suggest::closest;
use super::yaml::{Key, Node, Value};
use crate::engine::Duration;
use crate::model::{
    Affinity, Container, DaemonSetStrategy, DeploymentStrategy, IntOrPercent, LabelSelector, Labels, NodeSelectorOp,
    NodeSelectorRequirement, NodeSelectorTerm, PodAffinityRules, PodAffinityTerm, PodSpec, PodTemplate, Probe,
    Requirement, Resources, Scalars, SelectorOp, Taint, TaintEffect, Toleration, TolerationOperator,
    TopologySpreadConstraint, WhenUnsatisfiable, DEFAULT_NAMESPACE,
};
use std::sync::Arc;

type R<T> = Result<T, Diagnostic>;

/// Upper bound on replicas: far past any real Deployment, low enough to catch typos.
/// Past the largest cluster reported (1,000,000 pods on GKE), with room to spare.
const MAX_REPLICAS: u64 = 2_000_000;

pub(super) const METADATA_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "labels",
    "annotations",
    "generateName",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "ownerReferences",
    "finalizers",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];
/// Pod spec fields that cannot change placement, timing or traffic here.
const POD_SPEC_QUIET: &[&str] = &[
    "restartPolicy",
    "dnsPolicy",
    "schedulerName",
    "securityContext",
    "serviceAccountName",
    "serviceAccount",
    "automountServiceAccountToken",
    "imagePullSecrets",
    "enableServiceLinks",
    "hostname",
    "subdomain",
    "dnsConfig",
    "shareProcessNamespace",
    "hostAliases",
    "os",
    "setHostnameAsFQDN",
    "preemptionPolicy",
    "readinessGates",
    "hostUsers",
    "ephemeralContainers",
];
/// Pod spec fields that could change placement or timing but are not modelled yet.
const POD_SPEC_UNMODELLED: &[&str] = &[
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "schedulingGates",
    "overhead",
    "runtimeClassName",
    "activeDeadlineSeconds",
    "resourceClaims",
    "resources",
];
const CONTAINER_QUIET: &[&str] = &[
    "imagePullPolicy",
    "command",
    "args",
    "env",
    "envFrom",
    "livenessProbe",
    "securityContext",
    "volumeMounts",
    "workingDir",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "stdin",
    "stdinOnce",
    "tty",
    "volumeDevices",
    "resizePolicy",
    "restartPolicy",
];
const CONTAINER_UNMODELLED: &[&str] = &["startupProbe"];

/// A `kind: List` document or a typed list such as `ConfigMapList` (what `kubectl get
/// -o yaml` and the API print): its items, each decoded on its own.
pub struct ListDoc<'a> {
    pub items: &'a [Node],
    /// What the items of a typed list are when they omit `kind`/`apiVersion` (the API's
    /// `DeploymentList` leaves them out): `("Deployment", "apps/v1")`. `None` for `List`.
    pub item_type: Option<(String, String)>,
}

/// The kind of a list document, if `doc` is one: `kind: List`, or a kind ending in `List`
/// with an `items:` field.
pub fn list_kind(doc: &Node) -> Option<&str> {
    let Some(Node { value: Value::Str(kind), .. }) = doc.get("kind") else { return None };
    let typed = kind.len() > "List".len() && kind.ends_with("List") && doc.get("items").is_some();
    (kind == "List" || typed).then_some(kind.as_str())
}

/// Reads a list document (see [`list_kind`]); `Ok(None)` when `doc` is not one. The
/// list's own `metadata` (`resourceVersion: ""` from kubectl) is accepted quietly.
pub fn decode_list<'a>(r: Reader, doc: &'a Node, warnings: &mut Warnings) -> R<Option<ListDoc<'a>>> {
    let Some(kind) = list_kind(doc) else { return Ok(None) };
    let mut f = r.fields(doc, &format!("the {kind}"))?;
    f.ignore(&["kind", "metadata", "items"]);
    let api_version = f.opt("apiVersion").map(|n| r.string(n, "apiVersion")).transpose()?;
    let items = match doc.get("items") {
        Some(n) => r.list(n, "items")?,
        None => &[],
    };
    warn_misspelled(r, &f, &["apiVersion", "kind", "metadata", "items"], &format!("the {kind}"), warnings);
    let item_type = match (kind.strip_suffix("List"), api_version) {
        (Some(item), Some(api)) if !item.is_empty() => Some((item.to_string(), api)),
        _ => None,
    };
    Ok(Some(ListDoc { items, item_type }))
}

/// Decodes one manifest document. `Ok(None)` means the kind is skipped (with a warning).
/// `inherited`: the kind and apiVersion of a typed list's items, for items without them.
pub fn decode_object(
    r: Reader,
    doc: &Node,
    inherited: Option<&(String, String)>,
    warnings: &mut Warnings,
) -> R<Option<Object>> {
    let mut top = r.fields(doc, "the manifest")?;
    let (kind_span, kind) = match (top.opt("kind"), inherited) {
        (None, Some((kind, _))) => (doc.span, kind.clone()),
        (kind_node, _) => {
            let kind_node = match kind_node {
                Some(n) => n,
                None => top.req("kind")?,
            };
            (kind_node.span, r.string(kind_node, "kind")?)
        }
    };
    let api_version = match (top.opt("apiVersion"), inherited) {
        (Some(n), _) => r.string(n, "apiVersion")?,
        (None, Some((_, api))) => api.clone(),
        (None, None) => {
            return Err(r
                .error(doc.span, format!("the {kind} manifest has no apiVersion"))
                .with_hint("add e.g. `apiVersion: apps/v1` (Deployment) or `apiVersion: v1` (Pod, Service, Node)"))
        }
    };
    match kind_class(&kind, &api_version) {
        KindClass::Read => {}
        KindClass::Skipped(label) => {
            // Nothing but kind and apiVersion is read: `system:aggregated-metrics-reader`
            // is a fine ClusterRole name, and a CRD's schema is not ours to check.
            warnings.skip(&label, r.file, kind_span);
            return Ok(None);
        }
        KindClass::Unmodelled(why) => {
            let name = doc.get("metadata").and_then(|m| m.get("name")).and_then(Node::scalar_text);
            let named = name.map(|n| format!(" {n:?}")).unwrap_or_default();
            warnings.push(
                r.error(kind_span, format!("skipping {kind}{named}: not modelled, though {why}"))
                    .with_hint("placement and timing may differ from a real cluster where it applies"),
            );
            return Ok(None);
        }
    }
    let metadata = top.req("metadata")?;
    let mut meta = r.fields(metadata, "metadata")?;
    let name_node = meta.req("name")?;
    let name = r.name(name_node, "metadata.name")?;
    let labels = meta.opt("labels").map(|n| r.string_map(n, "metadata.labels")).transpose()?.unwrap_or_default();
    let namespace_node = meta.opt("namespace");
    meta.ignore(METADATA_FIELDS);
    warn_misspelled(r, &meta, METADATA_FIELDS, "metadata", warnings);
    top.ignore(&["status"]);
    let expected_api = match kind.as_str() {
        "Deployment" | "ReplicaSet" | "DaemonSet" => Some("apps/v1"),
        "Pod" | "Service" | "Node" | "Namespace" => Some("v1"),
        "PriorityClass" => Some("scheduling.k8s.io/v1"),
        "HorizontalPodAutoscaler" if api_version == "autoscaling/v1" => Some("autoscaling/v1"),
        "HorizontalPodAutoscaler" => Some("autoscaling/v2"),
        "PodDisruptionBudget" => Some("policy/v1"),
        "Job" | "CronJob" => Some("batch/v1"),
        _ => None,
    };
    if let Some(expected) = expected_api {
        if api_version != expected {
            return Err(r
                .error(
                    top.opt("apiVersion").map_or(doc.span, |n| n.span),
                    format!("{kind} {name:?} has apiVersion {api_version:?}"),
                )
                .with_hint(format!("{kind} is served as `apiVersion: {expected}`")));
        }
    }
    let spec = top.opt("spec");
    let cluster_scoped = matches!(kind.as_str(), "Node" | "PriorityClass" | "Namespace");
    let namespace = match namespace_node {
        Some(n) if cluster_scoped => {
            // Upstream: kubectl apply sends a cluster-scoped object without its namespace.
            warnings.push(
                r.error(
                    n.span,
                    format!("metadata.namespace of {kind} {name:?} is ignored: a {kind} belongs to no namespace"),
                )
                .with_hint("Nodes, PriorityClasses and Namespaces are cluster-scoped; drop `namespace:`"),
            );
            None
        }
        Some(n) => Some(super::refs::namespace_name(r, n, "metadata.namespace")?),
        None => None,
    };
    if kind == "Namespace" {
        super::refs::namespace_name(r, name_node, "the Namespace's metadata.name")?;
    }
    let object = match kind.as_str() {
        "Deployment" => Some(Object::Deployment(deployment(r, doc, &name, spec, warnings)?)),
        "ReplicaSet" => {
            let (replicas, selector, template) =
                replicated(r, doc, &name, "ReplicaSet", spec, warnings, &mut |_| Ok(()))?;
            Some(Object::ReplicaSet(ReplicaSetObject {
                name,
                namespace: DEFAULT_NAMESPACE.into(),
                replicas,
                selector,
                template,
            }))
        }
        "DaemonSet" => Some(Object::DaemonSet(daemon_set(r, doc, &name, spec, warnings)?)),
        "Pod" => {
            let spec = spec.ok_or_else(|| missing(r, doc, "Pod", &name, "spec"))?;
            let annotations = meta_annotations(r, metadata)?;
            let template = pod_template(r, labels, annotations, spec, &name, warnings)?;
            Some(Object::Pod(PodObject { name, namespace: DEFAULT_NAMESPACE.into(), template: Arc::new(template) }))
        }
        "Service" => Some(Object::Service(service(r, &name, spec, warnings)?)),
        "Node" => Some(Object::Node(node(r, doc, &name, labels, spec, warnings)?)),
        "PriorityClass" => {
            let value_node = top.req("value")?;
            let value = match value_node.value {
                Value::Int(v) if (-2_147_483_648..=1_000_000_000).contains(&v) => v as i32,
                _ => {
                    return Err(r
                        .error(
                            value_node.span,
                            format!("PriorityClass value {} is out of range", value_node.describe()),
                        )
                        .with_hint("user classes take a whole number up to 1000000000"))
                }
            };
            let global_default =
                top.opt("globalDefault").map(|n| r.boolean(n, "globalDefault")).transpose()?.unwrap_or(false);
            top.ignore(&["description", "preemptionPolicy"]);
            Some(Object::PriorityClass(PriorityClassObject { name, value, global_default }))
        }
        "PodDisruptionBudget" => Some(Object::PodDisruptionBudget(PdbObject {
            namespace: DEFAULT_NAMESPACE.into(),
            budget: pdb(r, doc, &name, spec)?,
        })),
        "Namespace" => {
            // spec.finalizers and status are the API server's business.
            top.ignore(&["spec"]);
            Some(Object::Namespace(NamespaceObject { name, labels }))
        }
        "HorizontalPodAutoscaler" => {
            Some(Object::HorizontalPodAutoscaler(super::hpa::decode_hpa(r, doc, &name, spec, &api_version)?))
        }
        "Job" => Some(Object::Job(super::jobs::decode_job(r, doc, &name, spec, warnings)?)),
        "CronJob" => Some(Object::CronJob(super::jobs::decode_cron_job(r, doc, &name, spec, warnings)?)),
        other => {
            // Workload kinds not modelled yet: each object is named (its pods are missing).
            warnings.push(
                r.error(kind_span, format!("skipping {other} {name:?}: this kind is not modelled"))
                    .with_hint("supported kinds: Deployment, ReplicaSet, Pod, Service, Node, Namespace, Job, CronJob, HorizontalPodAutoscaler, PodDisruptionBudget, PriorityClass"),
            );
            // The rest of an unmodelled kind's schema is not ours to check.
            return Ok(None);
        }
    };
    warn_misspelled(
        r,
        &top,
        &[
            "apiVersion",
            "kind",
            "metadata",
            "spec",
            "status",
            "value",
            "globalDefault",
            "description",
            "preemptionPolicy",
        ],
        "the manifest",
        warnings,
    );
    let mut object = object;
    if let (Some(o), Some(ns)) = (object.as_mut(), namespace) {
        super::refs::set_namespace(o, ns);
    }
    Ok(object)
}

/// Kinds the loader reads: modelled, or workloads it names one by one when it skips them.
const READ_KINDS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "Pod",
    "Service",
    "Node",
    "Namespace",
    "PriorityClass",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

/// Kinds that can change placement, timing or traffic but are not modelled: each object
/// gets its own warning. (Pods' PVC volumes are warned about on the pods.)
const UNMODELLED_KINDS: &[(&str, &str)] = &[
    ("LimitRange", "it can give containers default requests and limits"),
    ("ResourceQuota", "it can refuse pods"),
    ("RuntimeClass", "it can add pod overhead and node selectors"),
    ("VerticalPodAutoscaler", "it changes pods' requests"),
    ("ScaledObject", "it scales workloads"),
];

enum KindClass {
    /// Decoded (or warned about by name, as before).
    Read,
    /// Counted into one warning line, nothing read: the label names the kind (with its
    /// API group when it is not Kubernetes' own, `Service.serving.knative.dev`).
    Skipped(String),
    /// One warning per object, saying what the kind would change.
    Unmodelled(&'static str),
}

/// Whether `group` is one of Kubernetes' own API groups (core `""`, `apps`, `batch`,
/// `policy`, `*.k8s.io`), where a known kind name means that kind.
fn builtin_group(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}

fn kind_class(kind: &str, api_version: &str) -> KindClass {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if READ_KINDS.contains(&kind) {
        return match builtin_group(group) {
            true => KindClass::Read,
            // A custom resource that shares a name with a built-in kind (Knative's Service).
            false => KindClass::Skipped(format!("{kind}.{group}")),
        };
    }
    match UNMODELLED_KINDS.iter().find(|(k, _)| *k == kind) {
        Some((_, why)) => KindClass::Unmodelled(why),
        None => KindClass::Skipped(kind.to_string()),
    }
}

pub(super) fn missing(r: Reader, doc: &Node, kind: &str, name: &str, field: &str) -> Diagnostic {
    r.error(doc.span, format!("{kind} {name:?} has no `{field}`"))
        .with_hint(format!("add `{field}:`; `kubectl create ... --dry-run=client -o yaml` shows a complete {kind}"))
}

/// Warns about keys nobody read; a near-miss of a known field names it.
pub(super) fn warn_misspelled(r: Reader, fields: &Fields, known: &[&str], what: &str, warnings: &mut Warnings) {
    for key in fields.unknown() {
        let d = r.error(key.span, format!("unknown field `{}` in {what} is ignored", key.name));
        warnings.push(match closest(&key.name, known) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None => d.with_hint("check the Kubernetes API reference for this kind"),
        });
    }
}

pub(super) fn warn_unmodelled(r: Reader, span: Span, field: &str, object: &str, warnings: &mut Warnings) {
    warnings.push(
        r.error(span, format!("`{field}` of {object} is not modelled: the simulation ignores it"))
            .with_hint("placement and timing may differ from a real cluster for this object"),
    );
}

pub(super) fn meta_annotations(r: Reader, metadata: &Node) -> R<Labels> {
    metadata
        .get("annotations")
        .map(|n| r.string_map(n, "metadata.annotations"))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn deployment(r: Reader, doc: &Node, name: &str, spec: Option<&Node>, warnings: &mut Warnings) -> R<DeploymentObject> {
    let mut strategy = DeploymentStrategy::RollingUpdate {
        max_surge: IntOrPercent::Percent(25),
        max_unavailable: IntOrPercent::Percent(25),
    };
    let mut min_ready_seconds = Duration::ZERO;
    let mut revision_history_limit = 10;
    let mut progress_deadline = Duration::from_secs(600);
    let mut paused = false;
    let (replicas, selector, template) = replicated(r, doc, name, "Deployment", spec, warnings, &mut |f| {
        if let Some(n) = f.opt("strategy") {
            strategy = decode_strategy(r, n)?;
        }
        if let Some(n) = f.opt("minReadySeconds") {
            min_ready_seconds = r.seconds(n, "minReadySeconds", 86_400)?;
        }
        if let Some(n) = f.opt("revisionHistoryLimit") {
            revision_history_limit = r.count(n, "revisionHistoryLimit", u32::MAX as u64)? as u32;
        }
        if let Some(n) = f.opt("progressDeadlineSeconds") {
            progress_deadline = r.seconds(n, "progressDeadlineSeconds", i32::MAX as u64)?;
        }
        if let Some(n) = f.opt("paused") {
            paused = r.boolean(n, "paused")?;
        }
        Ok(())
    })?;
    Ok(DeploymentObject {
        name: name.to_string(),
        namespace: DEFAULT_NAMESPACE.into(),
        replicas,
        selector,
        template,
        strategy,
        min_ready_seconds,
        revision_history_limit,
        progress_deadline,
        paused,
    })
}

/// An `apps/v1` DaemonSet: no replicas; `updateStrategy` RollingUpdate (maxUnavailable 1,
/// maxSurge 0) or OnDelete.
// Upstream: pkg/apis/apps/v1/defaults.go (SetDefaults_DaemonSet), pkg/apis/apps/validation (ValidateRollingUpdateDaemonSet).
fn daemon_set(r: Reader, doc: &Node, name: &str, spec: Option<&Node>, warnings: &mut Warnings) -> R<DaemonSetObject> {
    if let Some(n) = spec.and_then(|s| s.get("replicas")) {
        return Err(r.error(n.span, format!("DaemonSet {name:?} has spec.replicas {}", n.describe())).with_hint(
            "a DaemonSet runs one pod per eligible node: remove `replicas` (use a Deployment for a count)",
        ));
    }
    let mut strategy =
        DaemonSetStrategy::RollingUpdate { max_unavailable: IntOrPercent::Int(1), max_surge: IntOrPercent::Int(0) };
    let mut min_ready_seconds = Duration::ZERO;
    let mut revision_history_limit = 10;
    let (_, selector, template) = replicated(r, doc, name, "DaemonSet", spec, warnings, &mut |f| {
        if let Some(n) = f.opt("updateStrategy") {
            strategy = decode_daemon_strategy(r, n)?;
        }
        if let Some(n) = f.opt("minReadySeconds") {
            min_ready_seconds = r.seconds(n, "minReadySeconds", 86_400)?;
        }
        if let Some(n) = f.opt("revisionHistoryLimit") {
            revision_history_limit = r.count(n, "revisionHistoryLimit", u32::MAX as u64)? as u32;
        }
        Ok(())
    })?;
    Ok(DaemonSetObject {
        name: name.to_string(),
        namespace: DEFAULT_NAMESPACE.into(),
        selector,
        template,
        strategy,
        min_ready_seconds,
        revision_history_limit,
    })
}

fn decode_daemon_strategy(r: Reader, node: &Node) -> R<DaemonSetStrategy> {
    let mut f = r.fields(node, "spec.updateStrategy")?;
    let kind = f.opt("type").map(|n| r.string(n, "updateStrategy.type")).transpose()?;
    let strategy = match kind.as_deref() {
        Some("OnDelete") => DaemonSetStrategy::OnDelete,
        None | Some("RollingUpdate") => {
            let (mut surge, mut unavailable) = (IntOrPercent::Int(0), IntOrPercent::Int(1));
            if let Some(ru) = f.opt("rollingUpdate") {
                let bounds = rolling_bounds(r, ru, "updateStrategy.rollingUpdate", surge, unavailable)?;
                (surge, unavailable) = (bounds.surge, bounds.unavailable);
                // Upstream: pkg/apis/apps/validation/validation.go (ValidateRollingUpdateDaemonSet).
                if is_zero(surge) == is_zero(unavailable) {
                    return Err(r
                        .error(
                            ru.span,
                            format!(
                                "maxSurge {} and maxUnavailable {}: exactly one must be non-zero",
                                show(surge),
                                show(unavailable)
                            ),
                        )
                        .with_hint("a DaemonSet either surges (maxSurge: 1, maxUnavailable: 0) or replaces in place (maxUnavailable: 1, maxSurge: 0)"));
                }
                at_most_100_percent(r, ru, surge, bounds.surge_node, "maxSurge")?;
                at_most_100_percent(r, ru, unavailable, bounds.unavailable_node, "maxUnavailable")?;
            }
            DaemonSetStrategy::RollingUpdate { max_unavailable: unavailable, max_surge: surge }
        }
        Some(other) => {
            return Err(r
                .error(node.span, format!("unknown updateStrategy type {other:?}"))
                .with_hint("use RollingUpdate or OnDelete"))
        }
    };
    f.deny_unknown(&["type", "rollingUpdate"])?;
    Ok(strategy)
}

/// `rollingUpdate.maxSurge` and `maxUnavailable` of a Deployment or DaemonSet (the given
/// defaults when absent), with the node each was read from, for errors.
struct RollingBounds<'a> {
    surge: IntOrPercent,
    surge_node: Option<&'a Node>,
    unavailable: IntOrPercent,
    unavailable_node: Option<&'a Node>,
}

fn rolling_bounds<'a>(
    r: Reader<'a>,
    ru: &'a Node,
    what: &str,
    surge: IntOrPercent,
    unavailable: IntOrPercent,
) -> R<RollingBounds<'a>> {
    let mut f = r.fields(ru, what)?;
    let surge_node = f.opt("maxSurge");
    let surge = surge_node.map_or(Ok(surge), |n| r.int_or_percent(n, "maxSurge"))?;
    let unavailable_node = f.opt("maxUnavailable");
    let unavailable = unavailable_node.map_or(Ok(unavailable), |n| r.int_or_percent(n, "maxUnavailable"))?;
    f.deny_unknown(&["maxSurge", "maxUnavailable"])?;
    Ok(RollingBounds { surge, surge_node, unavailable, unavailable_node })
}

fn is_zero(v: IntOrPercent) -> bool {
    matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0))
}

/// Upstream: pkg/apis/apps/validation/validation.go (IsNotMoreThan100Percent).
fn at_most_100_percent(r: Reader, ru: &Node, v: IntOrPercent, node: Option<&Node>, what: &str) -> R<()> {
    if matches!(v, IntOrPercent::Percent(p) if p > 100) {
        return Err(r
            .error(node.map_or(ru.span, |n| n.span), format!("{what} \"{}\" may not exceed 100%", show(v)))
            .with_hint("use a percentage from 0% to 100%"));
    }
    Ok(())
}

/// Defaults and checks from pkg/apis/apps/v1/defaults.go and apps validation.
fn decode_strategy(r: Reader, node: &Node) -> R<DeploymentStrategy> {
    let mut f = r.fields(node, "spec.strategy")?;
    let kind = f.opt("type").map(|n| r.string(n, "strategy.type")).transpose()?;
    let strategy = match kind.as_deref() {
        Some("Recreate") => DeploymentStrategy::Recreate,
        None | Some("RollingUpdate") => {
            let (mut surge, mut unavailable) = (IntOrPercent::Percent(25), IntOrPercent::Percent(25));
            if let Some(ru) = f.opt("rollingUpdate") {
                let bounds = rolling_bounds(r, ru, "strategy.rollingUpdate", surge, unavailable)?;
                (surge, unavailable) = (bounds.surge, bounds.unavailable);
                if is_zero(surge) && is_zero(unavailable) {
                    return Err(r
                        .error(
                            ru.span,
                            format!(
                                "maxSurge {} and maxUnavailable {} may not both be zero",
                                show(surge),
                                show(unavailable)
                            ),
                        )
                        .with_hint("a rollout needs room to move: set maxSurge: 1 or maxUnavailable: 1"));
                }
                at_most_100_percent(r, ru, unavailable, bounds.unavailable_node, "maxUnavailable")?;
            }
            DeploymentStrategy::RollingUpdate { max_surge: surge, max_unavailable: unavailable }
        }
        Some(other) => {
            return Err(r
                .error(node.span, format!("unknown strategy type {other:?}"))
                .with_hint("use RollingUpdate or Recreate"))
        }
    };
    f.deny_unknown(&["type", "rollingUpdate"])?;
    Ok(strategy)
}

/// The parts Deployments and ReplicaSets share; `extra` reads kind-specific fields.
fn replicated(
    r: Reader,
    doc: &Node,
    name: &str,
    kind: &str,
    spec: Option<&Node>,
    warnings: &mut Warnings,
    extra: &mut dyn FnMut(&mut Fields) -> R<()>,
) -> R<(u32, LabelSelector, Arc<PodTemplate>)> {
    let spec = spec.ok_or_else(|| missing(r, doc, kind, name, "spec"))?;
    let mut f = r.fields(spec, "spec")?;
    let replicas = match f.opt("replicas") {
        Some(n) => r.count(n, "spec.replicas", MAX_REPLICAS)? as u32,
        None => 1,
    };
    let selector_node = f.opt("selector").ok_or_else(|| {
        missing(r, doc, kind, name, "spec.selector")
            .with_hint("apps/v1 requires spec.selector.matchLabels equal to the template's labels")
    })?;
    let selector = label_selector(r, selector_node)?;
    let template_node = f.opt("template").ok_or_else(|| missing(r, doc, kind, name, "spec.template"))?;
    let mut tf = r.fields(template_node, "spec.template")?;
    let (labels, annotations) = match tf.opt("metadata") {
        Some(m) => {
            let mut mf = r.fields(m, "spec.template.metadata")?;
            let labels = mf.opt("labels").map(|n| r.string_map(n, "template labels")).transpose()?.unwrap_or_default();
            mf.ignore(METADATA_FIELDS);
            (labels, meta_annotations(r, m)?)
        }
        None => (Labels::new(), Labels::new()),
    };
    if selector.is_empty() {
        return Err(r
            .error(selector_node.span, format!("{kind} {name:?} has an empty selector"))
            .with_hint("an empty selector would adopt every pod: set matchLabels to the template's labels"));
    }
    if !selector.matches(&labels) {
        return Err(r
            .error(selector_node.span, format!("the selector of {kind} {name:?} does not match its template labels"))
            .with_hint(format!(
                "spec.template.metadata.labels are {labels:?}: make spec.selector.matchLabels a subset of them"
            )));
    }
    let pod_spec = tf.opt("spec").ok_or_else(|| missing(r, doc, kind, name, "spec.template.spec"))?;
    let template = pod_template(r, labels, annotations, pod_spec, &format!("{kind} {name:?}"), warnings)?;
    extra(&mut f)?;
    warn_misspelled(
        r,
        &f,
        &[
            "replicas",
            "selector",
            "template",
            "strategy",
            "minReadySeconds",
            "revisionHistoryLimit",
            "progressDeadlineSeconds",
            "paused",
            "updateStrategy",
        ],
        "spec",
        warnings,
    );
    Ok((replicas, selector, Arc::new(template)))
}

pub(super) fn label_selector(r: Reader, node: &Node) -> R<LabelSelector> {
    let mut f = r.fields(node, "selector")?;
    let match_labels = f.opt("matchLabels").map(|n| r.string_map(n, "matchLabels")).transpose()?.unwrap_or_default();
    let mut match_expressions = Vec::new();
    if let Some(list) = f.opt("matchExpressions") {
        for item in r.list(list, "matchExpressions")? {
            let mut e = r.fields(item, "a matchExpressions entry")?;
            let key = r.string(e.req("key")?, "key")?;
            let op_node = e.req("operator")?;
            let op = match r.string(op_node, "operator")?.as_str() {
                "In" => SelectorOp::In,
                "NotIn" => SelectorOp::NotIn,
                "Exists" => SelectorOp::Exists,
                "DoesNotExist" => SelectorOp::DoesNotExist,
                other => {
                    return Err(r
                        .error(op_node.span, format!("unknown selector operator {other:?}"))
                        .with_hint("use In, NotIn, Exists or DoesNotExist"))
                }
            };
            let values = match e.opt("values") {
                Some(v) => r.list(v, "values")?.iter().map(|n| r.string(n, "a value")).collect::<R<Vec<_>>>()?,
                None => Vec::new(),
            };
            e.deny_unknown(&["key", "operator", "values"])?;
            match_expressions.push(Requirement { key, op, values });
        }
    }
    f.deny_unknown(&["matchLabels", "matchExpressions"])?;
    Ok(LabelSelector { match_labels, match_expressions })
}

pub(super) fn pod_template(
    r: Reader,
    labels: Labels,
    annotations: Labels,
    spec: &Node,
    object: &str,
    warnings: &mut Warnings,
) -> R<PodTemplate> {
    let deletion_cost = match annotations.get("controller.kubernetes.io/pod-deletion-cost") {
        Some(v) => v.parse::<i32>().map_err(|_| {
            r.error(spec.span, format!("pod-deletion-cost annotation {v:?} is not a 32-bit integer"))
                .with_hint("write a whole number, e.g. \"100\"")
        })?,
        None => 0,
    };
    Ok(PodTemplate { labels, deletion_cost, spec: pod_spec(r, spec, object, warnings)? })
}

fn pod_spec(r: Reader, node: &Node, object: &str, warnings: &mut Warnings) -> R<PodSpec> {
    let mut f = r.fields(node, "the pod spec")?;
    let containers_node = f.req("containers")?;
    let containers = containers_list(r, containers_node, object, warnings)?;
    if containers.is_empty() {
        return Err(r
            .error(containers_node.span, format!("{object} has no containers"))
            .with_hint("a pod needs at least one container"));
    }
    let init_containers = match f.opt("initContainers") {
        Some(n) => containers_list(r, n, object, warnings)?,
        None => Vec::new(),
    };
    let node_selector = f.opt("nodeSelector").map(|n| r.string_map(n, "nodeSelector")).transpose()?.unwrap_or_default();
    let node_name = f.opt("nodeName").map(|n| r.string(n, "nodeName")).transpose()?;
    let tolerations = match f.opt("tolerations") {
        Some(n) => r.list(n, "tolerations")?.iter().map(|t| toleration(r, t)).collect::<R<Vec<_>>>()?,
        None => Vec::new(),
    };
    let priority = match f.opt("priority") {
        Some(n) => r.count(n, "priority", 1_000_000_000)? as i32,
        None => 0,
    };
    let priority_class_name = f.opt("priorityClassName").map(|n| r.string(n, "priorityClassName")).transpose()?;
    let affinity = f.opt("affinity").map(|n| affinity(r, n)).transpose()?.unwrap_or_default();
    let topology_spread = match f.opt("topologySpreadConstraints") {
        Some(n) => {
            r.list(n, "topologySpreadConstraints")?.iter().map(|c| spread_constraint(r, c)).collect::<R<Vec<_>>>()?
        }
        None => Vec::new(),
    };
    let readiness_probe = containers.iter().find_map(|c| c.1);
    let termination_grace_period = f
        .opt("terminationGracePeriodSeconds")
        .map(|n| r.seconds(n, "terminationGracePeriodSeconds", 86_400 * 365))
        .transpose()?
        .unwrap_or(crate::model::DEFAULT_TERMINATION_GRACE_PERIOD);
    if let Some(volumes) = f.opt("volumes") {
        let claims = r
            .list(volumes, "volumes")?
            .iter()
            .any(|v| v.get("persistentVolumeClaim").is_some() || v.get("ephemeral").is_some());
        if claims {
            warn_unmodelled(r, volumes.span, "volumes (persistent volume claims)", object, warnings);
        }
    }
    for field in POD_SPEC_UNMODELLED {
        if let Some(n) = f.opt(field) {
            warn_unmodelled(r, n.span, field, object, warnings);
        }
    }
    f.ignore(POD_SPEC_QUIET);
    let known: Vec<&str> =
        ["containers", "initContainers", "nodeSelector", "nodeName", "tolerations", "priority", "volumes"]
            .iter()
            .chain(&["terminationGracePeriodSeconds", "priorityClassName", "affinity", "topologySpreadConstraints"])
            .chain(POD_SPEC_QUIET)
            .chain(POD_SPEC_UNMODELLED)
            .copied()
            .collect();
    warn_misspelled(r, &f, &known, "the pod spec", warnings);
    Ok(PodSpec {
        containers: containers.into_iter().map(|c| c.0).collect(),
        init_containers: init_containers.into_iter().map(|c| c.0).collect(),
        node_selector,
        node_name,
        tolerations,
        readiness_probe,
        priority,
        priority_class_name,
        affinity,
        topology_spread,
        termination_grace_period,
    })
}

fn affinity(r: Reader, node: &Node) -> R<Affinity> {
    let mut f = r.fields(node, "affinity")?;
    let mut out = Affinity::default();
    if let Some(n) = f.opt("nodeAffinity") {
        let mut nf = r.fields(n, "nodeAffinity")?;
        if let Some(req) = nf.opt("requiredDuringSchedulingIgnoredDuringExecution") {
            let mut rf = r.fields(req, "requiredDuringSchedulingIgnoredDuringExecution")?;
            let terms = r.list(rf.req("nodeSelectorTerms")?, "nodeSelectorTerms")?;
            out.node.required = Some(terms.iter().map(|t| node_selector_term(r, t)).collect::<R<Vec<_>>>()?);
            rf.deny_unknown(&["nodeSelectorTerms"])?;
        }
        if let Some(pref) = nf.opt("preferredDuringSchedulingIgnoredDuringExecution") {
            for item in r.list(pref, "preferredDuringSchedulingIgnoredDuringExecution")? {
                let mut pf = r.fields(item, "a preferred node affinity term")?;
                let weight = weight(r, pf.req("weight")?)?;
                let term = node_selector_term(r, pf.req("preference")?)?;
                pf.deny_unknown(&["weight", "preference"])?;
                out.node.preferred.push((weight, term));
            }
        }
        nf.deny_unknown(&[
            "requiredDuringSchedulingIgnoredDuringExecution",
            "preferredDuringSchedulingIgnoredDuringExecution",
        ])?;
    }
    if let Some(n) = f.opt("podAffinity") {
        out.pod = pod_affinity_rules(r, n, "podAffinity")?;
    }
    if let Some(n) = f.opt("podAntiAffinity") {
        out.pod_anti = pod_affinity_rules(r, n, "podAntiAffinity")?;
    }
    f.deny_unknown(&["nodeAffinity", "podAffinity", "podAntiAffinity"])?;
    Ok(out)
}

/// `3` or `25%`, as written.
fn show(v: IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(i) => i.to_string(),
        IntOrPercent::Percent(p) => format!("{p}%"),
    }
}

/// Weights of preferred terms are 1..100 (apis/core/validation).
fn weight(r: Reader, node: &Node) -> R<i64> {
    let w = r.count(node, "weight", 100)?;
    if w == 0 {
        return Err(r.error(node.span, "weight 0 must be between 1 and 100").with_hint("e.g. weight: 50"));
    }
    Ok(w as i64)
}

fn node_selector_term(r: Reader, node: &Node) -> R<NodeSelectorTerm> {
    let mut f = r.fields(node, "a node selector term")?;
    let mut term = NodeSelectorTerm::default();
    for (key, slot) in [("matchExpressions", &mut term.match_expressions), ("matchFields", &mut term.match_fields)] {
        if let Some(list) = f.opt(key) {
            for item in r.list(list, key)? {
                let mut e = r.fields(item, "a node selector requirement")?;
                let k = r.string(e.req("key")?, "key")?;
                let op_node = e.req("operator")?;
                let op = match r.string(op_node, "operator")?.as_str() {
                    "In" => NodeSelectorOp::In,
                    "NotIn" => NodeSelectorOp::NotIn,
                    "Exists" => NodeSelectorOp::Exists,
                    "DoesNotExist" => NodeSelectorOp::DoesNotExist,
                    "Gt" => NodeSelectorOp::Gt,
                    "Lt" => NodeSelectorOp::Lt,
                    other => {
                        return Err(r
                            .error(op_node.span, format!("unknown node selector operator {other:?}"))
                            .with_hint("use In, NotIn, Exists, DoesNotExist, Gt or Lt"))
                    }
                };
                let values = match e.opt("values") {
                    Some(v) => r.list(v, "values")?.iter().map(|n| r.string(n, "a value")).collect::<R<Vec<_>>>()?,
                    None => Vec::new(),
                };
                e.deny_unknown(&["key", "operator", "values"])?;
                slot.push(NodeSelectorRequirement { key: k, op, values });
            }
        }
    }
    f.deny_unknown(&["matchExpressions", "matchFields"])?;
    Ok(term)
}

fn pod_affinity_rules(r: Reader, node: &Node, what: &str) -> R<PodAffinityRules> {
    let mut f = r.fields(node, what)?;
    let mut rules = PodAffinityRules::default();
    if let Some(list) = f.opt("requiredDuringSchedulingIgnoredDuringExecution") {
        for item in r.list(list, "requiredDuringSchedulingIgnoredDuringExecution")? {
            rules.required.push(pod_affinity_term(r, item)?);
        }
    }
    if let Some(list) = f.opt("preferredDuringSchedulingIgnoredDuringExecution") {
        for item in r.list(list, "preferredDuringSchedulingIgnoredDuringExecution")? {
            let mut pf = r.fields(item, "a weighted pod affinity term")?;
            let w = weight(r, pf.req("weight")?)?;
            let term = pod_affinity_term(r, pf.req("podAffinityTerm")?)?;
            pf.deny_unknown(&["weight", "podAffinityTerm"])?;
            rules.preferred.push((w, term));
        }
    }
    f.deny_unknown(&[
        "requiredDuringSchedulingIgnoredDuringExecution",
        "preferredDuringSchedulingIgnoredDuringExecution",
    ])?;
    Ok(rules)
}

fn pod_affinity_term(r: Reader, node: &Node) -> R<PodAffinityTerm> {
    let mut f = r.fields(node, "a pod affinity term")?;
    let topology_key = r.string(f.req("topologyKey")?, "topologyKey")?;
    let selector = f.opt("labelSelector").map(|n| label_selector(r, n)).transpose()?.unwrap_or_default();
    // Upstream: pkg/scheduler/framework/types.go (GetNamespacesFromPodAffinityTerm): neither set means the
    // pod's own namespace; a null namespaceSelector is unset, `{}` is every namespace.
    let namespaces = match f.opt("namespaces") {
        Some(n) => r
            .list(n, "namespaces")?
            .iter()
            .map(|x| super::refs::namespace_name(r, x, "a namespace"))
            .collect::<R<Vec<_>>>()?,
        None => Vec::new(),
    };
    let namespace_selector = match f.opt("namespaceSelector") {
        Some(n) if n.value != Value::Null => Some(label_selector(r, n)?),
        _ => None,
    };
    f.ignore(&["matchLabelKeys", "mismatchLabelKeys"]);
    f.deny_unknown(&[
        "topologyKey",
        "labelSelector",
        "namespaces",
        "namespaceSelector",
        "matchLabelKeys",
        "mismatchLabelKeys",
    ])?;
    Ok(PodAffinityTerm { selector, topology_key, namespaces, namespace_selector })
}

pub(super) fn spread_constraint(r: Reader, node: &Node) -> R<TopologySpreadConstraint> {
    let mut f = r.fields(node, "a topology spread constraint")?;
    let skew_node = f.req("maxSkew")?;
    let max_skew = r.count(skew_node, "maxSkew", i32::MAX as u64)? as i64;
    if max_skew == 0 {
        return Err(r
            .error(skew_node.span, "maxSkew 0 must be at least 1")
            .with_hint("maxSkew: 1 keeps domains within one pod of each other"));
    }
    let topology_key = r.string(f.req("topologyKey")?, "topologyKey")?;
    let wu = f.req("whenUnsatisfiable")?;
    let when_unsatisfiable = match r.string(wu, "whenUnsatisfiable")?.as_str() {
        "DoNotSchedule" => WhenUnsatisfiable::DoNotSchedule,
        "ScheduleAnyway" => WhenUnsatisfiable::ScheduleAnyway,
        other => {
            return Err(r
                .error(wu.span, format!("unknown whenUnsatisfiable {other:?}"))
                .with_hint("use DoNotSchedule or ScheduleAnyway"))
        }
    };
    let selector = f.opt("labelSelector").map(|n| label_selector(r, n)).transpose()?.unwrap_or_default();
    let min_domains =
        f.opt("minDomains").map(|n| r.count(n, "minDomains", i32::MAX as u64).map(|v| v as i64)).transpose()?;
    let match_label_keys = match f.opt("matchLabelKeys") {
        Some(n) => r.list(n, "matchLabelKeys")?.iter().map(|k| r.string(k, "a label key")).collect::<R<Vec<_>>>()?,
        None => Vec::new(),
    };
    f.ignore(&["nodeAffinityPolicy", "nodeTaintsPolicy"]);
    f.deny_unknown(&[
        "maxSkew",
        "topologyKey",
        "whenUnsatisfiable",
        "labelSelector",
        "minDomains",
        "matchLabelKeys",
        "nodeAffinityPolicy",
        "nodeTaintsPolicy",
    ])?;
    Ok(TopologySpreadConstraint { max_skew, topology_key, when_unsatisfiable, selector, min_domains, match_label_keys })
}

fn containers_list(
    r: Reader,
    node: &Node,
    object: &str,
    warnings: &mut Warnings,
) -> R<Vec<(Container, Option<Probe>)>> {
    r.list(node, "containers")?.iter().map(|c| container(r, c, object, warnings)).collect()
}

fn container(r: Reader, node: &Node, object: &str, warnings: &mut Warnings) -> R<(Container, Option<Probe>)> {
    let mut f = r.fields(node, "a container")?;
    let name = r.string(f.req("name")?, "container name")?;
    let image = f.opt("image").map(|n| r.string(n, "image")).transpose()?.unwrap_or_default();
    let (cpu, memory, scalar_requests) = match f.opt("resources") {
        Some(res) => container_resources(r, res, object, warnings)?,
        None => (None, None, Scalars::default()),
    };
    let probe = f.opt("readinessProbe").map(|n| readiness_probe(r, n)).transpose()?;
    let pre_stop = match f.opt("lifecycle") {
        Some(n) => pre_stop(r, n)?,
        None => Duration::ZERO,
    };
    if let Some(ports) = f.opt("ports") {
        if r.list(ports, "ports")?.iter().any(|p| p.get("hostPort").is_some()) {
            warn_unmodelled(r, ports.span, "hostPort", object, warnings);
        }
    }
    for field in CONTAINER_UNMODELLED {
        if let Some(n) = f.opt(field) {
            warn_unmodelled(r, n.span, field, object, warnings);
        }
    }
    f.ignore(CONTAINER_QUIET);
    let known: Vec<&str> = ["name", "image", "resources", "readinessProbe", "ports", "lifecycle"]
        .iter()
        .chain(CONTAINER_QUIET)
        .chain(CONTAINER_UNMODELLED)
        .copied()
        .collect();
    warn_misspelled(r, &f, &known, "a container", warnings);
    Ok((
        Container { name, image, cpu_request_millis: cpu, memory_request_bytes: memory, scalar_requests, pre_stop },
        probe,
    ))
}

/// The entries of `resources.requests` or `resources.limits`: (name, where, value).
fn resource_list<'a>(r: Reader, node: &'a Node, what: &str) -> R<Vec<(&'a Key, &'a Node)>> {
    match &node.value {
        Value::Map(entries) => Ok(entries.iter().map(|(k, v)| (k, v)).collect()),
        Value::Null => Ok(Vec::new()),
        other => Err(r
            .error(node.span, format!("{what} must be a mapping, found {}", other.type_name()))
            .with_hint("write e.g. {cpu: 500m, memory: 256Mi}")),
    }
}

/// A container's cpu and memory requests (`None`: omitted, which matters for scoring) and
/// its scalar requests (ephemeral-storage, hugepages, extended resources), after the API
/// server's defaulting and validation of `resources`.
fn container_resources(
    r: Reader,
    node: &Node,
    object: &str,
    warnings: &mut Warnings,
) -> R<(Option<i64>, Option<i64>, Scalars)> {
    let mut rf = r.fields(node, "resources")?;
    let requests = match rf.opt("requests") {
        Some(n) => resource_list(r, n, "resources.requests")?,
        None => Vec::new(),
    };
    let limits = match rf.opt("limits") {
        Some(n) => resource_list(r, n, "resources.limits")?,
        None => Vec::new(),
    };
    rf.ignore(&["claims"]);
    warn_misspelled(r, &rf, &["requests", "limits", "claims"], "resources", warnings);
    fn find<'a>(list: &[(&'a Key, &'a Node)], name: &str) -> Option<(&'a Key, &'a Node)> {
        list.iter().find(|(k, _)| k.name == name).copied()
    }
    let mut names: Vec<&str> = requests.iter().map(|(k, _)| k.name.as_str()).collect();
    names.extend(limits.iter().map(|(k, _)| k.name.as_str()).filter(|n| find(&requests, n).is_none()));
    let (mut cpu, mut memory, mut scalars) = (None, None, Scalars::default());
    let (mut hugepages, mut cpu_or_memory) = (None, false);
    for name in names {
        let request = find(&requests, name);
        let limit = find(&limits, name);
        let kind = classify(name);
        let key = request.or(limit).map(|(k, _)| k).expect("named by one of them");
        match kind {
            ResourceName::Invalid(why) => {
                let list = if request.is_some() { "requests" } else { "limits" };
                return Err(r.error(key.span, format!("resources.{list}.{name}: {name:?} {why}")).with_hint(
                    "containers name cpu, memory, ephemeral-storage, hugepages-<size> or a domain-qualified \
                     extended resource such as nvidia.com/gpu",
                ));
            }
            ResourceName::NativePrefixed => {
                if request.is_some() {
                    warn_unmodelled(r, key.span, &format!("resources.requests.{name}"), object, warnings);
                }
                continue;
            }
            ResourceName::Cpu | ResourceName::Memory => cpu_or_memory = true,
            ResourceName::HugePages(_) => hugepages = hugepages.or(Some(key.span)),
            ResourceName::EphemeralStorage | ResourceName::Extended => {}
        }
        let exact = |(_, n): (&Key, &Node), what: &str| r.exact_quantity(n, &format!("{name} {what}"));
        let req = request.map(|e| exact(e, "request")).transpose()?;
        let lim = limit.map(|e| exact(e, "limit")).transpose()?;
        // Upstream: pkg/apis/core/validation/validation.go (ValidateResourceRequirements):
        // a request at most its limit; equal to it where overcommit is not allowed
        // (hugepages, extended resources), which then need a limit.
        match (request, req, limit, lim) {
            (Some((_, req_node)), Some(req), Some((_, lim_node)), Some(lim)) => {
                let equal_only = !kind.overcommit_allowed();
                if (equal_only && req != lim) || req > lim {
                    let rule = if equal_only { "equal to" } else { "less than or equal to" };
                    let hint = if equal_only {
                        format!(
                            "{name} cannot be overcommitted: give the request and the limit the same amount, or \
                             only the limit (the request then defaults to it)"
                        )
                    } else {
                        format!(
                            "the API server refuses a request above its limit: lower the request, raise the limit \
                             at line {}, or leave the request out (it then defaults to the limit)",
                            lim_node.span.line
                        )
                    };
                    return Err(r
                        .error(
                            req_node.span,
                            format!(
                                "{name} request {} must be {rule} the {name} limit {}",
                                req_node.describe(),
                                lim_node.describe()
                            ),
                        )
                        .with_hint(hint));
                }
            }
            (Some((_, req_node)), _, None, _) if !kind.overcommit_allowed() => {
                return Err(r
                    .error(req_node.span, format!("{name} request {} needs a {name} limit", req_node.describe()))
                    .with_hint(format!(
                        "the API server sets no limit for resources that cannot be overcommitted: add \
                         `limits: {{{name}: {}}}` (the request may then be left out)",
                        req_node.scalar_text().unwrap_or_default()
                    )));
            }
            _ => {}
        }
        // Upstream: pkg/apis/core/v1/defaults.go (SetDefaults_Pod): a limit without a
        // request sets the request to the limit, per resource.
        let (at, q) = match (request, req) {
            (Some((_, n)), Some(q)) => (n, q),
            _ => (limit.expect("one of them").1, lim.expect("parsed")),
        };
        let too_large = |e: super::quantity::QuantityError| {
            r.error(at.span, format!("{name} {} is too large: {e}", at.describe())).with_hint(e.hint())
        };
        match kind {
            ResourceName::Cpu => cpu = Some(q.milli_value().map_err(too_large)?),
            ResourceName::Memory => memory = Some(q.value().map_err(too_large)?),
            _ => {
                let what = if request.is_some() { "request" } else { "limit" };
                let amount = scalar_amount(r, at, name, kind, what)?;
                if amount > 0 {
                    let mut registry = r.scalars.borrow_mut();
                    let slot = registry.slot(name, r.file, key.span)?;
                    registry.requested(slot, r.file, at.span);
                    scalars.0[slot] = amount;
                }
            }
        }
    }
    // Upstream: validation.go (ValidateResourceRequirements: "HugePages require cpu or memory").
    if let (Some(at), false) = (hugepages, cpu_or_memory) {
        return Err(r
            .error(at, "HugePages require cpu or memory")
            .with_hint("give the container a cpu or memory request or limit as well"));
    }
    Ok((cpu, memory, scalars))
}

/// How long `lifecycle.preStop` runs: the `sleep` action (KEP-3960) or an `exec` whose
/// command sleeps (`["sleep", "5"]`, `["sh", "-c", "sleep 5"]`: the sum of the script's
/// `sleep N`); any other handler is taken to return at once.
fn pre_stop(r: Reader, node: &Node) -> R<Duration> {
    let mut f = r.fields(node, "lifecycle")?;
    f.ignore(&["postStart", "stopSignal"]);
    let Some(hook) = f.opt("preStop") else { return Ok(Duration::ZERO) };
    let mut h = r.fields(hook, "lifecycle.preStop")?;
    h.ignore(&["httpGet", "tcpSocket"]);
    if let Some(sleep) = h.opt("sleep") {
        let mut sf = r.fields(sleep, "lifecycle.preStop.sleep")?;
        let seconds = r.seconds(sf.req("seconds")?, "sleep.seconds", 86_400 * 365)?;
        sf.deny_unknown(&["seconds"])?;
        return Ok(seconds);
    }
    let Some(exec) = h.opt("exec") else { return Ok(Duration::ZERO) };
    let mut ef = r.fields(exec, "lifecycle.preStop.exec")?;
    let words = match ef.opt("command") {
        Some(n) => r.list(n, "command")?.iter().map(|w| r.string(w, "command")).collect::<R<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(exec_sleep(&words))
}

/// The time an exec hook's command sleeps: `sleep N` directly, or through `sh -c SCRIPT`
/// (every `sleep N` in the script, in sequence). Unparsable arguments count nothing.
pub fn exec_sleep(command: &[String]) -> Duration {
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    match command {
        [cmd, arg, ..] if base(cmd) == "sleep" => sleep_arg(arg),
        [sh, flag, script, ..] if ["sh", "bash", "ash", "dash"].contains(&base(sh).as_str()) && flag == "-c" => {
            let words: Vec<&str> = script.split(|c: char| c.is_whitespace() || c == ';' || c == '&').collect();
            let mut total = Duration::ZERO;
            for pair in words.windows(2) {
                if base(pair[0]) == "sleep" {
                    total = total + sleep_arg(pair[1]);
                }
            }
            total
        }
        _ => Duration::ZERO,
    }
}

/// `sleep`'s argument: seconds, possibly fractional, with an optional `s` suffix.
fn sleep_arg(arg: &str) -> Duration {
    let n = arg.strip_suffix('s').unwrap_or(arg);
    match n.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::from_nanos((secs * 1e9).round() as u64),
        _ => Duration::ZERO,
    }
}

/// Defaults from pkg/apis/core/v1/defaults.go (SetDefaults_Probe): period 10 s, success 1.
fn readiness_probe(r: Reader, node: &Node) -> R<Probe> {
    let mut f = r.fields(node, "readinessProbe")?;
    let initial_delay = f
        .opt("initialDelaySeconds")
        .map(|n| r.seconds(n, "initialDelaySeconds", 86_400))
        .transpose()?
        .unwrap_or(Duration::ZERO);
    let period = f
        .opt("periodSeconds")
        .map(|n| r.seconds(n, "periodSeconds", 86_400))
        .transpose()?
        .unwrap_or(Duration::from_secs(10));
    if period == Duration::ZERO {
        return Err(r
            .error(node.span, "readinessProbe.periodSeconds 0 must be at least 1")
            .with_hint("the default is 10"));
    }
    let success_threshold =
        f.opt("successThreshold").map(|n| r.count(n, "successThreshold", 1000)).transpose()?.unwrap_or(1).max(1) as u32;
    f.ignore(&[
        "httpGet",
        "tcpSocket",
        "exec",
        "grpc",
        "timeoutSeconds",
        "failureThreshold",
        "terminationGracePeriodSeconds",
    ]);
    Ok(Probe { initial_delay, period, success_threshold })
}

fn toleration(r: Reader, node: &Node) -> R<Toleration> {
    let mut f = r.fields(node, "a toleration")?;
    let key = f.opt("key").map(|n| r.string(n, "key")).transpose()?.unwrap_or_default();
    let operator = match f.opt("operator").map(|n| (n, r.string(n, "operator"))) {
        None => TolerationOperator::Equal,
        Some((_, Ok(s))) if s == "Equal" => TolerationOperator::Equal,
        Some((_, Ok(s))) if s == "Exists" => TolerationOperator::Exists,
        Some((n, _)) => {
            return Err(r
                .error(n.span, format!("unknown toleration operator {}", n.describe()))
                .with_hint("use Equal or Exists"))
        }
    };
    let value = f.opt("value").map(|n| r.string(n, "value")).transpose()?.unwrap_or_default();
    let effect = f.opt("effect").map(|n| taint_effect(r, n)).transpose()?;
    let toleration_seconds = f
        .opt("tolerationSeconds")
        .map(|n| r.count(n, "tolerationSeconds", i64::MAX as u64).map(|v| v as i64))
        .transpose()?;
    f.deny_unknown(&["key", "operator", "value", "effect", "tolerationSeconds"])?;
    Ok(Toleration { key, operator, value, effect, toleration_seconds })
}

fn taint_effect(r: Reader, node: &Node) -> R<TaintEffect> {
    match r.string(node, "effect")?.as_str() {
        "NoSchedule" => Ok(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
        "NoExecute" => Ok(TaintEffect::NoExecute),
        other => Err(r
            .error(node.span, format!("unknown taint effect {other:?}"))
            .with_hint("use NoSchedule, PreferNoSchedule or NoExecute")),
    }
}

/// Kubernetes taint objects (`{key, value, effect}`), as in node specs and pools.
pub fn taints(r: Reader, node: &Node) -> R<Vec<Taint>> {
    r.list(node, "taints")?
        .iter()
        .map(|t| {
            let mut f = r.fields(t, "a taint")?;
            let key = r.string(f.req("key")?, "taint key")?;
            let value = f.opt("value").map(|n| r.string(n, "taint value")).transpose()?.unwrap_or_default();
            let effect = taint_effect(r, f.req("effect")?)?;
            f.ignore(&["timeAdded"]);
            f.deny_unknown(&["key", "value", "effect", "timeAdded"])?;
            Ok(Taint { key, value, effect })
        })
        .collect()
}

fn service(r: Reader, name: &str, spec: Option<&Node>, warnings: &mut Warnings) -> R<ServiceObject> {
    let selector = match spec {
        Some(spec) => {
            let mut f = r.fields(spec, "spec")?;
            let selector = f.opt("selector").map(|n| r.string_map(n, "spec.selector")).transpose()?.unwrap_or_default();
            f.ignore(&[
                "ports",
                "type",
                "clusterIP",
                "clusterIPs",
                "sessionAffinity",
                "sessionAffinityConfig",
                "externalTrafficPolicy",
                "internalTrafficPolicy",
                "ipFamilies",
                "ipFamilyPolicy",
                "publishNotReadyAddresses",
                "loadBalancerIP",
                "loadBalancerSourceRanges",
                "externalIPs",
                "externalName",
                "healthCheckNodePort",
                "allocateLoadBalancerNodePorts",
                "loadBalancerClass",
                "trafficDistribution",
            ]);
            warn_misspelled(r, &f, &["selector", "ports", "type", "sessionAffinity"], "the Service spec", warnings);
            selector
        }
        None => Labels::new(),
    };
    Ok(ServiceObject {
        name: name.to_string(),
        namespace: DEFAULT_NAMESPACE.into(),
        selector: LabelSelector::from_labels(selector),
    })
}

fn node(
    r: Reader,
    doc: &Node,
    name: &str,
    labels: Labels,
    spec: Option<&Node>,
    warnings: &mut Warnings,
) -> R<NodeObject> {
    let (mut taint_list, mut unschedulable) = (Vec::new(), false);
    if let Some(spec) = spec {
        let mut f = r.fields(spec, "spec")?;
        if let Some(t) = f.opt("taints") {
            taint_list = taints(r, t)?;
        }
        if let Some(u) = f.opt("unschedulable") {
            unschedulable = r.boolean(u, "spec.unschedulable")?;
        }
        f.ignore(&["podCIDR", "podCIDRs", "providerID", "configSource", "externalID"]);
        warn_misspelled(r, &f, &["taints", "unschedulable", "podCIDR", "providerID"], "the Node spec", warnings);
    }
    let status = doc.get("status");
    let resources = status.and_then(|s| s.get("allocatable").or_else(|| s.get("capacity"))).ok_or_else(|| {
        r.error(doc.span, format!("Node {name:?} has no status.allocatable or status.capacity"))
            .with_hint("give the node its size: status: {allocatable: {cpu: \"4\", memory: 8Gi, pods: \"110\"}}")
    })?;
    let (allocatable, scalar_allocatable) = capacity(r, resources, "the node's resources")?;
    Ok(NodeObject {
        name: name.to_string(),
        labels,
        allocatable,
        scalar_allocatable,
        taints: taint_list,
        unschedulable,
    })
}

/// `{cpu, memory, pods}`; pods defaults to the kubelet's 110 (`--max-pods`).
/// and the scalar resources (ephemeral-storage, hugepages, extended resources such as
/// `nvidia.com/gpu`: zero amounts are left out).
pub fn capacity(r: Reader, node: &Node, what: &str) -> R<(Resources, Scalars)> {
    if !matches!(node.value, Value::Map(_)) {
        return Err(r
            .error(node.span, format!("{what} must be a mapping"))
            .with_hint("write {cpu: \"4\", memory: 8Gi, pods: 110}"));
    }
    let mut f = r.fields(node, what)?;
    const MAX_CPU_MILLIS: i64 = 1_000_000 * 1000;
    // 1 PiB: far past any node, and small enough for scores' `x * 100` to stay exact.
    const MAX_MEMORY: i64 = 1 << 50;
    // Each amount is checked at its own value, so the message points at it.
    let amount = |f: &mut Fields, key: &str, milli: bool, default: Option<i64>, max: i64| -> R<i64> {
        let Some(n) = f.opt(key) else {
            return default.ok_or_else(|| {
                r.error(node.span, format!("{what} is missing the required field `{key}`"))
                    .with_hint(format!("add `{key}:` to {what}"))
            });
        };
        let v = if milli { r.milli_quantity(n, key)? } else { r.unit_quantity(n, key)? };
        if v == 0 {
            return Err(r
                .error(n.span, format!("{what} must have {key} above zero"))
                .with_hint("e.g. {cpu: \"4\", memory: 8Gi, pods: 110}"));
        }
        if v > max {
            return Err(r.error(n.span, format!("{key} {} in {what} is absurdly large", n.describe())).with_hint(
                "check the units: cpu is in cores (\"4\" or \"4000m\"), memory in bytes with a suffix (8Gi)",
            ));
        }
        Ok(v)
    };
    let cpu = amount(&mut f, "cpu", true, None, MAX_CPU_MILLIS)?;
    let memory = amount(&mut f, "memory", false, None, MAX_MEMORY)?;
    let pods = amount(&mut f, "pods", false, Some(110), 1_000_000)?;
    let mut scalars = Scalars::default();
    if let Value::Map(entries) = &node.value {
        for (key, value) in entries {
            let name = key.name.as_str();
            match classify(name) {
                ResourceName::EphemeralStorage | ResourceName::HugePages(_) | ResourceName::Extended => {
                    f.ignore(&[name]);
                    let amount = scalar_amount(r, value, name, classify(name), "")?;
                    if amount > 0 {
                        let mut registry = r.scalars.borrow_mut();
                        let slot = registry.slot(name, r.file, key.span)?;
                        registry.offered(slot);
                        scalars.0[slot] = amount;
                    }
                }
                // Reported by real nodes, never requested by pods here.
                ResourceName::NativePrefixed => f.ignore(&[name]),
                _ if name.starts_with("attachable-volumes-") => f.ignore(&[name]),
                _ => {}
            }
        }
    }
    f.deny_unknown(&["cpu", "memory", "pods", "ephemeral-storage", "hugepages-2Mi", "nvidia.com/gpu"])?;
    Ok((Resources::new(cpu, memory, pods), scalars))
}

/// An amount of a scalar resource (`what` is "request", "limit" or "" for capacity), in
/// its base unit: bytes for ephemeral-storage and hugepages, devices for extended resources.
fn scalar_amount(r: Reader, node: &Node, name: &str, kind: ResourceName, what: &str) -> R<i64> {
    let label = if what.is_empty() { name.to_string() } else { format!("{name} {what}") };
    let q = r.exact_quantity(node, &label)?;
    // Upstream: pkg/apis/core/validation/validation.go (ValidateResourceQuantityValue: IsIntegerResourceName).
    if kind == ResourceName::Extended && q.milli_value_ceil() % 1000 != 0 {
        return Err(r
            .error(node.span, format!("{label} {} must be an integer", node.describe()))
            .with_hint("extended resources are counted in whole units (devices): write e.g. 1"));
    }
    let v = q.value_ceil();
    // Upstream: validateResourceQuantityHugePageValue (a whole number of pages).
    if let ResourceName::HugePages(page) = kind {
        if v % page != 0 {
            return Err(r
                .error(node.span, format!("{label} {} is not a positive integer multiple of {name}", node.describe()))
                .with_hint("hugepages come in whole pages: write a multiple of the page size"));
        }
    }
    // 1 Pi: past any node, and far from overflowing sums over a node's pods.
    if v > 1 << 50 {
        return Err(r
            .error(node.span, format!("{label} {} is absurdly large", node.describe()))
            .with_hint("check the units: storage and hugepages are bytes with a suffix (100Gi), devices a count"));
    }
    Ok(v)
}

/// `policy/v1` PodDisruptionBudget: exactly one of minAvailable and maxUnavailable.
fn pdb(r: Reader, doc: &Node, name: &str, spec: Option<&Node>) -> R<crate::model::PodDisruptionBudget> {
    let spec = spec.ok_or_else(|| missing(r, doc, "PodDisruptionBudget", name, "spec"))?;
    let mut f = r.fields(spec, "spec")?;
    let selector = f.opt("selector").map(|n| label_selector(r, n)).transpose()?.unwrap_or_default();
    let min_available = f.opt("minAvailable").map(|n| r.int_or_percent(n, "minAvailable")).transpose()?;
    let max_unavailable = f.opt("maxUnavailable").map(|n| r.int_or_percent(n, "maxUnavailable")).transpose()?;
    if min_available.is_some() == max_unavailable.is_some() {
        return Err(r
            .error(
                spec.span,
                format!("PodDisruptionBudget {name:?} needs exactly one of minAvailable and maxUnavailable"),
            )
            .with_hint("e.g. minAvailable: 2 or maxUnavailable: \"25%\""));
    }
    let unhealthy_pod_eviction_policy = match f.opt("unhealthyPodEvictionPolicy") {
        None => None,
        Some(n) => Some(match r.string(n, "unhealthyPodEvictionPolicy")?.as_str() {
            "IfHealthyBudget" => crate::model::UnhealthyPodEvictionPolicy::IfHealthyBudget,
            "AlwaysAllow" => crate::model::UnhealthyPodEvictionPolicy::AlwaysAllow,
            other => {
                return Err(r
                    .error(n.span, format!("unknown unhealthyPodEvictionPolicy {other:?}"))
                    .with_hint("use IfHealthyBudget (the default) or AlwaysAllow"))
            }
        }),
    };
    f.deny_unknown(&["selector", "minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy"])?;
    Ok(crate::model::PodDisruptionBudget {
        name: name.to_string(),
        // The world sets the id when it applies the object.
        namespace: crate::model::NamespaceId::DEFAULT,
        selector,
        min_available,
        max_unavailable,
        unhealthy_pod_eviction_policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::yaml::parse_documents;
    use std::path::Path;

    fn registry() -> std::cell::RefCell<crate::scenario::scalars::ScalarRegistry> {
        Default::default()
    }

    fn doc(text: &str) -> Node {
        parse_documents(text, Path::new("t.yaml")).unwrap().remove(0)
    }

    fn decode(text: &str) -> (R<Option<Object>>, Warnings) {
        let mut w = Warnings::default();
        let d = doc(text);
        let out = decode_object(Reader { file: Path::new("t.yaml"), scalars: &registry() }, &d, None, &mut w);
        (out, w)
    }

    #[test]
    fn lists_are_list_kinds_with_items() {
        assert_eq!(list_kind(&doc("kind: List\napiVersion: v1\nitems: []\n")), Some("List"));
        assert_eq!(list_kind(&doc("kind: List\napiVersion: v1\n")), Some("List"), "kubectl's empty list");
        assert_eq!(list_kind(&doc("kind: ConfigMapList\napiVersion: v1\nitems: []\n")), Some("ConfigMapList"));
        assert_eq!(list_kind(&doc("kind: AllowList\napiVersion: x.io/v1\nspec: {}\n")), None, "no items: a kind");
        assert_eq!(list_kind(&doc("kind: Deployment\napiVersion: apps/v1\n")), None);
    }

    #[test]
    fn typed_list_items_inherit_kind_and_api_version() {
        let d = doc("kind: DeploymentList\napiVersion: apps/v1\nmetadata: {resourceVersion: \"7\"}\nitems:\n- metadata: {name: a}\n");
        let mut w = Warnings::default();
        let list =
            decode_list(Reader { file: Path::new("t.yaml"), scalars: &registry() }, &d, &mut w).unwrap().unwrap();
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.item_type, Some(("Deployment".to_string(), "apps/v1".to_string())));
        let d = doc("kind: List\napiVersion: v1\nmetadata: {resourceVersion: \"\"}\nitemz: []\n");
        let list =
            decode_list(Reader { file: Path::new("t.yaml"), scalars: &registry() }, &d, &mut w).unwrap().unwrap();
        assert!(list.items.is_empty() && list.item_type.is_none());
        assert!(w.0.iter().any(|d| d.message.contains("unknown field `itemz`")), "{:?}", w.0);
    }

    #[test]
    fn kinds_that_change_nothing_are_counted_without_reading_their_fields() {
        let (out, mut w) = decode(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:aggregated-metrics-reader\n",
        );
        assert!(out.unwrap().is_none());
        let (out, _) = decode("apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nspec: {selector: 3}\n");
        assert!(out.unwrap().is_none(), "no metadata needed either");
        assert!(w.0.is_empty(), "counted, not warned one by one: {:?}", w.0);
        w.finish();
        assert_eq!(w.0.len(), 1);
        assert!(w.0[0].message.starts_with("skipped 1 ClusterRole (not modelled"), "{}", w.0[0].message);
        assert_eq!((w.0[0].span.line, w.0[0].span.col), (2, 7), "at the kind");
    }

    #[test]
    fn kind_classes() {
        assert!(matches!(kind_class("Deployment", "apps/v1"), KindClass::Read));
        assert!(matches!(kind_class("DaemonSet", "apps/v1"), KindClass::Read), "named one by one, as before");
        assert!(matches!(kind_class("Service", "v1"), KindClass::Read));
        assert!(matches!(kind_class("Job", "batch/v1"), KindClass::Read));
        assert!(matches!(kind_class("PriorityClass", "scheduling.k8s.io/v1"), KindClass::Read));
        assert!(
            matches!(kind_class("Service", "serving.knative.dev/v1"), KindClass::Skipped(l) if l == "Service.serving.knative.dev")
        );
        assert!(matches!(kind_class("Namespace", "v1"), KindClass::Read), "its labels feed namespaceSelector");
        assert!(matches!(kind_class("RoleBinding", "rbac.authorization.k8s.io/v1"), KindClass::Skipped(_)));
        assert!(matches!(kind_class("LimitRange", "v1"), KindClass::Unmodelled(_)));
    }

    #[test]
    fn kinds_that_could_matter_are_named_one_by_one() {
        let (out, w) = decode("apiVersion: v1\nkind: LimitRange\nmetadata: {name: defaults}\nspec: {limits: []}\n");
        assert!(out.unwrap().is_none());
        assert_eq!(w.0.len(), 1);
        assert!(w.0[0].message.starts_with("skipping LimitRange \"defaults\": not modelled, though"), "{:?}", w.0);
    }

    fn pod_with(resources: &str) -> R<PodSpec> {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    resources: {resources}\n"
        );
        match decode(&text).0? {
            Some(Object::Pod(p)) => Ok(p.template.spec.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn requests_default_to_limits_per_resource() {
        let spec = pod_with("{limits: {cpu: \"2\", memory: 1Gi}}").unwrap();
        let c = &spec.containers[0];
        assert_eq!((c.cpu_request_millis, c.memory_request_bytes), (Some(2000), Some(1 << 30)));
        let spec = pod_with("{requests: {cpu: 250m}, limits: {cpu: \"1\", memory: 512Mi}}").unwrap();
        let c = &spec.containers[0];
        assert_eq!((c.cpu_request_millis, c.memory_request_bytes), (Some(250), Some(512 << 20)), "per resource");
        let spec = pod_with("{requests: {memory: 1Gi}}").unwrap();
        assert_eq!(spec.containers[0].cpu_request_millis, None, "no limit: still omitted");
    }

    #[test]
    fn a_request_above_its_limit_is_refused() {
        let err = pod_with("{requests: {cpu: 1500m}, limits: {cpu: \"1\"}}").unwrap_err();
        assert_eq!(err.message, "cpu request \"1500m\" must be less than or equal to the cpu limit \"1\"");
        assert_eq!((err.span.line, err.span.col), (7, 33), "at the request");
        assert!(err.hint.unwrap().contains("lower the request"));
        // Exact comparison: 1.5m rounds up to the same 2m as 1.2m, but is above it.
        assert!(pod_with("{requests: {cpu: 1500u}, limits: {cpu: 1200u}}").is_err());
        assert!(pod_with("{requests: {memory: 1Gi}, limits: {memory: 1024Mi}}").is_ok(), "equal is fine");
    }

    #[test]
    fn extended_resources_are_whole_and_not_overcommitted() {
        let spec = pod_with("{limits: {nvidia.com/gpu: 2, cpu: 1}}").unwrap();
        assert_eq!(spec.containers[0].scalar_requests.0[1], 2, "the request defaults to the limit");
        let spec = pod_with("{requests: {nvidia.com/gpu: \"1\"}, limits: {nvidia.com/gpu: 1}}").unwrap();
        assert_eq!(spec.scalar_requests().0[1], 1);
        let err = pod_with("{requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}").unwrap_err();
        assert_eq!(err.message, "nvidia.com/gpu request 1 must be equal to the nvidia.com/gpu limit 2");
        let err = pod_with("{requests: {nvidia.com/gpu: 1}}").unwrap_err();
        assert_eq!(err.message, "nvidia.com/gpu request 1 needs a nvidia.com/gpu limit");
        let err = pod_with("{limits: {nvidia.com/gpu: 0.5}}").unwrap_err();
        assert_eq!(err.message, "nvidia.com/gpu limit 0.5 must be an integer");
        assert!(err.hint.unwrap().contains("whole units"));
        let err = pod_with("{requests: {gpu: 1}}").unwrap_err();
        assert_eq!(err.message, "resources.requests.gpu: \"gpu\" must be a standard resource for containers");
        let err = pod_with("{limits: {requests.example.com/x: 1}}").unwrap_err();
        assert!(err.message.ends_with("doesn't follow extended resource name standard"), "{err}");
    }

    #[test]
    fn ephemeral_storage_and_hugepages() {
        let spec = pod_with("{requests: {ephemeral-storage: 1Gi}, limits: {ephemeral-storage: 2Gi}}").unwrap();
        assert_eq!(spec.scalar_requests().0[0], 1 << 30, "ephemeral-storage may be overcommitted, slot 0");
        assert!(pod_with("{requests: {ephemeral-storage: 3Gi}, limits: {ephemeral-storage: 2Gi}}").is_err());
        let spec = pod_with("{limits: {hugepages-2Mi: 100Mi, memory: 1Gi}}").unwrap();
        assert_eq!(spec.scalar_requests().0[1], 100 << 20);
        let err = pod_with("{limits: {hugepages-2Mi: 3Mi, memory: 1Gi}}").unwrap_err();
        assert!(err.message.contains("is not a positive integer multiple of hugepages-2Mi"), "{err}");
        let err = pod_with("{limits: {hugepages-2Mi: 2Mi}}").unwrap_err();
        assert_eq!(err.message, "HugePages require cpu or memory");
    }

    #[test]
    fn capacities_register_non_zero_scalar_resources() {
        let registry = registry();
        let r = Reader { file: Path::new("t.yaml"), scalars: &registry };
        let d = doc("{cpu: 8, memory: 32Gi, ephemeral-storage: 100Gi, hugepages-1Gi: \"0\", nvidia.com/gpu: 4, attachable-volumes-aws-ebs: 25}");
        let (res, scalars) = capacity(r, &d, "capacity").unwrap();
        assert_eq!(res, Resources::new(8000, 32 << 30, 110));
        assert_eq!((scalars.0[0], scalars.0[1]), (100 << 30, 4));
        assert_eq!(registry.borrow().names.names(), ["ephemeral-storage", "nvidia.com/gpu"], "zero hugepages left out");
        let err = capacity(r, &doc("{cpu: 8, memory: 32Gi, nvidia.com/gpu: 1.5}"), "capacity").unwrap_err();
        assert!(err.message.contains("must be an integer"), "{err}");
        let err = capacity(r, &doc("{cpu: 8, memory: 32Gi, gpus: 1}"), "capacity").unwrap_err();
        assert!(err.message.contains("unknown key `gpus`"), "{err}");
    }

    #[test]
    fn an_item_without_kind_outside_a_typed_list_is_an_error() {
        let (out, _) = decode("apiVersion: v1\nmetadata: {name: a}\n");
        assert!(out.unwrap_err().message.contains("missing the required field `kind`"));
    }

    fn sleep(words: &[&str]) -> Duration {
        exec_sleep(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn exec_hooks_sleep_directly_or_through_a_shell() {
        assert_eq!(sleep(&["sleep", "5"]), Duration::from_secs(5));
        assert_eq!(sleep(&["/bin/sleep", "2.5"]), Duration::from_millis(2500));
        assert_eq!(sleep(&["sh", "-c", "sleep 5"]), Duration::from_secs(5));
        assert_eq!(sleep(&["/bin/sh", "-c", "echo bye; sleep 3 && sleep 2s"]), Duration::from_secs(5));
        assert_eq!(sleep(&["nginx", "-s", "quit"]), Duration::ZERO);
        assert_eq!(sleep(&["sleep", "forever"]), Duration::ZERO);
        assert_eq!(sleep(&[]), Duration::ZERO);
    }
}
