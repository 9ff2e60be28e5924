//! The training protocol (spec 03 §3.1–3.2): SGD with Nesterov momentum 0.9 and weight decay 5e-4 on every
//! parameter, learning rate 0.1 with a cosine to 0 stepped once per epoch, batches of 256, cross-entropy;
//! after each epoch, every evaluation set (or, as an option, only after the last epoch).
//!
//! Seeding: `torch.manual_seed(seed)` before the network is built, as the reference does, so the initial
//! weights are the reference's for the same seed. The order of the data and the augmentation draws of epoch
//! `e` come from ChaCha8 seeded with the seed, stream `e + 1`: no state to save, so a run resumed from a
//! checkpoint draws what the uninterrupted run drew, and a CPU run is repeatable bit for bit.
//!
//! After every epoch a checkpoint (weights, momentum, the record so far) is written atomically; a run started
//! with `resume` continues from it, ending with the same record as an uninterrupted run (but for wall times).

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::path::Path;
use std::time::Instant;

use nb102_model::{load_weights, save_weights, NetworkConfig, Sgd, SgdConfig, TinyNetwork};
use nb102_space::Arch;
use nb102_store::{write_atomically, EvalPoint, EvalSet, Hp, NetConfig, Provenance, Setting, TrainEpoch, TrialRecord};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tch::nn::{ModuleT, VarStore};
use tch::{Device, Kind, Tensor};

use crate::augment::{Augmenter, Draws};
use crate::data::Images;
use crate::error::{io, Result, TrainError};
use crate::setting::SettingData;

/// Everything that decides a run's numbers, recorded (as its hash) in the trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The cell, as its official string.
    pub arch: String,
    /// The setting.
    pub setting: Setting,
    /// Epochs of the schedule (the reference: 12 or 200); the cosine runs over these.
    pub epochs: u16,
    /// The seed.
    pub seed: u32,
    /// Channels of the first stage, C (the reference: 16).
    pub channels: i64,
    /// Cells per stage, N (the reference: 5).
    pub cells: i64,
    /// At most this many images in training and in each evaluation set (smoke runs); `None`: all.
    pub subset: Option<usize>,
    /// Images per batch.
    pub batch_size: usize,
    /// Learning rate at epoch 0.
    pub lr: f64,
    /// Momentum (Nesterov).
    pub momentum: f64,
    /// Weight decay on every parameter.
    pub weight_decay: f64,
    /// Evaluate every set after every epoch (`true`), or follow the original 200-epoch runs (`false`): the set
    /// their loop evaluated after every epoch (`x-valid` for `cifar10-valid` and `fashion-mnist`, `ori-test`
    /// otherwise) each epoch, the others after the last epoch only.
    pub eval_every_epoch: bool,
}

impl RunConfig {
    /// The benchmark's protocol for a cell, setting, schedule and seed.
    pub fn nb201(arch: Arch, setting: Setting, hp: Hp, seed: u32) -> RunConfig {
        RunConfig {
            arch: arch.to_string(),
            setting,
            epochs: hp.epochs(),
            seed,
            channels: 16,
            cells: 5,
            subset: None,
            batch_size: 256,
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 5e-4,
            eval_every_epoch: true,
        }
    }

    /// BLAKE3 of the config as JSON.
    pub fn hash(&self) -> String {
        blake3::hash(serde_json::to_string(self).expect("a config serialises").as_bytes()).to_hex().to_string()
    }

    /// The learning rate of epoch `e`: `lr · (1 + cos(π e / epochs)) / 2`, constant within the epoch.
    pub fn lr_at(&self, epoch: u16) -> f64 {
        self.lr * (1.0 + (PI * f64::from(epoch) / f64::from(self.epochs)).cos()) / 2.0
    }

    /// Checks the options and returns the cell.
    ///
    /// # Errors
    /// [`TrainError::Config`] for an option out of range.
    pub fn check(&self) -> Result<Arch> {
        let arch: Arch = self.arch.parse().map_err(|e| TrainError::Config {
            what: "architecture",
            expected: "a cell string".into(),
            found: format!("{e}"),
        })?;
        let positive = [
            ("epochs", i64::from(self.epochs)),
            ("channels", self.channels),
            ("batch size", self.batch_size as i64),
            ("subset", self.subset.map_or(1, |n| n as i64)),
        ];
        for (what, value) in positive {
            if value < 1 {
                return Err(TrainError::Config {
                    what,
                    expected: "a positive number".into(),
                    found: value.to_string(),
                });
            }
        }
        Ok(arch)
    }
}

