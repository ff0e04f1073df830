//! The replay loop: events grouped by instant -> expected state -> engine actions -> check.

use super::docker::{Docker, DockerError};
use super::events::{read_events, Event, EventLine};
use super::expected::Expected;
use super::plan::{plan, Action, Held};
use super::{conformance, image, LABEL_DEPLOYMENT, LABEL_NODE, LABEL_POD, LABEL_RUN};
use crate::signals as interrupt;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Virtual seconds per wall second; `None` replays as fast as the engine allows.
    pub speed: Option<f64>,
}

/// What a replay did.
#[derive(Clone, Debug, Default)]
pub struct ReplaySummary {
    pub run_id: String,
    pub events_file: PathBuf,
    pub socket: PathBuf,
    /// Lines of events.jsonl.
    pub events: usize,
    /// Events that changed the expected containers.
    pub events_applied: usize,
    /// Instants at which the engine was brought in line and checked.
    pub checks_passed: usize,
    pub created: usize,
    /// Dead containers started again (their host came back).
    pub restarted: usize,
    pub killed: usize,
    pub removed: usize,
    pub peak_running: usize,
    pub virtual_seconds: f64,
    pub wall: Duration,
    /// Containers and images of the run removed at the end.
    pub cleaned_containers: usize,
    pub cleaned_images: usize,
    /// What the cleanup left alone, and why.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The run folder or its events.jsonl is missing or malformed (the message says where).
    #[error("{0}")]
    BadInput(String),
    /// The engine is unreachable, refused a request, or this build cannot replay.
    #[error("{0}")]
    Engine(String),
    /// The engine's containers differ from the simulated state.
    #[error("the engine does not match the simulation after events.jsonl line {line} (t={t}s):\n  - {}", problems.join("\n  - "))]
    Mismatch { line: usize, t: f64, problems: Vec<String> },
    /// SIGINT or SIGTERM arrived.
    #[error("interrupted")]
    Interrupted,
}

impl ReplayError {
    fn engine(context: &str, e: DockerError) -> Self {
        ReplayError::Engine(format!("{context}: {e}"))
    }
}

/// Replays the run in `dir` (or the events file `dir` names) against the engine that
/// `DOCKER_HOST` names. `log` receives one line per step. Whatever happens, everything
/// labelled with this run's id is removed before returning; a failed cleanup turns
/// success into [`ReplayError::Engine`] and is appended to any other error.
pub fn replay(dir: &Path, options: &ReplayOptions, log: &mut dyn FnMut(&str)) -> Result<ReplaySummary, ReplayError> {
    let started = Instant::now();
    let events_file = events_file(dir)?;
    let events = read_events(&events_file).map_err(|d| ReplayError::BadInput(d.render("error")))?;
    let Some(pause) = image::PAUSE_BINARY else {
        return Err(ReplayError::Engine(
            "this sim was built without a C compiler, so it has no pause image to run in containers\n  hint: \
             install a C compiler with a static libc (e.g. gcc and libc6-dev) and rebuild"
                .into(),
        ));
    };
    let mut docker = Docker::from_env().map_err(|e| ReplayError::engine("cannot pick the Docker engine", e))?;
    docker.ping().map_err(|e| {
        ReplayError::Engine(format!("{e}\n  hint: start Docker, or point DOCKER_HOST at its socket (unix:///path)"))
    })?;
    interrupt::catch_signals();
    let mut session = Session::new(docker, new_run_id());
    session.summary.events_file = events_file;
    session.summary.events = events.len();
    log(&format!(
        "replaying {} ({} events) on the Docker engine at {}, run id {}",
        session.summary.events_file.display(),
        events.len(),
        session.docker.socket().display(),
        session.run_id
    ));
    let outcome = session.run(&events, pause, options, log);
    let cleanup = session.cleanup();
    let mut summary = std::mem::take(&mut session.summary);
    summary.wall = started.elapsed();
    match (outcome, cleanup) {
        (Ok(()), Ok(())) => Ok(summary),
        (Ok(()), Err(e)) => Err(ReplayError::Engine(e)),
        (Err(e), Ok(())) => Err(e),
        (Err(ReplayError::Mismatch { line, t, mut problems }), Err(c)) => {
            problems.push(format!("and then: {c}"));
            Err(ReplayError::Mismatch { line, t, problems })
        }
        (Err(e), Err(c)) => Err(ReplayError::Engine(format!("{e}\nand then: {c}"))),
    }
}

