//! The simulated world: masters, nodes and their kubelets in virtual time, and the
//! actuator that applies the controllers' decisions to them.
//!
//! Architecture invariant: this is the only place that mutates the store during a run.
//! Controllers decide; the world applies, records events and schedules what follows.

mod actuator;
mod cluster_autoscaler;
mod daemonsets;
mod drain;
mod faults;
mod jobs;
mod kubelet;
mod masters;
mod observe;
mod ops;
mod termination;
mod timeline;
mod traffic;

use crate::check::Checker;
use crate::control::deployment::DeploymentController;
use crate::control::node_lifecycle::{LifecycleSettings, NodeLifecycle};
use crate::control::replicaset;
use crate::control::scheduler::Scheduler;
use crate::engine::{EventQueue, RandomStream, RngStreams, Time};
use crate::model::{NodeId, PodId, Store};
use crate::record::{EventLog, Observations};
use crate::scenario::Scenario;

/// How a run is carried out (not what it simulates).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Put per-node scores on `pod_scheduled` events.
    pub explain: bool,
    /// Run the invariant checker after every event.
    pub check_invariants: bool,
}

/// What a finished run hands to the report.
pub struct RunOutput {
    pub events: EventLog,
    pub observations: Observations,
    pub store: Store,
    pub end: Time,
}

/// A run that could not finish.
#[derive(Clone, Debug, thiserror::Error)]
pub enum RunError {
    #[error("invariant violated at t={time}s: {message}")]
    Invariant { time: Time, message: String },
    #[error("controllers did not settle at t={time}s after {rounds} rounds (a controller keeps undoing another)")]
    NoConvergence { time: Time, rounds: u32 },
    /// The run reached one of its [`RunLimits`]: the scenario asks for more than a run
    /// can hold. Bad input rather than a bug.
    #[error("the run stopped at t={time}s: {what}")]
    Limit { time: Time, what: String },
}

impl RunError {
    /// True when the scenario, not the simulator, is at fault ([`RunError::Limit`]).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, RunError::Limit { .. })
    }

    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            RunError::Limit { .. } => {
                "lower the fault rates (longer mtbf), the number of nodes or pods, or the duration; \
                 a run records every control-plane event in memory"
            }
            _ => "this is a bug in clustersim; please report it with the scenario and seed",
        }
    }
}

/// Bounds that end a run which would otherwise grow without end (checked in O(1) after
/// every world event).
#[derive(Clone, Copy, Debug)]
pub struct RunLimits {
    /// World events handled (kubelet starts, probes, ticks, fault flips...).
    pub max_events: u64,
    /// Bytes of `events.jsonl`, which is kept in memory until the report is written.
    pub max_log_bytes: u64,
    /// World events waiting in the queue.
    pub max_pending: usize,
}

impl Default for RunLimits {
    /// Room for the largest scenario the loader accepts (2,000,000 pods, about 400 bytes
    /// of events and 3 world events each, twice over for a full rollout); a runaway
    /// scenario stops at 2 GiB of events instead of exhausting memory.
    fn default() -> Self {
        RunLimits {
            max_events: 100_000_000,
            max_log_bytes: crate::record::MAX_EVENT_LOG_BYTES,
            max_pending: 10_000_000,
        }
    }
}

/// Something scheduled to happen in the world.
#[derive(Clone, Debug)]
enum WorldEvent {
    /// The n-th timeline action.
    Action(usize),
    /// A `spec.nodeName` pod reaches its kubelet's admission check.
    KubeletAdmit { pod: PodId },
    /// The kubelet finished starting the pod's containers.
    PodStarted { pod: PodId, incarnation: u32 },
    /// The readiness probe passed.
    PodReady { pod: PodId, incarnation: u32 },
    /// A Terminating pod's last container exited or was killed (world/termination.rs).
    PodStopped { pod: PodId, incarnation: u32 },
    /// The node-lifecycle controller's monitor pass.
    MonitorTick,
    /// The node-lifecycle controller's NoExecute tainting pass.
    TaintingPass,
    /// The HPA controller's sync period elapsed.
    HpaSync,
    /// A controller asked to look again (minReadySeconds elapsed, progress deadline).
    Resync,
    /// The scheduling queue's backoff or leftover flush is due.
    SchedulerWake,
    /// A tolerated NoExecute taint ran out for this pod (scheduled by the
    /// kube-controller-manager leader of lease term `term`).
    Eviction { pod: PodId, node: NodeId, taint_added: Time, term: u64 },
    /// Node operations, masters, drains and faults (world/ops.rs).
    Ops(ops::OpsEvent),
    /// The Cluster Autoscaler's scans and the nodes it asked for (world/cluster_autoscaler.rs).
    Autoscaler(cluster_autoscaler::CaEvent),
    /// Job and CronJob timers, Job pods' containers ending (world/jobs.rs).
    Jobs(jobs::JobEvent),
}

