//! `nb102-train run`: one trial of the NAS-Bench-201 protocol, written as a per-trial record file.
//!
//! A checkpoint `OUT.ckpt` is written after every epoch; `--resume` continues from it, and it is removed
//! once the record is written. Bad arguments or data are one line on stderr and exit status 2.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nb102_command::Failure;
use nb102_protocol::RunConfig;
use nb102_space::{Architecture, Space};
use nb102_store::{Hp, Setting};
use nb102_train::cli::RunPlace;
use nb102_train::{train, Event, TrainOptions};

#[derive(Parser)]
#[command(name = "nb102-train", version, about = "Train NAS-Bench-201 cells with the benchmark's protocol")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one cell on one setting with one seed; write its record.
    Run(Box<RunArgs>),
    /// The first training batch of a run's first epoch, exactly as `run` draws it (the setting's training images
    /// shuffled by the seed, cropped and flipped, normalised), written as `x` and `y` to a safetensors file: the
    /// batch `nb102-model proxies --input` and `score --input` take (the reference's dataload 'random').
    Batch {
        /// cifar10-valid, cifar10, cifar100, ImageNet16-120 or fashion-mnist.
        #[arg(long)]
        setting: Setting,
        /// The folder holding the dataset (docs/TRAINING.md has the layouts).
        #[arg(long)]
        data_dir: PathBuf,
        /// The folder of the official split files (cifar-split.txt, …); default: the splits built in.
        #[arg(long)]
        splits_dir: Option<PathBuf>,
        /// The run's seed.
        #[arg(long, default_value_t = 0)]
        seed: u32,
        /// Images in the batch.
        #[arg(long, default_value_t = 64)]
        batch_size: usize,
        /// The safetensors file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a dataset's files against the published MD5s and the official sizes.
    CheckData {
        /// cifar10, cifar100, ImageNet16-120 or fashion-mnist.
        #[arg(long)]
        dataset: nb102_model::Dataset,
        /// The folder given to `run --data-dir`.
        #[arg(long)]
        data_dir: PathBuf,
    },
}

#[derive(Parser)]
struct RunArgs {
    #[command(flatten)]
    place: RunPlace,
    /// The run's config, as JSON (`nb102_protocol::RunConfig`; `-`: standard input), instead of the options from
    /// --arch to --eval-at-end.
    #[arg(long, conflicts_with_all = ["arch", "space", "setting", "seed", "hp", "epochs", "channels", "cells",
        "subset", "batch_size", "eval_at_end"])]
    config: Option<PathBuf>,
    /// The cell: an official index, an architecture string, or xautodl's resnet, all_c3x3, all_c1x1, all_idnt or
    /// all_full (every op but none on every edge: trains, but no benchmark holds it); or a size-space network's
    /// channel string such as 8:16:24:32:40 (NATS-Bench's size-space protocol, spec 10.4).
    #[arg(long, required_unless_present = "config")]
    arch: Option<String>,
    /// The space of --arch: tss (default) or sss (the default for a channel string; an index is then a size-space
    /// index).
    #[arg(long)]
    space: Option<nb102_space::Space>,
    /// cifar10-valid, cifar10, cifar100, ImageNet16-120 or fashion-mnist.
    #[arg(long, required_unless_present = "config")]
    setting: Option<Setting>,
    /// The seed (the benchmark: 777, 888, 999; 111 for some 12-epoch runs).
    #[arg(long, required_unless_present = "config")]
    seed: Option<u32>,
    /// The schedule: the epochs of its cosine learning rate (the benchmark: 12 or 200; fewer for smoke runs).
    #[arg(long, required_unless_present = "config")]
    hp: Option<u16>,
    /// Train only the first E epochs of the schedule, on its learning rates (a run stopped early: its record is
    /// of the schedule, with E epochs, and is not merged into a benchmark).
    #[arg(long)]
    epochs: Option<u16>,
    /// Channels of the first stage (the benchmark: 16; not for a size-space network, whose widths are --arch).
    #[arg(long)]
    channels: Option<i64>,
    /// Cells per stage (the benchmark: 5; not for a size-space network).
    #[arg(long)]
    cells: Option<i64>,
    /// At most this many images for training and for each evaluation set.
    #[arg(long)]
    subset: Option<usize>,
    /// Images per training batch (the benchmark: 256).
    #[arg(long)]
    batch_size: Option<usize>,
    /// The original 200-epoch runs' pattern: one set after every epoch (x-valid for cifar10-valid, ori-test
    /// otherwise), the others after the last epoch only. Default: every set after every epoch.
    #[arg(long)]
    eval_at_end: bool,
    /// Keep the final weights in the record.
    #[arg(long)]
    keep_weights: bool,
}

