//! The masters: control-plane replicas with stacked etcd, the quorum (`n/2 + 1` up) without
//! which the API refuses writes, and the leader-election leases of kube-controller-manager
//! and kube-scheduler. Both run on every master; one instance per lease leads.
//!
//! Lease timing is client-go's leader election with the components' defaults, without the
//! retry jitter (so runs stay exact):
//! - the leader renews every `RETRY_PERIOD` on a grid from when it acquired the lease;
//! - a leader that cannot write (no quorum) keeps retrying and gives up when the renew
//!   round that began one retry period after its last renewal times out (`RENEW_DEADLINE`),
//!   unless quorum is back within `RENEW_DEADLINE` of that renewal, in which case it keeps
//!   the lease; a leader whose master dies stops at once;
//! - candidates poll every `RETRY_PERIOD` (a grid from t=0), see each renewal when it
//!   happens, and take a lease that was not renewed for `LEASE_DURATION` at their first
//!   poll at or after `last renewal + LEASE_DURATION`, once the API takes writes again. The
//!   lowest-numbered up master wins.
//!
//! At t=0 master 1 holds both leases. Plain data: the world asks what changed and when to
//! look again.

use crate::engine::{Duration, Time};

// Upstream: staging/src/k8s.io/component-base/config/v1alpha1/defaults.go (RecommendedDefaultLeaderElectionConfiguration).
pub const LEASE_DURATION: Duration = Duration::from_secs(15);
// Upstream: staging/src/k8s.io/component-base/config/v1alpha1/defaults.go (RecommendedDefaultLeaderElectionConfiguration).
pub const RENEW_DEADLINE: Duration = Duration::from_secs(10);
// Upstream: staging/src/k8s.io/component-base/config/v1alpha1/defaults.go (RecommendedDefaultLeaderElectionConfiguration).
pub const RETRY_PERIOD: Duration = Duration::from_secs(2);

/// A control-plane component that runs under a leader-election lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    ControllerManager,
    Scheduler,
}

impl Component {
    pub const ALL: [Component; 2] = [Component::ControllerManager, Component::Scheduler];

    /// The Lease object's name in kube-system.
    pub fn lease_name(self) -> &'static str {
        match self {
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
        }
    }
}

/// What an update changed, in the order it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    QuorumLost,
    QuorumRestored,
    /// The leader stopped leading (its master died, or it could not renew in time).
    LeaderLost {
        component: Component,
        master: u32,
    },
    /// A candidate acquired the lease: a fresh instance of the component starts leading.
    LeaderElected {
        component: Component,
        master: u32,
    },
}

#[derive(Clone, Debug)]
struct Lease {
    holder: Option<u32>,
    /// Origin of the holder's renewal grid.
    acquired: Time,
    /// While the holder cannot write: its last successful renewal.
    stalled: Option<Time>,
    /// The last renewal of the previous holder, which candidates wait out.
    last_renewal: Time,
    /// Bumped at every acquisition: work scheduled by an older leader is void.
    term: u64,
}

impl Lease {
    /// The holder's last renewal at or before `t`.
    fn renewal_at_or_before(&self, t: Time) -> Time {
        let period = RETRY_PERIOD.as_nanos();
        self.acquired + Duration(t.since(self.acquired).as_nanos() / period * period)
    }
}

/// The masters and their leases.
#[derive(Clone, Debug)]
pub struct Masters {
    up: Vec<bool>,
    had_quorum: bool,
    leases: [Lease; 2],
}

/// The first candidate poll at or after `t` (polls are on a `RETRY_PERIOD` grid from 0).
fn next_poll(t: Time) -> Time {
    let period = RETRY_PERIOD.as_nanos();
    Time(t.as_nanos().div_ceil(period) * period)
}

impl Masters {
    /// `count` masters, all up; master 1 leads both components from t=0.
    pub fn new(count: u32) -> Self {
        let lease = Lease { holder: Some(1), acquired: Time::ZERO, stalled: None, last_renewal: Time::ZERO, term: 1 };
        Masters { up: vec![true; count as usize], had_quorum: true, leases: [lease.clone(), lease] }
    }

    pub fn count(&self) -> u32 {
        self.up.len() as u32
    }

    pub fn up_count(&self) -> u32 {
        self.up.iter().filter(|u| **u).count() as u32
    }

    /// Members etcd needs for a quorum.
    // Upstream: etcd-io/raft quorum/majority.go (a majority of the voters).
    pub fn quorum_size(&self) -> u32 {
        self.count() / 2 + 1
    }

