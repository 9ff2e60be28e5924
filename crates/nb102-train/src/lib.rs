//! Training of NAS-Bench-201 cells on the datasets of `nb102-loader`: the pieces every training loop shares
//! (top-1/top-5 counts and evaluation: [`epoch`]; sealed checkpoints: [`checkpoint`]), and the seeded, resumable
//! 12- and 200-epoch protocol
//! ([`protocol`]) of a [`RunConfig`](nb102_protocol::RunConfig), whose result is a
//! [`TrialRecord`](nb102_store::TrialRecord); and what the run commands share ([`cli`]).
//!
//! ```no_run
//! use nb102_store::{Hp, Setting};
//! use nb102_protocol::RunConfig;
//! use nb102_loader::SettingData;
//! use nb102_train::{train, TrainOptions};
//!
//! let arch = nb102_space::Arch::from_official_index(1462)?;
//! let data = SettingData::load(Setting::FashionMnist, "/usr/share/datasets/fashion-mnist".as_ref(), None)?;
//! let config = RunConfig::nb201(arch, Setting::FashionMnist, Hp::H12, 777);
//! let options = TrainOptions { device: tch::Device::Cpu, checkpoint: "run.ckpt".as_ref(), resume: true, keep_weights: false };
//! let record = train(&config, &data, &options, &mut |_| {})?;
//! println!("{:.2}", record.train.last().map_or(0.0, |e| e.top1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod checkpoint;
pub mod cli;
pub mod epoch;
mod error;
pub mod protocol;

pub use error::{Result, TrainError};
pub use protocol::{train, Event, TrainOptions};
