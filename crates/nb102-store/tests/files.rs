//! Trial files, merge, simplify and benchmark files, end to end on disk.

use std::collections::BTreeMap;
use std::path::Path;

mod common;

use common::{writer_temporary, TempDir};
use nb102_space::Arch;
use nb102_store::{
    find_trial_files, import_nats, merge, read_trial, simplify, write_benchmark, write_trial, BenchmarkFile,
    BenchmarkKind, BenchmarkMeta, EvalPoint, EvalSet, Hp, NetConfig, Provenance, Setting, StoreError, TrainEpoch,
    TrialKey, TrialRecord, BENCHMARK_FORMAT_VERSION,
};
use sha2::{Digest, Sha256};

fn record(index: usize, setting: Setting, hp: Hp, seed: u32) -> TrialRecord {
    let epochs = hp.epochs();
    let x = (index as f64 + f64::from(seed)) / 1000.0;
    let train = (0..epochs)
        .map(|e| TrainEpoch {
            loss: (2.0 + x) / (1.0 + f64::from(e)),
            top1: 10.0 + f64::from(e) + x,
            top5: Some(50.0),
            time: Some(7.25),
        })
        .collect();
    let mut eval = BTreeMap::new();
    // The sets a trial of the setting has: x-valid where there is one, always ori-test.
    let valid = setting.eval_sets().contains(&EvalSet::XValid).then_some(EvalSet::XValid);
    eval.extend(valid.map(|set| {
        (
            set,
            (0..epochs)
                .map(|e| EvalPoint { epoch: e, loss: Some(1.5), accuracy: Some(40.0 + x), time: Some(1.0) })
                .collect(),
        )
    }));
    eval.insert(
        EvalSet::OriTest,
        vec![EvalPoint { epoch: epochs - 1, loss: Some(1.25), accuracy: Some(45.5 + x), time: None }],
    );
    TrialRecord {
        arch: Arch::from_official_index(index).unwrap().into(),
        setting,
        hp,
        seed,
        net: NetConfig { channels: 16, cells: 5, classes: setting.dataset().classes() as u32 },
        train,
        eval,
        params_mb: 0.5 + x,
        flops_m: 70.0 + x,
        latency: vec![0.01, 0.011],
        provenance: Provenance {
            producer: "test".into(),
            config_hash: Some("abc".into()),
            config: None,
            device: None,
            dataset_fingerprint: None,
        },
        weights: Some(weights(index as u8)),
    }
}

fn meta() -> BenchmarkMeta {
    BenchmarkMeta { description: "test benchmark".into(), kind: BenchmarkKind::Demo }
}

fn records() -> Vec<TrialRecord> {
    let mut all = Vec::new();
    for index in [11472, 0, 1462] {
        for setting in [Setting::Cifar10Valid, Setting::Cifar100] {
            for seed in [777, 888] {
                all.push(record(index, setting, Hp::new(3), seed));
            }
        }
        all.push(record(index, Setting::Cifar10Valid, Hp::new(5), 111));
    }
    all
}

/// A small safetensors file (one `f32` tensor `w` holding `v`), as a record's weights.
fn weights(v: u8) -> Vec<u8> {
    let data = [v, 0, 0, 0];
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1], &data).unwrap();
    safetensors::serialize([("w", view)], None).unwrap()
}

fn labelled(records: &[TrialRecord]) -> Vec<(String, TrialRecord)> {
    records.iter().map(|r| (r.describe(), r.clone())).collect()
}

