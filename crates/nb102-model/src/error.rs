//! The error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong in `nb102-model`.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A device name that is not `auto`, `cpu` or `cuda:N`.
    #[error("invalid device: expected auto, cpu or cuda:N, found {0:?}")]
    DeviceName(String),
    /// A CUDA device that this machine does not have.
    #[error("cuda device {requested} unavailable: this machine has {available} cuda device(s)")]
    CudaUnavailable {
        /// The ordinal asked for.
        requested: usize,
        /// How many CUDA devices libtorch sees.
        available: usize,
    },
    /// A network config that cannot be built, or an unknown dataset name.
    #[error(transparent)]
    Space(#[from] nb102_space::SpaceError),
    /// An optimiser state that does not fit the network.
    #[error("invalid {what}: expected {expected}, found {found}")]
    Optimizer {
        /// Which part of the state.
        what: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        found: String,
    },
    /// A weight file that does not fit the network.
    #[error("weights {path}: {problem}")]
    Weights {
        /// The file.
        path: PathBuf,
        /// What does not fit: a missing, unexpected or mis-shaped tensor.
        problem: String,
    },
    /// A libtorch failure, such as an unreadable file.
    #[error(transparent)]
    Torch(#[from] tch::TchError),
}

/// `Result` with [`ModelError`].
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
