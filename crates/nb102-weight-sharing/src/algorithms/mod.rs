//! The weight-sharing algorithms, one file each behind one trait ([`Strategy`]): an epoch's steps over its
//! batches and the cell it chooses, and any state of its own the checkpoint keeps. The loop around them
//! (seeding, schedules, records, checkpoints and resuming) is `search_loop.rs`, the same for all.
//!
//! Adding an algorithm: a variant of `nb102_protocol::Algorithm` with its facts, a file here implementing
//! [`Strategy`], and its line in [`entry`].

use std::collections::HashMap;
use std::path::Path;

use nb102_model::SearchModel;
use nb102_protocol::{Algorithm, SearchRun};
use nb102_space::Arch;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Tensor};

use crate::data::{Passes, SearchData};
use crate::error::Result;
use crate::supernet::{StepStats, Supernet};

mod darts;
mod enas;
mod gdas;
mod rsps;
mod setn;

pub use setn::top_k;

/// What an epoch works with.
pub(crate) struct Epoch<'a> {
    /// The run.
    pub(crate) run: &'a SearchRun,
    /// The epoch (0-based).
    pub(crate) epoch: u16,
    /// The network with its optimisers.
    pub(crate) supernet: &'a mut Supernet,
    /// The search's data.
    pub(crate) data: &'a SearchData,
    /// The epoch's draws (ChaCha8, stream `epoch + 1`).
    pub(crate) rng: &'a mut ChaCha8Rng,
    /// Takes each step's statistics with its number (from 1) and the epoch's steps.
    pub(crate) step: &'a mut dyn FnMut(StepStats, usize, usize),
}

/// The cell an epoch chose and how it scored.
pub(crate) struct Chosen {
    /// The cell (`genotypes[epoch]`).
    pub(crate) arch: Arch,
    /// Its accuracy on the batch that chose it (SETN, ENAS, RSPS), in percent.
    pub(crate) selection_top1: Option<f64>,
    /// The reference's `valid_func` pass after the epoch, in percent (GDAS has none).
    pub(crate) valid_top1: Option<f64>,
}

/// One weight-sharing algorithm.
pub(crate) trait Strategy {
    /// Runs one epoch: the steps, then the choice of the epoch's cell.
    fn epoch(&mut self, epoch: Epoch<'_>) -> Chosen;

    /// Its own state to checkpoint beyond the supernet's, by name.
    fn state(&mut self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Restores [`Strategy::state`] from a checkpoint's tensors (`path`: the checkpoint, for errors), and the
    /// last epoch's reward baseline.
    ///
    /// # Errors
    /// A tensor missing or mis-shaped.
    fn restore(&mut self, _tensors: &HashMap<String, Tensor>, _baseline: Option<f64>, _path: &Path) -> Result<()> {
        Ok(())
    }

    /// ENAS: the controller's reward baseline after the epoch.
    fn baseline(&self) -> Option<f64> {
        None
    }
}

/// The registry: each algorithm's search model, and its strategy, made after the supernet (ENAS's controller
/// draws its weights from libtorch's generator after the network, as the reference builds them).
type Make = fn(&SearchRun, Device) -> Box<dyn Strategy>;

fn entry(algorithm: Algorithm) -> (SearchModel, Make) {
    match algorithm {
        Algorithm::DartsV1 => (SearchModel::Darts, |_, _| Box::new(darts::Darts { second_order: false })),
        Algorithm::DartsV2 => (SearchModel::Darts, |_, _| Box::new(darts::Darts { second_order: true })),
        Algorithm::Gdas => (SearchModel::Gdas, |_, _| Box::new(gdas::Gdas)),
        Algorithm::Setn => (SearchModel::Setn, |_, _| Box::new(setn::Setn)),
        Algorithm::Enas => (SearchModel::Enas, |run, device| Box::new(enas::Enas::new(run, device))),
        Algorithm::Rsps => (SearchModel::Rsps, |_, _| Box::new(rsps::Rsps)),
    }
}

/// The search model `algorithm` trains.
pub fn search_model(algorithm: Algorithm) -> SearchModel {
    entry(algorithm).0
}

/// The strategy of `run`'s algorithm.
pub(crate) fn strategy(run: &SearchRun, device: Device) -> Box<dyn Strategy> {
    (entry(run.algorithm).1)(run, device)
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
