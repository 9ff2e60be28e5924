//! The searches' oracle over a benchmark file answers what `more_info` with a random seed answers: the same trial
//! for the same draw, the same numbers (on the NATS-like archive of nb102-store's tests, imported); a modelled
//! query cost is fitted to records with times and charged on summary-only records.

use std::path::PathBuf;

use nb102_api::multi_trial::{BenchmarkOracle, Evaluation, Oracle, QueryCost};
use nb102_api::{Api, Seeds};
use nb102_space::Arch;
use nb102_store::{
    merge, nats_files, read_nats_file, write_benchmark, BenchmarkKind, BenchmarkMeta, BenchmarkWriter, Hp, Setting,
    TrialRecord,
};

fn archive_records() -> Vec<TrialRecord> {
    let archive = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nats-like");
    nats_files(&archive).unwrap().iter().flat_map(|f| read_nats_file(f).unwrap()).collect()
}
use rand::SeedableRng;

#[test]
fn the_oracle_answers_as_more_info_does() {
    let archive = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nats-like");
    let mut records = Vec::new();
    for file in nats_files(&archive).unwrap() {
        records.extend(read_nats_file(&file).unwrap().into_iter().map(|r| (file.display().to_string(), r)));
    }
    let dir = std::env::temp_dir().join(format!("nb102-search-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let meta = BenchmarkMeta { description: "nats-like".into(), kind: BenchmarkKind::Demo };
    let api = Api::open(&write_benchmark(&merge(meta, records).unwrap(), &dir.join("x")).unwrap()).unwrap();
    for (setting, hp) in
        [(Setting::Cifar10Valid, Hp::H12), (Setting::Cifar100, Hp::H12), (Setting::Cifar10Valid, Hp::H200)]
    {
        let oracle = BenchmarkOracle::new(&api, setting, hp).unwrap();
        for index in [7, 12] {
            for seed in 0..6 {
                let arch = Arch::from_official_index(index).unwrap();
                let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let mut b = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let ours = oracle.evaluate(arch, &mut a).unwrap().unwrap();
                let info = api.more_info(index, setting, hp, None, &mut Seeds::Random(&mut b)).unwrap();
                let valid = info.valid.unwrap();
                let epochs = f64::from(info.train.epoch) + 1.0;
                let expected = Evaluation {
                    fitness: valid.accuracy,
                    cost: info.train.all_time.unwrap() + valid.all_time.unwrap() / epochs,
                };
                assert_eq!(ours, expected, "{setting} {hp} cell {index} draw {seed}");
            }
        }
        // A cell the file does not hold is None; the partial file lists its cells.
        let missing = Arch::from_official_index(8).unwrap();
        assert_eq!(oracle.evaluate(missing, &mut rand_chacha::ChaCha8Rng::seed_from_u64(0)).unwrap(), None);
        let held: Vec<usize> = oracle.cells().unwrap().iter().map(Arch::official_index).collect();
        assert_eq!(held, [7, 12]);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_cost_model_is_fitted_to_timed_trials_and_charged_without_times() {
    // Trials whose cost (training plus one validation pass) is 10 s + 2 s per MFLOP, and one of another setting.
    let mut records = archive_records();
    records.retain(|r| r.hp == Hp::H12 && matches!(r.setting, Setting::Cifar10Valid | Setting::Cifar100));
    for (k, r) in records.iter_mut().enumerate() {
        r.flops_m = 5.0 * k as f64;
        let epochs = r.train.len() as f64;
        let target = 10.0 + 2.0 * r.flops_m;
        let valid_all = r.metrics(Some(nb102_store::EvalSet::XValid), None).unwrap().all_time.unwrap();
        for epoch in &mut r.train {
            epoch.time = Some((target - valid_all / epochs) / epochs);
        }
    }
    let fitted = QueryCost::calibrate(&records, Setting::Cifar10Valid, Hp::H12, true).unwrap();
    let QueryCost::Modelled { base, per_mflop } = fitted else { panic!("{fitted:?}") };
    assert!((base - 10.0).abs() < 1e-9 && (per_mflop - 2.0).abs() < 1e-9, "{fitted:?}");
    let constant = QueryCost::calibrate(&records, Setting::Cifar10Valid, Hp::H12, false).unwrap();
    let valid: Vec<f64> =
        records.iter().filter(|r| r.setting == Setting::Cifar10Valid).map(|r| 10.0 + 2.0 * r.flops_m).collect();
    let mean = valid.iter().sum::<f64>() / valid.len() as f64;
    assert!(matches!(constant, QueryCost::Modelled { base, per_mflop: 0.0 } if (base - mean).abs() < 1e-9));
    let none = QueryCost::calibrate(&records, Setting::ImageNet16_120, Hp::H12, false).unwrap_err().to_string();
    assert!(none.contains("expected ImageNet16-120 hp 12 trials with times, found none"), "{none}");

    // Summary-only records have no times: the recorded cost is unavailable, a modelled one is charged.
    let dir = std::env::temp_dir().join(format!("nb102-search-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let meta = BenchmarkMeta { description: "summary-only".into(), kind: BenchmarkKind::Nb201 };
    let mut writer = BenchmarkWriter::create(&dir.join("s"), meta).unwrap();
    let row = nb102_store::TrialSummary {
        index: 3,
        hp: Hp::H12,
        setting: Setting::Cifar10Valid,
        seed: None,
        flops_m: 4.0,
        params_mb: 0.1,
        final_accuracy: [None, Some(61.5), None, None],
        has_weights: false,
        train_time: None,
        valid_time: None,
    };
    writer.add_summary_only(3, &[row]).unwrap();
    let api = Api::open(&writer.finish().unwrap()).unwrap();
    let arch = Arch::from_official_index(3).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let recorded = BenchmarkOracle::new(&api, Setting::Cifar10Valid, Hp::H12).unwrap();
    let message = recorded.evaluate(arch, &mut rng).unwrap_err().to_string();
    assert!(message.contains("no training and validation times to charge"), "{message}");
    let modelled = BenchmarkOracle::with_cost(&api, Setting::Cifar10Valid, Hp::H12, fitted).unwrap();
    let evaluation = modelled.evaluate(arch, &mut rng).unwrap().unwrap();
    assert_eq!(evaluation, Evaluation { fitness: 61.5, cost: base + per_mflop * 4.0 });
    // Per-epoch queries name what the cell lacks.
    let message = api.cost_info(3, Setting::Cifar10Valid, Hp::H12).unwrap_err().to_string();
    assert!(message.starts_with("cell 3 has summary-only records"), "{message}");
    assert_eq!(
        api.find_best(Setting::Cifar10Valid, Some(nb102_store::EvalSet::XValid), Hp::H12, None, None).unwrap(),
        Some((3, 61.5))
    );
    std::fs::remove_dir_all(dir).unwrap();
}
