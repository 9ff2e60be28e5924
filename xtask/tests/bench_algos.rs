//! `cargo xtask bench-algos` on a small benchmark file (the two NATS-like cells of nb102-store's fixtures, with
//! per-epoch times): the table's rows and columns, the optimal row, and the plot.

use std::path::PathBuf;
use std::process::Command;

use nb102_api::multi_trial::QueryCost;
use nb102_api::{Api, Seeds};
use nb102_space::Arch;
use nb102_store::{
    merge, nats_files, read_nats_file, write_benchmark, BenchmarkKind, BenchmarkMeta, EvalSet, Hp, Setting,
};

fn archive() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/nb102-store/tests/data/nats-like")
}

fn bench_algos(args: &[&str], out: &std::path::Path) -> serde_json::Value {
    let status = Command::new(env!("CARGO_BIN_EXE_xtask")).arg("bench-algos").args(args).arg("--out").arg(out).status();
    assert!(status.unwrap().success());
    serde_json::from_str(&std::fs::read_to_string(out.join("table.json")).unwrap()).unwrap()
}

#[test]
fn table_json_and_plot_on_a_small_benchmark() {
    let dir = std::env::temp_dir().join(format!("nb102-bench-algos-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut records = Vec::new();
    for file in nats_files(&archive()).unwrap() {
        records.extend(read_nats_file(&file).unwrap().into_iter().map(|r| (file.display().to_string(), r)));
    }
    let meta = BenchmarkMeta { description: "nats-like".into(), kind: BenchmarkKind::Demo };
    let path = write_benchmark(&merge(meta, records).unwrap(), &dir.join("small")).unwrap();

    let out = dir.join("out");
    let table = bench_algos(&["--runs", "5", "--budget", "2000", "--benchmark", path.to_str().unwrap()], &out);
    assert_eq!((table["runs"].as_u64(), table["budget"].as_f64()), (Some(5), Some(2000.0)));
    assert_eq!(table["reinforce_lr"].as_f64(), Some(0.001), "the seed's REINFORCE learning rate");
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

#[test]
fn a_table_is_searched_under_a_calibrated_cost() {
    let dir = std::env::temp_dir().join(format!("nb102-bench-algos-table-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Three cells of a table in the layout of NAS-Bench-201 result tables; cell 11472 (ResNet) is the best.
    let header = "index,arch_str,c10valid_valid_200ep_mean,c10_test_200ep_mean,c100_valid_200ep_mean,\
                  c100_test_200ep_mean,in16_valid_200ep_mean,in16_test_200ep_mean,c10_test_12ep,c10valid_valid_12ep,\
                  c100_test_12ep,c100_valid_12ep,in16_test_12ep,in16_valid_12ep";
    let line = |index: usize, base: f64| {
        let values: Vec<String> = (0..12).map(|k| format!("{:.3}", base + k as f64 / 10.0)).collect();
        format!("{index},{},{}", Arch::from_official_index(index).unwrap(), values.join(","))
    };
    let table = dir.join("table.csv");
    std::fs::write(&table, format!("{header}\n{}\n{}\n{}\n", line(7, 50.0), line(11472, 80.0), line(12, 60.0)))
        .unwrap();
    let mut records = Vec::new();
    for file in nats_files(&archive()).unwrap() {
        records.extend(read_nats_file(&file).unwrap());
    }
    let archive = archive();
    let common = ["--runs", "4", "--budget", "2000", "--table", table.to_str().unwrap()];
    let common = [&common[..], &["--calibrate", archive.to_str().unwrap(), "--algos", "rs,rea"]].concat();

    // A constant cost: the mean of the calibration trials; random search makes exactly budget / cost queries.
    let constant = QueryCost::calibrate(&records, Setting::Cifar10Valid, Hp::H12, false).unwrap();
    let QueryCost::Modelled { base, .. } = constant else { panic!("{constant:?}") };
    let json = bench_algos(&common, &dir.join("constant"));
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows[1]["queries"]["mean"].as_f64(), Some((2000.0 / base).floor()), "{:?}", rows[1]);
    assert!(json["benchmark"].as_str().unwrap().ends_with(&format!("({base:.1} s per query)")), "{json}");
    // The table's own numbers: the optimum and ResNet rows are cell 11472's, and REA finds it among three cells.
    for row in &rows[1..] {
        assert_eq!(row["cifar10-test"]["mean"].as_f64(), Some(80.1), "{row}");
        assert_eq!(row["ImageNet16-120-test"]["mean"].as_f64(), Some(80.5), "{row}");
    }

    // By FLOPs: the fixtures' times do not depend on the cell, so the fitted line is flat, the same cost.
    let flops = QueryCost::calibrate(&records, Setting::Cifar10Valid, Hp::H12, true).unwrap();
    assert!(
        matches!(flops, QueryCost::Modelled { base: b, per_mflop } if (b - base).abs() < 1e-9 && per_mflop.abs() < 1e-12)
    );
    let json = bench_algos(&[&common[..], &["--cost", "flops"]].concat(), &dir.join("flops"));
    assert_eq!(json["rows"][1]["queries"]["mean"].as_f64(), Some((2000.0 / base).floor()));
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench-algos", "--table", table.to_str().unwrap(), "--cost", "recorded", "--runs", "1"])
        .arg("--out")
        .arg(dir.join("recorded"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(!status.status.success() && stderr.contains("no training and validation times to charge"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn weight_sharing_rows_look_up_each_searched_cell() {
    let data = std::env::var_os("NB102_FASHION_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    assert!(data.join("train-images-idx3-ubyte.gz").exists(), "real Fashion-MNIST expected at {}", data.display());
    let dir = std::env::temp_dir().join(format!("nb102-bench-algos-ws-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Every cell, with accuracies that differ from cell to cell, so a row's numbers name the cells it looked up.
    let header = "index,arch_str,c10valid_valid_200ep_mean,c10_test_200ep_mean,c100_valid_200ep_mean,\
                  c100_test_200ep_mean,in16_valid_200ep_mean,in16_test_200ep_mean,c10_test_12ep,c10valid_valid_12ep,\
                  c100_test_12ep,c100_valid_12ep,in16_test_12ep,in16_valid_12ep";
    let accuracy = |index: usize, k: usize| 10.0 + (index % 97) as f64 / 2.0 + k as f64;
    let mut csv = format!("{header}\n");
    for index in 0..nb102_space::NUM_ARCHS {
        let values: Vec<String> = (0..12).map(|k| format!("{:.1}", accuracy(index, k))).collect();
        csv += &format!("{index},{},{}\n", Arch::from_official_index(index).unwrap(), values.join(","));
    }
    let table = dir.join("table.csv");
    std::fs::write(&table, csv).unwrap();
    let archive = archive();
    let out = dir.join("out");
    let args = [
        "--weight-sharing",
        "--data-dir",
        data.to_str().unwrap(),
        "--setting",
        "fashion-mnist",
        "--seeds",
        "3",
        "--epochs",
        "1",
        "--channels",
        "4",
        "--cells",
        "1",
        "--subset",
        "96",
        "--device",
        "cpu",
        "--runs",
        "2",
        "--budget",
        "2000",
        "--table",
        table.to_str().unwrap(),
        "--calibrate",
        archive.to_str().unwrap(),
    ];
    let json = bench_algos(&args, &out);
    let rows = json["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["algorithm"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["REA", "RS", "REINFORCE", "BOHB", "RSPS", "DARTS-V1", "DARTS-V2", "GDAS", "SETN", "ENAS", "optimal", "ResNet"]
    );
    for row in &rows[4..10] {
        let runs = row["runs"].as_array().unwrap();
        assert_eq!(runs.iter().map(|r| r["seed"].as_u64().unwrap()).collect::<Vec<_>>(), [3], "{row}");
        // CIFAR-10 test is the table's second column (k = 1).
        let expected: Vec<f64> = runs.iter().map(|r| accuracy(r["index"].as_u64().unwrap() as usize, 1)).collect();
        let mean = expected.iter().sum::<f64>() / expected.len() as f64;
        assert!((row["cifar10-test"]["mean"].as_f64().unwrap() - mean).abs() < 1e-9, "{row}");
        for r in runs {
            let cell: Arch = r["cell"].as_str().unwrap().parse().unwrap();
            assert_eq!(cell.official_index() as u64, r["index"].as_u64().unwrap());
        }
        assert!(row["search_seconds"]["mean"].as_f64().unwrap() > 0.0);
    }
    assert!(std::fs::read_to_string(out.join("table.md")).unwrap().contains("| DARTS-V1 |"));
    // A rerun keeps the results: nothing is searched again, and the table is the same.
    let output =
        Command::new(env!("CARGO_BIN_EXE_xtask")).arg("bench-algos").args(args).arg("--out").arg(&out).output();
    let output = output.unwrap();
    assert!(output.status.success());
    assert!(!String::from_utf8_lossy(&output.stdout).contains("searching"));
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("table.json")).unwrap()).unwrap();
    assert_eq!(again["rows"][5], json["rows"][5]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The size space: bench-algos runs the searches NATS-Bench ran there on a size-space file (the official sample
/// records, where they are at hand), with that space's REINFORCE learning rate and BOHB, and no ResNet row.
#[test]
fn size_space_files_are_searched_in_their_space() {
    let sample = std::env::var_os("NB102_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference"))
        .join("nats-sss-sample");
    if !sample.is_dir() {
        eprintln!("the size-space sample records are not at {} (set NB102_REFERENCE_DIR)", sample.display());
        return;
    }
    let dir = std::env::temp_dir().join(format!("nb102-bench-algos-sss-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = nb102_store::import_nats(&sample, nb102_space::Space::Size, &dir.join("sss"), |_, _| {}).unwrap();
    let out = dir.join("out");
    let table = bench_algos(&["--runs", "5", "--space", "sss", "--benchmark", path.to_str().unwrap()], &out);
    assert_eq!((table["space"].as_str(), table["reinforce_lr"].as_f64()), (Some("size"), Some(0.01)));
    let rows = table["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["algorithm"].as_str().unwrap()).collect();
    assert_eq!(names, ["REA", "RS", "REINFORCE", "BOHB", "optimal"]);
    for row in &rows[..4] {
        for run in row["runs"].as_array().unwrap() {
            assert!(["8:8:8:8:8", "8:8:8:16:32", "8:8:40:32:40"].contains(&run["cell"].as_str().unwrap()), "{run}");
        }
    }
    // A topology run on a size-space file is refused.
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench-algos", "--runs", "2", "--space", "tss", "--benchmark", path.to_str().unwrap()])
        .arg("--out")
        .arg(dir.join("bad"))
        .output()
        .unwrap();
    assert!(!status.status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn training_free_rows_keep_the_best_scored_of_random_cells() {
    use nb102_store::{BenchmarkWriter, ProxyKey, ProxyTable, ProxyVariant};
    let dir = std::env::temp_dir().join(format!("nb102-bench-algos-proxy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Twelve cells of a table; CIFAR-10 test accuracy 50 + the cell's position.
    let header = "index,arch_str,c10valid_valid_200ep_mean,c10_test_200ep_mean,c100_valid_200ep_mean,\
                  c100_test_200ep_mean,in16_valid_200ep_mean,in16_test_200ep_mean,c10_test_12ep,c10valid_valid_12ep,\
                  c100_test_12ep,c100_valid_12ep,in16_test_12ep,in16_valid_12ep";
    let cells: Vec<usize> = (0..12).map(|k| 100 + 37 * k).collect();
    let mut text = format!("{header}\n");
    for (k, &index) in cells.iter().enumerate() {
        let values: Vec<String> = (0..12).map(|_| format!("{}", 50 + k)).collect();
        text += &format!("{index},{},{}\n", Arch::from_official_index(index).unwrap(), values.join(","));
    }
    let table = dir.join("table.csv");
    std::fs::write(&table, text).unwrap();
    // A proxy that ranks the cells as their accuracy does, and one that ranks them backwards.
    let mut scores = ProxyTable::new(nb102_space::Space::Topology);
    for (k, &index) in cells.iter().enumerate() {
        for (proxy, score) in [("oracle", k as f64), ("backwards", -(k as f64))] {
            let key = ProxyKey {
                proxy: proxy.into(),
                setting: Setting::Cifar10,
                batch_size: 1,
                seed: Some(0),
                variant: ProxyVariant::Raw,
            };
            scores.insert(&key, "test", index, score).unwrap();
        }
    }
    let meta = BenchmarkMeta { description: "scores".into(), kind: BenchmarkKind::Demo };
    let mut writer = BenchmarkWriter::create(&dir.join("scores"), meta).unwrap();
    writer.set_proxies(scores);
    let file = writer.finish().unwrap();
    let archive = archive();
    let run = |proxy: &str, out: &str| {
        let args = ["--runs", "6", "--budget", "2000", "--table", table.to_str().unwrap(), "--algos", "rs"];
        let more = ["--calibrate", archive.to_str().unwrap(), "--proxy", proxy, "--proxy-file", file.to_str().unwrap()];
        bench_algos(&[&args[..], &more[..]].concat(), &dir.join(out))
    };
    let json = run("oracle", "oracle");
    let rows = json["rows"].as_array().unwrap();
    // Twelve cells allow ten draws, not 100 or 1000; ten of twelve always include one of the best three.
    assert_eq!(rows[1]["algorithm"], "oracle best of 10");
    assert_eq!(rows[2]["algorithm"], "optimal");
    assert!(rows[1]["cifar10-test"]["mean"].as_f64().unwrap() >= 59.0, "{}", rows[1]);
    assert_eq!(rows[1]["queries"]["mean"], 0);
    let backwards = run("backwards", "backwards");
    assert!(backwards["rows"][1]["cifar10-test"]["mean"].as_f64().unwrap() <= 52.0, "{}", backwards["rows"][1]);
    std::fs::remove_dir_all(dir).unwrap();
}
