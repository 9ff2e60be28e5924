//! The error type of this crate.

use nb102_command::Blame;

/// Everything that can go wrong in a search.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The search's config, or reading it.
    #[error(transparent)]
    Protocol(#[from] nb102_protocol::ProtocolError),
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
            SearchError::Protocol(err) => err.is_machine(),
            SearchError::Model(err) => err.is_machine(),
        }
    }
}
