//! The benchmark's datasets on libtorch: the images of `nb102-data` as tensors ([`images`]), the official settings
//! and their splits ([`setting`]), augmentation and normalisation on the device ([`augment`]), and an epoch's seeded
//! order and training batches ([`batches`]). The training protocol, the weight-sharing searches and the zero-cost
//! proxies (`nb102-model proxies --data-dir`) draw their batches here, so one seed gives one batch in all of them.
//!
//! ```no_run
//! use nb102_store::Setting;
//!
//! let data = nb102_loader::SettingData::load(Setting::FashionMnist, "/usr/share/datasets/fashion-mnist".as_ref(), None)?;
//! // The first training batch of a run seeded with 777: 64 cropped, flipped and normalised images and their labels.
//! let (x, y) = nb102_loader::batches::first_batch(&data.train, &data.normalization(), 777, 64, tch::Device::Cpu);
//! assert_eq!(x.size(), [64, 1, 28, 28]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod augment;
pub mod batches;
mod error;
pub mod images;
pub mod setting;

pub use augment::{Augmenter, Draws, Normalization};
pub use error::{LoaderError, Result};
pub use images::Images;
pub use setting::SettingData;