/// Bound on controller rounds within one instant before declaring a livelock.
const MAX_SETTLE_ROUNDS: u32 = 10_000;
/// Bound on world events at one virtual instant before declaring a livelock.
const MAX_EVENTS_PER_INSTANT: u32 = 1_000_000;

/// The whole simulated cluster during a run.
pub struct World<'s> {
    scenario: &'s Scenario,
    options: RunOptions,
    store: Store,
    queue: EventQueue<WorldEvent>,
    scheduler: Scheduler,
    deployments: DeploymentController,
    daemon_sets: crate::control::daemonset::DaemonSetController,
    lifecycle: NodeLifecycle,
    events: EventLog,
    observations: Observations,
    checker: Checker,
    /// Draws kubelet start times.
    kubelet_rng: RandomStream,
    /// Draws generated names.
    names_rng: RandomStream,
    /// Draws how long apps take to exit after SIGTERM (`podShutdown`).
    shutdown_rng: RandomStream,
    /// Picks which pod `deletePod <deployment>` deletes.
    timeline_rng: RandomStream,
    /// When the next tainting pass is already scheduled.
    tainting_pass_due: Option<Time>,
    /// When the next scheduler wake-up is already scheduled.
    scheduler_wake_due: Option<Time>,
    /// When the next controller resync is already scheduled.
    resync_due: Option<Time>,
    /// Per pool, how many nodes it has had (names continue from here).
    pool_sizes: Vec<u32>,
    /// Per Deployment: the revision of a rollout in progress.
    rollouts: Vec<Option<u64>>,
    traffic: traffic::TrafficRun,
    autoscaler: crate::control::autoscaler::Autoscaler,
    /// `setMetric`: (Deployment, CPU utilization as a fraction of request, until).
    metric_overrides: Vec<(crate::model::DeploymentId, f64, Time)>,
    /// When the HPA last synced (the CPU window starts there).
    last_hpa_sync: Time,
    /// Masters, partitions, drains and faults.
    ops: ops::Ops,
    /// The Cluster Autoscaler, when a pool autoscales.
    cluster_autoscaler: Option<cluster_autoscaler::CaRun>,
    /// The run's one source of random streams (each part takes its named streams here).
    streams: RngStreams,
    /// Bounds on the run's size, and the world events handled so far.
    limits: RunLimits,
    handled: u64,
    /// `spec.nodeName` pods whose node does not exist (yet), by node name.
    node_name_waiting: std::collections::BTreeMap<String, Vec<PodId>>,
    /// `spec.nodeName` pods whose admission check is scheduled.
    admissions_due: std::collections::BTreeSet<PodId>,
    /// The Job and CronJob controllers and their timers.
    jobs: jobs::JobsRun,
}

/// Runs `scenario` to its horizon under the default [`RunLimits`].
pub fn run(scenario: &Scenario, options: RunOptions) -> Result<RunOutput, RunError> {
    run_with(scenario, options, RunLimits::default(), &mut |_| {})
}

/// Runs `scenario` to its horizon, or stops with [`RunError::Limit`] at `limits`.
pub fn run_with_limits(scenario: &Scenario, options: RunOptions, limits: RunLimits) -> Result<RunOutput, RunError> {
    run_with(scenario, options, limits, &mut |_| {})
}

/// World events between two calls of a run's progress callback.
const PROGRESS_EVERY: u32 = 64;

/// [`run`], calling `progress` with the virtual time reached every few thousand events
/// (it only reads: the run is the same with or without it).
pub fn run_with_progress(
    scenario: &Scenario,
    options: RunOptions,
    progress: &mut dyn FnMut(Time),
) -> Result<RunOutput, RunError> {
    run_with(scenario, options, RunLimits::default(), progress)
}

