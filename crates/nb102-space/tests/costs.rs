//! Parameters and FLOPs of every cell on CIFAR-10, CIFAR-100 and ImageNet16-120 against the reference's:
//! the digest of all 15,625 rows, written by `scripts/golden/model.py` with xautodl 1.0.0; on a mismatch the first
//! differing row is named from the spec's table (`NB102_SPEC_DIR`, default `../shared/spec`) when it is at hand.

use std::collections::HashMap;
use std::path::PathBuf;

use nb102_space::{official_archs, Dataset, NetworkConfig};
use sha2::{Digest, Sha256};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

#[test]
fn params_and_flops_of_every_cell_on_every_dataset() {
    let mut digest = Sha256::new();
    let mut lines = Vec::new();
    for (index, arch) in official_archs().enumerate() {
        let mut line = index.to_string();
        for dataset in [Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120] {
            let costs = NetworkConfig::nb201(arch, dataset).costs().unwrap();
            line += &format!("\t{:.6}\t{:.5}", costs.params_mb(), costs.flops_m());
        }
        digest.update(line.as_bytes());
        digest.update(b"\n");
        lines.push(line);
    }
    let golden = std::fs::read_to_string(data("costs-golden.txt")).unwrap();
    let expected = golden.lines().find_map(|l| l.strip_prefix("costs\t")).unwrap();
    if format!("{:x}", digest.finalize()) != expected {
        panic!("params/FLOPs differ from the reference: {}", first_difference(&lines));
    }
}

/// The first row that differs from the spec's table, when it is at hand.
fn first_difference(lines: &[String]) -> String {
    let spec = std::env::var_os("NB102_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"))
        .join("data/nb201_archs.tsv");
    let Ok(text) = std::fs::read_to_string(&spec) else {
        return "spec data not found; set NB102_SPEC_DIR to name the first differing row".to_owned();
    };
    let reference: HashMap<usize, String> = text
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            (i, [&[f[0]][..], &f[7..13]].concat().join("\t"))
        })
        .collect();
    lines
        .iter()
        .enumerate()
        .find(|(i, l)| reference.get(i) != Some(l))
        .map_or_else(|| "no row differs".to_owned(), |(i, l)| format!("ours {l:?}, reference {:?}", reference.get(&i)))
}
