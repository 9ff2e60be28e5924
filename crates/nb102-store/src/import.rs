//! Importers of the official result files into [`TrialRecord`](crate::TrialRecord)s.
//!
//! - `nats`: the NATS-Bench archives of both spaces (bz2-compressed pickles);
//! - `nb201`: NAS-Bench-201's `torch.save` files, benchmark and per-cell, both serializations;
//! - `results`: the reference's `ArchResults` / `ResultsCount` state dicts both store;
//!
//! all over [`crate::pickle`]; `table`, per-cell tables of final results (CSV) into summary-only records; and
//! `suite_zero`, NAS-Bench-Suite-Zero's proxy scores into proxy-score columns.
//! [`import_nats`] and [`import_nb201_pth`] write whole archives into benchmark files.

mod nats;
mod nb201;
mod results;
mod suite_zero;
mod table;

pub use nats::{nats_archive, nats_files, read_nats_file, read_nats_meta};
pub use nb201::{read_nb201_pth, Nb201Import};
pub use suite_zero::{read_suite_zero, SUITE_ZERO_SOURCE};
pub use table::{read_summary_table, TableColumn};

use std::path::{Path, PathBuf};

use nb102_space::Space;

use crate::{BenchmarkKind, BenchmarkMeta, BenchmarkWriter, CellResults, StoreError};

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

/// Why an import into a benchmark file failed: its input could not be read as what it should be, or the
/// output could not be written (command lines report the two with different exit statuses).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file read is missing, damaged or of another kind.
    #[error(transparent)]
    Input(StoreError),
    /// Writing the benchmark file failed.
    #[error(transparent)]
    Output(StoreError),
}

/// An error of a writer: its I/O errors are the output's, anything else (a cell given twice) the input's.
fn written(err: StoreError) -> ImportError {
    match err {
        StoreError::Io { .. } => ImportError::Output(err),
        other => ImportError::Input(other),
    }
}

/// Imports a NATS-Bench archive folder of `space` (`NATS-tss-v1_0-3ffb9-simple`, `NATS-sss-v1_0-50262-simple`)
/// into the benchmark file `PREFIX-XXXXXX.nb102`, which holds that space, architecture by architecture so that the
/// archive never sits in memory; `on_cell(done, total)` follows the progress.
///
/// # Errors
/// [`ImportError::Input`] for a folder or record that is not an archive of `space` (its meta file's or its records'),
/// [`ImportError::Output`] when writing fails.
pub fn import_nats(
    dir: &Path,
    space: Space,
    prefix: &Path,
    mut on_cell: impl FnMut(usize, usize),
) -> Result<PathBuf, ImportError> {
    let (found, files) = nats_archive(dir).map_err(ImportError::Input)?;
    if found != space {
        return Err(ImportError::Input(StoreError::Format {
            path: dir.to_owned(),
            expected: format!("a NATS-Bench {space} archive"),
            found: format!("the {found} space's (its meta.pickle.pbz2)"),
        }));
    }
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let meta = BenchmarkMeta {
        description: format!("NATS-Bench {space} archive {name}, imported"),
        kind: BenchmarkKind::Nb201,
    };
    let mut writer = BenchmarkWriter::create(prefix, meta).map_err(ImportError::Output)?;
    for (done, path) in files.iter().enumerate() {
        let records = read_nats_file(path).map_err(ImportError::Input)?;
        let cell = CellResults::new(records).map_err(ImportError::Input)?;
        let (own, index) = cell.space_index();
        if own != space {
            return Err(ImportError::Input(StoreError::Format {
                path: path.clone(),
                expected: format!("records of the {space} space, as the archive's meta.pickle.pbz2 lists"),
                found: format!("those of {}", cell.arch()),
            }));
        }
        writer.add_cell(index, &cell).map_err(written)?;
        on_cell(done + 1, files.len());
    }
    writer.finish().map_err(ImportError::Output)
}

/// Imports NAS-Bench-201 `.pth` files (benchmark files or per-cell archive files, either serialization) into
/// one benchmark file `PREFIX-XXXXXX.nb102`, streamed cell by cell; `on_cell(files_done, cells_done)` follows
/// the progress after each cell and each file.
///
/// # Errors
/// As [`import_nats`].
pub fn import_nb201_pth(
    files: &[PathBuf],
    prefix: &Path,
    mut on_cell: impl FnMut(usize, usize),
) -> Result<PathBuf, ImportError> {
    let names: Vec<String> =
        files.iter().map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).collect();
    let meta = BenchmarkMeta {
        description: format!("NAS-Bench-201 {}, imported", names.join(", ")),
        kind: BenchmarkKind::Nb201,
    };
    let mut writer = BenchmarkWriter::create(prefix, meta).map_err(ImportError::Output)?;
    let (mut cells, mut write_failure) = (0, None);
    for (done, path) in files.iter().enumerate() {
        let read = read_nb201_pth(path, |index, records| {
            if let Err(err) = writer.add_cell(index, &CellResults::new(records)?) {
                // Stop the reading, and keep the writer's error aside to classify it (a reading error of the
                // same kind would be the input's).
                write_failure = Some(err);
                return Err(StoreError::Io { path: prefix.to_owned(), error: std::io::Error::other("not written") });
            }
            cells += 1;
            on_cell(done, cells);
            Ok(())
        });
        if let Some(err) = write_failure.take() {
            return Err(written(err));
        }
        read.map_err(ImportError::Input)?;
        on_cell(done + 1, cells);
    }
    writer.finish().map_err(ImportError::Output)
}
