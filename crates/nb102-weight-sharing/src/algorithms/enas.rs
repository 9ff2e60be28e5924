//! ENAS (`ENAS.py`): per weight step a path sampled by the LSTM controller; then the controller trained by
//! REINFORCE on the valid half ([`ControllerTrainer`]); the epoch's cell is the best of `select_samples`
//! controller samples, each scored on the next batch of a new pass.

use std::collections::HashMap;
use std::path::Path;

use nb102_protocol::SearchRun;
use nb102_space::categorical;
use nb102_train::TrainError;
use tch::{Device, Tensor};

use super::{first_best, valid_pass, Chosen, Epoch, Strategy};
use crate::data::Passes;
use crate::enas::ControllerTrainer;
use crate::error::Result;

pub(super) struct Enas {
    controller: ControllerTrainer,
    /// The reward baseline (`None` before the first controller step).
    baseline: Option<f64>,
}

impl Enas {
    pub(super) fn new(run: &SearchRun, device: Device) -> Enas {
        Enas { controller: ControllerTrainer::new(device, run.controller), baseline: None }
    }
}

impl Strategy for Enas {
    fn epoch(&mut self, e: Epoch<'_>) -> Chosen {
        let Epoch { run, supernet, data, rng, step, .. } = e;
        let controller = &mut self.controller;
        // `train_shared_cnn`: per training batch, a cell sampled by the controller (no gradient), one path step.
        let order = nb102_loader::batches::shuffled(data.base.len(), rng);
        let batches: Vec<&[i64]> = order.chunks(run.batch_size).collect();
        let n = batches.len();
        for (i, indices) in batches.into_iter().enumerate() {
            let path = tch::no_grad(|| controller.controller.sample(&mut |p| categorical(p, rng)).arch);
            let batch = data.train_batch(&data.base, indices, rng);
            step(supernet.path_step(&batch, &path), i + 1, n);
        }
        // `train_controller`: every sample compared with the baseline the epoch started with.
        controller.start_epoch();
        let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
        let samples = run.controller.train_steps * run.controller.num_aggregate;
        let epoch_baseline = self.baseline;
        for _ in 0..samples {
            let indices = passes.next_batch(rng);
            let batch = data.train_batch(&data.valid, &indices, rng);
            let step = controller.sample_step(supernet, &batch, epoch_baseline, &mut |p| categorical(p, rng));
            self.baseline = Some(step.baseline);
        }
        // `get_best_arch`: controller samples, each scored on the next batch of a new pass.
        let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
        let (arch, accuracy) = first_best((0..run.controller.select_samples).map(|_| {
            let indices = passes.next_batch(rng);
            let batch = data.train_batch(&data.valid, &indices, rng);
            let arch = tch::no_grad(|| controller.controller.sample(&mut |p| categorical(p, rng)).arch);
            (arch, supernet.path_accuracy(&batch, &arch))
        }));
        let valid = valid_pass(supernet, data, run.test_batch_size, rng, true, &mut |_| arch);
        Chosen { arch, selection_top1: Some(accuracy), valid_top1: Some(valid) }
    }

    fn state(&mut self) -> Vec<(String, Tensor)> {
        let c = &mut self.controller;
        let mut named: Vec<(String, Tensor)> =
            c.vs.variables().into_iter().map(|(name, t)| (format!("controller.{name}"), t)).collect();
        named.extend(c.adam().state_tensors("controller_adam."));
        named
    }

    fn restore(&mut self, tensors: &HashMap<String, Tensor>, baseline: Option<f64>, path: &Path) -> Result<()> {
        let c = &mut self.controller;
        tch::no_grad(|| -> Result<()> {
            for (name, var) in c.vs.variables() {
                let saved = tensors.get(&format!("controller.{name}")).ok_or_else(|| TrainError::Checkpoint {
                    path: path.to_owned(),
                    expected: format!("the controller's {name}"),
                    found: "none".into(),
                })?;
                var.shallow_clone().copy_(saved);
            }
            Ok(())
        })?;
        c.adam().load_state("controller_adam.", tensors)?;
        self.baseline = baseline;
        Ok(())
    }

    fn baseline(&self) -> Option<f64> {
        self.baseline
    }
}
