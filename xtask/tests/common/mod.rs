//! What the tests of `cargo xtask regenerate` share: a Fashion-MNIST-shaped dataset, the command on a tiny plan,
//! and the records of the file it wrote.
#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;

use nb102_store::{BenchmarkFile, BenchmarkKind, TrialRecord};

// nb102-train's writer of Fashion-MNIST-shaped IDX files (plain Rust and flate2: no libtorch).
#[path = "../../../crates/nb102-train/tests/common/mod.rs"]
mod idx;

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nb102-regenerate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn dataset(dir: &Path) {
    let write = |name: &str, dims: &[u32], data: &[u8]| idx::write_idx_gz(dir, name, dims, data);
    let n = 400u32;
    let labels: Vec<u8> = (0..n).map(|i| (i * 3 % 10) as u8).collect();
    let pixels: Vec<u8> = (0..n as usize * 784).map(|p| ((p * 13 + p / 784 * 7) % 256) as u8).collect();
    write("train-images-idx3-ubyte", &[n, 28, 28], &pixels);
    write("train-labels-idx1-ubyte", &[n], &labels);
    write("t10k-images-idx3-ubyte", &[50, 28, 28], &pixels[..50 * 784]);
    write("t10k-labels-idx1-ubyte", &[50], &labels[..50]);
}

pub fn regenerate(data: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["regenerate", "--archs", "11472,1462", "--seeds", "777,888", "--hp", "2", "--channels", "2"])
        .args(["--subset", "150", "--device", "cpu", "--quiet", "--data-dir"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

/// The benchmark file the command printed, as records without wall times and latencies.
pub fn records(stdout: &[u8]) -> (Vec<TrialRecord>, BenchmarkKind) {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("wrote ")).unwrap_or_else(|| panic!("no file in {text}"));
    let file = BenchmarkFile::open(Path::new(line)).unwrap();
    let mut all = Vec::new();
    for index in file.indices() {
        for t in file.cell(index).unwrap().unwrap().trials() {
            let mut t = t.clone();
            t.train.iter_mut().for_each(|e| e.time = None);
            t.eval.values_mut().flatten().for_each(|p| p.time = None);
            assert!(!t.latency.is_empty(), "the cal stage gave every trial a latency");
            t.latency.clear();
            all.push(t);
        }
    }
    (all, file.meta().kind)
}
