//! ENAS's controller training (`train_controller`): REINFORCE with an entropy bonus and a moving baseline, the
//! gradients of `num_aggregate` samples summed before each clipped Adam step.

use nb102_model::{clip_grad_norm, Adam, AdamConfig, Controller, ControllerSample};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use crate::data::Batch;
use crate::supernet::Supernet;
use nb102_protocol::ControllerConfig;

/// The controller, its optimiser and the gradients summed since its last step.
#[derive(Debug)]
pub struct ControllerTrainer {
    /// The controller's variables (keys as xautodl's).
    pub vs: VarStore,
    /// The controller.
    pub controller: Controller,
    adam: Adam,
    pending: Option<Vec<Tensor>>,
    samples: usize,
    config: ControllerConfig,
}

/// What one controller sample gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControllerStep {
    /// The sampled cell's accuracy on the batch, in 0..=1.
    pub accuracy: f64,
    /// Its reward: accuracy plus the entropy bonus.
    pub reward: f64,
    /// The baseline it was compared with.
    pub baseline: f64,
}

impl ControllerTrainer {
    /// A controller drawn from libtorch's generator as it stands (the caller seeds it).
    pub fn new(device: Device, config: ControllerConfig) -> ControllerTrainer {
        let vs = VarStore::new(device);
        let controller = Controller::new(&vs.root());
        let adam_config = AdamConfig { lr: config.lr, betas: config.betas, eps: config.eps, weight_decay: 0.0 };
        let adam = Adam::new(sorted_params(&vs), adam_config);
        ControllerTrainer { vs, controller, adam, pending: None, samples: 0, config }
    }

    /// Starts an epoch's training: `controller.zero_grad()` drops what a partial aggregate left.
    pub fn start_epoch(&mut self) {
        self.pending = None;
        self.samples = 0;
    }

    /// The optimiser.
    pub fn adam(&mut self) -> &mut Adam {
        &mut self.adam
    }

    /// One sample of an epoch's controller training: the cell drawn by `choose`, scored (evaluation mode, no
    /// gradients) on `batch` by `supernet`; `−log p · (reward − baseline) / num_aggregate` back-propagated;
    /// every `num_aggregate` samples, the summed gradients clipped to 5 and an Adam step. `epoch_baseline` is
    /// the baseline the epoch started with (`None` in the first epoch).
    pub fn sample_step(
        &mut self,
        supernet: &Supernet,
        batch: &Batch,
        epoch_baseline: Option<f64>,
        choose: &mut dyn FnMut(&[f64]) -> usize,
    ) -> ControllerStep {
        let ControllerSample { log_prob, entropy, arch } = self.controller.sample(choose);
        let accuracy = (supernet.path_accuracy(batch, &arch) / 100.0) as f32;
        let accuracy_t = Tensor::from_slice(&[accuracy]).to_device(log_prob.device()).view([]);
        let reward = &accuracy_t + &entropy * self.config.entropy_weight;
        let baseline = match epoch_baseline {
            None => accuracy_t.shallow_clone(),
            // `B − (1 − decay) · (B − reward)`, in that order.
            Some(b) => -((-&reward + b) * (1.0 - self.config.baseline_decay)) + b,
        };
        let loss = -&log_prob * (&reward - &baseline) / self.config.num_aggregate as f64;
        let params = sorted_params(&self.vs);
        let grads = Tensor::run_backward(&[&loss], &params, false, false);
        let grads: Vec<Tensor> =
            grads.into_iter().zip(&params).map(|(g, p)| if g.defined() { g } else { p.zeros_like() }).collect();
        self.pending = Some(match self.pending.take() {
            None => grads,
            Some(sum) => sum.iter().zip(&grads).map(|(a, b)| a + b).collect(),
        });
        self.samples += 1;
        if self.samples % self.config.num_aggregate == 0 {
            let mut grads = self.pending.take().expect("gradients were summed");
            clip_grad_norm(&mut grads, 5.0);
            self.adam.step(&grads);
        }
        ControllerStep {
            accuracy: f64::from(accuracy),
            reward: reward.double_value(&[]),
            baseline: baseline.to_kind(Kind::Double).double_value(&[]),
        }
    }
}

/// The controller's parameters in the order of their names.
pub fn sorted_params(vs: &VarStore) -> Vec<Tensor> {
    nb102_model::state_dict(vs).into_iter().map(|(_, t)| t).collect()
}
