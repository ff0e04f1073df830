//! `batch/v1` Job and CronJob manifests, the scenario's `running:` and `start:` sections,
//! and their cross-checks. Defaults and refusals are the API server's.
// Upstream: pkg/apis/batch/v1/defaults.go (SetDefaults_Job, SetDefaults_CronJob) and
// pkg/apis/batch/validation/validation.go (validateJobSpec, ValidateCronJobSpec).

use super::decode::Reader;
use super::diag::{Diagnostic, Span, Warnings};
use super::load::decode_distribution;
use super::manifest::{
    label_selector, meta_annotations, missing, pod_template, warn_misspelled, warn_unmodelled, METADATA_FIELDS,
};
use super::schema::{CronJobObject, Expectation, JobObject, Object, RunningProfile, Scenario};
use super::suggest::closest;
use super::yaml::{Node, Value};
use crate::control::cron::{self, Schedule};
use crate::engine::Duration;
use crate::model::{CompletionMode, ConcurrencyPolicy, JobSpec, Labels, RestartPolicy};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

type R<T> = Result<T, Diagnostic>;

/// Upper bound on completions and parallelism: upstream's limit for Indexed Jobs
/// (maxParallelismForIndexedJob, completionsSoftLimit), applied to every Job here.
pub const MAX_JOB_PODS: u64 = 100_000;
/// Ten years, for activeDeadlineSeconds, ttlSecondsAfterFinished, startingDeadlineSeconds.
const MAX_SECONDS: u64 = 10 * 365 * 86_400;
/// `start:` when absent.
pub const DEFAULT_START: &str = "2026-01-01T00:00:00Z";

const JOB_SPEC_FIELDS: &[&str] = &[
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "completionMode",
    "ttlSecondsAfterFinished",
    "suspend",
    "selector",
    "manualSelector",
    "template",
];
/// JobSpec fields that change what happens but are not modelled.
const JOB_SPEC_UNMODELLED: &[&str] = &[
    "podFailurePolicy",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
    "successPolicy",
    "podReplacementPolicy",
    "managedBy",
];

/// A Job manifest.
pub fn decode_job(r: Reader, doc: &Node, name: &str, spec: Option<&Node>, warnings: &mut Warnings) -> R<JobObject> {
    let spec = spec.ok_or_else(|| missing(r, doc, "Job", name, "spec"))?;
    let job_spec = decode_job_spec(r, doc, "Job", name, spec, false, warnings)?;
    // The last index's hostname `<name>-<completions-1>` must be a DNS label.
    // Upstream: pkg/apis/batch/validation/validation.go (ValidateJob, IsDNS1123Label).
    if let (CompletionMode::Indexed, Some(c)) = (job_spec.completion_mode, job_spec.completions) {
        let host = format!("{name}-{}", c.saturating_sub(1));
        if c > 0 && host.len() > 63 {
            let span = doc.get("metadata").and_then(|m| m.get("name")).map_or(doc.span, |n| n.span);
            return Err(r
                .error(
                    span,
                    format!(
                        "Job {name:?} will not be able to create pods: hostname {host:?} is longer than 63 characters"
                    ),
                )
                .with_hint("shorten the Job's name: Indexed pods are named <job>-<index>"));
        }
    }
    Ok(JobObject { name: name.to_string(), spec: job_spec })
}

