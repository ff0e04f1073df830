//! The node-lifecycle controller: watches kubelet heartbeats, marks silent nodes
//! Unknown, taints them, and rate-limits NoExecute taints per zone.
//! Upstream: pkg/controller/nodelifecycle/node_lifecycle_controller.go.

use super::Decision;
use crate::engine::{Duration, Time};
use crate::model::{
    Node, NodeCondition, NodeId, Store, Taint, TaintEffect, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE,
};
use std::collections::{BTreeMap, VecDeque};

/// Upstream: kube-controller-manager --large-cluster-size-threshold.
const LARGE_CLUSTER_SIZE_THRESHOLD: usize = 50;
/// Upstream: kube-controller-manager --unhealthy-zone-threshold.
const UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;
/// Upstream: --secondary-node-eviction-rate.
const SECONDARY_EVICTION_RATE: f64 = 0.01;
/// Upstream: NodeEvictionPeriod, how often the tainting pass runs (100 ms).
const TAINTING_PASS_PERIOD: Duration = Duration::from_millis(100);

/// Timing the controller needs.
#[derive(Clone, Copy, Debug)]
pub struct LifecycleSettings {
    pub grace_period: Duration,
    pub status_update_frequency: Duration,
    pub eviction_rate: f64,
}

/// A zone's health as upstream classifies it (ComputeZoneState).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    Normal,
    PartialDisruption,
    FullDisruption,
}

/// Per-zone token bucket (burst 1) and the queue of nodes waiting for their NoExecute taint.
struct Zone {
    tokens: f64,
    refilled: Time,
    queue: VecDeque<NodeId>,
    state: ZoneState,
    size: usize,
}

pub struct NodeLifecycle {
    settings: LifecycleSettings,
    zones: BTreeMap<String, Zone>,
    /// Every node's probe timestamp is at least this: when this instance started, or when
    /// it last left the all-zones-disrupted mode.
    probes_reset: Time,
    /// Every zone was fully disrupted at the last monitor pass.
    all_were_disrupted: bool,
}

/// The zone key upstream uses: region and zone labels.
pub fn zone_of(node: &Node) -> String {
    let region = node.labels.get("topology.kubernetes.io/region").map_or("", String::as_str);
    let zone = node.labels.get("topology.kubernetes.io/zone").map_or("", String::as_str);
    format!("{region}:\0:{zone}")
}

impl NodeLifecycle {
    pub fn new(settings: LifecycleSettings) -> Self {
        NodeLifecycle { settings, zones: BTreeMap::new(), probes_reset: Time::ZERO, all_were_disrupted: false }
    }

    /// A new leader's instance takes over at `now`: no zone state, fresh rate limiters, and
    /// every node's probe timestamp is `now`, so a node whose heartbeats went stale while
    /// no controller ran gets a whole grace period from here.
    // Upstream: node_lifecycle_controller.go (tryUpdateNodeHealth: "Missing timestamp for Node. Assuming now as a timestamp").
    pub fn restart(&mut self, now: Time) {
        self.zones.clear();
        self.probes_reset = now;
        self.all_were_disrupted = false;
    }

