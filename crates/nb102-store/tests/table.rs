//! Per-cell tables into summary-only records: a small table in the layout of NAS-Bench-201 result tables, its
//! errors, the records in a benchmark file, and, when it is at hand, the real table
//! (`NB102_REFERENCE_DIR/nb201_groundtruth_merged.csv`) against the three complete official records.

mod common;

use std::collections::BTreeMap;

use common::{reference_dir, TempDir};
use nb102_space::Arch;
use nb102_store::{
    read_nats_file, read_summary_table, simplify_file, write_summary_only, BenchmarkFile, BenchmarkKind, BenchmarkMeta,
    BenchmarkWriter, EvalSet, Hp, Setting, StoreError, TableColumn, TrialSummary,
};

const HEADER: &str = "index,arch_str,unique_str,c10valid_valid_200ep_mean,c10_test_200ep_mean,c100_valid_200ep_mean,\
c100_test_200ep_mean,in16_valid_200ep_mean,in16_test_200ep_mean,c10_test_12ep,c10valid_valid_12ep,c100_test_12ep,\
c100_valid_12ep,in16_test_12ep,in16_valid_12ep";

fn line(index: usize, values: &str) -> String {
    let arch = Arch::from_official_index(index).unwrap();
    // A quoted field with a comma, as CSV writers quote: the reader must not split it.
    format!("{index},{arch},\"(0)@x, quoted\",{values}")
}

fn table(dir: &TempDir, lines: &[String]) -> std::path::PathBuf {
    let path = dir.0.join("table.csv");
    std::fs::write(&path, format!("{HEADER}\n{}\n", lines.join("\n"))).unwrap();
    path
}

fn error(lines: &[String], columns: &[TableColumn]) -> String {
    let dir = TempDir::new("table-error");
    read_summary_table(&table(&dir, lines), columns).unwrap_err().to_string()
}

#[test]
fn a_table_becomes_seed_mean_records_with_the_networks_costs() {
    let dir = TempDir::new("table");
    let path = table(
        &dir,
        &[
            line(284, "86.05,88.79,61.68,62.14,33.4,32.47,79.46,72.876,39.44,40.48,21.73,22.2"),
            // Cell 0 lacks its 200-epoch ImageNet16-120 values and every 12-epoch one but cifar10's.
            line(0, "81.98,85.86,52.7,52.91,,nan,69.55,,,,,"),
        ],
    );
    let cells = read_summary_table(&path, &TableColumn::nb201()).unwrap();
    assert_eq!(cells.iter().map(|(i, rows)| (*i, rows.len())).collect::<Vec<_>>(), [(0, 4), (284, 8)]);
    let (_, rows) = &cells[0];
    let keys: Vec<(Setting, u16)> = rows.iter().map(|r| (r.setting, r.hp.epochs())).collect();
    assert_eq!(
        keys,
        [(Setting::Cifar10, 12), (Setting::Cifar10Valid, 200), (Setting::Cifar10, 200), (Setting::Cifar100, 200)]
    );
    let c100 = rows.iter().find(|r| r.setting == Setting::Cifar100).unwrap();
    assert_eq!(c100.final_accuracy, [None, Some(52.7), Some(52.91), None]);
    assert_eq!((c100.seed, c100.train_time, c100.valid_time, c100.has_weights), (None, None, None, false));
    // The official records' `params` and `flop` of cell 0 on CIFAR-100 and 284 on ImageNet16-120.
    assert_eq!(
        (format!("{:.6}", c100.params_mb), format!("{:.5}", c100.flops_m)),
        ("0.135156".into(), "15.65322".into())
    );
    let in16 = cells[1].1.iter().find(|r| r.setting == Setting::ImageNet16_120 && r.hp == Hp::H200).unwrap();
    assert_eq!(
        (format!("{:.6}", in16.params_mb), format!("{:.5}", in16.flops_m)),
        ("0.108456".into(), "2.93644".into())
    );
    assert_eq!(in16.accuracy(Some(EvalSet::XTest)), Some(32.47));

    // Written as summary-only records: rows without sections, kept by simplify.
    let meta = BenchmarkMeta { description: "table".into(), kind: BenchmarkKind::Nb201 };
    let file = BenchmarkFile::open(&write_summary_only(&cells, meta, &dir.0.join("t")).unwrap()).unwrap();
    let all: Vec<TrialSummary> = cells.iter().flat_map(|(_, rows)| rows.clone()).collect();
    assert_eq!(file.summary().unwrap(), all);
    assert!(file.is_empty() && !file.has_section(0) && file.cell(0).unwrap().is_none());
    let simplified = BenchmarkFile::open(&simplify_file(&file, &dir.0.join("s")).unwrap()).unwrap();
    assert_eq!(simplified.summary().unwrap(), all);
}