/// A JobSpec (a Job's, or a CronJob's jobTemplate's), defaults filled in.
fn decode_job_spec(
    r: Reader,
    doc: &Node,
    kind: &str,
    name: &str,
    node: &Node,
    in_template: bool,
    warnings: &mut Warnings,
) -> R<JobSpec> {
    let object = format!("{kind} {name:?}");
    let mut f = r.fields(node, "spec")?;
    let count = |f: &mut super::decode::Fields, key: &str| -> R<Option<u32>> {
        f.opt(key).map(|n| r.count(n, key, MAX_JOB_PODS).map(|v| v as u32)).transpose()
    };
    let parallelism = count(&mut f, "parallelism")?;
    let completions_node = f.opt("completions");
    let mut completions =
        completions_node.map(|n| r.count(n, "completions", MAX_JOB_PODS).map(|v| v as u32)).transpose()?;
    let seconds = |f: &mut super::decode::Fields, key: &str| -> R<Option<Duration>> {
        f.opt(key).map(|n| r.seconds(n, key, MAX_SECONDS)).transpose()
    };
    let active_deadline = seconds(&mut f, "activeDeadlineSeconds")?;
    let ttl_after_finished = seconds(&mut f, "ttlSecondsAfterFinished")?;
    let backoff_limit =
        f.opt("backoffLimit").map(|n| r.count(n, "backoffLimit", i32::MAX as u64)).transpose()?.map(|v| v as u32);
    let suspend = f.opt("suspend").map(|n| r.boolean(n, "suspend")).transpose()?.unwrap_or(false);
    let completion_mode = match f.opt("completionMode") {
        None => CompletionMode::NonIndexed,
        Some(n) => match r.string(n, "completionMode")?.as_str() {
            "NonIndexed" => CompletionMode::NonIndexed,
            "Indexed" => CompletionMode::Indexed,
            other => {
                return Err(r
                    .error(n.span, format!("unsupported completionMode {other:?}"))
                    .with_hint("use NonIndexed (the default) or Indexed"))
            }
        },
    };
    if completion_mode == CompletionMode::Indexed && completions.is_none() {
        let span = f.opt("completionMode").map_or(node.span, |n| n.span);
        return Err(r
            .error(span, format!("{object} has completionMode Indexed but no completions"))
            .with_hint("an Indexed Job needs `completions:` (one pod succeeds per index 0..completions-1)"));
    }
    let selector_node = f.opt("selector");
    if in_template {
        if let Some(n) = selector_node {
            return Err(r
                .error(n.span, format!("the jobTemplate of {object} sets a selector"))
                .with_hint("`selector` will be auto-generated: remove it"));
        }
        if let Some(n) = f.opt("manualSelector").filter(|n| n.value == Value::Bool(true)) {
            return Err(r
                .error(n.span, format!("the jobTemplate of {object} sets manualSelector: true"))
                .with_hint("a CronJob's Jobs always get generated selectors: remove manualSelector"));
        }
    }
    let selector = selector_node.map(|n| label_selector(r, n)).transpose()?;
    f.ignore(&["manualSelector"]);
    let template_node = f.opt("template").ok_or_else(|| missing(r, doc, kind, name, "spec.template"))?;
    let mut tf = r.fields(template_node, "spec.template")?;
    let (labels, annotations) = match tf.opt("metadata") {
        Some(m) => {
            let mut mf = r.fields(m, "spec.template.metadata")?;
            let labels = mf.opt("labels").map(|n| r.string_map(n, "template labels")).transpose()?.unwrap_or_default();
            mf.ignore(METADATA_FIELDS);
            (labels, meta_annotations(r, m)?)
        }
        None => (Labels::new(), Labels::new()),
    };
    if let Some(sel) = &selector {
        if !sel.matches(&labels) {
            return Err(r
                .error(
                    selector_node.map_or(node.span, |n| n.span),
                    format!("the selector of {object} does not match its template labels"),
                )
                .with_hint("leave `selector` out: the API server generates it from the Job's name"));
        }
    }
    let pod_spec = tf.opt("spec").ok_or_else(|| missing(r, doc, kind, name, "spec.template.spec"))?;
    // Upstream: validation.go (validateJobSpec: restartPolicy Never or OnFailure, required).
    let restart_policy = match pod_spec.get("restartPolicy") {
        None => {
            return Err(r
                .error(pod_spec.span, format!("{object} has no spec.template.spec.restartPolicy"))
                .with_hint("a Job's pods need `restartPolicy: Never` or `restartPolicy: OnFailure`"))
        }
        Some(n) => match r.string(n, "restartPolicy")?.as_str() {
            "Never" => RestartPolicy::Never,
            "OnFailure" => RestartPolicy::OnFailure,
            other => {
                return Err(r
                    .error(n.span, format!("restartPolicy {other:?} is not supported for {object}"))
                    .with_hint("a Job's pods need `restartPolicy: Never` or `restartPolicy: OnFailure`"))
            }
        },
    };
    let template = pod_template(r, labels, annotations, pod_spec, &object, warnings)?;
    for field in JOB_SPEC_UNMODELLED {
        if let Some(n) = f.opt(field) {
            warn_unmodelled(r, n.span, field, &object, warnings);
        }
    }
    let known: Vec<&str> = JOB_SPEC_FIELDS.iter().chain(JOB_SPEC_UNMODELLED).copied().collect();
    warn_misspelled(r, &f, &known, "the Job spec", warnings);
    // Upstream: pkg/apis/batch/v1/defaults.go (SetDefaults_Job): both unset -> 1 and 1;
    // completions unset with parallelism set -> a work queue.
    if completions.is_none() && parallelism.is_none() {
        completions = Some(1);
    }
    Ok(JobSpec {
        completions,
        parallelism: parallelism.unwrap_or(1),
        backoff_limit: backoff_limit.unwrap_or(6),
        active_deadline,
        completion_mode,
        ttl_after_finished,
        suspend,
        restart_policy,
        template: Arc::new(template),
    })
}

