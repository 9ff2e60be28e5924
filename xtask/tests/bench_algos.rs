//! `cargo xtask bench-algos` on a small benchmark file (the two NATS-like cells of nb102-store's fixtures, with
//! per-epoch times): the table's rows and columns, the optimal row, and the plot.

use std::path::PathBuf;
use std::process::Command;

use nb102_api::{Api, Seeds};
use nb102_store::{
    merge, nats_tss_files, read_nats_tss_file, write_benchmark, BenchmarkKind, BenchmarkMeta, EvalSet, Hp, Setting,
};

#[test]
fn table_json_and_plot_on_a_small_benchmark() {
    let dir = std::env::temp_dir().join(format!("nb102-bench-algos-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let archive = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/nb102-store/tests/data/nats-like");
    let mut records = Vec::new();
    for file in nats_tss_files(&archive).unwrap() {
        records.extend(read_nats_tss_file(&file).unwrap().into_iter().map(|r| (file.display().to_string(), r)));
    }
    let meta = BenchmarkMeta { description: "nats-like".into(), kind: BenchmarkKind::Demo };
    let path = write_benchmark(&merge(meta, records).unwrap(), &dir.join("small")).unwrap();

    let out = dir.join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench-algos", "--runs", "5", "--budget", "2000", "--benchmark"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("table.json")).unwrap()).unwrap();
    assert_eq!((table["runs"].as_u64(), table["budget"].as_f64()), (Some(5), Some(2000.0)));
    let rows = table["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["algorithm"].as_str().unwrap()).collect();
    assert_eq!(names, ["REA", "RS", "REINFORCE", "BOHB", "optimal", "ResNet"]);
    // The optimal row is the better of the file's two cells on each pair; every search chose one of them.
    let api = Api::open(&path).unwrap();
    let accuracy = |i| {
        api.metrics(i, Setting::Cifar10Valid, Hp::H200, Some(EvalSet::XValid), None, &mut Seeds::Mean).unwrap().accuracy
    };
    let best = accuracy(7).max(accuracy(12));
    assert_eq!(rows[4]["cifar10-valid"]["mean"].as_f64(), Some(best));
    for row in &rows[..4] {
        let mean = row["cifar10-valid"]["mean"].as_f64().unwrap();
        assert!((accuracy(7).min(accuracy(12)) - 1e-9..=best + 1e-9).contains(&mean), "{row}");
    }
    assert!(rows[5]["cifar10-valid"].is_null(), "cell 11472 is not in this file");
    assert!(std::fs::read_to_string(out.join("curves.svg")).unwrap().starts_with("<svg"));
    assert!(std::fs::read_to_string(out.join("table.md")).unwrap().contains("| REA |"));
    std::fs::remove_dir_all(dir).unwrap();
}
