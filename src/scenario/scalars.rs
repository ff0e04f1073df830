//! Resource names beyond cpu and memory: `ephemeral-storage`, `hugepages-<size>` and
//! extended resources (`nvidia.com/gpu`, any valid `domain/name`), the rules the API
//! server applies to them, and the run-wide registry that gives each a `Scalars` slot.

use super::diag::{Diagnostic, Span, Warnings};
use super::quantity::parse_quantity;
use crate::model::{ScalarNames, EPHEMERAL_STORAGE, MAX_SCALAR_RESOURCES};
use std::path::Path;

/// What a resource name is, by upstream's helpers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceName {
    Cpu,
    Memory,
    EphemeralStorage,
    /// `hugepages-<size>`, with the page size in bytes.
    HugePages(i64),
    /// A domain-qualified name outside `kubernetes.io/` (IsExtendedResourceName).
    Extended,
    /// A name in the `kubernetes.io/` namespace (`example.kubernetes.io/x`): valid, not modelled.
    NativePrefixed,
    /// Not a resource a container may name: why, in upstream's words.
    Invalid(&'static str),
}

impl ResourceName {
    /// Upstream: pkg/apis/core/helper/helpers.go (IsOvercommitAllowed: native and not hugepages).
    pub fn overcommit_allowed(self) -> bool {
        !matches!(self, ResourceName::HugePages(_) | ResourceName::Extended)
    }
}

/// Upstream: pkg/apis/core/validation/validation.go (validateContainerResourceName) on
/// pkg/apis/core/helper/helpers.go (IsStandardContainerResourceName, IsNativeResource,
/// IsExtendedResourceName, IsHugePageResourceName).
pub fn classify(name: &str) -> ResourceName {
    match name {
        "cpu" => return ResourceName::Cpu,
        "memory" => return ResourceName::Memory,
        EPHEMERAL_STORAGE => return ResourceName::EphemeralStorage,
        _ => {}
    }
    if let Some(size) = name.strip_prefix("hugepages-") {
        // Upstream: HugePageSizeFromResourceName (the size must parse as a positive quantity).
        return match parse_quantity(size).ok().and_then(|q| q.value().ok()).filter(|v| *v > 0) {
            Some(bytes) => ResourceName::HugePages(bytes),
            None => ResourceName::Invalid("must be hugepages-<page size>, such as hugepages-2Mi"),
        };
    }
    if !name.contains('/') {
        return ResourceName::Invalid("must be a standard resource for containers");
    }
    if name.contains("kubernetes.io/") {
        return ResourceName::NativePrefixed;
    }
    // Upstream: IsExtendedResourceName: not "requests."-prefixed, and "requests." + name
    // is a qualified name.
    if name.starts_with("requests.") || !is_qualified_name(&format!("requests.{name}")) {
        return ResourceName::Invalid("doesn't follow extended resource name standard");
    }
    ResourceName::Extended
}

/// Upstream: k8s.io/apimachinery/pkg/util/validation/validation.go (IsQualifiedName): an
/// optional DNS-1123 subdomain prefix and `/`, then 1-63 alphanumerics, `-`, `_`, `.`,
/// starting and ending alphanumeric.
fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    name_ok && prefix.is_none_or(is_dns1123_subdomain)
}

/// Upstream: IsDNS1123Subdomain: at most 253 characters, dot-separated labels of lowercase
/// alphanumerics and `-`, each starting and ending alphanumeric.
fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && label.as_bytes()[0].is_ascii_alphanumeric()
                && label.as_bytes()[label.len() - 1].is_ascii_alphanumeric()
        })
}

/// The scalar resources met while loading: their slots, where each was first requested,
/// and whether any node offers it.
#[derive(Debug, Default)]
pub struct ScalarRegistry {
    pub names: ScalarNames,
    /// Per slot: the first container request of it (file and place).
    requested_at: Vec<Option<Diagnostic>>,
    /// Per slot: some pool or Node has a non-zero amount.
    offered: Vec<bool>,
}

impl ScalarRegistry {
    /// The slot of `name` (written at `file`:`span`), or an error when the run already
    /// names as many scalar resources as it can hold.
    pub fn slot(&mut self, name: &str, file: &Path, span: Span) -> Result<usize, Diagnostic> {
        let slot = self.names.intern(name).ok_or_else(|| {
            Diagnostic::new(
                file,
                span,
                format!("{name:?} is one scalar resource too many: a run holds at most {MAX_SCALAR_RESOURCES}"),
            )
            .with_hint(format!(
                "this scenario already names {}; drop resources no pod requests (or set them to 0)",
                self.names.names().join(", ")
            ))
        })?;
        if self.requested_at.len() <= slot {
            self.requested_at.resize(slot + 1, None);
            self.offered.resize(slot + 1, false);
        }
        Ok(slot)
    }

