//! What the store writes and reads besides the formats themselves: outputs that are not regular files, writers
//! sharing a folder (threads, other machines, killed ones), and inputs that are not regular files or never end.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

mod common;

use common::{writer_temporary, TempDir};
use nb102_space::Arch;
use nb102_store::{
    check_output, check_output_prefix, read_summary_table, read_trial, remove_stale_temporaries, temporary_path,
    write_atomically, BenchmarkFile, BenchmarkKind, BenchmarkMeta, BenchmarkWriter, CellResults, EvalPoint, EvalSet,
    Hp, NetConfig, Provenance, Setting, StoreError, TableColumn, TrainEpoch, TrialRecord, STALE_TEMPORARY_AGE,
};

fn fifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn an_output_that_is_not_a_regular_file_is_refused_and_left_as_it_was() {
    let dir = TempDir::new("outputs");
    let pipe = dir.0.join("pipe");
    fifo(&pipe);
    let folder = dir.0.join("folder");
    std::fs::create_dir(&folder).unwrap();
    for path in [&pipe, &folder] {
        let err = write_atomically(path, |f| std::io::Write::write_all(f, b"{}")).unwrap_err();
        assert!(matches!(err, StoreError::Output { .. }), "{err}");
        assert!(err.to_string().contains("expected a regular file or a new file"), "{err}");
        assert!(check_output(path).is_err());
    }
    assert!(std::fs::symlink_metadata(&pipe).unwrap().file_type().is_fifo());
    assert!(folder.is_dir());
    // A character device, refused without touching it (the rename would have replaced it).
    let err = check_output(Path::new("/dev/null")).unwrap_err();
    assert!(err.to_string().contains("a character device"), "{err}");

    // A symbolic link is written through: the target takes the content, the link stays a link.
    let target = dir.0.join("target.json");
    std::fs::write(&target, b"old").unwrap();
    let link = dir.0.join("link.json");
    std::os::unix::fs::symlink("target.json", &link).unwrap();
    write_atomically(&link, |f| std::io::Write::write_all(f, b"new")).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    // A link to a device is refused like the device.
    let to_device = dir.0.join("null.json");
    std::os::unix::fs::symlink("/dev/null", &to_device).unwrap();
    assert!(matches!(check_output(&to_device), Err(StoreError::Output { .. })));

    // Outputs in folders that do not exist are refused before any work, naming the folder.
    let missing = dir.0.join("no/such/out.json");
    let err = check_output(&missing).unwrap_err();
    assert!(err.to_string().contains("no folder"), "{err}");
    assert!(check_output_prefix(&dir.0.join("no/prefix")).is_err());
    assert!(check_output_prefix(&dir.0.join("prefix")).is_ok());
    assert!(check_output(&dir.0.join("new.json")).is_ok());
    // The check leaves nothing behind.
    let mut names: Vec<String> =
        std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["folder", "link.json", "null.json", "pipe", "target.json"]);
}