/// A CronJob manifest.
pub fn decode_cron_job(
    r: Reader,
    doc: &Node,
    name: &str,
    spec: Option<&Node>,
    warnings: &mut Warnings,
) -> R<CronJobObject> {
    // Jobs are named `<cronjob>-<11 digits>`, and a name has at most 63 characters.
    // Upstream: pkg/apis/batch/validation/validation.go (ValidateCronJob: 52 characters).
    if name.len() > 52 {
        let span = doc.get("metadata").and_then(|m| m.get("name")).map_or(doc.span, |n| n.span);
        return Err(r
            .error(span, format!("CronJob name {name:?} has {} characters, more than 52", name.len()))
            .with_hint("its Jobs are named <cronjob>-<minutes since 1970>: shorten the name"));
    }
    let spec = spec.ok_or_else(|| missing(r, doc, "CronJob", name, "spec"))?;
    let mut f = r.fields(spec, "spec")?;
    let schedule_node = f.req("schedule")?;
    let schedule = r.string(schedule_node, "schedule")?;
    let time_zone_node = f.opt("timeZone");
    let time_zone = time_zone_node.map(|n| r.string(n, "timeZone")).transpose()?;
    if let (Some(tz), Some(n)) = (&time_zone, time_zone_node) {
        if cron::time_zone(tz).is_none() {
            let names: Vec<&str> = cron::time_zone_names().collect();
            let hint = match closest(tz, &names) {
                Some(best) => format!("did you mean {best:?}?"),
                None => "use an IANA time zone name such as \"Europe/Paris\", \"America/New_York\" or \"UTC\"".into(),
            };
            return Err(r.error(n.span, format!("unknown time zone {tz:?}")).with_hint(hint));
        }
    }
    let parsed = Schedule::parse(&schedule, time_zone.as_deref()).map_err(|e| {
        r.error(schedule_node.span, format!("invalid schedule {schedule:?}: {e}")).with_hint(
            "five fields: minute hour day-of-month month day-of-week (e.g. \"*/5 * * * *\", \"0 3 * * mon-fri\"), \
             or @yearly, @monthly, @weekly, @daily, @hourly; set the zone with `timeZone:`",
        )
    })?;
    if parsed.next(cron::parse_rfc3339(DEFAULT_START).unwrap_or(0)).is_none() {
        warnings.push(
            r.error(schedule_node.span, format!("schedule {schedule:?} never fires"))
                .with_hint("no date matches it (e.g. February 31st): the CronJob creates no Job"),
        );
    }
    let starting_deadline_seconds = f
        .opt("startingDeadlineSeconds")
        .map(|n| r.count(n, "startingDeadlineSeconds", MAX_SECONDS))
        .transpose()?
        .map(|v| v as i64);
    let concurrency = match f.opt("concurrencyPolicy") {
        None => ConcurrencyPolicy::Allow,
        Some(n) => match r.string(n, "concurrencyPolicy")?.as_str() {
            "Allow" => ConcurrencyPolicy::Allow,
            "Forbid" => ConcurrencyPolicy::Forbid,
            "Replace" => ConcurrencyPolicy::Replace,
            other => {
                return Err(r
                    .error(n.span, format!("unsupported concurrencyPolicy {other:?}"))
                    .with_hint("use Allow (the default), Forbid or Replace"))
            }
        },
    };
    let limit = |f: &mut super::decode::Fields, key: &str, default: u32| -> R<u32> {
        Ok(f.opt(key).map(|n| r.count(n, key, i32::MAX as u64)).transpose()?.map_or(default, |v| v as u32))
    };
    let successful_history = limit(&mut f, "successfulJobsHistoryLimit", 3)?;
    let failed_history = limit(&mut f, "failedJobsHistoryLimit", 1)?;
    let suspend = f.opt("suspend").map(|n| r.boolean(n, "suspend")).transpose()?.unwrap_or(false);
    let template = f.opt("jobTemplate").ok_or_else(|| missing(r, doc, "CronJob", name, "spec.jobTemplate"))?;
    let mut tf = r.fields(template, "spec.jobTemplate")?;
    let job_labels = match tf.opt("metadata") {
        Some(m) => {
            let mut mf = r.fields(m, "jobTemplate.metadata")?;
            let labels = mf.opt("labels").map(|n| r.string_map(n, "jobTemplate labels")).transpose()?;
            mf.ignore(METADATA_FIELDS);
            labels.unwrap_or_default()
        }
        None => Labels::new(),
    };
    let job_spec_node = tf.opt("spec").ok_or_else(|| missing(r, doc, "CronJob", name, "spec.jobTemplate.spec"))?;
    let job_spec = decode_job_spec(r, doc, "CronJob", name, job_spec_node, true, warnings)?;
    warn_misspelled(r, &tf, &["metadata", "spec"], "the jobTemplate", warnings);
    warn_misspelled(
        r,
        &f,
        &[
            "schedule",
            "timeZone",
            "startingDeadlineSeconds",
            "concurrencyPolicy",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
            "suspend",
            "jobTemplate",
        ],
        "the CronJob spec",
        warnings,
    );
    Ok(CronJobObject {
        name: name.to_string(),
        schedule,
        time_zone,
        concurrency,
        starting_deadline_seconds,
        successful_history,
        failed_history,
        suspend,
        job_labels,
        job_spec,
    })
}

