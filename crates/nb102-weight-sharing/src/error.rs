//! The error type of this crate.

use std::path::PathBuf;

use nb102_command::Blame;

/// Everything that can go wrong in a search.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
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
    /// A checkpoint or result file that belongs to another run.
    #[error("{path}: expected {expected}, found {found}")]
    File {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        expected: String,
        /// What it holds.
        found: String,
    },
    /// Data, checkpoints, I/O.
    #[error(transparent)]
    Train(#[from] nb102_train::TrainError),
    /// The networks and optimisers.
    #[error(transparent)]
    Model(#[from] nb102_model::ModelError),
    /// libtorch.
    #[error(transparent)]
    Torch(#[from] tch::TchError),
}

/// `Result` with [`SearchError`].
pub type Result<T, E = SearchError> = std::result::Result<T, E>;

impl Blame for SearchError {
    /// I/O (checkpoints, results) and libtorch failing are the machine's.
    fn is_machine(&self) -> bool {
        match self {
            SearchError::Torch(_) => true,
            SearchError::Train(err) => err.is_machine(),
            SearchError::Model(err) => err.is_machine(),
            _ => false,
        }
    }
}