/// What a run reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run goes on from a checkpoint, with these epochs done.
    Resumed {
        /// Epochs already done.
        epochs_done: u16,
    },
    /// The checkpoint was damaged (unreadable, or its checksum did not match), so the run starts over.
    StartedOver {
        /// What was wrong with it.
        reason: String,
    },
    /// A training batch is done.
    Batch {
        /// The epoch (0-based).
        epoch: u16,
        /// Images trained on so far in this epoch.
        images: usize,
        /// Images in the epoch.
        total: usize,
        /// Mean loss so far in this epoch.
        loss: f64,
        /// Top-1 accuracy so far in this epoch, in percent.
        accuracy: f64,
        /// Training throughput so far in this epoch.
        images_per_second: f64,
    },
    /// An epoch and its evaluations are done (and checkpointed).
    Epoch {
        /// The epoch (0-based).
        epoch: u16,
        /// Its training metrics.
        train: TrainEpoch,
        /// Its evaluations.
        eval: Vec<(EvalSet, EvalPoint)>,
    },
}

/// A checkpoint file: the CBOR of a [`Checkpoint`] and its BLAKE3, so that a damaged file is never resumed from.
#[derive(Serialize, Deserialize)]
struct Sealed {
    version: u32,
    blake3: String,
    #[serde(with = "serde_bytes")]
    state: Vec<u8>,
}

/// The state written after each epoch.
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    config_hash: String,
    train: Vec<TrainEpoch>,
    eval: BTreeMap<EvalSet, Vec<EvalPoint>>,
    /// The network's state dict, as a safetensors file.
    #[serde(with = "serde_bytes")]
    weights: Vec<u8>,
    /// The optimiser's momentum buffer, little-endian `f32`.
    #[serde(with = "serde_bytes")]
    momentum: Vec<u8>,
}

/// Version 2: sealed with a checksum (version 1 had none).
const CHECKPOINT_VERSION: u32 = 2;