#[test]
fn trial_files_round_trip_and_refuse_other_versions_and_garbage() {
    let dir = TempDir::new("trial");
    let r = record(1, Setting::ImageNet16_120, Hp::H12, 777);
    let path = dir.0.join("a.trial.cbor");
    write_trial(&path, &r).unwrap();
    assert_eq!(read_trial(&path).unwrap(), r);
    assert_eq!(find_trial_files(std::slice::from_ref(&dir.0)).unwrap().files, vec![path.clone()]);

    // What merge would not take is named, with the reason; a rewrite removes the temporaries of this machine's
    // dead writers (pid 999999999 does not exist) and keeps a live writer's (pid 1 always runs).
    let (stale, live) = (writer_temporary(&path, 999_999_999, false), writer_temporary(&path, 1, false));
    for other in ["x", "x.trial.cbor.ckpt"].map(|n| dir.0.join(n)).iter().chain([&stale, &live]) {
        std::fs::write(other, b"partial").unwrap();
    }
    let found = find_trial_files(std::slice::from_ref(&dir.0)).unwrap();
    let reasons: Vec<(String, &str)> =
        found.skipped.iter().map(|(p, why)| (p.file_name().unwrap().to_string_lossy().into_owned(), *why)).collect();
    assert_eq!(
        reasons,
        [
            (live.file_name().unwrap().to_string_lossy().into_owned(), "a temporary file of an unfinished write"),
            (stale.file_name().unwrap().to_string_lossy().into_owned(), "a temporary file of an unfinished write"),
            ("x".into(), "not named *.trial.cbor"),
            ("x.trial.cbor.ckpt".into(), "a checkpoint of an unfinished training run"),
        ]
    );
    write_trial(&path, &r).unwrap();
    assert!(!stale.exists() && live.exists(), "a dead writer's temporary goes, a live one's stays");
    std::fs::remove_file(&live).unwrap();
    for n in ["x", "x.trial.cbor.ckpt"] {
        std::fs::remove_file(dir.0.join(n)).unwrap();
    }

    // A later version: same envelope, version 3.
    let bytes = std::fs::read(&path).unwrap();
    let mut value: ciborium::Value = ciborium::from_reader(bytes.as_slice()).unwrap();
    if let ciborium::Value::Map(entries) = &mut value {
        for (k, v) in entries.iter_mut() {
            if k.as_text() == Some("version") {
                *v = ciborium::Value::Integer(3.into());
            }
        }
    }
    let v3 = dir.0.join("v3.trial.cbor");
    let mut out = Vec::new();
    ciborium::into_writer(&value, &mut out).unwrap();
    std::fs::write(&v3, out).unwrap();
    assert!(matches!(read_trial(&v3), Err(StoreError::Version { expected: 2, found: 3, .. })));

    let truncated = dir.0.join("t.trial.cbor");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let message = read_trial(&truncated).unwrap_err().to_string();
    assert!(message.contains("expected an nb102 trial file (CBOR)"), "{message}");
    assert!(matches!(read_trial(&dir.0.join("missing.trial.cbor")), Err(StoreError::Io { .. })));

    let mut bad = r.clone();
    bad.train.push(bad.train[0]);
    let message = write_trial(&dir.0.join("bad.trial.cbor"), &bad).unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid record cell 1 ImageNet16-120 hp=12 seed=777: expected 1 to 12 train epochs (the schedule's, or \
         fewer for a run stopped early), found 13"
    );

    // A run stopped early is a record of its schedule with the epochs it trained, but not a benchmark's trial.
    let mut early = r.clone();
    early.train.truncate(11);
    early.eval.values_mut().for_each(|points| points.retain(|p| p.epoch < 11));
    let path = dir.0.join("early.trial.cbor");
    write_trial(&path, &early).unwrap();
    let read = read_trial(&path).unwrap();
    assert!(read == early && !read.is_whole());
    assert_eq!(
        read.metrics(None, None),
        Err(nb102_store::MetricError::Missing("epoch 11: the run stopped after 11 epochs".into()))
    );
    assert_eq!(read.metrics(None, Some(10)).unwrap().epoch, 10);
    let message = merge(meta(), [("early".to_owned(), early)]).unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid record cell 1 ImageNet16-120 hp=12 seed=777 (early): expected a whole run: the schedule's 12 \
         epochs trained, found 11 (a run stopped early)"
    );
}

