//! The searches' oracle over a benchmark file answers what `more_info` with a random seed answers: the same trial
//! for the same draw, the same numbers (on the NATS-like archive of nb102-store's tests, imported).

use std::path::PathBuf;

use nb102_api::search::{BenchmarkOracle, Evaluation, Oracle};
use nb102_api::{Api, Seeds};
use nb102_space::Arch;
use nb102_store::{
    merge, nats_tss_files, read_nats_tss_file, write_benchmark, BenchmarkKind, BenchmarkMeta, Hp, Setting,
};
use rand::SeedableRng;

#[test]
fn the_oracle_answers_as_more_info_does() {
    let archive = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nats-like");
    let mut records = Vec::new();
    for file in nats_tss_files(&archive).unwrap() {
        records.extend(read_nats_tss_file(&file).unwrap().into_iter().map(|r| (file.display().to_string(), r)));
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
