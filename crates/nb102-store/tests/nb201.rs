//! The NAS-Bench-201 `.pth` importer, on files that `scripts/golden/nb201_pth.py` wrote with the real
//! `nas-bench-201` package and `torch.save` in both serializations, compared number for number (and weight
//! by weight) with a JSON copy of the same records.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::check;
use nb102_store::{read_nb201_pth, Nb201Import, StoreError, TrialRecord};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A scratch folder of its own for each test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nb102-nb201-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The fixture `name`.bz2, decompressed into `dir`.
fn fixture(dir: &Path, name: &str) -> PathBuf {
    let compressed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/nb201").join(format!("{name}.bz2"));
    let mut bytes = Vec::new();
    bzip2::read::BzDecoder::new(std::fs::File::open(compressed).unwrap()).read_to_end(&mut bytes).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn expected() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/nb201/expected.json.bz2");
    serde_json::from_reader(bzip2::read::BzDecoder::new(std::fs::File::open(path).unwrap())).unwrap()
}

fn import(path: &Path) -> (Nb201Import, BTreeMap<usize, Vec<TrialRecord>>) {
    let mut cells = BTreeMap::new();
    let summary = read_nb201_pth(path, |index, records| {
        assert!(cells.insert(index, records).is_none(), "cell {index} handed over twice");
        Ok(())
    })
    .unwrap();
    (summary, cells)
}

/// Every record equals its JSON copy, weights included (shape and sha256 of each tensor's bytes).
fn check_all(cells: &BTreeMap<usize, Vec<TrialRecord>>, expected: &Value) {
    let mut trials = 0;
    for (index, records) in cells {
        for record in records {
            assert_eq!(record.space_index().unwrap().1, *index);
            let r = &expected[index.to_string()][record.hp.to_string()][format!("{}@{}", record.setting, record.seed)];
            check(record, r);
            match (&record.weights, r.get("weights")) {
                (None, None) => {}
                (Some(bytes), Some(weights)) => {
                    let tensors = safetensors::SafeTensors::deserialize(bytes).unwrap();
                    let weights = weights.as_object().unwrap();
                    assert_eq!(tensors.len(), weights.len(), "{}", record.describe());
                    for (name, shape_and_digest) in weights {
                        let tensor = tensors.tensor(name).unwrap();
                        let shape: Vec<usize> = serde_json::from_value(shape_and_digest[0].clone()).unwrap();
                        assert_eq!(tensor.shape(), shape.as_slice(), "{name}");
                        let digest: String = Sha256::digest(tensor.data()).iter().map(|b| format!("{b:02x}")).collect();
                        assert_eq!(digest, shape_and_digest[1].as_str().unwrap(), "{name}");
                    }
                }
                (mine, theirs) => panic!("{}: weights {} vs {theirs:?}", record.describe(), mine.is_some()),
            }
            trials += 1;
        }
    }
    let listed: usize = expected
        .as_object()
        .unwrap()
        .values()
        .flat_map(|by_hp| by_hp.as_object().unwrap().values())
        .map(|trials| trials.as_object().unwrap().len())
        .sum();
    assert_eq!(trials, listed, "every trial imported");
}

#[test]
fn benchmark_files_import_in_both_serializations() {
    let dir = scratch("bench");
    let expected = expected();
    let (zip, zip_cells) = import(&fixture(&dir, "bench-zip.pth"));
    let (legacy, legacy_cells) = import(&fixture(&dir, "bench-legacy.pth"));
    assert_eq!(zip, Nb201Import { cells: 2, trials: 16, per_cell: false });
    assert_eq!(legacy, zip);
    check_all(&zip_cells, &expected["bench"]);
    // The same records, but for the file name each names as its producer.
    let producers = |cells: &BTreeMap<usize, Vec<TrialRecord>>| -> Vec<String> {
        cells.values().flatten().map(|r| r.provenance.producer.clone()).collect()
    };
    assert!(producers(&legacy_cells).iter().all(|p| p == "NAS-Bench-201 file bench-legacy.pth"));
    let mut legacy_cells = legacy_cells;
    legacy_cells.values_mut().flatten().for_each(|r| r.provenance.producer = "NAS-Bench-201 file bench-zip.pth".into());
    assert!(zip_cells == legacy_cells, "the two serializations give the same records");
    // Cell 12 has v1_0's pattern: ori-test evaluated after the last of 200 epochs only, without times.
    let c10 = zip_cells[&12].iter().find(|r| r.hp.epochs() == 200 && r.setting.name() == "cifar10").unwrap();
    let ori = &c10.eval[&nb102_store::EvalSet::OriTest];
    assert_eq!((ori.len(), ori[0].epoch, ori[0].time), (1, 199, None));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn per_cell_files_import_with_their_weights() {
    let dir = scratch("cell");
    let expected = expected();
    for name in ["cell-zip-FULL.pth", "cell-legacy-FULL.pth"] {
        let (summary, cells) = import(&fixture(&dir, name));
        assert_eq!(summary, Nb201Import { cells: 1, trials: 3, per_cell: true }, "{name}");
        assert!(cells[&7].iter().all(|r| r.weights.is_some()), "{name}");
        check_all(&cells, &expected["cell"]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_files_are_refused_with_the_reason() {
    let dir = scratch("damaged");
    for name in ["bench-zip.pth", "bench-legacy.pth", "cell-zip-FULL.pth", "cell-legacy-FULL.pth"] {
        let bytes = std::fs::read(fixture(&dir, name)).unwrap();
        let cut = dir.join(format!("cut-{name}"));
        for len in [0, 10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 9] {
            std::fs::write(&cut, &bytes[..len]).unwrap();
            let err = read_nb201_pth(&cut, |_, _| Ok(())).unwrap_err();
            assert!(matches!(err, StoreError::Format { .. }), "{name} cut at {len}: {err}");
            let message = err.to_string();
            assert!(message.contains("expected a NAS-Bench-201 torch.save file"), "{message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }
    // An error of the caller stops the import and comes back as it was.
    let path = fixture(&dir, "bench-legacy.pth");
    let err = read_nb201_pth(&path, |index, _| {
        Err(StoreError::Io { path: format!("cell {index}").into(), error: std::io::Error::other("disk full") })
    })
    .unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert!(matches!(read_nb201_pth(&dir.join("nowhere.pth"), |_, _| Ok(())), Err(StoreError::Io { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}
