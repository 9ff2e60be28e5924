//! The readers of each layout, into [`RawImages`].

use std::path::{Path, PathBuf};

use nb102_space::Dataset;
use nb102_store::pickle::{unpickle, PyValue};

use crate::error::{bad, read, DataError, Result};
use crate::RawImages;

/// The training and test parts of `dataset` under `dir`.
///
/// # Errors
/// [`DataError::Data`] naming the missing, truncated or malformed file; [`DataError::Io`].
pub fn load(dataset: Dataset, dir: &Path) -> Result<(RawImages, RawImages)> {
    match dataset {
        Dataset::Cifar10 => cifar(dir, "cifar-10-batches-py", "cifar-10-batches-bin", 10),
        Dataset::Cifar100 => cifar(dir, "cifar-100-python", "cifar-100-binary", 100),
        Dataset::ImageNet16_120 => imagenet16(&dir.join("ImageNet16")),
        Dataset::FashionMnist => fashion_mnist(dir),
    }
}

/// Images from channel-planar rows of `c`×`side`×`side` bytes.
fn images(path: &Path, pixels: Vec<u8>, labels: Vec<i64>, c: usize, side: usize) -> Result<RawImages> {
    let n = labels.len();
    if pixels.len() != n * c * side * side {
        return Err(bad(path, format!("{n} rows of {} pixels", c * side * side), format!("{} bytes", pixels.len())));
    }
    Ok(RawImages { pixels, labels, channels: c, side })
}

fn cifar(dir: &Path, python: &str, binary: &str, classes: usize) -> Result<(RawImages, RawImages)> {
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
    let part = |path: &Path| -> Result<RawImages> {
        if py.is_dir() {
            pickled_batch(path, label_key, 32, classes)
        } else {
            cifar_binary(path, if classes == 10 { 1 } else { 2 }, classes)
        }
    };
    let train = train.iter().map(|p| part(p)).collect::<Result<Vec<_>>>()?;
    Ok((RawImages::concat(train), part(&test)?))
}

/// A CIFAR binary file: rows of `label_bytes` label bytes (the last one is the class) and 3,072 pixels.
fn cifar_binary(path: &Path, label_bytes: usize, classes: usize) -> Result<RawImages> {
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
fn pickled_batch(path: &Path, label_key: &str, side: usize, classes: usize) -> Result<RawImages> {
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

fn imagenet16(dir: &Path) -> Result<(RawImages, RawImages)> {
    if !dir.is_dir() {
        return Err(bad(dir, "the ImageNet16 folder (train_data_batch_1..10, val_data)", "none"));
    }
    let part = |name: String| -> Result<RawImages> {
        let path = dir.join(name);
        // Labels are 1..1000; the 120-class variant keeps 1..=120 as 0..119 (spec 04 §4.2).
        let all = pickled_batch(&path, "labels", 16, 1001)?;
        let keep: Vec<usize> =
            all.labels.iter().enumerate().filter(|(_, &l)| (1..=120).contains(&l)).map(|(i, _)| i).collect();
        let mut kept = all.select(&keep);
        kept.labels.iter_mut().for_each(|l| *l -= 1);
        Ok(kept)
    };
    let train = (1..=10).map(|i| part(format!("train_data_batch_{i}"))).collect::<Result<Vec<_>>>()?;
    Ok((RawImages::concat(train), part("val_data".into())?))
}

fn fashion_mnist(dir: &Path) -> Result<(RawImages, RawImages)> {
    let base = if dir.join("train-images-idx3-ubyte.gz").exists() || dir.join("train-images-idx3-ubyte").exists() {
        dir.to_owned()
    } else {
        dir.join("fashion-mnist")
    };
    let part = |prefix: &str| -> Result<RawImages> {
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
        let file = std::fs::File::open(&gz).map_err(|error| DataError::Io { path: gz.clone(), error })?;
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
