//! The search loop of every algorithm: a seeded network, per epoch the learning rate (and GDAS's temperature)
//! of the schedule, the algorithm's steps over the epoch's batches, the cell of the epoch chosen the
//! algorithm's way, and a sealed checkpoint; a run resumed from it ends with what the uninterrupted run gives
//! (but for wall times).
//!
//! Seeding: `torch.manual_seed(seed)` before the network (and ENAS's controller after it) is built, as
//! `prepare_seed` does, so the initial weights are the reference's for the seed; every later draw (data order,
//! partners, augmentation, paths, Gumbel noise, controller samples) comes from ChaCha8 seeded with the seed,
//! stream `epoch + 1`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use nb102_model::{CellMode, Skeleton};
use nb102_space::{Arch, Op, NUM_ARCHS, NUM_EDGES};
use nb102_train::checkpoint::{
    read_sealed, restore_weights, tensor_bytes, tensors_from_bytes, weight_bytes, write_sealed,
};
use nb102_train::epoch::epoch_rng;
use nb102_train::SettingData;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::config::{Algorithm, SearchRun};
use crate::data::{Passes, SearchData};
use crate::enas::ControllerTrainer;
use crate::error::{Result, SearchError};
use crate::supernet::{StepStats, Supernet};

/// What one search epoch did and chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch (0-based).
    pub epoch: u16,
    /// The weights' learning rate.
    pub lr: f64,
    /// The cell chosen after the epoch, as its string (`genotypes[epoch]`).
    pub genotype: String,
    /// Mean cross-entropy of the weight steps.
    pub base_loss: f64,
    /// Their top-1 accuracy, in percent.
    pub base_top1: f64,
    /// Mean cross-entropy of the architecture steps, where the algorithm has them.
    pub arch_loss: Option<f64>,
    /// Their top-1 accuracy, in percent.
    pub arch_top1: Option<f64>,
    /// Accuracy of the chosen cell on the batch that chose it (SETN, ENAS, RSPS), in percent.
    pub selection_top1: Option<f64>,
    /// The reference's `valid_func` pass over the valid half after the epoch, in percent (GDAS has none).
    pub valid_top1: Option<f64>,
    /// ENAS: the controller's reward baseline at the end of the epoch.
    pub baseline: Option<f64>,
    /// Wall time of the epoch, selection included, in seconds.
    pub time: f64,
}

/// A finished search: its run, every epoch, and the cell it derived (the last epoch's genotype, which the
/// paper's table looks up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    /// What produced it.
    pub producer: String,
    /// The algorithm's name in the paper's table (`DARTS-V1`, …).
    pub algorithm: String,
    /// The run.
    pub run: SearchRun,
    /// The run's hash.
    pub run_hash: String,
    /// The device it ran on.
    pub device: String,
    /// Every epoch.
    pub epochs: Vec<EpochRecord>,
    /// The derived cell, as its string.
    pub cell: String,
    /// Its official index.
    pub index: usize,
    /// The search cost: the epochs' wall times, in seconds.
    pub search_seconds: f64,
}

/// Where and how a search runs (nothing here changes its numbers).
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions<'a> {
    /// The device.
    pub device: Device,
    /// The checkpoint file, written after every epoch.
    pub checkpoint: &'a Path,
    /// Go on from the checkpoint if there is one.
    pub resume: bool,
}

/// What a search reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The search goes on from a checkpoint, with these epochs done.
    Resumed {
        /// Epochs done.
        epochs_done: u16,
    },
    /// The checkpoint was damaged or of another version, so the search starts over.
    StartedOver {
        /// What was wrong with it.
        reason: String,
    },
    /// A step is done.
    Step {
        /// The epoch.
        epoch: u16,
        /// Steps done in the epoch.
        step: usize,
        /// Steps of the epoch.
        steps: usize,
        /// Mean weight loss so far in the epoch.
        base_loss: f64,
    },
    /// An epoch is done (and checkpointed).
    Epoch(EpochRecord),
}

/// Version 1 of the search checkpoint.
const CHECKPOINT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Checkpoint {
    run_hash: String,
    epochs: Vec<EpochRecord>,
    /// The network's state dict, as a safetensors file.
    #[serde(with = "serde_bytes")]
    weights: Vec<u8>,
    /// Optimiser states, the pending architecture gradient and the controller, as a safetensors file.
    #[serde(with = "serde_bytes")]
    state: Vec<u8>,
}

