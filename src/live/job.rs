//! `sim sweep ... --emit-job NAME`: a Kubernetes Indexed Job that runs a sweep's shards,
//! one pod per shard, each writing its shard folder into a shared volume, and the commands
//! to collect the folders and merge them.
//!
//! The Job controller gives each pod its index in `JOB_COMPLETION_INDEX` (and expands
//! `$(JOB_COMPLETION_INDEX)` in `args`, as it does any variable of the container's
//! environment). Upstream: pkg/controller/job/indexed_job_utils.go (addCompletionIndexEnvVariables).

use std::fmt::Write;

/// Exit codes on which retrying a shard cannot help: a simulator bug (exit 4) happens again
/// with the same seeds. The Job fails that index at once instead of retrying it. Exit 2 is
/// retried: the scenario and arguments were checked when the image was built and the Job
/// emitted, so in a pod it mostly means the volume could not be written.
pub const DETERMINISTIC_EXIT_CODES: [u8; 1] = [4];

/// What the emitted Job runs.
#[derive(Clone, Debug)]
pub struct SweepJob<'a> {
    /// The Job's name (a DNS-1123 label).
    pub name: &'a str,
    /// The image `sim image` built.
    pub image: &'a str,
    /// The scenario's name (for the merged report's default folder).
    pub scenario: &'a str,
    /// The scenario file as given here (for the comments).
    pub file_here: &'a str,
    /// The scenario file inside the image.
    pub file_in_image: &'a str,
    pub sets: &'a [String],
    pub seeds: (u64, u64),
    pub shards: u64,
    /// `--jobs` of each pod, and the CPUs it requests.
    pub jobs_per_pod: usize,
}

/// A Job name must be a DNS-1123 label: it names the pods (`<name>-<index>-<suffix>`) and is
/// the value of their `job-name` label. Upstream: pkg/apis/batch/validation/validation.go.
pub fn check_job_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--emit-job {name:?} is not a valid Job name\n  hint: lower-case letters, digits and '-', at most 63, \
             starting and ending with a letter or digit, e.g. --emit-job failover-sweep"
        ))
    }
}

/// `text` as a DNS-1123 label (and a Docker repository name component): lower case, runs
/// of anything but letters and digits as one `-`, at most 40 characters; `scenario` if
/// nothing is left.
pub fn dns_label(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name: String = name.chars().take(40).collect();
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "scenario".into()
    } else {
        name.to_string()
    }
}

/// Room for the shard folders: about 64 KiB per seed (a `summary.json` is a few KiB), at
/// least 1 GiB.
pub fn storage_request(seeds: u64) -> String {
    let gib = (seeds.saturating_mul(64 * 1024)).div_ceil(1 << 30).max(1);
    format!("{gib}Gi")
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serialises")
}

/// `text` as one word of a POSIX shell command line.
fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The arguments of a shard's `sim` (the entrypoint).
pub fn shard_args(job: &SweepJob) -> Vec<String> {
    let mut args = vec![
        "sweep".to_string(),
        job.file_in_image.to_string(),
        "--seeds".into(),
        format!("{}..{}", job.seeds.0, job.seeds.1),
        "--shards".into(),
        job.shards.to_string(),
        "--jobs".into(),
        job.jobs_per_pod.to_string(),
        "--out".into(),
        "/results/shard-$(JOB_COMPLETION_INDEX)".into(),
    ];
    for set in job.sets {
        args.push("--set".into());
        args.push(set.clone());
    }
    args
}