/// Trains `config` on `data` (already cut to `config.subset`) on `device`, checkpointing to `checkpoint` after
/// every epoch, and returns the trial's record (with the final weights if `keep_weights`).
///
/// # Errors
/// A bad config, a checkpoint of another run (with `resume`), or I/O.
pub fn train(
    config: &RunConfig,
    data: &SettingData,
    device: Device,
    checkpoint: &Path,
    resume: bool,
    keep_weights: bool,
    on_event: &mut dyn FnMut(Event),
) -> Result<TrialRecord> {
    let arch = config.check()?;
    let dataset = data.dataset;
    let net_config = NetworkConfig {
        arch,
        channels: config.channels,
        cells: config.cells,
        classes: dataset.classes(),
        in_channels: dataset.in_channels(),
        input_size: dataset.input_size(),
    };
    tch::manual_seed(i64::from(config.seed));
    let mut vs = VarStore::new(device);
    let net = TinyNetwork::new(&vs.root(), &net_config)?;
    let sgd_config =
        SgdConfig { lr: config.lr, momentum: config.momentum, weight_decay: config.weight_decay, nesterov: true };
    let mut sgd = Sgd::new(&vs, sgd_config);
    let hash = config.hash();

    let mut train_log: Vec<TrainEpoch> = Vec::new();
    let mut eval_log: BTreeMap<EvalSet, Vec<EvalPoint>> = BTreeMap::new();
    let state = if resume && checkpoint.exists() {
        match read_checkpoint(checkpoint, &hash)? {
            Ok(state) => Some(state),
            Err(reason) => {
                on_event(Event::StartedOver { reason });
                None
            }
        }
    } else {
        None
    };
    if let Some(state) = state {
        restore_weights(&mut vs, &state.weights, checkpoint)?;
        if !state.momentum.is_empty() {
            let floats: Vec<f32> =
                state.momentum.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
            sgd.set_momentum(&Tensor::from_slice(&floats))?;
        }
        train_log = state.train;
        eval_log = state.eval;
        on_event(Event::Resumed { epochs_done: train_log.len() as u16 });
    }

    let augmenter = Augmenter::new(&data.normalization(), device);
    // The whole dataset moves to the device once (as uint8: CIFAR's 50,000 images are 150 MB), so batches are
    // gathered and augmented there, with no copy from the host per batch.
    let (train_images, train_labels) = (data.train.images.to_device(device), data.train.labels.to_device(device));
    let eval_sets: Vec<(EvalSet, Images)> = data
        .eval
        .iter()
        .map(|(set, images)| {
            (*set, Images { images: images.images.to_device(device), labels: images.labels.to_device(device) })
        })
        .collect();
    let n = data.train.len();
    for epoch in train_log.len() as u16..config.epochs {
        sgd.set_lr(config.lr_at(epoch));
        let mut rng = ChaCha8Rng::seed_from_u64(u64::from(config.seed));
        rng.set_stream(u64::from(epoch) + 1);
        let mut order: Vec<i64> = (0..n as i64).collect();
        order.shuffle(&mut rng);
        let start = Instant::now();
        let (mut loss_sum, mut top1, mut top5, mut seen) = (0.0, 0i64, 0i64, 0usize);
        for batch in order.chunks(config.batch_size) {
            let index = Tensor::from_slice(batch).to_device(device);
            let images = train_images.index_select(0, &index);
            let labels = train_labels.index_select(0, &index);
            let draws = Draws::new(&mut rng, batch.len(), augmenter.pad());
            let logits = net.forward_t(&augmenter.train_batch(&images, &draws), true);
            let loss = logits.cross_entropy_for_logits(&labels);
            let (c1, c5) = correct(&logits, &labels);
            loss_sum += loss.double_value(&[]) * batch.len() as f64;
            (top1, top5, seen) = (top1 + c1, top5 + c5, seen + batch.len());
            sgd.backward_step(&loss);
            on_event(Event::Batch {
                epoch,
                images: seen,
                total: n,
                loss: loss_sum / seen as f64,
                accuracy: 100.0 * top1 as f64 / seen as f64,
                images_per_second: seen as f64 / start.elapsed().as_secs_f64(),
            });
        }
        let seen_f = seen.max(1) as f64;
        let train = TrainEpoch {
            loss: loss_sum / seen_f,
            top1: 100.0 * top1 as f64 / seen_f,
            top5: Some(100.0 * top5 as f64 / seen_f),
            time: Some(start.elapsed().as_secs_f64()),
        };
        train_log.push(train);
        let mut evaluated = Vec::new();
        let every_epoch = config.setting.every_epoch_set();
        for (set, images) in &eval_sets {
            if config.eval_every_epoch || epoch + 1 == config.epochs || *set == every_epoch {
                let point = evaluate(&net, &augmenter, images, config.batch_size, epoch);
                eval_log.entry(*set).or_default().push(point);
                evaluated.push((*set, point));
            }
        }
        write_checkpoint(checkpoint, &hash, &vs, &sgd, &train_log, &eval_log)?;
        on_event(Event::Epoch { epoch, train, eval: evaluated });
    }

    let costs = net_config.costs()?;
    let weights = if keep_weights { Some(weight_bytes(&vs, checkpoint)?) } else { None };
    let record = TrialRecord {
        arch,
        setting: config.setting,
        hp: Hp::new(config.epochs),
        seed: config.seed,
        net: NetConfig {
            channels: config.channels as u32,
            cells: config.cells as u32,
            classes: dataset.classes() as u32,
        },
        train: train_log,
        eval: eval_log,
        params_mb: costs.params_mb(),
        flops_m: costs.flops_m(),
        latency: Vec::new(),
        provenance: Provenance {
            producer: format!("nb102-train {}", env!("CARGO_PKG_VERSION")),
            config_hash: Some(hash),
            device: Some(device_name(device)),
            dataset_fingerprint: Some(data.train.fingerprint()),
        },
        weights,
    };
    record.validate()?;
    Ok(record)
}

/// Correct top-1 and top-5 predictions of a batch.
fn correct(logits: &Tensor, labels: &Tensor) -> (i64, i64) {
    let k = logits.size()[1].min(5);
    let (_, predicted) = logits.topk(k, 1, true, true);
    let hits = predicted.eq_tensor(&labels.unsqueeze(1)).to_kind(Kind::Int64);
    (hits.narrow(1, 0, 1).sum(Kind::Int64).int64_value(&[]), hits.sum(Kind::Int64).int64_value(&[]))
}