/// `DIR/events.jsonl`, or `DIR` itself when it is a file.
fn events_file(dir: &Path) -> Result<PathBuf, ReplayError> {
    let hint = "pass the folder `sim run FILE --out DIR` wrote, e.g. reports/failover/";
    if dir.is_file() {
        return Ok(dir.to_path_buf());
    }
    if !dir.is_dir() {
        return Err(ReplayError::BadInput(format!("error: {}: no such folder\n  hint: {hint}", dir.display())));
    }
    let file = dir.join("events.jsonl");
    if !file.is_file() {
        return Err(ReplayError::BadInput(format!(
            "error: {}: no events.jsonl in this folder\n  hint: {hint}",
            dir.display()
        )));
    }
    Ok(file)
}

/// A run id unique on this engine and unguessable: 64 random bits from the kernel (with
/// process id and wall-clock nanoseconds mixed in, should /dev/urandom be unreadable).
/// Containers carry it as a label; the image does not, so nothing started from the
/// image by someone else inherits it.
fn new_run_id() -> String {
    use std::io::Read;
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut random = [0u8; 8];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut random));
    format!("{}-{:016x}", std::process::id(), u64::from_le_bytes(random) ^ nanos as u64)
}

/// One replay's engine resources; dropping it removes them if `cleanup` did not run.
struct Session {
    docker: Docker,
    /// Extra connections for calls made in parallel.
    more_clients: Vec<Docker>,
    run_id: String,
    /// The tag of the pause image this replay built (removed by tag, never by ID).
    image: Option<String>,
    held: BTreeMap<String, Held>,
    /// Every container this replay created, by ID: the only ones it ever removes.
    created: BTreeSet<String>,
    summary: ReplaySummary,
    cleaned: bool,
}

impl Session {
    fn new(docker: Docker, run_id: String) -> Self {
        let summary =
            ReplaySummary { run_id: run_id.clone(), socket: docker.socket().to_path_buf(), ..Default::default() };
        Session {
            docker,
            more_clients: Vec::new(),
            run_id,
            image: None,
            held: BTreeMap::new(),
            created: BTreeSet::new(),
            summary,
            cleaned: false,
        }
    }

    fn run(
        &mut self,
        events: &[EventLine],
        pause: &[u8],
        options: &ReplayOptions,
        log: &mut dyn FnMut(&str),
    ) -> Result<(), ReplayError> {
        let build_started = Instant::now();
        let context = image::build_context(pause).map_err(|e| ReplayError::Engine(e.to_string()))?;
        let tag = format!("clustersim-pause:{}", self.run_id);
        self.docker
            .build_image(&context, &tag, &BTreeMap::new())
            .map_err(|e| ReplayError::engine("cannot build the pause image", e))?;
        self.image = Some(tag.clone());
        log(&format!("built image {tag} in {:.1} s", build_started.elapsed().as_secs_f64()));

        let wall_start = Instant::now();
        let mut expected = Expected::default();
        for batch in events.chunk_by(|a, b| a.t_micros == b.t_micros) {
            if interrupt::interrupted() {
                return Err(ReplayError::Interrupted);
            }
            let t_micros = batch[0].t_micros;
            self.summary.virtual_seconds = t_micros as f64 / 1e6;
            let mut changed = false;
            for event in batch {
                if expected.apply(event) {
                    changed = true;
                    self.summary.events_applied += 1;
                }
            }
            if !changed {
                continue;
            }
            if let Some(speed) = options.speed {
                wait_until(wall_start, t_micros as f64 / 1e6 / speed)?;
            }
            let actions = plan(&expected, &self.held);
            let done = self.execute(&actions)?;
            let last = batch.last().map_or(0, |e| e.line);
            let mut listed = self
                .docker
                .list_containers(LABEL_RUN, &self.run_id)
                .map_err(|e| ReplayError::engine("cannot list this run's containers", e))?;
            listed.retain(|c| self.created.contains(&c.id));
            let problems = conformance::differences(&expected, &listed);
            if !problems.is_empty() {
                return Err(ReplayError::Mismatch { line: last, t: t_micros as f64 / 1e6, problems });
            }
            self.summary.checks_passed += 1;
            let running = expected.running().count();
            self.summary.peak_running = self.summary.peak_running.max(running);
            log(&format!(
                "t={:>10.3}s line {:>6} {}: {done}; {running} running, check passed",
                t_micros as f64 / 1e6,
                last,
                describe(batch)
            ));
        }
        Ok(())
    }