/// The run's config: the `--config` file's, or the one the options make, checked.
fn resolve(args: &RunArgs) -> Result<RunConfig, Failure> {
    let config = match &args.config {
        Some(path) => nb102_protocol::read_json(path, "a training config (nb102_protocol::RunConfig as JSON)")
            .map_err(Failure::input)?,
        None => {
            let (Some(arch), Some(setting), Some(seed), Some(hp)) = (&args.arch, args.setting, args.seed, args.hp)
            else {
                return Err(Failure::input(anyhow::anyhow!(
                    "expected --config, or --arch, --setting, --seed and --hp, found neither"
                )));
            };
            let space = args.space.unwrap_or(Space::of_text(arch));
            let mut config = match Architecture::from_index_or_str(space, arch).map_err(Failure::input)? {
                Architecture::Cell(cell) => RunConfig::nb201(cell, setting, Hp::new(hp), seed),
                Architecture::Widths(widths) => {
                    if args.channels.is_some() || args.cells.is_some() {
                        return Err(Failure::input(anyhow::anyhow!(
                            "--channels, --cells: expected none for a size-space network (its widths are --arch), \
                             found {}",
                            [args.channels, args.cells]
                                .iter()
                                .flatten()
                                .map(i64::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    RunConfig::nats_size(widths, setting, Hp::new(hp), seed)
                }
            };
            config.epochs = args.epochs.unwrap_or(hp);
            config.channels = args.channels.unwrap_or(config.channels);
            config.cells = args.cells.unwrap_or(config.cells);
            config.subset = args.subset;
            config.batch_size = args.batch_size.unwrap_or(config.batch_size);
            config.eval_every_epoch = !args.eval_at_end;
            config
        }
    };
    config.check().map_err(Failure::input)?;
    Ok(config)
}

fn main() -> ExitCode {
    nb102_command::main::<Cli>("nb102-train", |cli| match cli.command {
        Command::Run(args) => run(*args),
        Command::CheckData { dataset, data_dir } => check_data(dataset, &data_dir),
        Command::Batch { setting, data_dir, splits_dir, seed, batch_size, out } => {
            batch(setting, &data_dir, splits_dir.as_deref(), seed, batch_size, &out)
        }
    })
}

fn batch(
    setting: Setting,
    data_dir: &std::path::Path,
    splits_dir: Option<&std::path::Path>,
    seed: u32,
    batch_size: usize,
    out: &std::path::Path,
) -> Result<(), Failure> {
    nb102_store::check_output(out).map_err(Failure::input)?;
    if batch_size == 0 {
        return Err(Failure::input(anyhow::anyhow!("invalid --batch-size: expected a positive number, found 0")));
    }
    let train = nb102_loader::SettingData::load_train(setting, data_dir, splits_dir).map_err(Failure::input)?;
    let normalization = nb102_loader::Normalization::of(setting.dataset());
    let (x, y) = nb102_loader::batches::first_batch(&train, &normalization, seed, batch_size, tch::Device::Cpu);
    nb102_model::write_safetensors(&[("x".to_owned(), x), ("y".to_owned(), y)], out).map_err(Failure::of)?;
    println!("{}", out.display());
    Ok(())
}

fn check_data(dataset: nb102_model::Dataset, dir: &std::path::Path) -> Result<(), Failure> {
    let report = nb102_loader::images::check_official(dataset, dir).map_err(|e| Failure::Input(e.into()))?;
    for line in report {
        println!("{line}");
    }
    Ok(())
}

fn run(args: RunArgs) -> Result<(), Failure> {
    // Reading the data and the arguments: any failure is the input's. Training: writing a checkpoint or libtorch
    // failing is the machine's (`Blame`).
    let place = &args.place;
    if !place.out.to_string_lossy().ends_with(nb102_store::TRIAL_SUFFIX) {
        // merge collects *.trial.cbor files only: a record under another name would be left out.
        return Err(Failure::Input(anyhow::anyhow!(
            "invalid --out: expected a file name ending in {}, which nb102 merge collects, found {}",
            nb102_store::TRIAL_SUFFIX,
            place.out.display()
        )));
    }
    let config = resolve(&args)?;
    let device = place.device()?;
    let checkpoint = place.checkpoint()?;
    let data = place.data(config.setting, config.subset)?;
    let epochs = config.epochs;
    let bar = place.bar(u64::from(epochs) * data.train.len() as u64, "{bar:30} epoch {msg} [{elapsed} < {eta}]");
    let quiet = place.quiet;
    let images = data.train.len() as u64;
    let options =
        TrainOptions { device, checkpoint: &checkpoint, resume: place.resume, keep_weights: args.keep_weights };
    let record = train(&config, &data, &options, &mut |event| match event {
        Event::Resumed { epochs_done } => {
            bar.set_position(u64::from(epochs_done) * images);
            if quiet {
                eprintln!("resumed after epoch {epochs_done}");
            }
        }
        Event::StartedOver { reason } => {
            bar.suspend(|| eprintln!("nb102-train: {}: {reason}; starting the trial over", checkpoint.display()));
        }
        Event::Batch { epoch, images: seen, loss, accuracy, images_per_second, .. } => {
            bar.set_position(u64::from(epoch) * images + seen as u64);
            bar.set_message(format!(
                "{}/{epochs}  loss {loss:.4}  acc {accuracy:.2}%  {images_per_second:.0} img/s",
                epoch + 1
            ));
        }
        Event::Epoch { epoch, train, eval } => {
            if quiet {
                let sets: Vec<String> =
                    eval.iter().filter_map(|(set, p)| Some(format!("{set} {:.2}%", p.accuracy?))).collect();
                eprintln!(
                    "epoch {}/{epochs}  loss {:.4}  train {:.2}%  {}  {:.1} s",
                    epoch + 1,
                    train.loss,
                    train.top1,
                    sets.join("  "),
                    train.time.unwrap_or(0.0)
                );
            }
        }
    })
    .map_err(Failure::of)?;
    bar.finish_and_clear();
    place.finish(&checkpoint, |out| nb102_store::write_trial(out, &record))?;
    println!("{}", place.out.display());
    Ok(())
}
