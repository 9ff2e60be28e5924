//! The error type of this crate.

use std::path::PathBuf;

/// A config out of range, or a file of this crate's types that is not one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An option out of range.
    #[error("invalid {what}: expected {expected}, found {found}")]
    Config {
        /// Which option.
        what: &'static str,
        /// What it must be.
        expected: String,
        /// What it was.
        found: String,
    },
    /// A file that is not the JSON of the type expected.
    #[error("{path}: expected {expected}, found {found}")]
    File {
        /// The file (`-`: standard input).
        path: PathBuf,
        /// What it should hold.
        expected: String,
        /// What it holds.
        found: String,
    },
    /// Reading or writing a file.
    #[error(transparent)]
    Store(#[from] nb102_store::StoreError),
}

/// `Result` with [`ProtocolError`].
pub type Result<T, E = ProtocolError> = std::result::Result<T, E>;
