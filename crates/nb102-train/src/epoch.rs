//! The pieces of an epoch that every loop over a dataset shares (the training protocol, the searches): the
//! seeded generator of an epoch and its order, top-1/top-5 counts and an evaluation pass.

use std::time::Instant;

use nb102_store::EvalPoint;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Kind, Tensor};

use crate::augment::{Augmenter, Draws};
use crate::data::Images;
use crate::setting::SettingData;

/// The generator of epoch `epoch` of a run seeded with `seed`: ChaCha8 seeded with the seed, stream `epoch + 1`.
/// No state to save: a run resumed at an epoch draws what the uninterrupted run drew.
pub fn epoch_rng(seed: u32, epoch: u16) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from(seed));
    rng.set_stream(u64::from(epoch) + 1);
    rng
}

/// `0..n` shuffled by `rng`: the order of an epoch's images.
pub fn shuffled(n: usize, rng: &mut ChaCha8Rng) -> Vec<i64> {
    let mut order: Vec<i64> = (0..n as i64).collect();
    order.shuffle(rng);
    order
}

/// One training batch as the training loop draws it: the images at `indices` (of the epoch's order), cropped and
/// flipped by draws from `rng`, normalised; and their labels.
pub fn augmented_batch(
    data: &Images,
    augmenter: &Augmenter,
    indices: &[i64],
    rng: &mut ChaCha8Rng,
) -> (Tensor, Tensor) {
    let (images, labels) = data.batch(indices);
    let draws = Draws::new(rng, indices.len(), augmenter.pad());
    (augmenter.train_batch(&images, &draws), labels)
}

/// The first training batch (at most `batch_size` images) of epoch 0 of a run seeded with `seed` on `data`,
/// exactly as [`crate::train`] draws it: the zero-cost proxies' batch (the reference's `dataload='random'`, the first
/// batch of a shuffled training loader with the training transforms).
pub fn first_batch(data: &SettingData, seed: u32, batch_size: usize, device: tch::Device) -> (Tensor, Tensor) {
    let augmenter = Augmenter::new(&data.normalization(), device);
    let mut rng = epoch_rng(seed, 0);
    let order = shuffled(data.train.len(), &mut rng);
    let indices = &order[..batch_size.min(order.len())];
    augmented_batch(&data.train.to_device(device), &augmenter, indices, &mut rng)
}

/// Correct top-1 and top-5 predictions of a batch.
pub fn correct(logits: &Tensor, labels: &Tensor) -> (i64, i64) {
    let k = logits.size()[1].min(5);
    let (_, predicted) = logits.topk(k, 1, true, true);
    let hits = predicted.eq_tensor(&labels.unsqueeze(1)).to_kind(Kind::Int64);
    (hits.narrow(1, 0, 1).sum(Kind::Int64).int64_value(&[]), hits.sum(Kind::Int64).int64_value(&[]))
}

/// One evaluation pass over `data` in batches of `batch_size`, without gradients: mean loss, top-1 accuracy
/// and wall time, for `epoch`. `forward` gives a batch's logits.
pub fn evaluate(
    forward: &mut dyn FnMut(&Tensor) -> Tensor,
    augmenter: &Augmenter,
    data: &Images,
    batch_size: usize,
    epoch: u16,
) -> EvalPoint {
    let start = Instant::now();
    let (mut loss_sum, mut top1, n) = (0.0, 0i64, data.len());
    tch::no_grad(|| {
        for first in (0..n).step_by(batch_size) {
            let len = batch_size.min(n - first) as i64;
            let x = augmenter.eval_batch(&data.images.narrow(0, first as i64, len));
            let labels = data.labels.narrow(0, first as i64, len);
            let logits = forward(&x);
            loss_sum += logits.cross_entropy_for_logits(&labels).double_value(&[]) * len as f64;
            top1 += correct(&logits, &labels).0;
        }
    });
    let n = n.max(1) as f64;
    EvalPoint {
        epoch,
        loss: Some(loss_sum / n),
        accuracy: Some(100.0 * top1 as f64 / n),
        time: Some(start.elapsed().as_secs_f64()),
    }
}
