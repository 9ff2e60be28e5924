//! The datasets as tensors: `nb102-data` reads them into plain pixels and labels, and each part becomes one
//! `uint8` tensor of shape (N, C, H, W) and one `int64` tensor of labels here, on the CPU.

use std::path::Path;

use nb102_data::RawImages;
use nb102_space::Dataset;
use tch::Tensor;

use crate::error::Result;

/// Images and labels of one part of a dataset, on the CPU.
#[derive(Debug)]
pub struct Images {
    /// `uint8`, (N, C, H, W).
    pub images: Tensor,
    /// `int64`, (N,).
    pub labels: Tensor,
}

impl Images {
    /// The tensors of images read by `nb102-data`.
    pub fn from_raw(raw: &RawImages) -> Images {
        let (n, c, side) = (raw.len() as i64, raw.channels as i64, raw.side as i64);
        Images {
            images: Tensor::from_slice(&raw.pixels).view([n, c, side, side]),
            labels: Tensor::from_slice(&raw.labels),
        }
    }

    /// The same on `device`. Loops move a dataset to the device once (as `uint8`: CIFAR's 50,000 images are
    /// 150 MB), so batches are gathered and augmented there, with no copy from the host per batch.
    pub fn to_device(&self, device: tch::Device) -> Images {
        Images { images: self.images.to_device(device), labels: self.labels.to_device(device) }
    }

    /// The images and labels at `indices`, gathered where they are.
    pub fn batch(&self, indices: &[i64]) -> (Tensor, Tensor) {
        let index = Tensor::from_slice(indices).to_device(self.images.device());
        (self.images.index_select(0, &index), self.labels.index_select(0, &index))
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.size()[0] as usize
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Images {
        let index = Tensor::from_slice(&indices.iter().map(|&i| i as i64).collect::<Vec<_>>());
        Images { images: self.images.index_select(0, &index), labels: self.labels.index_select(0, &index) }
    }

    /// The first `n` images (all if there are fewer).
    pub fn first(&self, n: usize) -> Images {
        let n = n.min(self.len()) as i64;
        Images { images: self.images.narrow(0, 0, n), labels: self.labels.narrow(0, 0, n) }
    }

    /// BLAKE3 of the pixels and labels, to record which data a run saw.
    pub fn fingerprint(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&bytes_of(&self.images));
        hasher.update(&bytes_of(&self.labels));
        hasher.finalize().to_hex().to_string()
    }
}

fn bytes_of(t: &Tensor) -> Vec<u8> {
    let t = t.contiguous();
    let mut out = vec![0u8; t.numel() * t.kind().elt_size_in_bytes()];
    t.copy_data_u8(&mut out, t.numel());
    out
}

/// The training and test parts of `dataset` under `dir` (`nb102_data::load`), as tensors.
///
/// # Errors
/// [`LoaderError::Dataset`](crate::LoaderError::Dataset) naming the missing, truncated or malformed file.
pub fn load(dataset: Dataset, dir: &Path) -> Result<(Images, Images)> {
    let (train, test) = nb102_data::load(dataset, dir)?;
    Ok((Images::from_raw(&train), Images::from_raw(&test)))
}

/// The official files' check of `nb102_data::check_official`: MD5s and sizes, a line each.
///
/// # Errors
/// [`LoaderError::Dataset`](crate::LoaderError::Dataset) naming the first file or count that differs.
pub fn check_official(dataset: Dataset, dir: &Path) -> Result<Vec<String>> {
    Ok(nb102_data::check_official(dataset, dir)?)
}
