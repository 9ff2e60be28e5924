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

/// The most a NATS-Bench record file (`NNNNNN.pickle.pbz2`, `meta.pickle.pbz2`) may decompress to: the official
/// ones hold 0.3 MB (a cell's records) and 1.4 MB (the 15,625 strings of `meta_archs`); 64 MiB leaves room for
/// records with many more seeds or epochs, and stops a crafted file (1.5 kB of bz2 can expand to 2 GiB) early.
pub const MAX_RECORD_FILE_BYTES: u64 = 64 << 20;

/// The most a compressed entry of a `.pth` zip archive may decompress to (`torch.save` stores its entries
/// uncompressed; a re-compressed cell's storages are a few megabytes).
pub const MAX_ZIP_ENTRY_BYTES: u64 = 1 << 30;

/// Reads all of `reader` (a decompressor), failing once it has given more than `limit` bytes, so that a
/// decompression bomb costs at most `limit` bytes of memory.
///
/// # Errors
/// The reader's, or [`std::io::ErrorKind::FileTooLarge`] naming the limit.
pub fn read_bounded(reader: impl std::io::Read, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("data that decompress to more than {limit} bytes, the most such a file holds"),
        ));
    }
    Ok(out)
}
