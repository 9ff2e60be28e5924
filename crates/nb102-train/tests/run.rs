//! Whole runs of `nb102-train run`: a run killed with SIGKILL in the middle of an epoch and resumed ends with
//! the record of an uninterrupted run (wall times aside), so does one killed at many moments, a damaged checkpoint
//! starts the trial over, and bad arguments are one line with exit status 2.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nb102_store::{read_trial, BenchmarkKind, BenchmarkMeta, TrialRecord};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nb102-train-run-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small Fashion-MNIST-shaped dataset: IDX files, gzip-compressed, with a learnable pattern per class.
fn dataset(dir: &Path, n: u32) {
    let write = |name: &str, dims: &[u32], data: &[u8]| common::write_idx_gz(dir, name, dims, data);
    let labels: Vec<u8> = (0..n).map(|i| (i * 7 % 10) as u8).collect();
    let pixels: Vec<u8> = (0..n as usize)
        .flat_map(|i| {
            let class = usize::from(labels[i]);
            (0..784).map(move |p| if (p / 28 + class) % 10 < 3 { 200 } else { ((p * 31 + i * 17) % 64) as u8 })
        })
        .collect();
    write("train-images-idx3-ubyte", &[n, 28, 28], &pixels);
    write("train-labels-idx1-ubyte", &[n], &labels);
    write("t10k-images-idx3-ubyte", &[100, 28, 28], &pixels[..100 * 784]);
    write("t10k-labels-idx1-ubyte", &[100], &labels[..100]);
}

fn command(data: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nb102-train"));
    cmd.args([
        "run",
        "--arch",
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
    ])
    .args(["--setting", "fashion-mnist", "--seed", "777", "--hp", "12", "--epochs", "4"])
    .args(["--channels", "4", "--cells", "1", "--device", "cpu", "--quiet"])
    .arg("--data-dir")
    .arg(data)
    .arg("--out")
    .arg(out);
    cmd
}

/// The record without what depends on the clock.
fn timeless(mut record: TrialRecord) -> TrialRecord {
    record.train.iter_mut().for_each(|e| e.time = None);
    record.eval.values_mut().flatten().for_each(|p| p.time = None);
    record
}

