//! The NAS-Bench-201 and NATS-Bench networks on libtorch, identical to the reference's (`xautodl` `infer.tiny` and
//! `infer.shape.tiny`).
//!
//! - [`NetworkConfig`] (cell, width, depth, data shape; [`NetworkConfig::nb201`] for the benchmark's C=16, N=5),
//!   [`SizeConfig`] (the size space's five widths, data shape) and [`TinyNetwork`], a `tch::nn::ModuleT` built
//!   from either, whose parameter names are the reference's state-dict keys and whose seeded initialisation on
//!   the CPU reproduces the reference's weights bit for bit.
//! - [`Network::costs`]: parameters and FLOPs by the reference's convention, without building tensors.
//! - [`SearchNetwork`] and [`Controller`]: the weight-sharing baselines' search networks and ENAS's controller,
//!   with xautodl's keys and seeded initialisation.
//! - [`load_weights`] / [`save_weights`]: safetensors, and `torch.save` files for reading; [`safetensors_bytes`]
//!   and [`tensors_from_safetensors`] without a file.
//! - [`measure_latency`]: the reference's latency protocol, on CPU or CUDA.
//! - [`score_proxies`]: the zero-cost proxies of zero-cost-nas and NASLib, as their code computes them.
//! - [`Sgd`] (the benchmark's optimiser, over one flat buffer of an explicit parameter list), [`Adam`] and
//!   [`clip_grad_norm`], with PyTorch's arithmetic.
//! - [`DeviceSpec`]: `auto`, `cpu` or `cuda:N`.
//!
//! ```
//! use nb102_model::{Dataset, NetworkConfig, TinyNetwork};
//! use nb102_space::Arch;
//! use tch::nn::{ModuleT, VarStore};
//!
//! let config = NetworkConfig::nb201(Arch::from_official_index(11472)?, Dataset::Cifar10);
//! assert_eq!(format!("{:.6}", config.costs()?.params_mb()), "0.559386");
//! let vs = VarStore::new(tch::Device::Cpu);
//! let net = TinyNetwork::new(&vs.root(), config)?;
//! let logits = net.forward_t(&tch::Tensor::zeros([2, 3, 32, 32], tch::kind::FLOAT_CPU), false);
//! assert_eq!(logits.size(), [2, 10]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Features: `cuda-tests` enables the tests that need a CUDA device.

mod controller;
mod device;
mod error;
mod latency;
mod network;
mod ops;
mod optim;
mod proxies;
mod search_network;
mod skeleton;
mod weights;

pub use controller::{Controller, ControllerSample};
pub use device::DeviceSpec;
pub use error::{ModelError, Result};
pub use latency::{measure_latency, reference_batches};
pub use network::TinyNetwork;
pub use optim::{clip_grad_norm, Adam, AdamConfig, Sgd, SgdConfig, Unreached};
pub use proxies::{score_proxies, Batch, ProxyInput};
pub use search_network::{
    argmax_arch, CellMode, GumbelSample, SearchConfig, SearchModel, SearchNetwork, ARCH_PARAMETERS,
};
// The networks' plain-data description lives in the pure nb102-space, so that the store counts costs too.
pub use nb102_space::{Costs, Dataset, Network, NetworkConfig, PartCosts, SizeConfig, Skeleton};
pub use weights::{
    load_named, load_weights, read_tensors, safetensors_bytes, save_weights, state_dict, tensors_from_safetensors,
    write_safetensors,
};
