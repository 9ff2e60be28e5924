//! Project automation, run as `cargo xtask <task>`.
//!
//! Tasks:
//! - `bench-space`: time parsing, index -> arch and arch -> index of `nb102-space` (see docs/PERFORMANCE.md).

use anyhow::bail;

mod bench_space;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("bench-space") => bench_space::run(args),
        Some("-h" | "--help") | None => {
            println!("usage: cargo xtask <task>\n\ntasks:\n  bench-space   time nb102-space's parse and index lookups");
            Ok(())
        }
        Some(other) => bail!("unknown task: expected bench-space, found {other:?}"),
    }
}
