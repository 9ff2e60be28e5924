//! The search spaces nb102 holds, by the names NATS-Bench gives them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::arch::{Arch, NUM_ARCHS};
use crate::channels::{Channels, NUM_SIZES};
use crate::error::{Result, SpaceError};

/// A search space: the topology space of NAS-Bench-201 (NATS-Bench's `tss`) or NATS-Bench's size space (`sss`).
/// Serialised by its name (`topology`, `size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Space {
    /// 15,625 cells ([`crate::Arch`]) in a fixed macro structure.
    Topology,
    /// 32,768 width configurations ([`crate::Channels`]) of one fixed cell.
    Size,
}

impl Space {
    /// Both spaces.
    pub const ALL: [Space; 2] = [Space::Topology, Space::Size];

    /// `topology` or `size`, `nats_bench`'s `search_space_name`.
    pub const fn name(self) -> &'static str {
        match self {
            Space::Topology => "topology",
            Space::Size => "size",
        }
    }

    /// `tss` or `sss`.
    pub const fn short_name(self) -> &'static str {
        match self {
            Space::Topology => "tss",
            Space::Size => "sss",
        }
    }

    /// The space an architecture given as text on a command line is of, unless told: a channel string (its `:`)
    /// is the size space's; an index, a cell string or a name the topology space's.
    pub fn of_text(text: &str) -> Space {
        if text.contains(':') {
            Space::Size
        } else {
            Space::Topology
        }
    }

    /// The official index of an architecture of this space as command lines and queries give one: an index, or a
    /// string of the space (a cell in any spelling [`Arch`] parses, or xautodl's name of a cell of the space; a channel
    /// string).
    ///
    /// # Errors
    /// As [`Arch::from_index_or_str`] and [`Channels::from_index_or_str`].
    pub fn index_of(self, text: &str) -> Result<usize> {
        match self {
            Space::Topology => Ok(Arch::from_index_or_str(text)?.official_index()),
            Space::Size => Ok(Channels::from_index_or_str(text)?.official_index()),
        }
    }

    /// Checks that `index` is an official index of this space, without making its architecture.
    ///
    /// # Errors
    /// [`SpaceError::IndexOutOfRange`] or [`SpaceError::SizeIndexOutOfRange`], as the spaces' types give them.
    pub fn check_index(self, index: usize) -> Result<()> {
        match self {
            _ if index < self.num_archs() => Ok(()),
            Space::Topology => Err(SpaceError::IndexOutOfRange(index as u64)),
            Space::Size => Err(SpaceError::SizeIndexOutOfRange(index as u64)),
        }
    }

    /// Number of architectures.
    pub const fn num_archs(self) -> usize {
        match self {
            Space::Topology => NUM_ARCHS,
            Space::Size => NUM_SIZES,
        }
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Space {
    type Err = SpaceError;

    /// `tss` or `topology`, `sss` or `size`, as `nats_bench.create` takes them.
    fn from_str(s: &str) -> Result<Space> {
        match s {
            "tss" | "topology" => Ok(Space::Topology),
            "sss" | "size" => Ok(Space::Size),
            _ => Err(SpaceError::SpaceName(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_as_nats_bench_takes_them() {
        for space in Space::ALL {
            assert_eq!(space.name().parse::<Space>().unwrap(), space);
            assert_eq!(space.short_name().parse::<Space>().unwrap(), space);
        }
        assert_eq!((Space::Topology.num_archs(), Space::Size.num_archs()), (15_625, 32_768));
        assert_eq!(
            (Space::of_text("8:8:8:8:8"), Space::of_text("284"), Space::of_text("resnet")),
            (Space::Size, Space::Topology, Space::Topology)
        );
        assert_eq!(
            "SSS".parse::<Space>().unwrap_err().to_string(),
            "unknown search space: expected tss, topology, sss or size, found \"SSS\""
        );
    }
}
