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
//!
//! The config ([`RunConfig`], in `nb102-protocol`) names a schedule (`hp`) and the epochs trained of it: a run
//! stopped early follows the schedule's cosine and records its epochs, as the whole run would have.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use nb102_loader::batches::{augmented_batch, epoch_rng, shuffled};
use nb102_loader::{Augmenter, Images, SettingData};
use nb102_model::{Sgd, SgdConfig, TinyNetwork};
use nb102_protocol::RunConfig;
use nb102_store::{EvalPoint, EvalSet, NetConfig, Provenance, TrainEpoch, TrialRecord};
use serde::{Deserialize, Serialize};
use tch::nn::{ModuleT, VarStore};
use tch::{Device, Kind, Tensor};

use crate::checkpoint::{restore_weights, weight_bytes, write_sealed, Start};
use crate::epoch::{correct, evaluate};
use crate::error::Result;

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

/// Where and how a run runs (nothing here changes its numbers).
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions<'a> {
    /// The device.
    pub device: Device,
    /// The checkpoint file, written after every epoch.
    pub checkpoint: &'a Path,
    /// Go on from the checkpoint if there is one.
    pub resume: bool,
    /// Keep the final weights in the record.
    pub keep_weights: bool,
}

/// Trains `config` on `data` (already cut to `config.subset`), checkpointing after every epoch, and returns the
/// trial's record.
///
/// # Errors
/// A bad config, a checkpoint of another run (with `resume`), or I/O.
pub fn train(
    config: &RunConfig,
    data: &SettingData,
    options: &TrainOptions<'_>,
    on_event: &mut dyn FnMut(Event),
) -> Result<TrialRecord> {
    let TrainOptions { device, checkpoint, resume, keep_weights } = *options;
    let arch = config.check()?;
    let dataset = data.dataset;
    let network = config.network(dataset)?;
    tch::manual_seed(i64::from(config.seed));
    let mut vs = VarStore::new(device);
    let net = TinyNetwork::new(&vs.root(), network)?;
    let sgd_config =
        SgdConfig { lr: config.lr, momentum: config.momentum, weight_decay: config.weight_decay, nesterov: true };
    let mut sgd = Sgd::new(&vs, sgd_config);
    let hash = config.hash();

    let mut train_log: Vec<TrainEpoch> = Vec::new();
    let mut eval_log: BTreeMap<EvalSet, Vec<EvalPoint>> = BTreeMap::new();
    let start = crate::checkpoint::start(
        checkpoint,
        CHECKPOINT_VERSION,
        resume,
        |state: &Checkpoint| &state.config_hash,
        |hash| config.has_hash(hash),
    )?;
    match start {
        Start::Fresh => {}
        Start::StartedOver(reason) => on_event(Event::StartedOver { reason }),
        Start::Resumed(state) => {
            restore_weights(&mut vs, &state.weights, checkpoint)?;
            if !state.momentum.is_empty() {
                let floats: Vec<f32> = state
                    .momentum
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                    .collect();
                sgd.set_momentum(&Tensor::from_slice(&floats))?;
            }
            train_log = state.train;
            eval_log = state.eval;
            on_event(Event::Resumed { epochs_done: train_log.len() as u16 });
        }
    }

    let augmenter = Augmenter::new(&data.normalization(), device);
    let train_data = data.train.to_device(device);
    let eval_sets: Vec<(EvalSet, Images)> =
        data.eval.iter().map(|(set, images)| (*set, images.to_device(device))).collect();
    let n = data.train.len();
    for epoch in train_log.len() as u16..config.epochs {
        sgd.set_lr(config.lr_at(epoch));
        let mut rng = epoch_rng(config.seed, epoch);
        let order = shuffled(n, &mut rng);
        let start = Instant::now();
        let (mut loss_sum, mut top1, mut top5, mut seen) = (0.0, 0i64, 0i64, 0usize);
        for batch in order.chunks(config.batch_size) {
            let (images, labels) = augmented_batch(&train_data, &augmenter, batch, &mut rng);
            let logits = net.forward_t(&images, true);
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
                let point = evaluate(&mut |x| net.forward_t(x, false), &augmenter, images, config.batch_size, epoch);
                eval_log.entry(*set).or_default().push(point);
                evaluated.push((*set, point));
            }
        }
        write_checkpoint(checkpoint, &hash, &vs, &sgd, &train_log, &eval_log)?;
        on_event(Event::Epoch { epoch, train, eval: evaluated });
    }

    let costs = network.costs()?;
    let weights = if keep_weights { Some(weight_bytes(&vs, checkpoint)?) } else { None };
    let record = TrialRecord {
        arch,
        setting: config.setting,
        hp: config.hp,
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
            config: Some(config.to_json()),
            device: Some(device_name(device)),
            dataset_fingerprint: Some(data.train.fingerprint()),
        },
        weights,
    };
    record.validate()?;
    Ok(record)
}

/// `cpu` or `cuda:N`, as records and results name the device a run ran on.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".into(),
    }
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
    write_sealed(path, CHECKPOINT_VERSION, &state)
}
