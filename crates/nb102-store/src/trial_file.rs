//! Per-trial files: one [`TrialRecord`] in CBOR, with a format name and version, written atomically.
//! The training crate writes one per finished run; `merge` collects them into a benchmark file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic::write_atomically;
use crate::error::{Result, StoreError};
use crate::record::TrialRecord;

/// The format version of trial files this build reads and writes.
pub const TRIAL_FORMAT_VERSION: u32 = 1;

/// The file-name suffix of trial files.
pub const TRIAL_SUFFIX: &str = ".trial.cbor";

const TRIAL_FORMAT: &str = "nb102-trial";

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

/// Reads a trial file, refusing other formats and versions.
///
/// # Errors
/// [`StoreError::Format`] for a file that is not a trial file, [`StoreError::Version`] for another version,
/// [`StoreError::Io`], or an invalid record.
pub fn read_trial(path: &Path) -> Result<TrialRecord> {
    let bytes = std::fs::read(path).map_err(|source| StoreError::Io { path: path.to_owned(), error: source })?;
    let format_error = |found: String| StoreError::Format {
        path: path.to_owned(),
        expected: "an nb102 trial file (CBOR)".into(),
        found,
    };
    let envelope: Envelope<ciborium::Value> =
        ciborium::from_reader(bytes.as_slice()).map_err(|e| format_error(crate::error::cbor_problem(&e)))?;
    if envelope.format != TRIAL_FORMAT {
        return Err(format_error(format!("format {:?}", envelope.format)));
    }
    if envelope.version != TRIAL_FORMAT_VERSION {
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
