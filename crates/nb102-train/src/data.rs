//! The datasets, each read once into one `uint8` tensor of shape (N, C, H, W) and one `int64` tensor of labels.
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

use std::path::{Path, PathBuf};

use nb102_model::Dataset;
use nb102_store::pickle::{unpickle, PyValue};
use tch::{Kind, Tensor};

use crate::error::{io, Result, TrainError};

/// Images and labels of one part of a dataset, on the CPU.
#[derive(Debug)]
pub struct Images {
    /// `uint8`, (N, C, H, W).
    pub images: Tensor,
    /// `int64`, (N,).
    pub labels: Tensor,
}

impl Images {
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

/// The training and test parts of `dataset` under `dir`.
///
/// # Errors
/// [`TrainError::Data`] naming the missing, truncated or malformed file.
pub fn load(dataset: Dataset, dir: &Path) -> Result<(Images, Images)> {
    match dataset {
        Dataset::Cifar10 => cifar(dir, "cifar-10-batches-py", "cifar-10-batches-bin", 10),
        Dataset::Cifar100 => cifar(dir, "cifar-100-python", "cifar-100-binary", 100),
        Dataset::ImageNet16_120 => imagenet16(&dir.join("ImageNet16")),
        Dataset::FashionMnist => fashion_mnist(dir),
    }
}

fn bad(path: &Path, expected: impl Into<String>, found: impl Into<String>) -> TrainError {
    TrainError::Data { path: path.to_owned(), expected: expected.into(), found: found.into() }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io(path))
}

/// Images from channel-planar rows of `c`×`side`×`side` bytes.
fn images(path: &Path, pixels: Vec<u8>, labels: Vec<i64>, c: i64, side: i64) -> Result<Images> {
    let n = labels.len() as i64;
    if pixels.len() as i64 != n * c * side * side {
        return Err(bad(path, format!("{n} rows of {} pixels", c * side * side), format!("{} bytes", pixels.len())));
    }
    Ok(Images {
        images: Tensor::from_slice(&pixels).view([n, c, side, side]),
        labels: Tensor::from_slice(&labels).to_kind(Kind::Int64),
    })
}

fn concat(parts: Vec<Images>) -> Images {
    let images: Vec<&Tensor> = parts.iter().map(|p| &p.images).collect();
    let labels: Vec<&Tensor> = parts.iter().map(|p| &p.labels).collect();
    Images { images: Tensor::cat(&images, 0), labels: Tensor::cat(&labels, 0) }
}

fn cifar(dir: &Path, python: &str, binary: &str, classes: usize) -> Result<(Images, Images)> {
    let (py, bin) = (dir.join(python), dir.join(binary));
    let label_key = if classes == 10 { "labels" } else { "fine_labels" };
    let (train, test): (Vec<PathBuf>, PathBuf) = match (py.is_dir(), bin.is_dir(), classes) {
        (true, _, 10) => ((1..=5).map(|i| py.join(format!("data_batch_{i}"))).collect(), py.join("test_batch")),
        (true, _, _) => (vec![py.join("train")], py.join("test")),
        (false, true, 10) => {
            ((1..=5).map(|i| bin.join(format!("data_batch_{i}.bin"))).collect(), bin.join("test_batch.bin"))
        }
        (false, true, _) => (vec![bin.join("train.bin")], bin.join("test.bin")),
        (false, false, _) => {
            return Err(bad(dir, format!("a folder {python}/ or {binary}/"), "neither"));
        }
    };
    let part = |path: &Path| -> Result<Images> {
        if py.is_dir() {
            pickled_batch(path, label_key, 32, classes)
        } else {
            cifar_binary(path, if classes == 10 { 1 } else { 2 }, classes)
        }
    };
    let train = train.iter().map(|p| part(p)).collect::<Result<Vec<_>>>()?;
    Ok((concat(train), part(&test)?))
}

/// A CIFAR binary file: rows of `label_bytes` label bytes (the last one is the class) and 3,072 pixels.
fn cifar_binary(path: &Path, label_bytes: usize, classes: usize) -> Result<Images> {
    let bytes = read(path)?;
    let row = label_bytes + 3072;
    if bytes.is_empty() || bytes.len() % row != 0 {
        return Err(bad(path, format!("rows of {row} bytes"), format!("{} bytes", bytes.len())));
    }
    let (mut pixels, mut labels) = (Vec::with_capacity(bytes.len()), Vec::new());
    for r in bytes.chunks_exact(row) {
        let label = usize::from(r[label_bytes - 1]);
        if label >= classes {
            return Err(bad(path, format!("labels below {classes}"), format!("label {label}")));
        }
        labels.push(label as i64);
        pixels.extend_from_slice(&r[label_bytes..]);
    }
    images(path, pixels, labels, 3, 32)
}

