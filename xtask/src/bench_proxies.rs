//! `cargo xtask bench-proxies [ARGS]`: the zero-cost proxies against the reference code, per cell, in one run
//! (`crates/nb102-model/benches/proxies.rs`, which takes the ARGS; docs/PERFORMANCE.md). The benchmark links
//! libtorch, so it runs as `cargo bench` rather than inside xtask. `--correlations FILE ...`: the scores' rank
//! correlations with the accuracies instead (`correlations.rs`).

use std::process::Command;

use anyhow::bail;

use crate::workspace::root;

pub(crate) fn run(args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let mut args = args.peekable();
    if args.peek().map(String::as_str) == Some("--correlations") {
        args.next();
        return crate::correlations::run(args);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root())
        .args(["bench", "-q", "-p", "nb102-model", "--bench", "proxies", "--"])
        .args(args)
        .env("PYTHONWARNINGS", "ignore")
        .status()?;
    if !status.success() {
        bail!("the proxies benchmark failed: expected exit status 0, found {status}");
    }
    Ok(())
}
