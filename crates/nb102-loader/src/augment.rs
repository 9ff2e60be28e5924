//! Augmentation and normalisation where the data lives (spec 03 §3.5): a random horizontal flip and a random
//! crop of the image padded with zeros, then `(x / 255 − mean) / std` per channel.
//!
//! The draws (flips and offsets) come from the caller's seeded generator, and one batch is one gather over the
//! padded images, so on CUDA the whole batch is augmented by a few kernels, and a CPU run is repeatable.

use nb102_space::Dataset;
use rand::Rng;
use tch::{Device, Kind, Tensor};

/// Per-channel mean and deviation (of pixels in 0..=1) and the crop padding of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalization {
    /// Channel means.
    pub mean: Vec<f64>,
    /// Channel standard deviations.
    pub std: Vec<f64>,
    /// Zero padding on each side before the random crop.
    pub pad: i64,
}

impl Normalization {
    /// The reference's values (xautodl `get_datasets`); for Fashion-MNIST, its usual mean and deviation (72.94 and
    /// 90.02 of 255) and the CIFAR padding.
    pub fn of(dataset: Dataset) -> Normalization {
        let (mean, std, pad): (&[f64], &[f64], i64) = match dataset {
            Dataset::Cifar10 => (&[125.3, 123.0, 113.9], &[63.0, 62.1, 66.7], 4),
            Dataset::Cifar100 => (&[129.3, 124.1, 112.4], &[68.2, 65.4, 70.4], 4),
            Dataset::ImageNet16_120 => (&[122.68, 116.66, 104.01], &[63.22, 61.26, 65.09], 2),
            Dataset::FashionMnist => (&[72.94], &[90.02], 4),
        };
        Normalization {
            mean: mean.iter().map(|m| m / 255.0).collect(),
            std: std.iter().map(|s| s / 255.0).collect(),
            pad,
        }
    }
}

/// Normalises and augments batches on one device.
#[derive(Debug)]
pub struct Augmenter {
    mean: Tensor,
    std: Tensor,
    pad: i64,
    device: Device,
}

/// The random choices of one training batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Draws {
    /// Whether each image is flipped.
    pub flips: Vec<bool>,
    /// Each image's crop offset (row, column) into the padded image, in `0..=2·pad`.
    pub offsets: Vec<(i64, i64)>,
}

impl Draws {
    /// Draws for `n` images.
    pub fn new(rng: &mut impl Rng, n: usize, pad: i64) -> Draws {
        let flips = (0..n).map(|_| rng.random_bool(0.5)).collect();
        let offsets = (0..n).map(|_| (rng.random_range(0..=2 * pad), rng.random_range(0..=2 * pad))).collect();
        Draws { flips, offsets }
    }
}

impl Augmenter {
    /// For `normalization`, producing batches on `device`.
    pub fn new(normalization: &Normalization, device: Device) -> Augmenter {
        let column = |v: &[f64]| Tensor::from_slice(v).to_kind(Kind::Float).view([1, -1, 1, 1]).to_device(device);
        Augmenter { mean: column(&normalization.mean), std: column(&normalization.std), pad: normalization.pad, device }
    }

    /// The crop padding.
    pub fn pad(&self) -> i64 {
        self.pad
    }

    /// A test-time batch: `uint8` (B, C, H, W) to normalised floats on the device.
    pub fn eval_batch(&self, images: &Tensor) -> Tensor {
        self.normalize(&images.to_device(self.device))
    }

    /// A training batch: each image flipped and cropped as `draws` say, then normalised.
    pub fn train_batch(&self, images: &Tensor, draws: &Draws) -> Tensor {
        let images = images.to_device(self.device);
        let [b, c, h, w] = <[i64; 4]>::try_from(images.size()).expect("a batch is (B, C, H, W)");
        let p = self.pad;
        let (hp, wp) = (h + 2 * p, w + 2 * p);
        let padded = images.constant_pad_nd([p, p, p, p]);
        // For every output pixel, its position in the padded image: the crop's offset plus the (possibly
        // mirrored) column. Built on the device from the 3·B draws.
        let on_device = |v: Vec<i64>| Tensor::from_slice(&v).to_device(self.device).view([b, 1, 1]);
        let oy = on_device(draws.offsets.iter().map(|o| o.0).collect());
        let ox = on_device(draws.offsets.iter().map(|o| o.1).collect());
        let flip = on_device(draws.flips.iter().map(|&f| i64::from(f)).collect()).eq(1);
        let options = (Kind::Int64, self.device);
        let rows = Tensor::arange(h, options).view([1, h, 1]);
        let cols = Tensor::arange(w, options).view([1, 1, w]);
        let col = cols.flip([2]).where_self(&flip, &cols);
        let index = ((oy + rows) * wp + ox + col).view([b, 1, h * w]).expand([b, c, h * w], false);
        let cropped = padded.view([b, c, hp * wp]).gather(2, &index, false).view([b, c, h, w]);
        self.normalize(&cropped)
    }

    fn normalize(&self, images: &Tensor) -> Tensor {
        (images.to_kind(Kind::Float) / 255.0 - &self.mean) / &self.std
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Crops and flips against the definition: pad with zeros, then take the window at the offset, mirrored.
    #[test]
    fn crops_and_flips_are_windows_of_the_padded_image() {
        let unit = Normalization { mean: vec![0.0, 0.0], std: vec![1.0 / 255.0, 1.0 / 255.0], pad: 1 };
        let augmenter = Augmenter::new(&unit, Device::Cpu);
        // Two images of two channels, 3x3: pixel value 100·image + 10·channel + 3·row + column.
        let pixels: Vec<u8> = (0..2u8)
            .flat_map(|n| (0..2u8).flat_map(move |c| (0..9u8).map(move |k| 100 * n + 10 * c + 3 * (k / 3) + k % 3)))
            .collect();
        let images = Tensor::from_slice(&pixels).view([2, 2, 3, 3]);
        let draws = Draws { flips: vec![false, true], offsets: vec![(0, 0), (2, 1)] };
        let out = augmenter.train_batch(&images, &draws);
        let value = |n: i64, c: i64, y: i64, x: i64| out.double_value(&[n, c, y, x]).round() as i64;
        let padded = |n: i64, c: i64, y: i64, x: i64| -> i64 {
            let (y, x) = (y - 1, x - 1);
            if (0..3).contains(&y) && (0..3).contains(&x) {
                100 * n + 10 * c + 3 * y + x
            } else {
                0
            }
        };
        for c in 0..2 {
            for y in 0..3 {
                for x in 0..3 {
                    assert_eq!(value(0, c, y, x), padded(0, c, y, x), "image 0 ({c}, {y}, {x})");
                    assert_eq!(value(1, c, y, x), padded(1, c, 2 + y, 1 + (2 - x)), "image 1 ({c}, {y}, {x})");
                }
            }
        }
        // Evaluation batches are only normalised.
        assert_eq!(augmenter.eval_batch(&images).double_value(&[1, 1, 2, 2]).round() as i64, 100 + 10 + 6 + 2);
    }
}
