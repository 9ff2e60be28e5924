//! `nb102`: the command line of the benchmark, over the query library `nb102-api` and the store.
//!
//! Every failure is one line on stderr that says what was expected and what was found, and exit
//! status 2 for bad input (1 for anything else, such as a closed output); never a panic (`nb102-command`).

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod arch;
mod files;
mod queries;

/// NAS-Bench-201, rebuilt: query the search space and the benchmark.
#[derive(Parser)]
#[command(name = "nb102", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The search space: official indices, strings, validity, isomorphism classes.
    #[command(subcommand)]
    Arch(arch::ArchCommand),
    /// Show one per-trial file.
    Trial(files::TrialArgs),
    /// Merge per-trial files into a benchmark file.
    Merge(files::MergeArgs),
    /// Write a benchmark file without weights.
    Simplify(files::SimplifyArgs),
    /// Describe a benchmark file: kind, cells, trials, settings, schedules, seeds, checksum.
    Info(files::InfoArgs),
    /// Add proxy scores (files that hold them, such as nb102-model score's) to a copy of a benchmark file.
    AddProxies(files::AddProxiesArgs),
    /// Import official result files into a benchmark file.
    #[command(subcommand)]
    Import(files::ImportCommand),
    /// Everything a benchmark file holds for one cell, as a table.
    Show(queries::ShowArgs),
    /// The reference's get_more_info: train, valid, test (and valtest) metrics of one cell.
    Query(queries::QueryArgs),
    /// The reference's get_cost_info: FLOPs, parameters, latency and times of one cell.
    Cost(queries::CostArgs),
    /// The reference's find_best: the cell with the highest accuracy, within FLOP and parameter limits.
    Best(queries::BestArgs),
    /// Zero-cost proxy scores of one cell: every column the file holds, or those the options pick.
    Proxy(queries::ProxyArgs),
}

fn main() -> ExitCode {
    nb102_command::main::<Cli>("nb102", |cli| {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        match cli.command {
            Command::Arch(command) => arch::run(command, &mut out),
            Command::Trial(args) => files::trial(args, &mut out),
            Command::Merge(args) => files::merge(args, &mut out),
            Command::Simplify(args) => files::simplify(args, &mut out),
            Command::Info(args) => files::info(args, &mut out),
            Command::AddProxies(args) => files::add_proxies(args, &mut out),
            Command::Import(command) => files::import(command, &mut out),
            Command::Show(args) => queries::show(args, &mut out),
            Command::Query(args) => queries::query(args, &mut out),
            Command::Cost(args) => queries::cost(args, &mut out),
            Command::Best(args) => queries::best(args, &mut out),
            Command::Proxy(args) => queries::proxy(args, &mut out),
        }?;
        Ok(out.flush()?)
    })
}
