//! `cargo xtask bench-store`: the benchmark-file targets on a full-size synthetic file.
//!
//! Writes (once, kept under `target/bench-store/`) a synthetic benchmark of the official shape: 15,625 cells,
//! each with 200-epoch trials on the four settings with seeds 777/888/999 and 12-epoch trials with seed 111
//! (and 777 on cifar10-valid), sets evaluated every epoch or only after the last as in the official records.
//! The numbers are generated, and the file says so (`kind: synthetic`). Then, in a fresh process so that the
//! memory figure is the reader's alone, it measures opening, resident memory after opening, `more_info` on
//! cold and warm cells, and `find_best` over every cell. The reference's API is timed on the official sample
//! records in the same run when the set-up venv and the reference data are there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use nb102_api::{Api, Seeds};
use nb102_space::{official_archs, Arch, NUM_ARCHS};
use nb102_store::{
    BenchmarkKind, BenchmarkMeta, BenchmarkWriter, CellResults, EvalPoint, EvalSet, Hp, NetConfig, Provenance, Setting,
    TrainEpoch, TrialRecord, BENCHMARK_FORMAT_VERSION,
};
use rand::{Rng, SeedableRng};

use crate::workspace::{in_release, reference_dir, root, rss_mb, run_script};

pub(crate) fn run(args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    // The generator and the reader run as an optimised build of this crate: encoding and decoding gigabytes
    // with unoptimised dependencies would measure the build, not the format.
    in_release("bench-store-release", args)?;
    reference(&root())
}

/// Generates the file if needed and runs the reader in a fresh process: `cargo xtask bench-store` runs it.
pub(crate) fn release(mut args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let mut cells = NUM_ARCHS;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cells" => {
                cells = args.next().context("--cells needs a number")?.parse().context("--cells needs a number")?
            }
            other => bail!("unexpected argument: expected --cells N, found {other:?}"),
        }
    }
    let path = synthetic_file(cells)?;
    let size = std::fs::metadata(&path)?.len();
    println!("file: {} ({:.2} GB, {cells} cells)", path.display(), size as f64 / 1e9);
    let status = Command::new(std::env::current_exe()?).arg("bench-store-read").arg(&path).status()?;
    if !status.success() {
        bail!("the reading benchmark failed: expected exit status 0, found {status}");
    }
    Ok(())
}

/// The synthetic file of `cells` cells under `target/bench-store/`, generated unless it is there in this build's
/// format (generating it takes an optimised build: run this through [`in_release`]).
pub(crate) fn synthetic_file(cells: usize) -> anyhow::Result<PathBuf> {
    let dir = root().join("target/bench-store");
    std::fs::create_dir_all(&dir)?;
    if let Some(path) = find_existing(&dir, &format!("synthetic-{cells}-"))? {
        return Ok(path);
    }
    let start = Instant::now();
    let path = generate(&dir.join(format!("synthetic-{cells}")), cells)?;
    println!("wrote {} in {:.1} s", path.display(), start.elapsed().as_secs_f64());
    Ok(path)
}

/// The reading half, in a fresh process so that its memory is the reader's alone.
pub(crate) fn read(mut args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let path = PathBuf::from(args.next().context("bench-store-read needs a file")?);
    let rss_before = rss_mb()?;
    let mut opens: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let api = Api::open(&path).map(|_| ());
            api.map(|()| start.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    opens.sort_by(f64::total_cmp);
    let api = Api::open(&path)?;
    let rss_open = rss_mb()?;
    println!(
        "open: {:.2} ms (median of 5)   resident memory: {rss_before:.1} MB before, {rss_open:.1} MB after open",
        opens[2]
    );

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let sample: Vec<usize> = (0..1000).map(|_| rng.random_range(0..api.file().len())).collect();
    let indices: Vec<usize> = api.file().indices().collect();
    let query = |i: usize| {
        api.more_info(indices[i], Setting::Cifar100, Hp::H200, None, &mut Seeds::Mean).map(|m| m.train.accuracy)
    };
    let start = Instant::now();
    for &i in &sample {
        query(i)?;
    }
    let cold = start.elapsed().as_secs_f64() * 1e6 / sample.len() as f64;
    // Warm: cells among the file's recently used ones (it keeps DEFAULT_CACHED_CELLS decoded), queried again.
    let kept = &sample[sample.len() - nb102_store::DEFAULT_CACHED_CELLS / 2..];
    let mut warm: Vec<f64> = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for &i in kept {
            std::hint::black_box(query(i)?);
        }
        warm.push(start.elapsed().as_secs_f64() * 1e6 / kept.len() as f64);
    }
    warm.sort_by(f64::total_cmp);
    println!(
        "more_info (cifar100, hp 200, mean of 3 seeds): {cold:.1} µs on a cell's first query, {:.2} µs warm",
        warm[2]
    );
    println!("resident memory after 1,000 cells decoded: {:.1} MB", rss_mb()?);

    let start = Instant::now();
    let rows = api.file().summary()?.len();
    println!("summary section read and checked: {:.1} ms ({rows} rows)", start.elapsed().as_secs_f64() * 1e3);
    for round in ["first", "warm"] {
        let start = Instant::now();
        let best = api.find_best(Setting::Cifar10Valid, Some(EvalSet::XValid), Hp::H12, None, None)?;
        println!("find_best over all cells ({round}): {:.1} ms -> {best:?}", start.elapsed().as_secs_f64() * 1e3);
    }
    println!("resident memory at the end: {:.1} MB", rss_mb()?);
    Ok(())
}

