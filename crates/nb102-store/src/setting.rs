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

    /// Every setting, in the reference's order, then `fashion-mnist`.
    pub const ALL: [Setting; 5] =
        [Setting::Cifar10Valid, Setting::Cifar10, Setting::Cifar100, Setting::ImageNet16_120, Setting::FashionMnist];

    /// Whether it is trained on one half of the training set and validated on the other (`cifar10-valid`, and
    /// `fashion-mnist`, built the same way); the other settings train on the whole training set.
    pub const fn holds_out_validation(self) -> bool {
        matches!(self, Setting::Cifar10Valid | Setting::FashionMnist)
    }

    /// The evaluation sets a trial of this setting has, in [`EvalSet`] order.
    pub const fn eval_sets(self) -> &'static [EvalSet] {
        match self {
            Setting::Cifar10Valid | Setting::FashionMnist => &[EvalSet::XValid, EvalSet::OriTest],
            Setting::Cifar10 => &[EvalSet::OriTest],
            Setting::Cifar100 | Setting::ImageNet16_120 => &[EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest],
        }
    }

    /// The set the reference's `get_more_info` reports as `valid-*`: `x-valid` (which `cifar10` lacks).
    pub const fn valid_set(self) -> Option<EvalSet> {
        match self {
            Setting::Cifar10 => None,
            _ => Some(EvalSet::XValid),
        }
    }

    /// The set reported as `test-*`: `ori-test` where the whole test set is the test set (`cifar10-valid`,
    /// `cifar10`, `fashion-mnist`), `x-test` where the test set is split into halves.
    pub const fn test_set(self) -> EvalSet {
        match self {
            Setting::Cifar100 | Setting::ImageNet16_120 => EvalSet::XTest,
            _ => EvalSet::OriTest,
        }
    }

    /// The set reported as `valtest-*`: the whole test set (`ori-test`) of the settings that split it.
    pub const fn valtest_set(self) -> Option<EvalSet> {
        match self {
            Setting::Cifar100 | Setting::ImageNet16_120 => Some(EvalSet::OriTest),
            _ => None,
        }
    }

    /// The set that plays `role` in this setting: [`Setting::valid_set`] or [`Setting::test_set`].
    pub const fn set_for(self, role: Role) -> Option<EvalSet> {
        match role {
            Role::Valid => self.valid_set(),
            Role::Test => Some(self.test_set()),
        }
    }

    /// The set the original 200-epoch runs evaluated after every epoch (the others only after the last): the
    /// validation half where there is one, else the whole test set.
    pub const fn every_epoch_set(self) -> EvalSet {
        if self.holds_out_validation() {
            EvalSet::XValid
        } else {
            EvalSet::OriTest
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
        Setting::ALL
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

/// The part an evaluation set plays in a setting, as result tables name their columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The validation set (`valid-*`).
    Valid,
    /// The test set (`test-*`).
    Test,
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
        for s in Setting::ALL {
            assert_eq!(s.name().parse::<Setting>().unwrap(), s);
        }
        for e in [EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest] {
            assert_eq!(e.name().parse::<EvalSet>().unwrap(), e);
        }
        assert!(matches!("cifar-10".parse::<Setting>(), Err(StoreError::SettingName(s)) if s == "cifar-10"));
        assert_eq!(Hp::H200.to_string(), "200");
    }

    /// The reference's `get_more_info` and the official records, setting by setting; `fashion-mnist` as
    /// `cifar10-valid`.
    #[test]
    fn each_setting_has_its_sets_and_roles() {
        use EvalSet::*;
        let table = [
            (Setting::Cifar10Valid, &[XValid, OriTest][..], Some(XValid), OriTest, None, XValid),
            (Setting::Cifar10, &[OriTest][..], None, OriTest, None, OriTest),
            (Setting::Cifar100, &[XValid, XTest, OriTest][..], Some(XValid), XTest, Some(OriTest), OriTest),
            (Setting::ImageNet16_120, &[XValid, XTest, OriTest][..], Some(XValid), XTest, Some(OriTest), OriTest),
            (Setting::FashionMnist, &[XValid, OriTest][..], Some(XValid), OriTest, None, XValid),
        ];
        assert_eq!(table.len(), Setting::ALL.len());
        for (setting, sets, valid, test, valtest, every) in table {
            assert_eq!(setting.eval_sets(), sets, "{setting}");
            assert_eq!(setting.valid_set(), valid, "{setting}");
            assert_eq!(setting.test_set(), test, "{setting}");
            assert_eq!(setting.valtest_set(), valtest, "{setting}");
            assert_eq!(setting.every_epoch_set(), every, "{setting}");
            assert_eq!((setting.set_for(Role::Valid), setting.set_for(Role::Test)), (valid, Some(test)), "{setting}");
            // Every role names a set the setting has.
            for role in [valid, Some(test), valtest, Some(every)].into_iter().flatten() {
                assert!(sets.contains(&role), "{setting}: {role}");
            }
        }
    }
}