    /// One monitor pass (every --node-monitor-period).
    pub fn monitor(&mut self, store: &Store, now: Time) -> Vec<Decision> {
        let mut out = Vec::new();
        for node in &store.nodes {
            let heartbeat = node.last_heartbeat(now, self.settings.status_update_frequency).max(self.probes_reset);
            let zone = self.zones.entry(zone_of(node)).or_insert_with(|| Zone {
                tokens: 1.0,
                refilled: now,
                queue: VecDeque::new(),
                state: ZoneState::Normal,
                size: 0,
            });
            match node.condition {
                NodeCondition::Ready if now > heartbeat + self.settings.grace_period => {
                    out.push(Decision::SetNodeCondition { node: node.id, condition: NodeCondition::Unknown });
                    if !node.has_taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoSchedule) {
                        out.push(Decision::AddTaint {
                            node: node.id,
                            taint: taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoSchedule),
                        });
                    }
                    out.push(Decision::MarkPodsNotReady { node: node.id });
                    if !zone.queue.contains(&node.id) {
                        zone.queue.push_back(node.id);
                    }
                }
                NodeCondition::Ready => {
                    for key in [TAINT_NODE_UNREACHABLE, TAINT_NODE_NOT_READY] {
                        for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
                            if node.has_taint(key, effect) {
                                out.push(Decision::RemoveTaint { node: node.id, key, effect });
                            }
                        }
                    }
                    zone.queue.retain(|id| *id != node.id);
                }
                // Every pass queues an unresponsive node that lacks its NoExecute taint (a
                // new leader's queues start empty; disruption mode may have removed it).
                // Upstream: node_lifecycle_controller.go (processTaintBaseEviction, ConditionUnknown).
                NodeCondition::Unknown => {
                    if !node.has_taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute) && !zone.queue.contains(&node.id)
                    {
                        zone.queue.push_back(node.id);
                    }
                }
                NodeCondition::NotReady => {}
            }
        }
        self.update_zone_states(store, &out);
        // Leaving the all-zones-disrupted mode: every probe timestamp becomes now and the
        // rate limiters start over.
        // Upstream: node_lifecycle_controller.go (handleDisruption: "Exiting master disruption mode").
        let all = self.all_zones_disrupted();
        if self.all_were_disrupted && !all {
            self.probes_reset = now;
            for zone in self.zones.values_mut() {
                zone.tokens = 1.0;
                zone.refilled = now;
            }
        }
        self.all_were_disrupted = all;
        out
    }

    /// Zone states from Ready counts, seeing the conditions `pending` is about to set.
    fn update_zone_states(&mut self, store: &Store, pending: &[Decision]) {
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for node in &store.nodes {
            let becoming_unknown =
                pending.iter().any(|d| matches!(d, Decision::SetNodeCondition { node: n, .. } if *n == node.id));
            let ready = node.condition == NodeCondition::Ready && !becoming_unknown;
            let entry = counts.entry(zone_of(node)).or_default();
            if ready {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        for (key, (ready, not_ready)) in counts {
            if let Some(zone) = self.zones.get_mut(&key) {
                zone.size = ready + not_ready;
                zone.state = if ready == 0 && not_ready > 0 {
                    ZoneState::FullDisruption
                } else if not_ready > 2 && not_ready as f64 / (ready + not_ready) as f64 >= UNHEALTHY_ZONE_THRESHOLD {
                    ZoneState::PartialDisruption
                } else {
                    ZoneState::Normal
                };
            }
        }
    }

    /// Every zone fully disrupted: upstream assumes the masters are the problem and
    /// stops tainting and evicting altogether.
    pub fn all_zones_disrupted(&self) -> bool {
        !self.zones.is_empty() && self.zones.values().all(|z| z.state == ZoneState::FullDisruption)
    }

    fn zone_rate(&self, zone: &Zone) -> f64 {
        match zone.state {
            ZoneState::Normal | ZoneState::FullDisruption => self.settings.eviction_rate,
            ZoneState::PartialDisruption if zone.size > LARGE_CLUSTER_SIZE_THRESHOLD => SECONDARY_EVICTION_RATE,
            ZoneState::PartialDisruption => 0.0,
        }
    }

    /// Applies queued NoExecute taints as each zone's rate allows (doNoExecuteTaintingPass).
    /// Returns the decisions and when the next pass is due, if any node still waits.
    pub fn tainting_pass(&mut self, store: &Store, now: Time) -> (Vec<Decision>, Option<Time>) {
        let mut out = Vec::new();
        if self.all_zones_disrupted() {
            for node in &store.nodes {
                if node.has_taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute) {
                    out.push(Decision::RemoveTaint {
                        node: node.id,
                        key: TAINT_NODE_UNREACHABLE,
                        effect: TaintEffect::NoExecute,
                    });
                }
            }
            return (out, None);
        }
        let mut next: Option<Time> = None;
        let rates: Vec<f64> = self.zones.values().map(|z| self.zone_rate(z)).collect();
        for (zone, rate) in self.zones.values_mut().zip(rates) {
            zone.tokens = (zone.tokens + rate * now.since(zone.refilled).as_secs_f64()).min(1.0);
            zone.refilled = now;
            while let Some(&id) = zone.queue.front() {
                let Some(node) = store.try_node(id) else {
                    zone.queue.pop_front(); // removed from the cluster
                    continue;
                };
                if node.condition == NodeCondition::Ready
                    || node.has_taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute)
                {
                    zone.queue.pop_front();
                    continue;
                }
                if zone.tokens < 1.0 - 1e-9 {
                    break;
                }
                zone.tokens -= 1.0;
                zone.queue.pop_front();
                out.push(Decision::AddTaint { node: id, taint: taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute) });
            }
            if !zone.queue.is_empty() && rate > 0.0 {
                let wait = Duration::from_secs_f64((1.0 - zone.tokens) / rate);
                let due = round_up_to(now + wait, TAINTING_PASS_PERIOD);
                next = Some(next.map_or(due, |n| n.min(due)));
            }
        }
        (out, next)
    }
}

fn taint(key: &str, effect: TaintEffect) -> Taint {
    Taint { key: key.to_string(), value: String::new(), effect }
}

