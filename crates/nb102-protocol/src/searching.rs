//! A weight-sharing search's config and result: the algorithm, its data setting and seed, and the reference's
//! configuration (spec 08 §8.2–8.3: `configs/nas-benchmark/algos/*.config` and the scripts' arguments),
//! shrinkable for small runs ([`SearchChanges`]); what `nb102-weight-sharing run` searches and writes, and
//! `cargo xtask bench-algos` plans and reads.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use nb102_store::Setting;
use serde::{Deserialize, Serialize};

use crate::error::{ProtocolError, Result};

/// The six weight-sharing baselines of NAS-Bench-201.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Algorithm {
    /// DARTS, first order (`DARTS-V1.py`).
    DartsV1,
    /// DARTS, second order: the unrolled, finite-difference architecture gradient (`DARTS-V2.py`).
    DartsV2,
    /// GDAS: Gumbel-softmax sampling of one op per edge (`GDAS.py`).
    Gdas,
    /// SETN: uniform one-path training, softmax architecture step, top-100 selection (`SETN.py`).
    Setn,
    /// ENAS: an LSTM controller trained by REINFORCE on the shared weights (`ENAS.py`).
    Enas,
    /// Random search with parameter sharing (`RANDOM-NAS.py`).
    Rsps,
}

impl Algorithm {
    /// Every algorithm, in the paper's table order.
    pub const ALL: [Algorithm; 6] =
        [Algorithm::Rsps, Algorithm::DartsV1, Algorithm::DartsV2, Algorithm::Gdas, Algorithm::Setn, Algorithm::Enas];

    /// The command-line name: `darts-v1`, `darts-v2`, `gdas`, `setn`, `enas`, `rsps`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::DartsV1 => "darts-v1",
            Algorithm::DartsV2 => "darts-v2",
            Algorithm::Gdas => "gdas",
            Algorithm::Setn => "setn",
            Algorithm::Enas => "enas",
            Algorithm::Rsps => "rsps",
        }
    }

    /// The paper's name: `DARTS-V1`, `DARTS-V2`, `GDAS`, `SETN`, `ENAS`, `RSPS`.
    pub const fn paper_name(self) -> &'static str {
        match self {
            Algorithm::DartsV1 => "DARTS-V1",
            Algorithm::DartsV2 => "DARTS-V2",
            Algorithm::Gdas => "GDAS",
            Algorithm::Setn => "SETN",
            Algorithm::Enas => "ENAS",
            Algorithm::Rsps => "RSPS",
        }
    }

    /// The seeds of the paper's three runs (`exps/NAS-Bench-201/visualize.py`, spec 08).
    pub const fn paper_seeds(self) -> [u32; 3] {
        match self {
            Algorithm::Rsps => [5349, 59613, 5983],
            Algorithm::DartsV1 => [11416, 72873, 81184],
            Algorithm::DartsV2 => [43330, 79405, 79423],
            Algorithm::Gdas => [19677, 884, 95950],
            Algorithm::Setn => [20518, 61817, 89144],
            Algorithm::Enas => [3231, 34238, 96929],
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = ProtocolError;

    /// Accepts the command-line and the paper's names.
    fn from_str(s: &str) -> Result<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == s || a.paper_name() == s).ok_or_else(|| ProtocolError::Config {
            what: "algorithm",
            expected: "darts-v1, darts-v2, gdas, setn, enas or rsps".into(),
            found: s.to_owned(),
        })
    }
}

/// ENAS's controller training (`ENAS.config` and `ENAS.py`'s arguments).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ControllerConfig {
    /// Adam's learning rate.
    pub lr: f64,
    /// Adam's betas.
    pub betas: (f64, f64),
    /// Adam's eps.
    pub eps: f64,
    /// Weight of the entropy in the reward.
    pub entropy_weight: f64,
    /// Decay of the reward baseline.
    pub baseline_decay: f64,
    /// Optimiser steps per epoch.
    pub train_steps: usize,
    /// Samples whose gradients one step averages.
    pub num_aggregate: usize,
    /// Archs sampled to pick the epoch's cell.
    pub select_samples: usize,
}

