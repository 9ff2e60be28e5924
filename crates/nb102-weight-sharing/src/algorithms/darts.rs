//! DARTS (`DARTS-V1.py`, `DARTS-V2.py`): a weight step on the softmax-weighted network, then an architecture
//! step, first order or unrolled (second order); the epoch's cell is the argmax of the architecture
//! parameters, and the weighted network is evaluated on the valid half.

use nb102_model::CellMode;
use tch::Kind;

use super::{Chosen, Epoch, Strategy};
use crate::data::SearchData;
use crate::supernet::Supernet;

pub(super) struct Darts {
    /// DARTS-V2's unrolled architecture gradient.
    pub(super) second_order: bool,
}

impl Strategy for Darts {
    fn epoch(&mut self, e: Epoch<'_>) -> Chosen {
        let Epoch { run, supernet, data, rng, step, .. } = e;
        let steps = data.search_epoch(rng, run.batch_size);
        let n = steps.len();
        for (i, (base, arch)) in steps.iter().enumerate() {
            let base = data.train_batch(&data.base, base, rng);
            let arch = data.train_batch(&data.valid, arch, rng);
            let stats = if self.second_order {
                supernet.darts_v2_step(&base, &arch)
            } else {
                supernet.darts_v1_step(&base, &arch)
            };
            step(stats, i + 1, n);
        }
        let arch = supernet.net.genotype().expect("darts has arch_parameters");
        let valid = weighted_valid_pass(supernet, data, run.test_batch_size);
        Chosen { arch, selection_top1: None, valid_top1: Some(valid) }
    }
}

/// DARTS's `valid_func`: the softmax-weighted network in evaluation mode over the valid half, in percent.
fn weighted_valid_pass(supernet: &Supernet, data: &SearchData, batch_size: usize) -> f64 {
    let alpha = supernet.net.arch_parameters().expect("darts has arch_parameters");
    let weights = tch::no_grad(|| alpha.softmax(-1, Kind::Float));
    let point = nb102_train::epoch::evaluate(
        &mut |x| supernet.net.forward_t(x, false, &CellMode::Weighted(&weights)),
        data.augmenter(),
        &data.valid,
        batch_size,
        0,
    );
    point.accuracy.unwrap_or(0.0)
}