    /// The API takes writes (and linearizable reads).
    pub fn has_quorum(&self) -> bool {
        self.up_count() >= self.quorum_size()
    }

    /// Whether master `master` (1-based) is up.
    pub fn is_up(&self, master: u32) -> bool {
        self.up.get(master as usize - 1).copied().unwrap_or(false)
    }

    /// The master whose instance of `component` holds the lease, if any.
    pub fn leader(&self, component: Component) -> Option<u32> {
        self.leases[component as usize].holder
    }

    /// The component acts: it has a leader and the API takes its writes.
    pub fn active(&self, component: Component) -> bool {
        self.has_quorum() && self.leader(component).is_some()
    }

    /// Incremented at every election of `component`.
    pub fn term(&self, component: Component) -> u64 {
        self.leases[component as usize].term
    }

    /// Master `master` (1-based) dies at `now`.
    pub fn crash(&mut self, master: u32, now: Time) -> Vec<Change> {
        self.up[master as usize - 1] = false;
        self.update(now)
    }

    /// Master `master` (1-based) is back at `now`.
    pub fn recover(&mut self, master: u32, now: Time) -> Vec<Change> {
        self.up[master as usize - 1] = true;
        self.update(now)
    }

    /// Brings the quorum and the leases up to date at `now`.
    // Upstream: staging/src/k8s.io/client-go/tools/leaderelection/leaderelection.go (acquire, renew, tryAcquireOrRenew, isLeaseValid).
    pub fn update(&mut self, now: Time) -> Vec<Change> {
        let mut out = Vec::new();
        let quorum = self.has_quorum();
        if quorum != self.had_quorum {
            self.had_quorum = quorum;
            out.push(if quorum { Change::QuorumRestored } else { Change::QuorumLost });
        }
        let first_up = self.up.iter().position(|u| *u).map(|i| i as u32 + 1);
        for component in Component::ALL {
            let up = &self.up;
            let lease = &mut self.leases[component as usize];
            if let Some(holder) = lease.holder {
                let lost = if !up[holder as usize - 1] {
                    // The process died with its master: no renewal after the last grid point.
                    Some(lease.stalled.unwrap_or_else(|| lease.renewal_at_or_before(now)))
                } else if !quorum {
                    let last = lease.stalled.unwrap_or_else(|| lease.renewal_at_or_before(now));
                    lease.stalled = Some(last);
                    // renew(): the round starting one retry period after the last renewal
                    // times out renewDeadline later.
                    (now >= last + RETRY_PERIOD + RENEW_DEADLINE).then_some(last)
                } else if let Some(last) = lease.stalled {
                    // A retry within the round succeeds only if it comes by renewDeadline.
                    if now <= last + RENEW_DEADLINE {
                        lease.stalled = None;
                        None
                    } else {
                        Some(last)
                    }
                } else {
                    None
                };
                if let Some(last) = lost {
                    lease.holder = None;
                    lease.stalled = None;
                    lease.last_renewal = last;
                    out.push(Change::LeaderLost { component, master: holder });
                }
            }
            if lease.holder.is_none() && quorum {
                let expiry = lease.last_renewal + LEASE_DURATION;
                if let Some(winner) = first_up.filter(|_| now >= expiry && next_poll(now) == now) {
                    lease.holder = Some(winner);
                    lease.acquired = now;
                    lease.term += 1;
                    out.push(Change::LeaderElected { component, master: winner });
                }
            }
        }
        out
    }

