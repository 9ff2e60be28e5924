//! One step of each algorithm on a search network, with the reference's update rules (spec 08 §8.3) and
//! PyTorch's gradient bookkeeping: a parameter off the sampled path has no gradient and SGD leaves it alone;
//! the architecture parameters' `.grad` keeps the last architecture gradient until the architecture optimiser
//! zeroes it, so the weight step's clipping norm (over `network.parameters()`, which include them) sees the sum.
//!
//! Every random choice (the path, GDAS's Exp(1) draws, the controller's ops) is the caller's, so a step is a
//! function of the weights, the batches and those choices: what the one-step tests compare with xautodl.

use nb102_model::{
    clip_grad_norm, Adam, AdamConfig, CellMode, GumbelSample, SearchConfig, SearchNetwork, Sgd, SgdConfig, Skeleton,
    Unreached,
};
use nb102_space::Arch;
use nb102_train::epoch::correct;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use crate::data::Batch;
use crate::error::Result;
use nb102_protocol::{Algorithm, SearchRun};

/// The loss and correct predictions of the batches of one step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepStats {
    /// Cross-entropy on the weights' batch.
    pub base_loss: f64,
    /// Its correct top-1 predictions.
    pub base_correct: i64,
    /// Its images.
    pub base_images: usize,
    /// Cross-entropy on the architecture's batch, where the step has one.
    pub arch_loss: Option<f64>,
    /// Its correct top-1 predictions.
    pub arch_correct: i64,
    /// Its images.
    pub arch_images: usize,
}

/// A search network with its optimisers: SGD on the weights, Adam on the architecture parameters.
#[derive(Debug)]
pub struct Supernet {
    /// The network's variables (state-dict keys as xautodl's).
    pub vs: VarStore,
    /// The network.
    pub net: SearchNetwork,
    sgd: Sgd,
    adam: Option<Adam>,
    /// What the architecture parameters' `.grad` holds when the next weight step starts.
    stale_alpha_grad: Option<Tensor>,
    /// DARTS-V2's copy of the network for the unrolled weights (`deepcopy(network)`).
    unrolled: Option<(VarStore, SearchNetwork)>,
    clip: Option<f64>,
}

impl Supernet {
    /// The network of `run` on `skeleton`, initialised from libtorch's generator as it stands (the caller seeds
    /// it), with its optimisers.
    ///
    /// # Errors
    /// A skeleton that cannot be built.
    pub fn new(run: &SearchRun, skeleton: Skeleton, device: Device) -> Result<Supernet> {
        let config = SearchConfig {
            model: crate::algorithms::search_model(run.algorithm),
            skeleton,
            track_running_stats: run.track_running_stats,
            conv_bias: run.conv_bias,
        };
        let vs = VarStore::new(device);
        let net = SearchNetwork::new(&vs.root(), &config)?;
        let sgd_config =
            SgdConfig { lr: run.lr_at(0), momentum: run.momentum, weight_decay: run.weight_decay, nesterov: true };
        let sgd = Sgd::over(SearchNetwork::weights(&vs), sgd_config, Unreached::Skip);
        let adam = net.arch_parameters().map(|alpha| {
            let config =
                AdamConfig { lr: run.arch_lr, betas: (0.5, 0.999), eps: 1e-8, weight_decay: run.arch_weight_decay };
            Adam::new(vec![alpha.shallow_clone()], config)
        });
        let unrolled = (run.algorithm == Algorithm::DartsV2)
            .then(|| -> Result<_> {
                let uvs = VarStore::new(device);
                let unet = tch::no_grad(|| SearchNetwork::new(&uvs.root(), &config))?;
                Ok((uvs, unet))
            })
            .transpose()?;
        Ok(Supernet { vs, net, sgd, adam, stale_alpha_grad: None, unrolled, clip: run.gradient_clip })
    }

    /// The weight optimiser.
    pub fn sgd(&mut self) -> &mut Sgd {
        &mut self.sgd
    }

