//! SGD as the benchmark trains with it (`torch.optim.SGD`, Nesterov momentum, weight decay on every
//! parameter), updating all parameters of a network at once.
//!
//! The parameters are moved into one contiguous buffer (each keeps its identity, now a view of the
//! buffer), and the gradients are gathered into one, so a step is a handful of tensor operations
//! instead of several per parameter tensor: on a GPU, a step of a 15-cell network launches about ten
//! kernels rather than over a thousand. The arithmetic per element is PyTorch's (dampening 0):
//! `d = g + wd * p; buf = d` on the first step, else `buf = m * buf + d`; `d = d + m * buf` with
//! Nesterov, else `d = buf`; `p = p - lr * d`.
//!
//! A parameter the loss does not depend on (a convolution whose node reaches the output only through `none`
//! edges) gets a zero gradient, as in the reference, where `none` is `x * 0` and keeps it in the graph: weight
//! decay and momentum still move it.

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

/// SGD over all trainable variables of a `VarStore`, kept in one flat buffer.
#[derive(Debug)]
pub struct Sgd {
    params: Vec<Tensor>,
    flat: Tensor,
    /// Zeros standing for the gap after each parameter in `flat`, made once so a step creates none.
    gaps: Vec<Option<Tensor>>,
    /// Zero gradients of the parameters the loss does not reach, made on the first step that finds them.
    unused: Vec<Option<Tensor>>,
    momentum_buffer: Option<Tensor>,
    config: SgdConfig,
}

impl Sgd {
    /// Takes over the trainable variables of `vs` (their values are kept; they become views of one buffer).
    pub fn new(vs: &VarStore, config: SgdConfig) -> Sgd {
        let params = vs.trainable_variables();
        // On the CPU each parameter starts on a 64-byte boundary, as a separately allocated tensor would:
        // oneDNN's kernels are slower on unaligned weights. The gaps stay zero (their gradient is zero). On
        // CUDA alignment makes no difference, and gaps would only lengthen the gradient concatenation.
        let align = if vs.device().is_cuda() { 1 } else { CPU_ALIGN };
        let padded: Vec<i64> = params.iter().map(|p| (p.numel() as i64 + align - 1) / align * align).collect();
        let total: i64 = padded.iter().sum();
        let flat = Tensor::zeros([total], (p_kind(&params), vs.device()));
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
        Sgd { params, flat, gaps, unused, momentum_buffer: None, config }
    }

    /// Sets the learning rate of the following steps (the schedule is the caller's).
    pub fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    /// The momentum buffer (one value per element of the flat parameter buffer, gaps included), once a step
    /// has made it: with the parameters, the optimiser's whole state, for checkpoints.
    pub fn momentum(&self) -> Option<&Tensor> {
        self.momentum_buffer.as_ref()
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
        let SgdConfig { lr, momentum, weight_decay, nesterov } = self.config;
        tch::no_grad(|| {
            let mut pieces = Vec::with_capacity(2 * grads.len());
            for ((g, gap), (p, unused)) in grads.iter().zip(&self.gaps).zip(self.params.iter().zip(&mut self.unused)) {
                // libtorch leaves the gradient of a parameter outside the loss's graph undefined.
                pieces.push(if g.defined() {
                    g.reshape([-1])
                } else {
                    unused
                        .get_or_insert_with(|| Tensor::zeros([p.numel() as i64], (p.kind(), p.device())))
                        .shallow_clone()
                });
                pieces.extend(gap.as_ref().map(Tensor::shallow_clone));
            }
            let mut d = Tensor::cat(&pieces, 0);
            if weight_decay != 0.0 {
                d += &self.flat * weight_decay;
            }
            if momentum != 0.0 {
                let buf = match &mut self.momentum_buffer {
                    Some(buf) => {
                        *buf *= momentum;
                        *buf += &d;
                        buf.shallow_clone()
                    }
                    None => self.momentum_buffer.insert(d.copy()).shallow_clone(),
                };
                d = if nesterov { d + buf * momentum } else { buf };
            }
            self.flat -= d * lr;
        });
    }
}

/// The dtype of the parameters (all of one kind in a network).
fn p_kind(params: &[Tensor]) -> tch::Kind {
    params.first().map_or(tch::Kind::Float, Tensor::kind)
}
