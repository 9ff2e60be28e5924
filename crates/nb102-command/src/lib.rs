//! What every nb102 command line (`nb102`, `nb102-model`, `nb102-train`, `nb102-weight-sharing`) shares: a
//! failure is one line on stderr, `PROGRAM: what was expected, found what`, with exit status 2 when the user's
//! input was wrong and 1 when the machine failed (a full disk, a closed output, libtorch); never a panic.
//!
//! ```no_run
//! use clap::Parser;
//! use nb102_command::Failure;
//!
//! /// A command.
//! #[derive(Parser)]
//! struct Cli {
//!     /// A file.
//!     file: std::path::PathBuf,
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     nb102_command::main::<Cli>("example", |cli| {
//!         let text = std::fs::read_to_string(&cli.file).map_err(|e| Failure::Input(e.into()))?;
//!         println!("{}", text.len());
//!         Ok(())
//!     })
//! }
//! ```

use std::process::ExitCode;

use clap::Parser;
use nb102_protocol::ProtocolError;
use nb102_store::StoreError;

/// How a command failed, which decides its exit status.
#[derive(Debug)]
pub enum Failure {
    /// The user's input was wrong: an argument, a file given to read (exit status 2).
    Input(anyhow::Error),
    /// Anything else: writing failed, the machine or libtorch failed (exit status 1).
    Machine(anyhow::Error),
}

impl Failure {
    /// An error of reading what the user gave: every failure is the input's.
    pub fn input(err: impl Into<anyhow::Error>) -> Failure {
        Failure::Input(err.into())
    }

    /// An error of the machine.
    pub fn machine(err: impl Into<anyhow::Error>) -> Failure {
        Failure::Machine(err.into())
    }

    /// An error of doing the work or writing its output, blamed as the error says ([`Blame`]): I/O and libtorch
    /// failing are the machine's; anything else (an output path that cannot be one, a record given twice, an
    /// option out of range) the input's.
    pub fn of<E: Blame + Into<anyhow::Error>>(err: E) -> Failure {
        if err.is_machine() {
            Failure::Machine(err.into())
        } else {
            Failure::Input(err.into())
        }
    }

    /// An error of writing an output: [`Failure::of`] a store error.
    pub fn written(err: StoreError) -> Failure {
        Failure::of(err)
    }
}

/// An error type that tells the machine's failures (I/O, libtorch) from the input's, so that every command
/// blames an error alike: the one classification of each library's errors, next to the errors.
pub trait Blame {
    /// Whether this is the machine failing rather than the user's input being wrong.
    fn is_machine(&self) -> bool;
}

impl Blame for StoreError {
    fn is_machine(&self) -> bool {
        matches!(self, StoreError::Io { .. })
    }
}

impl Blame for ProtocolError {
    /// Reading or writing a config or result file failing.
    fn is_machine(&self) -> bool {
        matches!(self, ProtocolError::Store(err) if err.is_machine())
    }
}

/// `?` on any error: a bare `std::io::Error` (writing to stdout or stderr) is the machine's, every other error (a
/// typed error of reading what the user gave) the input's. Outputs written are classified with
/// [`Failure::written`].
impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(err: E) -> Failure {
        let err = err.into();
        if err.downcast_ref::<std::io::Error>().is_some() {
            Failure::Machine(err)
        } else {
            Failure::Input(err)
        }
    }
}

/// Parses the command line into `C` and runs `body`: `--help` and `--version` exit 0, a command line clap refuses
/// is one line (the paragraph of clap's report that names the mistake, and where the help is) with status 2, and
/// `body`'s failure is one line with its status. A reader that stops early (`nb102 arch list | head`) is not an
/// error.
pub fn main<C: Parser>(program: &str, body: impl FnOnce(C) -> Result<(), Failure>) -> ExitCode {
    let cli = match C::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // clap's report spans several lines; the paragraph before the usage names what was wrong.
            let report = err.to_string();
            let what: Vec<&str> = report.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("{program}: {} (see '{}')", what.join(" ").trim_start_matches("error: "), help::<C>(program));
            return ExitCode::from(2);
        }
    };
    match body(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Machine(err)) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(Failure::Input(err)) => {
            eprintln!("{program}: {err:#}");
            ExitCode::from(2)
        }
        Err(Failure::Machine(err)) => {
            eprintln!("{program}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The help to point at: the subcommand's where the command line names one `C` has.
fn help<C: clap::CommandFactory>(program: &str) -> String {
    let command = C::command();
    match std::env::args().nth(1).filter(|a| command.find_subcommand(a).is_some()) {
        Some(sub) => format!("{program} {sub} --help"),
        None => format!("{program} --help"),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
