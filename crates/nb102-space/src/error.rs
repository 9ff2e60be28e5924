//! The error type of this crate: bad input from a user, never a bug.

use crate::arch::NUM_ARCHS;

/// Everything that can go wrong in `nb102-space`: all of it is bad input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpaceError {
    /// An architecture string that does not follow `|op~j|+|op~j|op~j|+|op~j|op~j|op~j|`.
    #[error("invalid architecture string {input:?} at byte {position}: expected {expected}, found {found}")]
    Parse {
        /// The whole string as given.
        input: String,
        /// Byte offset of the offending part in `input`.
        position: usize,
        /// What the parser expected there.
        expected: &'static str,
        /// What it found there, quoted, or `end of input`.
        found: String,
    },
    /// An op name that is not one of the five.
    #[error("unknown op: expected one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3, found {0:?}")]
    UnknownOp(String),
    /// An op number outside `0..5`.
    #[error("op index out of range: expected 0..5, found {0}")]
    OpIndexOutOfRange(u64),
    /// An architecture index (official or enumeration) outside `0..15625`.
    #[error("architecture index out of range: expected 0..{NUM_ARCHS}, found {0}")]
    IndexOutOfRange(u64),
    /// A size-space index outside `0..32768`.
    #[error("size-space index out of range: expected 0..32768, found {0}")]
    SizeIndexOutOfRange(u64),
    /// A size-space channel string that is not five candidate widths.
    #[error(
        "invalid channel string {input:?}: expected five widths of 8, 16, 24, 32, 40, 48, 56, 64 joined by ':', found \
         {found}"
    )]
    ChannelString {
        /// The string as given.
        input: String,
        /// What was wrong: the number of fields, or the first field that is no width.
        found: String,
    },
    /// An official index that is not written in decimal digits alone.
    #[error(
        "invalid index: expected decimal digits for an index in 0..{NUM_ARCHS} (or resnet, all_c3x3, all_c1x1, \
         all_idnt), found {0:?}"
    )]
    IndexText(String),
    /// A string of op digits that is not six digits `0`–`4`.
    #[error("invalid op digits: expected six digits 0-4 in edge order, found {0:?}")]
    OpDigits(String),
    /// A network the reference trains by name that is not a cell of the space (`all_full`).
    #[error("{name} is not a cell of the NAS-Bench-201 space: {why}")]
    OutsideSpace {
        /// The name given.
        name: String,
        /// What its network is.
        why: &'static str,
    },
    /// A dataset name this crate does not know.
    #[error(
        "unknown dataset: expected cifar10, cifar10-valid, cifar100, ImageNet16-120 or fashion-mnist, found {0:?}"
    )]
    DatasetName(String),
    /// A search space's name this crate does not know.
    #[error("unknown search space: expected tss, topology, sss or size, found {0:?}")]
    SpaceName(String),
    /// A network config that cannot be built.
    #[error("invalid {what}: expected {expected}, found {found}")]
    NetworkConfig {
        /// Which setting.
        what: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        found: String,
    },
}

/// `Result` with [`SpaceError`].
pub type Result<T, E = SpaceError> = std::result::Result<T, E>;