/// The run itself: bounded by `limits`, reporting progress to `progress`.
fn run_with(
    scenario: &Scenario,
    options: RunOptions,
    limits: RunLimits,
    progress: &mut dyn FnMut(Time),
) -> Result<RunOutput, RunError> {
    let streams = RngStreams::new(scenario.seed);
    let cp = &scenario.control_plane;
    let mut world = World {
        scenario,
        options,
        store: Store::default(),
        queue: EventQueue::new(),
        scheduler: Scheduler::new(&cp.scheduler, streams.stream("scheduler"), options.explain),
        deployments: DeploymentController::default(),
        daemon_sets: Default::default(),
        lifecycle: NodeLifecycle::new(LifecycleSettings {
            grace_period: cp.node_monitor_grace_period,
            status_update_frequency: cp.node_status_update_frequency,
            eviction_rate: cp.node_eviction_rate,
        }),
        events: EventLog::default(),
        observations: Observations::default(),
        checker: Checker::default(),
        kubelet_rng: streams.stream("kubelet"),
        names_rng: streams.stream("names"),
        shutdown_rng: streams.stream("kubelet/shutdown"),
        timeline_rng: streams.stream("timeline"),
        tainting_pass_due: None,
        scheduler_wake_due: None,
        resync_due: None,
        pool_sizes: vec![0; scenario.cluster.node_pools.len()],
        rollouts: Vec::new(),
        traffic: Default::default(),
        autoscaler: crate::control::autoscaler::Autoscaler::new(cp.hpa_sync_period),
        metric_overrides: Vec::new(),
        last_hpa_sync: Time::ZERO,
        ops: ops::Ops::new(scenario, &streams),
        cluster_autoscaler: cluster_autoscaler::CaRun::new(scenario, &streams),
        streams,
        limits,
        handled: 0,
        node_name_waiting: Default::default(),
        admissions_due: Default::default(),
        jobs: Default::default(),
    };
    world.store.scalar_names = std::sync::Arc::new(scenario.scalar_names.clone());
    world.bootstrap();
    world.settle()?;
    world.start_traffic();
    world.sync_endpoints();
    world.observe();
    world.check()?;
    let horizon = Time::ZERO + scenario.duration;
    let (mut instant, mut at_instant) = (Time::ZERO, 0u32);
    let mut since_progress = 0u32;
    while let Some((t, event)) = world.queue.pop_until(horizon) {
        world.handled += 1;
        world.check_limits()?;
        since_progress += 1;
        if since_progress == PROGRESS_EVERY {
            since_progress = 0;
            progress(t);
        }
        // Guard against a livelock of world events that never lets time advance.
        if t == instant {
            at_instant += 1;
            if at_instant > MAX_EVENTS_PER_INSTANT {
                return Err(RunError::NoConvergence { time: t, rounds: at_instant });
            }
        } else {
            (instant, at_instant) = (t, 0);
        }
        world.advance_traffic(t);
        world.handle(event);
        world.settle()?;
        world.sync_endpoints();
        world.observe();
        world.check()?;
    }
    world.finish_traffic(horizon);
    world.queue.advance_to(horizon);
    progress(horizon);
    Ok(RunOutput { events: world.events, observations: world.observations, store: world.store, end: horizon })
}

