//! `cargo xtask bench-space`: nanoseconds per call of the search-space hot paths.
//!
//! Each case runs in batches over all 15,625 cells (so caches see the real access pattern of a search
//! loop), and the median batch is reported, single thread. xtask and nb102-space are optimised even in
//! the dev profile (root Cargo.toml), so `cargo xtask` measures optimised code. The reference's
//! counterparts (`scripts/bench/space_reference.py`) run right after, in the same invocation, when the
//! set-up venv is there.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use nb102_space::{official_archs, Arch, NUM_ARCHS};

/// Batches per case; the median is reported.
const SAMPLES: usize = 31;

pub(crate) fn run(mut args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    if let Some(arg) = args.next() {
        bail!("unexpected argument: expected none, found {arg:?}");
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: debug assertions are on; the figures below are not those of optimised code");
    }
    // Build the lazy tables first: they are a one-time cost, reported separately.
    let start = Instant::now();
    let _ = Arch::from_official_index(0)?;
    let table_build = start.elapsed();
    let archs: Vec<Arch> = official_archs().collect();
    let strings: Vec<String> = archs.iter().map(Arch::to_string).collect();
    let start = Instant::now();
    let _ = archs[0].class_id();
    let class_build = start.elapsed();

    println!("one-time official-order table: {:.3} ms", table_build.as_secs_f64() * 1e3);
    println!("one-time isomorphism-class table: {:.3} ms", class_build.as_secs_f64() * 1e3);
    println!("{:<34} {:>10}", "case (median of 31 x 15,625 calls)", "ns/call");
    report("parse official string", || {
        for s in &strings {
            black_box(black_box(s.as_str()).parse::<Arch>().expect("official strings parse"));
        }
    });
    report("index -> arch", || {
        for i in 0..NUM_ARCHS {
            black_box(Arch::from_official_index(black_box(i)).expect("index in range"));
        }
    });
    report("arch -> index", || {
        for a in &archs {
            black_box(black_box(a).official_index());
        }
    });
    report("string -> index (parse + lookup)", || {
        for s in &strings {
            black_box(black_box(s.as_str()).parse::<Arch>().expect("official strings parse").official_index());
        }
    });
    report("arch -> string", || {
        for a in &archs {
            black_box(black_box(a).to_string());
        }
    });
    reference()
}

/// Runs the reference's counterparts with the set-up venv, if there is one.
fn reference() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        println!("reference: skipped, no {} (run scripts/setup.sh)", python.display());
        return Ok(());
    }
    println!();
    crate::workspace::run_script(&python, &root, "scripts/bench/space_reference.py", &[])
}

fn report(name: &str, mut batch: impl FnMut()) {
    let mut per_call: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            batch();
            start.elapsed().as_secs_f64() * 1e9 / NUM_ARCHS as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    println!("{name:<34} {:>10.1}", per_call[SAMPLES / 2]);
}
