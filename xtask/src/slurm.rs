//! `cargo xtask regenerate --slurm`: the plan as a Slurm job array (one task per shard, each the train stage of
//! its shard, then its proxies stage when the plan has proxies) and a dependent job (`afterok`) running cal and merge; submitted with `sbatch`, followed with
//! `squeue` (and `sacct` where the cluster keeps accounting), failed shards resubmitted up to a retry limit
//! (docs/REGENERATE.md).
//!
//! Everything the submitter knows is kept in `OUT/slurm/` (scripts, the binaries the jobs run, logs, and
//! `jobs.json`: every submission), so the same command run again after the submitter died follows the jobs it
//! submitted instead of submitting again. Whether a shard is done is read off its trial files (and proxy scores), which
//! outlive the scheduler's memory of its jobs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::plan::Plan;
use crate::workspace::progress;

/// The most tasks one array gets by default: Slurm's default `MaxArraySize` is 1001.
const MAX_SHARDS: usize = 1000;

/// Polls in a row without an answer from the controller before giving up (the jobs go on; a rerun follows them).
const UNANSWERED: usize = 120;

/// The options of `--slurm`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SlurmOptions {
    shards: Option<usize>,
    partition: Option<String>,
    account: Option<String>,
    gres: Option<String>,
    time: Option<String>,
    array_parallel: Option<usize>,
    sbatch_args: Vec<String>,
    retries: usize,
    poll: Duration,
    emit: Option<PathBuf>,
}

impl Default for SlurmOptions {
    fn default() -> SlurmOptions {
        SlurmOptions {
            shards: None,
            partition: None,
            account: None,
            gres: None,
            time: None,
            array_parallel: None,
            sbatch_args: Vec::new(),
            retries: 2,
            poll: Duration::from_secs(5),
            emit: None,
        }
    }
}

impl SlurmOptions {
    /// Takes `arg value` if it is a Slurm option.
    pub(crate) fn parse(&mut self, arg: &str, value: &str) -> anyhow::Result<bool> {
        let number =
            |least: usize| -> anyhow::Result<usize> {
                value.parse().ok().filter(|&n| n >= least).with_context(|| {
                    format!("invalid {arg}: expected a whole number of at least {least}, found {value:?}")
                })
            };
        match arg {
            "--shards" => self.shards = Some(number(1)?),
            "--partition" => self.partition = Some(one_word(arg, value)?),
            "--account" => self.account = Some(one_word(arg, value)?),
            "--gres" => self.gres = Some(one_word(arg, value)?),
            "--time" => self.time = Some(one_word(arg, value)?),
            "--array-parallel" => self.array_parallel = Some(number(1)?),
            "--sbatch-arg" => {
                let option = one_word(arg, value)?;
                if !option.starts_with('-') {
                    bail!("invalid --sbatch-arg: expected one sbatch option such as --qos=high, found {value:?}");
                }
                self.sbatch_args.push(option);
            }
            "--retries" => self.retries = number(0)?,
            "--poll" => {
                let seconds: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && s.is_finite())
                    .with_context(|| format!("invalid --poll: expected seconds above 0, found {value:?}"))?;
                self.poll = Duration::from_secs_f64(seconds);
            }
            "--emit" => self.emit = Some(value.into()),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The value of an option that becomes one word of a `#SBATCH` line: sbatch splits those lines at whitespace,
/// and a line break would end the directives and run the rest as a command of the job.
fn one_word(arg: &str, value: &str) -> anyhow::Result<String> {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("invalid {arg}: expected one word, without spaces or control characters, found {value:?}");
    }
    Ok(value.to_owned())
}

/// A path written into the scripts, refused if it holds a control character (a line break would end a
/// directive or a command).
fn script_path(what: &str, path: &Path) -> anyhow::Result<String> {
    let text = path.to_str().with_context(|| format!("{what} {}: expected a path in UTF-8", path.display()))?;
    if text.chars().any(char::is_control) {
        bail!("{what}: expected a path without control characters for the batch scripts, found {text:?}");
    }
    Ok(text.to_owned())
}

/// A `#SBATCH --flag=PATH` word: in double quotes where the path has spaces (sbatch reads quotes there).
fn path_directive(flag: &str, path: &str) -> anyhow::Result<String> {
    if !path.chars().any(char::is_whitespace) {
        return Ok(format!("--{flag}={path}"));
    }
    if path.contains('"') {
        bail!("--{flag}: expected a path without both spaces and double quotes for a #SBATCH line, found {path:?}");
    }
    Ok(format!("--{flag}=\"{path}\""))
}

/// What the jobs run: the plan and where its files go, and the options passed on to every task.
pub(crate) struct Submission<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) plan_path: &'a Path,
    pub(crate) out: &'a Path,
    /// nb102-train and nb102-model, copied beside the jobs' scripts.
    pub(crate) binaries: [&'a Path; 2],
    pub(crate) devices: String,
    pub(crate) jobs: Option<usize>,
    pub(crate) quiet: bool,
}

