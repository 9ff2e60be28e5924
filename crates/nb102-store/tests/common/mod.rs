//! What the store's tests share: the number-for-number comparison with the reference's records as JSON, the
//! real reference data's folder, and temporary folders.
// Each test binary uses some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use nb102_store::TrialRecord;
use serde_json::Value;

/// A folder under the system's temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("nb102-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The real reference data (`NB102_REFERENCE_DIR`, default `../shared/reference` beside the checkout).
pub fn reference_dir() -> PathBuf {
    std::env::var_os("NB102_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference"))
}

/// Asserts that `record` holds exactly the numbers of the reference's `ResultsCount` as JSON.
pub fn check(record: &TrialRecord, r: &Value) {
    let what = record.describe();
    let num = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("{what}: {v} is not a number"));
    assert_eq!(r["epochs"].as_u64(), Some(u64::from(record.hp.epochs())), "{what}");
    assert_eq!(r["name"].as_str(), Some(record.setting.name()), "{what}");
    assert_eq!(r["seed"].as_str().map(|s| s.parse::<u32>().unwrap()), Some(record.seed), "{what}");
    assert_eq!(r["arch_config"]["arch_str"].as_str(), Some(record.arch.to_string().as_str()), "{what}");
    assert_eq!(r["arch_config"]["class_num"].as_u64(), Some(u64::from(record.net.classes)), "{what}");
    assert_eq!((num(&r["params"]), num(&r["flop"])), (record.params_mb, record.flops_m), "{what}");
    let latency: Vec<f64> = r["latency"].as_array().map_or_else(Vec::new, |l| l.iter().map(num).collect());
    assert_eq!(latency, record.latency, "{what}");
    for (epoch, t) in record.train.iter().enumerate() {
        let key = epoch.to_string();
        assert_eq!(t.loss, num(&r["train_losses"][&key]), "{what} train loss {epoch}");
        assert_eq!(t.top1, num(&r["train_acc1es"][&key]), "{what} train acc {epoch}");
        assert_eq!(t.top5, r["train_acc5es"].get(&key).map(num), "{what} train top5 {epoch}");
        assert_eq!(t.time, r["train_times"].get(&key).map(num), "{what} train time {epoch}");
    }
    let (mut evaluations, mut times) = (0, 0);
    for (set, points) in &record.eval {
        for p in points {
            let key = format!("{set}@{}", p.epoch);
            assert_eq!(p.accuracy, r["eval_acc1es"].get(&key).map(num), "{what} {key}");
            assert_eq!(p.loss, r["eval_losses"].get(&key).map(num), "{what} {key}");
            assert_eq!(p.time, r["eval_times"].get(&key).map(num), "{what} {key}");
            evaluations += usize::from(p.accuracy.is_some());
            times += usize::from(p.time.is_some());
        }
    }
    assert_eq!(evaluations, r["eval_acc1es"].as_object().unwrap().len(), "{what}: every evaluation imported");
    assert_eq!(times, r["eval_times"].as_object().map_or(0, |t| t.len()), "{what}: every evaluation time imported");
}

/// The name a writer of `path` in process `pid` gives its temporary file: a writer of this machine, boot and PID
/// namespace, or (`foreign`) of another machine or namespace sharing the folder.
pub fn writer_temporary(path: &Path, pid: u32, foreign: bool) -> PathBuf {
    let ours = nb102_store::temporary_path(path, "");
    let name = ours.file_name().unwrap().to_str().unwrap();
    let (head, rest) = name.rsplit_once(".tmp-").unwrap();
    let tag = if foreign { "h0bad0bad" } else { rest.split('-').next().unwrap() };
    path.with_file_name(format!("{head}.tmp-{tag}-{pid}-0"))
}
