//! Importer of the NATS-Bench topology archive (`NATS-tss-v1_0-3ffb9-simple/`): `meta.pickle.pbz2` and one
//! `NNNNNN.pickle.pbz2` per cell, bz2-compressed pickles of `{'12': ArchResults, '200': ArchResults}`
//! state dicts (spec 06 §6.2, 07 §7.6).
//!
//! Every `ResultsCount` becomes a [`TrialRecord`]; the checks are the reference's own invariants (the
//! cell of each file is the one its index names, every epoch of the schedule is present) plus ours
//! (`meta_archs` is the official order). Weights in a "full" archive are torch tensors, which this
//! crate does not read: such a file is refused rather than imported without them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use nb102_space::{official_archs, Arch};

use super::pickle::{unpickle, PyValue};
use crate::error::{Result, StoreError};
use crate::record::{EvalPoint, NetConfig, Provenance, TrainEpoch, TrialRecord};
use crate::setting::{EvalSet, Hp};

/// The records of one `NNNNNN.pickle.pbz2` file.
///
/// # Errors
/// [`StoreError::Io`] or [`StoreError::Format`] naming the file and what in it is unexpected.
pub fn read_nats_tss_file(path: &Path) -> Result<Vec<TrialRecord>> {
    let value = read_pickle(path)?;
    let bad = |found: String| StoreError::Format {
        path: path.to_owned(),
        expected: "a NATS-Bench topology record".into(),
        found,
    };
    let PyValue::Dict(by_hp) = &value else { return Err(bad(format!("{} at the top level", value.kind()))) };
    let producer =
        format!("NATS-Bench topology archive, {}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let mut records = Vec::new();
    for (hp_key, results) in by_hp {
        let hp = match hp_key {
            PyValue::Str(s) => s.parse::<u16>().map(Hp::new).map_err(|_| bad(format!("hp key {s:?}")))?,
            other => return Err(bad(format!("{} as hp key", other.kind()))),
        };
        let arch_str = text(results.get("arch_str")).ok_or_else(|| bad("no arch_str".into()))?;
        let arch: Arch = arch_str.parse().map_err(|e| bad(format!("{e}")))?;
        let index = int(results.get("arch_index")).ok_or_else(|| bad("no arch_index".into()))?;
        if arch.official_index() as i64 != index {
            return Err(bad(format!(
                "arch_index {index} for {arch_str}, whose official index is {}",
                arch.official_index()
            )));
        }
        let Some(PyValue::Dict(all)) = results.get("all_results") else {
            return Err(bad("no all_results dict".into()));
        };
        for (key, result) in all {
            let seed = match key {
                PyValue::Tuple(k) => match k.as_slice() {
                    [PyValue::Str(_), PyValue::Int(seed)] => {
                        u32::try_from(*seed).map_err(|_| bad(format!("seed {seed}")))?
                    }
                    _ => return Err(bad("an all_results key that is not (dataset, seed)".into())),
                },
                other => return Err(bad(format!("{} as an all_results key", other.kind()))),
            };
            let record = result_count(result, arch, hp, seed, &producer)
                .map_err(|m| bad(format!("{arch_str} hp {hp} seed {seed}: {m}")))?;
            record.validate()?;
            records.push(record);
        }
    }
    Ok(records)
}

/// `meta_archs` of a `meta.pickle.pbz2` file.
///
/// # Errors
/// [`StoreError::Io`] or [`StoreError::Format`].
pub fn read_nats_tss_meta(path: &Path) -> Result<Vec<String>> {
    let value = read_pickle(path)?;
    let bad = |found: String| StoreError::Format {
        path: path.to_owned(),
        expected: "a NATS-Bench meta file with meta_archs".into(),
        found,
    };
    match value.get("meta_archs") {
        Some(PyValue::List(items)) => items
            .iter()
            .map(|v| text(Some(v)).map(str::to_owned).ok_or_else(|| bad("a non-string arch".into())))
            .collect(),
        _ => Err(bad("no meta_archs list".into())),
    }
}

/// The cell files of an archive folder, and a check of its `meta.pickle.pbz2` (if present) against the
/// official order.
///
/// # Errors
/// [`StoreError::Io`], or [`StoreError::Format`] if the folder holds no cell file or its `meta_archs` are not
/// the official list.
pub fn nats_tss_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|source| StoreError::Io { path: dir.to_owned(), source })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| StoreError::Io { path: dir.to_owned(), source })?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.len() == "000000.pickle.pbz2".len()
            && name.ends_with(".pickle.pbz2")
            && name[..6].bytes().all(|b| b.is_ascii_digit())
        {
            files.push(path);
        }
    }
    files.sort();
    let format = |found: String| StoreError::Format {
        path: dir.to_owned(),
        expected: "a NATS-Bench topology archive folder".into(),
        found,
    };
    if files.is_empty() {
        return Err(format("no NNNNNN.pickle.pbz2 file".into()));
    }
    let meta = dir.join("meta.pickle.pbz2");
    if meta.exists() {
        let archs = read_nats_tss_meta(&meta)?;
        let official: Vec<String> = official_archs().map(|a| a.to_string()).collect();
        if let Some(i) = (0..official.len().max(archs.len())).find(|&i| archs.get(i) != official.get(i)) {
            return Err(format(format!("meta_archs differing from the official order at index {i}")));
        }
    }
    Ok(files)
}

