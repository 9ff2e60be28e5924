//! The official files: their published MD5s and the official sizes of each dataset.

use std::path::Path;

use nb102_space::Dataset;

use crate::error::{bad, read, Result};
use crate::load;

/// The published MD5 of each file of the pickled layouts (torchvision's lists for CIFAR, spec 04 for ImageNet16).
/// Fashion-MNIST has none here: Debian's package recompresses the files, so their MD5s are not upstream's; its
/// contents are checked by their counts.
const OFFICIAL_MD5: [(&str, &str); 19] = [
    ("cifar-10-batches-py/data_batch_1", "c99cafc152244af753f735de768cd75f"),
    ("cifar-10-batches-py/data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
    ("cifar-10-batches-py/data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
    ("cifar-10-batches-py/data_batch_4", "634d18415352ddfa80567beed471001a"),
    ("cifar-10-batches-py/data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
    ("cifar-10-batches-py/test_batch", "40351d587109b95175f43aff81a1287e"),
    ("cifar-100-python/train", "16019d7e3df5f24257cddd939b257f8d"),
    ("cifar-100-python/test", "f0ef6b0ae62326f3e7ffdfab6717acfc"),
    ("ImageNet16/train_data_batch_1", "27846dcaa50de8e21a7d1a35f30f0e91"),
    ("ImageNet16/train_data_batch_2", "c7254a054e0e795c69120a5727050e3f"),
    ("ImageNet16/train_data_batch_3", "4333d3df2e5ffb114b05d2ffc19b1e87"),
    ("ImageNet16/train_data_batch_4", "1620cdf193304f4a92677b695d70d10f"),
    ("ImageNet16/train_data_batch_5", "348b3c2fdbb3940c4e9e834affd3b18d"),
    ("ImageNet16/train_data_batch_6", "6e765307c242a1b3d7d5ef9139b48945"),
    ("ImageNet16/train_data_batch_7", "564926d8cbf8fc4818ba23d2faac7564"),
    ("ImageNet16/train_data_batch_8", "f4755871f718ccb653440b9dd0ebac66"),
    ("ImageNet16/train_data_batch_9", "bb6dd660c38c58552125b1a92f86b5d4"),
    ("ImageNet16/train_data_batch_10", "8f03f34ac4b42271a294f91bf480f29b"),
    ("ImageNet16/val_data", "3410e3017fdaefba8d5073aaa65e4bd6"),
];

/// Checks the real files of `dataset` under `dir`: the MD5 of every file with a published one, then the numbers of
/// training and test images against the official sizes. Returns what was checked, a line each.
///
/// # Errors
/// [`DataError::Data`](crate::DataError::Data) naming the first file or count that differs; reading errors as
/// [`load`].
pub fn check_official(dataset: Dataset, dir: &Path) -> Result<Vec<String>> {
    use md5::{Digest, Md5};
    let prefix = match dataset {
        Dataset::Cifar10 => "cifar-10-batches-py/",
        Dataset::Cifar100 => "cifar-100-python/",
        Dataset::ImageNet16_120 => "ImageNet16/",
        Dataset::FashionMnist => "-",
    };
    let mut report = Vec::new();
    for (name, md5) in OFFICIAL_MD5.iter().filter(|(name, _)| name.starts_with(prefix)) {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let found: String = Md5::digest(read(&path)?).iter().map(|b| format!("{b:02x}")).collect();
        if found != *md5 {
            return Err(bad(&path, format!("md5 {md5} (the published file)"), format!("md5 {found}")));
        }
        report.push(format!("{name}: md5 {md5}, as published"));
    }
    let (train, test) = load(dataset, dir)?;
    let official = match dataset {
        Dataset::Cifar10 | Dataset::Cifar100 => (50_000, 10_000),
        Dataset::ImageNet16_120 => (151_700, 6_000),
        Dataset::FashionMnist => (60_000, 10_000),
    };
    if (train.len(), test.len()) != official {
        return Err(bad(
            dir,
            format!("the official {} training and {} test images of {dataset}", official.0, official.1),
            format!("{} and {}", train.len(), test.len()),
        ));
    }
    report.push(format!("{dataset}: {} training and {} test images, the official sizes", official.0, official.1));
    Ok(report)
}