/// Runs `run` on `data` (already cut to `run.subset`), checkpointing after every epoch.
///
/// # Errors
/// A bad run, a setting without a valid half, a checkpoint of another run (with `resume`), or I/O.
pub fn search(
    run: &SearchRun,
    data: &SettingData,
    options: &SearchOptions<'_>,
    on_event: &mut dyn FnMut(Event),
) -> Result<SearchResult> {
    run.check()?;
    let SearchOptions { device, checkpoint, resume } = *options;
    let dataset = data.dataset;
    let skeleton = Skeleton::new(dataset, run.channels, run.cells);
    let data = SearchData::new(data, device)?;
    tch::manual_seed(i64::from(run.seed));
    let mut supernet = Supernet::new(run, skeleton, device)?;
    let mut controller = (run.algorithm == Algorithm::Enas).then(|| ControllerTrainer::new(device, run.controller));
    let hash = run.hash();

    let mut epochs: Vec<EpochRecord> = Vec::new();
    if resume && checkpoint.exists() {
        match read_sealed::<Checkpoint>(checkpoint, CHECKPOINT_VERSION)? {
            Ok(state) if state.run_hash != hash => {
                return Err(SearchError::File {
                    path: checkpoint.to_owned(),
                    expected: "a checkpoint of this run (remove it to start over)".into(),
                    found: format!("run {}", state.run_hash),
                })
            }
            Ok(state) => {
                restore_weights(&mut supernet.vs, &state.weights, checkpoint)?;
                let tensors = tensors_from_bytes(&state.state, checkpoint)?;
                restore(&mut supernet, controller.as_mut(), &tensors, checkpoint)?;
                epochs = state.epochs;
                on_event(Event::Resumed { epochs_done: epochs.len() as u16 });
            }
            Err(reason) => on_event(Event::StartedOver { reason }),
        }
    }

    let mut baseline = epochs.last().and_then(|e| e.baseline);
    for epoch in epochs.len() as u16..run.epochs {
        let start = Instant::now();
        let lr = run.lr_at(epoch);
        supernet.sgd().set_lr(lr);
        let mut rng = epoch_rng(run.seed, epoch);
        let mut totals = Totals::default();
        let mut record = |stats: StepStats, step: usize, steps: usize, totals: &mut Totals| {
            totals.add(&stats);
            on_event(Event::Step { epoch, step, steps, base_loss: totals.base_loss() });
        };
        let (genotype, selection_top1, valid_top1) = match run.algorithm {
            Algorithm::Enas => {
                let controller = controller.as_mut().expect("enas has a controller");
                epoch_shared_cnn(&mut supernet, controller, &data, run, &mut rng, &mut totals, &mut record);
                controller.start_epoch();
                let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
                let samples = run.controller.train_steps * run.controller.num_aggregate;
                let epoch_baseline = baseline;
                for _ in 0..samples {
                    let indices = passes.next_batch(&mut rng);
                    let batch = data.train_batch(&data.valid, &indices, &mut rng);
                    let step = controller.sample_step(&supernet, &batch, epoch_baseline, &mut |p| choose(p, &mut rng));
                    baseline = Some(step.baseline);
                }
                // `get_best_arch`: controller samples, each scored on the next batch of a new pass.
                let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
                let (arch, accuracy) = first_best((0..run.controller.select_samples).map(|_| {
                    let indices = passes.next_batch(&mut rng);
                    let batch = data.train_batch(&data.valid, &indices, &mut rng);
                    let arch = tch::no_grad(|| controller.controller.sample(&mut |p| choose(p, &mut rng)).arch);
                    (arch, supernet.path_accuracy(&batch, &arch))
                }));
                let valid = valid_pass(&supernet, &data, run.test_batch_size, &mut rng, true, &mut |_| arch);
                (arch, Some(accuracy), Some(valid))
            }
            Algorithm::Rsps => {
                let steps = data.search_epoch(&mut rng, run.batch_size);
                let n = steps.len();
                for (step, (base, _)) in steps.iter().enumerate() {
                    let path = random_arch(&mut rng);
                    let batch = data.train_batch(&data.base, base, &mut rng);
                    record(supernet.path_step(&batch, &path), step + 1, n, &mut totals);
                }
                let valid =
                    valid_pass(&supernet, &data, run.test_batch_size, &mut rng, false, &mut |rng| random_arch(rng));
                // `search_find_best`: random cells, each scored on the next batch of a new pass.
                let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
                let (arch, accuracy) = first_best((0..run.select_num).map(|_| {
                    let arch = random_arch(&mut rng);
                    (arch, eval_accuracy(&supernet, &data, &mut passes, &mut rng, &arch))
                }));
                (arch, Some(accuracy), Some(valid))
            }
            Algorithm::Setn => {
                let steps = data.search_epoch(&mut rng, run.batch_size);
                let n = steps.len();
                for (step, (base, arch)) in steps.iter().enumerate() {
                    let path = random_arch(&mut rng);
                    let base = data.train_batch(&data.base, base, &mut rng);
                    let arch = data.train_batch(&data.valid, arch, &mut rng);
                    record(supernet.setn_step(&base, &arch, &path), step + 1, n, &mut totals);
                }
                let alpha = supernet.net.arch_parameters().expect("setn has arch_parameters").detach();
                // `get_best_arch`: the top cells, each scored on the next batch of a new pass.
                let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
                let (arch, accuracy) = first_best(
                    top_k(&alpha, run.select_num)
                        .into_iter()
                        .map(|arch| (arch, eval_accuracy(&supernet, &data, &mut passes, &mut rng, &arch))),
                );
                let valid = valid_pass(&supernet, &data, run.test_batch_size, &mut rng, false, &mut |_| arch);
                (arch, Some(accuracy), Some(valid))
            }
            Algorithm::DartsV1 | Algorithm::DartsV2 | Algorithm::Gdas => {
                let tau = run.tau_at(epoch);
                let steps = data.search_epoch(&mut rng, run.batch_size);
                let n = steps.len();
                for (step, (base, arch)) in steps.iter().enumerate() {
                    let base = data.train_batch(&data.base, base, &mut rng);
                    let arch = data.train_batch(&data.valid, arch, &mut rng);
                    let stats = match run.algorithm {
                        Algorithm::DartsV1 => supernet.darts_v1_step(&base, &arch),
                        Algorithm::DartsV2 => supernet.darts_v2_step(&base, &arch),
                        _ => supernet.gdas_step(&base, &arch, tau, &mut || exponentials(&mut rng)),
                    };
                    record(stats, step + 1, n, &mut totals);
                }
                let genotype = supernet.net.genotype().expect("these models have arch_parameters");
                // DARTS evaluates the softmax-weighted network after each epoch; GDAS does not.
                let valid = (run.algorithm != Algorithm::Gdas)
                    .then(|| weighted_valid_pass(&supernet, &data, run.test_batch_size));
                (genotype, None, valid)
            }
        };
        let epoch_record = EpochRecord {
            epoch,
            lr,
            genotype: genotype.to_string(),
            base_loss: totals.base_loss(),
            base_top1: totals.base_top1(),
            arch_loss: totals.arch_loss(),
            arch_top1: totals.arch_top1(),
            selection_top1,
            valid_top1,
            baseline,
            time: start.elapsed().as_secs_f64(),
        };
        epochs.push(epoch_record.clone());
        let state = Checkpoint {
            run_hash: hash.clone(),
            epochs: epochs.clone(),
            weights: weight_bytes(&supernet.vs, checkpoint)?,
            state: tensor_bytes(&state_tensors(&mut supernet, controller.as_mut()), checkpoint)?,
        };
        write_sealed(checkpoint, CHECKPOINT_VERSION, &state)?;
        on_event(Event::Epoch(epoch_record));
    }

    let last = epochs.last().expect("a run has at least one epoch");
    let cell: Arch = last.genotype.parse().expect("a genotype we wrote parses");
    Ok(SearchResult {
        producer: format!("nb102-weight-sharing {}", env!("CARGO_PKG_VERSION")),
        algorithm: run.algorithm.paper_name().to_owned(),
        run: run.clone(),
        run_hash: hash,
        device: nb102_train::protocol::device_name(device),
        cell: cell.to_string(),
        index: cell.official_index(),
        search_seconds: epochs.iter().map(|e| e.time).sum(),
        epochs,
    })
}

