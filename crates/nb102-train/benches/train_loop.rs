//! Images per second of a training epoch and an evaluation pass, nb102-train's loop against the reference's
//! (xautodl's network, `torch.optim.SGD`, torchvision's transforms in a DataLoader:
//! `scripts/bench/train_reference.py`), same cell, width, depth, batch and threads, in one run
//! (docs/PERFORMANCE.md).
//!
//! ```text
//! cargo bench -p nb102-train --bench train_loop -- [--arch 11472] [--images 1024] [--threads 2] [--workers 2]
//!     [--rounds 2] [--device cpu|cuda:0] [--no-reference]
//! ```
//! The two alternate for `--rounds` rounds, so that a drift in the machine's speed favours neither; the median
//! of each side is reported. CIFAR-10-shaped random images; the reference uses `--workers` DataLoader processes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use nb102_loader::Images;
use nb102_loader::SettingData;
use nb102_model::{Dataset, DeviceSpec};
use nb102_protocol::RunConfig;
use nb102_space::Arch;
use nb102_store::{EvalSet, Hp, Setting};
use nb102_train::{train, TrainOptions};
use tch::{Device, Kind, Tensor};

struct Options {
    arch: Arch,
    images: usize,
    threads: i32,
    workers: usize,
    rounds: usize,
    device: Device,
    reference: bool,
}

fn main() {
    let o = options();
    tch::set_num_threads(o.threads);
    println!(
        "cell {} ({}), C16 N5, batch 256, {} images, {} threads, device {:?}",
        o.arch.official_index(),
        o.arch,
        o.images,
        o.threads,
        o.device
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=o.rounds {
        let mine = time_ours(&o);
        println!("round {round}: nb102     train {:8.1} img/s   eval {:8.1} img/s", mine.0, mine.1);
        ours.push(mine);
        if o.reference {
            match time_reference(&o) {
                Ok(r) => {
                    println!(
                        "round {round}: reference train {:8.1} img/s   eval {:8.1} img/s ({} workers)",
                        r.0, r.1, o.workers
                    );
                    theirs.push(r);
                }
                Err(e) => println!("reference: not run ({e})"),
            }
        }
    }
    let median = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    let (train, eval) = (median(&ours, |r| r.0), median(&ours, |r| r.1));
    println!("nb102 median: train {train:.1} img/s, eval {eval:.1} img/s");
    if !theirs.is_empty() {
        let (rt, re) = (median(&theirs, |r| r.0), median(&theirs, |r| r.1));
        println!("reference median: train {rt:.1} img/s, eval {re:.1} img/s");
        println!("speed-up (nb102 / reference): train {:.2}x, eval {:.2}x", train / rt, eval / re);
    }
}

/// One epoch and one evaluation pass through `nb102_train::train`; images per second of each.
fn time_ours(o: &Options) -> (f64, f64) {
    let n = o.images as i64;
    let images = || Images {
        images: Tensor::randint(256, [n, 3, 32, 32], (Kind::Uint8, Device::Cpu)),
        labels: Tensor::randint(10, [n], (Kind::Int64, Device::Cpu)),
    };
    let data = SettingData {
        setting: Setting::Cifar10,
        dataset: Dataset::Cifar10,
        train: images(),
        eval: BTreeMap::from([(EvalSet::OriTest, images())]),
    };
    let config = RunConfig::nb201(o.arch, Setting::Cifar10, Hp::new(1), 777);
    let checkpoint = std::env::temp_dir().join(format!("nb102-bench-train-{}.ckpt", std::process::id()));
    let record = train(
        &config,
        &data,
        &TrainOptions { device: o.device, checkpoint: &checkpoint, resume: false, keep_weights: false },
        &mut |_| {},
    )
    .expect("a run");
    let _ = std::fs::remove_file(&checkpoint);
    let train_time = record.train[0].time.expect("a time");
    let eval_time = record.eval[&EvalSet::OriTest][0].time.expect("a time");
    (o.images as f64 / train_time, o.images as f64 / eval_time)
}

fn time_reference(o: &Options) -> Result<(f64, f64), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python =
        std::env::var_os("NB102_REFERENCE_PYTHON").map(PathBuf::from).unwrap_or_else(|| root.join(".venv/bin/python"));
    let out = Command::new(&python)
        .arg(root.join("scripts/bench/train_reference.py"))
        .arg(o.arch.to_string())
        .args([o.images.to_string(), o.threads.to_string(), o.workers.to_string()])
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("failed").to_owned());
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok((json["train"].as_f64().ok_or("no train rate")?, json["eval"].as_f64().ok_or("no eval rate")?))
}

fn options() -> Options {
    let mut o = Options {
        arch: Arch::from_official_index(11472).expect("an index"),
        images: 1024,
        threads: 2,
        workers: 2,
        rounds: 2,
        device: Device::Cpu,
        reference: true,
    };
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--arch" => o.arch = Arch::from_index_or_str(&value()).expect("an architecture"),
            "--images" => o.images = value().parse().expect("a number"),
            "--threads" => o.threads = value().parse().expect("a number"),
            "--workers" => o.workers = value().parse().expect("a number"),
            "--rounds" => o.rounds = value().parse().expect("a number"),
            "--device" => o.device = value().parse::<DeviceSpec>().expect("a device").resolve().expect("a device"),
            "--no-reference" => o.reference = false,
            other => panic!("unknown option {other}"),
        }
    }
    o
}