/// One `ResultsCount` state dict.
fn result_count(
    r: &PyValue,
    arch: Arch,
    hp: Hp,
    seed: u32,
    producer: &str,
) -> std::result::Result<TrialRecord, String> {
    if !matches!(r.get("net_state_dict"), None | Some(PyValue::None)) {
        return Err(
            "weights (net_state_dict) are torch tensors, which are not imported; use the -simple archive".into()
        );
    }
    let epochs = int(r.get("epochs")).ok_or("no epochs")?;
    if epochs != i64::from(hp.epochs()) {
        return Err(format!("{epochs} epochs under hp {hp}"));
    }
    let setting = text(r.get("name")).ok_or("no name")?.parse().map_err(|e| format!("{e}"))?;
    let config = r.get("arch_config").ok_or("no arch_config")?;
    let dim =
        |key: &str| int(config.get(key)).and_then(|v| u32::try_from(v).ok()).ok_or(format!("no {key} in arch_config"));
    let net = NetConfig { channels: dim("channel")?, cells: dim("num_cells")?, classes: dim("class_num")? };

    let by_epoch = |key: &str| -> std::result::Result<Option<BTreeMap<i64, f64>>, String> {
        match r.get(key) {
            None | Some(PyValue::None) => Ok(None),
            Some(PyValue::Dict(items)) => items
                .iter()
                .map(|(k, v)| {
                    Ok((
                        int(Some(k)).ok_or(format!("a non-integer epoch in {key}"))?,
                        number(v).ok_or(format!("a non-number in {key}"))?,
                    ))
                })
                .collect::<std::result::Result<_, String>>()
                .map(Some),
            Some(other) => Err(format!("{key} is {}", other.kind())),
        }
    };
    let (losses, top1, top5, times) =
        (by_epoch("train_losses")?, by_epoch("train_acc1es")?, by_epoch("train_acc5es")?, by_epoch("train_times")?);
    let (losses, top1) = (losses.ok_or("no train_losses")?, top1.ok_or("no train_acc1es")?);
    let train = (0..epochs)
        .map(|e| {
            Ok(TrainEpoch {
                loss: *losses.get(&e).ok_or(format!("no train loss for epoch {e}"))?,
                top1: *top1.get(&e).ok_or(format!("no train accuracy for epoch {e}"))?,
                top5: top5.as_ref().and_then(|t| t.get(&e).copied()),
                time: times.as_ref().and_then(|t| t.get(&e).copied()),
            })
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;

    let by_key = |key: &str| -> std::result::Result<BTreeMap<String, f64>, String> {
        match r.get(key) {
            None | Some(PyValue::None) => Ok(BTreeMap::new()),
            Some(PyValue::Dict(items)) => items
                .iter()
                .map(|(k, v)| {
                    Ok((
                        text(Some(k)).ok_or(format!("a non-string key in {key}"))?.to_owned(),
                        number(v).ok_or(format!("a non-number in {key}"))?,
                    ))
                })
                .collect(),
            Some(other) => Err(format!("{key} is {}", other.kind())),
        }
    };
    let (accs, eval_losses, eval_times) = (by_key("eval_acc1es")?, by_key("eval_losses")?, by_key("eval_times")?);
    // Keys of accuracies, losses and times: times may cover epochs that have no evaluation.
    let mut eval: BTreeMap<EvalSet, BTreeMap<u16, EvalPoint>> = BTreeMap::new();
    for key in accs.keys().chain(eval_losses.keys()).chain(eval_times.keys()) {
        let (set, epoch) = key.split_once('@').ok_or(format!("eval key {key:?} is not set@epoch"))?;
        let set: EvalSet = set.parse().map_err(|e| format!("{e}"))?;
        let epoch: u16 = epoch.parse().map_err(|_| format!("eval key {key:?} has no epoch number"))?;
        let point = EvalPoint {
            epoch,
            loss: eval_losses.get(key).copied(),
            accuracy: accs.get(key).copied(),
            time: eval_times.get(key).copied(),
        };
        if point.loss.is_some() != point.accuracy.is_some() {
            return Err(format!("{key}: an accuracy without a loss, or the reverse"));
        }
        eval.entry(set).or_default().insert(epoch, point);
    }
    let eval: BTreeMap<EvalSet, Vec<EvalPoint>> =
        eval.into_iter().map(|(set, points)| (set, points.into_values().collect())).collect();
    let latency = match r.get("latency") {
        None | Some(PyValue::None) => Vec::new(),
        Some(PyValue::List(items)) => {
            items.iter().map(|v| number(v).ok_or("a non-number latency")).collect::<std::result::Result<_, _>>()?
        }
        Some(other) => return Err(format!("latency is {}", other.kind())),
    };
    Ok(TrialRecord {
        arch,
        setting,
        hp,
        seed,
        net,
        train,
        eval,
        params_mb: number(r.get("params").ok_or("no params")?).ok_or("params is not a number")?,
        flops_m: number(r.get("flop").ok_or("no flop")?).ok_or("flop is not a number")?,
        latency,
        provenance: Provenance {
            producer: producer.to_owned(),
            config_hash: None,
            device: None,
            dataset_fingerprint: None,
        },
        weights: None,
    })
}

fn read_pickle(path: &Path) -> Result<PyValue> {
    let file = std::fs::File::open(path).map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
    let mut data = Vec::new();
    bzip2::read::BzDecoder::new(file).read_to_end(&mut data).map_err(|e| StoreError::Format {
        path: path.to_owned(),
        expected: "a bz2-compressed pickle".into(),
        found: format!("bad bz2 data ({e})"),
    })?;
    unpickle(&data).map_err(|e| StoreError::Format {
        path: path.to_owned(),
        expected: "a readable pickle".into(),
        found: e.to_string(),
    })
}

fn text(v: Option<&PyValue>) -> Option<&str> {
    match v {
        Some(PyValue::Str(s)) => Some(s),
        _ => None,
    }
}

fn int(v: Option<&PyValue>) -> Option<i64> {
    match v {
        Some(PyValue::Int(i)) => Some(*i),
        // Epoch keys of some dicts are strings after a JSON round trip in the reference's tools.
        Some(PyValue::Str(s)) => s.parse().ok(),
        _ => None,
    }
}

fn number(v: &PyValue) -> Option<f64> {
    match v {
        PyValue::Float(f) => Some(*f),
        PyValue::Int(i) => Some(*i as f64),
        _ => None,
    }
}
