//! Topology domains per label key (`topology.kubernetes.io/zone`, hostname...): each node
//! gets a small integer domain id per key, so counting pods per domain is array work.
//! Node labels do not change after a node joins, so the index only grows.

use crate::model::{Node, NodeId, Store};

/// No label for this key on the node.
pub const NO_DOMAIN: u32 = u32::MAX;

#[derive(Default)]
pub struct KeyIndex {
    pub key: String,
    /// Domain id per node index (`NO_DOMAIN` if the node lacks the label).
    pub node_domain: Vec<u32>,
    pub values: Vec<String>,
    /// Domains that have at least one node.
    pub has_node: Vec<bool>,
    ids: std::collections::BTreeMap<String, u32>,
}

impl KeyIndex {
    pub fn domain(&self, node: NodeId) -> u32 {
        self.node_domain.get(node.0 as usize).copied().unwrap_or(NO_DOMAIN)
    }

    pub fn num_domains(&self) -> usize {
        self.values.len()
    }
}

#[derive(Default)]
pub struct TopologyIndex {
    keys: Vec<KeyIndex>,
}

impl TopologyIndex {
    /// Extends every known key to nodes that joined since the last call.
    pub fn refresh(&mut self, store: &Store) {
        for k in &mut self.keys {
            Self::extend(k, &store.nodes);
        }
    }

    fn extend(k: &mut KeyIndex, nodes: &[Node]) {
        for node in &nodes[k.node_domain.len()..] {
            let d = match node.labels.get(&k.key) {
                Some(v) => match k.ids.get(v) {
                    Some(&id) => id,
                    None => {
                        let id = k.values.len() as u32;
                        k.values.push(v.clone());
                        k.has_node.push(true);
                        k.ids.insert(v.clone(), id);
                        id
                    }
                },
                None => NO_DOMAIN,
            };
            k.node_domain.push(d);
        }
    }

    /// The index of `key`, building it on first use. Returns its position.
    pub fn ensure(&mut self, key: &str, store: &Store) -> usize {
        if let Some(i) = self.keys.iter().position(|k| k.key == key) {
            return i;
        }
        let mut k = KeyIndex { key: key.to_string(), ..KeyIndex::default() };
        Self::extend(&mut k, &store.nodes);
        self.keys.push(k);
        self.keys.len() - 1
    }

    /// The position of an indexed key.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.key == key)
    }

    pub fn key(&self, i: usize) -> &KeyIndex {
        &self.keys[i]
    }
}

/// Active bound pods of `groups`, counted per domain of `key`, over the nodes for which
/// `eligible` holds (`None`: every node). Counting walks only the nodes each group runs
/// on, never the whole cluster.
pub fn count_per_domain(
    store: &Store,
    key: &KeyIndex,
    groups: &[u32],
    eligible: Option<&dyn Fn(NodeId) -> bool>,
) -> Vec<i64> {
    let mut counts = vec![0i64; key.num_domains()];
    for g in groups.iter().map(|g| &store.groups[*g as usize]) {
        for &id in &g.nodes {
            let d = key.domain(id);
            if d != NO_DOMAIN && eligible.is_none_or(|f| f(id)) {
                counts[d as usize] += i64::from(g.on_node(id));
            }
        }
    }
    counts
}
