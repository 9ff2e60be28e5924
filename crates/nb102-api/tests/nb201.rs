//! The query API against NAS-Bench-201's own: `scripts/golden/nb201_pth.py` asked `nas_201_api` 2.1 about a
//! small `.pth` benchmark file it wrote with the real package and `torch.save`; nb102, on the same file
//! imported as `nb102 import nb201-pth` imports it (`nb102_store::import_nb201_pth`), must give the same answers
//! to the last bit.
//!
//! The two versions' costs differ (2.1 takes numpy's pairwise sums of the per-epoch times and the seeds' mean
//! where their costs disagree; `nats_bench` 1.8 Python's left-to-right `sum` and seed 888's costs): the costs are
//! asked with 2.1's rules (`CostRules::Nb201`), as `nb102.NASBench201API` asks them.

use std::io::Read;
use std::path::{Path, PathBuf};

use nb102_api::{remap_names, Api, CostRules, Seeds};
use nb102_store::{Hp, Setting};
use serde_json::Value;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nb102-api-nb201-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The store's fixture `name`.bz2, decompressed into `dir`.
fn fixture(dir: &Path, name: &str) -> PathBuf {
    let compressed =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nb201").join(format!("{name}.bz2"));
    let mut bytes = Vec::new();
    bzip2::read::BzDecoder::new(std::fs::File::open(compressed).unwrap()).read_to_end(&mut bytes).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `FILES` imported into `DIR/PREFIX-XXXXXX.nb102`, as `nb102 import nb201-pth` does; the path written.
fn import(files: &[PathBuf], dir: &Path, prefix: &str) -> PathBuf {
    nb102_store::import_nb201_pth(files, &dir.join(prefix), |_, _| {}).unwrap()
}

fn golden() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/nb201-golden.json.bz2");
    serde_json::from_reader(bzip2::read::BzDecoder::new(std::fs::File::open(path).unwrap())).unwrap()
}

fn setting(q: &Value) -> Setting {
    q["dataset"].as_str().unwrap().parse().unwrap()
}

fn hp(q: &Value) -> Hp {
    Hp::new(q["hp"].as_u64().unwrap() as u16)
}

fn index(q: &Value) -> usize {
    q["index"].as_u64().unwrap() as usize
}

#[test]
fn answers_equal_nas_201_api() {
    let dir = scratch("golden");
    let zip = import(&[fixture(&dir, "bench-zip.pth")], &dir, "zip");
    let legacy = import(&[fixture(&dir, "bench-legacy.pth")], &dir, "legacy");
    let golden = golden();
    for path in [zip, legacy] {
        let api = Api::open(&path).unwrap();
        let more = golden["more_info"].as_array().unwrap();
        assert_eq!(more.len(), 112);
        for q in more {
            let mut seeds = q["seed"].as_u64().map_or(Seeds::Mean, |s| Seeds::Seed(s as u32));
            let epoch = q["iepoch"].as_u64().map(|e| e as u16);
            let ours = api.more_info(index(q), setting(q), hp(q), epoch, &mut seeds).unwrap().reference_entries();
            let theirs = q["info"].as_object().unwrap();
            let keys: Vec<&str> = ours.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, theirs.keys().map(String::as_str).collect::<Vec<_>>(), "{q}");
            for (key, value) in &ours {
                assert_eq!(*value, theirs[key].as_f64(), "{key} of {q}");
            }
        }
        for q in golden["cost_info"].as_array().unwrap() {
            let ours = api.cost_info_as(index(q), setting(q), hp(q), CostRules::Nb201).unwrap();
            let theirs = &q["info"];
            assert_eq!(
                (ours.flops, ours.params, ours.latency),
                (theirs["flops"].as_f64().unwrap(), theirs["params"].as_f64().unwrap(), theirs["latency"].as_f64()),
                "{q}"
            );
            assert_eq!(ours.times.len() + 3, theirs.as_object().unwrap().len(), "{q}");
            // 2.1's numpy sums, to the last bit.
            for (key, value) in &ours.times {
                assert_eq!(*value, theirs[key].as_f64(), "{key} of {q}");
            }
        }
        for q in golden["find_best"].as_array().unwrap() {
            let (setting, set) = remap_names(q["dataset"].as_str().unwrap(), q["metric"].as_str().unwrap()).unwrap();
            let ours = api.find_best(setting, set, hp(q), q["flop_max"].as_f64(), q["param_max"].as_f64()).unwrap();
            let theirs = match q["index"].as_i64().unwrap() {
                -1 => None,
                index => Some((index as usize, q["accuracy"].as_f64().unwrap())),
            };
            assert_eq!(ours, theirs, "{q}");
        }
        for q in golden["net_config"].as_array().unwrap() {
            let ours = api.net_config(index(q), setting(q)).unwrap();
            let theirs = &q["config"];
            assert_eq!(theirs["name"], "infer.tiny");
            assert_eq!(ours.arch.to_string(), theirs["arch_str"].as_str().unwrap(), "{q}");
            let shape = (u64::from(ours.config.channels), u64::from(ours.config.cells), u64::from(ours.config.classes));
            let expected = (theirs["C"].as_u64(), theirs["N"].as_u64(), theirs["num_classes"].as_u64());
            assert_eq!((Some(shape.0), Some(shape.1), Some(shape.2)), expected, "{q}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn per_cell_files_merge_and_keep_their_weights() {
    let dir = scratch("weights");
    let zip = fixture(&dir, "cell-zip-FULL.pth");
    let bench = fixture(&dir, "bench-legacy.pth");
    // The per-cell file holds cell 7, and so does the benchmark file: one cell twice is the input's mistake, and
    // leaves no file (`nb102-cli`'s tests check the command's one line and status 2).
    let both = nb102_store::import_nb201_pth(&[zip.clone(), bench.clone()], &dir.join("both"), |_, _| {});
    let err = both.unwrap_err();
    assert!(matches!(err, nb102_store::ImportError::Input(_)) && err.to_string().contains("cell 7 twice"), "{err}");
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("both")));

    let api = Api::open(&import(&[zip], &dir, "cell")).unwrap();
    let weights = api.net_param(7, Setting::Cifar10Valid, Hp::H200, None).unwrap();
    assert_eq!(weights.iter().map(|(seed, _)| *seed).collect::<Vec<_>>(), [777]);
    let tensors = safetensors::SafeTensors::deserialize(&weights[0].1).unwrap();
    assert_eq!(tensors.tensor("classifier.weight").unwrap().shape(), [10, 16]);
    assert!(api.net_param(7, Setting::Cifar10Valid, Hp::H200, Some(888)).is_err());
    let simplified = Api::open(&import(&[bench], &dir, "simple")).unwrap();
    let err = simplified.net_param(7, Setting::Cifar10Valid, Hp::H12, Some(777)).unwrap_err().to_string();
    assert!(err.contains("no weights of seed 777"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
