//! The reference's `ArchResults` and `ResultsCount` state dicts, as both official formats store them
//! (NATS-Bench pickles and NAS-Bench-201 `torch.save` files), into [`TrialRecord`]s.

use std::collections::BTreeMap;

use nb102_space::{official_archs, Architecture, Channels, Space, NUM_SIZES};

use crate::pickle::{PyValue, TensorRef};
use crate::record::{EvalPoint, NetConfig, Provenance, TrainEpoch, TrialRecord};
use crate::setting::{EvalSet, Hp};

/// Where the bytes of a file's tensor storages are.
pub(crate) trait Storages {
    /// The bytes of the storage `key`.
    fn storage(&self, key: &str) -> Result<&[u8], String>;
}

/// The records of one `ArchResults` state dict (`arch_index`, `arch_str`, `all_results`) of schedule `hp`.
/// Weights are read from `storages`; without them, a record with weights is refused.
pub(crate) fn arch_results(
    results: &PyValue,
    hp: Hp,
    producer: &str,
    storages: Option<&dyn Storages>,
) -> Result<Vec<TrialRecord>, String> {
    let arch_str = text(results.get("arch_str")).ok_or("no arch_str")?;
    let arch: Architecture = arch_str.parse().map_err(|e| format!("{e}"))?;
    let (_, official) = arch.in_space().ok_or_else(|| format!("arch_str {arch_str}, of neither space"))?;
    let index = int(results.get("arch_index")).ok_or("no arch_index")?;
    if official as i64 != index {
        return Err(format!("arch_index {index} for {arch_str}, whose official index is {official}"));
    }
    let all = results.get("all_results").and_then(PyValue::items).ok_or("no all_results dict")?;
    let mut records = Vec::new();
    for (key, result) in all {
        let seed = match key {
            PyValue::Tuple(k) => match k.iter().map(PyValue::value).collect::<Vec<_>>().as_slice() {
                [PyValue::Str(_), PyValue::Int(seed)] => u32::try_from(*seed).map_err(|_| format!("seed {seed}"))?,
                _ => return Err("an all_results key that is not (dataset, seed)".into()),
            },
            other => return Err(format!("{} as an all_results key", other.kind())),
        };
        let record = result_count(result, arch, hp, seed, producer, storages)
            .map_err(|m| format!("{arch_str} hp {hp} seed {seed}: {m}"))?;
        record.validate().map_err(|e| e.to_string())?;
        records.push(record);
    }
    Ok(records)
}

/// The space whose official order a file's `meta_archs` are: the topology space's 15,625 cell strings or the
/// size space's 32,768 channel strings.
pub(crate) fn official_space(archs: &[String]) -> Result<Space, String> {
    let (space, official): (Space, Vec<String>) = if archs.len() == NUM_SIZES {
        let widths = (0..NUM_SIZES).map(|i| Channels::from_official_index(i).expect("an index below 32768"));
        (Space::Size, widths.map(|c| c.to_string()).collect())
    } else {
        (Space::Topology, official_archs().map(|a| a.to_string()).collect())
    };
    match (0..official.len().max(archs.len())).find(|&i| archs.get(i) != official.get(i)) {
        Some(i) => Err(format!("meta_archs differing from the official order of the {space} space at index {i}")),
        None => Ok(space),
    }
}

/// A list of strings.
pub(crate) fn string_list(v: Option<&PyValue>) -> Option<Vec<String>> {
    match v.map(PyValue::value) {
        Some(PyValue::List(items)) => items.iter().map(|v| text(Some(v)).map(str::to_owned)).collect(),
        _ => None,
    }
}

