//! `nb102`: the command line of the benchmark.
//!
//! Every failure is one line on stderr that says what was expected and what was found, and exit
//! status 2 for bad input (1 for anything else, such as a closed output); never a panic.

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
}

/// How a command failed, which decides the exit status.
enum Failure {
    /// The user's input was wrong (exit status 2).
    Input(anyhow::Error),
    /// Anything else (exit status 1).
    Other(anyhow::Error),
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Failure {
        Failure::Other(err.into())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // clap's report spans several lines; the paragraph before the usage names what was wrong.
            let report = err.to_string();
            let what: Vec<&str> = report.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("nb102: {} (see 'nb102 --help')", what.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Arch(command) => arch::run(command, &mut out),
        Command::Trial(args) => files::trial(args, &mut out),
        Command::Merge(args) => files::merge(args, &mut out),
        Command::Simplify(args) => files::simplify(args, &mut out),
        Command::Info(args) => files::info(args, &mut out),
        Command::Import(command) => files::import(command, &mut out),
        Command::Show(args) => queries::show(args, &mut out),
        Command::Query(args) => queries::query(args, &mut out),
        Command::Cost(args) => queries::cost(args, &mut out),
        Command::Best(args) => queries::best(args, &mut out),
    }
    .and_then(|()| out.flush().map_err(Failure::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`nb102 arch list | head`) is not an error.
        Err(Failure::Other(err)) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(Failure::Input(err)) => {
            eprintln!("nb102: {err:#}");
            ExitCode::from(2)
        }
        Err(Failure::Other(err)) => {
            eprintln!("nb102: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
