//! Every algorithm end to end on real Fashion-MNIST (Debian's `dataset-fashion-mnist`, which `scripts/setup.sh`
//! installs; elsewhere `NB102_FASHION_MNIST_DIR`), small: killed after its first checkpoint and resumed, it ends
//! with the result of an uninterrupted run; bad arguments are one line and exit status 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nb102_protocol::{Algorithm, SearchResult};
use nb102_space::Arch;

fn fashion_mnist() -> PathBuf {
    let dir = std::env::var_os("NB102_FASHION_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    assert!(
        dir.join("train-images-idx3-ubyte.gz").exists(),
        "real Fashion-MNIST expected at {} (apt-get install dataset-fashion-mnist, as scripts/setup.sh does, or set \
         NB102_FASHION_MNIST_DIR), found none",
        dir.display()
    );
    dir
}

fn command(algorithm: Algorithm, out: &Path, resume: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nb102-weight-sharing"));
    cmd.args(["run", "--algorithm", algorithm.name(), "--setting", "fashion-mnist", "--seed", "7", "--data-dir"])
        .arg(fashion_mnist())
        .args(["--epochs", "3", "--channels", "4", "--cells", "1", "--subset", "192", "--batch-size", "32"])
        .args(["--select-num", "4", "--controller-steps", "2", "--device", "cpu", "--threads", "1", "--quiet", "--out"])
        .arg(out);
    if resume {
        cmd.arg("--resume");
    }
    cmd
}

