//! The golden cases of `scripts/golden/model.py`, shared by the test binaries that use them.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use nb102_model::NetworkConfig;

/// A file of `tests/data`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// One line of `cases.tsv`: a network and the seed its initial weights were drawn with.
pub struct Case {
    pub name: String,
    pub config: NetworkConfig,
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
            let config = NetworkConfig {
                arch: f[1].parse().unwrap(),
                channels: n(2),
                cells: n(3),
                classes: n(4),
                in_channels: 3,
                input_size: (n(5), n(5)),
            };
            Case { name: f[0].to_owned(), config, seed: n(7) }
        })
        .collect()
}
