//! RSPS, random search with parameter sharing (`RANDOM-NAS.py`): one uniformly random path per weight step;
//! the epoch's cell is the best of `select_num` random cells, each scored on the next batch of a new pass.

use nb102_space::Arch;

use super::{eval_accuracy, first_best, valid_pass, Chosen, Epoch, Strategy};
use crate::data::Passes;

pub(super) struct Rsps;

impl Strategy for Rsps {
    fn epoch(&mut self, e: Epoch<'_>) -> Chosen {
        let Epoch { run, supernet, data, rng, step, .. } = e;
        let steps = data.search_epoch(rng, run.batch_size);
        let n = steps.len();
        for (i, (base, _)) in steps.iter().enumerate() {
            let path = Arch::random(rng);
            let batch = data.train_batch(&data.base, base, rng);
            step(supernet.path_step(&batch, &path), i + 1, n);
        }
        let valid = valid_pass(supernet, data, run.test_batch_size, rng, false, &mut |rng| Arch::random(rng));
        // `search_find_best`: random cells, each scored on the next batch of a new pass.
        let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
        let (arch, accuracy) = first_best((0..run.select_num).map(|_| {
            let arch = Arch::random(rng);
            (arch, eval_accuracy(supernet, data, &mut passes, rng, &arch))
        }));
        Chosen { arch, selection_top1: Some(accuracy), valid_top1: Some(valid) }
    }
}