    /// The architecture optimiser, for the models with architecture parameters.
    pub fn adam(&mut self) -> Option<&mut Adam> {
        self.adam.as_mut()
    }

    /// The architecture gradient the next weight step's clipping norm includes.
    pub fn stale_alpha_grad(&self) -> Option<&Tensor> {
        self.stale_alpha_grad.as_ref()
    }

    /// Sets it (resuming).
    pub fn set_stale_alpha_grad(&mut self, grad: Option<Tensor>) {
        self.stale_alpha_grad = grad;
    }

    fn alpha(&self) -> Tensor {
        self.net.arch_parameters().expect("this algorithm's model has arch_parameters").shallow_clone()
    }

    /// Gradients of `loss` to the weights and, with `with_alpha`, to the architecture parameters (last).
    fn grads(&self, loss: &Tensor, with_alpha: bool) -> Vec<Tensor> {
        let mut inputs: Vec<Tensor> = self.sgd.params().iter().map(Tensor::shallow_clone).collect();
        if with_alpha {
            inputs.push(self.alpha());
        }
        Tensor::run_backward(&[loss], &inputs, false, false)
    }

    /// Clips `grads` (the weights', then optionally the architecture's `.grad` as it stands) where the algorithm
    /// clips, and steps the weights.
    fn weight_step(&mut self, mut grads: Vec<Tensor>) {
        if let Some(max_norm) = self.clip {
            clip_grad_norm(&mut grads, max_norm);
        }
        let n = self.sgd.params().len();
        self.sgd.step(&grads[..n]);
    }

    /// The architecture parameters' `.grad` after a weight backward: what it held plus this gradient.
    fn accumulated_alpha_grad(&self, grad: Tensor) -> Tensor {
        match (&self.stale_alpha_grad, grad.defined()) {
            (Some(stale), true) => stale + grad,
            (Some(stale), false) => stale.shallow_clone(),
            (None, _) => grad,
        }
    }

    /// DARTS-V1's step: weights on `base` (softmax-weighted cells, clip), then the architecture on `arch`.
    pub fn darts_v1_step(&mut self, base: &Batch, arch: &Batch) -> StepStats {
        let mut stats = self.weighted_weight_step(base);
        let loss = self.weighted_loss(&self.net, &self.alpha(), arch, &mut stats, true);
        let grad = Tensor::run_backward(&[&loss], &[self.alpha()], false, false).remove(0);
        self.adam.as_mut().expect("darts has arch_parameters").step(std::slice::from_ref(&grad));
        self.stale_alpha_grad = Some(grad);
        stats
    }

    /// The cross-entropy of `net` with softmax-weighted cells on `batch`, recorded in `stats`.
    fn weighted_loss(
        &self,
        net: &SearchNetwork,
        alpha: &Tensor,
        batch: &Batch,
        stats: &mut StepStats,
        arch: bool,
    ) -> Tensor {
        let weights = alpha.softmax(-1, Kind::Float);
        let logits = net.forward_t(&batch.x, true, &CellMode::Weighted(&weights));
        let loss = logits.cross_entropy_for_logits(&batch.y);
        record(stats, &logits, &batch.y, &loss, arch);
        loss
    }

    /// The weight step of the softmax-weighted models (DARTS-V1, DARTS-V2).
    fn weighted_weight_step(&mut self, base: &Batch) -> StepStats {
        let mut stats = StepStats::default();
        let loss = self.weighted_loss(&self.net, &self.alpha(), base, &mut stats, false);
        let mut grads = self.grads(&loss, true);
        let alpha_grad = grads.pop().expect("the alpha gradient");
        grads.push(self.accumulated_alpha_grad(alpha_grad));
        self.weight_step(grads);
        stats
    }

