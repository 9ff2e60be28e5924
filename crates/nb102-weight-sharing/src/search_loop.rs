//! The search loop of every algorithm: a seeded network, per epoch the learning rate of the schedule, the
//! algorithm's epoch (its [`Strategy`](crate::algorithms): steps over the epoch's batches, the cell it chooses),
//! and a sealed checkpoint; a run resumed from it ends with what the uninterrupted run gives (but for wall
//! times).
//!
//! Seeding: `torch.manual_seed(seed)` before the network (and ENAS's controller after it) is built, as
//! `prepare_seed` does, so the initial weights are the reference's for the seed; every later draw (data order,
//! partners, augmentation, paths, Gumbel noise, controller samples) comes from ChaCha8 seeded with the seed,
//! stream `epoch + 1`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use nb102_loader::batches::epoch_rng;
use nb102_loader::SettingData;
use nb102_model::Skeleton;
use nb102_protocol::{EpochRecord, SearchResult, SearchRun};
use nb102_space::Arch;
use nb102_train::checkpoint::{restore_weights, tensor_bytes, tensors_from_bytes, weight_bytes, write_sealed, Start};
use serde::{Deserialize, Serialize};
use tch::{Device, Tensor};

use crate::algorithms::{strategy, Epoch};
use crate::data::SearchData;
use crate::error::Result;
use crate::supernet::{StepStats, Supernet};

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
    let mut strategy = strategy(run, device);
    let hash = run.hash();

    let mut epochs: Vec<EpochRecord> = Vec::new();
    let start = nb102_train::checkpoint::start(
        checkpoint,
        CHECKPOINT_VERSION,
        resume,
        |state: &Checkpoint| &state.run_hash,
        |h| h == hash,
    )?;
    match start {
        Start::Fresh => {}
        Start::StartedOver(reason) => on_event(Event::StartedOver { reason }),
        Start::Resumed(state) => {
            restore_weights(&mut supernet.vs, &state.weights, checkpoint)?;
            let tensors = tensors_from_bytes(&state.state, checkpoint)?;
            restore(&mut supernet, &tensors)?;
            strategy.restore(&tensors, state.epochs.last().and_then(|e| e.baseline), checkpoint)?;
            epochs = state.epochs;
            on_event(Event::Resumed { epochs_done: epochs.len() as u16 });
        }
    }

    for epoch in epochs.len() as u16..run.epochs {
        let start = Instant::now();
        let lr = run.lr_at(epoch);
        supernet.sgd().set_lr(lr);
        let mut rng = epoch_rng(run.seed, epoch);
        let mut totals = Totals::default();
        let chosen = strategy.epoch(Epoch {
            run,
            epoch,
            supernet: &mut supernet,
            data: &data,
            rng: &mut rng,
            step: &mut |stats, step, steps| {
                totals.add(&stats);
                on_event(Event::Step { epoch, step, steps, base_loss: totals.base_loss() });
            },
        });
        let epoch_record = EpochRecord {
            epoch,
            lr,
            genotype: chosen.arch.to_string(),
            base_loss: totals.base_loss(),
            base_top1: totals.base_top1(),
            arch_loss: totals.arch_loss(),
            arch_top1: totals.arch_top1(),
            selection_top1: chosen.selection_top1,
            valid_top1: chosen.valid_top1,
            baseline: strategy.baseline(),
            time: start.elapsed().as_secs_f64(),
        };
        epochs.push(epoch_record.clone());
        let mut state = state_tensors(&mut supernet);
        state.extend(strategy.state());
        let state = Checkpoint {
            run_hash: hash.clone(),
            epochs: epochs.clone(),
            weights: weight_bytes(&supernet.vs, checkpoint)?,
            state: tensor_bytes(&state, checkpoint)?,
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

/// The supernet's optimiser states and pending architecture gradient, by name.
fn state_tensors(supernet: &mut Supernet) -> Vec<(String, Tensor)> {
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
    named
}

fn restore(supernet: &mut Supernet, tensors: &HashMap<String, Tensor>) -> Result<()> {
    if let Some(m) = tensors.get("sgd.momentum") {
        supernet.sgd().set_momentum(m)?;
    }
    let device = supernet.vs.device();
    if let Some(adam) = supernet.adam() {
        adam.load_state("adam.", tensors)?;
    }
    supernet.set_stale_alpha_grad(tensors.get("alpha_grad").map(|g| g.to_device(device)));
    Ok(())
}