/// Every submission, as `OUT/slurm/jobs.json` keeps it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Jobs {
    shards: usize,
    /// The train arrays: the first of every shard, then one per retry, of the shards that failed.
    train: Vec<Array>,
    /// The cal and merge jobs, the last one current.
    merge: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Array {
    job: String,
    shards: Vec<usize>,
}

/// Where a shard stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Done,
    Active,
    Failed,
}

/// Writes the scripts and either stops there (`--emit`) or submits and follows the jobs to the benchmark file,
/// which it returns.
pub(crate) fn run(s: &Submission<'_>, o: &SlurmOptions) -> anyhow::Result<Option<PathBuf>> {
    let dir = s.out.join("slurm");
    let shards = o.shards.unwrap_or(s.plan.trials.len().min(MAX_SHARDS)).min(s.plan.trials.len()).max(1);
    let state_path = dir.join("jobs.json");
    let saved: Option<Jobs> =
        match std::fs::read_to_string(&state_path) {
            Ok(text) => Some(serde_json::from_str(&text).with_context(|| {
                format!("{}: expected the submitted jobs, found something else", state_path.display())
            })?),
            Err(_) => None,
        };
    if let Some(jobs) = &saved {
        if o.shards.is_some_and(|n| n != jobs.shards) {
            bail!(
                "{}: expected the {} shards of the jobs already submitted, found --shards {shards}; use another --out \
                 to shard differently",
                state_path.display(),
                jobs.shards
            );
        }
    }
    let shards = saved.as_ref().map_or(shards, |j| j.shards);
    let scripts = o.emit.clone().unwrap_or_else(|| dir.clone());
    if saved.is_none() || o.emit.is_some() {
        write_scripts(s, o, &dir, &scripts, shards)?;
    }
    if o.emit.is_some() {
        println!(
            "wrote {}/train.sbatch and {}/merge.sbatch ({shards} shards); submit them with {}/submit.sh, or by hand: \
             sbatch --parsable train.sbatch, then sbatch --dependency=afterok:<its id> merge.sbatch",
            scripts.display(),
            scripts.display(),
            scripts.display()
        );
        return Ok(None);
    }
    let mut jobs = match saved {
        Some(jobs) => {
            if !s.quiet {
                println!("following the jobs in {} (submitted before)", state_path.display());
            }
            jobs
        }
        None => {
            let mut jobs = Jobs { shards, ..Jobs::default() };
            let all: Vec<usize> = (0..shards).collect();
            let job = submit_array(&dir, &all, o)?;
            jobs.train.push(Array { job: job.clone(), shards: all });
            save(&state_path, &jobs)?;
            point_merge_at(&dir, &mut jobs, &job)?;
            save(&state_path, &jobs)?;
            if !s.quiet {
                println!("submitted train array {job} ({shards} shards) and merge job {}", jobs.merge[0]);
            }
            jobs
        }
    };
    follow(s, o, &dir, &state_path, &mut jobs).map(Some)
}

