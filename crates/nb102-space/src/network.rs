//! What a benchmark network is made of: the cell, the width and depth, and the shape of the data.
//!
//! `NetworkConfig` is plain data (any field can be set); `validate` checks the combinations the
//! network cannot be built from, so that building one (in `nb102-model`) never panics inside libtorch. The
//! network's layout and costs live here, without tensors, so that the pure crates count parameters and FLOPs.

use std::fmt;
use std::str::FromStr;

use crate::channels::{Channels, SizeConfig};
use crate::error::{Result, SpaceError};
use crate::genotype::Genotype;
use crate::layout::{blocks, Block};

/// The datasets whose shape a benchmark network is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// CIFAR-10: 10 classes, 3x32x32 (also the `cifar10-valid` setting).
    Cifar10,
    /// CIFAR-100: 100 classes, 3x32x32.
    Cifar100,
    /// ImageNet16-120: 120 classes, 3x16x16.
    ImageNet16_120,
    /// Fashion-MNIST: 10 classes, 1x28x28.
    FashionMnist,
}

impl Dataset {
    /// Every dataset, in the order above.
    pub const ALL: [Dataset; 4] = [Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120, Dataset::FashionMnist];

    /// The reference's name (`cifar10`, `cifar100`, `ImageNet16-120`), or `fashion-mnist`.
    pub const fn name(self) -> &'static str {
        match self {
            Dataset::Cifar10 => "cifar10",
            Dataset::Cifar100 => "cifar100",
            Dataset::ImageNet16_120 => "ImageNet16-120",
            Dataset::FashionMnist => "fashion-mnist",
        }
    }

    /// Number of classes.
    pub const fn classes(self) -> i64 {
        match self {
            Dataset::Cifar10 | Dataset::FashionMnist => 10,
            Dataset::Cifar100 => 100,
            Dataset::ImageNet16_120 => 120,
        }
    }

    /// Image channels.
    pub const fn in_channels(self) -> i64 {
        match self {
            Dataset::FashionMnist => 1,
            _ => 3,
        }
    }

    /// Image height and width.
    pub const fn input_size(self) -> (i64, i64) {
        match self {
            Dataset::Cifar10 | Dataset::Cifar100 => (32, 32),
            Dataset::ImageNet16_120 => (16, 16),
            Dataset::FashionMnist => (28, 28),
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dataset {
    type Err = SpaceError;

    /// Accepts the dataset names and the reference's setting names (`cifar10-valid` is CIFAR-10).
    fn from_str(s: &str) -> Result<Dataset> {
        match s {
            "cifar10" | "cifar10-valid" => Ok(Dataset::Cifar10),
            "cifar100" => Ok(Dataset::Cifar100),
            "ImageNet16-120" => Ok(Dataset::ImageNet16_120),
            "fashion-mnist" => Ok(Dataset::FashionMnist),
            _ => Err(SpaceError::DatasetName(s.to_owned())),
        }
    }
}

/// The largest C a [`NetworkConfig`] may have.
const MAX_CHANNELS: i64 = 1024;
/// The most cells per stage.
const MAX_CELLS: i64 = 100;
/// The most classes.
const MAX_CLASSES: i64 = 100_000;
/// The most input channels.
const MAX_IN_CHANNELS: i64 = 64;
/// The longest input side.
const MAX_INPUT_SIDE: i64 = 1024;

/// The macro structure shared by the evaluated network and the search networks: the width and depth, and the
/// shape of the data; the cell it holds is not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skeleton {
    /// Width of the first stage, C (the benchmark: 16); the stages have C, 2C and 4C channels.
    pub channels: i64,
    /// Cells per stage, N (the benchmark: 5).
    pub cells: i64,
    /// Outputs of the classifier.
    pub classes: i64,
    /// Channels of the input images.
    pub in_channels: i64,
    /// Height and width of the input images.
    pub input_size: (i64, i64),
}

impl Skeleton {
    /// The benchmark's skeleton for `dataset`: C = 16, N = 5.
    pub fn nb201(dataset: Dataset) -> Skeleton {
        Skeleton::new(dataset, 16, 5)
    }

    /// `channels` and `cells` per stage for `dataset`'s images and classes.
    pub fn new(dataset: Dataset, channels: i64, cells: i64) -> Skeleton {
        Skeleton {
            channels,
            cells,
            classes: dataset.classes(),
            in_channels: dataset.in_channels(),
            input_size: dataset.input_size(),
        }
    }

    /// Checks that a network can be built on this skeleton.
    ///
    /// # Errors
    /// [`SpaceError::NetworkConfig`] for non-positive sizes, a negative cell count, or an input whose sides are not
    /// multiples of 4 (each reduction halves them, and its two branches only agree on even sizes).
    pub fn validate(&self) -> Result<()> {
        if self.channels < 1 {
            return Err(SpaceError::NetworkConfig {
                what: "channels",
                expected: "a positive number",
                found: self.channels.to_string(),
            });
        }
        // Far beyond any NAS-Bench network (C16 N5, 32x32), and small enough that parameter and FLOP counts stay
        // exact in 64 bits (a C of 2^32 would overflow them silently).
        for (what, value, max, expected) in
            [("channels", self.channels, MAX_CHANNELS, "at most 1024"), ("cells", self.cells, MAX_CELLS, "at most 100")]
        {
            if value > max {
                return Err(SpaceError::NetworkConfig { what, expected, found: value.to_string() });
            }
        }
        if self.cells < 0 {
            return Err(SpaceError::NetworkConfig {
                what: "cells",
                expected: "0 or more",
                found: self.cells.to_string(),
            });
        }
        validate_data(self.classes, self.in_channels, self.input_size)
    }

    /// Width of each of the three stages: C, 2C, 4C.
    pub fn stage_channels(&self) -> [i64; 3] {
        [self.channels, 2 * self.channels, 4 * self.channels]
    }
}

/// Checks the data's side of a network: classes, image channels and sides within bounds, and sides that are multiples
/// of 4 (each of the two reductions halves them, and its two branches only agree on even sizes).
pub(crate) fn validate_data(classes: i64, in_channels: i64, input_size: (i64, i64)) -> Result<()> {
    let positive = [
        ("classes", classes),
        ("in_channels", in_channels),
        ("input height", input_size.0),
        ("input width", input_size.1),
    ];
    for (what, value) in positive {
        if value < 1 {
            return Err(SpaceError::NetworkConfig { what, expected: "a positive number", found: value.to_string() });
        }
    }
    let bounded = [
        ("classes", classes, MAX_CLASSES, "at most 100000"),
        ("in_channels", in_channels, MAX_IN_CHANNELS, "at most 64"),
        ("input height", input_size.0, MAX_INPUT_SIDE, "at most 1024"),
        ("input width", input_size.1, MAX_INPUT_SIDE, "at most 1024"),
    ];
    for (what, value, max, expected) in bounded {
        if value > max {
            return Err(SpaceError::NetworkConfig { what, expected, found: value.to_string() });
        }
    }
    if input_size.0 % 4 != 0 || input_size.1 % 4 != 0 {
        return Err(SpaceError::NetworkConfig {
            what: "input size",
            expected: "sides that are multiples of 4",
            found: format!("{}x{}", input_size.0, input_size.1),
        });
    }
    Ok(())
}

/// The evaluated network (`infer.tiny`): a cell, `channels` and `cells` per stage, the data's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkConfig {
    /// The cell repeated in every stage (a cell of the space, or xautodl's `all_full`).
    pub cell: Genotype,
    /// Width of the first stage, C (the benchmark: 16); the stages have C, 2C and 4C channels.
    pub channels: i64,
    /// Cells per stage, N (the benchmark: 5).
    pub cells: i64,
    /// Outputs of the classifier.
    pub classes: i64,
    /// Channels of the input images.
    pub in_channels: i64,
    /// Height and width of the input images.
    pub input_size: (i64, i64),
}

