//! `nb102-train run`: one trial of the NAS-Bench-201 protocol, written as a per-trial record file.
//!
//! A checkpoint `OUT.ckpt` is written after every epoch; `--resume` continues from it, and it is removed
//! once the record is written. Bad arguments or data are one line on stderr and exit status 2.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use nb102_command::Failure;
use nb102_model::DeviceSpec;
use nb102_space::Arch;
use nb102_store::{Hp, Setting};
use nb102_train::{train, Event, RunConfig, SettingData, TrainOptions};

#[derive(Parser)]
#[command(name = "nb102-train", version, about = "Train NAS-Bench-201 cells with the benchmark's protocol")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one cell on one setting with one seed; write its record.
    Run(RunArgs),
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
    /// The cell: an official index or an architecture string.
    #[arg(long)]
    arch: String,
    /// cifar10-valid, cifar10, cifar100, ImageNet16-120 or fashion-mnist.
    #[arg(long)]
    setting: Setting,
    /// The seed (the benchmark: 777, 888, 999; 111 for some 12-epoch runs).
    #[arg(long)]
    seed: u32,
    /// The schedule: 12 or 200 epochs of cosine learning rate.
    #[arg(long)]
    hp: u16,
    /// Folder holding the dataset (see the nb102-train README for the layouts).
    #[arg(long)]
    data_dir: PathBuf,
    /// The record to write (`*.trial.cbor`).
    #[arg(long)]
    out: PathBuf,
    /// Folder of the official split files (cifar-split.txt, cifar100-test-split.txt, …).
    #[arg(long)]
    splits_dir: Option<PathBuf>,
    /// Train this many epochs of the schedule instead of all (smoke runs; recorded as the schedule).
    #[arg(long)]
    epochs: Option<u16>,
    /// Channels of the first stage (the benchmark: 16).
    #[arg(long, default_value_t = 16)]
    channels: i64,
    /// Cells per stage (the benchmark: 5).
    #[arg(long, default_value_t = 5)]
    cells: i64,
    /// At most this many images for training and for each evaluation set.
    #[arg(long)]
    subset: Option<usize>,
    /// Images per training batch (the benchmark: 256).
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// The original 200-epoch runs' pattern: one set after every epoch (x-valid for cifar10-valid, ori-test
    /// otherwise), the others after the last epoch only. Default: every set after every epoch.
    #[arg(long)]
    eval_at_end: bool,
    /// Keep the final weights in the record.
    #[arg(long)]
    keep_weights: bool,
    /// auto, cpu or cuda:N.
    #[arg(long, default_value = "auto")]
    device: DeviceSpec,
    /// Threads of libtorch's CPU operators (default: libtorch's choice, one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Continue from OUT.ckpt if it exists.
    #[arg(long)]
    resume: bool,
    /// One line per epoch instead of a progress bar.
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    nb102_command::main::<Cli>("nb102-train", |cli| match cli.command {
        Command::Run(args) => run(args),
        Command::CheckData { dataset, data_dir } => check_data(dataset, &data_dir),
    })
}

fn check_data(dataset: nb102_model::Dataset, dir: &std::path::Path) -> Result<(), Failure> {
    let report = nb102_train::data::check_official(dataset, dir).map_err(|e| Failure::Input(e.into()))?;
    for line in report {
        println!("{line}");
    }
    Ok(())
}

fn run(args: RunArgs) -> Result<(), Failure> {
    // Reading the data and the arguments: any failure is the input's. Training: writing a checkpoint or libtorch
    // failing is the machine's (`Blame`).
    if !args.out.to_string_lossy().ends_with(nb102_store::TRIAL_SUFFIX) {
        // merge collects *.trial.cbor files only: a record under another name would be left out.
        return Err(Failure::Input(anyhow::anyhow!(
            "invalid --out: expected a file name ending in {}, which nb102 merge collects, found {}",
            nb102_store::TRIAL_SUFFIX,
            args.out.display()
        )));
    }
    let arch = Arch::from_index_or_str(&args.arch).map_err(|e| Failure::Input(e.into()))?;
    let device = args.device.resolve().map_err(|e| Failure::Input(e.into()))?;
    match args.threads {
        Some(0) => return Err(Failure::Input(anyhow::anyhow!("invalid --threads: expected 1 or more, found 0"))),
        Some(n) => tch::set_num_threads(i32::try_from(n).unwrap_or(i32::MAX)),
        None => {}
    }
    let mut config = RunConfig::nb201(arch, args.setting, Hp::new(args.hp), args.seed);
    if let Some(epochs) = args.epochs {
        if epochs == 0 || epochs > args.hp {
            return Err(Failure::Input(anyhow::anyhow!("invalid --epochs: expected 1..={}, found {epochs}", args.hp)));
        }
        config.epochs = epochs;
    }
    (config.channels, config.cells, config.subset) = (args.channels, args.cells, args.subset);
    config.batch_size = args.batch_size;
    config.eval_every_epoch = !args.eval_at_end;

    config.check().map_err(Failure::input)?;
    // The outputs are checked before the data is read and the trial runs, not after it.
    let checkpoint = nb102_store::checkpoint_path(&args.out);
    for path in [&args.out, &checkpoint] {
        nb102_store::check_output(path).map_err(Failure::written)?;
    }
    let mut data =
        SettingData::load(args.setting, &args.data_dir, args.splits_dir.as_deref()).map_err(Failure::input)?;
    if let Some(n) = args.subset {
        data = data.subset(n);
    }
    let epochs = config.epochs;
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(epochs) * data.train.len() as u64).with_style(
            ProgressStyle::with_template("{bar:30} epoch {msg} [{elapsed} < {eta}]").expect("a valid template"),
        )
    };
    let quiet = args.quiet;
    let images = data.train.len() as u64;
    let options =
        TrainOptions { device, checkpoint: &checkpoint, resume: args.resume, keep_weights: args.keep_weights };
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
    nb102_store::write_trial(&args.out, &record).map_err(|e| Failure::Machine(e.into()))?;
    std::fs::remove_file(&checkpoint)
        .with_context(|| format!("removing {}", checkpoint.display()))
        .map_err(Failure::Machine)?;
    println!("{}", args.out.display());
    Ok(())
}
