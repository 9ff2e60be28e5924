//! The six weight-sharing NAS baselines of NAS-Bench-201 on libtorch (spec 08 §8.2–8.3): DARTS-V1, DARTS-V2,
//! GDAS, SETN, ENAS and RSPS, each with the reference's configuration
//! ([`SearchRun::paper`](nb102_protocol::SearchRun::paper), in `nb102-protocol`), update rules
//! ([`Supernet`], [`ControllerTrainer`]), search data pipeline ([`SearchData`]) and way of deriving the cell; seeded,
//! repeatable on the CPU and resumable after a kill ([`search`]).
//!
//! The four multi-trial baselines (RS, REA, REINFORCE, BOHB) need no libtorch and live in `nb102_api::multi_trial`;
//! `cargo xtask bench-algos` tabulates all ten.
//!
//! ```no_run
//! use nb102_store::Setting;
//! use nb102_protocol::{Algorithm, SearchRun};
//! use nb102_weight_sharing::{search, SearchOptions};
//!
//! let data = nb102_loader::SettingData::load(Setting::FashionMnist, "/usr/share/datasets/fashion-mnist".as_ref(), None)?;
//! let run = SearchRun::paper(Algorithm::Gdas, Setting::FashionMnist, 19677).with_epochs(2);
//! let options = SearchOptions { device: tch::Device::Cpu, checkpoint: "gdas.ckpt".as_ref(), resume: true };
//! let result = search(&run, &data, &options, &mut |_| {})?;
//! println!("{} (index {})", result.cell, result.index);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod algorithms;
mod data;
mod enas;
mod error;
mod search_loop;
mod supernet;

pub use algorithms::{search_model, top_k};
pub use data::{Batch, Passes, SearchData};
pub use enas::{ControllerStep, ControllerTrainer};
pub use error::{Result, SearchError};
pub use search_loop::{search, Event, SearchOptions};
pub use supernet::{top1_percent, StepStats, Supernet};
