//! Project automation, run as `cargo xtask <task>`.
//!
//! Tasks:
//! - `bench-space`: time parsing, index -> arch and arch -> index of `nb102-space` (see docs/PERFORMANCE.md).
//! - `bench-store [--cells N]`: the benchmark-file targets on a full-size synthetic file (docs/PERFORMANCE.md).
//! - `bench-import [--cells N]`: importing a NAS-Bench-201 `.pth` file, against loading it with the reference.
//! - `bench-python`: the Python package against `nats_bench` (docs/PERFORMANCE.md).
//! - `bench-proxies [...]`: the zero-cost proxies against the reference code, per cell (docs/PERFORMANCE.md);
//!   `bench-proxies --correlations FILE`: their rank correlations with the accuracies (docs/PROXIES.md).
//! - `regenerate [...]`: the whole pipeline from cells to a benchmark file (docs/REGENERATE.md).
//! - `bench-algos [...]`: the multi-trial NAS baselines, tabulated and plotted (docs/BASELINES.md).
//! - `public-scripts [SCRIPT...]`: public scripts that need every cell, against the reference and on nb102
//!   (`scripts/public/run.py`, on a full-size archive in the official format).

use std::process::ExitCode;

use anyhow::bail;

mod bench_algos;
mod bench_import;
mod bench_proxies;
mod bench_python;
mod bench_space;
mod bench_store;
mod correlations;
mod plan;
mod regenerate;
mod slurm;
mod workspace;

/// An error is one line on stderr and exit status 1, whatever `RUST_BACKTRACE` says (returning the error from
/// `main` would print its backtrace).
fn main() -> ExitCode {
    match task() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn task() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("bench-space") => bench_space::run(args),
        Some("bench-store") => bench_store::run(args),
        // The optimised halves of bench-store, run by it.
        Some("bench-store-release") => bench_store::release(args),
        Some("bench-store-read") => bench_store::read(args),
        Some("bench-store-file") => bench_store::synthetic_file(nb102_space::NUM_ARCHS).map(|_| ()),
        Some("bench-python") => bench_python::run(args),
        Some("regenerate") => regenerate::run(args),
        Some("bench-algos") => bench_algos::run(args),
        Some("bench-import") => bench_import::run(args),
        Some("bench-proxies") => bench_proxies::run(args),
        Some("bench-import-release") => bench_import::release(args),
        Some("bench-import-run") => bench_import::import(args),
        Some("public-scripts") => {
            let root = workspace::root();
            let args: Vec<std::ffi::OsString> = args.map(Into::into).collect();
            let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            workspace::run_script(&root.join(".venv/bin/python"), &root, "scripts/public/run.py", &args)
        }
        Some("-h" | "--help") | None => {
            println!(
                "usage: cargo xtask <task>\n\ntasks:\n  bench-space   time nb102-space's parse and index lookups\n  \
                 bench-store   benchmark-file targets on a full-size synthetic file [--cells N]\n  \
                 bench-import  importing a NAS-Bench-201 .pth file, against the reference [--cells N]\n  \
                 bench-python  the Python package against nats_bench, on the sample and a full-size file\n  \
                 bench-proxies the zero-cost proxies against the reference code, per cell\n  \
                 regenerate    the whole pipeline, cells to benchmark file (docs/REGENERATE.md)\n  \
                 bench-algos   the NAS baselines, tabulated and plotted (docs/BASELINES.md)\n  \
                 public-scripts  public scripts that need every cell, against the reference and on nb102"
            );
            Ok(())
        }
        Some(other) => {
            bail!(
                "unknown task: expected regenerate, bench-algos, bench-space, bench-store, bench-import, \
                 bench-python, bench-proxies or public-scripts, found {other:?}"
            )
        }
    }
}
