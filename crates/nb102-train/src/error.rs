//! The error type of this crate.

use std::path::PathBuf;

use nb102_command::Blame;

/// Everything that can go wrong in `nb102-train`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The data, its split files, or an option that chooses them (`nb102-loader`).
    #[error(transparent)]
    Loader(#[from] nb102_loader::LoaderError),
    /// The run's config ([`RunConfig::check`](nb102_protocol::RunConfig::check)), or reading it.
    #[error(transparent)]
    Protocol(#[from] nb102_protocol::ProtocolError),
    /// A checkpoint that belongs to another run or another version.
    #[error("checkpoint {path}: expected {expected}, found {found}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What it should hold.
        expected: String,
        /// What it holds.
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
    /// The network's config.
    #[error(transparent)]
    Space(#[from] nb102_space::SpaceError),
    /// The network or optimiser.
    #[error(transparent)]
    Model(#[from] nb102_model::ModelError),
    /// A record or its file.
    #[error(transparent)]
    Store(#[from] nb102_store::StoreError),
    /// libtorch.
    #[error(transparent)]
    Torch(#[from] tch::TchError),
}

/// `Result` with [`TrainError`].
pub type Result<T, E = TrainError> = std::result::Result<T, E>;

/// An I/O error on `path`.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io { path: path.to_owned(), error: source }
}

impl Blame for TrainError {
    /// I/O (checkpoints, records) and libtorch failing are the machine's.
    fn is_machine(&self) -> bool {
        match self {
            TrainError::Io { .. } | TrainError::Torch(_) => true,
            TrainError::Loader(err) => err.is_machine(),
            TrainError::Store(err) => err.is_machine(),
            TrainError::Protocol(err) => err.is_machine(),
            TrainError::Model(err) => err.is_machine(),
            _ => false,
        }
    }
}