/// A search: everything that decides its numbers (recorded, as its hash, in the result and checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRun {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The data setting whose training half trains the weights and whose `x-valid` half the architecture.
    pub setting: Setting,
    /// The seed.
    pub seed: u32,
    /// Epochs.
    pub epochs: u16,
    /// Channels of the first stage, C.
    pub channels: i64,
    /// Cells per stage, N.
    pub cells: i64,
    /// At most this many images in each half (small runs); `None`: all.
    pub subset: Option<usize>,
    /// Images per search batch.
    pub batch_size: usize,
    /// Images per batch of the valid loader.
    pub test_batch_size: usize,
    /// The weights' learning rate at epoch 0.
    pub lr: f64,
    /// The cosine's floor.
    pub eta_min: f64,
    /// The cosine's period in epochs (`T_max`; the number of epochs unless the config sets it).
    pub t_max: u16,
    /// SGD's weight decay.
    pub weight_decay: f64,
    /// SGD's momentum (Nesterov).
    pub momentum: f64,
    /// The gradient norm the weight step clips to, where the reference clips.
    pub gradient_clip: Option<f64>,
    /// Whether the cells' batch norms track running statistics.
    pub track_running_stats: bool,
    /// Whether the cells' convolutions have a bias (xautodl's do; the paper-time code's did not).
    pub conv_bias: bool,
    /// Adam's learning rate on the architecture parameters.
    pub arch_lr: f64,
    /// Adam's weight decay on the architecture parameters.
    pub arch_weight_decay: f64,
    /// GDAS's temperature, from the first epoch's to the last's.
    pub tau: (f64, f64),
    /// Candidates SETN and RSPS score to pick the epoch's cell.
    pub select_num: usize,
    /// ENAS's controller.
    pub controller: ControllerConfig,
}

impl SearchRun {
    /// The reference's configuration of `algorithm` (spec 08 §8.3), with the paper-time defaults where versions
    /// differ: bias-free cell convolutions, and running statistics tracked (the documented commands pass
    /// `BN=1`).
    pub fn paper(algorithm: Algorithm, setting: Setting, seed: u32) -> SearchRun {
        let (epochs, batch_size, test_batch_size) = match algorithm {
            Algorithm::DartsV1 | Algorithm::DartsV2 => (50, 64, 64),
            Algorithm::Gdas => (250, 64, 64),
            Algorithm::Setn | Algorithm::Rsps => (250, 64, 512),
            Algorithm::Enas => (250, 128, 128),
        };
        let enas = algorithm == Algorithm::Enas;
        SearchRun {
            algorithm,
            setting,
            seed,
            epochs,
            channels: 16,
            cells: 5,
            subset: None,
            batch_size,
            test_batch_size,
            lr: if enas { 0.05 } else { 0.025 },
            eta_min: if enas { 0.0005 } else { 0.001 },
            t_max: if enas { 10 } else { epochs },
            weight_decay: if enas { 2.5e-4 } else { 5e-4 },
            momentum: 0.9,
            gradient_clip: (algorithm != Algorithm::Setn).then_some(5.0),
            track_running_stats: true,
            conv_bias: false,
            arch_lr: 3e-4,
            arch_weight_decay: 1e-3,
            tau: (10.0, 0.1),
            select_num: 100,
            controller: ControllerConfig {
                lr: 0.001,
                betas: (0.0, 0.999),
                eps: 0.001,
                entropy_weight: 1e-4,
                baseline_decay: 0.99,
                train_steps: 50,
                num_aggregate: 20,
                select_samples: 10,
            },
        }
    }

    /// The same run over `epochs`: the cosine's period follows unless the config fixes it (ENAS's 10).
    pub fn with_epochs(self, epochs: u16) -> SearchRun {
        let t_max = if self.t_max == self.epochs { epochs } else { self.t_max };
        SearchRun { epochs, t_max, ..self }
    }

    /// BLAKE3 of the run as JSON.
    pub fn hash(&self) -> String {
        blake3::hash(serde_json::to_string(self).expect("a run serialises").as_bytes()).to_hex().to_string()
    }

    /// The weights' learning rate of epoch `e` (xautodl's `CosineAnnealingLR`, no warm-up):
    /// `eta_min + (lr − eta_min) · (1 + cos(π e / T_max)) / 2`.
    pub fn lr_at(&self, epoch: u16) -> f64 {
        self.eta_min + (self.lr - self.eta_min) * (1.0 + (PI * f64::from(epoch) / f64::from(self.t_max)).cos()) / 2.0
    }

    /// GDAS's temperature at the start of epoch `e`: linear from `tau.0` to `tau.1` over the epochs.
    pub fn tau_at(&self, epoch: u16) -> f64 {
        let (max, min) = self.tau;
        if self.epochs < 2 {
            return max;
        }
        max - (max - min) * f64::from(epoch) / f64::from(self.epochs - 1)
    }