fn read(path: &Path) -> SearchResult {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The result without wall times.
fn timeless(mut result: SearchResult) -> SearchResult {
    result.search_seconds = 0.0;
    for e in &mut result.epochs {
        e.time = 0.0;
    }
    result
}

#[test]
fn every_algorithm_runs_resumes_after_a_kill_and_derives_its_cell() {
    let dir = std::env::temp_dir().join(format!("nb102-ws-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for algorithm in Algorithm::ALL {
        let whole = dir.join(format!("{algorithm}-whole.json"));
        let output = command(algorithm, &whole, false).output().unwrap();
        assert!(output.status.success(), "{algorithm}: {}", String::from_utf8_lossy(&output.stderr));
        let reference = read(&whole);
        assert_eq!(reference.epochs.len(), 3);
        let cell: Arch = reference.cell.parse().unwrap();
        assert_eq!(
            (cell.official_index(), reference.epochs[2].genotype.as_str()),
            (reference.index, reference.cell.as_str())
        );
        assert!(reference.epochs.iter().all(|e| e.base_loss.is_finite() && e.time > 0.0), "{algorithm}");
        assert_eq!(reference.run.algorithm, algorithm);

        // Killed once its first epoch is checkpointed, then resumed.
        let killed = dir.join(format!("{algorithm}-killed.json"));
        let checkpoint = dir.join(format!("{algorithm}-killed.json.ckpt"));
        let mut child = command(algorithm, &killed, false).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let start = Instant::now();
        while !checkpoint.exists() && start.elapsed() < Duration::from_secs(300) {
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(checkpoint.exists(), "{algorithm}: no checkpoint");
        if killed.exists() {
            // The run finished before the kill landed: resume from a checkpoint of the first epoch instead.
            std::fs::remove_file(&killed).unwrap();
        }
        let output = command(algorithm, &killed, true).output().unwrap();
        assert!(output.status.success(), "{algorithm}: {}", String::from_utf8_lossy(&output.stderr));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("resumed after epoch"), "{algorithm}: {stderr}");
        assert_eq!(timeless(read(&killed)), timeless(reference), "{algorithm}: resumed run differs");
        assert!(!checkpoint.exists(), "the checkpoint is removed once the result is written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_are_one_line_and_status_2() {
    let out = std::env::temp_dir().join(format!("nb102-ws-bad-{}.json", std::process::id()));
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_nb102-weight-sharing")).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        stderr
    };
    let data = fashion_mnist();
    let data = data.to_str().unwrap();
    let o = out.to_str().unwrap();
    let base = ["run", "--setting", "fashion-mnist", "--seed", "1", "--data-dir", data, "--out", o];
    assert!(run(&[&base[..], &["--algorithm", "darts"]].concat()).contains("expected darts-v1, darts-v2"));
    assert!(run(&[&base[..], &["--algorithm", "gdas", "--epochs", "0"]].concat()).contains("invalid epochs"));
    let cifar = ["run", "--setting", "cifar10", "--seed", "1", "--data-dir", data, "--out", o, "--algorithm", "rsps"];
    assert!(run(&cifar).contains("expected"));
    // Options out of range are reported as given and refused before any search.
    let gdas = [&base[..], &["--algorithm", "setn"]].concat();
    assert!(run(&[&gdas[..], &["--select-num", "1000000000"]].concat()).contains("expected 1..=15625"));
    let enas = [&base[..], &["--algorithm", "enas"]].concat();
    assert!(run(&[&enas[..], &["--controller-steps", "1000000000"]].concat()).contains("expected 1..=10000"));
    assert!(run(&[&gdas[..], &["--batch-size", "18446744073709551615"]].concat()).contains("18446744073709551615"));
    assert!(!out.exists());
    // A subcommand's mistakes point at that subcommand's help.
    assert!(run(&["paper-seeds", "--algorithm", "darts"]).contains("see 'nb102-weight-sharing paper-seeds --help'"));

    // Outputs that cannot be one are refused before the data is read, and left as they were: a FIFO, a folder, a
    // folder that does not exist.
    let dir = std::env::temp_dir().join(format!("nb102-ws-outputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("folder")).unwrap();
    let pipe = dir.join("pipe.json");
    assert!(Command::new("mkfifo").arg(&pipe).status().unwrap().success());
    let missing = dir.join("no/such/out.json");
    for (path, found) in [(&pipe, "a FIFO"), (&dir.join("folder"), "a folder"), (&missing, "no folder")] {
        let args =
            ["run", "--algorithm", "rsps", "--setting", "fashion-mnist", "--seed", "1", "--data-dir", "/nonexistent"];
        let stderr = run(&[&args[..], &["--out", path.to_str().unwrap()]].concat());
        assert!(stderr.contains(found) && stderr.contains("expected a regular file"), "{stderr}");
    }
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&std::fs::symlink_metadata(&pipe).unwrap().file_type()));
    assert!(!dir.join("pipe.json.ckpt").exists());

    // A folder it cannot write in is the machine's failure (status 1), found before the search, named plainly.
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o500)).unwrap();
    let writable = std::fs::File::create(locked.join("probe")).is_ok();
    if !writable {
        let output = Command::new(env!("CARGO_BIN_EXE_nb102-weight-sharing"))
            .args(["run", "--algorithm", "rsps", "--setting", "fashion-mnist", "--seed", "1", "--data-dir", data])
            .arg("--out")
            .arg(locked.join("out.json"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("Permission denied") && !stderr.contains(".tmp-") && !stderr.contains("Os {"),
            "{stderr}"
        );
    }
    // (As root, permissions do not stop a write: only a test run by another user sees this case.)
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A full disk is the machine's failure (status 1), named with the file it could not write and the system's
/// words, not a temporary file or Rust's Debug text. The disk is a 16 kB tmpfs mounted in a mount namespace of
/// the command's own (`unshare -m`, where this machine allows it).
#[test]
fn a_full_disk_is_status_1_in_plain_words() {
    let dir = std::env::temp_dir().join(format!("nb102-ws-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mount = format!("mount -t tmpfs -o size=16k tmpfs '{}'", dir.display());
    let probe = Command::new("unshare").args(["-m", "sh", "-c", &mount]).stderr(Stdio::null()).status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: this machine gives no mount namespace (unshare -m) to mount a small file system in");
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let out = dir.join("out.json");
    let mut search = command(Algorithm::Rsps, &out, false);
    let words: Vec<String> = std::iter::once(search.get_program())
        .chain(search.get_args())
        .map(|w| format!("'{}'", w.to_str().unwrap().replace('\'', r"'\''")))
        .collect();
    let script = format!("mount -t tmpfs -o size=16k tmpfs '{}' && exec {}", dir.display(), words.join(" "));
    search = Command::new("unshare");
    let output = search.args(["-m", "sh", "-c", &script]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(last.contains("No space left on device") && last.contains("out.json"), "{stderr}");
    assert!(!last.contains(".tmp-") && !last.contains("Os {"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