/// One evaluation pass: mean loss, top-1 accuracy and wall time.
fn evaluate(net: &TinyNetwork, augmenter: &Augmenter, images: &Images, batch_size: usize, epoch: u16) -> EvalPoint {
    let start = Instant::now();
    let (mut loss_sum, mut top1, n) = (0.0, 0i64, images.len());
    tch::no_grad(|| {
        for first in (0..n).step_by(batch_size) {
            let len = batch_size.min(n - first) as i64;
            let x = augmenter.eval_batch(&images.images.narrow(0, first as i64, len));
            let labels = images.labels.narrow(0, first as i64, len);
            let logits = net.forward_t(&x, false);
            loss_sum += logits.cross_entropy_for_logits(&labels).double_value(&[]) * len as f64;
            top1 += correct(&logits, &labels).0;
        }
    });
    let n = n.max(1) as f64;
    EvalPoint {
        epoch,
        loss: Some(loss_sum / n),
        accuracy: Some(100.0 * top1 as f64 / n),
        time: Some(start.elapsed().as_secs_f64()),
    }
}

fn device_name(device: Device) -> String {
    match device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".into(),
    }
}

/// The network's state dict as safetensors bytes (through a file beside `near`: tch writes files).
fn weight_bytes(vs: &VarStore, near: &Path) -> Result<Vec<u8>> {
    let tmp = scratch_file(near);
    save_weights(vs, &tmp)?;
    let bytes = std::fs::read(&tmp).map_err(io(&tmp));
    let _ = std::fs::remove_file(&tmp);
    bytes
}

fn restore_weights(vs: &mut VarStore, bytes: &[u8], near: &Path) -> Result<()> {
    let tmp = scratch_file(near);
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    let loaded = load_weights(vs, &tmp);
    let _ = std::fs::remove_file(&tmp);
    Ok(loaded?)
}

fn scratch_file(near: &Path) -> std::path::PathBuf {
    let name = near.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Named as nb102-store's temporaries, so that a rerun's writes remove it if this process is killed.
    near.with_file_name(format!(".{name}.tmp-{}.weights.safetensors", std::process::id()))
}

fn write_checkpoint(
    path: &Path,
    hash: &str,
    vs: &VarStore,
    sgd: &Sgd,
    train: &[TrainEpoch],
    eval: &BTreeMap<EvalSet, Vec<EvalPoint>>,
) -> Result<()> {
    let momentum = match sgd.momentum() {
        Some(m) => Vec::<f32>::try_from(&m.to_device(Device::Cpu).to_kind(Kind::Float))?
            .iter()
            .flat_map(|f| f.to_le_bytes())
            .collect(),
        None => Vec::new(),
    };
    let state = Checkpoint {
        config_hash: hash.to_owned(),
        train: train.to_vec(),
        eval: eval.clone(),
        weights: weight_bytes(vs, path)?,
        momentum,
    };
    let mut state_bytes = Vec::new();
    ciborium::into_writer(&state, &mut state_bytes).expect("writing CBOR to memory cannot fail");
    let sealed = Sealed {
        version: CHECKPOINT_VERSION,
        blake3: blake3::hash(&state_bytes).to_hex().to_string(),
        state: state_bytes,
    };
    let mut bytes = Vec::new();
    ciborium::into_writer(&sealed, &mut bytes).expect("writing CBOR to memory cannot fail");
    Ok(write_atomically(path, |out| std::io::Write::write_all(out, &bytes))?)
}

/// The checkpoint at `path`: `Ok(Err(reason))` if it is damaged or of another version (the run then starts over:
/// resuming from it could give a wrong record), an error if it is whole but belongs to another run's config.
fn read_checkpoint(path: &Path, hash: &str) -> Result<std::result::Result<Checkpoint, String>> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let sealed: Sealed = match ciborium::from_reader(bytes.as_slice()) {
        Ok(sealed) => sealed,
        Err(e) => return Ok(Err(format!("expected a CBOR checkpoint, found {}", nb102_store::cbor_problem(&e)))),
    };
    if sealed.version != CHECKPOINT_VERSION {
        return Ok(Err(format!("expected checkpoint version {CHECKPOINT_VERSION}, found version {}", sealed.version)));
    }
    let digest = blake3::hash(&sealed.state).to_hex().to_string();
    if digest != sealed.blake3 {
        return Ok(Err(format!("expected checksum {}, found {digest}", sealed.blake3)));
    }
    let state: Checkpoint = match ciborium::from_reader(sealed.state.as_slice()) {
        Ok(state) => state,
        Err(e) => return Ok(Err(format!("expected a checkpoint's state, found {}", nb102_store::cbor_problem(&e)))),
    };
    if state.config_hash != hash {
        return Err(TrainError::Checkpoint {
            path: path.to_owned(),
            expected: "the same config as this run (remove it to start over)".into(),
            found: format!("config {}", state.config_hash),
        });
    }
    Ok(Ok(state))
}
