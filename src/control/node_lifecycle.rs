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
const UNHEALTHY_ZONE_THRESHOLD: f32 = 0.55;
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

/// A zone's health as upstream classifies it (ComputeZoneState); `Initial` until the
/// first monitor pass has seen the zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    Initial,
    Normal,
    PartialDisruption,
    FullDisruption,
}

/// FullDisruption with no Ready node, PartialDisruption with more than 2 not-Ready nodes
/// making at least 55% of the zone (a float32 ratio, as upstream), else Normal.
// Upstream: node_lifecycle_controller.go (ComputeZoneState).
pub fn compute_zone_state(ready: usize, not_ready: usize) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        ZoneState::FullDisruption
    } else if not_ready > 2 && not_ready as f32 / (not_ready + ready) as f32 >= UNHEALTHY_ZONE_THRESHOLD {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// Per-zone NoExecute tainter: a token bucket (burst 1) at `qps` and the queue of nodes
/// waiting for their taint. `qps == 0` is upstream's never-accepting limiter.
struct Zone {
    qps: f64,
    tokens: f64,
    refilled: Time,
    queue: VecDeque<NodeId>,
    state: ZoneState,
}

impl Zone {
    fn new(qps: f64, now: Time) -> Self {
        Zone { qps, tokens: 1.0, refilled: now, queue: VecDeque::new(), state: ZoneState::Initial }
    }

    fn refill(&mut self, now: Time) {
        if self.qps > 0.0 {
            self.tokens = (self.tokens + self.qps * now.since(self.refilled).as_secs_f64()).min(1.0);
        }
        self.refilled = now;
    }

    fn can_accept(&self) -> bool {
        self.qps > 0.0 && self.tokens >= 1.0 - 1e-9
    }

    /// A new limiter when the rate changes: QPS 0 never accepts; otherwise a fresh bucket
    /// (one token) that starts drained when the old limiter could not accept right now.
    // Upstream: pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go (SwapLimiter).
    fn swap_limiter(&mut self, qps: f64, now: Time) {
        if self.qps == qps {
            return;
        }
        self.refill(now);
        let old_accepts = self.can_accept();
        self.qps = qps.max(0.0);
        self.tokens = if qps > 0.0 && old_accepts { 1.0 } else { 0.0 };
        self.refilled = now;
    }
}

pub struct NodeLifecycle {
    settings: LifecycleSettings,
    zones: BTreeMap<String, Zone>,
    /// Each node's zone key by node id, worked out once (a node's labels are set when it
    /// joins): the monitor pass visits every node every period and must stay cheap.
    zone_keys: Vec<Option<std::sync::Arc<str>>>,
    /// Every node's probe timestamp is at least this: when this instance started, or when
    /// it last left the all-zones-disrupted mode.
    probes_reset: Time,
}

/// The zone key upstream uses: region and zone labels.
pub fn zone_of(node: &Node) -> String {
    let region = node.labels.get("topology.kubernetes.io/region").map_or("", String::as_str);
    let zone = node.labels.get("topology.kubernetes.io/zone").map_or("", String::as_str);
    format!("{region}:\0:{zone}")
}

impl NodeLifecycle {
    pub fn new(settings: LifecycleSettings) -> Self {
        NodeLifecycle { settings, zones: BTreeMap::new(), zone_keys: Vec::new(), probes_reset: Time::ZERO }
    }

    /// A new leader's instance takes over at `now`: no zone state, fresh rate limiters, and
    /// every node's probe timestamp is `now`, so a node whose heartbeats went stale while
    /// no controller ran gets a whole grace period from here.
    // Upstream: node_lifecycle_controller.go (tryUpdateNodeHealth: "Missing timestamp for Node. Assuming now as a timestamp").
    pub fn restart(&mut self, now: Time) {
        self.zones.clear();
        self.probes_reset = now;
    }

    /// The node's zone key, from the cache.
    fn zone_key(&mut self, node: &Node) -> std::sync::Arc<str> {
        let i = node.id.0 as usize;
        if self.zone_keys.len() <= i {
            self.zone_keys.resize(i + 1, None);
        }
        self.zone_keys[i].get_or_insert_with(|| zone_of(node).into()).clone()
    }

    /// One monitor pass (every --node-monitor-period).
    pub fn monitor(&mut self, store: &Store, now: Time) -> Vec<Decision> {
        let mut out = Vec::new();
        for node in &store.nodes {
            let key = self.zone_key(node);
            let heartbeat = node.last_heartbeat(now, self.settings.status_update_frequency).max(self.probes_reset);
            // Upstream: node_lifecycle_controller.go (addPodEvictorForNewZone: a full bucket at the eviction rate).
            let rate = self.settings.eviction_rate;
            if !self.zones.contains_key(&*key) {
                self.zones.insert(key.to_string(), Zone::new(rate, now));
            }
            let zone = self.zones.get_mut(&*key).expect("inserted above");
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
        self.handle_disruption(store, &out, now);
        out
    }

    /// Zone states from Ready counts (seeing the conditions `pending` is about to set) and
    /// the rate limiters that go with them: a zone whose state changed gets its new rate;
    /// when every zone is fully disrupted every limiter stops (and the tainting pass lifts
    /// the NoExecute taints); leaving that mode resets every probe timestamp and limiter.
    // Upstream: node_lifecycle_controller.go (handleDisruption, setLimiterInZone).
    fn handle_disruption(&mut self, store: &Store, pending: &[Decision], now: Time) {
        let becoming_unknown: std::collections::BTreeSet<NodeId> = pending
            .iter()
            .filter_map(|d| match d {
                Decision::SetNodeCondition { node, .. } => Some(*node),
                _ => None,
            })
            .collect();
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for node in &store.nodes {
            let ready = node.condition == NodeCondition::Ready && !becoming_unknown.contains(&node.id);
            let key = self.zone_key(node);
            if !counts.contains_key(&*key) {
                counts.insert(key.to_string(), (0, 0));
            }
            let entry = counts.get_mut(&*key).expect("inserted above");
            if ready {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        let new_states: BTreeMap<&String, (ZoneState, usize)> =
            counts.iter().map(|(k, &(r, u))| (k, (compute_zone_state(r, u), r + u))).collect();
        let all_are = new_states.values().all(|(s, _)| *s == ZoneState::FullDisruption);
        // Zones without nodes are forgotten.
        self.zones.retain(|k, _| counts.contains_key(k));
        let all_were = self.zones.values().all(|z| z.state == ZoneState::FullDisruption);
        if all_are && all_were {
            return;
        }
        if all_are {
            // Entering "master disruption mode": every limiter stops.
            for zone in self.zones.values_mut() {
                zone.swap_limiter(0.0, now);
                zone.state = ZoneState::FullDisruption;
            }
            return;
        }
        if all_were {
            // Exiting it: fresh probe timestamps, limiters for each zone's new state.
            self.probes_reset = now;
        }
        let (normal, large) = (self.settings.eviction_rate, LARGE_CLUSTER_SIZE_THRESHOLD);
        for (key, zone) in self.zones.iter_mut() {
            let Some(&(state, size)) = new_states.get(key) else { continue };
            if zone.state == state && !all_were {
                continue;
            }
            let qps = match state {
                ZoneState::Normal | ZoneState::FullDisruption | ZoneState::Initial => normal,
                // Upstream: ReducedQPSFunc: the secondary rate in a large zone, else 0 (stop).
                ZoneState::PartialDisruption if size > large => SECONDARY_EVICTION_RATE,
                ZoneState::PartialDisruption => 0.0,
            };
            zone.swap_limiter(qps, now);
            zone.state = state;
        }
    }

    /// Every zone fully disrupted: upstream assumes the masters are the problem and
    /// stops tainting and evicting altogether.
    pub fn all_zones_disrupted(&self) -> bool {
        !self.zones.is_empty() && self.zones.values().all(|z| z.state == ZoneState::FullDisruption)
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
        for zone in self.zones.values_mut() {
            zone.refill(now);
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
                if !zone.can_accept() {
                    break;
                }
                zone.tokens -= 1.0;
                zone.queue.pop_front();
                out.push(Decision::AddTaint { node: id, taint: taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute) });
            }
            if !zone.queue.is_empty() && zone.qps > 0.0 {
                let wait = Duration::from_secs_f64((1.0 - zone.tokens) / zone.qps);
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

    /// `zones[i]` nodes in zone `z{i}` (named `z{i}-{k}`).
    fn zoned_store(zones: &[usize]) -> Store {
        let mut s = Store::default();
        for (z, &n) in zones.iter().enumerate() {
            for k in 0..n {
                s.add_node(|id| {
                    let mut nd = node(1000, 1000, Resources::default());
                    nd.id = id;
                    nd.name = format!("z{z}-{k}");
                    nd.labels.insert("topology.kubernetes.io/zone".into(), format!("z{z}"));
                    nd
                });
            }
        }
        s
    }

    /// Silences `ids` at t=0, runs the monitor at 60 s (they go Unknown) and at 65 s, and
    /// returns the taints the tainting passes apply from 65 s to `until`.
    fn taints_after_silence(s: &mut Store, c: &mut NodeLifecycle, ids: &[u32], until: u64) -> Vec<(u64, NodeId)> {
        for &id in ids {
            s.node_mut(NodeId(id)).heartbeat_frozen_at = Some(Time::ZERO);
        }
        c.monitor(s, Time::from_secs(60));
        for &id in ids {
            s.node_mut(NodeId(id)).condition = NodeCondition::Unknown;
        }
        c.monitor(s, Time::from_secs(65));
        let mut out = Vec::new();
        let mut at = Time::from_secs(65);
        while at <= Time::from_secs(until) {
            let (d, _) = c.tainting_pass(s, at);
            for x in d {
                if let Decision::AddTaint { node, .. } = x {
                    s.node_mut(node).taints.push((taint(TAINT_NODE_UNREACHABLE, TaintEffect::NoExecute), at));
                    out.push((at.as_nanos() / 1_000_000_000, node));
                }
            }
            at += TAINTING_PASS_PERIOD;
        }
        out
    }

    #[test]
    fn zone_state_follows_compute_zone_state() {
        // Upstream: node_lifecycle_controller.go (ComputeZoneState), unhealthyZoneThreshold 0.55.
        let cases = [
            ((0, 2), ZoneState::FullDisruption),
            ((0, 0), ZoneState::Normal),
            ((1, 2), ZoneState::Normal), // at most 2 not-Ready nodes is never partial
            ((0, 3), ZoneState::FullDisruption),
            ((2, 3), ZoneState::PartialDisruption),  // 60%
            ((3, 3), ZoneState::Normal),             // 50%
            ((9, 11), ZoneState::PartialDisruption), // exactly 55% (float32)
            ((10, 11), ZoneState::Normal),           // 52%
        ];
        for ((ready, not_ready), want) in cases {
            assert_eq!(compute_zone_state(ready, not_ready), want, "{ready} ready, {not_ready} not ready");
        }
    }

    #[test]
    fn a_partially_disrupted_small_zone_taints_nothing() {
        // 6 of 10 nodes down: PartialDisruption in a zone of at most 50 nodes swaps in a
        // limiter that never accepts (ReducedQPSFunc = 0, SwapLimiter(0)): no NoExecute taint.
        let mut s = zoned_store(&[10, 3]);
        let mut c = NodeLifecycle::new(settings());
        let taints = taints_after_silence(&mut s, &mut c, &[0, 1, 2, 3, 4, 5], 600);
        assert!(taints.is_empty(), "{taints:?}");
    }

    #[test]
    fn a_partially_disrupted_large_zone_taints_at_the_secondary_rate() {
        // 40 of 60 down: the secondary rate 0.01/s. The old limiter could accept, so the new
        // bucket starts full: one taint at once, the next 100 s later.
        let mut s = zoned_store(&[60, 3]);
        let mut c = NodeLifecycle::new(settings());
        let ids: Vec<u32> = (0..40).collect();
        let taints = taints_after_silence(&mut s, &mut c, &ids, 300);
        let times: Vec<u64> = taints.iter().map(|t| t.0).collect();
        assert_eq!(times, [65, 165, 265]);
    }

    #[test]
    fn disruption_table_of_upstream() {
        // Upstream: node_lifecycle_controller_test.go (TestMonitorNodeHealthEvictPodsWithDisruption):
        // only zone down -> no eviction; both zones down -> none; one of two zones down -> evicted.
        let mut s = zoned_store(&[1]);
        let mut c = NodeLifecycle::new(settings());
        assert!(taints_after_silence(&mut s, &mut c, &[0], 300).is_empty(), "only zone is down");
        let mut s = zoned_store(&[1, 1]);
        let mut c = NodeLifecycle::new(settings());
        assert!(taints_after_silence(&mut s, &mut c, &[0, 1], 300).is_empty(), "both zones down");
        let mut s = zoned_store(&[1, 1]);
        let mut c = NodeLifecycle::new(settings());
        assert_eq!(taints_after_silence(&mut s, &mut c, &[0], 300), [(65, NodeId(0))], "one zone down");
    }

    #[test]
    fn leaving_master_disruption_mode_starts_with_drained_limiters() {
        // Initially both zones down, one comes back: eviction takes place, but the limiters
        // that were swapped to QPS 0 give way to drained buckets (SwapLimiter drains the new
        // one when the old could not accept): the first taint waits 1/rate = 10 s.
        let mut s = zoned_store(&[1, 1]);
        let mut c = NodeLifecycle::new(settings());
        assert!(taints_after_silence(&mut s, &mut c, &[0, 1], 100).is_empty());
        let n1 = s.node_mut(NodeId(1));
        n1.condition = NodeCondition::Ready;
        n1.kubelet_started = Time::from_secs(200);
        n1.heartbeat_frozen_at = None;
        c.monitor(&s, Time::from_secs(205));
        assert!(!c.all_zones_disrupted());
        assert!(c.tainting_pass(&s, Time::from_secs(205)).0.is_empty(), "drained");
        let (d, next) = c.tainting_pass(&s, Time::from_secs(214));
        assert!(d.is_empty() && next == Some(Time::from_secs(215)), "{d:?} {next:?}");
        assert!(matches!(
            c.tainting_pass(&s, Time::from_secs(215)).0.as_slice(),
            [Decision::AddTaint { node: NodeId(0), .. }]
        ));
    }
}
