//! The scheduling queue: pods ready to try (by priority, then age), and pods that did
//! not fit, parked until a cluster event could make them fit.
//! Upstream: pkg/scheduler/backend/queue/scheduling_queue.go (activeQ, unschedulablePods).

use crate::model::PodId;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub struct SchedulingQueue {
    active: BTreeSet<(Reverse<i32>, PodId)>,
    /// Parked pods with the reason they failed last time.
    unschedulable: BTreeMap<PodId, (i32, String)>,
}

impl SchedulingQueue {
    /// Adds a new pending pod (PrioritySort: higher priority first, then FIFO).
    pub fn add(&mut self, pod: PodId, priority: i32) {
        self.unschedulable.remove(&pod);
        self.active.insert((Reverse(priority), pod));
    }

    pub fn pop(&mut self) -> Option<PodId> {
        self.active.pop_first().map(|(_, p)| p)
    }

    /// Parks a pod that did not fit. Returns false if the reason is the same as last
    /// time (so the caller need not log it again).
    pub fn park(&mut self, pod: PodId, priority: i32, reason: &str, previous: Option<&str>) -> bool {
        self.unschedulable.insert(pod, (priority, reason.to_string()));
        previous != Some(reason)
    }

    /// The reason a parked pod failed last time.
    pub fn last_reason(&self, pod: PodId) -> Option<&str> {
        self.unschedulable.get(&pod).map(|(_, r)| r.as_str())
    }

    /// A cluster event (node added or ready, taint removed, pod deleted...) could make
    /// parked pods fit: move them all back to active.
    pub fn move_all_to_active(&mut self) {
        for (pod, (priority, _)) in std::mem::take(&mut self.unschedulable) {
            self.active.insert((Reverse(priority), pod));
        }
    }

    /// Forgets a pod (deleted or bound).
    pub fn remove(&mut self, pod: PodId, priority: i32) {
        self.active.remove(&(Reverse(priority), pod));
        self.unschedulable.remove(&pod);
    }

    /// Pods waiting for a node (active or parked).
    pub fn pending(&self) -> usize {
        self.active.len() + self.unschedulable.len()
    }

    /// Pods parked as unschedulable.
    pub fn parked(&self) -> usize {
        self.unschedulable.len()
    }
}