#[test]
fn merge_is_independent_of_input_order_and_byte_identical() {
    let dir = TempDir::new("order");
    let forward = merge(meta(), labelled(&records())).unwrap();
    let mut reversed_records = records();
    reversed_records.reverse();
    let reversed = merge(meta(), labelled(&reversed_records)).unwrap();
    assert_eq!(forward, reversed);
    let a = write_benchmark(&forward, &dir.0.join("a")).unwrap();
    let b = write_benchmark(&reversed, &dir.0.join("b")).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(a.file_name().unwrap().to_str().unwrap()[2..], b.file_name().unwrap().to_str().unwrap()[2..]);
    assert_eq!(forward.num_trials(), 15);
    // Identical duplicates are one trial.
    let doubled: Vec<_> = records().into_iter().chain(records()).collect();
    assert_eq!(merge(meta(), labelled(&doubled)).unwrap(), forward);
}

#[test]
fn conflicting_duplicates_name_both_sources() {
    let original = record(5, Setting::Cifar10, Hp::H12, 888);
    let mut changed = original.clone();
    changed.train[3].loss += 1e-9;
    let err =
        merge(meta(), vec![("runs/b.trial.cbor".to_owned(), changed), ("runs/a.trial.cbor".to_owned(), original)])
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "conflicting results for cell 5 cifar10 hp=12 seed=888: runs/a.trial.cbor and runs/b.trial.cbor differ"
    );
}

#[test]
fn benchmark_files_read_lazily_and_check_every_byte() {
    let dir = TempDir::new("bench");
    let benchmark = merge(meta(), labelled(&records())).unwrap();
    let path = write_benchmark(&benchmark, &dir.0.join("demo")).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("demo-") && name.ends_with(".nb102") && name.len() == "demo-".len() + 6 + 6, "{name}");

    let file = BenchmarkFile::open(&path).unwrap();
    assert_eq!(file.meta(), &meta());
    assert!(file.digest().ends_with(&name[5..11]));
    assert_eq!(file.indices().collect::<Vec<_>>(), vec![0, 1462, 11472]);
    let cell = file.cell(11472).unwrap().unwrap();
    assert_eq!(*cell, benchmark.cells()[&11472]);
    assert_eq!(cell.space_index().1, 11472);
    let key = TrialKey { hp: Hp::new(3), setting: Setting::Cifar100, seed: 888 };
    assert_eq!(cell.trial(key).unwrap(), &record(11472, Setting::Cifar100, Hp::new(3), 888));
    assert!(file.cell(1).unwrap().is_none());
    assert!(file.cell(99_999).unwrap().is_none());
    assert_eq!(file.to_merged().unwrap(), benchmark);
    // One summary row per trial, in file order, with the last-epoch accuracies of TrialRecord::metrics.
    let rows = file.summary().unwrap();
    let trials: Vec<_> = benchmark.cells().iter().flat_map(|(i, c)| c.trials().iter().map(move |t| (*i, t))).collect();
    assert_eq!(rows.len(), trials.len());
    for (row, (index, t)) in rows.iter().zip(trials) {
        assert_eq!(
            (row.index, row.hp, row.setting, row.seed, row.flops_m, row.params_mb),
            (index, t.hp, t.setting, Some(t.seed), t.flops_m, t.params_mb)
        );
        assert_eq!(
            row.accuracy(Some(EvalSet::XValid)),
            t.metrics(Some(EvalSet::XValid), None).ok().map(|m| m.accuracy)
        );
        assert_eq!(row.accuracy(None), Some(t.train.last().unwrap().top1));
        assert_eq!(row.accuracy(Some(EvalSet::XTest)), None);
    }

    // A bounded cache: a cell dropped from it decodes again to the same records, one still in it is shared.
    file.set_cached_cells(1);
    let again = file.cell(0).unwrap().unwrap();
    let first = file.cell(11472).unwrap().unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &cell) && *first == *cell, "cell 11472 was evicted and decoded again");
    assert!(std::sync::Arc::ptr_eq(&first, &file.cell(11472).unwrap().unwrap()));
    assert_eq!(*again, benchmark.cells()[&0]);
    file.set_cached_cells(nb102_store::DEFAULT_CACHED_CELLS);

    // Shared by threads.
    std::thread::scope(|s| {
        for index in [0, 1462, 11472, 0] {
            let file = &file;
            s.spawn(move || assert_eq!(file.cell(index).unwrap().unwrap().space_index().1, index));
        }
    });

    // Simplify drops the weights and changes the digest.
    let simple = simplify(&benchmark);
    assert!(simple.cells().values().flat_map(|c| c.trials()).all(|t| t.weights.is_none()));
    let simple_path = write_benchmark(&simple, &dir.0.join("demo")).unwrap();
    assert_ne!(simple_path, path);

    // A renamed file fails the name check; a flipped byte in a section fails when that cell is read.
    let renamed = dir.0.join("demo-000000.nb102");
    std::fs::copy(&path, &renamed).unwrap();
    assert!(matches!(BenchmarkFile::open(&renamed), Err(StoreError::Checksum { .. })));
    // The file ends with the summary (80 bytes per trial), preceded by the last cell's section.
    let clean = std::fs::read(&path).unwrap();
    let summary_start = clean.len() - 80 * benchmark.num_trials();
    let corrupt = dir.0.join("corrupt").join(&name);
    std::fs::create_dir_all(corrupt.parent().unwrap()).unwrap();
    let mut bytes = clean.clone();
    bytes[summary_start - 10] ^= 0xff;
    std::fs::write(&corrupt, &bytes).unwrap();
    let damaged = BenchmarkFile::open(&corrupt).unwrap();
    assert!(damaged.cell(0).unwrap().is_some());
    assert!(matches!(damaged.cell(11472), Err(StoreError::Checksum { .. })));
    assert!(damaged.summary().is_ok());
    let mut bytes = clean.clone();
    bytes[summary_start + 20] ^= 0xff;
    std::fs::write(&corrupt, &bytes).unwrap();
    assert!(matches!(BenchmarkFile::open(&corrupt).unwrap().summary(), Err(StoreError::Checksum { .. })));
    // Truncation and other files.
    std::fs::write(&corrupt, &bytes[..15]).unwrap();
    assert!(matches!(BenchmarkFile::open(&corrupt), Err(StoreError::Format { .. })));
    std::fs::write(&corrupt, b"not a benchmark at all").unwrap();
    let message = BenchmarkFile::open(&corrupt).err().unwrap().to_string();
    assert!(message.ends_with("expected an nb102 benchmark file, found no NB102BEN header"), "{message}");
}