    /// Applies `actions`, removals first, each phase several pods at a time; returns what
    /// was done, for the log.
    fn execute(&mut self, actions: &[Action]) -> Result<String, ReplayError> {
        let mut counts = [0usize; 4];
        let (removals, others): (Vec<&Action>, Vec<&Action>) =
            actions.iter().partition(|a| matches!(a, Action::Remove { .. }));
        for phase in [removals, others] {
            let calls: Vec<Call> = phase.into_iter().map(|a| self.resolve(a)).collect::<Result<_, _>>()?;
            let results = self.perform_all(&calls);
            let mut first_error = None;
            for (call, result) in calls.into_iter().zip(results) {
                let new_id = match result {
                    Ok(id) => id,
                    Err(e) => {
                        first_error.get_or_insert(e);
                        continue;
                    }
                };
                match call {
                    Call::Create { pod, node, .. } => {
                        let id = new_id.unwrap_or_default();
                        self.created.insert(id.clone());
                        self.held.insert(pod, Held { id, node, running: true });
                        counts[0] += 1;
                    }
                    Call::Start { ref pod, .. } | Call::Kill { ref pod, .. } => {
                        let start = matches!(call, Call::Start { .. });
                        if let Some(h) = self.held.get_mut(pod) {
                            h.running = start;
                        }
                        counts[if start { 1 } else { 2 }] += 1;
                    }
                    Call::Remove { pod, .. } => {
                        self.held.remove(&pod);
                        counts[3] += 1;
                    }
                }
            }
            if let Some(e) = first_error {
                return Err(e);
            }
        }
        self.summary.created += counts[0];
        self.summary.restarted += counts[1];
        self.summary.killed += counts[2];
        self.summary.removed += counts[3];
        let parts: Vec<String> = ["created", "restarted", "killed", "removed"]
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(verb, n)| format!("{verb} {n}"))
            .collect();
        Ok(if parts.is_empty() { "no container changes".into() } else { parts.join(", ") })
    }

    /// The engine calls of one action, with the container it acts on looked up.
    fn resolve(&self, action: &Action) -> Result<Call, ReplayError> {
        let held = |pod: &String| {
            let h = self.held.get(pod).ok_or_else(|| {
                ReplayError::Engine(format!("internal error: no container held for pod {pod}; please report this bug"))
            })?;
            Ok((pod.clone(), h.id.clone(), h.node.clone()))
        };
        Ok(match action {
            Action::Create { pod, node, deployment } => Call::Create {
                pod: pod.clone(),
                node: node.clone(),
                name: container_name(&self.run_id, pod),
                labels: BTreeMap::from([
                    (LABEL_RUN.to_string(), self.run_id.clone()),
                    (LABEL_POD.to_string(), pod.clone()),
                    (LABEL_NODE.to_string(), node.clone()),
                    (LABEL_DEPLOYMENT.to_string(), deployment.clone().unwrap_or_default()),
                ]),
            },
            Action::Start { pod } => held(pod).map(|(pod, id, node)| Call::Start { pod, id, node })?,
            Action::Kill { pod } => held(pod).map(|(pod, id, node)| Call::Kill { pod, id, node })?,
            Action::Remove { pod } => held(pod).map(|(pod, id, node)| Call::Remove { pod, id, node })?,
        })
    }

    /// Performs independent calls on up to [`PARALLEL_CALLS`] connections at once; the
    /// results are in the order of `calls`.
    fn perform_all(&mut self, calls: &[Call]) -> Vec<Result<Option<String>, ReplayError>> {
        let image = self.image.clone().unwrap_or_default();
        let lanes = calls.len().min(PARALLEL_CALLS);
        if lanes <= 1 {
            return calls.iter().map(|c| perform(&mut self.docker, &image, c)).collect();
        }
        while self.more_clients.len() < lanes - 1 {
            self.more_clients.push(self.docker.another_connection());
        }
        let clients = std::iter::once(&mut self.docker).chain(self.more_clients.iter_mut()).take(lanes);
        let mut results: Vec<Option<Result<Option<String>, ReplayError>>> = calls.iter().map(|_| None).collect();
        std::thread::scope(|scope| {
            let image = &image;
            let workers: Vec<_> = clients
                .enumerate()
                .map(|(lane, docker)| {
                    scope.spawn(move || {
                        let mine = calls.iter().enumerate().filter(|(i, _)| i % lanes == lane);
                        mine.map(|(i, call)| (i, perform(docker, image, call))).collect::<Vec<_>>()
                    })
                })
                .collect();
            for worker in workers {
                for (i, result) in worker.join().unwrap_or_default() {
                    results[i] = Some(result);
                }
            }
        });
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(ReplayError::Engine("internal error: an engine worker stopped".into()))))
            .collect()
    }

    /// Removes the containers this replay created (by ID) and its image tag, then checks
    /// none of its containers is left. Nothing else is touched: a container someone
    /// started from the image keeps running, and then the image stays (with a warning).
    fn cleanup(&mut self) -> Result<(), String> {
        self.cleaned = true;
        let (run, id) = (LABEL_RUN, self.run_id.clone());
        let fail = |what: &str, e: DockerError| {
            format!("cleanup: cannot {what}: {e}; remove by hand the containers labelled {run}={id}")
        };
        let ours: Vec<String> = self.created.iter().cloned().collect();
        for c in &ours {
            self.docker.remove_container(c).map_err(|e| fail("remove a container", e))?;
        }
        self.summary.cleaned_containers = ours.len();
        self.created.clear();
        self.held.clear();
        // By tag without force: only our name goes; the image itself (and its untagged
        // parents) only when no other tag or container uses it.
        if let Some(tag) = self.image.take() {
            match self.docker.untag_image(&tag) {
                Ok(()) => self.summary.cleaned_images += 1,
                Err(DockerError::Status { status: 409, message, .. }) => self.summary.warnings.push(format!(
                    "the image {tag} is used by a container this replay did not create, so it was left in place \
                     ({message}); remove it with `docker rmi {tag}` once that container is gone"
                )),
                Err(e) => return Err(fail("remove the pause image's tag", e)),
            }
        }
        let left = self.docker.list_containers(run, &id).map_err(|e| fail("list containers", e))?;
        let left_ours = left.iter().filter(|c| ours.contains(&c.id)).count();
        if left_ours > 0 {
            return Err(format!("cleanup: {left_ours} containers of this replay ({run}={id}) are still there"));
        }
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.cleaned {
            let _ = self.cleanup();
        }
    }
}

