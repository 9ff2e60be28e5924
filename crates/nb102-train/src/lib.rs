//! Training of NAS-Bench-201 cells: datasets ([`data`]), the official settings and splits ([`setting`]),
//! augmentation on the device ([`augment`]), and the seeded, resumable 12- and 200-epoch protocol
//! ([`protocol`]) whose result is a [`TrialRecord`](nb102_store::TrialRecord).
//!
//! ```no_run
//! use nb102_store::{Hp, Setting};
//! use nb102_train::{train, RunConfig, SettingData};
//!
//! let arch = nb102_space::Arch::from_official_index(1462)?;
//! let data = SettingData::load(Setting::FashionMnist, "/usr/share/datasets/fashion-mnist".as_ref(), None)?;
//! let config = RunConfig::nb201(arch, Setting::FashionMnist, Hp::H12, 777);
//! let record = train(&config, &data, tch::Device::Cpu, "run.ckpt".as_ref(), true, false, &mut |_| {})?;
//! println!("{:.2}", record.train.last().map_or(0.0, |e| e.top1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod augment;
pub mod data;
mod error;
pub mod protocol;
pub mod setting;

pub use error::{Result, TrainError};
pub use protocol::{train, Event, RunConfig};
pub use setting::SettingData;
