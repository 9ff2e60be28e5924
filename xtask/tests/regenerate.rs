//! `cargo xtask regenerate` end to end on a tiny plan (two cells, one epoch, Fashion-MNIST-shaped files written
//! here): every stage; a run whose process group is killed at several moments, each time leaving only whole files,
//! and run again ends with the file of an uninterrupted run; two shards merged give the same file as one machine. Wall times and latencies differ from
//! run to run, so files are compared without them.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use nb102_store::{BenchmarkFile, BenchmarkKind};
use rand::{Rng, SeedableRng};

mod common;
use common::{dataset, records, regenerate, scratch};

/// Waits until the run has written into its trials folder (the binaries are built and training has begun), or has
/// ended.
fn wait_for_training(child: &mut std::process::Child, out: &Path) {
    while std::fs::read_dir(out.join("trials")).map_or(true, |mut d| d.next().is_none()) {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn stages_kill_and_rerun_and_shards() {
    let dir = scratch("e2e");
    dataset(&dir);
    // How long the stages take once the binaries are built (the first run builds them).
    let mut child =
        regenerate(&dir, &dir.join("whole"), &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for_training(&mut child, &dir.join("whole"));
    let start = Instant::now();
    let whole = child.wait_with_output().unwrap();
    let took = start.elapsed();
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    let (expected, kind) = records(&whole.stdout);
    assert_eq!(expected.len(), 4, "two cells, two seeds");
    assert_eq!(kind, BenchmarkKind::Demo, "a customised or demo plan is never labelled NAS-Bench-201");

    // Killed (the whole process group, as Ctrl-C would) at several moments of the run, seeded and spread over an
    // uninterrupted run's duration, then run again. After each kill every trial file and benchmark file written is
    // whole. (Where a kill lands depends on the machine; what is asserted does not.)
    let out = dir.join("killed");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1021);
    for _ in 0..4 {
        let delay = took.mul_f64(rng.random_range(0.0..0.9));
        let mut child =
            regenerate(&dir, &out, &[]).process_group(0).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        wait_for_training(&mut child, &out);
        std::thread::sleep(delay);
        let pid = child.id() as i32;
        // `--` before the negative group id: procps-ng 4.0's kill otherwise misreads it and signals every process.
        Command::new("kill").args(["-9", "--", &format!("-{pid}")]).status().unwrap();
        let _ = child.wait();
        for entry in std::fs::read_dir(out.join("trials")).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".trial.cbor") {
                nb102_store::read_trial(&path).unwrap_or_else(|e| panic!("killed after {delay:?}: {e}"));
            }
        }
        for entry in std::fs::read_dir(&out).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "nb102") {
                BenchmarkFile::open(&path).unwrap().verify(|| {}).unwrap();
            }
        }
    }
    let again = regenerate(&dir, &out, &[]).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(records(&again.stdout).0, expected);

    // Two shards into one folder, then the merge.
    let out = dir.join("shards");
    for shard in ["0/2", "1/2"] {
        let o = regenerate(&dir, &out, &["--shard", shard]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merged = regenerate(&dir, &out, &["--stage", "merge"]).output().unwrap();
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    assert_eq!(records(&merged.stdout).0, expected);

    // A changed plan is refused on restart.
    let o = regenerate(&dir, &out, &["--cells", "2"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected the same plan"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The size space's plan: its networks train under their protocol and merge into a file of that space, and the
/// topology space's network options are refused for it.
#[test]
fn a_size_space_plan_regenerates_a_size_space_file() {
    let dir = scratch("sss");
    dataset(&dir);
    let run = |out: &str, extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.args(["regenerate", "--profile", "demo-sss", "--archs", "8:8:8:8:8,16:8:16:8:16", "--seeds", "777"])
            .args(["--hp", "1", "--subset", "150", "--device", "cpu", "--quiet", "--data-dir"])
            .arg(&dir)
            .arg("--out")
            .arg(dir.join(out))
            .args(extra)
            .output()
            .unwrap()
    };
    let done = run("sss", &[]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let (records, kind) = records(&done.stdout);
    assert_eq!(kind, BenchmarkKind::Demo);
    let archs: Vec<String> = records.iter().map(|r| r.arch.to_string()).collect();
    assert_eq!(archs, ["8:8:8:8:8", "16:8:16:8:16"]);
    assert!(records.iter().all(|r| r.arch.in_space().is_some_and(|(s, _)| s == nb102_space::Space::Size)));
    let plan = std::fs::read_to_string(dir.join("sss/plan.json")).unwrap();
    assert!(plan.contains("\"space\": \"size\""), "{plan}");
    let refused = run("bad", &["--channels", "8"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("expected none for the size space"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// `--proxies`: the proxies stage draws each setting's batch, scores the plan's cells per shard, and the merge
/// writes the scores into the benchmark file, once every shard has scored its cells.
#[test]
fn a_plan_with_proxies_scores_its_cells_into_the_file() {
    let dir = scratch("proxies");
    dataset(&dir);
    let out = dir.join("scored");
    let extra = ["--proxies", "synflow,grad_norm,params", "--proxy-batch-size", "8"];
    let run = |more: &[&str]| {
        let o = regenerate(&dir, &out, &[&extra[..], more].concat()).output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&["--shard", "0/2"]);
    assert!(ok, "{err}");
    for stage in ["train", "cal"] {
        let (ok, _, err) = run(&["--shard", "1/2", "--stage", stage]);
        assert!(ok, "{err}");
    }
    // Shard 1 has not scored its cells: the merge says so rather than write a file without them.
    let (ok, _, err) = run(&["--stage", "merge"]);
    assert!(!ok && err.contains("run the proxies stage (of every shard)"), "{err}");
    let (ok, _, err) = run(&["--shard", "1/2", "--stage", "proxies"]);
    assert!(ok, "{err}");
    let (ok, stdout, err) = run(&["--stage", "merge"]);
    assert!(ok, "{err}");
    let line = stdout.lines().find_map(|l| l.strip_prefix("wrote ")).unwrap();
    let file = BenchmarkFile::open(Path::new(line)).unwrap();
    assert_eq!(file.len(), 2);
    let table = file.proxies().unwrap().expect("the file holds the scores");
    let names: Vec<&str> = table.columns().iter().map(|c| c.key().proxy.as_str()).collect();
    assert_eq!(names, ["grad_norm", "params", "synflow"]);
    for column in table.columns() {
        let key = column.key();
        assert_eq!((key.setting.name(), key.batch_size, key.seed), ("fashion-mnist", 8, Some(0)));
        assert!([11472, 1462].iter().all(|&i| column.get(i).is_some_and(f64::is_finite)), "{key}");
    }
    let plan = std::fs::read_to_string(out.join("plan.json")).unwrap();
    assert!(plan.contains("\"proxies\": {"), "{plan}");
    std::fs::remove_dir_all(dir).unwrap();
}