    /// When [`Masters::update`] must run next: a stalled leader's renew deadline or the
    /// first poll that can take an expired lease. None while nothing can change without a
    /// master crashing or recovering.
    pub fn next_wake(&self, now: Time) -> Option<Time> {
        let quorum = self.has_quorum();
        self.leases
            .iter()
            .filter_map(|lease| match (lease.holder, lease.stalled) {
                (Some(_), Some(last)) if !quorum => Some(last + RETRY_PERIOD + RENEW_DEADLINE),
                (None, _) if quorum => Some(next_poll((lease.last_renewal + LEASE_DURATION).max(now))),
                _ => None,
            })
            .filter(|t| *t > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Time {
        Time(Duration::from_secs_f64(s).as_nanos())
    }

    fn elected(master: u32) -> Vec<Change> {
        Component::ALL.iter().map(|&component| Change::LeaderElected { component, master }).collect()
    }

    fn lost(master: u32) -> Vec<Change> {
        Component::ALL.iter().map(|&component| Change::LeaderLost { component, master }).collect()
    }

    #[test]
    fn quorum_is_a_majority() {
        for (n, q) in [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3)] {
            assert_eq!(Masters::new(n).quorum_size(), q, "{n} masters");
        }
        let mut m = Masters::new(3);
        assert_eq!(m.crash(2, secs(10.0)), vec![], "one of three down keeps quorum");
        assert_eq!(m.crash(3, secs(11.0))[0], Change::QuorumLost);
        assert!(!m.active(Component::ControllerManager), "no writes without quorum, even with a leader");
        assert_eq!(m.leader(Component::ControllerManager), Some(1));
    }

    #[test]
    fn a_dead_leader_is_replaced_when_its_lease_expires_at_the_next_poll() {
        let mut m = Masters::new(3);
        // Renewals every 2 s from 0: the last one before 61.3 s is at 60 s.
        assert_eq!(m.crash(1, secs(61.3)), lost(1));
        assert!(!m.active(Component::Scheduler));
        // Expiry at 75 s; candidates poll on even seconds: 76 s.
        assert_eq!(m.next_wake(secs(61.3)), Some(secs(76.0)));
        assert_eq!(m.update(secs(75.0)), vec![], "75 s is not a poll");
        assert_eq!(m.update(secs(76.0)), elected(2));
        assert_eq!(m.term(Component::ControllerManager), 2);
        assert!(m.active(Component::ControllerManager));
        assert_eq!(m.next_wake(secs(76.0)), None);
        // Crashing a master that leads nothing changes no lease.
        assert_eq!(m.crash(3, secs(80.0)), vec![Change::QuorumLost]);
        assert_eq!(m.leader(Component::Scheduler), Some(2));
    }

    #[test]
    fn a_short_quorum_loss_keeps_the_leader() {
        let mut m = Masters::new(3);
        m.crash(2, secs(100.5));
        assert_eq!(m.crash(3, secs(100.5)), vec![Change::QuorumLost]);
        // Stalled at its 100 s renewal: it gives up at 100 + 2 + 10 s.
        assert_eq!(m.next_wake(secs(100.5)), Some(secs(112.0)));
        assert_eq!(m.recover(3, secs(110.0)), vec![Change::QuorumRestored], "back within renewDeadline");
        assert_eq!(m.term(Component::ControllerManager), 1);
        assert!(m.active(Component::ControllerManager));
    }

    #[test]
    fn a_long_quorum_loss_costs_the_lease_and_a_new_election() {
        let mut m = Masters::new(3);
        m.crash(2, secs(100.5));
        m.crash(3, secs(100.5));
        assert_eq!(m.update(secs(111.9)), vec![]);
        assert_eq!(m.update(secs(112.0)), lost(1));
        // Back at 113 s: the old record (renewed at 100 s) is valid until 115 s; polls at 116 s.
        let mut restored = m.clone();
        assert_eq!(restored.recover(3, secs(113.0)), vec![Change::QuorumRestored]);
        assert_eq!(restored.next_wake(secs(113.0)), Some(secs(116.0)));
        assert_eq!(restored.update(secs(116.0)), elected(1), "the lowest-numbered up master wins");
        // Back at 130 s, a poll instant long after expiry: elected at once.
        let mut changes = vec![Change::QuorumRestored];
        changes.extend(elected(1));
        assert_eq!(m.recover(2, secs(130.0)), changes);
        // Back just after renewDeadline but before the give-up: the leader is lost then.
        let mut late = Masters::new(3);
        late.crash(2, secs(100.5));
        late.crash(3, secs(100.5));
        let mut changes = vec![Change::QuorumRestored];
        changes.extend(lost(1));
        assert_eq!(late.recover(2, secs(111.0)), changes);
    }

    #[test]
    fn a_single_master_outage_stops_everything_until_it_is_back() {
        let mut m = Masters::new(1);
        let mut changes = vec![Change::QuorumLost];
        changes.extend(lost(1));
        assert_eq!(m.crash(1, secs(30.0)), changes);
        assert_eq!(m.next_wake(secs(30.0)), None, "nothing can happen without a master");
        // The last renewal was at 30 s; the lease is expired at 45 s; 51 s is not a poll.
        assert_eq!(m.recover(1, secs(51.0)), vec![Change::QuorumRestored]);
        assert_eq!(m.next_wake(secs(51.0)), Some(secs(52.0)));
        assert_eq!(m.update(secs(52.0)), elected(1));
    }
}