    /// DARTS-V2's step: the architecture first, by the unrolled finite-difference gradient
    /// (`backward_step_unrolled`), then the weights as DARTS-V1's.
    pub fn darts_v2_step(&mut self, base: &Batch, arch: &Batch) -> StepStats {
        let mut stats = StepStats::default();
        let SgdConfig { lr, momentum, weight_decay, .. } = self.sgd.config();
        let alpha = self.alpha();
        // w' = w − η (μ · buffer + ∇w L_train + λ w).
        let loss = self.weighted_loss(&self.net, &alpha, base, &mut StepStats::default(), false);
        let dtheta = self.grads(&loss, false);
        let unrolled_theta = tch::no_grad(|| {
            let theta = Tensor::cat(&self.sgd.params().iter().map(|p| p.reshape([-1])).collect::<Vec<_>>(), 0);
            let moment =
                Tensor::cat(&self.sgd.momentum_of_params().iter().map(|m| m.reshape([-1])).collect::<Vec<_>>(), 0)
                    * momentum;
            let dtheta =
                Tensor::cat(&dtheta.iter().map(|g| g.reshape([-1])).collect::<Vec<_>>(), 0) + &theta * weight_decay;
            &theta - (moment + dtheta) * lr
        });
        let (uvs, unet) = self.unrolled.as_ref().expect("darts-v2 keeps an unrolled copy");
        tch::no_grad(|| {
            // `deepcopy(network)` with the unrolled weights loaded.
            let source = self.vs.variables();
            for (name, var) in uvs.variables() {
                var.shallow_clone().copy_(&source[&name]);
            }
            let mut offset = 0;
            for p in SearchNetwork::weights(uvs) {
                let n = p.numel() as i64;
                p.shallow_clone().copy_(&unrolled_theta.narrow(0, offset, n).view(p.size().as_slice()));
                offset += n;
            }
        });
        let ualpha = unet.arch_parameters().expect("darts has arch_parameters").shallow_clone();
        let uloss = self.weighted_loss(unet, &ualpha, arch, &mut stats, true);
        let mut inputs = SearchNetwork::weights(uvs);
        inputs.push(ualpha);
        let mut grads = Tensor::run_backward(&[&uloss], &inputs, false, false);
        let dalpha = grads.pop().expect("the alpha gradient");
        let vector = grads;
        // The Hessian-vector product by finite differences at w ± R v, R = 0.01 / ‖v‖.
        let r =
            tch::no_grad(|| 0.01 / Tensor::cat(&vector.iter().map(|v| v.reshape([-1])).collect::<Vec<_>>(), 0).norm());
        let shift = |scale: f64| {
            tch::no_grad(|| {
                for (p, v) in self.sgd.params().iter().zip(&vector) {
                    let mut p = p.shallow_clone();
                    p += &r * scale * v;
                }
            })
        };
        let alpha_grad_at = |this: &Supernet| {
            let loss = this.weighted_loss(&this.net, &alpha, base, &mut StepStats::default(), false);
            Tensor::run_backward(&[&loss], &[&alpha], false, false).remove(0)
        };
        shift(1.0);
        let grad_plus = alpha_grad_at(self);
        shift(-2.0);
        let grad_minus = alpha_grad_at(self);
        shift(1.0);
        let implicit = tch::no_grad(|| (grad_plus - grad_minus) / (&r * 2.0));
        let dalpha = tch::no_grad(|| dalpha - implicit * lr);
        self.adam.as_mut().expect("darts has arch_parameters").step(std::slice::from_ref(&dalpha));
        self.stale_alpha_grad = Some(dalpha);
        let weights = self.weighted_weight_step(base);
        StepStats {
            base_loss: weights.base_loss,
            base_correct: weights.base_correct,
            base_images: weights.base_images,
            ..stats
        }
    }

