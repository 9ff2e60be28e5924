//! Seeded train/valid splits of a training set, the reference's way.
//!
//! `cifar-split.txt` (the `cifar10-valid` setting) was made by `random.seed(1021)`, a shuffle of
//! `range(50000)`, and the two halves sorted (`generate_meta_info`). The same recipe with another seed
//! or size splits other training sets (the Fashion-MNIST setting).

use crate::pyrandom::PyRandom;

/// Seed of the reference's CIFAR-10 train/valid split.
pub const CIFAR10_SPLIT_SEED: u64 = 1021;

/// Size of the CIFAR-10 training set that the split divides.
pub const CIFAR10_TRAIN_SIZE: usize = 50_000;

/// Two disjoint sorted index sets whose union is `0..n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainValidSplit {
    train: Vec<usize>,
    valid: Vec<usize>,
}

impl TrainValidSplit {
    /// Shuffles `0..n` with CPython's `random.seed(seed)`; the first `n / 2` (sorted) train, the rest (sorted) validate.
    pub fn seeded(n: usize, seed: u64) -> TrainValidSplit {
        let mut indices: Vec<usize> = (0..n).collect();
        PyRandom::new(seed).shuffle(&mut indices);
        let mut valid = indices.split_off(n / 2);
        let mut train = indices;
        train.sort_unstable();
        valid.sort_unstable();
        TrainValidSplit { train, valid }
    }

    /// The reference's CIFAR-10 split: 25,000 training and 25,000 validation images of the training set.
    pub fn cifar10() -> TrainValidSplit {
        TrainValidSplit::seeded(CIFAR10_TRAIN_SIZE, CIFAR10_SPLIT_SEED)
    }

    /// Indices of the training part, increasing.
    pub fn train(&self) -> &[usize] {
        &self.train
    }

    /// Indices of the validation part, increasing.
    pub fn valid(&self) -> &[usize] {
        &self.valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cifar10_split_passes_the_reference_asserts() {
        let split = TrainValidSplit::cifar10();
        assert_eq!((split.train().len(), split.valid().len()), (25_000, 25_000));
        // The asserts in generate_meta_info.
        assert_eq!((split.train()[10], split.train()[111]), (26, 203));
        assert_eq!((split.valid()[10], split.valid()[111]), (18, 242));
        let mut all: Vec<usize> = split.train().iter().chain(split.valid()).copied().collect();
        all.sort_unstable();
        assert!(all.iter().copied().eq(0..CIFAR10_TRAIN_SIZE));
    }

    #[test]
    fn odd_sizes_give_the_extra_item_to_valid() {
        let split = TrainValidSplit::seeded(7, 3);
        assert_eq!((split.train().len(), split.valid().len()), (3, 4));
    }
}
