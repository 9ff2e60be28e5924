//! The benchmark's settings (spec 03 §3.3): what a run trains on and which sets it evaluates, from the
//! official split files (spec 03 §3.4).
//!
//! | setting | trains on | evaluation sets |
//! |---|---|---|
//! | `cifar10-valid` | CIFAR-10 train ∩ `cifar-split.txt` `train` | `x-valid`: train ∩ `valid`; `ori-test`: test |
//! | `cifar10` | CIFAR-10 train | `ori-test`: test |
//! | `cifar100` | CIFAR-100 train | `x-valid`, `x-test`: test ∩ `cifar100-test-split.txt`; `ori-test`: test |
//! | `ImageNet16-120` | train | `x-valid`, `x-test`: val ∩ `imagenet-16-120-test-split.txt`; `ori-test`: val |
//! | `fashion-mnist` | train ∩ a seeded half | `x-valid`: the other half; `ori-test`: test |
//!
//! Without a splits folder the CIFAR-10 split is regenerated from its seed (1021, identical to the file); the
//! CIFAR-100 and ImageNet16-120 test splits have no known generator and need the files. Fashion-MNIST's split
//! is nb102's own, made the way the CIFAR-10 one is: the training set shuffled with seed 1021, halved, each
//! half sorted.

use std::collections::BTreeMap;
use std::path::Path;

use nb102_space::Dataset;
use nb102_space::TrainValidSplit;
use nb102_store::{EvalSet, Setting};

use crate::augment::Normalization;
use crate::error::{bad, io, LoaderError, Result};
use crate::images::{load, Images};

/// The data of one setting: the training images and each evaluation set.
#[derive(Debug)]
pub struct SettingData {
    /// The setting.
    pub setting: Setting,
    /// The dataset its images come from.
    pub dataset: Dataset,
    /// What it trains on.
    pub train: Images,
    /// What it evaluates on.
    pub eval: BTreeMap<EvalSet, Images>,
}

impl SettingData {
    /// Loads `setting` from `data_dir`, with the split files of `splits_dir` when given.
    ///
    /// # Errors
    /// [`LoaderError::Dataset`] for missing or malformed data or split files; [`LoaderError::Config`] for a
    /// setting whose split file has no `splits_dir`.
    pub fn load(setting: Setting, data_dir: &Path, splits_dir: Option<&Path>) -> Result<SettingData> {
        let dataset = setting.dataset();
        let (train, test) = load(dataset, data_dir)?;
        let mut eval = BTreeMap::new();
        let train = match train_split(setting, train.len(), splits_dir)? {
            Some((train_part, valid)) => {
                eval.insert(EvalSet::XValid, train.select(&valid));
                train.select(&train_part)
            }
            None => train,
        };
        if matches!(setting, Setting::Cifar100 | Setting::ImageNet16_120) {
            let name =
                if setting == Setting::Cifar100 { "cifar100-test-split.txt" } else { "imagenet-16-120-test-split.txt" };
            let dir = splits_dir.ok_or_else(|| LoaderError::Config {
                what: "splits folder",
                expected: format!("--splits-dir holding {name} for {setting}"),
                found: "none".into(),
            })?;
            let mut file = read_split(&dir.join(name))?;
            let (valid, test_part) = (take(&mut file, "xvalid", dir)?, take(&mut file, "xtest", dir)?);
            check_range(&valid, &test_part, test.len(), name)?;
            eval.insert(EvalSet::XValid, test.select(&valid));
            eval.insert(EvalSet::XTest, test.select(&test_part));
        }
        eval.insert(EvalSet::OriTest, test);
        Ok(SettingData { setting, dataset, train, eval })
    }

    /// What `setting` trains on alone, read from `data_dir` (with the CIFAR-10 split of `splits_dir` when given):
    /// the images a batch of [`first_batch`](crate::batches::first_batch) comes from. Unlike [`SettingData::load`],
    /// CIFAR-100 and ImageNet16-120 need no split file, since their test splits divide the test images only.
    ///
    /// # Errors
    /// [`LoaderError::Dataset`] for missing or malformed data or split files.
    pub fn load_train(setting: Setting, data_dir: &Path, splits_dir: Option<&Path>) -> Result<Images> {
        let (train, _) = load(setting.dataset(), data_dir)?;
        Ok(match train_split(setting, train.len(), splits_dir)? {
            Some((train_part, _)) => train.select(&train_part),
            None => train,
        })
    }

    /// The same with at most `n` images in the training part and in each evaluation set (smoke runs).
    pub fn subset(self, n: usize) -> SettingData {
        SettingData {
            train: self.train.first(n),
            eval: self.eval.into_iter().map(|(set, images)| (set, images.first(n))).collect(),
            ..self
        }
    }

    /// Mean and deviation of each channel, and the crop padding (spec 03 §3.5).
    pub fn normalization(&self) -> Normalization {
        Normalization::of(self.dataset)
    }
}

/// The (train, valid) indices into the `len` training images of the settings that split them (`cifar10-valid`,
/// `fashion-mnist`); `None` for those that train on every training image.
fn train_split(setting: Setting, len: usize, splits_dir: Option<&Path>) -> Result<Option<(Vec<usize>, Vec<usize>)>> {
    let split = match setting {
        Setting::Cifar10Valid => {
            let split = match splits_dir {
                Some(dir) => {
                    let mut file = read_split(&dir.join("cifar-split.txt"))?;
                    (take(&mut file, "train", dir)?, take(&mut file, "valid", dir)?)
                }
                None => {
                    let split = TrainValidSplit::cifar10();
                    (split.train().to_vec(), split.valid().to_vec())
                }
            };
            check_range(&split.0, &split.1, len, "cifar-split.txt")?;
            split
        }
        Setting::FashionMnist => {
            let split = TrainValidSplit::seeded(len, 1021);
            (split.train().to_vec(), split.valid().to_vec())
        }
        Setting::Cifar10 | Setting::Cifar100 | Setting::ImageNet16_120 => return Ok(None),
    };
    Ok(Some(split))
}

/// An official split file: JSON whose values are `["int", ["0", "5", …]]`, by name.
///
/// # Errors
/// [`LoaderError::Dataset`] for a file that cannot be read or is of another shape.
pub fn read_split(path: &Path) -> Result<BTreeMap<String, Vec<usize>>> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let malformed = |found: String| bad(path, "a split file: {\"name\": [\"int\", [\"0\", …]], …}", found);
    let raw: BTreeMap<String, (String, Vec<String>)> =
        serde_json::from_str(&text).map_err(|e| malformed(format!("invalid JSON ({e})")))?;
    raw.into_iter()
        .map(|(key, (kind, values))| {
            if kind != "int" {
                return Err(malformed(format!("type {kind:?} for {key}")));
            }
            let indices = values.iter().map(|v| v.parse::<usize>().map_err(|_| malformed(format!("index {v:?}"))));
            Ok((key, indices.collect::<Result<Vec<_>>>()?))
        })
        .collect()
}

fn take(file: &mut BTreeMap<String, Vec<usize>>, key: &str, dir: &Path) -> Result<Vec<usize>> {
    file.remove(key).ok_or_else(|| bad(dir, format!("a split named {key:?}"), "none"))
}

/// Both parts index into `len` images.
fn check_range(a: &[usize], b: &[usize], len: usize, name: &str) -> Result<()> {
    match a.iter().chain(b).find(|&&i| i >= len) {
        Some(i) => Err(bad(name.as_ref(), format!("indices below {len}, the number of images"), format!("index {i}"))),
        None => Ok(()),
    }
}
