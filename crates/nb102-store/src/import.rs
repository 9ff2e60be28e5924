//! Importers of the official result files into [`TrialRecord`](crate::TrialRecord)s.
//!
//! - `nats`: the NATS-Bench topology archive (bz2-compressed pickles);
//! - `nb201`: NAS-Bench-201's `torch.save` files, benchmark and per-cell, both serializations;
//! - `results`: the reference's `ArchResults` / `ResultsCount` state dicts both store;
//!
//! all over [`crate::pickle`]; and `table`, per-cell tables of final results (CSV) into summary-only records.

mod nats;
mod nb201;
mod results;
mod table;

pub use nats::{nats_tss_files, read_nats_tss_file, read_nats_tss_meta};
pub use nb201::{read_nb201_pth, Nb201Import};
pub use table::{read_summary_table, TableColumn};
