//! A training run's config (spec 03 §3.1–3.2): what `nb102-train run` trains, `cargo xtask regenerate` plans,
//! and every trial record keeps.

use std::f64::consts::PI;

use nb102_space::{Architecture, Channels, Dataset, Genotype, Network, NetworkConfig, SizeConfig};
use nb102_store::{Hp, Setting, TrialRecord};
use serde::{Deserialize, Serialize};

use crate::error::{ProtocolError, Result};

/// Everything that decides a training run's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The cell as its official string, or a size-space network as its channel string.
    pub arch: String,
    /// The setting.
    pub setting: Setting,
    /// The schedule (the reference: 12 or 200 epochs): the cosine runs over its epochs, and the record is of it.
    pub hp: Hp,
    /// The epochs trained: the schedule's, or fewer for a run stopped early (its record is not a whole run).
    pub epochs: u16,
    /// The seed.
    pub seed: u32,
    /// Channels of the first stage, C (the reference: 16; a size-space network's first width).
    pub channels: i64,
    /// Cells per stage, N (the reference: 5; 1 in a size-space network).
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

/// The layout configs were hashed in before they kept the schedule and the epochs trained apart: `epochs` was
/// both. Checkpoints written then hold this hash.
#[derive(Serialize)]
struct RunConfigV1<'a> {
    arch: &'a str,
    setting: Setting,
    epochs: u16,
    seed: u32,
    channels: i64,
    cells: i64,
    subset: Option<usize>,
    batch_size: usize,
    lr: f64,
    momentum: f64,
    weight_decay: f64,
    eval_every_epoch: bool,
}

impl RunConfig {
    /// The benchmark's protocol for a cell (or xautodl's `all_full`), setting, schedule and seed, trained whole.
    pub fn nb201(arch: impl Into<Genotype>, setting: Setting, hp: Hp, seed: u32) -> RunConfig {
        RunConfig::whole(arch.into().to_string(), 16, 5, setting, hp, seed)
    }

    /// The benchmarks' hyper-parameters for the network `arch` at C = `channels`, N = `cells`, trained whole.
    fn whole(arch: String, channels: i64, cells: i64, setting: Setting, hp: Hp, seed: u32) -> RunConfig {
        RunConfig {
            arch,
            setting,
            hp,
            epochs: hp.epochs(),
            seed,
            channels,
            cells,
            subset: None,
            batch_size: 256,
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 5e-4,
            eval_every_epoch: true,
        }
    }

    /// NATS-Bench's size-space protocol (`main-sss.py` with `01E`/`12E`/`90E.config`, spec 10.4) for a network,
    /// setting, schedule and seed, trained whole: the topology space's hyper-parameters (SGD, LR 0.1 on a cosine,
    /// Nesterov momentum 0.9, weight decay 5e-4, batch 256, every set evaluated after every epoch) on
    /// `infer.shape.tiny`, whose first stage is `channels`' first width and one cell deep.
    pub fn nats_size(channels: Channels, setting: Setting, hp: Hp, seed: u32) -> RunConfig {
        RunConfig::whole(channels.to_string(), i64::from(channels.widths()[0]), 1, setting, hp, seed)
    }

    /// The network it trains on `dataset`'s images: the cell at C and N, or the size space's network.
    ///
    /// # Errors
    /// As [`RunConfig::check`].
    pub fn network(&self, dataset: Dataset) -> Result<Network> {
        Ok(match self.check()? {
            Architecture::Cell(cell) => Network::Topology(NetworkConfig {
                cell,
                channels: self.channels,
                cells: self.cells,
                classes: dataset.classes(),
                in_channels: dataset.in_channels(),
                input_size: dataset.input_size(),
            }),
            Architecture::Widths(widths) => Network::Size(SizeConfig::nats(widths, dataset)),
        })
    }