#[test]
fn unknown_benchmark_versions_are_refused() {
    let dir = TempDir::new("version");
    let path = write_benchmark(&merge(meta(), labelled(&records()[..2])).unwrap(), &dir.0.join("v")).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8] = 9;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(BenchmarkFile::open(Path::new(&path)), Err(StoreError::Version { expected: 6, found: 9, .. })));
}

#[test]
fn version_3_files_are_read() {
    // Version 3 lacks only summary-only records: its files are read as they are, under their digest.
    let dir = TempDir::new("version3");
    let path = write_benchmark(&merge(meta(), labelled(&records()[..2])).unwrap(), &dir.0.join("v")).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8] = 3;
    let header_end = 20 + u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    let digest: String = Sha256::digest(&bytes[..header_end]).iter().map(|b| format!("{b:02x}")).collect();
    let old = dir.0.join(format!("v-{}.nb102", &digest[58..]));
    std::fs::write(&old, &bytes).unwrap();
    let file = BenchmarkFile::open(&old).unwrap();
    assert_eq!(file.version(), 3);
    assert_eq!(file.summary().unwrap(), BenchmarkFile::open(&path).unwrap().summary().unwrap());
}

#[test]
fn version_4_files_read_as_they_were_written() {
    // Made by the last build that wrote version 4 (scripts/golden/benchmark_v4.sh), from the archive imported here.
    let dir = TempDir::new("version4");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let old = dir.0.join("nats-5d6eb6.nb102");
    let compressed = std::fs::File::open(data.join("v4/nats-5d6eb6.nb102.bz2")).unwrap();
    std::io::copy(&mut bzip2::read::BzDecoder::new(compressed), &mut std::fs::File::create(&old).unwrap()).unwrap();
    let old = BenchmarkFile::open(&old).unwrap();
    assert_eq!(old.version(), 4);
    old.verify(|| {}).unwrap();
    let new =
        import_nats(&data.join("nats-like"), nb102_space::Space::Topology, &dir.0.join("nats"), |_, _| {}).unwrap();
    let new = BenchmarkFile::open(&new).unwrap();
    // A file without proxy scores is written as version 5; version 6 adds their section.
    assert_eq!((new.version(), BENCHMARK_FORMAT_VERSION), (5, 6));
    let (old, new) = (old.to_merged().unwrap(), new.to_merged().unwrap());
    assert_eq!(old, new);
    // The fixture holds every form a column takes: full, empty, and with some values missing.
    let trials: Vec<&TrialRecord> = new.cells().values().flat_map(|c| c.trials()).collect();
    let points = || trials.iter().flat_map(|t| t.eval.values().flatten());
    assert!(points().any(|p| p.accuracy.is_none()) && points().any(|p| p.accuracy.is_some()));
    assert!(trials.iter().flat_map(|t| &t.train).all(|e| e.top5.is_none()));
}

