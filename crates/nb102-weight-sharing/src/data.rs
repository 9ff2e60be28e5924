//! The search data pipeline (spec 08 §8.2, xautodl's `get_nas_search_loaders`) over a setting's two halves: the
//! training half trains the weights, the `x-valid` half the architecture.
//!
//! - The search loader (DARTS, GDAS, SETN, RSPS): every image of the training half once per epoch in a shuffled
//!   order, each paired with a uniformly drawn image of the valid half (`SearchDataset`); both augmented.
//! - A valid loader: the valid half in batches, reshuffled each time a pass starts (`SubsetRandomSampler`), with
//!   the test transform, or, for ENAS, the training transform.
//!
//! Every draw comes from the caller's generator (an epoch's ChaCha8 stream), so a search is repeatable and a
//! resumed one draws what the uninterrupted one drew.

use nb102_loader::augment::{Augmenter, Draws};
use nb102_loader::batches::shuffled;
use nb102_loader::Images;
use nb102_loader::SettingData;
use nb102_store::{EvalSet, Setting};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Tensor};

use crate::error::{Result, SearchError};

/// A batch: normalised (and possibly augmented) images on the device, and their labels.
#[derive(Debug)]
pub struct Batch {
    /// `[b, c, h, w]`, float.
    pub x: Tensor,
    /// `[b]`, int64.
    pub y: Tensor,
}

/// The two halves of a setting on the device.
#[derive(Debug)]
pub struct SearchData {
    /// The training half.
    pub base: Images,
    /// The `x-valid` half.
    pub valid: Images,
    augmenter: Augmenter,
}

impl SearchData {
    /// The halves of `data` on `device`.
    ///
    /// # Errors
    /// [`ProtocolError::Config`](nb102_protocol::ProtocolError::Config) for a setting without an `x-valid` half of
    /// the training images.
    pub fn new(data: &SettingData, device: Device) -> Result<SearchData> {
        if !matches!(data.setting, Setting::Cifar10Valid | Setting::FashionMnist) {
            return Err(SearchError::Protocol(nb102_protocol::ProtocolError::Config {
                what: "setting",
                expected: "cifar10-valid or fashion-mnist (a training set split into train and valid halves)".into(),
                found: data.setting.to_string(),
            }));
        }
        let valid = data.eval.get(&EvalSet::XValid).expect("both settings have an x-valid half");
        Ok(SearchData {
            base: data.train.to_device(device),
            valid: valid.to_device(device),
            augmenter: Augmenter::new(&data.normalization(), device),
        })
    }

    /// One epoch of the search loader: per batch, the training-half indices and their valid-half partners.
    pub fn search_epoch(&self, rng: &mut ChaCha8Rng, batch_size: usize) -> Vec<(Vec<i64>, Vec<i64>)> {
        let order = shuffled(self.base.len(), rng);
        let valid = self.valid.len() as i64;
        // `SearchDataset.__getitem__` draws the partner of each item as the loader reads it, in order.
        let partners: Vec<i64> = order.iter().map(|_| rng.random_range(0..valid)).collect();
        order.chunks(batch_size).zip(partners.chunks(batch_size)).map(|(b, a)| (b.to_vec(), a.to_vec())).collect()
    }

    /// Images of `set` at `indices`, augmented with draws from `rng`.
    pub fn train_batch(&self, set: &Images, indices: &[i64], rng: &mut ChaCha8Rng) -> Batch {
        let (images, y) = set.batch(indices);
        let draws = Draws::new(rng, indices.len(), self.augmenter.pad());
        Batch { x: self.augmenter.train_batch(&images, &draws), y }
    }

    /// Images of `set` at `indices` with the test transform.
    pub fn eval_batch(&self, set: &Images, indices: &[i64]) -> Batch {
        let (images, y) = set.batch(indices);
        Batch { x: self.augmenter.eval_batch(&images), y }
    }

    /// The normalisation and augmentation.
    pub fn augmenter(&self) -> &Augmenter {
        &self.augmenter
    }
}

/// Batches of `n` images in passes, each pass reshuffled: what iterating over a shuffled `DataLoader` again and
/// again yields (the last batch of a pass may be short).
#[derive(Debug)]
pub struct Passes {
    n: usize,
    batch_size: usize,
    order: Vec<i64>,
    position: usize,
}

impl Passes {
    /// Over `n` images in batches of `batch_size`; the first pass starts on the first [`Passes::next_batch`].
    pub fn new(n: usize, batch_size: usize) -> Passes {
        Passes { n, batch_size, order: Vec::new(), position: 0 }
    }

    /// The next batch's indices, starting a new pass (`iter(loader)`) when one ends.
    pub fn next_batch(&mut self, rng: &mut ChaCha8Rng) -> Vec<i64> {
        if self.position >= self.order.len() {
            self.order = shuffled(self.n, rng);
            self.position = 0;
        }
        let end = (self.position + self.batch_size).min(self.order.len());
        let batch = self.order[self.position..end].to_vec();
        self.position = end;
        batch
    }
}
