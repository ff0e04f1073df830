//! Random and scheduled faults from the `faults:` section.
//!
//! `nodeCrash`, `nodePartition` and `masterCrash` run one alternating up/down process per
//! node of the pool (from when it joins) or per master: up for an exponential time of mean
//! `mtbf`, down for an exponential time of mean `mttr`, again and again. Each process draws
//! from its own stream `faults/<index>/<kind>/<node or master-K>`, so a fault source
//! appended to the list, a node or a master never shifts another's history. A target stays
//! down (or cut off) while any fault or timeline outage holds it (`ops::Outages`): a
//! process coming back up ends only its own outage. `zoneOutage` holds every node
//! labelled with the zone down for its window; `slowStart` draws the start-up time of pods bound to the pool's nodes from
//! `faults/<index>/slowStart` instead of `podStartup` (the kubelet's own draw is still made,
//! so no other pod's start time shifts).

use super::ops::{Cause, OpsEvent};
use super::{World, WorldEvent};
use crate::engine::{Duration, RandomStream, RngStreams};
use crate::model::NodeId;
use crate::scenario::{Distribution, Fault, Scenario, ZONE_LABEL};

/// What a process takes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Node(NodeId),
    Master(u32),
}

struct Process {
    source: usize,
    target: Target,
    rng: RandomStream,
    down: bool,
}

/// The fault processes of a run.
pub(super) struct Faults {
    streams: RngStreams,
    processes: Vec<Process>,
    /// Per slowStart source: its pool, distribution and stream.
    slow_start: Vec<(String, Distribution, RandomStream)>,
}

impl Faults {
    pub fn new(scenario: &Scenario, streams: &RngStreams) -> Self {
        let slow_start = scenario
            .faults
            .iter()
            .enumerate()
            .filter_map(|(i, spec)| match &spec.fault {
                Fault::SlowStart { pool, pod_startup } => {
                    Some((pool.clone(), *pod_startup, streams.stream(&format!("faults/{i}/slowStart"))))
                }
                _ => None,
            })
            .collect();
        Faults { streams: streams.clone(), processes: Vec::new(), slow_start }
    }
}

fn exponential(mean: Duration, rng: &mut RandomStream) -> Duration {
    Distribution::Exponential { mean }.sample(rng)
}

