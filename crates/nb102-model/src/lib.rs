//! The NAS-Bench-201 cell networks on libtorch.
//!
//! At present this crate provides device selection ([`DeviceSpec`]): `auto`, `cpu` or `cuda:N`.
//!
//! Features: none.

mod device;
mod error;

pub use device::DeviceSpec;
pub use error::{ModelError, Result};
