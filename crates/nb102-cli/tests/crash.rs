//! Crash consistency of every writer of `nb102`: `merge`, `simplify` and the three imports are killed with SIGKILL
//! at many moments (seeded, spread over an uninterrupted run's duration). After each kill every file with a final
//! name is whole and valid, the file the uninterrupted run wrote, or absent; a rerun ends with that same file and
//! removes the temporaries the killed runs left. Two writers of one output at once both succeed with one whole
//! file; a full disk is one line, exit status 1 and no file at all.
//!
//! Where a kill lands depends on the machine's speed; what is asserted holds wherever it lands.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nb102_store::{write_trial, BenchmarkFile};
use rand::{Rng, SeedableRng};

mod common;
use common::{trial, weights_of};

/// Kills per command.
const KILLS: usize = 12;

fn nb102() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nb102"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nb102-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files of `dir` that are not temporaries, and the temporaries.
fn listing(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.into_iter().partition(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
}

/// Runs `args` (writing into `out`) to completion: the path it printed and the file's bytes.
fn complete(args: &[String], out: &Path) -> (PathBuf, Vec<u8>, Duration) {
    let start = Instant::now();
    let o = nb102().args(args).output().unwrap();
    let took = start.elapsed();
    assert!(o.status.success(), "nb102 {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    let path = PathBuf::from(String::from_utf8(o.stdout).unwrap().trim_end());
    assert_eq!(path.parent(), Some(out));
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes, took)
}

/// Every final file in `out` is `expected` (its name and its bytes), whole and valid.
fn check_final_files(out: &Path, expected: &Path, bytes: &[u8], what: &str) {
    for file in listing(out).0 {
        assert_eq!(file, expected, "{what}: only the output's final name appears");
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "{what}: the final file is whole");
        BenchmarkFile::open(&file).unwrap().verify(|| {}).unwrap();
    }
}

