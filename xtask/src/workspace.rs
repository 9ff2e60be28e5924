//! What xtask's tasks share about the workspace: where it is, optimised builds of xtask and of the binaries it
//! runs, the reference's scripts and data, memory figures, and progress bars.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_owned()
}

/// Runs `cargo xtask TASK ARGS` as an optimised build.
pub(crate) fn in_release(task: &str, args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["run", "--release", "-q", "-p", "xtask", "--target-dir"])
        .arg(root().join("target/xtask"))
        .args(["--", task])
        .args(args)
        .status()?;
    if !status.success() {
        bail!("the optimised benchmark failed: expected exit status 0, found {status}");
    }
    Ok(())
}

/// The reference data beside the project: `NB102_REFERENCE_DIR`, by default `../shared/reference`.
pub(crate) fn reference_dir(root: &Path) -> PathBuf {
    std::env::var_os("NB102_REFERENCE_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/reference"))
}

/// Runs `SCRIPT ARGS` (a path under the workspace root) with the set-up venv's `python`, quiet about warnings.
///
/// # Errors
/// The script cannot start or exits with a failure.
pub(crate) fn run_script(python: &Path, root: &Path, script: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let status = Command::new(python)
        .arg(root.join(script))
        .args(args)
        .env("PYTHONWARNINGS", "ignore")
        .status()
        .with_context(|| format!("running {}", python.display()))?;
    if !status.success() {
        bail!("{script} failed: expected exit status 0, found {status}");
    }
    Ok(())
}

/// Builds the release binaries of `packages` (a no-op when up to date) and returns the folder they are in: xtask
/// runs the libtorch crates as child processes, so it links no libtorch itself.
pub(crate) fn release_binaries(packages: &[&str], quiet: bool) -> anyhow::Result<PathBuf> {
    let names = packages.join(" and ");
    if !quiet {
        println!("building {names} (release; minutes the first time)");
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec!["build", "--release", "-q"];
    for p in packages {
        args.extend(["-p", p]);
    }
    let status = Command::new(cargo).current_dir(root()).args(&args).status()?;
    if !status.success() {
        bail!("building {names} failed: expected exit status 0, found {status}");
    }
    Ok(root().join("target/release"))
}

/// A bar of `len` steps named `what`, hidden with `quiet`.
pub(crate) fn progress(len: usize, what: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    ProgressBar::new(len as u64).with_style(
        ProgressStyle::with_template(&format!("{what} {{bar:30}} {{pos}}/{{len}} {{msg}} [{{elapsed}} < {{eta}}]"))
            .expect("a valid template"),
    )
}

/// Resident memory of this process in MB (Linux).
pub(crate) fn rss_mb() -> anyhow::Result<f64> {
    status_mb("VmRSS:")
}

/// Peak resident memory of this process in MB (Linux).
pub(crate) fn peak_rss_mb() -> anyhow::Result<f64> {
    status_mb("VmHWM:")
}

fn status_mb(field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("expected a {field} line in /proc/self/status, found none"))?;
    Ok(kb / 1024.0)
}