/// How many engine calls run at once (each on its own connection): a 2-core machine
/// starts containers about 1.7 times as fast with 4 as with 1.
const PARALLEL_CALLS: usize = 4;

/// An action resolved to what its engine calls need.
enum Call {
    Create { pod: String, node: String, name: String, labels: BTreeMap<String, String> },
    Start { pod: String, id: String, node: String },
    Kill { pod: String, id: String, node: String },
    Remove { pod: String, id: String, node: String },
}

/// Performs one call; a created container's ID is returned.
fn perform(docker: &mut Docker, image: &str, call: &Call) -> Result<Option<String>, ReplayError> {
    match call {
        Call::Create { pod, node, name, labels } => {
            let what = || format!("cannot run pod {pod} on {node}");
            let id = docker.create_container(name, image, labels).map_err(|e| ReplayError::engine(&what(), e))?;
            docker.start_container(&id).map_err(|e| ReplayError::engine(&what(), e))?;
            Ok(Some(id))
        }
        Call::Start { pod, id, node } => docker
            .start_container(id)
            .map(|()| None)
            .map_err(|e| ReplayError::engine(&format!("cannot restart pod {pod} on {node}"), e)),
        Call::Kill { pod, id, node } => docker
            .kill_container(id)
            .map(|()| None)
            .map_err(|e| ReplayError::engine(&format!("cannot kill pod {pod} on {node}"), e)),
        Call::Remove { pod, id, node } => docker
            .remove_container(id)
            .map(|()| None)
            .map_err(|e| ReplayError::engine(&format!("cannot remove pod {pod} on {node}"), e)),
    }
}

/// Docker container names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; pod names are DNS names,
/// and a pod outside `default` is `namespace/name` here: its '/' becomes '_', which no pod
/// or namespace name holds, so names stay unique.
fn container_name(run_id: &str, pod: &str) -> String {
    let pod: String =
        pod.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect();
    format!("clustersim-{run_id}-{pod}")
}

