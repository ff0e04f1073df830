//! Namespaces in the scenario: `metadata.namespace` of manifest objects, and references
//! from the timeline, `serving`, `traffic` and `expect` to namespaced objects, written
//! `namespace/name` (`name` alone is in `default`, as `kubectl` without `-n`).
//!
//! A reference is kept as the object's *key*: `name` in `default`, `namespace/name`
//! elsewhere (`default/web` is normalised to `web`), the same string the reports show.

use super::decode::Reader;
use super::diag::{Diagnostic, Span};
use super::schema::Object;
use super::yaml::Node;
use crate::model::{qualified, DEFAULT_NAMESPACE};

type R<T> = Result<T, Diagnostic>;

/// Whether `s` is a namespace name: an RFC 1123 label (lowercase letters, digits and
/// '-', starting and ending with a letter or digit, at most 63 characters).
// Upstream: staging/src/k8s.io/apimachinery/pkg/api/validation/generic.go (ValidateNamespaceName = IsDNS1123Label).
pub fn is_namespace_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

/// `metadata.namespace` (or a Namespace's own name) at `node`.
pub fn namespace_name(r: Reader, node: &Node, what: &str) -> R<String> {
    let s = r.string(node, what)?;
    if is_namespace_name(&s) {
        Ok(s)
    } else {
        Err(r.error(node.span, format!("{what} {s:?} is not a valid namespace name")).with_hint(
            "namespace names use lowercase letters, digits and '-', start and end with a letter or digit, \
             and have at most 63 characters",
        ))
    }
}

/// A reference to a namespaced object: `name` or `namespace/name`, returned as the key.
pub fn object_ref(r: Reader, node: &Node, what: &str) -> R<String> {
    let s = r.string(node, what)?;
    parse_ref(&s).map_err(|(message, hint)| r.error(node.span, format!("{what} {s:?} {message}")).with_hint(hint))
}

/// [`object_ref`] of a string written at `span` (a mapping key, as in `serving:`).
pub fn key_ref(r: Reader, s: &str, span: Span, what: &str) -> R<String> {
    parse_ref(s).map_err(|(message, hint)| r.error(span, format!("{what} {s:?} {message}")).with_hint(hint))
}

/// The key `s` names, or why it names none (message, hint).
fn parse_ref(s: &str) -> Result<String, (String, String)> {
    let Some((ns, name)) = s.split_once('/') else { return Ok(s.to_string()) };
    let hint = "write `name` (namespace default) or `namespace/name`, e.g. team-a/web".to_string();
    if name.is_empty() || name.contains('/') {
        return Err(("is not a reference to an object".into(), hint));
    }
    if !is_namespace_name(ns) {
        return Err((format!("names namespace {ns:?}, which is not a valid namespace name"), hint));
    }
    Ok(qualified(ns, name))
}

/// The keys in `known` with the same name as `key` in another namespace (`team-a/web`
/// for `web`): what a reference that forgot (or got wrong) its namespace meant.
pub fn same_name_elsewhere<'a>(key: &str, known: &[&'a str]) -> Vec<&'a str> {
    let (ns, name) = crate::model::split_key(key);
    known
        .iter()
        .copied()
        .filter(|k| {
            let (kns, kname) = crate::model::split_key(k);
            kname == name && kns != ns
        })
        .collect()
}

/// "did you mean A or B?" for [`same_name_elsewhere`], if there is any.
pub fn elsewhere_hint(key: &str, known: &[&str]) -> Option<String> {
    let found = same_name_elsewhere(key, known);
    let quoted: Vec<String> = found.iter().take(4).map(|k| format!("{k:?}")).collect();
    (!quoted.is_empty()).then(|| {
        format!("did you mean {}? outside namespace default an object is named namespace/name", quoted.join(" or "))
    })
}

/// The namespace of a namespaced object (`None` for cluster-scoped kinds).
pub fn object_namespace(o: &Object) -> Option<&str> {
    match o {
        Object::Deployment(d) => Some(&d.namespace),
        Object::ReplicaSet(r) => Some(&r.namespace),
        Object::Pod(p) => Some(&p.namespace),
        Object::Service(s) => Some(&s.namespace),
        Object::PodDisruptionBudget(p) => Some(&p.namespace),
        Object::HorizontalPodAutoscaler(h) => Some(&h.namespace),
        Object::DaemonSet(d) => Some(&d.namespace),
        // Jobs and CronJobs are not namespaced yet: they run in `default`.
        Object::Job(_) | Object::CronJob(_) => Some(DEFAULT_NAMESPACE),
        Object::Node(_) | Object::PriorityClass(_) | Object::Namespace(_) => None,
    }
}

/// An object's key: `name`, or `namespace/name` outside `default` (cluster-scoped: its name).
pub fn object_key(o: &Object) -> String {
    let (_, name) = super::load::object_kind_name(o);
    qualified(object_namespace(o).unwrap_or(DEFAULT_NAMESPACE), name)
}

/// Sets a decoded object's namespace (cluster-scoped kinds have none).
pub(super) fn set_namespace(o: &mut Object, namespace: String) {
    match o {
        Object::Deployment(d) => d.namespace = namespace,
        Object::ReplicaSet(r) => r.namespace = namespace,
        Object::Pod(p) => p.namespace = namespace,
        Object::Service(s) => s.namespace = namespace,
        Object::PodDisruptionBudget(p) => p.namespace = namespace,
        Object::HorizontalPodAutoscaler(h) => h.namespace = namespace,
        Object::DaemonSet(d) => d.namespace = namespace,
        Object::Job(_) | Object::CronJob(_) => {}
        Object::Node(_) | Object::PriorityClass(_) | Object::Namespace(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_kept_as_keys() {
        assert_eq!(parse_ref("web"), Ok("web".to_string()));
        assert_eq!(parse_ref("team-a/web"), Ok("team-a/web".to_string()));
        assert_eq!(parse_ref("default/web"), Ok("web".to_string()), "default is the bare name");
        assert!(parse_ref("a/b/c").unwrap_err().0.contains("not a reference"));
        assert!(parse_ref("team-a/").is_err());
        assert!(parse_ref("Team_A/web").unwrap_err().0.contains("not a valid namespace name"));
    }

    #[test]
    fn a_name_in_the_wrong_namespace_is_found_elsewhere() {
        let known = ["team-a/web", "team-b/web", "api", "team-a/db"];
        assert_eq!(same_name_elsewhere("web", &known), ["team-a/web", "team-b/web"]);
        assert_eq!(same_name_elsewhere("team-c/db", &known), ["team-a/db"]);
        assert_eq!(same_name_elsewhere("team-a/api", &known), ["api"]);
        assert!(same_name_elsewhere("team-a/web", &["team-a/web"]).is_empty());
        let hint = elsewhere_hint("web", &known).unwrap();
        assert!(hint.starts_with("did you mean \"team-a/web\" or \"team-b/web\"?"), "{hint}");
        assert_eq!(elsewhere_hint("cache", &known), None);
    }

    #[test]
    fn namespace_names_are_dns_labels() {
        assert!(is_namespace_name("team-a") && is_namespace_name("kube-system") && is_namespace_name("a1"));
        for bad in ["", "-a", "a-", "a.b", "A", &"x".repeat(64)] {
            assert!(!is_namespace_name(bad), "{bad:?}");
        }
    }
}