impl NetworkConfig {
    /// The benchmark's network for `dataset`: C = 16, N = 5.
    pub fn nb201(cell: impl Into<Genotype>, dataset: Dataset) -> NetworkConfig {
        NetworkConfig::on(cell, &Skeleton::nb201(dataset))
    }

    /// `cell` in every cell position of `skeleton`.
    pub fn on(cell: impl Into<Genotype>, skeleton: &Skeleton) -> NetworkConfig {
        let Skeleton { channels, cells, classes, in_channels, input_size } = *skeleton;
        NetworkConfig { cell: cell.into(), channels, cells, classes, in_channels, input_size }
    }

    /// The network without its cell.
    pub fn skeleton(&self) -> Skeleton {
        let NetworkConfig { channels, cells, classes, in_channels, input_size, .. } = *self;
        Skeleton { channels, cells, classes, in_channels, input_size }
    }

    /// Checks that a network can be built from this config.
    ///
    /// # Errors
    /// As [`Skeleton::validate`].
    pub fn validate(&self) -> Result<()> {
        self.skeleton().validate()
    }

    /// Width of each of the three stages: C, 2C, 4C.
    pub fn stage_channels(&self) -> [i64; 3] {
        self.skeleton().stage_channels()
    }
}

/// The evaluated network of one architecture of either search space: the topology space's (`infer.tiny`, a cell in
/// every cell position) or the size space's (`infer.shape.tiny`, the fixed cell, five widths). Both are a stem, cells
/// and residual blocks, and a head ([`Block`]s), so one libtorch network and one cost model serve both; a third
/// space is a third variant with its blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// A network of the topology space (or xautodl's `all_full`).
    Topology(NetworkConfig),
    /// A network of the size space.
    Size(SizeConfig),
}