/// The container-relevant kinds of a batch, e.g. `node_crashed worker-2, pod_running x3`.
fn describe(batch: &[EventLine]) -> String {
    let mut kinds: BTreeMap<&str, (usize, Option<&str>)> = BTreeMap::new();
    for e in batch {
        let node = match &e.event {
            Event::Other | Event::PodCreated { .. } => continue,
            Event::NodeJoined { node }
            | Event::NodeCrashed { node }
            | Event::NodeRecovered { node }
            | Event::NodePartitioned { node }
            | Event::NodeReconnected { node }
            | Event::NodeRemoved { node } => Some(node.as_str()),
            _ => None,
        };
        let entry = kinds.entry(e.kind.as_str()).or_insert((0, node));
        entry.0 += 1;
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, (n, node))| match (n, node) {
            (1, Some(node)) => format!("{kind} {node}"),
            (1, None) => kind.to_string(),
            (n, _) => format!("{kind} x{n}"),
        })
        .collect();
    parts.join(", ")
}

/// Sleeps until `seconds` after `start` (at most a century: a speed that slow waits for
/// an interrupt), waking every 100 ms to notice an interrupt.
fn wait_until(start: Instant, seconds: f64) -> Result<(), ReplayError> {
    let century = Duration::from_secs(100 * 365 * 24 * 3600);
    let deadline = start.checked_add(Duration::try_from_secs_f64(seconds).unwrap_or(century).min(century));
    loop {
        if interrupt::interrupted() {
            return Err(ReplayError::Interrupted);
        }
        let now = Instant::now();
        let remaining = match deadline {
            Some(d) if now >= d => return Ok(()),
            Some(d) => d - now,
            None => century,
        };
        std::thread::sleep(remaining.min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_or_events_file_is_bad_input() {
        let err = replay(Path::new("/nonexistent/run"), &ReplayOptions::default(), &mut |_| {}).unwrap_err();
        assert!(matches!(&err, ReplayError::BadInput(m) if m.contains("/nonexistent/run: no such folder")), "{err}");
        let empty = std::env::temp_dir().join(format!("clustersim-replay-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let err = replay(&empty, &ReplayOptions::default(), &mut |_| {}).unwrap_err();
        assert!(matches!(&err, ReplayError::BadInput(m) if m.contains("no events.jsonl in this folder")), "{err}");
        std::fs::write(empty.join("events.jsonl"), "{\"t\":0,\"kind\":\"pod_running\",\"pod\":\"a\"}\n").unwrap();
        let err = replay(&empty, &ReplayOptions::default(), &mut |_| {}).unwrap_err();
        assert!(matches!(&err, ReplayError::BadInput(m) if m.contains("events.jsonl:1:1: error:")), "{err}");
        std::fs::remove_dir_all(&empty).unwrap();
    }

    #[test]
    fn waiting_ends_at_the_deadline() {
        let start = Instant::now();
        assert!(wait_until(start, 0.0).is_ok());
        assert!(wait_until(start, 0.05).is_ok());
        assert!(start.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn container_names_are_valid_docker_names() {
        assert_eq!(container_name("7-ab", "web-5d8f-x2k9z"), "clustersim-7-ab-web-5d8f-x2k9z");
        assert_eq!(container_name("7-ab", "a/b:c"), "clustersim-7-ab-a_b_c");
        // A pod outside default is `namespace/name`; no pod name holds '_', so these stay apart.
        assert_ne!(container_name("7-ab", "team-a/web-x"), container_name("7-ab", "web-x"));
        assert_eq!(container_name("7-ab", "team-a/web-x"), "clustersim-7-ab-team-a_web-x");
    }

    #[test]
    fn batches_are_described_by_kind_and_node() {
        let events = crate::live::events::parse_events(
            Path::new("events.jsonl"),
            r#"{"t":1,"kind":"node_crashed","node":"w-2"}
{"t":1,"kind":"pod_running","pod":"a","node":"w-1"}
{"t":1,"kind":"pod_running","pod":"b","node":"w-1"}
{"t":1,"kind":"traffic","service":"web"}
"#,
        )
        .unwrap();
        assert_eq!(describe(&events), "node_crashed w-2, pod_running x2");
    }
}