impl World<'_> {
    fn now(&self) -> Time {
        self.queue.now()
    }

    /// t=0: kubeadm init on the masters, nodes join, manifests are applied.
    fn bootstrap(&mut self) {
        for m in 1..=self.scenario.cluster.masters {
            self.events.emit(Time::ZERO, "master_joined", |e| {
                e.int("master", i64::from(m));
            });
        }
        for (i, pool) in self.scenario.cluster.node_pools.iter().enumerate() {
            self.join_pool_nodes(i, pool.count);
        }
        self.apply_manifests();
        for (i, action) in self.scenario.timeline.iter().enumerate() {
            self.queue.schedule(Time::ZERO + action.at, WorldEvent::Action(i));
        }
        self.queue.schedule(Time::ZERO + self.scenario.control_plane.node_monitor_period, WorldEvent::MonitorTick);
        self.queue.schedule(Time::ZERO + self.scenario.control_plane.hpa_sync_period, WorldEvent::HpaSync);
        self.start_faults();
        self.start_cluster_autoscaler();
    }

    fn handle(&mut self, event: WorldEvent) {
        match event {
            WorldEvent::Action(i) => self.run_action(i),
            WorldEvent::KubeletAdmit { pod } => self.kubelet_admit(pod),
            WorldEvent::PodStarted { pod, incarnation } => self.pod_started(pod, incarnation),
            WorldEvent::PodReady { pod, incarnation } => self.pod_ready(pod, incarnation),
            WorldEvent::PodStopped { pod, incarnation } => self.pod_stopped(pod, incarnation),
            WorldEvent::MonitorTick => {
                self.monitor_pass();
                let next = self.now() + self.scenario.control_plane.node_monitor_period;
                self.queue.schedule(next, WorldEvent::MonitorTick);
            }
            WorldEvent::TaintingPass => {
                self.tainting_pass_due = None;
                self.tainting_pass();
            }
            WorldEvent::Eviction { pod, node, taint_added, term } => {
                if self.store.has_node(node) {
                    self.eviction_due(pod, node, taint_added, term);
                }
            }
            WorldEvent::HpaSync => {
                self.hpa_sync();
                let next = self.now() + self.scenario.control_plane.hpa_sync_period;
                self.queue.schedule(next, WorldEvent::HpaSync);
            }
            WorldEvent::Resync => {
                if self.resync_due.is_some_and(|due| due <= self.now()) {
                    self.resync_due = None;
                }
                // What is due (minReadySeconds, a progress deadline) is time, not a write:
                // every Deployment is looked at again.
                for i in 0..self.store.deployments.len() {
                    self.store.queue_deployment(crate::model::DeploymentId(i as u32));
                }
            }
            WorldEvent::SchedulerWake => {
                if self.scheduler_wake_due.is_some_and(|due| due <= self.now()) {
                    self.scheduler_wake_due = None;
                }
                self.scheduler.queue.flush(self.now());
                self.wake_scheduler();
            }
            WorldEvent::Ops(event) => self.handle_ops(event),
            WorldEvent::Autoscaler(event) => self.handle_autoscaler(event),
            WorldEvent::Jobs(event) => self.handle_jobs(event),
        }
    }

    fn tainting_pass(&mut self) {
        if !self.ops.masters.active(masters::Component::ControllerManager) {
            return;
        }
        let (decisions, next) = self.lifecycle.tainting_pass(&self.store, self.now());
        self.apply_all(decisions);
        if let Some(next) = next {
            if self.tainting_pass_due.is_none_or(|due| next < due) {
                self.tainting_pass_due = Some(next);
                self.queue.schedule(next, WorldEvent::TaintingPass);
            }
        }
    }

    /// Runs the controllers until none has anything left to do at this instant.
    fn settle(&mut self) -> Result<(), RunError> {
        for _ in 0..MAX_SETTLE_ROUNDS {
            self.check_limits()?;
            let mut changed = false;
            // Controllers act only with a leader and a writable API (world/masters.rs).
            // Each visits only the keys queued since it last ran (kept while it has no leader).
            let controllers = self.ops.masters.active(masters::Component::ControllerManager);
            if controllers {
                self.store.account();
                let queued = std::mem::take(&mut self.store.queues.deployments);
                let (decisions, recheck) = self.deployments.reconcile(&self.store, &queued, self.now());
                changed |= !decisions.is_empty();
                self.apply_all(decisions);
                if let Some(at) = recheck {
                    self.resync_at(at);
                }
                self.store.account();
                let queued = std::mem::take(&mut self.store.queues.replica_sets);
                let decisions = replicaset::reconcile(&self.store, &queued, self.now());
                changed |= !decisions.is_empty();
                self.apply_all(decisions);
                changed |= self.settle_daemon_sets();
                changed |= self.settle_jobs();
            }
            let scheduling = self.ops.masters.active(masters::Component::Scheduler);
            while let Some(pod) = scheduling.then(|| self.scheduler.next_pod(self.now())).flatten() {
                if !self.store.pods().get(&pod).is_some_and(Scheduler::wants) {
                    continue;
                }
                let decision = self.scheduler.schedule_one(&self.store, pod, self.now());
                changed |= matches!(decision, crate::control::Decision::Bind { .. });
                self.apply(decision);
            }
            if !changed {
                return Ok(());
            }
        }
        Err(RunError::NoConvergence { time: self.now(), rounds: MAX_SETTLE_ROUNDS })
    }

    /// One HPA sync: CPU samples from the traffic model (metrics-server's window is the
    /// time since the last sync), or `setMetric` for Deployments it drives.
    fn hpa_sync(&mut self) {
        let now = self.now();
        let window = now - self.last_hpa_sync;
        self.last_hpa_sync = now;
        let used = self.take_cpu(now);
        // The HPA controller runs in kube-controller-manager (metrics-server keeps counting).
        let leads = self.ops.masters.active(masters::Component::ControllerManager);
        if self.autoscaler.is_empty() || window == crate::engine::Duration::ZERO || !leads {
            return;
        }
        self.metric_overrides.retain(|(_, _, until)| *until > now);
        let mut samples = crate::control::autoscaler::CpuSamples::new();
        for (id, cpu) in used {
            samples.insert(crate::model::PodId(id), (cpu.as_nanos() as u128 * 1000 / window.as_nanos() as u128) as i64);
        }
        // metrics-server reports every pod whose containers run, serving or not: what its
        // requests cost plus its idle usage (`serving.<deployment>.idleCpu`, default 0).
        // Without a sample a running pod would count as "missing" (and a not-yet-Ready one
        // as missing instead of unready), and an HPA without traffic would never act.
        // Upstream: pkg/controller/podautoscaler/metrics/client.go (GetResourceMetric) and
        // replica_calculator.go (groupPods).
        let targets: Vec<String> = self.autoscaler.targets().collect();
        for name in &targets {
            let Some(d) = self.store.deployment_by_key(name) else { continue };
            let idle = self.scenario.serving.get(name).map_or(0, |p| p.idle_cpu_millis);
            for p in self.store.pods_of_deployment(d).filter(|p| p.containers_running) {
                *samples.entry(p.id).or_insert(0) += idle;
            }
        }
        for &(d, utilization, _) in &self.metric_overrides {
            for p in self.store.pods_of_deployment(d).filter(|p| p.containers_running) {
                samples.insert(p.id, (p.requests.cpu_millis as f64 * utilization).round() as i64);
            }
        }
        let decisions = self.autoscaler.sync(&self.store, &samples, window, now);
        for st in &self.autoscaler.last_status {
            let track = self.observations.hpas.entry(st.name.clone()).or_default();
            track.deployment.clone_from(&st.deployment);
            track.min_replicas = i64::from(st.min_replicas);
            track.max_replicas = i64::from(st.max_replicas);
            track.target_utilization = i64::from(st.target_utilization);
            track.current.record(now, i64::from(st.current));
            track.desired.record(now, i64::from(st.desired));
            if let Some(u) = st.utilization {
                track.utilization.push((now, i64::from(u)));
            }
        }
        self.apply_all(decisions);
    }

    /// Schedules a controller resync at `at` unless one is due sooner. A resync asked for
    /// "now" (upstream requeues a deadline less than a second away at once) is taken
    /// 100 ms later, so a controller can never spin within one instant.
    fn resync_at(&mut self, at: Time) {
        let now = self.now();
        let at = at.max(now + crate::engine::Duration::from_millis(100));
        if self.resync_due.is_none_or(|due| at < due || due < now) {
            self.resync_due = Some(at);
            self.queue.schedule(at, WorldEvent::Resync);
        }
    }

    /// O(1): the counts are kept by the queue and the event log. Checked after every
    /// world event and every controller round.
    fn check_limits(&self) -> Result<(), RunError> {
        let limits = &self.limits;
        let what = if self.handled > limits.max_events {
            format!("more than {} world events were handled", limits.max_events)
        } else if self.events.as_bytes().len() as u64 > limits.max_log_bytes {
            let limit = limits.max_log_bytes;
            let shown = if limit % (1 << 20) == 0 { format!("{} MiB", limit >> 20) } else { format!("{limit} bytes") };
            format!("events.jsonl grew past {shown}")
        } else if self.queue.len() > limits.max_pending {
            format!("more than {} world events were waiting", limits.max_pending)
        } else {
            return Ok(());
        };
        Err(RunError::Limit { time: self.now(), what })
    }

    fn check(&mut self) -> Result<(), RunError> {
        if !self.options.check_invariants {
            return Ok(());
        }
        let now = self.now();
        let mut problems = self.checker.take_violations();
        self.store.account();
        problems.extend(crate::check::check_store(&self.store));
        problems.extend(self.store.recount_differences());
        problems.extend(self.checker.check_time(now));
        match problems.into_iter().next() {
            None => Ok(()),
            Some(message) => Err(RunError::Invariant { time: now, message }),
        }
    }
}