/// A benchmark file taken apart: the preamble's first 12 bytes (magic, version), the header, each cell's
/// section in header order and the summary; put back together by [`Parts::seal`] with every checksum recomputed,
/// as a buggy writer or a crafted file would have them.
struct Parts {
    start: Vec<u8>,
    header: ciborium::Value,
    sections: Vec<Vec<u8>>,
    summary: Vec<u8>,
}

/// A cell section as written (`CellResults`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Section {
    trials: Vec<TrialRecord>,
}

fn field<'a>(map: &'a mut ciborium::Value, key: &str) -> &'a mut ciborium::Value {
    let ciborium::Value::Map(entries) = map else { panic!("a map") };
    &mut entries.iter_mut().find(|(k, _)| k.as_text() == Some(key)).unwrap().1
}

fn int(value: &mut ciborium::Value) -> usize {
    usize::try_from(value.as_integer().unwrap()).unwrap()
}

impl Parts {
    fn of(path: &Path) -> Parts {
        let bytes = std::fs::read(path).unwrap();
        let header_len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
        let body = &bytes[20 + header_len..];
        let mut header: ciborium::Value = ciborium::from_reader(&bytes[20..20 + header_len]).unwrap();
        let mut slice = |entry: &mut ciborium::Value| {
            let (offset, len) = (int(field(entry, "offset")), int(field(entry, "len")));
            body[offset..offset + len].to_vec()
        };
        let ciborium::Value::Array(cells) = field(&mut header, "cells") else { panic!("cells") };
        let sections = cells.iter_mut().map(&mut slice).collect();
        let summary = slice(field(&mut header, "summary"));
        Parts { start: bytes[..12].to_vec(), header, sections, summary }
    }

    fn records(&self, position: usize) -> Vec<TrialRecord> {
        ciborium::from_reader::<Section, _>(self.sections[position].as_slice()).unwrap().trials
    }

    fn set_records(&mut self, position: usize, trials: Vec<TrialRecord>) {
        self.sections[position].clear();
        ciborium::into_writer(&Section { trials }, &mut self.sections[position]).unwrap();
    }

    /// Writes the parts with recomputed offsets, checksums and name, and `trailing` bytes at the end.
    fn seal(mut self, dir: &Path, trailing: &[u8]) -> std::path::PathBuf {
        let mut body = Vec::new();
        let mut place = |entry: &mut ciborium::Value, bytes: &[u8]| {
            *field(entry, "offset") = (body.len() as u64).into();
            *field(entry, "len") = (bytes.len() as u64).into();
            *field(entry, "blake3") = blake3::hash(bytes).to_hex().to_string().into();
            body.extend_from_slice(bytes);
        };
        let ciborium::Value::Array(cells) = field(&mut self.header, "cells") else { panic!("cells") };
        for (entry, bytes) in cells.iter_mut().zip(&self.sections) {
            place(entry, bytes);
        }
        place(field(&mut self.header, "summary"), &self.summary);
        let mut header = Vec::new();
        ciborium::into_writer(&self.header, &mut header).unwrap();
        let mut file = self.start;
        file.extend_from_slice(&(header.len() as u64).to_le_bytes());
        file.extend_from_slice(&header);
        let digest: String = Sha256::digest(&file).iter().map(|b| format!("{b:02x}")).collect();
        file.extend_from_slice(&body);
        file.extend_from_slice(trailing);
        let path = dir.join(format!("crafted-{}.nb102", &digest[58..]));
        std::fs::write(&path, file).unwrap();
        path
    }
}

