//! The keys of a trial: the dataset setting, the evaluation sets, and the training schedule (`hp`).

use std::fmt;
use std::str::FromStr;

use nb102_space::Dataset;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// A dataset setting: which data a cell is trained on and evaluated with (spec 03 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Setting {
    /// CIFAR-10, trained on the 25k train half of the training set; `x-valid` is the other half.
    Cifar10Valid,
    /// CIFAR-10, trained on all 50k training images.
    Cifar10,
    /// CIFAR-100, trained on all 50k training images; `x-valid`/`x-test` are halves of the test set.
    Cifar100,
    /// ImageNet16-120, trained on its 151,700 training images; `x-valid`/`x-test` halves of the test set.
    ImageNet16_120,
    /// Fashion-MNIST, trained on a seeded half of the training set; `x-valid` is the other half.
    FashionMnist,
}

impl Setting {
    /// The four settings of NAS-Bench-201, in the reference's order.
    pub const NB201: [Setting; 4] =
        [Setting::Cifar10Valid, Setting::Cifar10, Setting::Cifar100, Setting::ImageNet16_120];

    /// The reference's key (`cifar10-valid`, …), or `fashion-mnist`.
    pub const fn name(self) -> &'static str {
        match self {
            Setting::Cifar10Valid => "cifar10-valid",
            Setting::Cifar10 => "cifar10",
            Setting::Cifar100 => "cifar100",
            Setting::ImageNet16_120 => "ImageNet16-120",
            Setting::FashionMnist => "fashion-mnist",
        }
    }

    /// The dataset its images come from, whose shape the network is built for.
    pub const fn dataset(self) -> Dataset {
        match self {
            Setting::Cifar10Valid | Setting::Cifar10 => Dataset::Cifar10,
            Setting::Cifar100 => Dataset::Cifar100,
            Setting::ImageNet16_120 => Dataset::ImageNet16_120,
            Setting::FashionMnist => Dataset::FashionMnist,
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Setting {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Setting> {
        [Setting::Cifar10Valid, Setting::Cifar10, Setting::Cifar100, Setting::ImageNet16_120, Setting::FashionMnist]
            .into_iter()
            .find(|setting| setting.name() == s)
            .ok_or_else(|| StoreError::SettingName(s.to_owned()))
    }
}

impl TryFrom<String> for Setting {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Setting> {
        s.parse()
    }
}

impl From<Setting> for String {
    fn from(s: Setting) -> String {
        s.name().to_owned()
    }
}

/// An evaluation set of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum EvalSet {
    /// `x-valid`: the validation split.
    XValid,
    /// `x-test`: the test split (CIFAR-100 and ImageNet16-120: half of the test set).
    XTest,
    /// `ori-test`: the whole original test set.
    OriTest,
}

impl EvalSet {
    /// The reference's name.
    pub const fn name(self) -> &'static str {
        match self {
            EvalSet::XValid => "x-valid",
            EvalSet::XTest => "x-test",
            EvalSet::OriTest => "ori-test",
        }
    }
}

impl fmt::Display for EvalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EvalSet {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<EvalSet> {
        [EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest]
            .into_iter()
            .find(|set| set.name() == s)
            .ok_or_else(|| StoreError::EvalSetName(s.to_owned()))
    }
}

impl TryFrom<String> for EvalSet {
    type Error = StoreError;
    fn try_from(s: String) -> Result<EvalSet> {
        s.parse()
    }
}

impl From<EvalSet> for String {
    fn from(s: EvalSet) -> String {
        s.name().to_owned()
    }
}

/// The training schedule of a trial, named by its length in epochs as the reference names it (`hp='12'`,
/// `hp='200'`); the LR schedule is a cosine over exactly this many epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hp(u16);

impl Hp {
    /// The 12-epoch schedule (the reference's "less").
    pub const H12: Hp = Hp(12);
    /// The 200-epoch schedule (the reference's "full").
    pub const H200: Hp = Hp(200);

    /// A schedule of `epochs` epochs (demo and smoke runs use short ones).
    pub const fn new(epochs: u16) -> Hp {
        Hp(epochs)
    }

    /// Its length in epochs.
    pub const fn epochs(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Hp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in
            [Setting::Cifar10Valid, Setting::Cifar10, Setting::Cifar100, Setting::ImageNet16_120, Setting::FashionMnist]
        {
            assert_eq!(s.name().parse::<Setting>().unwrap(), s);
        }
        for e in [EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest] {
            assert_eq!(e.name().parse::<EvalSet>().unwrap(), e);
        }
        assert!(matches!("cifar-10".parse::<Setting>(), Err(StoreError::SettingName(s)) if s == "cifar-10"));
        assert_eq!(Hp::H200.to_string(), "200");
    }
}
