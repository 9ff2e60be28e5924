//! The whole space against the reference: every cell's official string, enumeration index, op digits,
//! validity, class and unique strings, and the CIFAR-10 split, compared with digests that
//! `scripts/golden/space.py` computed with xautodl (`tests/data/space-golden.txt`).
//!
//! On a mismatch, the first differing row is named when the spec's data folder is at hand
//! (`NB102_SPEC_DIR`, default `../shared/spec` beside the checkout).

use std::collections::HashMap;
use std::path::PathBuf;

use nb102_space::{official_archs, Arch, TrainValidSplit, UniqueMode};
use sha2::{Digest, Sha256};

fn golden() -> HashMap<String, String> {
    include_str!("data/space-golden.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('\t').expect("golden lines are key<TAB>digest");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn sha(lines: &[String]) -> String {
    let mut h = Sha256::new();
    for line in lines {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    format!("{:x}", h.finalize())
}

fn spec_data() -> Option<PathBuf> {
    let dir = std::env::var_os("NB102_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"))
        .join("data");
    dir.is_dir().then_some(dir)
}

/// A file of the spec's data folder holding the same lines: its name, how a line maps to ours, header lines.
struct SpecFile {
    name: &'static str,
    project: fn(&str) -> String,
    skip: usize,
}

/// Asserts the digest; on a mismatch, names the first line that differs from `spec_file` (if present).
fn check(key: &str, lines: &[String], spec_file: Option<SpecFile>) {
    let expected = &golden()[key];
    if &sha(lines) == expected {
        return;
    }
    let detail = spec_file
        .zip(spec_data())
        .and_then(|(SpecFile { name, project, skip }, dir)| {
            let text = std::fs::read_to_string(dir.join(name)).ok()?;
            let reference: Vec<String> = text.lines().skip(skip).map(project).collect();
            let at = lines.iter().zip(&reference).position(|(a, b)| a != b).unwrap_or(lines.len().min(reference.len()));
            Some(format!("first difference at line {at}: ours {:?}, reference {:?}", lines.get(at), reference.get(at)))
        })
        .unwrap_or_else(|| "spec data not found; set NB102_SPEC_DIR to name the first differing row".to_owned());
    panic!("{key}: digest differs from scripts/golden/space.py's; {detail}");
}

#[test]
fn arch_list_is_the_official_meta_archs() {
    let strings: Vec<String> = official_archs().map(|a| a.to_string()).collect();
    assert_eq!(strings.len(), 15_625);
    check("arch_list", &strings, Some(SpecFile { name: "nb201_meta_archs.txt", project: str::to_owned, skip: 0 }));
}

#[test]
fn every_row_matches_the_reference() {
    let rows: Vec<String> = official_archs()
        .enumerate()
        .map(|(index, a)| {
            format!(
                "{index}\t{a}\t{}\t{}\t{}\t{}\t{}",
                a.enumeration_index(),
                a.op_digits(),
                u8::from(a.is_valid()),
                a.class_id(),
                a.unique_str(UniqueMode::PruneZero)
            )
        })
        .collect();
    let first_seven = |l: &str| l.split('\t').take(7).collect::<Vec<_>>().join("\t");
    check("rows", &rows, Some(SpecFile { name: "nb201_archs.tsv", project: first_seven, skip: 1 }));
    // Parsing the printed string gives the cell back, at the same index.
    for (index, a) in official_archs().enumerate() {
        let parsed: Arch = a.to_string().parse().unwrap();
        assert_eq!((parsed, parsed.official_index()), (a, index));
    }
}

#[test]
fn unique_strings_in_all_three_modes() {
    for (key, mode) in [
        ("unique_true", UniqueMode::PruneZero),
        ("unique_false", UniqueMode::KeepZero),
        ("unique_none", UniqueMode::Verbatim),
    ] {
        let strings: Vec<String> = official_archs().map(|a| a.unique_str(mode)).collect();
        check(key, &strings, None);
    }
}

#[test]
fn cifar10_split_is_the_official_file() {
    let split = TrainValidSplit::cifar10();
    let join = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
    let lines = [format!("train\t{}", join(split.train())), format!("valid\t{}", join(split.valid()))];
    check("cifar10_split", &lines, None);
}