    /// The config as JSON, as records keep it and [`RunConfig::hash`] hashes it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a config serialises")
    }

    /// BLAKE3 of [`RunConfig::to_json`].
    pub fn hash(&self) -> String {
        blake3::hash(self.to_json().as_bytes()).to_hex().to_string()
    }

    /// Whether `hash` is this config's: its [`RunConfig::hash`], or, for a whole run, the hash earlier versions
    /// gave the same config (so that a checkpoint they wrote resumes).
    pub fn has_hash(&self, hash: &str) -> bool {
        if hash == self.hash() {
            return true;
        }
        let v1 = RunConfigV1 {
            arch: &self.arch,
            setting: self.setting,
            epochs: self.hp.epochs(),
            seed: self.seed,
            channels: self.channels,
            cells: self.cells,
            subset: self.subset,
            batch_size: self.batch_size,
            lr: self.lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            eval_every_epoch: self.eval_every_epoch,
        };
        let v1 = serde_json::to_string(&v1).expect("a config serialises");
        self.is_whole() && hash == blake3::hash(v1.as_bytes()).to_hex().as_str()
    }

    /// Whether it trains its whole schedule.
    pub fn is_whole(&self) -> bool {
        self.epochs == self.hp.epochs()
    }

    /// The learning rate of epoch `e`: `lr · (1 + cos(π e / hp)) / 2`, constant within the epoch.
    pub fn lr_at(&self, epoch: u16) -> f64 {
        self.lr * (1.0 + (PI * f64::from(epoch) / f64::from(self.hp.epochs())).cos()) / 2.0
    }

    /// The config a record keeps (`provenance.config`), if it keeps one.
    ///
    /// # Errors
    /// [`ProtocolError::File`] for a kept config that is not one (`path` names the record's file).
    pub fn of_record(record: &TrialRecord, path: &std::path::Path) -> Result<Option<RunConfig>> {
        record.provenance.config.as_deref().map(|text| crate::parse_json(text, path, "a training config")).transpose()
    }

    /// Checks the options and returns the architecture.
    ///
    /// # Errors
    /// [`ProtocolError::Config`] for an option out of range, or a size-space network whose C and N are not its
    /// first width and 1.
    pub fn check(&self) -> Result<Architecture> {
        let arch: Architecture = self.arch.parse().map_err(|e| ProtocolError::Config {
            what: "architecture",
            expected: "a cell string or a channel string".into(),
            found: format!("{e}"),
        })?;
        if let Architecture::Widths(widths) = arch {
            let first = i64::from(widths.widths()[0]);
            if (self.channels, self.cells) != (first, 1) {
                return Err(ProtocolError::Config {
                    what: "channels and cells",
                    expected: format!("C={first} N=1 (the size-space network {widths})"),
                    found: format!("C={} N={}", self.channels, self.cells),
                });
            }
        }
        let positive = [
            ("hp", i64::from(self.hp.epochs())),
            ("channels", self.channels),
            ("cells", self.cells),
            ("batch size", self.batch_size as i64),
            ("subset", self.subset.map_or(1, |n| n as i64)),
        ];
        for (what, value) in positive {
            if value < 1 {
                return Err(ProtocolError::Config {
                    what,
                    expected: "a positive number".into(),
                    found: value.to_string(),
                });
            }
        }
        if self.epochs < 1 || self.epochs > self.hp.epochs() {
            return Err(ProtocolError::Config {
                what: "epochs",
                expected: format!("1..={} (the schedule's)", self.hp),
                found: self.epochs.to_string(),
            });
        }
        Ok(arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nb102_space::Arch;

    /// A whole run's config hashes as nb102-train 0.1.0 hashed it into records and checkpoints: this is the
    /// `config_hash` of the record its `run --arch 1462 --setting fashion-mnist --seed 777 --hp 12 --epochs 1
    /// --channels 8 --subset 64` wrote (a 1-epoch schedule then).
    #[test]
    fn a_whole_run_keeps_the_hash_earlier_versions_gave_it() {
        let hash = "2997fb3b9cf3f1c960f456b845afd704f39a08492748101e8b543da42fc3402e";
        let arch = Arch::from_official_index(1462).unwrap();
        let mut config = RunConfig::nb201(arch, Setting::FashionMnist, Hp::new(1), 777);
        (config.channels, config.subset) = (8, Some(64));
        assert!(config.has_hash(hash));
        assert!(config.has_hash(&config.hash()) && config.hash() != hash);
        config.hp = Hp::H12;
        assert!(!config.has_hash(hash), "a run stopped early is not the whole run earlier versions hashed");
    }

    #[test]
    fn the_cosine_runs_over_the_schedule_not_the_epochs_trained() {
        let mut config = RunConfig::nb201(Arch::from_official_index(0).unwrap(), Setting::Cifar10, Hp::H12, 1);
        config.epochs = 6;
        assert!((config.lr_at(6) - 0.05).abs() < 1e-15);
        assert!(config.check().is_ok());
        config.epochs = 13;
        assert_eq!(
            config.check().unwrap_err().to_string(),
            "invalid epochs: expected 1..=12 (the schedule's), found 13"
        );
    }

    #[test]
    fn the_size_space_protocol_is_the_topology_spaces_on_its_network() {
        let widths: Channels = "8:8:40:32:40".parse().unwrap();
        let config = RunConfig::nats_size(widths, Setting::Cifar100, Hp::new(90), 777);
        let reference = RunConfig::nb201(Arch::from_official_index(0).unwrap(), Setting::Cifar100, Hp::new(90), 777);
        assert_eq!((config.lr, config.momentum, config.weight_decay, config.batch_size), (0.1, 0.9, 5e-4, 256));
        assert_eq!((config.channels, config.cells, config.eval_every_epoch), (8, 1, reference.eval_every_epoch));
        assert_eq!(config.check().unwrap(), Architecture::Widths(widths));
        assert_eq!(
            config.network(Dataset::Cifar100).unwrap(),
            Network::Size(SizeConfig::nats(widths, Dataset::Cifar100))
        );
        // Spec 10.4's learning rates of hp 90 (6 digits) and hp 01.
        for (epoch, lr) in [(0, 0.1), (44, 0.051745), (45, 0.05), (89, 3.0e-5)] {
            assert!((config.lr_at(epoch) - lr).abs() < 5e-7, "epoch {epoch}: {}", config.lr_at(epoch));
        }
        assert_eq!(RunConfig::nats_size(widths, Setting::Cifar10, Hp::new(1), 777).lr_at(0), 0.1);
        let wider = RunConfig { channels: 16, ..config };
        assert_eq!(
            wider.check().unwrap_err().to_string(),
            "invalid channels and cells: expected C=8 N=1 (the size-space network 8:8:40:32:40), found C=16 N=1"
        );
    }
}
