//! `nb102 trial | merge | simplify | info`: per-trial files and benchmark files from the command line.
//!
//! Every file given by the user that cannot be read as what it should be is bad input (exit status 2);
//! only a failure to write the output is exit status 1.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use nb102_space::Space;
use nb102_store::{BenchmarkFile, BenchmarkKind, BenchmarkMeta, ImportError, TableColumn, TrialRecord};
use serde_json::json;

use nb102_command::Failure;

#[derive(Args)]
pub(crate) struct TrialArgs {
    /// A per-trial file (`*.trial.cbor`).
    file: PathBuf,
    /// Print the whole record as JSON (weights as their size in bytes).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct MergeArgs {
    /// Folders searched recursively for `*.trial.cbor` files.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Output prefix: the file written is PREFIX-XXXXXX.nb102, XXXXXX from its checksum.
    #[arg(short, long)]
    output: PathBuf,
    /// What the trials are.
    #[arg(long, value_enum)]
    kind: Kind,
    /// One line describing the benchmark (default: from the kind).
    #[arg(long)]
    description: Option<String>,
}

#[derive(Args)]
pub(crate) struct SimplifyArgs {
    /// A benchmark file.
    file: PathBuf,
    /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Args)]
pub(crate) struct AddProxiesArgs {
    /// A benchmark file (or a file of proxy scores alone).
    file: PathBuf,
    /// Files holding proxy scores, such as `nb102-model score`'s (the shards of one run, say).
    #[arg(required = true)]
    scores: Vec<PathBuf>,
    /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Args)]