/// A pickled batch (`{'data': uint8 array (N, C·side²), label_key: [ints]}`), Python 2 or 3.
fn pickled_batch(path: &Path, label_key: &str, side: i64, classes: usize) -> Result<Images> {
    let value = unpickle(&read(path)?).map_err(|e| bad(path, "a pickled batch", e.to_string()))?;
    let data = value.get("data").and_then(PyValue::ndarray);
    let data = data.ok_or_else(|| bad(path, "a numpy uint8 array under 'data'", "none"))?;
    if data.dtype != "u1" {
        return Err(bad(path, "a uint8 array", format!("dtype {}", data.dtype)));
    }
    let labels = match value.get(label_key) {
        Some(PyValue::List(items)) => items
            .iter()
            .map(|v| match v.value() {
                PyValue::Int(l) if (0..classes as i64).contains(l) => Ok(*l),
                PyValue::Int(l) => Err(bad(path, format!("labels 0..{classes}"), format!("label {l}"))),
                other => Err(bad(path, format!("labels 0..{classes}"), other.kind())),
            })
            .collect::<Result<Vec<i64>>>()?,
        _ => return Err(bad(path, format!("a list of labels under '{label_key}'"), "none")),
    };
    images(path, data.data.to_vec(), labels, 3, side)
}

fn imagenet16(dir: &Path) -> Result<(Images, Images)> {
    if !dir.is_dir() {
        return Err(bad(dir, "the ImageNet16 folder (train_data_batch_1..10, val_data)", "none"));
    }
    let part = |name: String| -> Result<Images> {
        let path = dir.join(name);
        // Labels are 1..1000; the 120-class variant keeps 1..=120 as 0..119 (spec 04 §4.2).
        let all = pickled_batch(&path, "labels", 16, 1001)?;
        let keep: Vec<usize> = Vec::<i64>::try_from(&all.labels)?
            .iter()
            .enumerate()
            .filter(|(_, &l)| (1..=120).contains(&l))
            .map(|(i, _)| i)
            .collect();
        let kept = all.select(&keep);
        Ok(Images { images: kept.images, labels: kept.labels - 1 })
    };
    let train = (1..=10).map(|i| part(format!("train_data_batch_{i}"))).collect::<Result<Vec<_>>>()?;
    Ok((concat(train), part("val_data".into())?))
}

fn fashion_mnist(dir: &Path) -> Result<(Images, Images)> {
    let base = if dir.join("train-images-idx3-ubyte.gz").exists() || dir.join("train-images-idx3-ubyte").exists() {
        dir.to_owned()
    } else {
        dir.join("fashion-mnist")
    };
    let part = |prefix: &str| -> Result<Images> {
        let (pixels, dims, path) = idx(&base, &format!("{prefix}-images-idx3-ubyte"), 3)?;
        let (labels, label_dims, label_path) = idx(&base, &format!("{prefix}-labels-idx1-ubyte"), 1)?;
        if dims[0] != label_dims[0] || dims[1] != 28 || dims[2] != 28 {
            return Err(bad(
                &path,
                format!("{} images of 28x28 (as {})", label_dims[0], label_path.display()),
                format!("{dims:?}"),
            ));
        }
        if let Some(l) = labels.iter().find(|&&l| l >= 10) {
            return Err(bad(&label_path, "labels 0..10", format!("label {l}")));
        }
        images(&path, pixels, labels.into_iter().map(i64::from).collect(), 1, 28)
    };
    Ok((part("train")?, part("t10k")?))
}

/// The most a gzipped IDX file may decompress to: Fashion-MNIST's largest is 47 MB.
const MAX_IDX_BYTES: u64 = 256 << 20;

/// An IDX file of unsigned bytes (`name` or `name.gz`): its data and dimensions.
fn idx(dir: &Path, name: &str, rank: usize) -> Result<(Vec<u8>, Vec<usize>, PathBuf)> {
    let gz = dir.join(format!("{name}.gz"));
    let (path, bytes) = if gz.exists() {
        let file = std::fs::File::open(&gz).map_err(io(&gz))?;
        let out = nb102_store::read_bounded(flate2::read::GzDecoder::new(file), MAX_IDX_BYTES)
            .map_err(|e| bad(&gz, "gzip data", e.to_string()))?;
        (gz, out)
    } else {
        let plain = dir.join(name);
        let bytes = read(&plain)?;
        (plain, bytes)
    };
    let header = 4 + 4 * rank;
    if bytes.len() < header || bytes[..3] != [0, 0, 8] || usize::from(bytes[3]) != rank {
        return Err(bad(&path, format!("an IDX file of unsigned bytes with {rank} dimension(s)"), "another header"));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize)
        .collect();
    let expected: usize = dims.iter().product();
    if bytes.len() - header != expected {
        return Err(bad(&path, format!("{expected} bytes of data for {dims:?}"), format!("{}", bytes.len() - header)));
    }
    Ok((bytes[header..].to_vec(), dims, path))
}

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
/// [`TrainError::Data`] naming the first file or count that differs; reading errors as [`load`].
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