impl Network {
    /// Checks that the network can be built.
    ///
    /// # Errors
    /// As [`NetworkConfig::validate`] and [`SizeConfig::validate`].
    pub fn validate(&self) -> Result<()> {
        match self {
            Network::Topology(config) => config.validate(),
            Network::Size(config) => config.validate(),
        }
    }

    /// The blocks in forward order; the network must be valid.
    pub fn blocks(&self) -> Vec<Block> {
        match self {
            Network::Topology(config) => blocks(&config.skeleton()),
            Network::Size(config) => config.blocks(),
        }
    }

    /// The cell in every cell block.
    pub fn cell(&self) -> Genotype {
        match self {
            Network::Topology(config) => config.cell,
            Network::Size(_) => Genotype::of(Channels::cell()),
        }
    }

    /// The architecture as the reference writes it: a cell's structure string or a channel string.
    pub fn arch_string(&self) -> String {
        match self {
            Network::Topology(config) => config.cell.to_string(),
            Network::Size(config) => config.channels.to_string(),
        }
    }

    /// Outputs of the classifier.
    pub fn classes(&self) -> i64 {
        match self {
            Network::Topology(config) => config.classes,
            Network::Size(config) => config.classes,
        }
    }

    /// Channels of the input images.
    pub fn in_channels(&self) -> i64 {
        match self {
            Network::Topology(config) => config.in_channels,
            Network::Size(config) => config.in_channels,
        }
    }

    /// Height and width of the input images.
    pub fn input_size(&self) -> (i64, i64) {
        match self {
            Network::Topology(config) => config.input_size,
            Network::Size(config) => config.input_size,
        }
    }

    /// The same network for images of `in_channels` channels and `input_size` sides.
    pub fn with_input(self, in_channels: i64, input_size: (i64, i64)) -> Network {
        match self {
            Network::Topology(config) => Network::Topology(NetworkConfig { in_channels, input_size, ..config }),
            Network::Size(config) => Network::Size(SizeConfig { in_channels, input_size, ..config }),
        }
    }
}

impl From<NetworkConfig> for Network {
    fn from(config: NetworkConfig) -> Network {
        Network::Topology(config)
    }
}

impl From<SizeConfig> for Network {
    fn from(config: SizeConfig) -> Network {
        Network::Size(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_bounded_where_costs_stay_exact() {
        // The most costly cell: every op but none on every edge.
        let largest = NetworkConfig {
            cell: Genotype::ALL_FULL,
            channels: MAX_CHANNELS,
            cells: MAX_CELLS,
            classes: MAX_CLASSES,
            in_channels: MAX_IN_CHANNELS,
            input_size: (MAX_INPUT_SIDE, MAX_INPUT_SIDE),
        };
        // Debug builds panic on overflow: the largest network's costs are computed exactly.
        let costs = largest.costs().unwrap();
        assert!(costs.params > 0 && costs.flops_m() > 0.0);
        let too_wide = NetworkConfig { channels: 1 << 32, ..largest };
        assert_eq!(
            too_wide.validate().unwrap_err().to_string(),
            "invalid channels: expected at most 1024, found 4294967296"
        );
        assert!(NetworkConfig { cells: 101, ..largest }.validate().is_err());
        assert!(NetworkConfig { input_size: (2048, 32), ..largest }.validate().is_err());
    }
}