    /// A container requests a non-zero amount of `slot` (at `file`:`span`).
    pub fn requested(&mut self, slot: usize, file: &Path, span: Span) {
        if self.requested_at[slot].is_none() {
            self.requested_at[slot] = Some(Diagnostic::new(file, span, ""));
        }
    }

    /// A pool or Node has a non-zero amount of `slot`.
    pub fn offered(&mut self, slot: usize) {
        self.offered[slot] = true;
    }

    /// Warns about every resource some pod requests and no node offers: those pods cannot
    /// schedule anywhere.
    pub fn warn_unoffered(&self, warnings: &mut Warnings) {
        for (slot, at) in self.requested_at.iter().enumerate() {
            let Some(at) = at else { continue };
            if self.offered[slot] {
                continue;
            }
            let name = self.names.name(slot);
            let mut d = at.clone();
            d.message = format!(
                "pods request {name} but no node pool or Node offers it: they will stay Pending (\"Insufficient {name}\")"
            );
            d.hint = Some(if name == EPHEMERAL_STORAGE {
                "a kubelet reports its disk as ephemeral-storage: add e.g. `ephemeral-storage: 100Gi` to the pools' capacity".into()
            } else {
                format!("add `{name}: 1` (per node) to the capacity of the pools that have it")
            });
            warnings.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_as_upstream_validates_them() {
        assert_eq!(classify("cpu"), ResourceName::Cpu);
        assert_eq!(classify("ephemeral-storage"), ResourceName::EphemeralStorage);
        assert_eq!(classify("hugepages-2Mi"), ResourceName::HugePages(2 << 20));
        assert_eq!(classify("hugepages-1Gi"), ResourceName::HugePages(1 << 30));
        assert!(matches!(classify("hugepages-big"), ResourceName::Invalid(_)));
        assert_eq!(classify("nvidia.com/gpu"), ResourceName::Extended);
        assert_eq!(classify("example.com/foo_bar.baz"), ResourceName::Extended);
        assert_eq!(classify("amd.com/gpu"), ResourceName::Extended);
        assert_eq!(classify("kubernetes.io/foo"), ResourceName::NativePrefixed);
        assert_eq!(classify("storage.kubernetes.io/x"), ResourceName::NativePrefixed);
        assert_eq!(classify("gpu"), ResourceName::Invalid("must be a standard resource for containers"));
        for bad in ["requests.nvidia.com/gpu", "Nvidia.com/gpu", "nvidia.com/", "a/b/c", "nvidia.com/-gpu"] {
            assert_eq!(classify(bad), ResourceName::Invalid("doesn't follow extended resource name standard"), "{bad}");
        }
        assert!(!ResourceName::Extended.overcommit_allowed());
        assert!(!ResourceName::HugePages(2 << 20).overcommit_allowed());
        assert!(ResourceName::EphemeralStorage.overcommit_allowed());
    }

    #[test]
    fn resources_requested_but_offered_nowhere_are_warned_about() {
        let mut reg = ScalarRegistry::default();
        let file = Path::new("m.yaml");
        let gpu = reg.slot("nvidia.com/gpu", file, Span { line: 3, col: 5 }).unwrap();
        let disk = reg.slot("ephemeral-storage", file, Span { line: 4, col: 5 }).unwrap();
        assert_eq!((disk, gpu), (0, 1));
        reg.requested(gpu, file, Span { line: 9, col: 7 });
        reg.requested(gpu, file, Span { line: 19, col: 7 });
        reg.requested(disk, file, Span { line: 10, col: 7 });
        reg.offered(disk);
        let mut w = Warnings::default();
        reg.warn_unoffered(&mut w);
        assert_eq!(w.0.len(), 1);
        assert_eq!(w.0[0].span.line, 9, "at the first request");
        assert!(w.0[0].message.starts_with("pods request nvidia.com/gpu but no node pool or Node offers it"));
        for i in 2..MAX_SCALAR_RESOURCES {
            reg.slot(&format!("example.com/r{i}"), file, Span::default()).unwrap();
        }
        let err = reg.slot("example.com/more", file, Span { line: 30, col: 1 }).unwrap_err();
        assert!(err.message.contains("one scalar resource too many"), "{err}");
    }
}
