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

use nb102_model::Dataset;
use nb102_space::TrainValidSplit;
use nb102_store::{EvalSet, Setting};

use crate::augment::Normalization;
use crate::data::{load, Images};
use crate::error::{io, Result, TrainError};

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
    /// [`TrainError::Data`] for missing or malformed data or split files.
    pub fn load(setting: Setting, data_dir: &Path, splits_dir: Option<&Path>) -> Result<SettingData> {
        let dataset = setting.dataset();
        let (train, test) = load(dataset, data_dir)?;
        let mut eval = BTreeMap::new();
        let train = match setting {
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
                check_range(&split.0, &split.1, train.len(), "cifar-split.txt")?;
                eval.insert(EvalSet::XValid, train.select(&split.1));
                eval.insert(EvalSet::OriTest, test);
                train.select(&split.0)
            }
            Setting::Cifar10 => {
                eval.insert(EvalSet::OriTest, test);
                train
            }
            Setting::Cifar100 | Setting::ImageNet16_120 => {
                let name = if setting == Setting::Cifar100 {
                    "cifar100-test-split.txt"
                } else {
                    "imagenet-16-120-test-split.txt"
                };
                let dir = splits_dir.ok_or_else(|| TrainError::Config {
                    what: "splits folder",
                    expected: format!("--splits-dir holding {name} for {setting}"),
                    found: "none".into(),
                })?;
                let mut file = read_split(&dir.join(name))?;
                let (valid, test_part) = (take(&mut file, "xvalid", dir)?, take(&mut file, "xtest", dir)?);
                check_range(&valid, &test_part, test.len(), name)?;
                eval.insert(EvalSet::XValid, test.select(&valid));
                eval.insert(EvalSet::XTest, test.select(&test_part));
                eval.insert(EvalSet::OriTest, test);
                train
            }
            Setting::FashionMnist => {
                let split = TrainValidSplit::seeded(train.len(), 1021);
                eval.insert(EvalSet::XValid, train.select(split.valid()));
                eval.insert(EvalSet::OriTest, test);
                train.select(split.train())
            }
        };
        Ok(SettingData { setting, dataset, train, eval })
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

/// An official split file: JSON whose values are `["int", ["0", "5", …]]`, by name.
///
/// # Errors
/// [`TrainError::Io`], or [`TrainError::Data`] for another shape.
pub fn read_split(path: &Path) -> Result<BTreeMap<String, Vec<usize>>> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let bad = |found: String| TrainError::Data {
        path: path.to_owned(),
        expected: "a split file: {\"name\": [\"int\", [\"0\", …]], …}".into(),
        found,
    };
    let raw: BTreeMap<String, (String, Vec<String>)> =
        serde_json::from_str(&text).map_err(|e| bad(format!("invalid JSON ({e})")))?;
    raw.into_iter()
        .map(|(key, (kind, values))| {
            if kind != "int" {
                return Err(bad(format!("type {kind:?} for {key}")));
            }
            let indices = values.iter().map(|v| v.parse::<usize>().map_err(|_| bad(format!("index {v:?}"))));
            Ok((key, indices.collect::<Result<Vec<_>>>()?))
        })
        .collect()
}

fn take(file: &mut BTreeMap<String, Vec<usize>>, key: &str, dir: &Path) -> Result<Vec<usize>> {
    file.remove(key).ok_or_else(|| TrainError::Data {
        path: dir.to_owned(),
        expected: format!("a split named {key:?}"),
        found: "none".into(),
    })
}

/// Both parts index into `len` images.
fn check_range(a: &[usize], b: &[usize], len: usize, name: &str) -> Result<()> {
    match a.iter().chain(b).find(|&&i| i >= len) {
        Some(i) => Err(TrainError::Data {
            path: name.into(),
            expected: format!("indices below {len}, the number of images"),
            found: format!("index {i}"),
        }),
        None => Ok(()),
    }
}