/// The batch scripts: `train.sbatch` (the array), `merge.sbatch` (cal and merge) and `submit.sh` (both, for
/// users who submit by hand), written into `scripts`; the binaries the jobs run are copied into `dir/bin` so that
/// rebuilding the checkout while jobs wait changes nothing under them.
fn write_scripts(
    s: &Submission<'_>,
    o: &SlurmOptions,
    dir: &Path,
    scripts: &Path,
    shards: usize,
) -> anyhow::Result<()> {
    let bin = dir.join("bin");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&bin)?;
    std::fs::create_dir_all(&logs)?;
    std::fs::create_dir_all(scripts)?;
    let xtask = std::env::current_exe().context("finding the xtask binary")?;
    for from in [xtask.as_path(), s.binaries[0], s.binaries[1]] {
        let to = bin.join(from.file_name().context("a binary's name")?);
        nb102_store::write_atomically(&to, |f| std::io::copy(&mut std::fs::File::open(from)?, f).map(|_| ()))
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    }
    // The options' values were checked to be one word each when parsed.
    let mut directives = Vec::new();
    for (flag, value) in [("partition", &o.partition), ("account", &o.account), ("gres", &o.gres), ("time", &o.time)] {
        if let Some(v) = value {
            directives.push(format!("--{flag}={v}"));
        }
    }
    directives.extend(o.sbatch_args.iter().cloned());
    let profile = one_word("the plan's profile", &s.plan.profile)?;
    let sbatch_lines = |name: &str, extra: &[String]| -> String {
        let mut lines = format!("#SBATCH --job-name=nb102-{name}-{profile}\n");
        for d in extra.iter().chain(&directives) {
            lines += &format!("#SBATCH {d}\n");
        }
        lines
    };
    if s.devices.chars().any(char::is_control) {
        bail!("--device: expected devices without control characters, found {:?}", s.devices);
    }
    let logs_path = script_path("the logs folder", &logs)?;
    let mut common = vec![
        quote(&script_path("the xtask binary", &bin.join("xtask"))?),
        "regenerate".into(),
        "--plan".into(),
        quote(&script_path("--plan", s.plan_path)?),
        "--out".into(),
        quote(&script_path("--out", s.out)?),
        "--bin-dir".into(),
        quote(&script_path("the binaries' folder", &bin)?),
        "--device".into(),
        quote(&s.devices),
        "--quiet".into(),
    ];
    if let Some(j) = s.jobs {
        common.extend(["--jobs".into(), j.to_string()]);
    }
    let common = common.join(" ");
    let throttle = o.array_parallel.map_or(String::new(), |k| format!("%{k}"));
    // Comments name no path: a path's text belongs in quoted words only.
    let shard = format!("{common} --shard \"$SLURM_ARRAY_TASK_ID/{shards}\"");
    // A plan with zero-cost proxies scores each shard's share of the cells in the same task, after its training.
    let (what, stages) = match s.plan.proxies {
        Some(_) => ("train and proxies stages", format!("{shard} --stage train\nexec {shard} --stage proxies\n")),
        None => ("train stage", format!("exec {shard} --stage train\n")),
    };
    let train = format!(
        "#!/bin/bash\n# The {what} of one shard of the plan (--plan below) per array task (cargo xtask regenerate \
         --slurm).\n{}set -euo pipefail\n{stages}",
        sbatch_lines(
            "train",
            &[
                format!("--array=0-{}{throttle}", shards - 1),
                path_directive("output", &format!("{logs_path}/train-%A_%a.out"))?
            ]
        ),
    );
    let merge = format!(
        "#!/bin/bash\n# The cal and merge stages of the plan (--plan below), once every shard is done (cargo xtask \
         regenerate --slurm).\n{}set -euo pipefail\n{common} --stage cal\nexec {common} --stage merge\n",
        sbatch_lines("merge", &[path_directive("output", &format!("{logs_path}/merge-%j.out"))?]),
    );
    let submit =
        "#!/bin/bash\n# Submits the train array, then the merge job once it has succeeded.\nset -euo pipefail\n\
         cd \"$(dirname \"${BASH_SOURCE[0]}\")\"\njob=$(sbatch --parsable train.sbatch)\njob=${job%%;*}\n\
         merge=$(sbatch --parsable --dependency=afterok:$job merge.sbatch)\n\
         echo \"train array $job, merge job ${merge%%;*}\"\n"
            .to_owned();
    for (name, text) in [("train.sbatch", train), ("merge.sbatch", merge), ("submit.sh", submit)] {
        let path = scripts.join(name);
        nb102_store::write_atomically(&path, |f| std::io::Write::write_all(f, text.as_bytes()))?;
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    }
    Ok(())
}

