//! The error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong in `nb102-store`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A setting name that is not one of the known ones.
    #[error(
        "unknown setting: expected cifar10-valid, cifar10, cifar100, ImageNet16-120 or fashion-mnist, found {0:?}"
    )]
    SettingName(String),
    /// An evaluation-set name that is not one of the known ones.
    #[error("unknown evaluation set: expected x-valid, x-test or ori-test, found {0:?}")]
    EvalSetName(String),
    /// A record whose parts do not agree with each other.
    #[error("invalid record {what}: expected {expected}, found {found}")]
    InvalidRecord {
        /// The record (arch index, setting, hp, seed).
        what: String,
        /// What should hold.
        expected: String,
        /// What the record holds.
        found: String,
    },
    /// A file that is not of the expected kind.
    #[error("{path}: expected {expected}, found {found}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What the file should be.
        expected: String,
        /// What it is.
        found: String,
    },
    /// A file written by an unknown version of the format.
    #[error("{path}: expected format version {expected}, found {found}")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version this build writes (it also reads some older ones).
        expected: u32,
        /// The version in the file.
        found: u32,
    },
    /// A file whose content does not match its checksum.
    #[error("{path}: checksum mismatch: expected {expected}, found {found}")]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The checksum recorded (in the name or the index).
        expected: String,
        /// The checksum of the content.
        found: String,
    },
    /// Two inputs that hold different results for the same trial.
    #[error("conflicting results for {trial}: {first} and {second} differ")]
    Conflict {
        /// The trial (arch index, setting, hp, seed).
        trial: String,
        /// Where the first came from.
        first: String,
        /// Where the second came from.
        second: String,
    },
    /// An output path that cannot be written as one: an existing folder, device, FIFO or socket (which a rename
    /// would replace), or a name in a folder that does not exist.
    #[error("{path}: expected a regular file or a new file in an existing folder to write, found {found}")]
    Output {
        /// The output asked for.
        path: PathBuf,
        /// What is there.
        found: String,
    },
    /// A file that could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause (in the message, so not also a `source` that would print it twice).
        error: std::io::Error,
    },
}

impl StoreError {
    /// The same error about `path` instead of the file it names: a temporary file's error reported as the
    /// output's the user asked for.
    #[must_use]
    pub fn with_path(self, path: &std::path::Path) -> StoreError {
        let path = path.to_owned();
        match self {
            StoreError::Format { expected, found, .. } => StoreError::Format { path, expected, found },
            StoreError::Version { expected, found, .. } => StoreError::Version { path, expected, found },
            StoreError::Checksum { expected, found, .. } => StoreError::Checksum { path, expected, found },
            StoreError::Output { found, .. } => StoreError::Output { path, found },
            StoreError::Io { error, .. } => StoreError::Io { path, error },
            other => other,
        }
    }
}

/// What is wrong with CBOR that failed to decode, in words (ciborium's own message is its `Debug` form).
pub fn cbor_problem<T: std::fmt::Display>(error: &ciborium::de::Error<T>) -> String {
    use ciborium::de::Error;
    match error {
        Error::Io(e) => format!("bytes that end early ({e})"),
        Error::Syntax(offset) => format!("malformed CBOR at byte {offset}"),
        Error::Semantic(Some(offset), what) => format!("{what} at byte {offset}"),
        Error::Semantic(None, what) => what.clone(),
        Error::RecursionLimitExceeded => "CBOR nested too deeply".to_owned(),
    }
}

/// `Result` with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