fn round_up_to(t: Time, grid: Duration) -> Time {
    let g = grid.as_nanos();
    Time(t.as_nanos().div_ceil(g) * g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::node;
    use crate::model::Resources;

    fn store_with(n: usize) -> Store {
        let mut s = Store::default();
        for i in 0..n {
            s.add_node(|id| {
                let mut nd = node(1000, 1000, Resources::default());
                nd.id = id;
                nd.name = format!("n{i}");
                nd
            });
        }
        s
    }

    fn settings() -> LifecycleSettings {
        LifecycleSettings {
            grace_period: Duration::from_secs(50),
            status_update_frequency: Duration::from_secs(10),
            eviction_rate: 0.1,
        }
    }

    #[test]
    fn a_silent_node_is_marked_unknown_only_after_the_grace_period() {
        let mut s = store_with(2);
        s.node_mut(NodeId(0)).heartbeat_frozen_at = Some(Time::from_secs(100));
        let mut c = NodeLifecycle::new(settings());
        assert!(c.monitor(&s, Time::from_secs(150)).is_empty(), "exactly the grace period is not yet late");
        let d = c.monitor(&s, Time::from_secs(155));
        assert!(matches!(d[0], Decision::SetNodeCondition { node: NodeId(0), condition: NodeCondition::Unknown }));
    }

    #[test]
    fn no_execute_taints_are_rate_limited_per_zone() {
        let mut s = store_with(4);
        let mut c = NodeLifecycle::new(settings());
        let t = Time::from_secs(60);
        nodes_0_and_1_go_silent(&mut s, &mut c, t);
        let (first, next) = c.tainting_pass(&s, t);
        assert_eq!(first.len(), 1, "burst 1: one taint now");
        assert_eq!(next, Some(t + Duration::from_secs(10)), "0.1 nodes/s: the next 10 s later");
        let (second, next) = c.tainting_pass(&s, t + Duration::from_secs(10));
        assert_eq!(second.len(), 1);
        assert_eq!(next, None);
    }

    #[test]
    fn when_every_zone_is_down_nothing_is_tainted() {
        let mut s = store_with(2);
        let mut c = NodeLifecycle::new(settings());
        nodes_0_and_1_go_silent(&mut s, &mut c, Time::from_secs(60));
        assert!(c.all_zones_disrupted());
        assert!(c.tainting_pass(&s, Time::from_secs(60)).0.is_empty());
    }

    /// Nodes 0 and 1 stop heartbeating at t=0; the monitor pass at `at` marks them Unknown
    /// (the actuator's part is done by hand).
    fn nodes_0_and_1_go_silent(s: &mut Store, c: &mut NodeLifecycle, at: Time) {
        for id in [0, 1] {
            s.node_mut(NodeId(id)).heartbeat_frozen_at = Some(Time::ZERO);
        }
        c.monitor(s, at);
        for id in [0, 1] {
            s.node_mut(NodeId(id)).condition = NodeCondition::Unknown;
        }
    }

    fn goes_unknown(c: &mut NodeLifecycle, s: &Store, node: u32, at: u64) -> bool {
        c.monitor(s, Time::from_secs(at)).iter().any(
            |d| matches!(d, Decision::SetNodeCondition { node: n, condition: NodeCondition::Unknown } if n.0 == node),
        )
    }

    #[test]
    fn a_restarted_controller_gives_every_node_a_fresh_grace_period() {
        let mut s = store_with(2);
        s.node_mut(NodeId(0)).heartbeat_frozen_at = Some(Time::from_secs(100));
        let mut c = NodeLifecycle::new(settings());
        c.restart(Time::from_secs(140));
        assert!(!goes_unknown(&mut c, &s, 0, 155), "the old instance would have marked it at 155 s");
        assert!(!goes_unknown(&mut c, &s, 0, 190), "exactly the grace period after the restart");
        assert!(goes_unknown(&mut c, &s, 0, 191));
    }

    #[test]
    fn leaving_the_all_zones_disrupted_mode_resets_probe_timestamps() {
        let mut s = store_with(2);
        let mut c = NodeLifecycle::new(settings());
        nodes_0_and_1_go_silent(&mut s, &mut c, Time::from_secs(60));
        c.monitor(&s, Time::from_secs(65));
        assert!(c.all_zones_disrupted());
        // Node 0's kubelet posts Ready at 200 s, and the host dies again right after.
        let n0 = s.node_mut(NodeId(0));
        n0.condition = NodeCondition::Ready;
        n0.kubelet_started = Time::from_secs(200);
        n0.heartbeat_frozen_at = Some(Time::from_secs(200));
        assert!(!goes_unknown(&mut c, &s, 0, 205));
        assert!(!c.all_zones_disrupted());
        // Its heartbeat is from 200 s, but probes were reset when the mode ended at 205 s.
        assert!(!goes_unknown(&mut c, &s, 0, 255));
        assert!(goes_unknown(&mut c, &s, 0, 256));
    }

    #[test]
    fn unknown_nodes_without_their_no_execute_taint_are_queued_again() {
        let mut s = store_with(3);
        let mut c = NodeLifecycle::new(settings());
        s.node_mut(NodeId(0)).condition = NodeCondition::Unknown;
        s.node_mut(NodeId(0)).heartbeat_frozen_at = Some(Time::ZERO);
        c.restart(Time::from_secs(100));
        c.monitor(&s, Time::from_secs(100));
        let (taints, _) = c.tainting_pass(&s, Time::from_secs(100));
        assert!(matches!(taints.as_slice(), [Decision::AddTaint { node: NodeId(0), .. }]), "{taints:?}");
    }
}
