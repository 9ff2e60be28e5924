//! The error type of this crate.

use std::path::PathBuf;

use nb102_command::Blame;

/// Everything that can go wrong in `nb102-model`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// An option or name out of range.
    #[error("invalid {what}: expected {expected}, found {found}")]
    Config {
        /// Which option.
        what: &'static str,
        /// What it must be.
        expected: String,
        /// What it was.
        found: String,
    },
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
    /// A file that could not be written, or an output that cannot be one.
    #[error(transparent)]
    Store(#[from] nb102_store::StoreError),
    /// A libtorch failure.
    #[error("libtorch: {}", torch_message(.0))]
    Torch(#[from] tch::TchError),
}

/// The first line of a libtorch error, without the C++ stack frames that follow it.
pub fn torch_message(error: &tch::TchError) -> String {
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default();
    first.trim_start_matches("Internal torch error: ").to_owned()
}

/// `Result` with [`ModelError`].
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

impl Blame for ModelError {
    /// libtorch failing and files that cannot be written are the machine's.
    fn is_machine(&self) -> bool {
        match self {
            ModelError::Torch(_) => true,
            ModelError::Store(err) => err.is_machine(),
            _ => false,
        }
    }
}