    /// GDAS's step: weights on `base`, then the architecture on `arch`, each forward with its own Gumbel draw
    /// from `draw_exponentials` (`[6, 5]` Exp(1) draws; drawn again while a gumbel or probability is not finite).
    pub fn gdas_step(
        &mut self,
        base: &Batch,
        arch: &Batch,
        tau: f64,
        draw_exponentials: &mut dyn FnMut() -> Tensor,
    ) -> StepStats {
        let mut stats = StepStats::default();
        let alpha = self.alpha();
        let sample = |draw: &mut dyn FnMut() -> Tensor| loop {
            if let Some(sample) = GumbelSample::new(&alpha, &draw(), tau) {
                break sample;
            }
        };
        let s = sample(draw_exponentials);
        let logits = self.net.forward_t(&base.x, true, &CellMode::Gumbel(&s));
        let loss = logits.cross_entropy_for_logits(&base.y);
        record(&mut stats, &logits, &base.y, &loss, false);
        let mut grads = self.grads(&loss, true);
        let alpha_grad = grads.pop().expect("the alpha gradient");
        grads.push(self.accumulated_alpha_grad(alpha_grad));
        self.weight_step(grads);
        let s = sample(draw_exponentials);
        let logits = self.net.forward_t(&arch.x, true, &CellMode::Gumbel(&s));
        let loss = logits.cross_entropy_for_logits(&arch.y);
        record(&mut stats, &logits, &arch.y, &loss, true);
        let grad = Tensor::run_backward(&[&loss], &[&alpha], false, false).remove(0);
        self.adam.as_mut().expect("gdas has arch_parameters").step(std::slice::from_ref(&grad));
        self.stale_alpha_grad = Some(grad);
        stats
    }

    /// SETN's step: the weights of the uniformly drawn `path` on `base` (no clipping), then the architecture
    /// with softmax-weighted cells on `arch` (`network.zero_grad()` before each: nothing accumulates).
    pub fn setn_step(&mut self, base: &Batch, arch: &Batch, path: &Arch) -> StepStats {
        let mut stats = self.path_step(base, path);
        let alpha = self.alpha();
        let loss = self.weighted_loss(&self.net, &alpha, arch, &mut stats, true);
        let grad = Tensor::run_backward(&[&loss], &[&alpha], false, false).remove(0);
        self.adam.as_mut().expect("setn has arch_parameters").step(std::slice::from_ref(&grad));
        stats
    }

    /// The weight step of one path on `batch` (RSPS, ENAS's shared weights, SETN's first half): the ops off the
    /// path get no gradient and no update.
    pub fn path_step(&mut self, batch: &Batch, path: &Arch) -> StepStats {
        let mut stats = StepStats::default();
        let logits = self.net.forward_t(&batch.x, true, &CellMode::Path(path));
        let loss = logits.cross_entropy_for_logits(&batch.y);
        record(&mut stats, &logits, &batch.y, &loss, false);
        let grads = self.grads(&loss, false);
        self.weight_step(grads);
        stats
    }

    /// Top-1 accuracy, in percent, of `path` on `batch` in evaluation mode, without gradients.
    pub fn path_accuracy(&self, batch: &Batch, path: &Arch) -> f64 {
        tch::no_grad(|| {
            let logits = self.net.forward_t(&batch.x, false, &CellMode::Path(path));
            top1_percent(&logits, &batch.y)
        })
    }
}

/// `obtain_accuracy`'s top-1 of a batch, in percent (float32 arithmetic, as the reference's tensor).
pub fn top1_percent(logits: &Tensor, labels: &Tensor) -> f64 {
    let batch = labels.size()[0] as f32;
    let hits = correct(logits, labels).0 as f32;
    f64::from(hits * (100.0 / batch))
}

fn record(stats: &mut StepStats, logits: &Tensor, labels: &Tensor, loss: &Tensor, arch: bool) {
    let images = labels.size()[0] as usize;
    let hits = tch::no_grad(|| correct(logits, labels).0);
    let value = loss.double_value(&[]);
    if arch {
        (stats.arch_loss, stats.arch_correct, stats.arch_images) = (Some(value), hits, images);
    } else {
        (stats.base_loss, stats.base_correct, stats.base_images) = (value, hits, images);
    }
}
