//! The NAS-Bench-201 search space: five ops on the six edges of a 4-node cell, 15,625 cells.
//!
//! Everything here is a pure function of its input: no I/O, no global randomness (random draws take
//! the caller's generator), no libtorch. It is exactly the reference's space:
//!
//! - [`Op`] and [`Arch`]: the ops in reference order and a cell as six ops in the canonical edge order
//!   ([`EDGES`]); `Display` prints the official string, `FromStr` parses it and the spellings users type
//!   (edges in any order, `none` edges left out), canonicalising.
//! - The official index ([`Arch::official_index`], [`Arch::from_official_index`], [`official_archs`]):
//!   the enumeration shuffled by CPython's `random.seed(88)`, reproduced by [`pyrandom`].
//! - Encodings: the enumeration index, op digits, the `str2matrix` adjacency matrix.
//! - Validity and isomorphism ([`Arch::is_valid`], [`Arch::unique_str`], [`Arch::class_id`], [`class_members`]), with the
//!   reference's quirk that makes `consider_zero=True` give 6,466 classes.
//! - The cells xautodl's scripts train by name ([`Arch::named`]: `resnet`, `all_c3x3`, `all_c1x1`, `all_idnt`).
//! - Sampling and REA's mutation ([`Arch::random`], [`Arch::mutate`]), neighbours, Hamming distance.
//! - The seeded train/valid split of the CIFAR-10 training set ([`TrainValidSplit`]).
//! - The NATS-Bench size space ([`Channels`]: five layers' widths, their official index, parsing, sampling and
//!   mutation; [`SizeConfig`]: its network's layout and costs).
//! - [`Space`]: the two spaces by NATS-Bench's names (`tss`, `sss`); [`Architecture`]: a network's architecture in
//!   either (a cell or the widths), as records hold it; [`Categorical`]: either space as a search sees it.
//! - [`Genotype`]: a cell as its network's layers, any set of ops per edge (xautodl's `all_full` too).
//! - The benchmark's networks as plain data: [`NetworkConfig`] (cell, width, depth, data shape;
//!   [`NetworkConfig::nb201`] for C=16, N=5), [`Network`] (a network of either space), their blocks in forward
//!   order ([`layout`]), and [`Network::costs`], parameters and FLOPs by the reference's convention, counted without
//!   tensors.
//!
//! ```
//! use nb102_space::{Arch, UniqueMode};
//! let arch = Arch::from_official_index(1462)?;
//! assert_eq!(arch.to_string(),
//!     "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
//! assert!(arch.is_valid());
//! let same: Arch = "|nor_conv_3x3~0|+|nor_conv_3x3~1|nor_conv_3x3~0|+|nor_conv_3x3~2|nor_conv_3x3~0|nor_conv_3x3~1|".parse()?;
//! assert_eq!(same.official_index(), 1462);
//! # Ok::<(), nb102_space::SpaceError>(())
//! ```
//!
//! This crate has no features.

mod arch;
mod architecture;
mod categorical;
mod channels;
mod costs;
mod error;
mod genotype;
mod index;
mod iso;
pub mod layout;
mod named;
mod network;
mod op;
mod parse;
pub mod pyrandom;
mod sample;
mod space;
mod split;

pub use arch::{Arch, EDGES, NUM_ARCHS, NUM_EDGES, NUM_NODES};
pub use architecture::Architecture;
pub use categorical::Categorical;
pub use channels::{Channels, SizeConfig, CANDIDATES, NUM_LAYERS, NUM_SIZES, SIZE_CELL_INDEX};
pub use costs::{Costs, PartCosts};
pub use error::{Result, SpaceError};
pub use genotype::Genotype;
pub use index::{official_archs, OFFICIAL_ORDER_SEED};
pub use iso::{class_members, num_classes, UniqueMode};
pub use named::NAMED;
pub use network::{Dataset, Network, NetworkConfig, Skeleton};
pub use op::Op;
pub use sample::categorical;
pub use space::Space;
pub use split::{TrainValidSplit, CIFAR10_SPLIT_SEED, CIFAR10_TRAIN_SIZE};