/// Files whose checksums were recomputed after an edit: every record is checked on read, `verify` checks the
/// summary against the sections, and stray bytes are refused, so nothing wrong is served or copied.
#[test]
fn crafted_files_with_valid_checksums_are_refused() {
    let dir = TempDir::new("crafted");
    let path = write_benchmark(&merge(meta(), labelled(&records())).unwrap(), &dir.0.join("demo")).unwrap();
    // Cells 0, 1462, 11472 in header order.
    let sealed = Parts::of(&path).seal(&dir.0, b"");
    let file = BenchmarkFile::open(&sealed).unwrap();
    assert!(file.verify(|| {}).is_ok(), "taking apart and sealing changes nothing");

    let refused = |edit: &dyn Fn(&mut TrialRecord), needle: &str| {
        let mut parts = Parts::of(&path);
        let mut trials = parts.records(0);
        edit(&mut trials[0]);
        parts.set_records(0, trials);
        let crafted = BenchmarkFile::open(&parts.seal(&dir.0, b"")).unwrap();
        let message = crafted.cell(0).unwrap_err().to_string();
        assert!(message.contains("a CBOR section for cell 0") && message.contains(needle), "{message}");
        assert!(nb102_store::simplify_file(&crafted, &dir.0.join("simple")).is_err());
        assert!(crafted.verify(|| {}).is_err());
    };
    refused(&|t| t.hp = Hp::new(2), "1 to 2 train epochs");
    refused(&|t| t.hp = Hp::new(4), "a whole run: the schedule's 4 epochs trained");
    refused(&|t| t.flops_m = -1.0, "finite non-negative params and flops");
    refused(&|t| t.params_mb = f64::INFINITY, "finite non-negative params and flops");
    refused(&|t| t.train[1].top1 = 250.0, "accuracies in 0..=100");
    refused(&|t| t.eval.get_mut(&EvalSet::XValid).unwrap()[0].accuracy = Some(f64::NAN), "an accuracy in 0..=100");
    refused(&|t| t.eval.get_mut(&EvalSet::OriTest).unwrap()[0].epoch = 40, "epochs increasing and below 3");
    refused(&|t| t.latency = vec![-1.0], "latencies >= 0 s");

    // A section holding another cell's records.
    let mut parts = Parts::of(&path);
    let other = parts.records(1);
    parts.set_records(0, other);
    let crafted = BenchmarkFile::open(&parts.seal(&dir.0, b"")).unwrap();
    assert!(crafted.cell(0).unwrap_err().to_string().contains("the records of cell 1462"));

    // A summary row that contradicts its section: served by queries, caught by verify.
    let mut parts = Parts::of(&path);
    parts.summary[40..48].copy_from_slice(&12.5f64.to_le_bytes());
    let crafted = BenchmarkFile::open(&parts.seal(&dir.0, b"")).unwrap();
    assert!(crafted.summary().is_ok());
    let message = crafted.verify(|| {}).unwrap_err().to_string();
    assert!(message.contains("summary rows of cell 0 that are those of its"), "{message}");
    // Implausible summary rows are refused when read.
    let mut parts = Parts::of(&path);
    parts.summary[16..24].copy_from_slice(&(-1.0f64).to_le_bytes());
    let message = BenchmarkFile::open(&parts.seal(&dir.0, b"")).unwrap().summary().unwrap_err().to_string();
    assert!(message.contains("row 0: implausible values"), "{message}");

    // Bytes after the last section.
    let message = BenchmarkFile::open(&Parts::of(&path).seal(&dir.0, b"extra")).err().unwrap().to_string();
    assert!(message.contains("5 stray bytes after the last section"), "{message}");
}

