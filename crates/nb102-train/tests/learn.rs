//! The protocol on real data: Fashion-MNIST (Debian's `dataset-fashion-mnist`, which `scripts/setup.sh` installs;
//! elsewhere `NB102_FASHION_MNIST_DIR`), a small network and subset, a few epochs on the CPU. It must learn.

use std::path::PathBuf;
use std::time::Instant;

use nb102_loader::SettingData;
use nb102_protocol::RunConfig;
use nb102_store::{EvalSet, Hp, Setting};
use nb102_train::{train, TrainOptions};

#[test]
fn learns_real_fashion_mnist() {
    let dir = std::env::var_os("NB102_FASHION_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    assert!(
        dir.join("train-images-idx3-ubyte.gz").exists(),
        "real Fashion-MNIST expected at {} (apt-get install dataset-fashion-mnist, as scripts/setup.sh does, or set \
         NB102_FASHION_MNIST_DIR), found none",
        dir.display()
    );
    let checked = nb102_loader::images::check_official(nb102_model::Dataset::FashionMnist, &dir).unwrap();
    assert_eq!(checked, ["fashion-mnist: 60000 training and 10000 test images, the official sizes"]);
    let data = SettingData::load(Setting::FashionMnist, &dir, None).unwrap();
    assert_eq!(
        (data.train.len(), data.eval[&EvalSet::XValid].len(), data.eval[&EvalSet::OriTest].len()),
        (30_000, 30_000, 10_000)
    );
    let data = data.subset(3000);
    // ResNet's cell, 8 channels, one cell per stage, 4 epochs of the cosine schedule.
    let arch = nb102_space::Arch::from_official_index(7).unwrap();
    let mut config = RunConfig::nb201(arch, Setting::FashionMnist, Hp::new(4), 777);
    (config.channels, config.cells, config.subset) = (8, 1, Some(3000));
    let checkpoint = std::env::temp_dir().join(format!("nb102-learn-{}.ckpt", std::process::id()));
    let start = Instant::now();
    let record = train(
        &config,
        &data,
        &TrainOptions { device: tch::Device::Cpu, checkpoint: &checkpoint, resume: false, keep_weights: false },
        &mut |_| {},
    )
    .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    std::fs::remove_file(&checkpoint).unwrap();
    let valid = record.metrics(Some(EvalSet::XValid), None).unwrap().accuracy;
    let test = record.metrics(Some(EvalSet::OriTest), None).unwrap().accuracy;
    eprintln!("Fashion-MNIST, 3,000 images, 4 epochs: x-valid {valid:.2}%, ori-test {test:.2}%, {seconds:.1} s");
    assert!(record.train[3].loss < 0.7 * record.train[0].loss, "{:?}", record.train);
    assert!(valid > 50.0 && test > 50.0, "x-valid {valid:.2}%, ori-test {test:.2}% (chance: 10%)");
}

#[test]
fn the_proxies_batch_is_a_runs_first_training_batch() {
    let dir = std::env::var_os("NB102_FASHION_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    let data = SettingData::load(Setting::FashionMnist, &dir, None).unwrap();
    let (x, y) = nb102_loader::batches::first_batch(&data.train, &data.normalization(), 777, 32, tch::Device::Cpu);
    assert_eq!((x.size(), y.size()), (vec![32, 1, 28, 28], vec![32]));
    // The images of the first 32 positions of epoch 0's order, with their labels.
    let mut rng = nb102_loader::batches::epoch_rng(777, 0);
    let order = nb102_loader::batches::shuffled(data.train.len(), &mut rng);
    assert!(y.equal(&data.train.batch(&order[..32]).1));
    let (again, _) = nb102_loader::batches::first_batch(&data.train, &data.normalization(), 777, 32, tch::Device::Cpu);
    assert!(x.equal(&again));
    assert!(
        !x.equal(&nb102_loader::batches::first_batch(&data.train, &data.normalization(), 888, 32, tch::Device::Cpu).0)
    );

    // From the command line, as nb102-model proxies --input takes it.
    let out = std::env::temp_dir().join(format!("nb102-batch-{}.safetensors", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_nb102-train"))
        .args(["batch", "--setting", "fashion-mnist", "--seed", "777", "--batch-size", "32", "--data-dir"])
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let written: std::collections::HashMap<String, tch::Tensor> =
        tch::Tensor::read_safetensors(&out).unwrap().into_iter().collect();
    assert!(written["x"].equal(&x) && written["y"].equal(&y));
    std::fs::remove_file(&out).unwrap();
}