impl World<'_> {
    /// t=0: a process per master for each masterCrash source, and the zone outages.
    pub(super) fn start_faults(&mut self) {
        for (i, spec) in self.scenario.faults.iter().enumerate() {
            match &spec.fault {
                Fault::MasterCrash { .. } => {
                    for k in 1..=self.scenario.cluster.masters {
                        self.start_process(i, Target::Master(k), &format!("master-{k}"));
                    }
                }
                Fault::ZoneOutage { at, duration, .. } => {
                    let start = crate::engine::Time::ZERO + *at;
                    self.queue.schedule(start, WorldEvent::Ops(OpsEvent::ZoneOutage { source: i, down: true }));
                    self.queue
                        .schedule(start + *duration, WorldEvent::Ops(OpsEvent::ZoneOutage { source: i, down: false }));
                }
                _ => {}
            }
        }
    }

    /// A node joined: it gets a process for each nodeCrash / nodePartition source of its pool.
    pub(super) fn node_faults(&mut self, id: NodeId) {
        let node = self.store.node(id);
        let (pool, name) = (node.pool.clone(), node.name.clone());
        for (i, spec) in self.scenario.faults.iter().enumerate() {
            if let Fault::NodeCrash { pool: p, .. } | Fault::NodePartition { pool: p, .. } = &spec.fault {
                if pool.as_ref() == Some(p) {
                    self.start_process(i, Target::Node(id), &name);
                }
            }
        }
    }

    fn start_process(&mut self, source: usize, target: Target, member: &str) {
        let fault = &self.scenario.faults[source].fault;
        let mut rng = self.ops.faults.streams.stream(&format!("faults/{source}/{}/{member}", fault.kind()));
        let (mtbf, _) = fault.mean_times().expect("only alternating faults have processes");
        let first = self.now() + exponential(mtbf, &mut rng);
        self.ops.faults.processes.push(Process { source, target, rng, down: false });
        let index = self.ops.faults.processes.len() - 1;
        self.queue.schedule(first, WorldEvent::Ops(OpsEvent::FaultFlip(index)));
    }

    /// Process `index` goes down or comes back up, and draws how long that lasts.
    pub(super) fn fault_flip(&mut self, index: usize) {
        if let Target::Node(id) = self.ops.faults.processes[index].target {
            if !self.store.has_node(id) {
                return; // the node was removed: its fault process ends
            }
        }
        let p = &mut self.ops.faults.processes[index];
        p.down = !p.down;
        let (source, target, down) = (p.source, p.target, p.down);
        let fault = &self.scenario.faults[source].fault;
        let (mtbf, mttr) = fault.mean_times().expect("only alternating faults have processes");
        let partition = matches!(fault, Fault::NodePartition { .. });
        let lasts = exponential(if down { mttr } else { mtbf }, &mut self.ops.faults.processes[index].rng);
        let cause = Cause::Fault(source);
        match target {
            Target::Node(id) if partition => {
                let (connected, name) = (self.store.node(id).connected, self.store.node(id).name.clone());
                self.fault_event(source, down, &name);
                if down {
                    self.ops.partitioned_by.add(id, cause);
                    if connected {
                        self.partition_node(id);
                    }
                } else if self.ops.partitioned_by.remove(id, cause) && !connected {
                    self.reconnect_node(id);
                }
            }
            Target::Node(id) => self.node_fault(source, id, down, true),
            Target::Master(k) => {
                let up = self.ops.masters.is_up(k);
                self.fault_event(source, down, &format!("master-{k}"));
                if down {
                    self.ops.master_down_by.add(k, cause);
                    if up {
                        self.crash_master(k);
                    }
                } else if self.ops.master_down_by.remove(k, cause) && !up {
                    self.recover_master(k);
                }
            }
        }
        let at = self.now() + lasts;
        self.queue.schedule(at, WorldEvent::Ops(OpsEvent::FaultFlip(index)));
    }

    /// Fault source `source` holds node `id` down (crashing it if it is up) or lets it go
    /// (booting it if nothing else holds it down); `announce` logs it as a fault of its own.
    fn node_fault(&mut self, source: usize, id: NodeId, down: bool, announce: bool) {
        let cause = Cause::Fault(source);
        let host_up = self.store.node(id).host_up;
        if announce {
            let name = self.store.node(id).name.clone();
            self.fault_event(source, down, &name);
        }
        if down {
            self.ops.node_down_by.add(id, cause);
            if host_up {
                self.crash_node(id);
            }
        } else if self.ops.node_down_by.remove(id, cause) && !host_up {
            self.recover_node(id);
        }
    }

    /// A zone outage starts or ends: every node labelled with the zone.
    pub(super) fn zone_outage(&mut self, source: usize, down: bool) {
        let Fault::ZoneOutage { zone, .. } = &self.scenario.faults[source].fault else { return };
        let nodes: Vec<NodeId> =
            self.store.nodes.iter().filter(|n| n.labels.get(ZONE_LABEL) == Some(zone)).map(|n| n.id).collect();
        self.fault_event(source, down, &format!("zone {zone}"));
        for id in nodes {
            self.node_fault(source, id, down, false);
        }
    }

    /// `fault_injected` / `fault_repaired` in the log and a marker on the plots.
    fn fault_event(&mut self, source: usize, down: bool, target: &str) {
        let now = self.now();
        let kind = self.scenario.faults[source].fault.kind();
        let verb = if down { "fault_injected" } else { "fault_repaired" };
        self.events.emit(now, verb, |e| {
            e.str("fault", kind).str("target", target);
        });
        let label = if down { format!("{kind} {target}") } else { format!("{kind} {target} over") };
        self.observations.markers.push((now, label));
    }

    /// A slowStart fault's start-up time for a pod on `node`, if one covers its pool.
    pub(super) fn slow_start(&mut self, node: NodeId) -> Option<Duration> {
        let pool = self.store.node(node).pool.as_deref()?;
        let (_, dist, rng) = self.ops.faults.slow_start.iter_mut().find(|(p, _, _)| p == pool)?;
        Some(dist.sample(rng))
    }
}