/// Kills `args` at `KILLS` moments within its uninterrupted duration, checking `out` after each, then reruns it.
fn kill_and_rerun(name: &str, args: &[String], out: &Path, rng: &mut impl Rng) -> usize {
    std::fs::create_dir_all(out).unwrap();
    let (expected, bytes, took) = complete(args, out);
    std::fs::remove_file(&expected).unwrap();
    let mut interrupted = 0;
    for kill in 0..KILLS {
        // Spread over the run, a little past its end, so early and late moments are both tried.
        let delay = took.mul_f64(rng.random_range(0.0..1.2));
        let mut child = nb102().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        interrupted += usize::from(!status.success());
        check_final_files(out, &expected, &bytes, &format!("{name} killed after {delay:?} (kill {kill})"));
    }
    println!("{name}: {took:?} uninterrupted, {interrupted} of {KILLS} kills before the end");
    let (again, again_bytes, _) = complete(args, out);
    assert_eq!((again, again_bytes), (expected.clone(), bytes), "{name}: the rerun writes the same file");
    let (finals, temporaries) = listing(out);
    assert_eq!(finals, [expected], "{name}");
    assert!(temporaries.is_empty(), "{name}: the rerun removed the killed runs' temporaries: {temporaries:?}");
    interrupted
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

#[test]
fn killed_writers_leave_whole_files_and_reruns_finish() {
    let root = scratch("kills");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(102);
    // Enough trials, with weights, that writing takes a while: 400 cells, 3 seeds, 64 kB of weights each.
    let runs = root.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    for (k, index) in (0..15_625).step_by(39).take(400).enumerate() {
        for seed in [777, 888, 999] {
            let mut t = trial(index, seed);
            t.weights = Some(weights_of((k % 251) as u8, 16_384));
            write_trial(&runs.join(format!("{index:05}-{seed}.trial.cbor")), &t).unwrap();
        }
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data");
    let pth = root.join("bench.pth");
    let mut decoded = Vec::new();
    bzip2::read::BzDecoder::new(std::fs::File::open(fixtures.join("nb201/bench-zip.pth.bz2")).unwrap())
        .read_to_end(&mut decoded)
        .unwrap();
    std::fs::write(&pth, decoded).unwrap();
    let table = root.join("table.csv");
    let mut csv = String::from("index,c10valid_valid_12ep,c10_test_12ep\n");
    for i in 0..15_625 {
        csv += &format!("{i},{:.2},{:.2}\n", 10.0 + (i % 800) as f64 / 10.0, 11.0 + (i % 700) as f64 / 10.0);
    }
    std::fs::write(&table, csv).unwrap();
    let columns =
        ["--column", "c10valid_valid_12ep=cifar10-valid:12:x-valid", "--column", "c10_test_12ep=cifar10:12:ori-test"];

    let merged_dir = root.join("merged");
    let mut cases: Vec<(&str, Vec<String>, PathBuf)> = vec![(
        "merge",
        vec!["merge".into(), s(&runs), "-o".into(), s(&merged_dir.join("m")), "--kind".into(), "demo".into()],
        merged_dir.clone(),
    )];
    let imports = root.join("imports");
    cases.push((
        "import nats-tss",
        vec![
            "import".into(),
            "nats-tss".into(),
            s(&fixtures.join("nats-like")),
            "-o".into(),
            s(&imports.join("nats").join("n")),
        ],
        imports.join("nats"),
    ));
    cases.push((
        "import nb201-pth",
        vec!["import".into(), "nb201-pth".into(), s(&pth), "-o".into(), s(&imports.join("pth").join("p"))],
        imports.join("pth"),
    ));
    let mut table_args =
        vec!["import".into(), "table".into(), s(&table), "-o".into(), s(&imports.join("table").join("t"))];
    table_args.extend(columns.map(str::to_owned));
    cases.push(("import table", table_args, imports.join("table")));

    let mut interrupted = 0;
    for (name, args, out) in &cases {
        interrupted += kill_and_rerun(name, args, out, &mut rng);
    }
    // simplify, of the merged file.
    let merged = listing(&merged_dir).0.remove(0);
    let simple = root.join("simple");
    let args = vec!["simplify".into(), s(&merged), "-o".into(), s(&simple.join("s"))];
    interrupted += kill_and_rerun("simplify", &args, &simple, &mut rng);
    // Most kills land before the end (the rest after it, which must be harmless too).
    assert!(interrupted >= KILLS * 5 / 2, "{interrupted} of {} runs were interrupted", KILLS * 5);

    // Two writers of the same output at once: both succeed, and the file is whole.
    let both = root.join("both");
    std::fs::create_dir_all(&both).unwrap();
    let args = ["merge".to_owned(), s(&runs), "-o".into(), s(&both.join("m")), "--kind".into(), "demo".into()];
    let children: Vec<_> = (0..2).map(|_| nb102().args(&args).stdout(Stdio::piped()).spawn().unwrap()).collect();
    for child in children {
        assert!(child.wait_with_output().unwrap().status.success());
    }
    let (finals, temporaries) = listing(&both);
    assert_eq!((finals.len(), temporaries.len()), (1, 0), "{finals:?} {temporaries:?}");
    assert_eq!(std::fs::read(&finals[0]).unwrap(), std::fs::read(&merged).unwrap());
    std::fs::remove_dir_all(&root).unwrap();
}

/// A disk that fills up: a 1 MiB tmpfs in a mount namespace of this test's own (`unshare`, as root or in a user
/// namespace), where `merge` of 6 MB of trials cannot fit.
#[test]
fn a_full_disk_is_one_line_and_no_file() {
    let root = scratch("full");
    let runs = root.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    for index in 0..100 {
        let mut t = trial(index, 777);
        t.weights = Some(weights_of(1, 16_384));
        write_trial(&runs.join(format!("{index}.trial.cbor")), &t).unwrap();
    }
    let disk = root.join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs {disk} || exit 99; {nb102} merge {runs} -o {disk}/m --kind demo; \
         echo \"status $?\"; ls -A {disk}",
        disk = s(&disk),
        nb102 = env!("CARGO_BIN_EXE_nb102"),
        runs = s(&runs)
    );
    let namespaces: [&[&str]; 2] = [&["--mount"], &["--map-root-user", "--mount"]];
    let o = namespaces
        .iter()
        .map(|flags| Command::new("unshare").args(*flags).args(["sh", "-c", &script]).output())
        .find(|o| o.as_ref().is_ok_and(|o| o.status.code() != Some(99) && o.status.code() != Some(1)))
        .expect("unshare and a tmpfs mount: as root, or with user namespaces")
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout.trim(), "status 1", "exit status 1 and an empty disk (no file, no temporary): {stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("nb102: ") && stderr.contains(&s(&disk.join("m"))), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    std::fs::remove_dir_all(&root).unwrap();
}
