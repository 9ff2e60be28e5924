//! Queries over an nb102 benchmark file, with the semantics of the reference's API (`nas_201_api` 2.1 /
//! `nats_bench` 1.8) and explicit choices where the reference has silent defaults.
//!
//! ```no_run
//! use nb102_api::{Api, Seeds};
//! use nb102_store::{Hp, Setting};
//!
//! let api = Api::open("NATS-tss-ce28c3.nb102".as_ref())?;
//! let index = api.index_of("|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~0|skip_connect~2|")?;
//! let info = api.more_info(index, Setting::Cifar100, Hp::H200, None, &mut Seeds::Mean)?;
//! println!("{:.2}", info.test.map_or(f64::NAN, |m| m.accuracy));
//! # Ok::<(), nb102_api::ApiError>(())
//! ```
//!
//! [`multi_trial`] holds the multi-trial NAS baselines (random search, regularized evolution, REINFORCE, BOHB) that
//! query a benchmark under a simulated time budget, charged from recorded times or a calibrated cost model.
//!
//! Cells with summary-only records (final results imported from a table) answer [`Api::find_best`] and the
//! searches; per-epoch queries on them fail with [`ApiError::SummaryOnly`].
//!
//! Zero-cost proxy scores, where the file holds them, are read by [`Api::proxy`] and [`Api::proxy_column`].
//!
//! This crate does not link libtorch. Features: none.

mod error;
pub mod multi_trial;
mod proxies;
mod query;

pub use error::{ApiError, Result};
pub use nb102_store::Metrics;
pub use proxies::ProxyFilter;
pub use query::{remap_names, Api, CellMeans, CostInfo, CostRules, MoreInfo, NetworkSpec, Seeds, Simulated, UsedTime};
