//! Importers of the official result files into [`TrialRecord`](crate::TrialRecord)s.
//!
//! - `nats`: the NATS-Bench topology archive (bz2-compressed pickles), through `pickle`, a reader of the
//!   pickle subset these files use.

mod nats;
mod pickle;

pub use nats::{nats_tss_files, read_nats_tss_file, read_nats_tss_meta};