/// `running: {<job or cronjob>: {duration: <distribution>, failureRate: 0.0}}`.
pub fn decode_running(r: Reader, node: &Node) -> R<(BTreeMap<String, RunningProfile>, BTreeMap<String, Span>)> {
    let Value::Map(entries) = &node.value else {
        return Err(r
            .error(node.span, "running must be a mapping from Job or CronJob name to how its pods run")
            .with_hint("running: {pi: {duration: {uniform: {min: 20s, max: 40s}}, failureRate: 0.1}}"));
    };
    let (mut out, mut spans) = (BTreeMap::new(), BTreeMap::new());
    for (key, value) in entries {
        let mut f = r.fields(value, &format!("running.{}", key.name))?;
        let duration = decode_distribution(r, f.req("duration")?, "duration")?;
        let failure_rate = match f.opt("failureRate") {
            None => 0.0,
            Some(n) => {
                let rate = r.float(n, "failureRate")?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err(r
                        .error(n.span, format!("failureRate {} is not between 0 and 1", n.describe()))
                        .with_hint("the probability that a pod fails, e.g. 0.1"));
                }
                rate
            }
        };
        f.deny_unknown(&["duration", "failureRate"])?;
        out.insert(key.name.clone(), RunningProfile { duration, failure_rate });
        spans.insert(key.name.clone(), key.span);
    }
    Ok((out, spans))
}

/// `start:` (RFC 3339) as Unix ns.
pub fn decode_start(r: Reader, node: Option<&Node>) -> R<i64> {
    let Some(node) = node else { return Ok(cron::parse_rfc3339(DEFAULT_START).expect("valid default")) };
    let text = r.string(node, "start")?;
    let hint = "an RFC 3339 date-time such as 2026-01-01T00:00:00Z or 2026-03-29T01:30:00+01:00";
    let unix = cron::parse_rfc3339(&text)
        .map_err(|e| r.error(node.span, format!("start {text:?} is not an RFC 3339 date-time: {e}")).with_hint(hint))?;
    // 1970 .. 2200: Unix seconds stay positive and the run's end fits in 64-bit nanoseconds.
    if !(0..=7_258_118_400_000_000_000).contains(&unix) {
        return Err(r
            .error(node.span, format!("start {text:?} is out of range"))
            .with_hint("use a date between 1970-01-01 and 2200-01-01"));
    }
    Ok(unix)
}

/// Every Job and CronJob name of the manifests and the timeline's `apply`s.
fn job_names(s: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |o: &Object| match o {
        Object::Job(j) => out.push(j.name.clone()),
        Object::CronJob(c) => out.push(c.name.clone()),
        _ => {}
    };
    s.objects.iter().for_each(&mut add);
    for a in &s.timeline {
        if let super::schema::Action::Apply { objects, .. } = &a.action {
            objects.iter().for_each(&mut add);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `running:` and `jobComplete` name Jobs or CronJobs; a Job without a `running:` entry
/// runs its pods until the end (a warning).
pub fn check_jobs(
    r: Reader,
    s: &Scenario,
    running_spans: &BTreeMap<String, Span>,
    object_spans: &[(PathBuf, Span)],
    warnings: &mut Warnings,
) -> R<()> {
    let names = job_names(s);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = |name: &str| match closest(name, &refs) {
        Some(best) => format!("did you mean {best:?}?"),
        None if refs.is_empty() => "the manifests define no Job or CronJob".to_string(),
        None => format!("Jobs and CronJobs: {}", refs.iter().take(12).copied().collect::<Vec<_>>().join(", ")),
    };
    for (name, span) in running_spans {
        if !names.contains(name) {
            return Err(r
                .error(*span, format!("running names {name:?}, which is no Job or CronJob"))
                .with_hint(hint(name)));
        }
    }
    for (e, span) in &s.expect {
        if let Expectation::JobComplete { job, .. } = e {
            if !names.contains(job) {
                return Err(r.error(*span, format!("jobComplete names unknown Job {job:?}")).with_hint(hint(job)));
            }
        }
    }
    for (o, (file, span)) in s.objects.iter().zip(object_spans) {
        let (kind, name) = match o {
            Object::Job(j) => ("Job", &j.name),
            Object::CronJob(c) => ("CronJob", &c.name),
            _ => continue,
        };
        if !s.running.contains_key(name) {
            warnings.push(
                Diagnostic::new(
                    file,
                    *span,
                    format!("{kind} {name:?} has no `running:` entry: its pods run until the end"),
                )
                .with_hint(format!("say how long they run: running: {{{name}: {{duration: 30s}}}}")),
            );
        }
    }
    Ok(())
}
