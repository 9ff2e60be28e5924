//! `nb102-weight-sharing run`: one search of a weight-sharing baseline, written as a JSON result (every epoch's
//! genotype and losses, the derived cell and its official index, the search cost).
//!
//! A checkpoint `OUT.ckpt` is written after every epoch; `--resume` continues from it, and it is removed once
//! the result is written. Bad arguments or data are one line on stderr and exit status 2.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nb102_command::Failure;
use nb102_protocol::{Algorithm, SearchChanges, SearchRun};
use nb102_store::Setting;
use nb102_train::cli::RunPlace;
use nb102_weight_sharing::{search, Event, SearchOptions};

#[derive(Parser)]
#[command(name = "nb102-weight-sharing", version, about = "The weight-sharing NAS baselines of NAS-Bench-201")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one search; write its result.
    Run(Box<RunArgs>),
    /// Print the seeds of the paper's three runs of an algorithm, one per line.
    PaperSeeds {
        /// darts-v1, darts-v2, gdas, setn, enas or rsps.
        #[arg(long)]
        algorithm: Algorithm,
    },
}

#[derive(Parser)]
struct RunArgs {
    #[command(flatten)]
    place: RunPlace,
    /// The search's config, as JSON (`nb102_protocol::SearchRun`; `-`: standard input), instead of the options
    /// from --algorithm to --conv-bias.
    #[arg(long, conflicts_with_all = ["algorithm", "setting", "seed", "epochs", "channels", "cells", "subset",
        "batch_size", "select_num", "controller_steps", "no_running_stats", "conv_bias"])]
    config: Option<PathBuf>,
    /// darts-v1, darts-v2, gdas, setn, enas or rsps.
    #[arg(long, required_unless_present = "config")]
    algorithm: Option<Algorithm>,
    /// cifar10-valid (the paper's: its train and valid halves) or fashion-mnist.
    #[arg(long, required_unless_present = "config")]
    setting: Option<Setting>,
    /// The seed (the paper's three runs: `nb102-weight-sharing paper-seeds`).
    #[arg(long, required_unless_present = "config")]
    seed: Option<u32>,
    /// Epochs (default: the paper's: 50 for DARTS, 250 for the others).
    #[arg(long)]
    epochs: Option<u16>,
    /// Channels of the first stage (the paper: 16).
    #[arg(long)]
    channels: Option<i64>,
    /// Cells per stage (the paper: 5).
    #[arg(long)]
    cells: Option<i64>,
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
    /// Print the run these options make (JSON, with its hash) and search nothing: what a result's `run_hash`
    /// is compared with to tell whether it was made with these options.
    #[arg(long)]
    dry_run: bool,
}

fn main() -> ExitCode {
    nb102_command::main::<Cli>("nb102-weight-sharing", |cli| match cli.command {
        Command::Run(args) => run(*args),
        Command::PaperSeeds { algorithm } => {
            for seed in algorithm.paper_seeds() {
                println!("{seed}");
            }
            Ok(())
        }
    })
}

/// The search's config: the `--config` file's, or the one the options make, checked.
fn resolve(args: &RunArgs) -> Result<SearchRun, Failure> {
    let run = match &args.config {
        Some(path) => nb102_protocol::read_json(path, "a search config (nb102_protocol::SearchRun as JSON)")
            .map_err(Failure::input)?,
        None => {
            let (Some(algorithm), Some(setting), Some(seed)) = (args.algorithm, args.setting, args.seed) else {
                return Err(Failure::input(anyhow::anyhow!(
                    "expected --config, or --algorithm, --setting and --seed, found neither"
                )));
            };
            let changes = SearchChanges {
                epochs: args.epochs,
                channels: args.channels,
                cells: args.cells,
                subset: args.subset,
                batch_size: args.batch_size,
                select_num: args.select_num,
                controller_steps: args.controller_steps,
                track_running_stats: args.no_running_stats.then_some(false),
                conv_bias: args.conv_bias.then_some(true),
            };
            changes.apply(SearchRun::paper(algorithm, setting, seed))
        }
    };
    run.check().map_err(Failure::input)?;
    Ok(run)
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let place = &args.place;
    let device = place.device()?;
    let run = resolve(&args)?;
    if args.dry_run {
        println!("{}", serde_json::json!({ "run": run, "run_hash": run.hash() }));
        return Ok(());
    }
    let checkpoint = place.checkpoint()?;
    let data = place.data(run.setting, run.subset)?;
    let epochs = run.epochs;
    let bar = place.bar(u64::from(epochs), "{bar:30} epoch {pos}/{len} {msg} [{elapsed} < {eta}]");
    let (quiet, name) = (place.quiet, run.algorithm.paper_name());
    let mut genotype = String::from("-");
    let options = SearchOptions { device, checkpoint: &checkpoint, resume: place.resume };
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
    place.finish(&checkpoint, |out| nb102_protocol::write_json(out, &result))?;
    println!("{} {} (index {})", place.out.display(), result.cell, result.index);
    Ok(())
}
