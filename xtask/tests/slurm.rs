//! `cargo xtask regenerate --slurm` through a real Slurm: the one-node loopback cluster of
//! `scripts/slurm/cluster.sh` (Debian's slurmctld, slurmd and munge, which `scripts/setup.sh` installs).
//!
//! The tiny plan of the regenerate test (4 trials, so 4 shards), with zero-cost proxies (each task scores its
//! shard's cells after training; two of the shards have none of the 2 cells), is submitted while the partition is
//! down, so its tasks wait; the submitter is killed, one task is cancelled (a shard lost, as when its node dies), the
//! partition comes up and the same command is run again. It must follow the jobs already submitted (no second
//! array), resubmit only the lost shard, point the merge job at the new array, and end with the file a local run
//! gives: the same records (but for wall times and latencies), and byte for byte the file a local merge of the same
//! trials and scores writes, which holds every cell's scores.
//! `--emit` writes the scripts and submits nothing.

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{dataset, records, regenerate, scratch};

/// The cluster, stopped when dropped (also when the test fails).
struct Cluster {
    dir: PathBuf,
    conf: String,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm/cluster.sh");
        let out = Command::new(&script).arg("start").arg(dir).output().unwrap();
        assert!(out.status.success(), "starting Slurm: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let conf = text.lines().find_map(|l| l.strip_prefix("export SLURM_CONF=")).expect("the SLURM_CONF line");
        Cluster { dir: dir.to_owned(), conf: conf.to_owned() }
    }

    /// A client command against this cluster; its stdout.
    fn client(&self, program: &str, args: &[&str]) -> String {
        let out = Command::new(program).args(args).env("SLURM_CONF", &self.conf).output().unwrap();
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The ids of every job it has seen (arrays once).
    fn jobs(&self) -> BTreeSet<String> {
        self.client("squeue", &["-h", "-t", "all", "-o", "%F"]).lines().map(str::to_owned).collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm/cluster.sh");
        let _ = Command::new(script).arg("stop").arg(&self.dir).status();
    }
}

fn jobs_file(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("slurm/jobs.json")).unwrap()).unwrap()
}