/// ENAS's `train_shared_cnn`: per training batch, a cell sampled by the controller (no gradient), one path step.
fn epoch_shared_cnn(
    supernet: &mut Supernet,
    controller: &ControllerTrainer,
    data: &SearchData,
    run: &SearchRun,
    rng: &mut ChaCha8Rng,
    totals: &mut Totals,
    record: &mut dyn FnMut(StepStats, usize, usize, &mut Totals),
) {
    let order = nb102_train::epoch::shuffled(data.base.len(), rng);
    let batches: Vec<&[i64]> = order.chunks(run.batch_size).collect();
    let n = batches.len();
    for (step, indices) in batches.into_iter().enumerate() {
        let path = tch::no_grad(|| controller.controller.sample(&mut |p| choose(p, rng)).arch);
        let batch = data.train_batch(&data.base, indices, rng);
        record(supernet.path_step(&batch, &path), step + 1, n, totals);
    }
}

/// A uniformly random cell: each edge's op drawn uniformly (`random.choice` over the five).
pub fn random_arch(rng: &mut ChaCha8Rng) -> Arch {
    Arch::from_ops(std::array::from_fn(|_| Op::ALL[rng.random_range(0..Op::COUNT)]))
}

/// An op drawn from `probs` by inverse CDF (`Categorical.sample`).
fn choose(probs: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let u: f64 = rng.random();
    let mut cumulative = 0.0;
    for (k, p) in probs.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return k;
        }
    }
    probs.len() - 1
}