/// A word for bash, in single quotes where it needs them.
fn quote(word: &str) -> String {
    if word.chars().all(|c| c.is_ascii_alphanumeric() || "/._-,:=+".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn save(path: &Path, jobs: &Jobs) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(jobs)? + "\n";
    Ok(nb102_store::write_atomically(path, |f| std::io::Write::write_all(f, text.as_bytes()))?)
}

/// `sbatch --parsable ARGS SCRIPT` in `dir`: the job id.
fn sbatch(dir: &Path, args: &[String], script: &str) -> anyhow::Result<String> {
    let output = Command::new("sbatch")
        .current_dir(dir)
        .arg("--parsable")
        .args(args)
        .arg(script)
        .output()
        .context("running sbatch (is Slurm's client installed and SLURM_CONF set?)")?;
    if !output.status.success() {
        bail!("sbatch {script} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    // `--parsable` prints `id` or `id;cluster`.
    let id = text.trim().split(';').next().unwrap_or_default().to_owned();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch {script}: expected a job id, found {:?}", text.trim());
    }
    Ok(id)
}

fn submit_array(dir: &Path, shards: &[usize], o: &SlurmOptions) -> anyhow::Result<String> {
    let list: Vec<String> = shards.iter().map(usize::to_string).collect();
    let throttle = o.array_parallel.map_or(String::new(), |k| format!("%{k}"));
    sbatch(dir, &[format!("--array={}{throttle}", list.join(","))], "train.sbatch")
}

/// What the scheduler says of a job.
enum Known {
    /// The state of each of its tasks (`None` for a job that is no array).
    States(BTreeMap<Option<usize>, String>),
    /// Neither `squeue` nor `sacct` knows it (it left the queue, and the cluster keeps no accounting).
    Gone,
    /// The controller did not answer.
    Unreachable(String),
}

impl Known {
    fn of(&self, task: Option<usize>) -> Option<&str> {
        match self {
            Known::States(states) => states.get(&task).map(String::as_str),
            _ => None,
        }
    }
}

/// The scheduler's state of each task of `job`: from `squeue`, or from `sacct` once the job has left the queue.
fn states(job: &str) -> Known {
    let parse = |text: &str| -> BTreeMap<Option<usize>, String> {
        text.lines()
            .filter_map(|line| {
                let (id, state) = line.split_once('|')?;
                // sacct writes `CANCELLED by 0`, and a `+` after a job id it shortened.
                let state = state.split_whitespace().next().unwrap_or_default().to_owned();
                match id.trim_end_matches('+').split_once('_') {
                    Some((j, task)) if j == job => Some((Some(task.parse().ok()?), state)),
                    None if id == job => Some((None, state)),
                    _ => None,
                }
            })
            .collect()
    };
    let squeue = Command::new("squeue").args(["-h", "-r", "-t", "all", "-o", "%i|%T", "-j", job]).output();
    match squeue {
        Ok(o) if o.status.success() => {
            let found = parse(&String::from_utf8_lossy(&o.stdout));
            if !found.is_empty() {
                return Known::States(found);
            }
        }
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            if !err.contains("Invalid job id") {
                return Known::Unreachable(err.trim().to_owned());
            }
        }
        Err(e) => return Known::Unreachable(format!("running squeue: {e}")),
    }
    match Command::new("sacct").args(["-n", "-X", "-P", "-o", "JobID,State", "-j", job]).output() {
        Ok(o) if o.status.success() => {
            let found = parse(&String::from_utf8_lossy(&o.stdout));
            if found.is_empty() {
                Known::Gone
            } else {
                Known::States(found)
            }
        }
        _ => Known::Gone,
    }
}

/// Whether a scheduler state means the task will not run (again) by itself.
fn ended(state: &str) -> bool {
    matches!(
        state,
        "COMPLETED"
            | "FAILED"
            | "CANCELLED"
            | "TIMEOUT"
            | "NODE_FAIL"
            | "OUT_OF_MEMORY"
            | "BOOT_FAIL"
            | "DEADLINE"
            | "PREEMPTED"
            | "SPECIAL_EXIT"
            | "REVOKED"
    )
}

/// Follows the arrays until every shard is trained (resubmitting failed shards, and pointing the merge job at
/// the new array), then the merge job; returns the benchmark file it wrote.
fn follow(
    s: &Submission<'_>,
    o: &SlurmOptions,
    dir: &Path,
    state_path: &Path,
    jobs: &mut Jobs,
) -> anyhow::Result<PathBuf> {
    let shards = jobs.shards;
    // A submitter killed between its two submissions left the array without its merge job.
    if jobs.merge.is_empty() {
        let array = jobs.train.last().context("jobs.json without a train array")?.job.clone();
        point_merge_at(dir, jobs, &array)?;
        save(state_path, jobs)?;
    }
    let bar = progress(shards, "slurm", s.quiet);
    // A shard is done when its trials are, and its proxy scores when the plan has proxies.
    let trained = |shard: usize| {
        s.plan
            .trials
            .iter()
            .enumerate()
            .filter(|(i, _)| i % shards == shard)
            .all(|(_, t)| s.out.join("trials").join(t.file_name()).exists())
            // A scores folder that cannot be read counts as not done: the shard runs again, and its task says why.
            && crate::regenerate::shard_scored(s.plan, s.out, (shard, shards)).unwrap_or(false)
    };
    let mut unanswered = 0;
    loop {
        // Each shard's status, in the last array that holds it; no decision while the controller does not answer.
        let mut status = vec![Status::Failed; shards];
        let mut unreachable = None;
        for array in &jobs.train {
            let known = states(&array.job);
            if let Known::Unreachable(why) = &known {
                unreachable = Some(why.clone());
            }
            for &shard in &array.shards {
                status[shard] = match known.of(Some(shard)) {
                    Some(state) if !ended(state) => Status::Active,
                    _ => Status::Failed,
                };
            }
        }
        if let Some(why) = unreachable {
            unanswered += 1;
            if unanswered > UNANSWERED {
                bail!("expected the Slurm controller to answer, found it silent for {UNANSWERED} polls: {why}");
            }
            std::thread::sleep(o.poll);
            continue;
        }
        unanswered = 0;
        for (shard, st) in status.iter_mut().enumerate() {
            if trained(shard) {
                *st = Status::Done;
            }
        }
        let count = |want: Status| status.iter().filter(|&&st| st == want).count();
        let (done, active, failed) = (count(Status::Done), count(Status::Active), count(Status::Failed));
        bar.set_position(done as u64);
        bar.set_message(format!(
            "shards trained, {active} queued or running, {failed} failed, retry {} of {}",
            jobs.train.len() - 1,
            o.retries
        ));
        if active == 0 && failed > 0 {
            let failed: Vec<usize> = (0..shards).filter(|&i| status[i] == Status::Failed).collect();
            let logs: Vec<String> = failed.iter().filter_map(|&i| last_log(dir, jobs, i)).take(3).collect();
            if jobs.train.len() > o.retries {
                let merge = jobs.merge.last().expect("a merge job is submitted with the array");
                let _ = Command::new("scancel").arg(merge).status();
                bail!(
                    "expected every shard trained after {} retries, found {} failed (shards {}); their logs: {}",
                    o.retries,
                    failed.len(),
                    list(&failed),
                    logs.join(", ")
                );
            }
            let job = submit_array(dir, &failed, o)?;
            bar.suspend(|| {
                if !s.quiet {
                    println!("shards {} failed ({}); resubmitted as array {job}", list(&failed), logs.join(", "));
                }
            });
            jobs.train.push(Array { job: job.clone(), shards: failed });
            save(state_path, jobs)?;
            point_merge_at(dir, jobs, &job)?;
            save(state_path, jobs)?;
            continue;
        }
        if done == shards {
            break;
        }
        std::thread::sleep(o.poll);
    }
    bar.finish_and_clear();
    // The merge job: it runs once the last array has succeeded.
    let mut retries = 0;
    loop {
        let merge = jobs.merge.last().expect("a merge job is submitted with the array").clone();
        let log = dir.join("logs").join(format!("merge-{merge}.out"));
        let known = states(&merge);
        let state = known.of(None).map(str::to_owned);
        let unreachable = matches!(known, Known::Unreachable(_));
        if unreachable || state.as_deref().is_some_and(|st| !ended(st)) {
            std::thread::sleep(o.poll);
            continue;
        }
        if let Some(path) = written(&log) {
            return Ok(path);
        }
        if state.as_deref() == Some("COMPLETED") {
            bail!("merge job {merge} completed without writing a benchmark file; see {}", log.display());
        }
        if retries >= o.retries {
            bail!(
                "merge job {merge} failed ({}); see {}",
                state.as_deref().unwrap_or("unknown to Slurm"),
                log.display()
            );
        }
        retries += 1;
        let job = sbatch(dir, &[], "merge.sbatch")?;
        if !s.quiet {
            println!("merge job {merge} failed; resubmitted as {job}");
        }
        jobs.merge.push(job);
        save(state_path, jobs)?;
    }
}

/// Points the merge job at `array`: a pending one by updating its dependency (its `afterok` on an earlier array
/// can no longer be met); otherwise (none yet, or it is gone) a new one, submitted depending on `array`.
fn point_merge_at(dir: &Path, jobs: &mut Jobs, array: &str) -> anyhow::Result<()> {
    if let Some(merge) = jobs.merge.last().filter(|m| states(m).of(None) == Some("PENDING")) {
        let status = Command::new("scontrol")
            .args(["update", &format!("JobId={merge}"), &format!("Dependency=afterok:{array}")])
            .status()
            .context("running scontrol")?;
        if status.success() {
            return Ok(());
        }
        let _ = Command::new("scancel").arg(merge).status();
    }
    let job =
        sbatch(dir, &[format!("--dependency=afterok:{array}"), "--kill-on-invalid-dep=no".into()], "merge.sbatch")?;
    jobs.merge.push(job);
    Ok(())
}

/// The log of the last task that ran `shard`.
fn last_log(dir: &Path, jobs: &Jobs, shard: usize) -> Option<String> {
    let array = jobs.train.iter().rev().find(|a| a.shards.contains(&shard))?;
    Some(dir.join("logs").join(format!("train-{}_{shard}.out", array.job)).display().to_string())
}

/// The benchmark file a merge log says was written, if it exists.
fn written(log: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(log).ok()?;
    let path = PathBuf::from(text.lines().rev().find_map(|l| l.strip_prefix("wrote "))?);
    path.exists().then_some(path)
}

fn list(shards: &[usize]) -> String {
    shards.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}
