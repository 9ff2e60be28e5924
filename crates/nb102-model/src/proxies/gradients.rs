//! The measures that keep batch norms and read the batch, from one train-mode forward pass:
//!
//! - the loss gradient g = ∂L/∂W of every scored weight serves grad_norm (Σ‖g‖₂), snip (Σ|W⊙g|: foresight's
//!   ∂L/∂M of the mask M = 1 multiplying W is W⊙g) and plain (Σ g⊙W); created with its graph, it also gives grasp's
//!   Hessian-gradient product (Σ −W⊙∂(Σ g.detach()⊙g)/∂W);
//! - the loss gradient of every convolution's and linear layer's output a, from the same backward pass, gives
//!   fisher: per layer and output channel ½·meanₙ(Σ_hw a·∂L/∂a)², counted once per weight of the channel;
//! - the input gradient of the logits (`logits.backward(ones)`) gives jacob_cov, jacov and epe_nas;
//! - the ReLU inputs' binary codes give NASWOT's kernels (nwot, nwot_relu).
//!
//! A layer that is not in the graph (it reaches the output only through `none`, whose gradient is zero in the
//! reference) contributes zero, as in the reference.

use std::cell::RefCell;

use nb102_protocol::Proxy;
use tch::nn::VarStore;
use tch::{Kind, Tensor};

use super::{jacobian, scored_weights, sum_layers, Batch};
use crate::error::Result;
use crate::network::TinyNetwork;
use crate::ops::{OutputHook, Probe, ReluHook};

/// Which parts of the shared pass are asked for.
#[derive(Debug, Default)]
pub(super) struct Wanted {
    loss_gradient: Vec<Proxy>,
    grasp: bool,
    fisher: bool,
    jacobian: Vec<Proxy>,
    nwot: Vec<Proxy>,
}

impl Wanted {
    pub(super) fn of(proxies: &[Proxy]) -> Wanted {
        let pick = |set: &[Proxy]| proxies.iter().copied().filter(|p| set.contains(p)).collect::<Vec<_>>();
        Wanted {
            loss_gradient: pick(&[Proxy::GradNorm, Proxy::Snip, Proxy::Plain]),
            grasp: proxies.contains(&Proxy::Grasp),
            fisher: proxies.contains(&Proxy::Fisher),
            jacobian: pick(&[Proxy::JacobCov, Proxy::Jacov, Proxy::EpeNas]),
            nwot: pick(&[Proxy::Nwot, Proxy::NwotRelu]),
        }
    }

    pub(super) fn any(&self) -> bool {
        self.backward() || !self.jacobian.is_empty() || !self.nwot.is_empty()
    }

    /// Whether the loss is differentiated.
    fn backward(&self) -> bool {
        !self.loss_gradient.is_empty() || self.grasp || self.fisher
    }
}

/// NASWOT's kernels K = Σ c·cᵀ + (1−c)·(1−c)ᵀ over ReLU inputs (c: 1 where the input is positive, per sample), in
/// float64: over every ReLU module, and over the `ReLUConvBN` wrappers whose input is their inner ReLU's.
struct Kernels {
    relu: Option<Tensor>,
    wrappers: Option<Tensor>,
}

impl Kernels {
    fn add(&mut self, relu_xs: &Tensor, in_relu_conv_bn: bool) {
        let codes = relu_xs.flatten(1, -1).gt(0.0).to_kind(Kind::Float); // [n, d]
                                                                         // (1−c)·(1−c)ᵀ = d − sᵢ − sⱼ + c·cᵀ with s the rows' sums: one product instead of two. Every term is a
                                                                         // count of at most 3d, exact in float32 below 2^24, so K equals the reference's float32 products exactly.
        let d = codes.size()[1] as f64;
        let s = codes.sum_dim_intlist(1, true, Kind::Float); // [n, 1]
        let k = (codes.matmul(&codes.transpose(0, 1)) * 2.0 + d - &s - s.transpose(0, 1)).to_kind(Kind::Double);
        let add = |sum: &mut Option<Tensor>| *sum = Some(sum.take().map_or_else(|| k.copy(), |s| s + &k));
        add(&mut self.relu);
        if in_relu_conv_bn {
            add(&mut self.wrappers);
        }
    }
}

