//! Zero-cost proxies of a benchmark network, computed as the reference code computes them (foresight's
//! `find_measures` of zero-cost-nas, and NASLib's measures for NAS-Bench-Suite-Zero; `docs/PROXIES.md`).
//!
//! The reference scores each measure on a fresh copy of the network, in train mode, with batch norms kept or
//! bypassed as the measure declares. Copies of one state in train mode compute the same forward pass (batch norms
//! normalise by the batch's statistics, whatever their running ones), so every measure that keeps batch norms and
//! reads the batch shares one forward pass here (`gradients.rs`): grad_norm, snip, plain, grasp, fisher,
//! jacob_cov (jacov), epe_nas and nwot. synflow and synflow_bn run on absolute float64 copies (`synflow.rs`), zen on
//! a Gaussian re-initialised copy (`zen.rs`); l2_norm, params and flops read the weights or the cost model.
//!
//! Layer sums follow the reference: over the weights of every convolution and linear layer in `modules()` order
//! (the order the network creates them), each layer's tensor summed by libtorch and the layers' sums accumulated
//! in the tensors' dtype (float32, float64 for synflow).

mod gradients;
mod jacobian;
mod synflow;
mod zen;

use std::collections::HashMap;

use nb102_protocol::Proxy;
use nb102_space::Network;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use crate::error::{ModelError, Result};
use crate::network::TinyNetwork;
use crate::weights::load_named;

/// One batch: images `x` `[n, channels, h, w]` and labels `y` `[n]`.
#[derive(Debug)]
pub struct Batch {
    /// Images, float32.
    pub x: Tensor,
    /// Class labels, int64.
    pub y: Tensor,
}

impl Batch {
    /// Checks shapes and kinds against `network` (`y` holds labels below its classes) and moves it to `device`.
    ///
    /// # Errors
    /// [`ModelError::Config`] naming the tensor that does not fit.
    pub fn checked(self, network: &Network, device: Device) -> Result<Batch> {
        let bad = |what: &'static str, expected: String, found: String| ModelError::Config { what, expected, found };
        let (c, (h, w)) = (network.in_channels(), network.input_size());
        let size = self.x.size();
        let n = match size.as_slice() {
            &[n, xc, xh, xw] if n > 0 && (xc, xh, xw) == (c, h, w) => n,
            _ => return Err(bad("batch x", format!("shape [n, {c}, {h}, {w}] with n > 0"), format!("{size:?}"))),
        };
        if self.y.size() != [n] {
            return Err(bad("batch y", format!("shape [{n}], one label per image"), format!("{:?}", self.y.size())));
        }
        let y = self.y.to_kind(Kind::Int64);
        let classes = network.classes();
        let (lo, hi) = (y.min().int64_value(&[]), y.max().int64_value(&[]));
        if lo < 0 || hi >= classes {
            return Err(bad("batch y", format!("labels in 0..{classes}"), format!("labels in {lo}..={hi}")));
        }
        Ok(Batch { x: self.x.to_kind(Kind::Float).to_device(device), y: y.to_device(device) })
    }
}

/// What the proxies are computed of: a network, its weights, one batch, and the seed of zen's draws.
#[derive(Debug)]
pub struct ProxyInput<'a> {
    /// The network.
    pub network: Network,
    /// Its state dict (parameters and batch-norm buffers), as [`crate::state_dict`] gives it.
    pub state: &'a HashMap<String, Tensor>,
    /// The batch, on `device`, as [`Batch::checked`] gives it.
    pub batch: &'a Batch,
    /// `tch::manual_seed` right before zen draws its weights and inputs, so one seed gives one score.
    pub seed: i64,
    /// Where the copies run.
    pub device: Device,
}

/// The scores of `proxies`, in that order, without post-processing (NaN where the reference's score is NaN, −∞
/// for a singular NASWOT kernel).
///
/// # Errors
/// [`ModelError::Weights`] if the state does not fit the network, [`ModelError::Torch`] if libtorch fails.
pub fn score_proxies(input: &ProxyInput<'_>, proxies: &[Proxy]) -> Result<Vec<(Proxy, f64)>> {
    let mut scores: HashMap<Proxy, f64> = HashMap::new();
    let wanted = |p: Proxy| proxies.contains(&p);
    // l2_norm reads the weights of the first copy made, before a measure changes them.
    let l2 = std::cell::Cell::new(None);
    let fresh = || -> Result<(VarStore, TinyNetwork)> {
        let (vs, net) = copy(input)?;
        if wanted(Proxy::L2Norm) && l2.get().is_none() {
            l2.set(Some(l2_norm(&vs)));
        }
        Ok((vs, net))
    };
    let shared = gradients::Wanted::of(proxies);
    if shared.any() {
        let (vs, net) = fresh()?;
        scores.extend(gradients::score(&vs, &net, input.batch, &shared)?);
    }
    for (proxy, batch_norm) in [(Proxy::Synflow, false), (Proxy::SynflowBn, true)] {
        if wanted(proxy) {
            let (mut vs, net) = fresh()?;
            scores.insert(proxy, synflow::score(&mut vs, &net, input.batch, batch_norm)?);
        }
    }
    if wanted(Proxy::Zen) {
        let (vs, net) = fresh()?;
        scores.insert(Proxy::Zen, zen::score(&vs, &net, input.batch, input.seed)?);
    }
    if wanted(Proxy::L2Norm) {
        let l2 = match l2.get() {
            Some(l2) => l2,
            None => l2_norm(&fresh()?.0),
        };
        scores.insert(Proxy::L2Norm, l2);
    }
    if wanted(Proxy::Params) || wanted(Proxy::Flops) {
        let costs = input.network.costs()?;
        scores.insert(Proxy::Params, costs.params_mb());
        scores.insert(Proxy::Flops, costs.flops_m());
    }
    Ok(proxies.iter().map(|p| (*p, scores[p])).collect())
}

/// A copy of the input's network with its state, on its device, as the reference's `get_prunable_copy`; train
/// mode is the caller's `forward` argument.
fn copy(input: &ProxyInput<'_>) -> Result<(VarStore, TinyNetwork)> {
    let mut vs = VarStore::new(input.device);
    let net = TinyNetwork::new(&vs.root(), input.network)?;
    load_named(&mut vs, input.state, std::path::Path::new("the proxies' weights"))?;
    Ok((vs, net))
}

/// The weight of every convolution and linear layer, in the order the network creates them (the reference's
/// `modules()` order): its trainable tensors of two or more dimensions (batch norms' and biases have one).
fn scored_weights(vs: &VarStore) -> Vec<Tensor> {
    vs.trainable_variables().into_iter().filter(|t| t.dim() >= 2).collect()
}

/// Σ over [`scored_weights`] of `‖W‖₂`, as [`sum_layers`] accumulates it.
fn l2_norm(vs: &VarStore) -> f64 {
    sum_layers(Kind::Float, scored_weights(vs).iter().map(Tensor::norm))
}

/// Σ over layers of each layer's tensor summed by libtorch, accumulated in `kind` as the reference's `sum_arr`
/// does (`0. + torch.sum(t)` keeps the tensor's dtype).
fn sum_layers(kind: Kind, per_layer: impl Iterator<Item = Tensor>) -> f64 {
    let mut total = Tensor::zeros([], (kind, Device::Cpu));
    for t in per_layer {
        total += t.sum(kind).to_device(Device::Cpu);
    }
    total.double_value(&[])
}
