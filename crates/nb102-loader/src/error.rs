//! The error type of this crate.

use nb102_command::Blame;
use nb102_data::DataError;

/// Everything that can go wrong in `nb102-loader`: the data and split files, and the options that choose them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoaderError {
    /// A dataset's or a split file that is missing, truncated or not of the expected shape (`nb102-data`'s error,
    /// which names the file).
    #[error(transparent)]
    Dataset(#[from] DataError),
    /// An option that does not fit the setting.
    #[error("invalid {what}: expected {expected}, found {found}")]
    Config {
        /// Which option.
        what: &'static str,
        /// What it must be.
        expected: String,
        /// What it was.
        found: String,
    },
}

/// `Result` with [`LoaderError`].
pub type Result<T, E = LoaderError> = std::result::Result<T, E>;

/// A file at `path` that is not what it should be.
pub(crate) fn bad(path: &std::path::Path, expected: impl Into<String>, found: impl Into<String>) -> LoaderError {
    LoaderError::Dataset(DataError::Data { path: path.to_owned(), expected: expected.into(), found: found.into() })
}

/// An I/O error on `path`.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> LoaderError + '_ {
    move |error| LoaderError::Dataset(DataError::Io { path: path.to_owned(), error })
}

impl Blame for LoaderError {
    /// The data and split files are the user's choice (`--data-dir`, `--splits-dir`): one that is missing or
    /// malformed is the input's mistake, as is an option that does not fit.
    fn is_machine(&self) -> bool {
        false
    }
}