pub(super) fn score(vs: &VarStore, net: &TinyNetwork, batch: &Batch, wanted: &Wanted) -> Result<Vec<(Proxy, f64)>> {
    let x = if wanted.jacobian.is_empty() { batch.x.shallow_clone() } else { batch.x.copy().set_requires_grad(true) };
    let outputs: RefCell<Vec<(Tensor, Tensor)>> = RefCell::default();
    let kernels = RefCell::new(Kernels { relu: None, wrappers: None });
    let record_output = |out: &Tensor, weight: &Tensor| {
        // A layer run outside the graph (dead, in training) has no gradient: it contributes zero.
        if out.requires_grad() {
            outputs.borrow_mut().push((out.shallow_clone(), weight.shallow_clone()));
        }
    };
    let record_relu = |relu_xs: &Tensor, wrapped: bool| tch::no_grad(|| kernels.borrow_mut().add(relu_xs, wrapped));
    let probe = Probe {
        batch_norm: true,
        on_output: wanted.fisher.then_some(&record_output as OutputHook<'_>),
        on_relu_input: (!wanted.nwot.is_empty()).then_some(&record_relu as ReluHook<'_>),
    };
    let maps = net.forward_maps(&x, true, &probe);
    let (_, logits) = net.head(&maps, &probe);
    let mut scores = Vec::new();

    if wanted.backward() {
        let loss = logits.cross_entropy_for_logits(&batch.y);
        let weights = scored_weights(vs);
        let outputs = outputs.take();
        let mut inputs: Vec<&Tensor> = weights.iter().collect();
        inputs.extend(outputs.iter().map(|(a, _)| a));
        let keep = wanted.grasp || !wanted.jacobian.is_empty();
        let grads = Tensor::f_run_backward(&[&loss], &inputs, keep, wanted.grasp)?;
        let (g, g_outputs) = grads.split_at(weights.len());
        for &proxy in &wanted.loss_gradient {
            let sum = sum_layers(
                Kind::Float,
                weights.iter().zip(g).filter(|(_, g)| g.defined()).map(|(w, g)| match proxy {
                    Proxy::GradNorm => g.detach().norm(),
                    Proxy::Snip => (w * g.detach()).abs(),
                    _ => g.detach() * w,
                }),
            );
            scores.push((proxy, sum));
        }
        if wanted.fisher {
            let per_layer = outputs.iter().zip(g_outputs).filter(|(_, g)| g.defined()).map(|((a, w), g)| {
                let (a, g) = (a.detach(), g.detach());
                let g_nk = if a.dim() > 2 {
                    (&a * &g).sum_dim_intlist([2, 3].as_slice(), false, Kind::Float)
                } else {
                    &a * &g
                };
                // Per output channel ([c_out]); each channel's value is counted once per weight of the channel, as
                // foresight broadcasts it.
                let delta = g_nk.pow_tensor_scalar(2).mean_dim(0, false, Kind::Float) * 0.5;
                let mut shape = vec![-1i64];
                shape.resize(w.dim(), 1);
                delta.abs().view(shape.as_slice()).expand(w.size(), false).contiguous()
            });
            scores.push((Proxy::Fisher, sum_layers(Kind::Float, per_layer)));
        }
        if wanted.grasp {
            let used: Vec<(&Tensor, &Tensor)> = weights.iter().zip(g).filter(|(_, g)| g.defined()).collect();
            let z = used.iter().map(|(_, g)| (g.detach() * *g).sum(Kind::Float)).reduce(|a, b| a + b);
            let grasp = match z {
                // No scored weight in the graph: every layer contributes zero.
                None => 0.0,
                Some(z) => {
                    let used_weights: Vec<&Tensor> = used.iter().map(|(w, _)| *w).collect();
                    let hg = Tensor::f_run_backward(&[&z], &used_weights, !wanted.jacobian.is_empty(), false)?;
                    let terms =
                        used_weights.iter().zip(&hg).filter(|(_, h)| h.defined()).map(|(w, h)| -(*w).detach() * h);
                    sum_layers(Kind::Float, terms)
                }
            };
            scores.push((Proxy::Grasp, grasp));
        }
    }
    if !wanted.jacobian.is_empty() {
        // Logits that do not depend on the input (no cell reaches the output) have a zero Jacobian: the
        // reference's `x * 0` of `none` keeps the input in its graph.
        let jac = Tensor::f_run_backward(&[&logits], &[&x], false, false)?.remove(0); // [n, c, h, w]
        let jac = if jac.defined() { jac } else { x.zeros_like() };
        let jac = jac.flatten(1, -1).to_kind(Kind::Double).to_device(tch::Device::Cpu);
        let classes = logits.size()[1];
        for &proxy in &wanted.jacobian {
            let score = match proxy {
                Proxy::EpeNas => jacobian::epe_nas(&jac, &batch.y.to_device(tch::Device::Cpu), classes),
                _ => jacobian::jacob_cov(&jac),
            };
            scores.push((proxy, score));
        }
    }
    if !wanted.nwot.is_empty() {
        let kernels = kernels.into_inner();
        for &proxy in &wanted.nwot {
            let k = match (proxy, &kernels.relu, &kernels.wrappers) {
                (Proxy::Nwot, Some(relu), Some(wrappers)) => Some(relu + wrappers),
                (_, relu, _) => relu.as_ref().map(Tensor::shallow_clone),
            };
            scores.push((proxy, k.map_or(f64::NEG_INFINITY, |k| log_abs_det(&k))));
        }
    }
    Ok(scores)
}

/// ln|det K| (`slogdet`'s second value): −∞ for a singular kernel.
fn log_abs_det(k: &Tensor) -> f64 {
    Tensor::linalg_slogdet(&k.to_device(tch::Device::Cpu)).1.double_value(&[])
}
