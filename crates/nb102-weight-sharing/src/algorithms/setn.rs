//! SETN (`SETN.py`): a uniformly random path per weight step and a softmax architecture step; the epoch's cell
//! is the best of the `select_num` most probable cells, each scored on the next batch of a new pass.

use nb102_space::{Arch, Op, NUM_ARCHS};
use tch::{Device, Kind, Tensor};

use super::{eval_accuracy, first_best, valid_pass, Chosen, Epoch, Strategy};
use crate::data::Passes;

pub(super) struct Setn;

impl Strategy for Setn {
    fn epoch(&mut self, e: Epoch<'_>) -> Chosen {
        let Epoch { run, supernet, data, rng, step, .. } = e;
        let steps = data.search_epoch(rng, run.batch_size);
        let n = steps.len();
        for (i, (base, arch)) in steps.iter().enumerate() {
            let path = Arch::random(rng);
            let base = data.train_batch(&data.base, base, rng);
            let arch = data.train_batch(&data.valid, arch, rng);
            step(supernet.setn_step(&base, &arch, &path), i + 1, n);
        }
        let alpha = supernet.net.arch_parameters().expect("setn has arch_parameters").detach();
        // `get_best_arch`: the top cells, each scored on the next batch of a new pass.
        let mut passes = Passes::new(data.valid.len(), run.test_batch_size);
        let (arch, accuracy) = first_best(
            top_k(&alpha, run.select_num)
                .into_iter()
                .map(|arch| (arch, eval_accuracy(supernet, data, &mut passes, rng, &arch))),
        );
        let valid = valid_pass(supernet, data, run.test_batch_size, rng, false, &mut |_| arch);
        Chosen { arch, selection_top1: Some(accuracy), valid_top1: Some(valid) }
    }
}

/// SETN's `return_topK`: every cell in `gen_all` order scored by `Σ_e log_softmax(α)[e, op_e]` (float32, summed in
/// edge order), sorted by descending score (stable), the first `k`.
pub fn top_k(alpha: &Tensor, k: usize) -> Vec<Arch> {
    let log_probs: Vec<f32> =
        Vec::<f32>::try_from(&alpha.log_softmax(-1, Kind::Float).to_device(Device::Cpu).view([-1]))
            .expect("30 log-probabilities");
    let mut scored: Vec<(f32, Arch)> = (0..NUM_ARCHS)
        .map(|i| {
            let arch = Arch::from_enumeration_index(i).expect("in range");
            let score =
                arch.ops().iter().enumerate().fold(0f32, |s, (e, op)| s + log_probs[e * Op::COUNT + op.index()]);
            (score, arch)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(k).map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_cells_by_log_probability() {
        // All-zero alphas: every cell scores the same, and the stable sort keeps gen_all order.
        let zeros = Tensor::zeros([6, 5], (Kind::Float, Device::Cpu));
        let first = top_k(&zeros, 3);
        assert_eq!(first.iter().map(Arch::enumeration_index).collect::<Vec<_>>(), [0, 1, 2]);
        // One edge prefers op 3: the best cells have it there.
        let mut alpha = vec![0f32; 30];
        alpha[3] = 5.0;
        let best = top_k(&Tensor::from_slice(&alpha).view([6, 5]), 10);
        assert!(best.iter().all(|a| a.ops()[0] == Op::NorConv3x3));
        assert_eq!(best[0].enumeration_index(), 3 * 5usize.pow(5));
    }
}
