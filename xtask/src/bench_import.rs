//! `cargo xtask bench-import [--cells N]`: importing a NAS-Bench-201 `.pth` benchmark file, against loading it
//! with the reference.
//!
//! `scripts/bench/nb201_pth_reference.py` writes a synthetic file of N cells (default 500) in the shape of
//! `NAS-Bench-201-v1_1-096897.pth` with the real `nas-bench-201` package, once (kept in `target/bench-import/`).
//! Then, each in a fresh process: nb102's import into a benchmark file (time and peak resident memory), and the
//! reference's `torch.load` + `NASBench201API` on the same file.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use nb102_store::{BenchmarkKind, BenchmarkMeta, BenchmarkWriter, CellResults};

use crate::workspace::{in_release, peak_rss_mb, root};

pub(crate) fn run(args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    in_release("bench-import-release", args)
}

/// Generates the file if needed, then times both readers.
pub(crate) fn release(mut args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let mut cells = 500;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cells" => {
                cells = args.next().context("--cells needs a number")?.parse().context("--cells needs a number")?
            }
            other => bail!("unexpected argument: expected --cells N, found {other:?}"),
        }
    }
    let root = root();
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        bail!("expected the set-up venv at {} (run scripts/setup.sh), found none", python.display());
    }
    let script = root.join("scripts/bench/nb201_pth_reference.py");
    let dir = root.join("target/bench-import");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("nb201-synthetic-{cells}.pth"));
    if !file.exists() {
        println!("writing {} with nas-bench-201 (once)…", file.display());
        // Written under a temporary name: an interrupted run leaves no half file to measure later.
        let partial = dir.join(format!(".nb201-synthetic-{cells}.pth.tmp"));
        let status =
            Command::new(&python).arg(&script).arg("generate").arg(cells.to_string()).arg(&partial).status()?;
        if !status.success() {
            bail!("{} failed: expected exit status 0, found {status}", script.display());
        }
        std::fs::rename(&partial, &file)?;
    }
    println!("file: {} ({:.0} MB, {cells} cells)", file.display(), std::fs::metadata(&file)?.len() as f64 / 1e6);
    let status = Command::new(std::env::current_exe()?).arg("bench-import-run").arg(&file).status()?;
    if !status.success() {
        bail!("the import benchmark failed: expected exit status 0, found {status}");
    }
    let status = Command::new(&python).arg(&script).arg("load").arg(&file).env("PYTHONWARNINGS", "ignore").status()?;
    if !status.success() {
        bail!("{} failed: expected exit status 0, found {status}", script.display());
    }
    Ok(())
}

/// The import, in a process of its own so that its peak memory is the importer's.
pub(crate) fn import(mut args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let file = PathBuf::from(args.next().context("bench-import-run needs a file")?);
    let before = peak_rss_mb()?;
    let start = Instant::now();
    let meta =
        BenchmarkMeta { description: "synthetic NAS-Bench-201 file, imported".into(), kind: BenchmarkKind::Synthetic };
    let mut writer = BenchmarkWriter::create(&file.with_file_name("imported"), meta)?;
    let summary =
        nb102_store::read_nb201_pth(&file, |index, records| writer.add_cell(index, &CellResults::new(records)?))?;
    let out = writer.finish()?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "nb102 import: {seconds:.1} s, peak resident memory {:.0} MB ({before:.0} MB before), {} cells, {} trials -> {}",
        peak_rss_mb()?,
        summary.cells,
        summary.trials,
        out.display()
    );
    std::fs::remove_file(out)?;
    Ok(())
}
