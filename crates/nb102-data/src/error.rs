//! The error type of this crate.

use std::path::PathBuf;

/// What can go wrong reading a dataset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A data file or folder that is missing, truncated or not of the expected shape.
    #[error("{path}: expected {expected}, found {found}")]
    Data {
        /// The file (or folder).
        path: PathBuf,
        /// What it should be.
        expected: String,
        /// What it is.
        found: String,
    },
    /// A file that could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause (in the message, so not also a `source` that would print it twice).
        error: std::io::Error,
    },
}

/// `Result` with [`DataError`].
pub type Result<T, E = DataError> = std::result::Result<T, E>;

pub(crate) fn bad(path: &std::path::Path, expected: impl Into<String>, found: impl Into<String>) -> DataError {
    DataError::Data { path: path.to_owned(), expected: expected.into(), found: found.into() }
}

/// All of a data file, read whole (the largest official one is ImageNet16's 0.4 GB batch).
pub(crate) fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|error| DataError::Io { path: path.to_owned(), error })
}
