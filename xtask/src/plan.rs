//! The plan of a regeneration (`OUT/plan.json`): what it produces, the same on every machine and shard that share
//! it; written once by `cargo xtask regenerate`'s meta stage and read by its other stages and by `--slurm`.

use std::path::PathBuf;

use nb102_protocol::RunConfig;
use nb102_space::{Architecture, Space};
use nb102_store::{Hp, Setting};
use serde::{Deserialize, Serialize};

/// What a regeneration produces: the same on every machine that shares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Plan {
    /// The profile it was made from (`demo`, `nb201`, `demo-sss`, `nats-sss`), which names the benchmark file.
    pub(crate) profile: String,
    /// The space of its architectures; left out for the topology space, so that earlier plans read as they were
    /// written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) space: Option<Space>,
    /// The benchmark file's description.
    pub(crate) description: String,
    /// Where the dataset is.
    pub(crate) data_dir: PathBuf,
    /// Where the official split files are.
    pub(crate) splits_dir: Option<PathBuf>,
    /// Channels of the first stage (topology space; a size-space network has its own).
    pub(crate) channels: i64,
    /// Cells per stage (topology space).
    pub(crate) cells: i64,
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
    /// The zero-cost proxies scored of every cell of the plan on each of its settings (`--proxies`), into the
    /// benchmark file; left out when none, so that plans without them read as they were written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) proxies: Option<ProxyPlan>,
}

/// What the proxies stage scores: `nb102-model score` scores the plan's cells on each setting, from a batch it draws
/// from the plan's data (docs/PROXIES.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProxyPlan {
    /// The proxies' names.
    pub(crate) proxies: Vec<String>,
    /// The seed of the batch and of every cell's weights (and zen's draws).
    pub(crate) seed: u32,
    /// Images in the batch.
    pub(crate) batch_size: usize,
}

impl Plan {
    /// The plan in `text` (`plan.json`), as it was written: an earlier version's plan with `epochs` has each
    /// trial's schedule cut to it, as that version trained it.
    pub(crate) fn read(text: &str) -> serde_json::Result<Plan> {
        /// What plans written before trials named their schedules whole had besides: the schedule of each trial
        /// was the shorter of `epochs` and its `hp`.
        #[derive(Deserialize)]
        struct Earlier {
            #[serde(default)]
            epochs: Option<u16>,
        }
        let mut plan: Plan = serde_json::from_str(text)?;
        if let Some(epochs) = serde_json::from_str::<Earlier>(text)?.epochs {
            plan.trials.iter_mut().for_each(|t| t.hp = t.hp.min(epochs));
        }
        Ok(plan)
    }

    /// Its cells, increasing, each once.
    pub(crate) fn cells(&self) -> Vec<usize> {
        let cells: std::collections::BTreeSet<usize> = self.trials.iter().map(|t| t.index).collect();
        cells.into_iter().collect()
    }

    /// Its settings, each once.
    pub(crate) fn settings(&self) -> Vec<Setting> {
        let settings: std::collections::BTreeSet<Setting> = self.trials.iter().map(|t| t.setting).collect();
        settings.into_iter().collect()
    }

    /// The space of its architectures.
    pub(crate) fn space(&self) -> Space {
        self.space.unwrap_or(Space::Topology)
    }

    /// The architecture of a trial.
    pub(crate) fn arch(&self, trial: &Trial) -> Architecture {
        Architecture::from_official_index(self.space(), trial.index).expect("plans hold official indices")
    }

    /// The config a trial of the plan trains: its space's protocol for its architecture, setting, schedule and
    /// seed, with the plan's network (topology space) and data options.
    pub(crate) fn config(&self, trial: &Trial) -> RunConfig {
        let (hp, setting, seed) = (Hp::new(trial.hp), trial.setting, trial.seed);
        let mut config = match self.arch(trial) {
            Architecture::Cell(cell) => {
                let mut config = RunConfig::nb201(cell, setting, hp, seed);
                (config.channels, config.cells) = (self.channels, self.cells);
                config
            }
            Architecture::Widths(widths) => RunConfig::nats_size(widths, setting, hp, seed),
        };
        config.subset = self.subset;
        config.batch_size = self.batch_size.unwrap_or(config.batch_size);
        config
    }

    /// The network options of `nb102-model latency` for a trial's architecture: the cell with the plan's C and N,
    /// or the size-space network's channel string.
    pub(crate) fn model_args(&self, trial: &Trial) -> Vec<String> {
        match self.arch(trial) {
            Architecture::Cell(_) => {
                let n = |v: i64| v.to_string();
                vec![
                    "--arch".into(),
                    trial.index.to_string(),
                    "--channels".into(),
                    n(self.channels),
                    "--cells".into(),
                    n(self.cells),
                ]
            }
            Architecture::Widths(widths) => vec!["--arch".into(), widths.to_string()],
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan written before trials named their schedules whole (`epochs: 8` cut the demo's 12) reads as the
    /// plan of what it trained: 8-epoch schedules, which the trials' configs then train whole.
    #[test]
    fn an_earlier_plan_reads_as_what_it_trained() {
        let text = r#"{"profile": "demo", "description": "d", "data_dir": "/data", "splits_dir": null,
            "channels": 8, "cells": 1, "epochs": 8, "subset": 4000, "batch_size": 128, "latency_batches": 3,
            "trials": [{"index": 11472, "setting": "fashion-mnist", "hp": 12, "seed": 777}]}"#;
        let plan = Plan::read(text).unwrap();
        assert_eq!((plan.trials[0].hp, plan.space()), (8, Space::Topology));
        assert_eq!(plan.trials[0].file_name(), "011472-fashion-mnist-8-0777.trial.cbor");
        let config = plan.config(&plan.trials[0]);
        assert_eq!((config.hp, config.epochs, config.channels, config.cells), (Hp::new(8), 8, 8, 1));
        assert_eq!((config.subset, config.batch_size, config.seed), (Some(4000), 128, 777));
        assert!(config.check().is_ok());
        // Written again, it is this version's plan, which reads as itself.
        let again = serde_json::to_string_pretty(&plan).unwrap();
        assert!(!again.contains("epochs"));
        assert_eq!(Plan::read(&again).unwrap(), plan);
    }

    /// A size-space plan trains each network under its space's protocol, whatever the plan's C and N.
    #[test]
    fn a_size_space_plan_trains_its_networks() {
        let text = r#"{"profile": "nats-sss", "space": "size", "description": "d", "data_dir": "/data",
            "splits_dir": null, "channels": 16, "cells": 5, "subset": null, "latency_batches": null,
            "trials": [{"index": 284, "setting": "cifar100", "hp": 90, "seed": 777}]}"#;
        let plan = Plan::read(text).unwrap();
        assert_eq!(plan.space(), Space::Size);
        let config = plan.config(&plan.trials[0]);
        assert_eq!((config.arch.as_str(), config.channels, config.cells, config.epochs), ("8:8:40:32:40", 8, 1, 90));
        assert_eq!(plan.model_args(&plan.trials[0]), ["--arch", "8:8:40:32:40"]);
        assert!(serde_json::to_string(&plan).unwrap().contains(r#""space":"size""#));
    }
}
