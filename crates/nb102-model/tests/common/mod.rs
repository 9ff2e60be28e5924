//! The golden cases of `scripts/golden/model.py`, shared by the test binaries that use them.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use nb102_model::{Network, NetworkConfig, SizeConfig};
use tch::{Kind, Tensor};

/// Tolerance of the CPU comparisons, relative to the largest magnitude of the reference tensor (at least 1).
///
/// float32 results of the same network differ in their last bits from one CPU to another (oneDNN picks its kernels,
/// and so its summation order, by CPU), and the error grows with the values: the all-skip network's features are
/// about 1.8e8, where one float32 step is 16. An absolute bound would hold only on the machine that made the golden
/// files.
pub const RELATIVE: f64 = 1e-5;

/// Asserts `|ours - reference| <= RELATIVE * max(1, max |reference|)` element-wise, with the same shape.
pub fn assert_close(what: &str, ours: &Tensor, reference: &Tensor) {
    assert_eq!(ours.size(), reference.size(), "{what}: shapes");
    let reference = reference.to_kind(Kind::Double);
    let diff = (ours.to_kind(Kind::Double) - &reference).abs().max().double_value(&[]);
    let scale = reference.abs().max().double_value(&[]).max(1.0);
    assert!(diff <= RELATIVE * scale, "{what}: max |ours - reference| = {diff:e} > {RELATIVE:e} * {scale:e}");
}

/// A file of `tests/data`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// One line of `cases.tsv`: a network and the seed its initial weights were drawn with.
pub struct Case {
    pub name: String,
    pub config: Network,
    pub seed: i64,
}

/// The cases of `cases.tsv`, in order.
pub fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(data("cases.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let n = |i: usize| f[i].parse::<i64>().unwrap();
            // A size-space network's arch is its channel string, and it has no C or N (`-`).
            let config = match f[1].parse::<nb102_space::Channels>() {
                Ok(channels) => {
                    Network::Size(SizeConfig { channels, classes: n(4), in_channels: 3, input_size: (n(5), n(5)) })
                }
                Err(_) => Network::Topology(NetworkConfig {
                    cell: f[1].parse::<nb102_space::Genotype>().unwrap(),
                    channels: n(2),
                    cells: n(3),
                    classes: n(4),
                    in_channels: 3,
                    input_size: (n(5), n(5)),
                }),
            };
            Case { name: f[0].to_owned(), config, seed: n(7) }
        })
        .collect()
}