/// One `ResultsCount` state dict.
fn result_count(
    r: &PyValue,
    arch: Architecture,
    hp: Hp,
    seed: u32,
    producer: &str,
    storages: Option<&dyn Storages>,
) -> Result<TrialRecord, String> {
    let weights = match (r.get("net_state_dict"), storages) {
        (None | Some(PyValue::None), _) => None,
        (Some(state), Some(storages)) => Some(safetensors_of(state, storages)?),
        (Some(_), None) => {
            return Err("weights (net_state_dict) pickled by torch itself, which are not imported; \
                        use the -simple archive"
                .into())
        }
    };
    let epochs = int(r.get("epochs")).ok_or("no epochs")?;
    if epochs != i64::from(hp.epochs()) {
        return Err(format!("{epochs} epochs under hp {hp}"));
    }
    let setting = text(r.get("name")).ok_or("no name")?.parse().map_err(|e| format!("{e}"))?;
    let config = r.get("arch_config").ok_or("no arch_config")?;
    let dim =
        |key: &str| int(config.get(key)).and_then(|v| u32::try_from(v).ok()).ok_or(format!("no {key} in arch_config"));
    let net = match arch {
        Architecture::Cell(_) => {
            NetConfig { channels: dim("channel")?, cells: dim("num_cells")?, classes: dim("class_num")? }
        }
        // `infer.shape.tiny`: the widths are the arch's (spec 10.6), one cell per stage.
        Architecture::Widths(widths) => {
            let channels = text(config.get("channels")).ok_or("no channels in arch_config")?;
            if channels != widths.to_string() {
                return Err(format!("arch_config channels {channels:?} for {widths}"));
            }
            NetConfig { channels: u32::from(widths.widths()[0]), cells: 1, classes: dim("class_num")? }
        }
    };

    let by_epoch = |key: &str| -> Result<Option<BTreeMap<i64, f64>>, String> {
        match r.get(key) {
            None | Some(PyValue::None) => Ok(None),
            Some(dict @ PyValue::Dict(_)) => dict
                .items()
                .expect("a dict")
                .map(|(k, v)| {
                    Ok((
                        int(Some(k)).ok_or(format!("a non-integer epoch in {key}"))?,
                        number(v).ok_or(format!("a non-number in {key}"))?,
                    ))
                })
                .collect::<Result<_, String>>()
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
        .collect::<Result<Vec<_>, String>>()?;

    let by_key = |key: &str| -> Result<BTreeMap<String, f64>, String> {
        match r.get(key) {
            None | Some(PyValue::None) => Ok(BTreeMap::new()),
            Some(dict @ PyValue::Dict(_)) => dict
                .items()
                .expect("a dict")
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
            items.iter().map(|v| number(v.value()).ok_or("a non-number latency")).collect::<Result<_, _>>()?
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
            config: None,
            device: None,
            dataset_fingerprint: None,
        },
        weights,
    })
}

fn text(v: Option<&PyValue>) -> Option<&str> {
    match v.map(PyValue::value) {
        Some(PyValue::Str(s)) => Some(s),
        _ => None,
    }
}

fn int(v: Option<&PyValue>) -> Option<i64> {
    match v.map(PyValue::value) {
        Some(PyValue::Int(i)) => Some(*i),
        // Epoch keys of some dicts are strings after a JSON round trip in the reference's tools.
        Some(PyValue::Str(s)) => s.parse().ok(),
        _ => None,
    }
}

fn number(v: &PyValue) -> Option<f64> {
    match v.value() {
        PyValue::Float(f) => Some(*f),
        PyValue::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// A `net_state_dict` (names to tensors) as a safetensors file. safetensors lays tensors out by alignment and
/// name, so the state dict's own order (the module's, which `load_state_dict` and scripts that iterate it see)
/// is kept in the metadata, as `order`: a JSON array of the names.
fn safetensors_of(state: &PyValue, storages: &dyn Storages) -> Result<Vec<u8>, String> {
    let items = state.items().ok_or_else(|| format!("net_state_dict is {}", state.kind()))?;
    let mut tensors = Vec::new();
    for (name, tensor) in items {
        let name = text(Some(name)).ok_or("a net_state_dict key that is not a string")?;
        let PyValue::Tensor(t) = tensor else { return Err(format!("net_state_dict[{name:?}] is {}", tensor.kind())) };
        let (dtype, size) = dtype_of(&t.class).ok_or(format!("{name}: a {} tensor", t.class))?;
        let bytes = contiguous(t, size, storages.storage(&t.key)?).map_err(|m| format!("{name}: {m}"))?;
        tensors.push((name.to_owned(), dtype, t.shape.clone(), bytes));
    }
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes).map(|v| (name.as_str(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("net_state_dict: {e}"))?;
    let order = serde_json::to_string(&tensors.iter().map(|t| t.0.as_str()).collect::<Vec<_>>())
        .map_err(|e| format!("net_state_dict: {e}"))?;
    let metadata = std::collections::HashMap::from([("order".to_owned(), order)]);
    safetensors::serialize(views, Some(metadata)).map_err(|e| format!("net_state_dict: {e}"))
}

/// The safetensors type and element size of a torch storage class.
fn dtype_of(class: &str) -> Option<(safetensors::Dtype, usize)> {
    use safetensors::Dtype;
    Some(match class {
        "FloatStorage" => (Dtype::F32, 4),
        "DoubleStorage" => (Dtype::F64, 8),
        "HalfStorage" => (Dtype::F16, 2),
        "BFloat16Storage" => (Dtype::BF16, 2),
        "LongStorage" => (Dtype::I64, 8),
        "IntStorage" => (Dtype::I32, 4),
        "ShortStorage" => (Dtype::I16, 2),
        "CharStorage" => (Dtype::I8, 1),
        "ByteStorage" => (Dtype::U8, 1),
        "BoolStorage" => (Dtype::BOOL, 1),
        _ => return None,
    })
}

/// The elements of a tensor view, in row-major order.
fn contiguous(t: &TensorRef, size: usize, storage: &[u8]) -> Result<Vec<u8>, String> {
    let numel: usize = t.shape.iter().product();
    let mut out = Vec::with_capacity(numel * size);
    if numel == 0 {
        return Ok(out);
    }
    // The last element's position bounds every other one.
    let last = t.offset + t.shape.iter().zip(&t.stride).map(|(d, s)| (d - 1) * s).sum::<usize>();
    if (last + 1) * size > storage.len() {
        return Err(format!("a view past the end of its storage of {} bytes", storage.len()));
    }
    let mut position = vec![0usize; t.shape.len()];
    for _ in 0..numel {
        let element = t.offset + position.iter().zip(&t.stride).map(|(p, s)| p * s).sum::<usize>();
        out.extend_from_slice(&storage[element * size..(element + 1) * size]);
        // Advance the multi-index, last dimension fastest.
        for d in (0..position.len()).rev() {
            position[d] += 1;
            if position[d] < t.shape[d] {
                break;
            }
            position[d] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_views_are_gathered_in_row_major_order() {
        let storage: Vec<u8> = (0u8..8).collect();
        let view = |offset, shape: &[usize], stride: &[usize]| TensorRef {
            class: "ByteStorage".into(),
            key: "0".into(),
            offset,
            shape: shape.to_vec(),
            stride: stride.to_vec(),
        };
        // A 2x3 transpose of a 3x2 matrix, and a view with an offset.
        assert_eq!(contiguous(&view(0, &[2, 3], &[1, 2]), 1, &storage).unwrap(), [0, 2, 4, 1, 3, 5]);
        assert_eq!(contiguous(&view(2, &[3], &[2]), 1, &storage).unwrap(), [2, 4, 6]);
        assert_eq!(contiguous(&view(0, &[0, 4], &[4, 1]), 1, &storage).unwrap(), Vec::<u8>::new());
        // Two-byte elements, and a view that runs past its storage.
        assert_eq!(contiguous(&view(1, &[2], &[1]), 2, &storage).unwrap(), [2, 3, 4, 5]);
        assert!(contiguous(&view(4, &[3], &[2]), 1, &storage).unwrap_err().contains("past the end"));
    }
}