/// The manifests (a PersistentVolumeClaim for the results and the Indexed Job), led by
/// comments that say how to run, collect and merge.
pub fn sweep_job_yaml(job: &SweepJob) -> String {
    let name = job.name;
    let pvc = format!("{name}-results");
    let collect = format!("{name}-collect");
    let seeds = job.seeds.1 - job.seeds.0 + 1;
    let overrides = format!(
        r#"{{"apiVersion":"v1","spec":{{"containers":[{{"name":"{collect}","image":"busybox:1.36","command":["sleep","3600"],"volumeMounts":[{{"name":"results","mountPath":"/results"}}]}}],"volumes":[{{"name":"results","persistentVolumeClaim":{{"claimName":"{pvc}"}}}}]}}}}"#
    );
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Sweep of {} ({}): seeds {}..{} ({seeds}) in {} shards, one pod each.",
        job.scenario, job.file_here, job.seeds.0, job.seeds.1, job.shards
    );
    let _ = writeln!(
        y,
        "# Made by `sim sweep --emit-job`; Indexed Jobs with backoffLimitPerIndex need Kubernetes 1.29 or later."
    );
    let _ = writeln!(y, "#");
    let sets: String = job.sets.iter().map(|s| format!(" --set {}", shell_word(s))).collect();
    let _ = writeln!(y, "# 0. Image:   sim image {}{sets} --tag {}", shell_word(job.file_here), job.image);
    let _ = writeln!(y, "#    builds it on this machine's Docker engine (a static sim and the scenario's files);");
    let _ = writeln!(
        y,
        "#    push it where the nodes pull from (docker push), or on kind: kind load docker-image {}",
        job.image
    );
    let _ = writeln!(y, "# 1. Run:     kubectl apply -f THIS_FILE");
    let _ = writeln!(y, "#    (the volume is ReadWriteMany so pods on different nodes share it; with only");
    let _ = writeln!(y, "#    ReadWriteOnce storage, keep the pods on one node or lower parallelism to 1)");
    let _ = writeln!(y, "# 2. Wait:    kubectl wait --for=condition=complete job/{name} --timeout=24h");
    let _ = writeln!(y, "# 3. Collect: (kubectl cp needs tar in the pod, so a busybox pod mounts the volume)");
    let _ = writeln!(y, "#    kubectl run {collect} --image=busybox:1.36 --restart=Never --overrides='{overrides}'");
    let _ = writeln!(y, "#    kubectl wait --for=condition=Ready pod/{collect}");
    let _ = writeln!(y, "#    kubectl cp {collect}:/results {name}-shards");
    let _ = writeln!(y, "#    kubectl delete pod {collect}");
    let _ = writeln!(y, "# 4. Merge:   sim merge {name}-shards/shard-* --out reports/{}-sweep", job.scenario);
    let _ = writeln!(y, "#    (the same sweep.md, sweep.json and seeds/ as `sim sweep` on one machine)");
    let _ = writeln!(y, "# 5. Clean:   kubectl delete job/{name} pvc/{pvc}");
    let labels = |indent: usize| {
        let pad = " ".repeat(indent);
        format!("{pad}app.kubernetes.io/name: clustersim\n{pad}clustersim.sweep: {}\n", q(name))
    };
    let _ = write!(
        y,
        "---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {pvc}
  labels:
{labels}spec:
  accessModes: [ReadWriteMany]
  resources:
    requests:
      storage: {storage}
",
        labels = labels(4),
        storage = storage_request(seeds),
    );
    let args: Vec<String> = shard_args(job).iter().map(|a| q(a)).collect();
    let codes: Vec<String> = DETERMINISTIC_EXIT_CODES.iter().map(u8::to_string).collect();
    let _ = write!(
        y,
        "---
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  labels:
{job_labels}spec:
  completionMode: Indexed
  completions: {shards}
  parallelism: {shards}
  backoffLimitPerIndex: 2
  podFailurePolicy:
    rules:
    - action: FailIndex
      onExitCodes:
        containerName: sim
        operator: In
        values: [{codes}]
  template:
    metadata:
      labels:
{pod_labels}    spec:
      restartPolicy: Never
      containers:
      - name: sim
        image: {image}
        imagePullPolicy: IfNotPresent
        args: [{args}]
        resources:
          requests:
            cpu: {cpu}
        volumeMounts:
        - name: results
          mountPath: /results
      volumes:
      - name: results
        persistentVolumeClaim:
          claimName: {pvc}
",
        job_labels = labels(4),
        pod_labels = labels(8),
        shards = job.shards,
        codes = codes.join(", "),
        image = q(job.image),
        args = args.join(", "),
        cpu = q(&job.jobs_per_pod.to_string()),
    );
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job<'a>(sets: &'a [String]) -> SweepJob<'a> {
        SweepJob {
            name: "failover-sweep",
            image: "clustersim-failover:0123456789ab",
            scenario: "failover",
            file_here: "scenarios/failover.yaml",
            file_in_image: "/scenario/failover.yaml",
            sets,
            seeds: (1, 10_000),
            shards: 10,
            jobs_per_pod: 2,
        }
    }

    #[test]
    fn job_names_are_dns_labels() {
        assert!(check_job_name("failover-sweep").is_ok());
        assert!(check_job_name(&"a".repeat(63)).is_ok());
        for bad in ["", "Failover", "a_b", "-a", "a-", "a.b", &"a".repeat(64)] {
            let err = check_job_name(bad).unwrap_err();
            assert!(err.contains("hint:"), "{bad}: {err}");
        }
    }

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(dns_label("Failover"), "failover");
        assert_eq!(dns_label("  My_Scenario!! v2 "), "my-scenario-v2");
        assert_eq!(dns_label("!!!"), "scenario");
        assert_eq!(dns_label(&"abc-".repeat(30)).len(), 39, "cut at 40, trailing - trimmed");
        assert!(check_job_name(&format!("{}-sweep", dns_label(&"x".repeat(100)))).is_ok());
    }

    #[test]
    fn storage_grows_with_the_seeds() {
        assert_eq!(storage_request(10), "1Gi");
        assert_eq!(storage_request(10_000), "1Gi");
        assert_eq!(storage_request(100_000), "7Gi");
    }

    #[test]
    fn the_job_runs_every_shard_into_the_volume() {
        let sets = vec!["controlPlane.scheduler.policy=binpack".to_string(), "x=\"a b\"".to_string()];
        let yaml = sweep_job_yaml(&job(&sets));
        for line in [
            "kind: PersistentVolumeClaim",
            "  name: failover-sweep-results",
            "      storage: 1Gi",
            "kind: Job",
            "  completionMode: Indexed",
            "  completions: 10",
            "  backoffLimitPerIndex: 2",
            "    - action: FailIndex",
            "        values: [4]",
            "      restartPolicy: Never",
            "        image: \"clustersim-failover:0123456789ab\"",
            "            cpu: \"2\"",
            "          claimName: failover-sweep-results",
            "        clustersim.sweep: \"failover-sweep\"",
            "# 4. Merge:   sim merge failover-sweep-shards/shard-* --out reports/failover-sweep",
            "# 0. Image:   sim image scenarios/failover.yaml --set controlPlane.scheduler.policy=binpack --set 'x=\"a b\"' \
             --tag clustersim-failover:0123456789ab",
        ] {
            assert!(yaml.lines().any(|l| l == line), "no line {line:?} in\n{yaml}");
        }
        assert!(yaml.contains(
            "args: [\"sweep\", \"/scenario/failover.yaml\", \"--seeds\", \"1..10000\", \"--shards\", \"10\", \"--jobs\", \"2\", \
             \"--out\", \"/results/shard-$(JOB_COMPLETION_INDEX)\", \"--set\", \"controlPlane.scheduler.policy=binpack\", \
             \"--set\", \"x=\\\"a b\\\"\"]"
        ), "{yaml}");
    }
}
