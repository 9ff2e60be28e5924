//! Which device a network runs on, as users write it: `auto`, `cpu` or `cuda:N`.

use std::fmt;
use std::str::FromStr;

use tch::{Cuda, Device};

use crate::error::{ModelError, Result};

/// A device request, resolved against the machine by [`DeviceSpec::resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSpec {
    /// The first CUDA device if there is one, else the CPU.
    Auto,
    /// The CPU.
    Cpu,
    /// CUDA device `N` (`cuda` alone means `cuda:0`).
    Cuda(usize),
}

impl DeviceSpec {
    /// The libtorch device for this request on this machine.
    ///
    /// # Errors
    /// [`ModelError::CudaUnavailable`] when a CUDA ordinal beyond the machine's devices is asked for.
    pub fn resolve(self) -> Result<Device> {
        match self {
            DeviceSpec::Auto => Ok(Device::cuda_if_available()),
            DeviceSpec::Cpu => Ok(Device::Cpu),
            DeviceSpec::Cuda(requested) => {
                let available = if Cuda::is_available() { Cuda::device_count() as usize } else { 0 };
                if requested < available {
                    Ok(Device::Cuda(requested))
                } else {
                    Err(ModelError::CudaUnavailable { requested, available })
                }
            }
        }
    }
}

impl FromStr for DeviceSpec {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<DeviceSpec> {
        match s {
            "auto" => Ok(DeviceSpec::Auto),
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
                .map(DeviceSpec::Cuda)
                .ok_or_else(|| ModelError::DeviceName(s.to_owned())),
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Auto => f.write_str("auto"),
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse_and_print() {
        for (text, spec) in [("auto", DeviceSpec::Auto), ("cpu", DeviceSpec::Cpu), ("cuda:1", DeviceSpec::Cuda(1))] {
            assert_eq!(text.parse::<DeviceSpec>().unwrap(), spec);
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!("cuda".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(0));
        for bad in ["gpu", "cuda:", "cuda:-1", "cuda:x", "CPU"] {
            assert!(matches!(bad.parse::<DeviceSpec>(), Err(ModelError::DeviceName(s)) if s == bad));
        }
    }

    #[test]
    fn cpu_always_resolves_and_missing_cuda_is_an_error() {
        assert_eq!(DeviceSpec::Cpu.resolve().unwrap(), Device::Cpu);
        let available = if Cuda::is_available() { Cuda::device_count() as usize } else { 0 };
        match DeviceSpec::Cuda(available).resolve() {
            Err(ModelError::CudaUnavailable { requested, available: a }) => {
                assert_eq!((requested, a), (available, available))
            }
            other => panic!("expected CudaUnavailable, got {other:?}"),
        }
    }
}
