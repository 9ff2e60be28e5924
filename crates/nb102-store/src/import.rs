//! Importers of the official result files into [`TrialRecord`](crate::TrialRecord)s.
//!
//! - `nats`: the NATS-Bench topology archive (bz2-compressed pickles);
//! - `nb201`: NAS-Bench-201's `torch.save` files, benchmark and per-cell, both serializations;
//! - `results`: the reference's `ArchResults` / `ResultsCount` state dicts both store;
//!
//! all over [`crate::pickle`].

mod nats;
mod nb201;
mod results;

pub use nats::{nats_tss_files, read_nats_tss_file, read_nats_tss_meta};
pub use nb201::{read_nb201_pth, Nb201Import};
