//! The plan of a regeneration (`OUT/plan.json`): what it produces, the same on every machine and shard that share
//! it; written once by `cargo xtask regenerate`'s meta stage and read by its other stages and by `--slurm`.

use std::path::PathBuf;

use nb102_store::Setting;
use serde::{Deserialize, Serialize};

/// What a regeneration produces: the same on every machine that shares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Plan {
    /// The profile it was made from (`demo`, `nb201`), which names the benchmark file.
    pub(crate) profile: String,
    /// The benchmark file's description.
    pub(crate) description: String,
    /// Where the dataset is.
    pub(crate) data_dir: PathBuf,
    /// Where the official split files are.
    pub(crate) splits_dir: Option<PathBuf>,
    /// Channels of the first stage.
    pub(crate) channels: i64,
    /// Cells per stage.
    pub(crate) cells: i64,
    /// Epochs trained of each schedule (`None`: all).
    pub(crate) epochs: Option<u16>,
    /// At most this many training images.
    pub(crate) subset: Option<usize>,
    /// Images per training batch (`None`: the protocol's 256). Left out when `None`, so that a plan written
    /// before the option existed (an nb201 regeneration under way) is still the same plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) batch_size: Option<usize>,
    /// Batches timed per latency measurement (`None`: the reference's count).
    pub(crate) latency_batches: Option<usize>,
    /// Every trial, in the order shards take them.
    pub(crate) trials: Vec<Trial>,
}

/// One trial of a plan: a cell trained on a setting for a schedule with a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Trial {
    /// The cell's official index.
    pub(crate) index: usize,
    /// The setting.
    pub(crate) setting: Setting,
    /// The schedule's epochs.
    pub(crate) hp: u16,
    /// The seed.
    pub(crate) seed: u32,
}

impl Trial {
    /// The name of its trial file: `INDEX-SETTING-HP-SEED.trial.cbor`.
    pub(crate) fn file_name(&self) -> String {
        format!("{:06}-{}-{}-{:04}.trial.cbor", self.index, self.setting, self.hp, self.seed)
    }
}
