//! The query API against the official one: `scripts/golden/query.py` asked `nats_bench` 1.8 hundreds of
//! questions about the NATS-like archive (`nb102-store/tests/data/nats-like`); nb102, on the same archive
//! imported into a benchmark file, must give the same answers to the last bit.

use std::path::PathBuf;

use nb102_api::{remap_names, Api, Seeds};
use nb102_store::{merge, nats_files, read_nats_file, write_benchmark, BenchmarkKind, BenchmarkMeta, Hp, Setting};
use serde_json::Value;

fn imported(name: &str) -> (Api, PathBuf) {
    let archive = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nats-like");
    let mut records = Vec::new();
    for file in nats_files(&archive).unwrap() {
        records.extend(read_nats_file(&file).unwrap().into_iter().map(|r| (file.display().to_string(), r)));
    }
    let meta = BenchmarkMeta { description: "nats-like".into(), kind: BenchmarkKind::Nb201 };
    let dir = std::env::temp_dir().join(format!("nb102-query-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = write_benchmark(&merge(meta, records).unwrap(), &dir.join("nats-like")).unwrap();
    (Api::open(&path).unwrap(), dir)
}

fn golden() -> Value {
    let file = std::fs::File::open(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/query-golden.json.bz2"))
        .unwrap();
    serde_json::from_reader(bzip2::read::BzDecoder::new(file)).unwrap()
}

fn opt(v: &Value) -> Option<f64> {
    v.as_f64()
}

#[test]
fn answers_equal_the_official_api() {
    let (api, dir) = imported("golden");
    let golden = golden();

    let more = golden["more_info"].as_array().unwrap();
    assert_eq!(more.len(), 192);
    for q in more {
        let setting: Setting = q["dataset"].as_str().unwrap().parse().unwrap();
        let hp = Hp::new(q["hp"].as_u64().unwrap() as u16);
        let epoch = q["iepoch"].as_u64().map(|e| e as u16);
        let mut seeds = match q["seed"].as_u64() {
            Some(s) => Seeds::Seed(s as u32),
            None => Seeds::Mean,
        };
        let index = q["index"].as_u64().unwrap() as usize;
        let ours = api.more_info(index, setting, hp, epoch, &mut seeds).unwrap().reference_entries();
        let theirs = q["info"].as_object().unwrap();
        let keys: Vec<&str> = ours.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, theirs.keys().map(String::as_str).collect::<Vec<_>>(), "{q}");
        for (key, value) in &ours {
            assert_eq!(*value, opt(&theirs[key]), "{key} of {q}");
        }
    }

    let costs = golden["cost_info"].as_array().unwrap();
    for q in costs {
        let setting: Setting = q["dataset"].as_str().unwrap().parse().unwrap();
        let hp = Hp::new(q["hp"].as_u64().unwrap() as u16);
        let ours = api.cost_info(q["index"].as_u64().unwrap() as usize, setting, hp).unwrap();
        let theirs = &q["info"];
        assert_eq!(
            (ours.flops, ours.params, ours.latency),
            (theirs["flops"].as_f64().unwrap(), theirs["params"].as_f64().unwrap(), opt(&theirs["latency"])),
            "{q}"
        );
        assert_eq!(ours.times.len() + 3, theirs.as_object().unwrap().len(), "{q}");
        for (key, value) in &ours.times {
            assert_eq!(*value, opt(&theirs[key]), "{key} of {q}");
        }
    }

    for q in golden["find_best"].as_array().unwrap() {
        let (setting, set) = remap_names(q["dataset"].as_str().unwrap(), q["metric"].as_str().unwrap()).unwrap();
        let hp = Hp::new(q["hp"].as_u64().unwrap() as u16);
        let ours = api.find_best(setting, set, hp, opt(&q["flop_max"]), opt(&q["param_max"])).unwrap();
        let theirs = match q["index"].as_i64().unwrap() {
            -1 => None,
            index => Some((index as usize, q["accuracy"].as_f64().unwrap())),
        };
        assert_eq!(ours, theirs, "{q}");
    }
    for q in golden["statistics"].as_array().unwrap() {
        let setting: Setting = q["dataset"].as_str().unwrap().parse().unwrap();
        let ours = api.statistics(setting, Hp::new(q["hp"].as_u64().unwrap() as u16)).unwrap();
        let theirs: std::collections::BTreeMap<usize, usize> = q["counts"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.as_u64().unwrap() as usize))
            .collect();
        assert_eq!(ours, theirs, "{q}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn simulated_runs_cost_what_the_queries_say() {
    let (api, dir) = imported("simulate");
    for (dataset, source) in [(Setting::Cifar10, Setting::Cifar10Valid), (Setting::Cifar100, Setting::Cifar100)] {
        let run = api.simulate_train_eval(12, dataset, Hp::H12, None, &mut Seeds::Seed(777)).unwrap();
        let info = api.more_info(12, source, Hp::H12, None, &mut Seeds::Seed(777)).unwrap();
        let valid = info.valid.unwrap();
        assert_eq!(run.accuracy, valid.accuracy);
        assert_eq!(run.time_cost, info.train.all_time.unwrap() + valid.all_time.unwrap() / 12.0);
        assert_eq!(run.latency, api.cost_info(12, dataset, Hp::H12).unwrap().latency);
    }
    // cifar100 x-valid exists at every epoch here; at epoch 3 the cost is three epochs of training plus a pass.
    let early = api.simulate_train_eval(12, Setting::Cifar100, Hp::H12, Some(3), &mut Seeds::Seed(111)).unwrap();
    let info = api.more_info(12, Setting::Cifar100, Hp::H12, Some(3), &mut Seeds::Seed(111)).unwrap();
    assert_eq!(early.time_cost, info.train.all_time.unwrap() + info.valid.unwrap().all_time.unwrap() / 4.0);
    let mut used = nb102_api::UsedTime::default();
    used.charge(&early);
    assert_eq!(used.charge(&early), 2.0 * early.time_cost);
    assert!(api.simulate_train_eval(12, Setting::Cifar10Valid, Hp::H12, None, &mut Seeds::Mean).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn explicit_choices_and_clear_errors() {
    let (api, dir) = imported("choices");
    assert_eq!(api.index_of("7").unwrap(), 7);
    assert!(api.index_of("|none~0|+|none~0|").is_err());
    // Reordered spellings find the same cell.
    let arch = nb102_space::Arch::from_official_index(7).unwrap().to_string();
    assert_eq!(api.index_of(&arch).unwrap(), 7);
    let err = api.more_info(1, Setting::Cifar10, Hp::H12, None, &mut Seeds::Mean).unwrap_err().to_string();
    assert_eq!(err, "cell 1 is not in this benchmark");
    let err = api.more_info(7, Setting::Cifar10, Hp::new(50), None, &mut Seeds::Mean).unwrap_err().to_string();
    assert_eq!(err, "cell 7 has no cifar10 trials with hp 50");
    let err = api.more_info(7, Setting::Cifar10, Hp::H12, None, &mut Seeds::Seed(999)).unwrap_err().to_string();
    assert_eq!(err, "cell 7 has no cifar10 hp 12 trial with seed 999: expected one of [111, 777]");
    let err = api.more_info(7, Setting::Cifar10, Hp::H12, Some(12), &mut Seeds::Mean).unwrap_err().to_string();
    assert_eq!(err, "epoch 12 out of range: expected 0..12");
    // ori-test of the 200-epoch runs exists only after the last epoch in these files: left out before it.
    let mid = api.more_info(7, Setting::Cifar100, Hp::H200, Some(100), &mut Seeds::Mean).unwrap();
    assert!(mid.valid.is_some() && mid.test.is_some() && mid.valtest.is_none());
    let last = api.more_info(7, Setting::Cifar100, Hp::H200, None, &mut Seeds::Mean).unwrap();
    assert!(last.valtest.is_some());
    // A random seed comes from the caller's generator: the same seed gives the same trial.
    use rand::SeedableRng;
    let draw = |seed| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..8)
            .map(|_| {
                api.more_info(7, Setting::Cifar10Valid, Hp::H12, None, &mut Seeds::Random(&mut rng))
                    .unwrap()
                    .train
                    .accuracy
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(draw(3), draw(3));
    assert_eq!(remap_names("cifar10", "valid").unwrap(), (Setting::Cifar10Valid, Some(nb102_store::EvalSet::XValid)));
    assert!(remap_names("mnist", "valid").is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn one_api_serves_many_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Api>();
    let (api, dir) = imported("threads");
    std::thread::scope(|s| {
        for seed in [111, 777, 111, 777] {
            let api = &api;
            s.spawn(move || api.more_info(7, Setting::Cifar100, Hp::H12, None, &mut Seeds::Seed(seed)).unwrap());
        }
    });
    std::fs::remove_dir_all(dir).unwrap();
}