/// Implausible values are refused by the trial writer (and so by every reader, which validates the same way).
#[test]
fn implausible_trials_are_refused() {
    let dir = TempDir::new("implausible");
    let edits: [(&str, &dyn Fn(&mut TrialRecord)); 8] = [
        ("accuracies in 0..=100", &|t| t.train[0].top1 = 250.0),
        ("accuracies in 0..=100", &|t| t.train[0].top1 = -5.0),
        ("an accuracy in 0..=100", &|t| t.eval.get_mut(&EvalSet::OriTest).unwrap()[0].accuracy = Some(f64::NAN)),
        ("latencies >= 0 s", &|t| t.latency = vec![-1.0]),
        ("at least 1 channel", &|t| t.net.channels = 0),
        ("at least one evaluation", &|t| t.eval.clear()),
        ("weights as a safetensors file", &|t| t.weights = Some(b"garbage weight bytes".to_vec())),
        ("the sets of cifar10 (ori-test)", &|t| {
            let points = t.eval[&EvalSet::OriTest].clone();
            t.eval.insert(EvalSet::XTest, points);
        }),
    ];
    for (needle, edit) in edits {
        let mut t = record(5, Setting::Cifar10, Hp::H12, 888);
        edit(&mut t);
        let message = write_trial(&dir.0.join("t.trial.cbor"), &t).unwrap_err().to_string();
        assert!(message.contains(needle), "{needle}: {message}");
    }
}

/// The sets evaluated from the first epoch come first, as the official files list them: a 200-epoch run of
/// `cifar100` evaluated `ori-test` every epoch and `x-valid` and `x-test` at the end only.
#[test]
fn eval_order_is_the_official_files() {
    let mut r = record(1, Setting::Cifar100, Hp::new(3), 777);
    assert_eq!(r.eval_order(), [EvalSet::XValid, EvalSet::OriTest]);
    let every = (0..3).map(|e| EvalPoint { epoch: e, loss: Some(1.0), accuracy: Some(50.0), time: Some(1.0) });
    r.eval.insert(EvalSet::OriTest, every.collect());
    let at_end = vec![EvalPoint { epoch: 2, loss: Some(1.0), accuracy: Some(50.0), time: Some(1.0) }];
    r.eval.insert(EvalSet::XValid, at_end.clone());
    r.eval.insert(EvalSet::XTest, at_end);
    assert_eq!(r.eval_order(), [EvalSet::OriTest, EvalSet::XValid, EvalSet::XTest]);
}

/// numpy's pairwise sum to the last bit: `float(np.sum([1.0 / (i + 3) for i in range(n)])).hex()` with numpy 2
/// (and Python's `sum`, which differs from 8 values on), for a sum of one block, of one block with a tail, and of
/// blocks halved twice.
#[test]
fn numpy_sum_is_numpys() {
    let cases = [
        (7, "0x1.5437437437437p+0", "0x1.5437437437437p+0"),
        (12, "0x1.c066637d7da93p+0", "0x1.c066637d7da94p+0"),
        (200, "0x1.18d447c879105p+2", "0x1.18d447c879102p+2"),
        (300, "0x1.3283d93b7feebp+2", "0x1.3283d93b7fee4p+2"),
    ];
    let from_hex = |s: &str| {
        let (mantissa, exponent) = s.trim_start_matches("0x").split_once('p').unwrap();
        let (whole, fraction) = mantissa.split_once('.').unwrap();
        let bits = u64::from_str_radix(fraction, 16).unwrap() as f64 / 16f64.powi(fraction.len() as i32);
        (whole.parse::<f64>().unwrap() + bits) * 2f64.powi(exponent.parse().unwrap())
    };
    for (n, numpy, python) in cases {
        let values: Vec<f64> = (0..n).map(|i| 1.0 / (f64::from(i) + 3.0)).collect();
        assert_eq!(nb102_store::numpy_sum(&values), from_hex(numpy), "{n} values");
        assert_eq!(nb102_store::python_sum(&values), from_hex(python), "{n} values");
    }
}