#[test]
fn a_killed_run_resumes_to_the_uninterrupted_record() {
    let dir = scratch("resume");
    dataset(&dir, 1600);
    let whole = dir.join("whole.trial.cbor");
    let status = command(&dir, &whole).stderr(Stdio::null()).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    assert!(!dir.join("whole.trial.cbor.ckpt").exists(), "the checkpoint goes once the record is written");

    // Killed in epoch 3 (after the second epoch's line, before the third's).
    let killed = dir.join("killed.trial.cbor");
    let mut child = command(&dir, &killed).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        if line.unwrap().starts_with("epoch 2/4") {
            break;
        }
    }
    // At once: any wait would make the test depend on how fast this machine trains an epoch.
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());
    let ckpt = dir.join("killed.trial.cbor.ckpt");
    assert!(ckpt.exists() && !killed.exists());
    let sound = std::fs::read(&ckpt).unwrap();

    // One byte flipped in the checkpoint's weights: never a wrong record; the trial starts over, and says so.
    let mut flipped = sound.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x10;
    std::fs::write(&ckpt, &flipped).unwrap();
    let out = command(&dir, &killed).arg("--resume").stdout(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.starts_with("nb102-train: ") && stderr.contains("expected checksum"), "{stderr}");
    assert!(stderr.lines().next().unwrap().ends_with("starting the trial over"), "{stderr}");
    assert!(stderr.lines().nth(1).is_some_and(|l| l.starts_with("epoch 1/4")), "{stderr}");
    assert_eq!(timeless(read_trial(&whole).unwrap()), timeless(read_trial(&killed).unwrap()));
    std::fs::remove_file(&killed).unwrap();
    std::fs::write(&ckpt, &sound).unwrap();
    // A whole checkpoint of another config is refused, not continued.
    let out = command(&dir, &killed).args(["--resume", "--subset", "1000"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected the same config as this run"), "{stderr}");

    let out = command(&dir, &killed).arg("--resume").stdout(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Killed as epoch 3 starts: it resumes after epoch 2 (or after epoch 3, if the kill came late).
    let done: u16 = stderr
        .strip_prefix("resumed after epoch ")
        .and_then(|rest| rest.lines().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!((2..4).contains(&done), "{stderr}");
    assert!(stderr.lines().nth(1).is_some_and(|l| l.starts_with(&format!("epoch {}/4", done + 1))), "{stderr}");

    let (whole, resumed) = (read_trial(&whole).unwrap(), read_trial(&killed).unwrap());
    assert_eq!(resumed.train.len(), 4);
    assert!(resumed.train.iter().all(|e| e.time.is_some()));
    assert_eq!(timeless(whole), timeless(resumed));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Killed with SIGKILL at many moments (seeded, spread over an uninterrupted run's duration), resuming each time:
/// after every kill the record is absent or whole, and the run ends with the uninterrupted record, leaving no
/// checkpoint or temporary file behind. Where the kills land depends on the machine; what is asserted does not.
#[test]
fn a_run_killed_at_many_moments_resumes_to_the_uninterrupted_record() {
    use rand::{Rng, SeedableRng};
    let dir = scratch("kills");
    dataset(&dir, 1600);
    let whole = dir.join("whole.trial.cbor");
    let start = std::time::Instant::now();
    assert!(command(&dir, &whole).stderr(Stdio::null()).stdout(Stdio::null()).status().unwrap().success());
    let took = start.elapsed();
    let expected = timeless(read_trial(&whole).unwrap());
    let out = dir.join("killed.trial.cbor");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(777);
    for kill in 0..8 {
        // Each resumed run has less left to do, so the moments are taken within a shrinking span.
        let delay = took.mul_f64(rng.random_range(0.05..0.6));
        let mut child =
            command(&dir, &out).arg("--resume").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        if out.exists() {
            assert_eq!(timeless(read_trial(&out).unwrap()), expected, "kill {kill} after {delay:?}: a whole record");
            break;
        }
    }
    let o = command(&dir, &out).arg("--resume").stdout(Stdio::null()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(timeless(read_trial(&out).unwrap()), expected);
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.ends_with(".ckpt"))
        .collect();
    assert!(left.is_empty(), "no checkpoint or temporary is left: {left:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_arguments_are_one_line_and_status_2() {
    let dir = scratch("bad");
    let out = dir.join("x.trial.cbor");
    let run = |extra: &[&str]| {
        let o = command(&dir, &out).args(extra).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("train-images-idx3-ubyte") && stderr.lines().count() == 1, "{stderr}");
    dataset(&dir, 200);
    let (code, stderr) = run(&["--subset", "0"]);
    assert_eq!((code, stderr.trim()), (Some(2), "nb102-train: invalid subset: expected a positive number, found 0"));
    let o = Command::new(env!("CARGO_BIN_EXE_nb102-train")).args(["run", "--setting", "mnist"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // A record that merge would not collect is refused before any work.
    let o = command(&dir, &dir.join("x")).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected a file name ending in .trial.cbor") && stderr.lines().count() == 1, "{stderr}");
    // A damaged checkpoint is not resumed from: the trial starts over.
    std::fs::write(dir.join("x.trial.cbor.ckpt"), b"not a checkpoint").unwrap();
    let (code, stderr) = run(&["--resume", "--subset", "20"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("x.trial.cbor.ckpt: expected a CBOR checkpoint, found"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A run's config as a file (`--config`, or `-` for standard input) trains what the options that make it train;
/// the record keeps that config and its hash; `--epochs` stops the schedule early, on the schedule's learning
/// rates, and the record is of the schedule.
#[test]
fn a_config_file_trains_what_its_options_train() {
    let dir = scratch("config");
    dataset(&dir, 400);
    let run = |extra: &[&str], out: &str, stdin: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nb102-train"));
        cmd.arg("run").args(extra).args(["--device", "cpu", "--quiet", "--data-dir"]).arg(&dir);
        let mut child =
            cmd.arg("--out").arg(dir.join(out)).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            std::io::Write::write_all(&mut input, text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    };
    let options = ["--arch", "1462", "--setting", "fashion-mnist", "--seed", "3", "--channels", "2", "--cells", "1"];
    let options = [&options[..], &["--subset", "200", "--batch-size", "64"]].concat();
    assert!(run(&[&options[..], &["--hp", "3", "--epochs", "2"]].concat(), "a.trial.cbor", None).status.success());
    let early = read_trial(&dir.join("a.trial.cbor")).unwrap();
    assert_eq!((early.hp, early.train.len(), early.is_whole()), (nb102_store::Hp::new(3), 2, false));
    let config = nb102_protocol::RunConfig::of_record(&early, &dir).unwrap().unwrap();
    assert_eq!((config.hp.epochs(), config.epochs, config.subset, config.batch_size), (3, 2, Some(200), 64));
    assert_eq!(early.provenance.config_hash, Some(config.hash()));

    let file = dir.join("run.json");
    nb102_protocol::write_json(&file, &config).unwrap();
    let out = run(&["--config", file.to_str().unwrap()], "b.trial.cbor", None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = nb102_protocol::to_json(&config);
    assert!(run(&["--config", "-"], "c.trial.cbor", Some(&text)).status.success());
    // xautodl's names (the seed's train-a-net.sh NAME) train their cells: all_c3x3 is cell 1462.
    let named: Vec<&str> = options.iter().map(|&o| if o == "1462" { "all_c3x3" } else { o }).collect();
    assert!(run(&[&named[..], &["--hp", "3", "--epochs", "2"]].concat(), "f.trial.cbor", None).status.success());
    for name in ["b.trial.cbor", "c.trial.cbor", "f.trial.cbor"] {
        assert_eq!(timeless(read_trial(&dir.join(name)).unwrap()), timeless(early.clone()), "{name}");
    }
    // xautodl's all_full (every op but none on every edge) trains like any cell; its record names the network by
    // its structure string, and no benchmark takes it.
    let full: Vec<&str> = options.iter().map(|&o| if o == "1462" { "all_full" } else { o }).collect();
    assert!(run(&[&full[..], &["--hp", "1"]].concat(), "g.trial.cbor", None).status.success());
    let record = read_trial(&dir.join("g.trial.cbor")).unwrap();
    assert_eq!(record.arch, nb102_space::Genotype::ALL_FULL.into());
    assert!(record.params_mb > early.params_mb && record.train[0].loss.is_finite());
    let meta = BenchmarkMeta { description: "all_full".into(), kind: BenchmarkKind::Demo };
    let refused = nb102_store::merge(meta, [("g".to_owned(), record)]).unwrap_err().to_string();
    assert!(refused.contains("expected a cell of the NAS-Bench-201 space"), "{refused}");

    // NATS-Bench's size space: a channel string trains its network (infer.shape.tiny) under the same protocol, and
    // the record goes into a benchmark file of that space.
    let size = ["--arch", "8:8:16:8:16", "--setting", "fashion-mnist", "--seed", "3", "--hp", "1"];
    let size = [&size[..], &["--subset", "200", "--batch-size", "64"]].concat();
    assert!(run(&size, "s.trial.cbor", None).status.success());
    let record = read_trial(&dir.join("s.trial.cbor")).unwrap();
    let widths: nb102_space::Channels = "8:8:16:8:16".parse().unwrap();
    assert_eq!(record.arch.in_space(), Some((nb102_space::Space::Size, widths.official_index())));
    assert_eq!((record.net.channels, record.net.cells, record.train.len()), (8, 1, 1));
    let costs = nb102_space::SizeConfig::nats(widths, nb102_space::Dataset::FashionMnist).costs().unwrap();
    assert_eq!((record.params_mb, record.flops_m), (costs.params_mb(), costs.flops_m()));
    let meta = BenchmarkMeta { description: "size".into(), kind: BenchmarkKind::Demo };
    let merged = nb102_store::merge(meta, [("s".to_owned(), record)]).unwrap();
    let path = nb102_store::write_benchmark(&merged, &dir.join("size")).unwrap();
    assert_eq!(nb102_store::BenchmarkFile::open(&path).unwrap().space(), nb102_space::Space::Size);
    let out = run(&[&size[..], &["--channels", "16"]].concat(), "t.trial.cbor", None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected none for a size-space network"), "{stderr}");

    // The schedule's cosine, not the epochs trained: a 2-epoch schedule trains epoch 0 alike, epoch 1 at another rate.
    assert!(run(&[&options[..], &["--hp", "2"]].concat(), "d.trial.cbor", None).status.success());
    let short = read_trial(&dir.join("d.trial.cbor")).unwrap();
    assert!(short.is_whole());
    assert_eq!(short.train[0].loss, early.train[0].loss);
    assert_ne!(short.train[1].loss, early.train[1].loss);

    // A config and the options that make one are either-or; a file that is not a config is one line, status 2.
    let out = run(&["--config", file.to_str().unwrap(), "--hp", "12"], "e.trial.cbor", None);
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(&file, "{\"arch\": 3}").unwrap();
    let out = run(&["--config", file.to_str().unwrap()], "e.trial.cbor", None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected a training config") && stderr.lines().count() == 1, "{stderr}");
    let out = run(&[&options[..], &["--hp", "3", "--epochs", "4"]].concat(), "e.trial.cbor", None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid epochs: expected 1..=3 (the schedule's), found 4"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
