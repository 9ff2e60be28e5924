//! Per-trial files: one [`TrialRecord`] in CBOR, with a format name and version, written atomically.
//! The training crate writes one per finished run; `merge` collects them into a benchmark file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::{find_files, is_temporary, read_regular, write_atomically};
use crate::error::{Result, StoreError};
use crate::record::TrialRecord;

/// The format version of trial files this build writes.
pub const TRIAL_FORMAT_VERSION: u32 = 2;

/// The oldest format version this build reads: version 1 differs only in storing curves as CBOR arrays
/// (`columns.rs`).
const OLDEST_READABLE_VERSION: u32 = 1;

/// The file-name suffix of trial files.
pub const TRIAL_SUFFIX: &str = ".trial.cbor";

const TRIAL_FORMAT: &str = "nb102-trial";

/// What a trial file is, in errors.
const TRIAL_FILE: &str = "an nb102 trial file (CBOR)";

/// The most a trial file may hold: a record with the weights of the largest cell network of the space (1.5 M
/// parameters, 6 MB) and its curves is under 10 MB; 256 MiB leaves room for far wider networks and longer
/// schedules, and keeps a wrong file from taking the machine's memory.
pub const MAX_TRIAL_FILE_BYTES: u64 = 256 << 20;

/// The checkpoint that nb102-train keeps beside the trial file `trial` while its run is unfinished: `TRIAL.ckpt`.
pub fn checkpoint_path(trial: &Path) -> PathBuf {
    let name = trial.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    trial.with_file_name(format!("{name}.ckpt"))
}

/// Trial files found under some folders, and the other files there with the reason each was not taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundFiles {
    /// The trial files, sorted.
    pub files: Vec<PathBuf>,
    /// The files left out, sorted, each with why.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// Trial files under the given folders (searched recursively), and the other files there, with the reason each
/// is not a trial file (a temporary file, a checkpoint, another name).
///
/// # Errors
/// [`StoreError::Io`] for a folder that cannot be read.
pub fn find_trial_files(dirs: &[PathBuf]) -> Result<FoundFiles> {
    let checkpoint_suffix = format!("{TRIAL_SUFFIX}.ckpt");
    let mut found = FoundFiles::default();
    for path in find_files(dirs)? {
        let name = path.to_string_lossy();
        if is_temporary(&path) {
            found.skipped.push((path, "a temporary file of an unfinished write"));
        } else if name.ends_with(TRIAL_SUFFIX) {
            found.files.push(path);
        } else if name.ends_with(&checkpoint_suffix) {
            found.skipped.push((path, "a checkpoint of an unfinished training run"));
        } else {
            found.skipped.push((path, "not named *.trial.cbor"));
        }
    }
    found.files.sort();
    found.skipped.sort();
    Ok(found)
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    format: String,
    version: u32,
    record: T,
}

/// Writes `record` to `path` atomically, after [`TrialRecord::validate`].
///
/// # Errors
/// An invalid record, or [`StoreError::Io`].
pub fn write_trial(path: &Path, record: &TrialRecord) -> Result<()> {
    record.validate()?;
    let envelope = Envelope { format: TRIAL_FORMAT.to_owned(), version: TRIAL_FORMAT_VERSION, record };
    write_atomically(path, |out| ciborium::into_writer(&envelope, out).map_err(std::io::Error::other))
}

/// Reads a trial file, refusing other formats and versions it cannot read.
///
/// # Errors
/// [`StoreError::Format`] for a file that is not a trial file, [`StoreError::Version`] for another version,
/// [`StoreError::Io`], or an invalid record.
pub fn read_trial(path: &Path) -> Result<TrialRecord> {
    let bytes = read_regular(path, TRIAL_FILE, MAX_TRIAL_FILE_BYTES)?;
    let format_error = |found: String| StoreError::Format { path: path.to_owned(), expected: TRIAL_FILE.into(), found };
    let envelope: Envelope<ciborium::Value> =
        ciborium::from_reader(bytes.as_slice()).map_err(|e| format_error(crate::error::cbor_problem(&e)))?;
    if envelope.format != TRIAL_FORMAT {
        return Err(format_error(format!("format {:?}", envelope.format)));
    }
    if !(OLDEST_READABLE_VERSION..=TRIAL_FORMAT_VERSION).contains(&envelope.version) {
        return Err(StoreError::Version {
            path: path.to_owned(),
            expected: TRIAL_FORMAT_VERSION,
            found: envelope.version,
        });
    }
    let record: TrialRecord =
        envelope.record.deserialized().map_err(|e| format_error(format!("a malformed record ({e})")))?;
    // Named with the file, so that a bad record among thousands is found.
    record.validate().map_err(|e| format_error(e.to_string()))?;
    Ok(record)
}