#[test]
fn summary_only_records_are_one_per_setting_schedule_and_seed() {
    let dir = TempDir::new("table-rows");
    let meta = BenchmarkMeta { description: "rows".into(), kind: BenchmarkKind::Nb201 };
    let mut writer = BenchmarkWriter::create(&dir.0.join("t"), meta).unwrap();
    let mean = TrialSummary {
        index: 5,
        hp: Hp::H12,
        setting: Setting::Cifar10,
        seed: None,
        flops_m: 1.0,
        params_mb: 0.1,
        final_accuracy: [None, None, None, Some(50.0)],
        has_weights: false,
        train_time: None,
        valid_time: None,
    };
    let seeded = TrialSummary { seed: Some(777), ..mean };
    let refused =
        |writer: &mut BenchmarkWriter, rows: &[TrialSummary]| writer.add_summary_only(5, rows).unwrap_err().to_string();
    assert!(refused(&mut writer, &[mean, seeded]).contains("found cifar10 hp 12 both as a seed mean and per seed"));
    assert!(refused(&mut writer, &[seeded, seeded]).contains("found cifar10 hp 12 twice"));
    assert!(refused(&mut writer, &[TrialSummary { index: 6, ..mean }]).contains("found a row of cell 6"));
    assert!(refused(&mut writer, &[]).contains("found no rows"));
    writer.add_summary_only(5, &[seeded, TrialSummary { seed: Some(888), ..mean }]).unwrap();
    assert!(refused(&mut writer, &[mean]).contains("expected each cell once, found cell 5 twice"));
}