#[test]
fn proxy_scores_are_a_section_added_to_a_copy_of_a_file() {
    use nb102_store::{with_proxies, ProxyKey, ProxyTable, ProxyVariant, Setting};
    let dir = TempDir::new("proxies");
    let plain = write_benchmark(&merge(meta(), labelled(&records()[..2])).unwrap(), &dir.0.join("plain")).unwrap();
    let before = std::fs::read(&plain).unwrap();
    let file = BenchmarkFile::open(&plain).unwrap();
    assert!(file.proxies().unwrap().is_none());
    let key = |proxy: &str, variant| ProxyKey {
        proxy: proxy.into(),
        setting: Setting::Cifar100,
        batch_size: 64,
        seed: Some(0),
        variant,
    };
    let mut scores = ProxyTable::new(nb102_space::Space::Topology);
    scores.insert(&key("synflow", ProxyVariant::Raw), "a test batch", 11472, 3.9e34).unwrap();
    scores.insert(&key("synflow", ProxyVariant::Naslib), "a test batch", 11472, 3.9e34f64.ln()).unwrap();
    scores.insert(&key("jacov", ProxyVariant::Raw), "a test batch", 7, f64::NAN).unwrap();
    let with = with_proxies(&file, &scores, &dir.0.join("with")).unwrap();
    // The original is untouched; the new file has its cells, its summary and the scores, as version 6.
    assert_eq!(std::fs::read(&plain).unwrap(), before);
    let with = BenchmarkFile::open(&with).unwrap();
    assert_eq!(with.version(), 6);
    with.verify(|| {}).unwrap();
    assert_eq!(with.to_merged().unwrap(), file.to_merged().unwrap());
    assert_eq!(with.proxies().unwrap(), Some(&scores));
    // Simplifying keeps them.
    let simple = BenchmarkFile::open(&nb102_store::simplify_file(&with, &dir.0.join("simple")).unwrap()).unwrap();
    assert_eq!(simple.proxies().unwrap(), Some(&scores));
    let column = with.proxies().unwrap().unwrap().column(&key("synflow", ProxyVariant::Raw)).unwrap();
    assert_eq!((column.get(11472), column.get(0), column.source()), (Some(3.9e34), None, "a test batch"));

    // Adding more merges with the scores there; a different score for a cell is refused, not overwritten.
    let mut more = ProxyTable::new(nb102_space::Space::Topology);
    more.insert(&key("synflow", ProxyVariant::Raw), "a test batch", 1, 2.5).unwrap();
    let both = BenchmarkFile::open(&with_proxies(&with, &more, &dir.0.join("both")).unwrap()).unwrap();
    assert_eq!(both.proxies().unwrap().unwrap().column(&key("synflow", ProxyVariant::Raw)).unwrap().len(), 2);
    let mut conflict = ProxyTable::new(nb102_space::Space::Topology);
    conflict.insert(&key("synflow", ProxyVariant::Raw), "a test batch", 11472, 1.0).unwrap();
    let err = with_proxies(&with, &conflict, &dir.0.join("conflict")).unwrap_err().to_string();
    assert!(err.contains("one score of cell 11472 for synflow on cifar100, batch 64, seed 0, raw"), "{err}");
    let size = ProxyTable::new(nb102_space::Space::Size);
    assert!(with_proxies(&with, &size, &dir.0.join("size")).is_err());

    // A damaged proxy section is caught by its checksum.
    let mut bytes = std::fs::read(with.path()).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 0xff;
    let damaged = dir.0.join(with.path().file_name().unwrap());
    let damaged = damaged.with_file_name(format!("damaged-{}", damaged.file_name().unwrap().to_string_lossy()));
    std::fs::write(&damaged, &bytes).unwrap();
    let name = with.path().file_name().unwrap().to_string_lossy().into_owned();
    let damaged_named = dir.0.join("copy").join(&name);
    std::fs::create_dir_all(damaged_named.parent().unwrap()).unwrap();
    std::fs::write(&damaged_named, &bytes).unwrap();
    let opened = BenchmarkFile::open(&damaged_named).unwrap();
    assert!(matches!(opened.proxies(), Err(StoreError::Checksum { .. })));
    assert!(opened.check_sections().is_err());
}