#[test]
fn only_provably_dead_writers_lose_their_temporary_files() {
    let dir = TempDir::new("stale");
    let out = dir.0.join("out.json");
    // Writers of this machine: a dead one (no such pid) and a live one (pid 1). Writers elsewhere (another host or
    // PID namespace) with the same pids: their processes cannot be seen from here. And any writer's file untouched
    // for longer than any writer pauses.
    let (dead_here, dead_elsewhere) =
        (writer_temporary(&out, 999_999_999, false), writer_temporary(&out, 999_999_999, true));
    let (live_here, live_elsewhere) = (writer_temporary(&out, 1, false), writer_temporary(&out, 1, true));
    let abandoned = writer_temporary(&out, 4242, true);
    for path in [&dead_here, &dead_elsewhere, &live_here, &live_elsewhere, &abandoned] {
        std::fs::write(path, b"partial").unwrap();
    }
    let old = SystemTime::now() - STALE_TEMPORARY_AGE - Duration::from_secs(60);
    std::fs::File::options().write(true).open(&abandoned).unwrap().set_modified(old).unwrap();
    remove_stale_temporaries(&dir.0, "out.json");
    assert!(!dead_here.exists() && !abandoned.exists());
    assert!(live_here.exists() && dead_elsewhere.exists() && live_elsewhere.exists());
    // Two names for one path never repeat, in a process or across threads.
    let names: std::collections::BTreeSet<PathBuf> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..8).map(|_| s.spawn(|| (0..100).map(|_| temporary_path(&out, "body")).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(names.len(), 800);
}

fn cell(index: usize, seed: u32) -> CellResults {
    let setting = Setting::Cifar10Valid;
    let mut eval = std::collections::BTreeMap::new();
    eval.insert(
        EvalSet::XValid,
        (0..12).map(|e| EvalPoint { epoch: e, loss: Some(1.0), accuracy: Some(50.0), time: Some(1.0) }).collect(),
    );
    eval.insert(EvalSet::OriTest, vec![EvalPoint { epoch: 11, loss: Some(1.0), accuracy: Some(51.0), time: None }]);
    CellResults::new(vec![TrialRecord {
        arch: Arch::from_official_index(index).unwrap().into(),
        setting,
        hp: Hp::H12,
        seed,
        net: NetConfig { channels: 16, cells: 5, classes: 10 },
        train: (0..12).map(|e| TrainEpoch { loss: 1.0, top1: 40.0 + f64::from(e), top5: None, time: None }).collect(),
        eval,
        params_mb: 0.5,
        flops_m: 70.0,
        latency: vec![],
        provenance: Provenance {
            producer: "test".into(),
            config_hash: None,
            config: None,
            device: None,
            dataset_fingerprint: None,
        },
        weights: None,
    }])
    .unwrap()
}

#[test]
fn writers_of_one_prefix_on_many_threads_each_write_a_good_file() {
    let dir = TempDir::new("writers");
    let prefix = dir.0.join("bench");
    let written: Vec<PathBuf> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let meta = BenchmarkMeta { description: "threads".into(), kind: BenchmarkKind::Synthetic };
                    let mut writer = BenchmarkWriter::create(&prefix, meta).unwrap();
                    for index in 0..200 {
                        writer.add_cell(index, &cell(index, 777)).unwrap();
                    }
                    writer.finish().unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(written.windows(2).all(|w| w[0] == w[1]), "one content, one name");
    let file = BenchmarkFile::open(&written[0]).unwrap();
    file.verify(|| {}).unwrap();
    assert_eq!(file.len(), 200);
    let left: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
}

#[test]
fn a_benchmark_file_without_its_digest_in_the_name_says_so() {
    let dir = TempDir::new("renamed");
    let meta = BenchmarkMeta { description: "renamed".into(), kind: BenchmarkKind::Synthetic };
    let mut writer = BenchmarkWriter::create(&dir.0.join("b"), meta).unwrap();
    writer.add_cell(11, &cell(11, 777)).unwrap();
    let path = writer.finish().unwrap();
    let digest = path.file_stem().unwrap().to_str().unwrap().rsplit_once('-').unwrap().1.to_owned();
    let renamed = dir.0.join("mine.nb102");
    std::fs::rename(&path, &renamed).unwrap();
    let err = BenchmarkFile::open(&renamed).err().unwrap().to_string();
    assert!(err.contains("a name ending in -XXXXXX.nb102") && err.contains(&format!("-{digest}.nb102")), "{err}");
}

#[test]
fn inputs_that_are_not_regular_files_are_refused_at_once() {
    let dir = TempDir::new("inputs");
    let pipe = dir.0.join("pipe.nb102");
    fifo(&pipe);
    // Opening a FIFO for reading would wait for a writer; reading /dev/zero would never end.
    let err = BenchmarkFile::open(&pipe).err().unwrap().to_string();
    assert!(err.contains("expected an nb102 benchmark file, found a FIFO"), "{err}");
    let err = read_trial(Path::new("/dev/zero")).unwrap_err().to_string();
    assert!(err.contains("expected an nb102 trial file (CBOR), found a character device"), "{err}");
    let err = read_summary_table(Path::new("/dev/zero"), &TableColumn::nb201()).unwrap_err().to_string();
    assert!(err.contains("found a character device"), "{err}");
    // A table whose line never ends is refused after a bounded read.
    let long = dir.0.join("long.csv");
    std::fs::write(&long, vec![b'9'; 3 << 20]).unwrap();
    let err = read_summary_table(&long, &TableColumn::nb201()).unwrap_err().to_string();
    assert!(err.contains("a line of more than"), "{err}");
    // A trial file larger than any trial is refused before it is read.
    let big = dir.0.join("big.trial.cbor");
    std::fs::File::create(&big).unwrap().set_len(nb102_store::MAX_TRIAL_FILE_BYTES + 1).unwrap();
    let err = read_trial(&big).unwrap_err().to_string();
    assert!(err.contains("more than the"), "{err}");
}