#[test]
fn a_lost_shard_is_resubmitted_and_a_rerun_follows_the_jobs() {
    let dir = scratch("slurm");
    dataset(&dir);
    let cluster = Cluster::start(&dir.join("cluster"));
    let partition = cluster.client("sinfo", &["-h", "-o", "%R"]).trim().to_owned();
    let out = dir.join("out");
    // With zero-cost proxies, which each array task scores for its shard's cells after training them.
    let proxies = ["--proxies", "synflow,params"];
    let slurm = [&["--slurm", "--poll", "0.2", "--array-parallel", "2", "--retries", "1"][..], &proxies].concat();

    // Submitted while no task can start; the submitter is killed once both jobs are recorded.
    cluster.client("scontrol", &["update", &format!("PartitionName={partition}"), "State=DOWN"]);
    let mut child = regenerate(&dir, &out, &slurm)
        .env("SLURM_CONF", &cluster.conf)
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !out.join("slurm/jobs.json").exists() || jobs_file(&out)["merge"].as_array().unwrap().is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("the submitter ended ({status}) before submitting: {err}");
        }
        assert!(start.elapsed() < Duration::from_secs(900), "no submission within 15 minutes");
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill").args(["-9", "--", &format!("-{}", child.id())]).status().unwrap();
    let _ = child.wait();
    let submitted = jobs_file(&out);
    let array = submitted["train"][0]["job"].as_str().unwrap().to_owned();
    assert_eq!(submitted["train"][0]["shards"], serde_json::json!([0, 1, 2, 3]));
    let merge = submitted["merge"][0].as_str().unwrap().to_owned();
    assert_eq!(cluster.jobs(), BTreeSet::from([array.clone(), merge.clone()]));

    // Shard 1 is lost before it ran; then the cluster takes jobs.
    cluster.client("scancel", &[&format!("{array}_1")]);
    cluster.client("scontrol", &["update", &format!("PartitionName={partition}"), "State=UP"]);
    let again = regenerate(&dir, &out, &slurm).env("SLURM_CONF", &cluster.conf).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let followed = jobs_file(&out);
    assert_eq!(followed["train"][0]["job"], array.as_str(), "the rerun followed the first submission");
    assert_eq!(followed["train"][1]["shards"], serde_json::json!([1]), "only the lost shard was resubmitted");
    assert_eq!(followed["train"].as_array().unwrap().len(), 2);
    assert_eq!(followed["merge"], serde_json::json!([merge]), "the merge job was repointed, not submitted again");
    let retry = followed["train"][1]["job"].as_str().unwrap().to_owned();
    assert_eq!(cluster.jobs(), BTreeSet::from([array, retry, merge.clone()]));
    let state = cluster.client("squeue", &["-h", "-t", "all", "-o", "%T", "-j", &merge]);
    assert_eq!(state.trim(), "COMPLETED");

    // The file of a local run: the same records; a local merge of the same trials writes the same bytes.
    let local = regenerate(&dir, &dir.join("local"), &proxies).output().unwrap();
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    assert_eq!(records(&again.stdout), records(&local.stdout));
    let copy = dir.join("copy");
    for part in ["trials", "cal", "proxies"] {
        std::fs::create_dir_all(copy.join(part)).unwrap();
        for entry in std::fs::read_dir(out.join(part)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, copy.join(part).join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(out.join("plan.json"), copy.join("plan.json")).unwrap();
    let merged = regenerate(&dir, &copy, &[&proxies[..], &["--stage", "merge"]].concat()).output().unwrap();
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    let written = |stdout: &[u8]| -> PathBuf {
        let text = String::from_utf8_lossy(stdout).into_owned();
        PathBuf::from(text.lines().find_map(|l| l.strip_prefix("wrote ")).unwrap())
    };
    let (on_slurm, here) = (written(&again.stdout), written(&merged.stdout));
    assert_eq!(on_slurm.file_name(), here.file_name());
    assert!(std::fs::read(&on_slurm).unwrap() == std::fs::read(&here).unwrap(), "the same bytes");
    let file = nb102_store::BenchmarkFile::open(&on_slurm).unwrap();
    let table = file.proxies().unwrap().expect("the array's proxy scores are in the file");
    assert_eq!(table.columns().len(), 2);
    for column in table.columns() {
        assert!(file.indices().all(|i| column.get(i).is_some_and(f64::is_finite)), "{}", column.key());
    }

    // --emit: the scripts, and nothing submitted.
    let before = cluster.jobs();
    let emitted = dir.join("emitted");
    let o = regenerate(&dir, &dir.join("emit-out"), &["--slurm", "--emit", emitted.to_str().unwrap()])
        .args(["--partition", &partition, "--time", "10:00", "--sbatch-arg", "--mem=1G"])
        .env("SLURM_CONF", &cluster.conf)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let train = std::fs::read_to_string(emitted.join("train.sbatch")).unwrap();
    for line in ["#SBATCH --array=0-3\n", &format!("#SBATCH --partition={partition}\n"), "#SBATCH --time=10:00\n"] {
        assert!(train.contains(line), "{line:?} in {train}");
    }
    assert!(train.contains("#SBATCH --mem=1G\n") && train.contains("--stage train"), "{train}");
    let merge_script = std::fs::read_to_string(emitted.join("merge.sbatch")).unwrap();
    assert!(merge_script.contains("--stage cal") && merge_script.contains("--stage merge"), "{merge_script}");
    assert!(emitted.join("submit.sh").exists());
    assert_eq!(cluster.jobs(), before, "--emit submits nothing");
    drop(cluster);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `--emit`'s scripts hold option values and paths as data, never as lines of their own: a value with a line
/// break or a space (which sbatch would split into another directive) is refused before anything is written, and
/// paths with spaces and quotes reach the command as the words they are.
#[test]
fn emitted_scripts_take_no_injected_lines() {
    let dir = scratch("slurm-inject");
    dataset(&dir);
    let emitted = dir.join("emitted");
    let injected = "gpu\ntouch /tmp/nb102-injected";
    for (option, value) in [
        ("--partition", injected),
        ("--account", injected),
        ("--gres", injected),
        ("--time", injected),
        ("--sbatch-arg", "--mem=1G\ntouch /tmp/nb102-injected"),
        ("--time", "1:00:00 --qos=high"),
        ("--partition", "gpu cpu"),
        ("--sbatch-arg", "qos=high"),
    ] {
        let o = regenerate(&dir, &dir.join("out"), &["--slurm", "--emit", emitted.to_str().unwrap(), option, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && stderr.contains(&format!("invalid {option}")), "{option} {value:?}: {stderr}");
        assert!(!emitted.exists(), "nothing written for {option} {value:?}");
    }
    let broken_out = dir.join("out\n#SBATCH --qos=high");
    let o = regenerate(&dir, &broken_out, &["--slurm", "--emit", emitted.to_str().unwrap()]).output().unwrap();
    assert!(!o.status.success() && !emitted.join("train.sbatch").exists(), "{}", String::from_utf8_lossy(&o.stderr));

    // An output folder with a space and a quote: quoted in the commands and in the #SBATCH --output line, and
    // named in no comment.
    let out = dir.join("runs of 'today'");
    let o = regenerate(&dir, &out, &["--slurm", "--emit", emitted.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let train = std::fs::read_to_string(emitted.join("train.sbatch")).unwrap();
    for line in train.lines().filter(|l| l.starts_with('#')) {
        assert!(!line.contains("today") || line.starts_with("#SBATCH --output=\""), "{line}");
    }
    let directives: Vec<&str> = train.lines().skip(2).take_while(|l| l.starts_with("#SBATCH ")).collect();
    assert_eq!(train.lines().filter(|l| l.starts_with("#SBATCH ")).count(), directives.len(), "{train}");
    // The command's words, as bash reads them.
    let words = train.lines().find_map(|l| l.strip_prefix("exec ")).unwrap();
    let printed = Command::new("bash")
        .args(["-c", &format!("printf '%s\\n' {words}")])
        .env("SLURM_ARRAY_TASK_ID", "0")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&printed.stdout).into_owned();
    let words: Vec<&str> = printed.lines().collect();
    let at = words.iter().position(|w| *w == "--out").unwrap();
    assert_eq!(words[at + 1], out.to_str().unwrap());

    // A plan with proxies: each array task trains its shard, then scores its shard's cells; the merge job scores
    // nothing itself.
    let o = regenerate(&dir, &dir.join("scored"), &["--slurm", "--emit", emitted.to_str().unwrap()])
        .args(["--proxies", "synflow"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let train = std::fs::read_to_string(emitted.join("train.sbatch")).unwrap();
    let commands: Vec<&str> = train.lines().filter(|l| !l.starts_with('#') && l.contains("regenerate")).collect();
    assert_eq!(commands.len(), 2, "{train}");
    let shard = "--shard \"$SLURM_ARRAY_TASK_ID/4\"";
    assert!(commands[0].ends_with(&format!("{shard} --stage train")), "{train}");
    assert!(commands[1].starts_with("exec ") && commands[1].ends_with(&format!("{shard} --stage proxies")), "{train}");
    let merge = std::fs::read_to_string(emitted.join("merge.sbatch")).unwrap();
    assert!(!merge.contains("--stage proxies") && merge.contains("--stage merge"), "{merge}");
    std::fs::remove_dir_all(dir).unwrap();
}
