//! Topology domains per label key (`topology.kubernetes.io/zone`, hostname...): each node
//! gets a small integer domain id per key, so counting pods per domain is array work.
//! Node labels do not change after a node joins, so the index only grows.

use crate::model::{NodeId, Store};

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
    /// The store's node membership when `has_node` was last computed.
    membership: u64,
}

impl TopologyIndex {
    /// Extends every known key to nodes that joined since the last call, and recomputes
    /// which domains have nodes when nodes joined or left.
    pub fn refresh(&mut self, store: &Store) {
        for k in &mut self.keys {
            Self::extend(k, store);
        }
        if self.membership != store.node_membership() {
            self.membership = store.node_membership();
            for k in &mut self.keys {
                k.has_node.iter_mut().for_each(|h| *h = false);
                for n in &store.nodes {
                    let d = k.domain(n.id);
                    if d != NO_DOMAIN {
                        k.has_node[d as usize] = true;
                    }
                }
            }
        }
    }

    /// Gives each node id not yet indexed its domain (removed nodes get none).
    fn extend(k: &mut KeyIndex, store: &Store) {
        for id in k.node_domain.len()..store.node_id_bound() {
            let node = store.try_node(NodeId(id as u32));
            let d = match node.and_then(|n| n.labels.get(&k.key)) {
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
        Self::extend(&mut k, store);
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
    if counts.is_empty() {
        return counts; // no node carries the key: nothing to count
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::node;
    use crate::model::{Node, Resources};

    #[test]
    fn a_domain_whose_last_node_left_has_no_node() {
        let mut store = Store::default();
        let mut ids = Vec::new();
        for zone in ["a", "b", "b"] {
            ids.push(store.add_node(|id| {
                let mut n = Node { id, name: format!("n{}", id.0), ..node(1000, 1 << 30, Resources::default()) };
                n.labels.insert("zone".into(), zone.into());
                n
            }));
        }
        let mut index = TopologyIndex::default();
        let k = index.ensure("zone", &store);
        index.refresh(&store);
        assert_eq!(index.key(k).has_node, [true, true]);
        store.remove_node(ids[0]);
        index.refresh(&store);
        assert_eq!(index.key(k).has_node, [false, true]);
        assert_eq!(index.key(k).domain(ids[2]), 1);
    }
}
