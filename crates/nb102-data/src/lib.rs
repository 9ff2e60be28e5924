//! The benchmark's datasets read from their official files into plain pixels and labels ([`RawImages`]), with no
//! tensor library: what the training crate turns into tensors, and what the fuzz targets read without libtorch.
//! A dataset's facts that concern its files live here: layouts, label ranges, the 120-class filter of
//! ImageNet16, the published MD5s and the official sizes ([`check_official`]); its shape and classes are
//! `nb102_space::Dataset`'s.
//!
//! Layouts, under the data folder given:
//! - CIFAR-10: `cifar-10-batches-py/` (torchvision's: pickled `data_batch_1..5`, `test_batch`) or
//!   `cifar-10-batches-bin/` (`data_batch_1..5.bin`, `test_batch.bin`: rows of a label byte and 3,072 pixels);
//! - CIFAR-100: `cifar-100-python/` (`train`, `test`, labels `fine_labels`) or `cifar-100-binary/` (`train.bin`,
//!   `test.bin`: a coarse and a fine label byte, then 3,072 pixels);
//! - ImageNet16-120: `ImageNet16/` (`train_data_batch_1..10`, `val_data`: pickled rows of 768 pixels and labels
//!   1..1000), of which the classes 1..=120 are kept as 0..119 (spec 04);
//! - Fashion-MNIST: `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-*` (IDX, gzip or not), in
//!   the folder itself or in `fashion-mnist/`.
//!
//! Pixels are channel-planar rows (CIFAR's and ImageNet16's own order), so each row is already C×H×W.

mod error;
mod official;
mod read;

pub use error::{DataError, Result};
pub use official::check_official;
pub use read::load;

/// Images and labels of one part of a dataset: `pixels` holds `len()` rows of `channels`×`side`×`side` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawImages {
    /// The pixels, row after row, each channel-planar.
    pub pixels: Vec<u8>,
    /// One class per image.
    pub labels: Vec<i64>,
    /// Channels of an image.
    pub channels: usize,
    /// Height and width of an image.
    pub side: usize,
}

impl RawImages {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes of one image.
    pub fn row(&self) -> usize {
        self.channels * self.side * self.side
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> RawImages {
        let row = self.row();
        RawImages {
            pixels: indices.iter().flat_map(|&i| &self.pixels[i * row..(i + 1) * row]).copied().collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            ..*self
        }
    }

    /// The parts one after the other (all of one image shape).
    pub fn concat(parts: Vec<RawImages>) -> RawImages {
        let (channels, side) = parts.first().map_or((0, 0), |p| (p.channels, p.side));
        let mut all = RawImages { pixels: Vec::new(), labels: Vec::new(), channels, side };
        for part in parts {
            all.pixels.extend(part.pixels);
            all.labels.extend(part.labels);
        }
        all
    }
}
