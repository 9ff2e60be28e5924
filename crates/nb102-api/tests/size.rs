//! The query API on a benchmark file of NATS-Bench's size space: the real sample records (`NB102_REFERENCE_DIR`,
//! default `../shared/reference`, `nats-sss-sample`) imported, against the numbers spec 10.6–10.7 records of the
//! official API on them (`nats_bench` 1.8; the Python suite compares every query with it live).

use std::path::PathBuf;

use nb102_api::{Api, Seeds};
use nb102_space::Space;
use nb102_store::{Hp, Setting};

fn sample() -> Option<(Api, PathBuf)> {
    let dir = std::env::var_os("NB102_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference"))
        .join("nats-sss-sample");
    if !dir.is_dir() {
        eprintln!("the size-space sample records are not at {} (set NB102_REFERENCE_DIR)", dir.display());
        return None;
    }
    let out = std::env::temp_dir().join(format!("nb102-api-size-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let path = nb102_store::import_nats(&dir, Space::Size, &out.join("sss"), |_, _| {}).unwrap();
    Some((Api::open(&path).unwrap(), out))
}

#[test]
fn size_space_queries_give_the_official_numbers() {
    let Some((api, out)) = sample() else { return };
    assert_eq!((api.space(), api.evaluated().unwrap()), (Space::Size, vec![0, 11, 284]));
    assert_eq!((api.index_of("8:8:40:32:40").unwrap(), api.index_of("284").unwrap()), (284, 284));
    assert_eq!(api.arch(284).unwrap().to_string(), "8:8:40:32:40");
    assert!(api.index_of("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|").is_err());
    let round = |v: f64| (v * 100.0).round() / 100.0;
    // Spec 10.6's accuracy anchors (get_more_info(..., is_random=False)), to their two printed decimals.
    let anchors = [
        (0, 1, Setting::Cifar10Valid, 28.70, Some(29.10)),
        (0, 1, Setting::Cifar10, f64::NAN, Some(39.58)),
        (0, 1, Setting::Cifar100, 5.16, Some(5.36)),
        (0, 1, Setting::ImageNet16_120, 5.00, Some(4.60)),
        (0, 12, Setting::Cifar10Valid, 66.48, Some(66.10)),
        (11, 90, Setting::Cifar100, 54.46, Some(53.68)),
        (284, 12, Setting::ImageNet16_120, 26.89, Some(25.17)),
        (284, 90, Setting::Cifar10Valid, 86.80, Some(86.22)),
        (284, 90, Setting::Cifar10, f64::NAN, Some(89.51)),
        (284, 90, Setting::Cifar100, 62.78, Some(62.70)),
        (284, 90, Setting::ImageNet16_120, 33.33, Some(32.77)),
    ];
    for (index, hp, setting, valid, test) in anchors {
        let info = api.more_info(index, setting, Hp::new(hp), None, &mut Seeds::Mean).unwrap();
        let what = format!("{index} hp {hp} {setting}");
        match &info.valid {
            Some(v) => assert_eq!(round(v.accuracy), valid, "{what} valid"),
            None => assert!(valid.is_nan(), "{what}: no x-valid in cifar10"),
        }
        assert_eq!(info.test.as_ref().map(|t| round(t.accuracy)), test, "{what} test");
    }
    // Spec 10.7: get_cost_info(284, 'cifar100', '90').
    let cost = api.cost_info(284, Setting::Cifar100, Hp::new(90)).unwrap();
    assert_eq!((cost.flops, cost.params), (21.831684, 0.148524));
    assert!((cost.latency.unwrap() - 0.0197139).abs() < 5e-8);
    let time = |key: &str| cost.times.iter().find(|(k, _)| k == key).and_then(|(_, v)| *v).unwrap();
    assert!((time("T-train@epoch") - 6.127285).abs() < 5e-7 && (time("T-train@total") - 551.4557).abs() < 5e-5);
    // Spec 10.7: simulate_train_eval's costs (train-all-time plus one validation pass).
    for (index, hp, expected) in [(0, 90, 320.5476), (284, 12, 41.6258)] {
        let run = api.simulate_train_eval(index, Setting::Cifar10, Hp::new(hp), None, &mut Seeds::Seed(777)).unwrap();
        assert!((run.time_cost - expected).abs() < 5e-5, "{index} hp {hp}: {}", run.time_cost);
    }
    // Spec 10.7: three seeds at hp 12, one at 01 and 90.
    for (hp, seeds) in [(1, 1), (12, 3), (90, 1)] {
        let counts = api.statistics(Setting::Cifar10Valid, Hp::new(hp)).unwrap();
        assert_eq!(counts.into_iter().collect::<Vec<_>>(), [(seeds, 3)], "hp {hp}");
    }
    std::fs::remove_dir_all(out).unwrap();
}
