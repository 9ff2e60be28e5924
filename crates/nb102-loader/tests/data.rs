//! The dataset readers on small files in the real layouts: pickled batches written by
//! `scripts/golden/datasets.py` (Python 2 pickles, as the real CIFAR and ImageNet16 batches are), binary CIFAR
//! and gzip IDX files written here; and the settings built from them.

use std::io::Write;
use std::path::{Path, PathBuf};

use nb102_loader::images::load;
use nb102_loader::{LoaderError, SettingData};
use nb102_space::Dataset;
use nb102_store::{EvalSet, Setting};
use serde_json::Value;
use tch::Tensor;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap()
}

fn labels(t: &Tensor) -> Vec<i64> {
    Vec::<i64>::try_from(t).unwrap()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

/// The generator's pixel rule: (7·batch + 5·n + 3·c + y + 2·x) mod 256.
fn pixel(batch: i64, n: i64, c: i64, y: i64, x: i64) -> u8 {
    ((7 * batch + 5 * n + 3 * c + y + 2 * x) % 256) as u8
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nb102-loader-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn pickled_cifar_and_imagenet16_batches() {
    let expected = expected();
    let (train, test) = load(Dataset::Cifar10, &fixtures()).unwrap();
    assert_eq!(train.images.size(), [15, 3, 32, 32]);
    assert_eq!(labels(&train.labels), ints(&expected["cifar10"]["train"]));
    assert_eq!(labels(&test.labels), ints(&expected["cifar10"]["test"]));
    // Image 1 of data_batch_2 is image 4 of the concatenation; its pixels are channel-planar rows.
    for (c, y, x) in [(0, 0, 0), (1, 5, 7), (2, 31, 30)] {
        assert_eq!(train.images.int64_value(&[4, c, y, x]) as u8, pixel(2, 1, c, y, x));
    }

    let (train, test) = load(Dataset::Cifar100, &fixtures()).unwrap();
    assert_eq!(labels(&train.labels), ints(&expected["cifar100"]["train"]), "fine labels");
    assert_eq!(labels(&test.labels), ints(&expected["cifar100"]["test"]));

    let (train, test) = load(Dataset::ImageNet16_120, &fixtures()).unwrap();
    assert_eq!(labels(&train.labels), ints(&expected["imagenet16"]["train"]), "classes 1..=120 as 0..119");
    assert_eq!(labels(&test.labels), ints(&expected["imagenet16"]["test"]));
    assert_eq!(train.images.size()[1..], [3, 16, 16]);
    for (k, origin) in expected["imagenet16"]["train_origin"].as_array().unwrap().iter().enumerate() {
        let (b, n) = (origin[0].as_i64().unwrap(), origin[1].as_i64().unwrap());
        assert_eq!(train.images.int64_value(&[k as i64, 2, 15, 3]) as u8, pixel(b, n, 2, 15, 3));
    }
}

#[test]
fn binary_cifar_layouts() {
    let dir = scratch("binary");
    let row = |label: &[u8], seed: u8| -> Vec<u8> {
        let mut r = label.to_vec();
        r.extend((0..3072u32).map(|i| (i as u8).wrapping_mul(3).wrapping_add(seed)));
        r
    };
    std::fs::create_dir_all(dir.join("cifar-10-batches-bin")).unwrap();
    for b in 1..=5u8 {
        let bytes: Vec<u8> = [row(&[b], b), row(&[9], b + 10)].concat();
        std::fs::write(dir.join(format!("cifar-10-batches-bin/data_batch_{b}.bin")), bytes).unwrap();
    }
    std::fs::write(dir.join("cifar-10-batches-bin/test_batch.bin"), row(&[3], 0)).unwrap();
    let (train, test) = load(Dataset::Cifar10, &dir).unwrap();
    assert_eq!(labels(&train.labels), [1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    assert_eq!(labels(&test.labels), [3]);
    assert_eq!(train.images.int64_value(&[1, 0, 0, 5]), 15 + 11, "row 2 of batch 1, byte 5");

    std::fs::create_dir_all(dir.join("cifar-100-binary")).unwrap();
    std::fs::write(dir.join("cifar-100-binary/train.bin"), [row(&[4, 77], 1), row(&[0, 5], 2)].concat()).unwrap();
    std::fs::write(dir.join("cifar-100-binary/test.bin"), row(&[1, 99], 3)).unwrap();
    let (train, test) = load(Dataset::Cifar100, &dir).unwrap();
    assert_eq!((labels(&train.labels), labels(&test.labels)), (vec![77, 5], vec![99]), "fine labels");

    // A truncated file names itself and the shape it should have.
    let path = dir.join("cifar-10-batches-bin/data_batch_3.bin");
    std::fs::write(&path, &row(&[1], 0)[..1000]).unwrap();
    let err = load(Dataset::Cifar10, &dir).unwrap_err().to_string();
    assert!(err.contains("data_batch_3.bin") && err.contains("expected rows of 3073 bytes, found 1000 bytes"), "{err}");
    let err = load(Dataset::ImageNet16_120, &dir).unwrap_err().to_string();
    assert!(err.contains("ImageNet16") && err.contains("found none"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn idx(path: &Path, dims: &[u32], data: &[u8], gzip: bool) {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(data);
    if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&bytes).unwrap();
        std::fs::write(path.with_extension("gz"), encoder.finish().unwrap()).unwrap();
    } else {
        std::fs::write(path, bytes).unwrap();
    }
}

#[test]
fn fashion_mnist_idx_files_and_its_setting() {
    let dir = scratch("idx");
    let n = 40u32;
    let pixels: Vec<u8> = (0..n * 784).map(|i| (i % 251) as u8).collect();
    let train_labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    idx(&dir.join("train-images-idx3-ubyte"), &[n, 28, 28], &pixels, true);
    idx(&dir.join("train-labels-idx1-ubyte"), &[n], &train_labels, true);
    idx(&dir.join("t10k-images-idx3-ubyte"), &[2, 28, 28], &pixels[..2 * 784], false);
    idx(&dir.join("t10k-labels-idx1-ubyte"), &[2], &[7, 8], false);
    let (train, test) = load(Dataset::FashionMnist, &dir).unwrap();
    assert_eq!(train.images.size(), [40, 1, 28, 28]);
    assert_eq!(train.images.int64_value(&[1, 0, 0, 3]), (787 % 251) as i64);
    assert_eq!(labels(&test.labels), [7, 8]);

    // The setting: a seeded half to train on, the other half as x-valid, the test set as ori-test.
    let data = SettingData::load(Setting::FashionMnist, &dir, None).unwrap();
    let split = nb102_space::TrainValidSplit::seeded(40, 1021);
    let expected: Vec<i64> = split.train().iter().map(|&i| i64::from(train_labels[i])).collect();
    assert_eq!(labels(&data.train.labels), expected);
    assert_eq!(data.eval[&EvalSet::XValid].len(), 20);
    assert_eq!(labels(&data.eval[&EvalSet::OriTest].labels), [7, 8]);
    let small = data.subset(5);
    assert_eq!((small.train.len(), small.eval[&EvalSet::XValid].len(), small.eval[&EvalSet::OriTest].len()), (5, 5, 2));

    // Labels that do not fit, and a wrong header.
    idx(&dir.join("t10k-labels-idx1-ubyte"), &[2], &[7, 10], false);
    let err = load(Dataset::FashionMnist, &dir).unwrap_err().to_string();
    assert!(err.contains("t10k-labels-idx1-ubyte") && err.contains("label 10"), "{err}");
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), [0, 0, 9, 1]).unwrap();
    assert!(matches!(load(Dataset::FashionMnist, &dir), Err(LoaderError::Dataset(nb102_data::DataError::Data { .. }))));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn settings_need_their_split_files() {
    // cifar100 evaluates on the x-valid / x-test halves of its test set, which only the split file defines.
    let err = SettingData::load(Setting::Cifar100, &fixtures(), None).unwrap_err().to_string();
    assert!(err.contains("--splits-dir holding cifar100-test-split.txt"), "{err}");
    let dir = scratch("splits");
    std::fs::write(dir.join("cifar100-test-split.txt"), r#"{"xvalid": ["int", ["1"]], "xtest": ["int", ["0"]]}"#)
        .unwrap();
    let data = SettingData::load(Setting::Cifar100, &fixtures(), Some(&dir)).unwrap();
    assert_eq!(labels(&data.eval[&EvalSet::XValid].labels), [0]);
    assert_eq!(labels(&data.eval[&EvalSet::XTest].labels), [99]);
    assert_eq!(data.eval[&EvalSet::OriTest].len(), 2);
    std::fs::write(dir.join("cifar100-test-split.txt"), r#"{"xvalid": ["int", ["5"]], "xtest": ["int", ["0"]]}"#)
        .unwrap();
    let err = SettingData::load(Setting::Cifar100, &fixtures(), Some(&dir)).unwrap_err().to_string();
    assert!(err.contains("expected indices below 2, the number of images, found index 5"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_cifar10_split_file_is_the_regenerated_split() {
    let spec = std::env::var_os("NB102_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"));
    let path = spec.join("data/splits/cifar-split.txt");
    if !path.exists() {
        eprintln!("{} not found (set NB102_SPEC_DIR): the regenerated split was not compared", path.display());
        return;
    }
    let file = nb102_loader::setting::read_split(&path).unwrap();
    let split = nb102_space::TrainValidSplit::cifar10();
    assert_eq!(file["train"], split.train());
    assert_eq!(file["valid"], split.valid());
}

#[test]
fn official_checks_name_what_differs() {
    // These small pickled files are not the published ones: the first is named, with both digests.
    let err = nb102_loader::images::check_official(Dataset::Cifar10, &fixtures()).unwrap_err().to_string();
    assert!(
        err.contains("data_batch_1: expected md5 c99cafc152244af753f735de768cd75f (the published file), found md5"),
        "{err}"
    );
    // Fashion-MNIST has no published MD5 to compare here (Debian recompresses it): its counts are checked.
    let dir = scratch("official");
    let pixels = vec![0u8; 3 * 784];
    idx(&dir.join("train-images-idx3-ubyte"), &[3, 28, 28], &pixels, true);
    idx(&dir.join("train-labels-idx1-ubyte"), &[3], &[0, 1, 2], true);
    idx(&dir.join("t10k-images-idx3-ubyte"), &[1, 28, 28], &pixels[..784], true);
    idx(&dir.join("t10k-labels-idx1-ubyte"), &[1], &[4], true);
    let err = nb102_loader::images::check_official(Dataset::FashionMnist, &dir).unwrap_err().to_string();
    assert!(
        err.contains("expected the official 60000 training and 10000 test images of fashion-mnist, found 3 and 1"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