/// Generates the synthetic file, one cell at a time.
fn generate(prefix: &Path, cells: usize) -> anyhow::Result<PathBuf> {
    let meta = BenchmarkMeta {
        description:
            "synthetic numbers in the shape of NAS-Bench-201, for benchmarking the software; not training results"
                .into(),
        kind: BenchmarkKind::Synthetic,
    };
    let mut writer = BenchmarkWriter::create(prefix, meta)?;
    let progress = indicatif::ProgressBar::new(cells as u64).with_style(
        indicatif::ProgressStyle::with_template("generating {bar:30} {pos}/{len} cells {eta}")
            .expect("a valid template"),
    );
    let archs: Vec<Arch> = official_archs().take(cells).collect();
    for (index, arch) in archs.into_iter().enumerate() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(index as u64);
        let mut trials = Vec::new();
        for setting in Setting::NB201 {
            for seed in [777, 888, 999] {
                trials.push(trial(&mut rng, arch, setting, Hp::H200, seed));
            }
            trials.push(trial(&mut rng, arch, setting, Hp::H12, 111));
            if setting == Setting::Cifar10Valid {
                trials.push(trial(&mut rng, arch, setting, Hp::H12, 777));
            }
        }
        writer.add_cell(index, &CellResults::new(trials)?)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(writer.finish()?)
}

fn trial(rng: &mut impl Rng, arch: Arch, setting: Setting, hp: Hp, seed: u32) -> TrialRecord {
    let epochs = hp.epochs();
    let quality: f64 = rng.random_range(0.3..0.95);
    let curve = |e: u16, rng: &mut dyn rand::RngCore| {
        100.0 * quality * (1.0 - (-f64::from(e + 1) / 20.0).exp()) + rng.random_range(-0.5..0.5)
    };
    let train = (0..epochs)
        .map(|e| TrainEpoch {
            loss: 2.3 * (1.0 - quality) + 1.0 / f64::from(e + 1),
            top1: curve(e, rng),
            top5: None,
            time: Some(7.2),
        })
        .collect();
    // As in the official records: some sets are evaluated every epoch, others only after the last of 200, but
    // every set has a (pseudo) time at every epoch.
    let eval: BTreeMap<EvalSet, Vec<EvalPoint>> = setting
        .eval_sets()
        .iter()
        .map(|&set| {
            let every_epoch = hp == Hp::H12 || set == setting.every_epoch_set();
            let points = (0..epochs)
                .map(|e| {
                    let evaluated = every_epoch || e == epochs - 1;
                    let accuracy = evaluated.then(|| curve(e, rng));
                    EvalPoint { epoch: e, loss: accuracy.map(|a| (100.0 - a) / 40.0), accuracy, time: Some(1.02) }
                })
                .collect();
            (set, points)
        })
        .collect();
    TrialRecord {
        arch: arch.into(),
        setting,
        hp,
        seed,
        net: NetConfig { channels: 16, cells: 5, classes: setting.dataset().classes() as u32 },
        train,
        eval,
        params_mb: 0.5,
        flops_m: 70.0,
        latency: vec![0.0139],
        provenance: Provenance {
            producer: "synthetic (cargo xtask bench-store)".into(),
            config_hash: None,
            config: None,
            device: None,
            dataset_fingerprint: None,
        },
        weights: None,
    }
}

/// The reference's API on the official sample records, timed in the same run, when both are at hand.
fn reference(root: &Path) -> anyhow::Result<()> {
    let python = root.join(".venv/bin/python");
    let data = reference_dir(root).join("nats-tss-sample");
    if !python.exists() || !data.is_dir() {
        println!("reference: skipped (needs {} and {})", python.display(), data.display());
        return Ok(());
    }
    run_script(&python, root, "scripts/bench/store_reference.py", &[data.as_os_str()])
}

/// The file generated earlier, if it is in this build's format; one in an older format is removed, so that the
/// figures are always those of the format written today.
fn find_existing(dir: &Path, prefix: &str) -> anyhow::Result<Option<PathBuf>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with(prefix) && name.ends_with(".nb102") {
            if nb102_store::BenchmarkFile::open(&path).is_ok_and(|f| f.version() == BENCHMARK_FORMAT_VERSION) {
                return Ok(Some(path));
            }
            println!("removing {}, written in another format", path.display());
            std::fs::remove_file(&path)?;
        }
    }
    Ok(None)
}
