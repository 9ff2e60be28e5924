//! An epoch's seeded order and its training batches, shared by every loop over a dataset (the training protocol,
//! the weight-sharing searches) and by the zero-cost proxies' batch.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::Tensor;

use crate::augment::{Augmenter, Draws, Normalization};
use crate::images::Images;

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

/// The first training batch (at most `batch_size` images) of epoch 0 of a run seeded with `seed` that trains on
/// `train`, exactly as the training protocol draws it: the zero-cost proxies' batch (the reference's
/// `dataload='random'`, the first batch of a shuffled training loader with the training transforms).
pub fn first_batch(
    train: &Images,
    normalization: &Normalization,
    seed: u32,
    batch_size: usize,
    device: tch::Device,
) -> (Tensor, Tensor) {
    let augmenter = Augmenter::new(normalization, device);
    let mut rng = epoch_rng(seed, 0);
    let order = shuffled(train.len(), &mut rng);
    let indices = &order[..batch_size.min(order.len())];
    augmented_batch(&train.to_device(device), &augmenter, indices, &mut rng)
}
