//! The NATS-Bench topology importer, on files made by `scripts/golden/pickles.py` and, when it is at hand,
//! on the three real official records (`NB102_REFERENCE_DIR`, default `../shared/reference`), each
//! compared number for number with a JSON copy of the same records.

mod common;

use std::path::PathBuf;

use common::check;
use nb102_store::{nats_tss_files, read_nats_tss_file, read_nats_tss_meta, EvalSet, StoreError};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/nats-like").join(name)
}

fn reference_dir() -> PathBuf {
    common::reference_dir().join("nats-tss-sample")
}

#[test]
fn nats_like_records_import_number_for_number() {
    let records = read_nats_tss_file(&fixture("000007.pickle.pbz2")).unwrap();
    let compressed = std::fs::File::open(fixture("000007.json.bz2")).unwrap();
    let expected: Value = serde_json::from_reader(bzip2::read::BzDecoder::new(compressed)).unwrap();
    assert_eq!(records.len(), 16, "two schedules, four settings, two seeds");
    for record in &records {
        assert_eq!(record.space_arch().unwrap().official_index(), 7);
        check(record, &expected[record.hp.to_string()][format!("{}@{}", record.setting, record.seed)]);
    }
    let cifar100 = records.iter().find(|r| r.setting.name() == "cifar100").unwrap();
    assert_eq!(cifar100.eval.keys().copied().collect::<Vec<_>>(), [EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest]);
    assert_eq!(read_nats_tss_meta(&fixture("meta.pickle.pbz2")).unwrap().len(), 15_625);
    // The folder: its meta_archs are checked against the official order.
    assert_eq!(
        nats_tss_files(&fixture("")).unwrap(),
        vec![fixture("000007.pickle.pbz2"), fixture("000012.pickle.pbz2")]
    );
}

#[test]
fn damaged_files_are_refused_with_the_reason() {
    let dir = std::env::temp_dir().join(format!("nb102-nats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(fixture("000007.pickle.pbz2")).unwrap();
    let path = dir.join("000007.pickle.pbz2");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let message = read_nats_tss_file(&path).unwrap_err().to_string();
    assert!(message.contains("bad bz2 data") || message.contains("truncated"), "{message}");
    std::fs::write(&path, b"not bz2").unwrap();
    assert!(matches!(read_nats_tss_file(&path), Err(StoreError::Format { .. })));
    // A pickle that executes code is refused, not run.
    let evil = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.";
    let mut compressed = Vec::new();
    std::io::Read::read_to_end(
        &mut bzip2::read::BzEncoder::new(&evil[..], bzip2::Compression::default()),
        &mut compressed,
    )
    .unwrap();
    std::fs::write(&path, compressed).unwrap();
    let message = read_nats_tss_file(&path).unwrap_err().to_string();
    assert!(message.contains("class os.system, which these files do not use"), "{message}");
    assert!(matches!(nats_tss_files(&dir.join("nowhere")), Err(StoreError::Io { .. })));
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
    let files = nats_tss_files(&dir).unwrap();
    assert_eq!(files.len(), 3);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("records_000000_000011_000284.json")).unwrap()).unwrap();
    let mut total = 0;
    for file in files {
        let stem = file.file_name().unwrap().to_str().unwrap()[..6].to_owned();
        let records = read_nats_tss_file(&file).unwrap();
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