    /// Checks the options.
    ///
    /// # Errors
    /// [`ProtocolError::Config`] for an option out of range.
    pub fn check(&self) -> Result<()> {
        // Each option with its most, where it has one: batches no larger than a GPU holds for these networks, at
        // most every cell of the space scored, ENAS's epoch at most 200 times the paper's; the subset at most what
        // an i64 counts. Values are widened, not cast, so that a huge one is reported as given.
        let bounded: [(&'static str, i128, Option<usize>); 9] = [
            ("epochs", i128::from(self.epochs), None),
            ("channels", i128::from(self.channels), None),
            ("cells", i128::from(self.cells), None),
            ("batch size", self.batch_size as i128, Some(MAX_BATCH_SIZE)),
            ("test batch size", self.test_batch_size as i128, Some(MAX_BATCH_SIZE)),
            ("subset", self.subset.map_or(1, |n| n as i128), Some(i64::MAX as usize)),
            ("T_max", i128::from(self.t_max), None),
            ("select_num", self.select_num as i128, Some(nb102_space::NUM_ARCHS)),
            ("controller steps", self.controller.train_steps as i128, Some(MAX_CONTROLLER_STEPS)),
        ];
        for (what, value, most) in bounded {
            if value < 1 || most.is_some_and(|most| value > most as i128) {
                let expected = most.map_or_else(|| "a positive number".to_owned(), |most| format!("1..={most}"));
                return Err(ProtocolError::Config { what, expected, found: value.to_string() });
            }
        }
        Ok(())
    }
}

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

/// Smaller (or otherwise changed) searches than the paper's: what `nb102-weight-sharing run`'s options and
/// `cargo xtask bench-algos --weight-sharing`'s change, each `None` keeping the paper's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchChanges {
    /// Epochs (the cosine's period follows, as [`SearchRun::with_epochs`]).
    pub epochs: Option<u16>,
    /// Channels of the first stage.
    pub channels: Option<i64>,
    /// Cells per stage.
    pub cells: Option<i64>,
    /// At most this many images in each half.
    pub subset: Option<usize>,
    /// Images per search batch.
    pub batch_size: Option<usize>,
    /// Candidates SETN and RSPS score per epoch.
    pub select_num: Option<usize>,
    /// ENAS's controller steps per epoch.
    pub controller_steps: Option<usize>,
    /// Whether the cells' batch norms track running statistics.
    pub track_running_stats: Option<bool>,
    /// Whether the cells' convolutions have a bias.
    pub conv_bias: Option<bool>,
}

impl SearchChanges {
    /// `run` with these changes.
    pub fn apply(&self, run: SearchRun) -> SearchRun {
        let mut run = match self.epochs {
            Some(epochs) => run.with_epochs(epochs),
            None => run,
        };
        run.channels = self.channels.unwrap_or(run.channels);
        run.cells = self.cells.unwrap_or(run.cells);
        run.subset = self.subset.or(run.subset);
        run.batch_size = self.batch_size.unwrap_or(run.batch_size);
        run.select_num = self.select_num.unwrap_or(run.select_num);
        run.controller.train_steps = self.controller_steps.unwrap_or(run.controller.train_steps);
        run.track_running_stats = self.track_running_stats.unwrap_or(run.track_running_stats);
        run.conv_bias = self.conv_bias.unwrap_or(run.conv_bias);
        run
    }
}

/// The largest search batch accepted: 65,536 images of 32×32 already take gigabytes of activations in these
/// networks.
const MAX_BATCH_SIZE: usize = 1 << 16;

/// The most controller steps an ENAS epoch may take: 200 times the paper's 50.
const MAX_CONTROLLER_STEPS: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_the_references() {
        let darts = SearchRun::paper(Algorithm::DartsV1, Setting::Cifar10Valid, 1);
        assert_eq!(darts.lr_at(0), 0.025);
        assert!((darts.lr_at(50) - 0.001).abs() < 1e-15);
        // ENAS: T_max 10 over 250 epochs, a cosine of period 20 (spec 08 §8.3).
        let enas = SearchRun::paper(Algorithm::Enas, Setting::Cifar10Valid, 1);
        assert_eq!(enas.lr_at(20), 0.05);
        assert!((enas.lr_at(10) - 0.0005).abs() < 1e-15);
        assert!((enas.lr_at(249) - 0.001711).abs() < 1e-6);
        assert_eq!(enas.clone().with_epochs(3).t_max, 10);
        assert_eq!(darts.clone().with_epochs(3).t_max, 3);
        let gdas = SearchRun::paper(Algorithm::Gdas, Setting::Cifar10Valid, 1);
        assert_eq!(gdas.tau_at(0), 10.0);
        assert!((gdas.tau_at(249) - 0.1).abs() < 1e-12);
        assert_eq!(SearchRun::paper(Algorithm::Setn, Setting::Cifar10Valid, 1).gradient_clip, None);
        assert_eq!("DARTS-V2".parse::<Algorithm>().unwrap(), Algorithm::DartsV2);
        assert!("darts".parse::<Algorithm>().is_err());
    }
}
