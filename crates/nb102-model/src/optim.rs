//! The optimisers of the benchmark and of the searches, over explicit parameter lists: [`Sgd`]
//! (`torch.optim.SGD` with momentum, Nesterov and weight decay, all parameters at once), [`Adam`]
//! (`torch.optim.Adam` with L2 weight decay) and [`clip_grad_norm`] (`torch.nn.utils.clip_grad_norm_`).
//!
//! [`Sgd`] moves its parameters into one contiguous buffer (each keeps its identity, now a view of the
//! buffer), and gathers the gradients into one, so a step is a handful of tensor operations
//! instead of several per parameter tensor: on a GPU, a step of a 15-cell network launches about ten
//! kernels rather than over a thousand. The arithmetic per element is PyTorch's (dampening 0):
//! `d = g + wd * p; buf = d` on the first step, else `buf = m * buf + d`; `d = d + m * buf` with
//! Nesterov, else `d = buf`; `p = p - lr * d`.
//!
//! What happens to a parameter the loss does not reach is the caller's [`Unreached`]: the benchmark's
//! networks give it a zero gradient, as the reference does (there, `none` is `x * 0` and keeps a convolution
//! whose node reaches the output only through `none` edges in the graph: weight decay and momentum still move
//! it); a search network's ops off the sampled path have no gradient at all in the reference, and PyTorch's
//! SGD then leaves them and their momentum as they are.

use tch::nn::VarStore;
use tch::Tensor;

/// Alignment of each parameter in the flat buffer on the CPU, in elements (64 bytes of `f32`).
const CPU_ALIGN: i64 = 16;

/// Hyper-parameters of [`Sgd`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate of the next step.
    pub lr: f64,
    /// Momentum factor.
    pub momentum: f64,
    /// L2 penalty added to every gradient.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl SgdConfig {
    /// NAS-Bench-201's optimiser (`configs/nas-benchmark/hyper-opts/*.config`): LR 0.1 (the schedule's
    /// start), momentum 0.9, weight decay 5e-4, Nesterov.
    pub fn nb201() -> SgdConfig {
        SgdConfig { lr: 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: true }
    }
}

/// What [`Sgd`] does with a parameter whose gradient is undefined (the loss does not depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreached {
    /// A zero gradient: weight decay and momentum still apply (the benchmark's networks).
    ZeroGradient,
    /// No step and no momentum update, as `torch.optim.SGD` skips a parameter whose `.grad` is `None`.
    Skip,
}

/// SGD over a list of parameters, kept in one flat buffer.
#[derive(Debug)]
pub struct Sgd {
    params: Vec<Tensor>,
    flat: Tensor,
    /// Zeros standing for the gap after each parameter in `flat`, made once so a step creates none.
    gaps: Vec<Option<Tensor>>,
    /// Zero gradients of the parameters the loss does not reach, made on the first step that finds them.
    unused: Vec<Option<Tensor>>,
    momentum_buffer: Option<Tensor>,
    unreached: Unreached,
    config: SgdConfig,
}

impl Sgd {
    /// Takes over the trainable variables of `vs` (their values are kept; they become views of one buffer);
    /// a parameter the loss does not reach gets a zero gradient.
    pub fn new(vs: &VarStore, config: SgdConfig) -> Sgd {
        Sgd::over(vs.trainable_variables(), config, Unreached::ZeroGradient)
    }

    /// Takes over `params` (all on one device, of one dtype; their values are kept, they become views of one
    /// buffer).
    pub fn over(params: Vec<Tensor>, config: SgdConfig, unreached: Unreached) -> Sgd {
        let device = params.first().map_or(tch::Device::Cpu, Tensor::device);
        // On the CPU each parameter starts on a 64-byte boundary, as a separately allocated tensor would:
        // oneDNN's kernels are slower on unaligned weights. The gaps stay zero (their gradient is zero). On
        // CUDA alignment makes no difference, and gaps would only lengthen the gradient concatenation.
        let align = if device.is_cuda() { 1 } else { CPU_ALIGN };
        let padded: Vec<i64> = params.iter().map(|p| (p.numel() as i64 + align - 1) / align * align).collect();
        let total: i64 = padded.iter().sum();
        let flat = Tensor::zeros([total], (p_kind(&params), device));
        let mut offset = 0;
        let mut gaps = Vec::with_capacity(params.len());
        tch::no_grad(|| {
            for (p, &len) in params.iter().zip(&padded) {
                let n = p.numel() as i64;
                let view = flat.narrow(0, offset, n).view(p.size().as_slice());
                view.shallow_clone().copy_(p);
                p.shallow_clone().set_data(&view);
                gaps.push((len > n).then(|| Tensor::zeros([len - n], (p.kind(), p.device()))));
                offset += len;
            }
        });
        let unused = params.iter().map(|_| None).collect();
        Sgd { params, flat, gaps, unused, momentum_buffer: None, unreached, config }
    }