pub(crate) struct InfoArgs {
    /// A benchmark file.
    file: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Also decode every cell and check it against its checksum (reads the whole file).
    #[arg(long)]
    verify: bool,
}

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
    /// A NATS-Bench topology archive folder (NATS-tss-v1_0-3ffb9-simple: meta.pickle.pbz2, NNNNNN.pickle.pbz2).
    NatsTss {
        /// The archive folder.
        dir: PathBuf,
        /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// A NATS-Bench size archive folder (NATS-sss-v1_0-50262-simple: meta.pickle.pbz2, NNNNNN.pickle.pbz2), into a
    /// file of the size space.
    NatsSss {
        /// The archive folder.
        dir: PathBuf,
        /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// NAS-Bench-201 torch.save files: a benchmark file (NAS-Bench-201-v1_1-096897.pth) or per-cell
    /// archive files (000123-FULL.pth, with weights), in the zip or the legacy serialization.
    Nb201Pth {
        /// The files; their cells are merged into one benchmark file.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// A per-cell table of final accuracies (CSV: an `index` column, one column per setting, schedule and set),
    /// as summary-only records: seed means with the network's parameters and FLOPs, no curves or times.
    Table {
        /// The table, e.g. nb201_groundtruth_merged.csv.
        table: PathBuf,
        /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
        #[arg(short, long)]
        output: PathBuf,
        /// What a column holds, NAME=SETTING:HP:SET (e.g. c10_test_12ep=cifar10:12:ori-test), repeated; by
        /// default the twelve seed-mean columns of NAS-Bench-201 tables (docs/RECORDS.md).
        #[arg(long = "column", value_name = "NAME=SETTING:HP:SET")]
        columns: Vec<String>,
        /// What the results are: NAS-Bench-201's (the default), or a demo's.
        #[arg(long, value_enum, default_value = "nb201")]
        kind: Kind,
    },
    /// NAS-Bench-Suite-Zero's NAS-Bench-201 proxy scores (NASLib's zc_nasbench201.json) as proxy-score columns
    /// (NASLib's variant, batch 32): added to a copy of a benchmark file (--into), or a file of the scores alone.
    /// Every cell's params must equal NAS-Bench-201's.
    SuiteZero {
        /// The JSON file.
        file: PathBuf,
        /// A benchmark file to copy with the scores added (it is left as it is).
        #[arg(long)]
        into: Option<PathBuf>,
        /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Kind {
    /// Trained with the NAS-Bench-201 protocol.
    Nb201,
    /// A reduced demonstration run.
    Demo,
    /// Generated numbers, for benchmarking the software.
    Synthetic,
}

impl From<Kind> for BenchmarkKind {
    fn from(kind: Kind) -> BenchmarkKind {
        match kind {
            Kind::Nb201 => BenchmarkKind::Nb201,
            Kind::Demo => BenchmarkKind::Demo,
            Kind::Synthetic => BenchmarkKind::Synthetic,
        }
    }
}

pub(crate) fn trial(args: TrialArgs, out: &mut impl Write) -> Result<(), Failure> {
    let record = nb102_store::read_trial(&args.file).map_err(Failure::input)?;
    if args.json {
        writeln!(out, "{}", trial_json(&record))?;
        return Ok(());
    }
    // A network outside the spaces (xautodl's all_full) has no index.
    let index = record.arch.in_space().map_or("-".to_owned(), |(space, index)| match space {
        nb102_space::Space::Topology => index.to_string(),
        nb102_space::Space::Size => format!("{index} (size space)"),
    });
    writeln!(out, "cell      {index} {}", record.arch)?;
    writeln!(out, "setting   {}  hp {}  seed {}", record.setting, record.hp, record.seed)?;
    writeln!(
        out,
        "network   C={} N={} classes={}  params {:.6} MB  flops {:.5} M",
        record.net.channels, record.net.cells, record.net.classes, record.params_mb, record.flops_m
    )?;
    if let Some(last) = record.train.last() {
        writeln!(out, "train     last epoch: loss {:.4}  top-1 {:.2}%", last.loss, last.top1)?;
    }
    for (set, points) in &record.eval {
        let evaluated: Vec<_> = points.iter().filter_map(|p| Some((p.epoch, p.loss?, p.accuracy?))).collect();
        if let Some(&(epoch, loss, accuracy)) = evaluated.last() {
            let n = evaluated.len();
            writeln!(
                out,
                "{:<9} epoch {epoch}: loss {loss:.4}  accuracy {accuracy:.2}%  ({n} evaluations)",
                set.name()
            )?;
        }
    }
    writeln!(out, "producer  {}", record.provenance.producer)?;
    Ok(())
}

/// How many skipped files `merge` names one by one.
const SKIPPED_SHOWN: usize = 10;

pub(crate) fn merge(args: MergeArgs, out: &mut impl Write) -> Result<(), Failure> {
    check_prefix(&args.output)?;
    let found = nb102_store::find_trial_files(&args.dirs).map_err(Failure::input)?;
    let files = found.files;
    if files.is_empty() {
        let dirs: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
        let other = match found.skipped.first() {
            Some((path, why)) => {
                format!(" (but {} other files, the first {}: {why})", found.skipped.len(), path.display())
            }
            None => String::new(),
        };
        return Err(Failure::Input(anyhow::anyhow!(
            "expected *.trial.cbor files under {}, found none{other}",
            dirs.join(", ")
        )));
    }
    // Said, so that a run's record under another name is not lost without a word.
    for (path, why) in found.skipped.iter().take(SKIPPED_SHOWN) {
        eprintln!("nb102: merge skips {}: {why}", path.display());
    }
    if found.skipped.len() > SKIPPED_SHOWN {
        eprintln!("nb102: merge skips {} more files that are not trial files", found.skipped.len() - SKIPPED_SHOWN);
    }
    let progress = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("reading trials {bar:30} {pos}/{len} {eta}").expect("a valid template"),
    );
    let mut records = Vec::with_capacity(files.len());
    for path in &files {
        records.push((path.display().to_string(), nb102_store::read_trial(path).map_err(Failure::input)?));
        progress.inc(1);
    }
    progress.finish_and_clear();
    let default_description = match args.kind {
        Kind::Nb201 => "NAS-Bench-201 trained with nb102",
        Kind::Demo => "demo run of nb102: reduced cells, epochs, width or data; not NAS-Bench-201",
        Kind::Synthetic => "synthetic numbers for benchmarking the software; not training results",
    };
    let description = args.description.unwrap_or_else(|| default_description.to_owned());
    let meta = BenchmarkMeta { description, kind: args.kind.into() };
    let benchmark = nb102_store::merge(meta, records).map_err(Failure::input)?;
    let path = nb102_store::write_benchmark(&benchmark, &args.output).map_err(Failure::written)?;
    writeln!(out, "{}", path.display())?;
    Ok(())
}

pub(crate) fn simplify(args: SimplifyArgs, out: &mut impl Write) -> Result<(), Failure> {
    check_prefix(&args.output)?;
    let file = BenchmarkFile::open(&args.file).map_err(Failure::input)?;
    let path = nb102_store::simplify_file(&file, &args.output).map_err(Failure::written)?;
    writeln!(out, "{}", path.display())?;
    Ok(())
}

/// A copy of a benchmark file with the proxy scores of other files added; every file is left as it is.
pub(crate) fn add_proxies(args: AddProxiesArgs, out: &mut impl Write) -> Result<(), Failure> {
    check_prefix(&args.output)?;
    let file = BenchmarkFile::open(&args.file).map_err(Failure::input)?;
    let mut scores = nb102_store::ProxyTable::new(file.space());
    for path in &args.scores {
        let other = BenchmarkFile::open(path).map_err(Failure::input)?;
        let table = other.proxies().map_err(Failure::input)?.ok_or_else(|| {
            Failure::input(anyhow::anyhow!("{}: expected a file with proxy scores, found none", path.display()))
        })?;
        scores.merge(table).map_err(|e| Failure::input(anyhow::anyhow!("{}: {e}", path.display())))?;
    }
    let path = nb102_store::with_proxies(&file, &scores, &args.output).map_err(Failure::written)?;
    writeln!(out, "{}", path.display())?;
    Ok(())
}

pub(crate) fn info(args: InfoArgs, out: &mut impl Write) -> Result<(), Failure> {
    let file = BenchmarkFile::open(&args.file).map_err(Failure::input)?;
    // The summary has a row per trial: counting from it reads a few megabytes, whatever the file's size.
    let rows = file.summary().map_err(Failure::input)?;
    let settings: BTreeSet<&str> = rows.iter().map(|r| r.setting.name()).collect();
    let hps: BTreeSet<u16> = rows.iter().map(|r| r.hp.epochs()).collect();
    let seeds: BTreeSet<u32> = rows.iter().filter_map(|r| r.seed).collect();
    let seed_means = rows.iter().filter(|r| r.seed.is_none()).count();
    let cells = rows.chunk_by(|a, b| a.index == b.index).count();
    let weights = rows.iter().filter(|r| r.has_weights).count();
    if args.verify {
        let progress = bar(file.len() as u64, "verifying {bar:30} {pos}/{len} cells {eta}");
        file.verify(|| progress.inc(1)).map_err(Failure::input)?;
        progress.finish_and_clear();
    }
    let proxies = file.proxies().map_err(Failure::input)?.map_or(&[][..], |t| t.columns());
    let proxy_names: BTreeSet<&str> = proxies.iter().map(|c| c.key().proxy.as_str()).collect();
    let kind = match file.meta().kind {
        BenchmarkKind::Nb201 => "nb201",
        BenchmarkKind::Demo => "demo",
        BenchmarkKind::Synthetic => "synthetic",
    };
    let info = json!({
        "path": file.path().display().to_string(),
        "kind": kind,
        "space": file.space().name(),
        "description": file.meta().description,
        "format_version": file.version(),
        "sha256": file.digest(),
        "cells": cells,
        "summary_only_cells": cells - file.len(),
        "trials": rows.len() - seed_means,
        "seed_means": seed_means,
        "trials_with_weights": weights,
        "verified": args.verify,
        "settings": settings,
        "hp": hps,
        "seeds": seeds,
        "proxy_columns": proxies.len(),
        "proxies": proxy_names,
    });
    if args.json {
        writeln!(out, "{info}")?;
    } else {
        for (key, value) in info.as_object().expect("an object") {
            let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            writeln!(out, "{key:<20}{shown}")?;
        }
    }
    Ok(())
}

pub(crate) fn import(command: ImportCommand, out: &mut impl Write) -> Result<(), Failure> {
    let (ImportCommand::NatsTss { output, .. }
    | ImportCommand::NatsSss { output, .. }
    | ImportCommand::Nb201Pth { output, .. }
    | ImportCommand::Table { output, .. }
    | ImportCommand::SuiteZero { output, .. }) = &command;
    check_prefix(output)?;
    let space = if matches!(command, ImportCommand::NatsSss { .. }) { Space::Size } else { Space::Topology };
    // Cells go to the writer one by one, so that the whole archive never sits in memory.
    let path = match command {
        ImportCommand::NatsTss { dir, output: prefix } | ImportCommand::NatsSss { dir, output: prefix } => {
            let progress = bar(0, "importing {bar:30} {pos}/{len} architectures {eta}");
            let path = nb102_store::import_nats(&dir, space, &prefix, |done, total| {
                progress.set_length(total as u64);
                progress.set_position(done as u64);
            });
            progress.finish_and_clear();
            path.map_err(imported)?
        }
        ImportCommand::Nb201Pth { files, output: prefix } => {
            let progress = bar(files.len() as u64, "importing {bar:30} {pos}/{len} files, {msg} {eta}");
            let path = nb102_store::import_nb201_pth(&files, &prefix, |done, cells| {
                progress.set_position(done as u64);
                progress.set_message(format!("{cells} cells"));
            });
            progress.finish_and_clear();
            path.map_err(imported)?
        }
        ImportCommand::Table { table, output: prefix, columns, kind } => {
            let columns = if columns.is_empty() {
                TableColumn::nb201()
            } else {
                columns.iter().map(|c| c.parse()).collect::<Result<_, _>>().map_err(Failure::input)?
            };
            let cells = nb102_store::read_summary_table(&table, &columns).map_err(Failure::input)?;
            let name = table.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let meta = BenchmarkMeta {
                description: format!("per-cell results table {name}, imported as summary-only records"),
                kind: kind.into(),
            };
            // The writer's errors: I/O is the output's, a malformed cell the input's (as `written` classifies them).
            nb102_store::write_summary_only(&cells, meta, &prefix).map_err(Failure::written)?
        }
        ImportCommand::SuiteZero { file, into, output: prefix } => {
            let scores = nb102_store::read_suite_zero(&file).map_err(Failure::input)?;
            match into {
                Some(into) => {
                    let into = BenchmarkFile::open(&into).map_err(Failure::input)?;
                    nb102_store::with_proxies(&into, &scores, &prefix).map_err(Failure::written)?
                }
                None => {
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let meta = BenchmarkMeta {
                        description: format!("NAS-Bench-Suite-Zero's proxy scores {name}"),
                        kind: BenchmarkKind::Nb201,
                    };
                    let mut writer = nb102_store::BenchmarkWriter::create(&prefix, meta).map_err(Failure::written)?;
                    writer.set_proxies(scores);
                    writer.finish().map_err(Failure::written)?
                }
            }
        }
    };
    writeln!(out, "{}", path.display())?;
    Ok(())
}

fn bar(len: u64, template: &str) -> ProgressBar {
    ProgressBar::new(len).with_style(ProgressStyle::with_template(template).expect("a valid template"))
}

/// The record as JSON, its weights replaced by their size.
fn trial_json(record: &TrialRecord) -> serde_json::Value {
    let mut value = serde_json::to_value(record.without_weights()).expect("records serialise to JSON");
    value["weights"] = record.weights.as_ref().map_or(serde_json::Value::Null, |w| json!({ "bytes": w.len() }));
    value
}

/// Checks an output prefix before any work: its folder must exist and take a new file.
fn check_prefix(prefix: &std::path::Path) -> Result<(), Failure> {
    nb102_store::check_output_prefix(prefix).map_err(Failure::written)
}

fn imported(err: ImportError) -> Failure {
    match err {
        ImportError::Input(err) => Failure::input(err),
        ImportError::Output(err) => Failure::written(err),
    }
}
