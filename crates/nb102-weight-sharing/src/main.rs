//! `nb102-weight-sharing run`: one search of a weight-sharing baseline, written as a JSON result (every epoch's
//! genotype and losses, the derived cell and its official index, the search cost).
//!
//! A checkpoint `OUT.ckpt` is written after every epoch; `--resume` continues from it, and it is removed once
//! the result is written. Bad arguments or data are one line on stderr and exit status 2.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use nb102_command::Failure;
use nb102_model::DeviceSpec;
use nb102_store::Setting;
use nb102_train::SettingData;
use nb102_weight_sharing::{search, Algorithm, Event, SearchOptions, SearchRun};

#[derive(Parser)]
#[command(name = "nb102-weight-sharing", version, about = "The weight-sharing NAS baselines of NAS-Bench-201")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one search; write its result.
    Run(RunArgs),
    /// Print the seeds of the paper's three runs of an algorithm, one per line.
    PaperSeeds {
        /// darts-v1, darts-v2, gdas, setn, enas or rsps.
        #[arg(long)]
        algorithm: Algorithm,
    },
}

#[derive(Parser)]
struct RunArgs {
    /// darts-v1, darts-v2, gdas, setn, enas or rsps.
    #[arg(long)]
    algorithm: Algorithm,
    /// cifar10-valid (the paper's: its train and valid halves) or fashion-mnist.
    #[arg(long)]
    setting: Setting,
    /// The seed (the paper's three runs: see `Algorithm::paper_seeds`).
    #[arg(long)]
    seed: u32,
    /// Folder holding the dataset.
    #[arg(long)]
    data_dir: PathBuf,
    /// The result to write (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Folder of the official split files (cifar-split.txt).
    #[arg(long)]
    splits_dir: Option<PathBuf>,
    /// Epochs (default: the paper's: 50 for DARTS, 250 for the others).
    #[arg(long)]
    epochs: Option<u16>,
    /// Channels of the first stage (the paper: 16).
    #[arg(long, default_value_t = 16)]
    channels: i64,
    /// Cells per stage (the paper: 5).
    #[arg(long, default_value_t = 5)]
    cells: i64,
    /// At most this many images in each half.
    #[arg(long)]
    subset: Option<usize>,
    /// Images per search batch (default: the paper's).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Candidates SETN and RSPS score per epoch (the paper: 100).
    #[arg(long)]
    select_num: Option<usize>,
    /// ENAS: controller steps per epoch (the paper: 50, of 20 samples each).
    #[arg(long)]
    controller_steps: Option<usize>,
    /// Batch norms of the cells without running statistics (the scripts' BN=0).
    #[arg(long)]
    no_running_stats: bool,
    /// Biased cell convolutions, as xautodl builds them (the paper-time code's had none).
    #[arg(long)]
    conv_bias: bool,
    /// auto, cpu or cuda:N.
    #[arg(long, default_value = "auto")]
    device: DeviceSpec,
    /// Threads of libtorch's CPU operators (default: libtorch's choice).
    #[arg(long)]
    threads: Option<usize>,
    /// Continue from OUT.ckpt if it exists.
    #[arg(long)]
    resume: bool,
    /// One line per epoch instead of a progress bar.
    #[arg(long)]
    quiet: bool,
    /// Print the run these options make (JSON, with its hash) and search nothing: what a result's `run_hash`
    /// is compared with to tell whether it was made with these options.
    #[arg(long)]
    dry_run: bool,
}

fn main() -> ExitCode {
    nb102_command::main::<Cli>("nb102-weight-sharing", |cli| match cli.command {
        Command::Run(args) => run(args),
        Command::PaperSeeds { algorithm } => {
            for seed in algorithm.paper_seeds() {
                println!("{seed}");
            }
            Ok(())
        }
    })
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let device = args.device.resolve().map_err(Failure::input)?;
    match args.threads {
        Some(0) => return Err(Failure::input(anyhow::anyhow!("invalid --threads: expected 1 or more, found 0"))),
        Some(n) => tch::set_num_threads(i32::try_from(n).unwrap_or(i32::MAX)),
        None => {}
    }
    let mut run = SearchRun::paper(args.algorithm, args.setting, args.seed);
    if let Some(epochs) = args.epochs {
        run = run.with_epochs(epochs);
    }
    (run.channels, run.cells, run.subset) = (args.channels, args.cells, args.subset);
    run.batch_size = args.batch_size.unwrap_or(run.batch_size);
    run.select_num = args.select_num.unwrap_or(run.select_num);
    run.controller.train_steps = args.controller_steps.unwrap_or(run.controller.train_steps);
    run.track_running_stats = !args.no_running_stats;
    run.conv_bias = args.conv_bias;
    run.check().map_err(Failure::input)?;
    if args.dry_run {
        println!("{}", serde_json::json!({ "run": run, "run_hash": run.hash() }));
        return Ok(());
    }
    // The outputs are checked before the data is read and the search runs, not after it.
    let checkpoint = nb102_store::checkpoint_path(&args.out);
    for path in [&args.out, &checkpoint] {
        nb102_store::check_output(path).map_err(Failure::written)?;
    }
    let mut data =
        SettingData::load(args.setting, &args.data_dir, args.splits_dir.as_deref()).map_err(Failure::input)?;
    if let Some(n) = args.subset {
        data = data.subset(n);
    }
    let epochs = run.epochs;
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(epochs)).with_style(
            ProgressStyle::with_template("{bar:30} epoch {pos}/{len} {msg} [{elapsed} < {eta}]")
                .expect("a valid template"),
        )
    };
    let (quiet, name) = (args.quiet, args.algorithm.paper_name());
    let mut genotype = String::from("-");
    let options = SearchOptions { device, checkpoint: &checkpoint, resume: args.resume };
    let result = search(&run, &data, &options, &mut |event| match event {
        Event::Resumed { epochs_done } => {
            bar.set_position(u64::from(epochs_done));
            if quiet {
                eprintln!("resumed after epoch {epochs_done}");
            }
        }
        Event::StartedOver { reason } => {
            bar.suspend(|| eprintln!("nb102-weight-sharing: {}: {reason}; starting over", checkpoint.display()));
        }
        Event::Step { step, steps, base_loss, .. } => {
            bar.set_message(format!("step {step}/{steps}  loss {base_loss:.4}  {genotype}"));
        }
        Event::Epoch(record) => {
            bar.inc(1);
            genotype = record.genotype.clone();
            if quiet {
                let arch = record.arch_top1.map(|a| format!("  arch {a:.2}%")).unwrap_or_default();
                let valid = record.valid_top1.map(|v| format!("  valid {v:.2}%")).unwrap_or_default();
                eprintln!(
                    "{name} epoch {}/{epochs}  loss {:.4}  train {:.2}%{arch}{valid}  {:.1} s  {}",
                    record.epoch + 1,
                    record.base_loss,
                    record.base_top1,
                    record.time,
                    record.genotype
                );
            }
        }
    })
    .map_err(Failure::of)?;
    bar.finish_and_clear();
    let json = serde_json::to_vec_pretty(&result).expect("a result serialises");
    nb102_store::write_atomically(&args.out, |out| std::io::Write::write_all(out, &json))
        .map_err(|e| Failure::Machine(e.into()))?;
    std::fs::remove_file(&checkpoint)
        .with_context(|| format!("removing {}", checkpoint.display()))
        .map_err(Failure::Machine)?;
    println!("{} {} (index {})", args.out.display(), result.cell, result.index);
    Ok(())
}
