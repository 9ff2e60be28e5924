//! The NATS-Bench topology importer, on files made by `scripts/golden/pickles.py` and, when it is at hand,
//! on the three real official records (`NB102_REFERENCE_DIR`, default `../shared/reference`), each
//! compared number for number with a JSON copy of the same records.

mod common;

use std::path::PathBuf;

use common::check;
use nb102_store::{nats_files, read_nats_file, read_nats_meta, EvalSet, StoreError};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/nats-like").join(name)
}

fn reference_dir() -> PathBuf {
    common::reference_dir().join("nats-tss-sample")
}

#[test]
fn nats_like_records_import_number_for_number() {
    let records = read_nats_file(&fixture("000007.pickle.pbz2")).unwrap();
    let compressed = std::fs::File::open(fixture("000007.json.bz2")).unwrap();
    let expected: Value = serde_json::from_reader(bzip2::read::BzDecoder::new(compressed)).unwrap();
    assert_eq!(records.len(), 16, "two schedules, four settings, two seeds");
    for record in &records {
        assert_eq!(record.space_index().unwrap(), (nb102_space::Space::Topology, 7));
        check(record, &expected[record.hp.to_string()][format!("{}@{}", record.setting, record.seed)]);
    }
    let cifar100 = records.iter().find(|r| r.setting.name() == "cifar100").unwrap();
    assert_eq!(cifar100.eval.keys().copied().collect::<Vec<_>>(), [EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest]);
    assert_eq!(read_nats_meta(&fixture("meta.pickle.pbz2")).unwrap().len(), 15_625);
    // The folder: its meta_archs are checked against the official order.
    assert_eq!(nats_files(&fixture("")).unwrap(), vec![fixture("000007.pickle.pbz2"), fixture("000012.pickle.pbz2")]);
}

#[test]
fn damaged_files_are_refused_with_the_reason() {
    let dir = std::env::temp_dir().join(format!("nb102-nats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(fixture("000007.pickle.pbz2")).unwrap();
    let path = dir.join("000007.pickle.pbz2");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let message = read_nats_file(&path).unwrap_err().to_string();
    assert!(message.contains("bad bz2 data") || message.contains("truncated"), "{message}");
    std::fs::write(&path, b"not bz2").unwrap();
    assert!(matches!(read_nats_file(&path), Err(StoreError::Format { .. })));
    // A pickle that executes code is refused, not run.
    let evil = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.";
    let mut compressed = Vec::new();
    std::io::Read::read_to_end(
        &mut bzip2::read::BzEncoder::new(&evil[..], bzip2::Compression::default()),
        &mut compressed,
    )
    .unwrap();
    std::fs::write(&path, compressed).unwrap();
    let message = read_nats_file(&path).unwrap_err().to_string();
    assert!(message.contains("class os.system, which these files do not use"), "{message}");
    assert!(matches!(nats_files(&dir.join("nowhere")), Err(StoreError::Io { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn real_official_records_import_number_for_number() {
    let dir = reference_dir();
    if !dir.is_dir() {
        eprintln!(
            "real NATS-Bench records not found at {} (set NB102_REFERENCE_DIR); checked the generated ones only",
            dir.display()
        );
        return;
    }
    let files = nats_files(&dir).unwrap();
    assert_eq!(files.len(), 3);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("records_000000_000011_000284.json")).unwrap()).unwrap();
    let mut total = 0;
    for file in files {
        let stem = file.file_name().unwrap().to_str().unwrap()[..6].to_owned();
        let records = read_nats_file(&file).unwrap();
        for record in &records {
            let hp = &json[&stem][record.hp.to_string()];
            check(record, &hp["results"][format!("{}@{}", record.setting, record.seed)]);
        }
        let expected: usize =
            ["12", "200"].iter().map(|hp| json[&stem][hp]["results"].as_object().unwrap().len()).sum();
        assert_eq!(records.len(), expected, "{stem}");
        total += records.len();
    }
    assert!(total > 40, "{total} records");
}

#[test]
fn real_size_space_records_import_number_for_number() {
    let dir = common::reference_dir().join("nats-sss-sample");
    if !dir.is_dir() {
        eprintln!("real NATS-Bench size records not found at {} (set NB102_REFERENCE_DIR)", dir.display());
        return;
    }
    let (space, files) = nb102_store::nats_archive(&dir).unwrap();
    assert_eq!((space, files.len()), (nb102_space::Space::Size, 3));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("records_000000_000011_000284.json")).unwrap()).unwrap();
    for file in &files {
        let stem = file.file_name().unwrap().to_str().unwrap()[..6].to_owned();
        let records = read_nats_file(file).unwrap();
        for record in &records {
            // The size space's schedules are keyed '01', '12', '90'.
            let hp = &json[&stem][format!("{:02}", record.hp.epochs())];
            check(record, &hp["results"][format!("{}@{}", record.setting, record.seed)]);
            let (space, index) = record.space_index().unwrap();
            assert_eq!((space, index), (nb102_space::Space::Size, stem.parse().unwrap()));
            // infer.shape.tiny: its first width and one cell per stage.
            let nb102_space::Architecture::Widths(widths) = record.arch else { panic!("{stem}: {}", record.arch) };
            assert_eq!((record.net.channels, record.net.cells), (u32::from(widths.widths()[0]), 1));
        }
        // Four settings at hp 01 and 90 (seed 777), and three seeds at hp 12.
        assert_eq!(records.len(), 4 + 4 * 3 + 4, "{stem}");
    }
    // The file says which space it holds, and a topology import of the folder is refused.
    let out = common::TempDir::new("sss");
    let path = nb102_store::import_nats(&dir, nb102_space::Space::Size, &out.0.join("sss"), |_, _| {}).unwrap();
    let file = nb102_store::BenchmarkFile::open(&path).unwrap();
    assert_eq!((file.space(), file.indices().collect::<Vec<_>>()), (nb102_space::Space::Size, vec![0, 11, 284]));
    assert_eq!(file.cell(284).unwrap().unwrap().arch().to_string(), "8:8:40:32:40");
    let refused = nb102_store::import_nats(&dir, nb102_space::Space::Topology, &out.0.join("tss"), |_, _| {});
    assert!(refused.unwrap_err().to_string().contains("expected a NATS-Bench topology archive"));
    // One benchmark holds one space.
    let size = read_nats_file(&files[0]).unwrap().remove(0);
    let topology = read_nats_file(&fixture("000007.pickle.pbz2")).unwrap().remove(0);
    let meta = nb102_store::BenchmarkMeta { description: "mixed".into(), kind: nb102_store::BenchmarkKind::Demo };
    let mixed = nb102_store::merge(meta, [("t".to_owned(), topology), ("s".to_owned(), size)]).unwrap_err();
    assert!(mixed.to_string().contains("expected records of one space"), "{mixed}");
}