#[test]
fn bad_tables_are_refused_with_the_line_and_column() {
    let good = "1,2,3,4,5,6,7,8,9,10,11,12";
    let nb201 = TableColumn::nb201();
    let message = error(&[line(3, good), line(7, "1,2,3,4,5,6,7,8,9,10,101,12")], &nb201);
    assert!(
        message.ends_with(r#"expected an accuracy in percent at line 3 column "in16_test_12ep", found "101""#),
        "{message}"
    );
    let message = error(&[line(3, "1,2,3,4,5,6,7,8,x,10,11,12")], &nb201);
    assert!(message.ends_with(r#"line 2 column "c100_test_12ep", found "x""#), "{message}");
    let message = error(&[line(3, good), line(3, good)], &nb201);
    assert!(message.ends_with("expected each cell once (line 3), found cell 3 again"), "{message}");
    let message = error(&[format!("15625,x,y,{good}")], &nb201);
    assert!(
        message.ends_with(r#"expected an official index 0..15625 at line 2 column "index", found "15625""#),
        "{message}"
    );
    let wrong = line(3, good).replacen("3,", "4,", 1);
    let message = error(&[wrong], &nb201);
    assert!(message.contains(r#"expected cell 4, |"#) && message.contains(r#"at line 2 column "arch_str", found "|"#));
    let mut missing = nb201.clone();
    missing.push("zen_cifar10=cifar10:200:x-valid".parse().unwrap());
    let message = error(&[line(3, good)], &missing);
    assert!(message.ends_with(r#"expected a column "zen_cifar10", found none"#), "{message}");
    // A header and no rows; a row of a different length; a column twice in the header.
    let dir = TempDir::new("table-shape");
    let path = dir.0.join("t.csv");
    std::fs::write(&path, format!("{HEADER}\n")).unwrap();
    let message = read_summary_table(&path, &nb201).unwrap_err().to_string();
    assert!(
        message.ends_with("expected rows with at least one result in the table's columns, found none"),
        "{message}"
    );
    std::fs::write(&path, format!("{HEADER}\n{}\n3,x\n", line(3, good))).unwrap();
    let message = read_summary_table(&path, &nb201).unwrap_err().to_string();
    assert!(message.contains("line: 3") && message.contains("found record with 2 fields"), "{message}");
    assert!(!message.contains("UnequalLengths"), "{message}");
    std::fs::write(&path, format!("{HEADER},c10_test_12ep\n{},5\n", line(3, good))).unwrap();
    let message = read_summary_table(&path, &nb201).unwrap_err().to_string();
    assert!(message.ends_with(r#"expected one column "c10_test_12ep", found 2 of them"#), "{message}");
    let mut twice = nb201.clone();
    twice.push("c10_test_12ep=cifar10:12:ori-test".parse().unwrap());
    let message = error(&[line(3, good)], &twice);
    assert!(message.ends_with("found two for cifar10 hp 12 ori-test"), "{message}");
    for bad in
        ["c10_test_12ep", "c10=cifar10:12", "c10=cifar10:0:ori-test", "c10=cifar10:12:test", "c10=cifar:12:x-test"]
    {
        assert!(bad.parse::<TableColumn>().is_err(), "{bad}");
    }
    let column: TableColumn = "my_col=cifar100:200:x-valid".parse().unwrap();
    assert_eq!(
        (column.name.as_str(), column.setting, column.hp, column.set),
        ("my_col", Setting::Cifar100, Hp::H200, EvalSet::XValid)
    );
    assert!(matches!(
        read_summary_table(std::path::Path::new("/no/such/table.csv"), &nb201),
        Err(StoreError::Io { .. })
    ));
}

#[test]
fn the_real_table_agrees_with_the_official_records() {
    let dir = reference_dir();
    let path = dir.join("nb201_groundtruth_merged.csv");
    if !path.is_file() {
        eprintln!("the real table is not at {} (set NB102_REFERENCE_DIR); checked the small one only", path.display());
        return;
    }
    let cells = read_summary_table(&path, &TableColumn::nb201()).unwrap();
    assert_eq!(cells.len(), 15_625);
    assert!(cells.iter().all(|(_, rows)| rows.len() == 8), "every cell has 2 schedules x 4 settings");
    let row = |index: usize, setting: Setting, hp: Hp| {
        *cells[index].1.iter().find(|r| r.setting == setting && r.hp == hp).unwrap()
    };
    // The table's stated facts: the all-skip cell, and 341 cells at chance on CIFAR-10.
    let c10_test = |index: usize| row(index, Setting::Cifar10, Hp::H200).accuracy(Some(EvalSet::OriTest)).unwrap();
    assert_eq!(format!("{:.2}", c10_test(1835)), "54.30");
    assert_eq!((0..15_625).filter(|&i| c10_test(i) == 10.0).count(), 341);

    // Each column is the seed mean of the official records' last-epoch accuracy, to the table's six decimals.
    let mut compared = 0;
    for file in nb102_store::nats_files(&dir.join("nats-tss-sample")).unwrap() {
        let records = read_nats_file(&file).unwrap();
        let index = records[0].space_index().unwrap().1;
        let mut means: BTreeMap<(Setting, Hp, EvalSet), Vec<f64>> = BTreeMap::new();
        for r in &records {
            for set in [EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest] {
                if let Ok(m) = r.metrics(Some(set), None) {
                    means.entry((r.setting, r.hp, set)).or_default().push(m.accuracy);
                }
            }
        }
        for column in TableColumn::nb201() {
            let seeds = &means[&(column.setting, column.hp, column.set)];
            let mean = seeds.iter().sum::<f64>() / seeds.len() as f64;
            let table = row(index, column.setting, column.hp).accuracy(Some(column.set)).unwrap();
            assert!((table - mean).abs() < 5e-7, "cell {index} {}: table {table}, records {mean}", column.name);
            compared += 1;
        }
        // Costs: the records' own params and FLOPs.
        for r in &records {
            let summary = row(index, r.setting, r.hp);
            assert_eq!((summary.params_mb, summary.flops_m), (r.params_mb, r.flops_m), "cell {index} {}", r.setting);
        }
    }
    assert_eq!(compared, 36);
}
