//! What nb102's processes exchange, as typed values and JSON files, in a crate without libtorch: a training
//! run's config ([`RunConfig`]), a weight-sharing search's config and result ([`SearchRun`], [`SearchResult`]),
//! a latency measurement ([`LatencyReport`]), the zero-cost proxies by name ([`Proxy`]).
//!
//! The binaries that link libtorch (`nb102-train`, `nb102-weight-sharing`, `nb102-model`) take these as
//! `--config FILE` (or `-`, standard input) and write them; `cargo xtask`, which never links libtorch, builds,
//! hashes and reads them itself. Records keep the config that made them.
//!
//! ```
//! use nb102_protocol::{Algorithm, RunConfig, SearchChanges, SearchRun};
//! use nb102_store::{Hp, Setting};
//!
//! let arch = nb102_space::Arch::from_official_index(11472)?;
//! let config = RunConfig::nb201(arch, Setting::Cifar10Valid, Hp::H200, 777);
//! assert_eq!(config.lr_at(100), 0.05);
//! let run = SearchRun::paper(Algorithm::Gdas, Setting::Cifar10Valid, 19677);
//! let small = SearchChanges { epochs: Some(3), ..SearchChanges::default() }.apply(run);
//! assert_eq!((small.epochs, small.t_max), (3, 3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod file;
mod latency;
mod proxies;
mod searching;
mod training;

pub use error::{ProtocolError, Result};
pub use file::{parse_json, read_json, to_json, write_json};
pub use latency::LatencyReport;
pub use proxies::{parse_proxies, Needs, Proxy};
pub use searching::{Algorithm, ControllerConfig, EpochRecord, SearchChanges, SearchResult, SearchRun};
pub use training::RunConfig;