/// `[6, 5]` Exp(1) draws for GDAS (`−ln(1 − u)`).
fn exponentials(rng: &mut ChaCha8Rng) -> Tensor {
    let draws: Vec<f32> = (0..NUM_EDGES * Op::COUNT).map(|_| -(1.0 - rng.random::<f64>()).ln() as f32).collect();
    Tensor::from_slice(&draws).view([NUM_EDGES as i64, Op::COUNT as i64])
}

/// SETN's `return_topK`: every cell in `gen_all` order scored by `Σ_e log_softmax(α)[e, op_e]` (float32, summed in
/// edge order), sorted by descending score (stable), the first `k`.
pub fn top_k(alpha: &Tensor, k: usize) -> Vec<Arch> {
    let log_probs: Vec<f32> =
        Vec::<f32>::try_from(&alpha.log_softmax(-1, Kind::Float).to_device(Device::Cpu).view([-1]))
            .expect("30 log-probabilities");
    let mut scored: Vec<(f32, Arch)> = (0..NUM_ARCHS)
        .map(|i| {
            let arch = Arch::from_enumeration_index(i).expect("in range");
            let score =
                arch.ops().iter().enumerate().fold(0f32, |s, (e, op)| s + log_probs[e * Op::COUNT + op.index()]);
            (score, arch)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(k).map(|(_, a)| a).collect()
}

/// The first cell of the highest accuracy among `scored` (`np.argmax` over the candidates' accuracies).
fn first_best(scored: impl Iterator<Item = (Arch, f64)>) -> (Arch, f64) {
    let mut best: Option<(Arch, f64)> = None;
    for (arch, accuracy) in scored {
        if best.is_none_or(|(_, b)| accuracy > b) {
            best = Some((arch, accuracy));
        }
    }
    best.expect("at least one candidate")
}

/// Top-1 of `arch` on the next valid batch of `passes` (evaluation mode, test transform), in percent.
fn eval_accuracy(
    supernet: &Supernet,
    data: &SearchData,
    passes: &mut Passes,
    rng: &mut ChaCha8Rng,
    arch: &Arch,
) -> f64 {
    let indices = passes.next_batch(rng);
    supernet.path_accuracy(&data.eval_batch(&data.valid, &indices), arch)
}

/// `valid_func` with one path per batch (`path_of`), over a shuffled pass of the valid half, in percent;
/// `augmented`: ENAS's valid loader, which has the training transform.
fn valid_pass(
    supernet: &Supernet,
    data: &SearchData,
    batch_size: usize,
    rng: &mut ChaCha8Rng,
    augmented: bool,
    path_of: &mut dyn FnMut(&mut ChaCha8Rng) -> Arch,
) -> f64 {
    let mut passes = Passes::new(data.valid.len(), batch_size);
    let batches = data.valid.len().div_ceil(batch_size);
    let (mut hits, mut seen) = (0.0, 0usize);
    for _ in 0..batches {
        let indices = passes.next_batch(rng);
        let arch = path_of(rng);
        let batch = if augmented {
            data.train_batch(&data.valid, &indices, rng)
        } else {
            data.eval_batch(&data.valid, &indices)
        };
        hits += supernet.path_accuracy(&batch, &arch) * indices.len() as f64;
        seen += indices.len();
    }
    hits / seen.max(1) as f64
}

/// DARTS's `valid_func`: the softmax-weighted network in evaluation mode over the valid half, in percent.
fn weighted_valid_pass(supernet: &Supernet, data: &SearchData, batch_size: usize) -> f64 {
    let alpha = supernet.net.arch_parameters().expect("darts has arch_parameters");
    let weights = tch::no_grad(|| alpha.softmax(-1, Kind::Float));
    let point = nb102_train::epoch::evaluate(
        &mut |x| supernet.net.forward_t(x, false, &CellMode::Weighted(&weights)),
        data.augmenter(),
        &data.valid,
        batch_size,
        0,
    );
    point.accuracy.unwrap_or(0.0)
}

#[derive(Debug, Default)]
struct Totals {
    base_loss: f64,
    base_correct: i64,
    base_images: usize,
    arch_loss: f64,
    arch_correct: i64,
    arch_images: usize,
}

impl Totals {
    fn add(&mut self, s: &StepStats) {
        self.base_loss += s.base_loss * s.base_images as f64;
        self.base_correct += s.base_correct;
        self.base_images += s.base_images;
        if let Some(loss) = s.arch_loss {
            self.arch_loss += loss * s.arch_images as f64;
            self.arch_correct += s.arch_correct;
            self.arch_images += s.arch_images;
        }
    }
    fn base_loss(&self) -> f64 {
        self.base_loss / self.base_images.max(1) as f64
    }
    fn base_top1(&self) -> f64 {
        100.0 * self.base_correct as f64 / self.base_images.max(1) as f64
    }
    fn arch_loss(&self) -> Option<f64> {
        (self.arch_images > 0).then(|| self.arch_loss / self.arch_images as f64)
    }
    fn arch_top1(&self) -> Option<f64> {
        (self.arch_images > 0).then(|| 100.0 * self.arch_correct as f64 / self.arch_images as f64)
    }
}

/// The optimisers' states, the pending architecture gradient and the controller, by name.
fn state_tensors(supernet: &mut Supernet, controller: Option<&mut ControllerTrainer>) -> Vec<(String, Tensor)> {
    let mut named = Vec::new();
    if let Some(m) = supernet.sgd().momentum() {
        named.push(("sgd.momentum".to_owned(), m.shallow_clone()));
    }
    if let Some(adam) = supernet.adam() {
        named.extend(adam.state_tensors("adam."));
    }
    if let Some(g) = supernet.stale_alpha_grad() {
        named.push(("alpha_grad".to_owned(), g.shallow_clone()));
    }
    if let Some(c) = controller {
        for (name, t) in c.vs.variables() {
            named.push((format!("controller.{name}"), t));
        }
        named.extend(c.adam().state_tensors("controller_adam."));
    }
    named
}

fn restore(
    supernet: &mut Supernet,
    controller: Option<&mut ControllerTrainer>,
    tensors: &HashMap<String, Tensor>,
    path: &Path,
) -> Result<()> {
    if let Some(m) = tensors.get("sgd.momentum") {
        supernet.sgd().set_momentum(m)?;
    }
    let device = supernet.vs.device();
    if let Some(adam) = supernet.adam() {
        adam.load_state("adam.", tensors)?;
    }
    supernet.set_stale_alpha_grad(tensors.get("alpha_grad").map(|g| g.to_device(device)));
    if let Some(c) = controller {
        tch::no_grad(|| -> Result<()> {
            for (name, var) in c.vs.variables() {
                let saved = tensors.get(&format!("controller.{name}")).ok_or_else(|| SearchError::File {
                    path: path.to_owned(),
                    expected: format!("the controller's {name}"),
                    found: "none".into(),
                })?;
                var.shallow_clone().copy_(saved);
            }
            Ok(())
        })?;
        c.adam().load_state("controller_adam.", tensors)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_cells_by_log_probability() {
        // All-zero alphas: every cell scores the same, and the stable sort keeps gen_all order.
        let zeros = Tensor::zeros([6, 5], (Kind::Float, Device::Cpu));
        let first = top_k(&zeros, 3);
        assert_eq!(first.iter().map(Arch::enumeration_index).collect::<Vec<_>>(), [0, 1, 2]);
        // One edge prefers op 3: the best cells have it there.
        let mut alpha = vec![0f32; 30];
        alpha[3] = 5.0;
        let best = top_k(&Tensor::from_slice(&alpha).view([6, 5]), 10);
        assert!(best.iter().all(|a| a.ops()[0] == Op::NorConv3x3));
        assert_eq!(best[0].enumeration_index(), 3 * 5usize.pow(5));
    }

    #[test]
    fn draws_are_distributions() {
        let mut rng = epoch_rng(1, 0);
        let counts = (0..10_000).fold([0usize; 3], |mut c, _| {
            c[choose(&[0.2, 0.5, 0.3], &mut rng)] += 1;
            c
        });
        assert!((counts[1] as f64 / 10_000.0 - 0.5).abs() < 0.03, "{counts:?}");
        let e = exponentials(&mut rng);
        assert_eq!(e.size(), [6, 5]);
        assert!(e.min().double_value(&[]) >= 0.0);
        assert_eq!(nb102_model::argmax_arch(&(-e)).ops().len(), 6);
    }
}
