//! GDAS (`GDAS.py`): one op per edge sampled by the Gumbel-softmax at the epoch's temperature, a weight step and
//! an architecture step on it; the epoch's cell is the argmax of the architecture parameters (no valid pass).

use nb102_space::{Op, NUM_EDGES};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tch::Tensor;

use super::{Chosen, Epoch, Strategy};

pub(super) struct Gdas;

impl Strategy for Gdas {
    fn epoch(&mut self, e: Epoch<'_>) -> Chosen {
        let Epoch { run, epoch, supernet, data, rng, step } = e;
        let tau = run.tau_at(epoch);
        let steps = data.search_epoch(rng, run.batch_size);
        let n = steps.len();
        for (i, (base, arch)) in steps.iter().enumerate() {
            let base = data.train_batch(&data.base, base, rng);
            let arch = data.train_batch(&data.valid, arch, rng);
            step(supernet.gdas_step(&base, &arch, tau, &mut || exponentials(rng)), i + 1, n);
        }
        let arch = supernet.net.genotype().expect("gdas has arch_parameters");
        Chosen { arch, selection_top1: None, valid_top1: None }
    }
}

/// `[6, 5]` Exp(1) draws for GDAS (`−ln(1 − u)`).
fn exponentials(rng: &mut ChaCha8Rng) -> Tensor {
    let draws: Vec<f32> = (0..NUM_EDGES * Op::COUNT).map(|_| -(1.0 - rng.random::<f64>()).ln() as f32).collect();
    Tensor::from_slice(&draws).view([NUM_EDGES as i64, Op::COUNT as i64])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponentials_are_nonnegative_draws_of_every_edge_and_op() {
        let mut rng = nb102_loader::batches::epoch_rng(1, 0);
        let e = exponentials(&mut rng);
        assert_eq!(e.size(), [6, 5]);
        assert!(e.min().double_value(&[]) >= 0.0);
        assert!((e.mean(tch::Kind::Float).double_value(&[]) - 1.0).abs() < 0.5);
        assert_eq!(nb102_model::argmax_arch(&(-e)).ops().len(), 6);
    }
}