    /// The parameters, in the order [`Sgd::step`] takes their gradients.
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }

    /// Sets the learning rate of the following steps (the schedule is the caller's).
    pub fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    /// The hyper-parameters of the next step.
    pub fn config(&self) -> SgdConfig {
        self.config
    }

    /// The momentum buffer (one value per element of the flat parameter buffer, gaps included), once a step
    /// has made it: with the parameters, the optimiser's whole state, for checkpoints.
    pub fn momentum(&self) -> Option<&Tensor> {
        self.momentum_buffer.as_ref()
    }

    /// Each parameter's part of the momentum buffer (zeros before the first step), in [`Sgd::params`] order.
    pub fn momentum_of_params(&self) -> Vec<Tensor> {
        let mut offset = 0;
        self.params
            .iter()
            .zip(&self.gaps)
            .map(|(p, gap)| {
                let n = p.numel() as i64;
                let part = match &self.momentum_buffer {
                    Some(buf) => buf.narrow(0, offset, n).view(p.size().as_slice()),
                    None => p.zeros_like(),
                };
                offset += n + gap.as_ref().map_or(0, |g| g.numel() as i64);
                part
            })
            .collect()
    }

    /// Restores a momentum buffer saved from [`Sgd::momentum`] of an optimiser over the same network.
    ///
    /// # Errors
    /// [`ModelError::Optimizer`](crate::ModelError::Optimizer) if its length is not the flat buffer's.
    pub fn set_momentum(&mut self, buffer: &Tensor) -> crate::Result<()> {
        if buffer.size() != self.flat.size() {
            return Err(crate::ModelError::Optimizer {
                what: "momentum buffer",
                expected: "the length of the flat parameter buffer",
                found: format!("{:?} for {:?}", buffer.size(), self.flat.size()),
            });
        }
        let restored = buffer.to_device(self.flat.device()).to_kind(self.flat.kind());
        self.momentum_buffer = Some(restored);
        Ok(())
    }

    /// Back-propagates `loss` to the parameters and takes one step.
    pub fn backward_step(&mut self, loss: &Tensor) {
        let grads = Tensor::run_backward(&[loss], &self.params, false, false);
        self.step(&grads);
    }

    /// One step with `grads`, one per parameter in [`Sgd::params`] order; an undefined tensor is a parameter
    /// the loss does not reach.
    pub fn step(&mut self, grads: &[Tensor]) {
        let SgdConfig { lr, momentum, weight_decay, nesterov } = self.config;
        let skip = self.unreached == Unreached::Skip && grads.iter().any(|g| !g.defined());
        tch::no_grad(|| {
            let mut pieces = Vec::with_capacity(2 * grads.len());
            // With skipped parameters, 1 where a step applies and 0 elsewhere (gaps included).
            let mut mask_pieces = Vec::new();
            for ((g, gap), (p, unused)) in grads.iter().zip(&self.gaps).zip(self.params.iter().zip(&mut self.unused)) {
                let n = p.numel() as i64;
                // libtorch leaves the gradient of a parameter outside the loss's graph undefined.
                let mut zeros =
                    || unused.get_or_insert_with(|| Tensor::zeros([n], (p.kind(), p.device()))).shallow_clone();
                pieces.push(if g.defined() { g.reshape([-1]) } else { zeros() });
                if skip {
                    mask_pieces.push(Tensor::full([n], f64::from(u8::from(g.defined())), (p.kind(), p.device())));
                }
                if let Some(gap) = gap {
                    pieces.push(gap.shallow_clone());
                    if skip {
                        mask_pieces.push(gap.shallow_clone());
                    }
                }
            }
            let mask = skip.then(|| Tensor::cat(&mask_pieces, 0));
            let mut d = Tensor::cat(&pieces, 0);
            if weight_decay != 0.0 {
                d += &self.flat * weight_decay;
            }
            if momentum != 0.0 {
                let buf = match (&mut self.momentum_buffer, &mask) {
                    (Some(buf), None) => {
                        *buf *= momentum;
                        *buf += &d;
                        buf.shallow_clone()
                    }
                    (None, None) => self.momentum_buffer.insert(d.copy()).shallow_clone(),
                    // A parameter's first momentum is `d` itself, and `m · 0 + d` is exactly `d`.
                    (buf, Some(mask)) => {
                        let old = buf.get_or_insert_with(|| d.zeros_like());
                        let updated = (&*old * momentum + &d).where_self(&mask.gt(0.5), old);
                        *old = updated;
                        old.shallow_clone()
                    }
                };
                d = if nesterov { d + buf * momentum } else { buf };
            }
            if let Some(mask) = &mask {
                d *= mask;
            }
            self.flat -= d * lr;
        });
    }
}

