//! Namespaces: interned once (`default` is id 0), with their labels for affinity terms'
//! `namespaceSelector`. An object's identity is `(kind, namespace, name)`; outside the
//! store an object is named by its *key*: `name` in `default`, `namespace/name` elsewhere
//! (`/` never appears in a Kubernetes name, so the key is unambiguous).

use super::labels::Labels;
use std::collections::BTreeMap;

/// An interned namespace name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NamespaceId(pub u32);

impl NamespaceId {
    pub const DEFAULT: NamespaceId = NamespaceId(0);
}

/// The namespace an object without `metadata.namespace` is created in.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The label the API server puts on every namespace, its own name.
// Upstream: pkg/apis/core/v1/defaults.go (SetDefaults_Namespace: LabelMetadataName = the namespace's name).
pub const LABEL_METADATA_NAME: &str = "kubernetes.io/metadata.name";

/// Every namespace the API holds, with its labels.
#[derive(Clone, Debug)]
pub struct Namespaces {
    names: Vec<String>,
    labels: Vec<Labels>,
    by_name: BTreeMap<String, NamespaceId>,
    /// Bumped whenever a namespace's labels change: caches of `namespaceSelector`
    /// matches compare it to know when to start over.
    epoch: u64,
}

impl Default for Namespaces {
    fn default() -> Self {
        let mut n = Namespaces { names: Vec::new(), labels: Vec::new(), by_name: BTreeMap::new(), epoch: 0 };
        n.intern(DEFAULT_NAMESPACE);
        n
    }
}

impl Namespaces {
    /// The id of an existing namespace.
    pub fn id(&self, name: &str) -> Option<NamespaceId> {
        self.by_name.get(name).copied()
    }

    /// The namespace's id, created (with only its name label) if it does not exist yet:
    /// the simulated API server accepts objects in a namespace nobody created.
    pub fn intern(&mut self, name: &str) -> NamespaceId {
        if let Some(id) = self.id(name) {
            return id;
        }
        let id = NamespaceId(u32::try_from(self.names.len()).expect("more than 2^32 namespaces"));
        self.names.push(name.to_string());
        self.labels.push(Labels::from([(LABEL_METADATA_NAME.to_string(), name.to_string())]));
        self.by_name.insert(name.to_string(), id);
        id
    }

    pub fn name(&self, id: NamespaceId) -> &str {
        &self.names[id.0 as usize]
    }

    pub fn labels(&self, id: NamespaceId) -> &Labels {
        &self.labels[id.0 as usize]
    }

    /// `kubectl apply` of a Namespace: its labels become `labels` (plus its name label,
    /// which the API server keeps).
    pub fn set_labels(&mut self, id: NamespaceId, mut labels: Labels) {
        labels.insert(LABEL_METADATA_NAME.to_string(), self.names[id.0 as usize].clone());
        if self.labels[id.0 as usize] != labels {
            self.labels[id.0 as usize] = labels;
            self.epoch += 1;
        }
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// How many namespaces exist.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The key of object `name` in namespace `id` (see [`qualified`]).
    pub fn key(&self, id: NamespaceId, name: &str) -> String {
        qualified(self.name(id), name)
    }
}

/// The key of an object: `name` in `default`, `namespace/name` elsewhere (as reports and
/// timeline references write it).
pub fn qualified(namespace: &str, name: &str) -> String {
    if namespace == DEFAULT_NAMESPACE {
        name.to_string()
    } else {
        format!("{namespace}/{name}")
    }
}

/// A key split into namespace and name (`web` is `("default", "web")`).
pub fn split_key(key: &str) -> (&str, &str) {
    match key.split_once('/') {
        Some((ns, name)) => (ns, name),
        None => (DEFAULT_NAMESPACE, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_id_zero_and_names_are_interned_once() {
        let mut n = Namespaces::default();
        assert_eq!(n.id("default"), Some(NamespaceId::DEFAULT));
        let a = n.intern("team-a");
        assert_eq!(n.intern("team-a"), a);
        assert_eq!((n.name(a), n.len()), ("team-a", 2));
        assert_eq!(n.labels(a).get(LABEL_METADATA_NAME).map(String::as_str), Some("team-a"));
        assert_eq!(n.id("team-b"), None);
    }

    #[test]
    fn label_changes_bump_the_epoch_and_keep_the_name_label() {
        let mut n = Namespaces::default();
        let a = n.intern("team-a");
        n.set_labels(a, Labels::from([("tier".to_string(), "prod".to_string())]));
        assert_eq!(n.epoch(), 1);
        assert_eq!(n.labels(a).len(), 2);
        n.set_labels(a, Labels::from([("tier".to_string(), "prod".to_string())]));
        assert_eq!(n.epoch(), 1, "the same labels again change nothing");
    }

    #[test]
    fn keys_name_default_objects_bare() {
        assert_eq!(qualified("default", "web"), "web");
        assert_eq!(qualified("team-a", "web"), "team-a/web");
        assert_eq!(split_key("team-a/web"), ("team-a", "web"));
        assert_eq!(split_key("web"), ("default", "web"));
        let n = Namespaces::default();
        assert_eq!(n.key(NamespaceId::DEFAULT, "web"), "web");
    }
}
