//! The `nb102` binary as a user runs it: output on stdout, one-line errors and exit status 2 on bad input.

use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn nb102(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nb102")).args(args).output().expect("the nb102 binary runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = nb102(args);
    assert!(out.status.success(), "nb102 {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Asserts exit status 2 and a single stderr line containing `needle`.
fn check_input_error(args: &[&str], needle: &str) {
    let out = nb102(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "nb102 {args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "nb102 {args:?} should print one line: {stderr}");
    assert!(stderr.contains(needle), "nb102 {args:?}: {stderr:?} lacks {needle:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn arch_list_is_the_official_list_line_for_line() {
    let text = stdout_of(&["arch", "list"]);
    let mut digest = Sha256::new();
    for (n, line) in text.lines().enumerate() {
        let (index, arch) = line.split_once('\t').expect("INDEX<TAB>ARCH");
        assert_eq!(index, n.to_string());
        digest.update(arch.as_bytes());
        digest.update(b"\n");
    }
    assert_eq!(text.lines().count(), 15_625);
    // sha256 of the reference's meta_archs, one per line (scripts/golden/space.py).
    let golden = include_str!("../../nb102-space/tests/data/space-golden.txt");
    let expected = golden.lines().find_map(|l| l.strip_prefix("arch_list\t")).expect("arch_list digest");
    assert_eq!(format!("{:x}", digest.finalize()), expected);
}

#[test]
fn index_and_str_go_both_ways_from_any_spelling() {
    assert_eq!(
        stdout_of(&["arch", "index", "|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~2|skip_connect~0|"]),
        "11472\n"
    );
    assert_eq!(
        stdout_of(&["arch", "str", "1462"]),
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|\n"
    );
}

#[test]
fn info_describes_a_cell() {
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&["arch", "info", "3", "--json"])).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "index": 3,
            "arch": "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|",
            "valid": true,
            "unique_str": "#+#+#+0",
            "class_id": 3,
            // Cells whose reference to_unique_str is "#+#+#+0" in the spec's table.
            "class_size": 60,
            "op_digits": "410001",
            "enumeration_index": 13126,
            "matrix": [[0, 0, 0, 0], [4, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]],
        })
    );
    let by_string = stdout_of(&["arch", "info", "|avg_pool_3x3~0|+|skip_connect~0|+|skip_connect~2|"]);
    assert!(by_string.starts_with("index             3\n"), "{by_string}");
}

#[test]
fn stats_are_computed() {
    assert_eq!(stdout_of(&["arch", "stats", "--json"]), "{\"total\":15625,\"valid\":15284,\"unique_classes\":6466}\n");
}

#[test]
fn bad_input_is_one_line_and_status_2() {
    check_input_error(&["arch", "index", "|conv~0|+||+||"], "expected an op name");
    check_input_error(
        &["arch", "index", "|none~0|+|none~0|"],
        "expected 3 node groups separated by '+', found end of input",
    );
    check_input_error(&["arch", "str", "15625"], "expected 0..15625, found 15625");
    check_input_error(
        &["arch", "str", "-1"],
        "expected decimal digits for an index in 0..15625 (or resnet, all_c3x3, all_c1x1, all_idnt), found \"-1\"",
    );
    // An index is digits alone and a string names at least one op, the same for every command.
    for command in ["str", "info"] {
        check_input_error(
            &["arch", command, "+11"],
            "expected decimal digits for an index in 0..15625 (or resnet, all_c3x3, all_c1x1, all_idnt), found \"+11\"",
        );
    }
    check_input_error(&["arch", "index", "++"], "expected at least one entry 'op~input'");
    check_input_error(&["arch", "info", "++"], "expected at least one entry 'op~input'");
    check_input_error(&["arch", "info", "99999"], "expected 0..15625, found 99999");
    check_input_error(&["arch", "frobnicate"], "frobnicate");
    check_input_error(&["arch", "index"], "ARCH");
}
