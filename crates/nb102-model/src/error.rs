//! The error type of this crate.

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
}

/// `Result` with [`ModelError`].
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
