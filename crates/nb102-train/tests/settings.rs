//! Every setting end to end on the small data files of nb102-loader's `tests/data` (and Fashion-MNIST-shaped IDX
//! files written here): data, splits, one epoch of the protocol, and a valid record with the setting's evaluation sets.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nb102_loader::SettingData;
use nb102_protocol::RunConfig;
use nb102_store::{EvalSet, Hp, Setting};
use nb102_train::{train, TrainOptions};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nb102-train-settings-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn split(path: &Path, parts: &[(&str, std::ops::Range<usize>)]) {
    let body: Vec<String> = parts
        .iter()
        .map(|(name, range)| {
            let items: Vec<String> = range.clone().map(|i| format!("\"{i}\"")).collect();
            format!("\"{name}\": [\"int\", [{}]]", items.join(", "))
        })
        .collect();
    std::fs::write(path, format!("{{{}}}", body.join(", "))).unwrap();
}

fn fashion(dir: &Path) {
    let write = |name: &str, dims: &[u32], data: &[u8]| common::write_idx_gz(dir, name, dims, data);
    let pixels: Vec<u8> = (0..12 * 784).map(|i| (i % 253) as u8).collect();
    write("train-images-idx3-ubyte", &[12, 28, 28], &pixels);
    write("train-labels-idx1-ubyte", &[12], &(0..12).map(|i| i % 10).collect::<Vec<u8>>());
    write("t10k-images-idx3-ubyte", &[3, 28, 28], &pixels[..3 * 784]);
    write("t10k-labels-idx1-ubyte", &[3], &[1, 2, 3]);
}

#[test]
fn every_setting_runs_one_epoch() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-loader/tests/data");
    let dir = scratch("all");
    let splits = dir.join("splits");
    std::fs::create_dir_all(&splits).unwrap();
    split(&splits.join("cifar-split.txt"), &[("train", 0..8), ("valid", 8..15)]);
    split(&splits.join("cifar100-test-split.txt"), &[("xvalid", 0..1), ("xtest", 1..2)]);
    split(&splits.join("imagenet-16-120-test-split.txt"), &[("xvalid", 1..2), ("xtest", 0..1)]);
    fashion(&dir);
    let arch = nb102_space::Arch::from_official_index(11472).unwrap();
    let cases = [
        (Setting::Cifar10Valid, &fixtures, vec![EvalSet::XValid, EvalSet::OriTest], 8),
        (Setting::Cifar10, &fixtures, vec![EvalSet::OriTest], 15),
        (Setting::Cifar100, &fixtures, vec![EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest], 5),
        (Setting::ImageNet16_120, &fixtures, vec![EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest], 0),
        (Setting::FashionMnist, &dir, vec![EvalSet::XValid, EvalSet::OriTest], 6),
    ];
    for (setting, data_dir, sets, train_images) in cases {
        let data = SettingData::load(setting, data_dir, Some(&splits)).unwrap();
        if train_images > 0 {
            assert_eq!(data.train.len(), train_images, "{setting}");
        }
        let mut config = RunConfig::nb201(arch, setting, Hp::new(2), 999);
        (config.channels, config.cells, config.batch_size) = (2, 1, 4);
        let checkpoint = dir.join(format!("{setting}.ckpt"));
        let record = train(
            &config,
            &data,
            &TrainOptions { device: tch::Device::Cpu, checkpoint: &checkpoint, resume: false, keep_weights: true },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(record.eval.keys().copied().collect::<Vec<_>>(), sets, "{setting}");
        assert_eq!(setting.eval_sets(), sets, "{setting}: the store's rule");
        assert_eq!((record.setting, record.hp, record.seed, record.train.len()), (setting, Hp::new(2), 999, 2));
        assert_eq!(record.net.classes as i64, setting.dataset().classes(), "{setting}");
        assert!(record.weights.is_some() && record.provenance.config_hash == Some(config.hash()), "{setting}");
        let epochs: BTreeSet<u16> = record.eval.values().flatten().map(|p| p.epoch).collect();
        assert_eq!(epochs, BTreeSet::from([0, 1]), "{setting}: every set after every epoch");
        if setting == Setting::Cifar100 {
            // The original 200-epoch pattern: ori-test after every epoch, x-valid and x-test after the last.
            config.eval_every_epoch = false;
            let record = train(
                &config,
                &data,
                &TrainOptions { device: tch::Device::Cpu, checkpoint: &checkpoint, resume: false, keep_weights: false },
                &mut |_| {},
            )
            .unwrap();
            let counts: Vec<usize> = record.eval.values().map(Vec::len).collect();
            assert_eq!(counts, [1, 1, 2], "x-valid, x-test, ori-test");
            assert_eq!(record.eval[&EvalSet::XValid][0].epoch, 1);
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}