/// `torch.nn.utils.clip_grad_norm_(params, max_norm)`: scales the defined gradients in place by
/// `min(1, max_norm / (‖g‖ + 1e-6))`, `‖g‖` being the 2-norm of all of them together, and returns `‖g‖`.
pub fn clip_grad_norm(grads: &mut [Tensor], max_norm: f64) -> f64 {
    tch::no_grad(|| {
        let norms: Vec<Tensor> = grads.iter().filter(|g| g.defined()).map(|g| g.norm()).collect();
        if norms.is_empty() {
            return 0.0;
        }
        let total = Tensor::stack(&norms, 0).norm();
        let coef = (max_norm / (&total + 1e-6)).clamp_max(1.0);
        for g in grads.iter_mut().filter(|g| g.defined()) {
            *g = &*g * &coef;
        }
        total.double_value(&[])
    })
}

/// Hyper-parameters of [`Adam`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// `betas`.
    pub betas: (f64, f64),
    /// `eps`.
    pub eps: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
}

/// `torch.optim.Adam` (not AMSGrad) over a few parameters (the architecture parameters, a controller), with its
/// per-element arithmetic: `g += wd · p; m = lerp(m, g, 1 − β1); v = β2 v + (1 − β2) g²;
/// p −= lr / (1 − β1^t) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)`.
#[derive(Debug)]
pub struct Adam {
    params: Vec<Tensor>,
    /// Per parameter: steps taken, `exp_avg`, `exp_avg_sq` (a parameter without a gradient is skipped and gets
    /// no state, as in PyTorch).
    state: Vec<Option<(u64, Tensor, Tensor)>>,
    config: AdamConfig,
}

impl Adam {
    /// Over `params`.
    pub fn new(params: Vec<Tensor>, config: AdamConfig) -> Adam {
        let state = params.iter().map(|_| None).collect();
        Adam { params, state, config }
    }

    /// The parameters, in the order [`Adam::step`] takes their gradients.
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }

    /// One step with `grads`, one per parameter in [`Adam::params`] order (undefined: skipped).
    pub fn step(&mut self, grads: &[Tensor]) {
        let AdamConfig { lr, betas: (beta1, beta2), eps, weight_decay } = self.config;
        tch::no_grad(|| {
            for ((p, g), state) in self.params.iter().zip(grads).zip(&mut self.state) {
                if !g.defined() {
                    continue;
                }
                let g = if weight_decay != 0.0 { g + p * weight_decay } else { g.shallow_clone() };
                let (step, m, v) = state.get_or_insert_with(|| (0, p.zeros_like(), p.zeros_like()));
                *step += 1;
                let _ = m.lerp_(&g, 1.0 - beta1);
                *v = &*v * beta2 + (&g * &g) * (1.0 - beta2);
                let t = *step as i32;
                let bias_correction1 = 1.0 - beta1.powi(t);
                let bias_correction2_sqrt = (1.0 - beta2.powi(t)).sqrt();
                let denom = v.sqrt() / bias_correction2_sqrt + eps;
                // `addcdiv_(m, denom, value=−lr / bc1)`: `p + (value · m) / denom`.
                let mut p = p.shallow_clone();
                p += (&*m * (-lr / bias_correction1)) / denom;
            }
        });
    }

    /// The state as named tensors (`{prefix}{i}.step`, `.exp_avg`, `.exp_avg_sq` for each parameter with state),
    /// for checkpoints.
    pub fn state_tensors(&self, prefix: &str) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, state) in self.state.iter().enumerate() {
            if let Some((step, m, v)) = state {
                out.push((format!("{prefix}{i}.step"), Tensor::from_slice(&[*step as i64])));
                out.push((format!("{prefix}{i}.exp_avg"), m.shallow_clone()));
                out.push((format!("{prefix}{i}.exp_avg_sq"), v.shallow_clone()));
            }
        }
        out
    }

    /// Restores what [`Adam::state_tensors`] gave, from `tensors`.
    ///
    /// # Errors
    /// [`ModelError::Optimizer`](crate::ModelError::Optimizer) for a state of another shape.
    pub fn load_state(
        &mut self,
        prefix: &str,
        tensors: &std::collections::HashMap<String, Tensor>,
    ) -> crate::Result<()> {
        for (i, (p, state)) in self.params.iter().zip(&mut self.state).enumerate() {
            let get = |what: &str| tensors.get(&format!("{prefix}{i}.{what}"));
            *state = match (get("step"), get("exp_avg"), get("exp_avg_sq")) {
                (Some(step), Some(m), Some(v)) if m.size() == p.size() && v.size() == p.size() => {
                    let device = p.device();
                    Some((step.int64_value(&[0]) as u64, m.to_device(device), v.to_device(device)))
                }
                (None, None, None) => None,
                _ => {
                    return Err(crate::ModelError::Optimizer {
                        what: "Adam state",
                        expected: "step, exp_avg and exp_avg_sq of each parameter's shape",
                        found: format!("a partial or mis-shaped state for parameter {i}"),
                    })
                }
            };
        }
        Ok(())
    }
}

/// The dtype of the parameters (all of one kind in a network).
fn p_kind(params: &[Tensor]) -> tch::Kind {
    params.first().map_or(tch::Kind::Float, Tensor::kind)
}
