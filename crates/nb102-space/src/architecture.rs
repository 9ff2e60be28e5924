//! What a benchmark network is made of, in either space: a cell, or the size space's widths.

use std::fmt;
use std::str::FromStr;

use crate::arch::Arch;
use crate::channels::Channels;
use crate::error::{Result, SpaceError};
use crate::genotype::Genotype;
use crate::space::Space;

/// The architecture of a trained network, as records and files hold it: a cell (a cell of the topology space, or
/// another of xautodl's, such as `all_full`) or the size space's five widths. It is written as the reference's
/// `arch_str`: a structure string, or a channel string (`8:16:24:32:40`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Architecture {
    /// A cell in the topology space's macro structure.
    Cell(Genotype),
    /// A network of the size space.
    Widths(Channels),
}

impl Architecture {
    /// The space it belongs to and its official index there; `None` for a cell outside the topology space.
    pub fn in_space(&self) -> Option<(Space, usize)> {
        match self {
            Architecture::Cell(cell) => cell.arch().map(|a| (Space::Topology, a.official_index())),
            Architecture::Widths(channels) => Some((Space::Size, channels.official_index())),
        }
    }

    /// The network the benchmark trains it as on `dataset`: the cell at the topology space's C=16, N=5, or the size
    /// space's network.
    pub fn benchmark_network(&self, dataset: crate::Dataset) -> crate::Network {
        match self {
            Architecture::Cell(cell) => crate::NetworkConfig::nb201(*cell, dataset).into(),
            Architecture::Widths(widths) => crate::SizeConfig::nats(*widths, dataset).into(),
        }
    }

    /// The architecture of `space` with official index `index`.
    ///
    /// # Errors
    /// [`SpaceError::IndexOutOfRange`] or [`SpaceError::SizeIndexOutOfRange`].
    pub fn from_official_index(space: Space, index: usize) -> Result<Architecture> {
        Ok(match space {
            Space::Topology => Architecture::Cell(Arch::from_official_index(index)?.into()),
            Space::Size => Architecture::Widths(Channels::from_official_index(index)?),
        })
    }

    /// The architecture of `space` given by an official index or a string of that space (a cell in any spelling
    /// [`Arch`] parses, or xautodl's names; a channel string), as command lines take them.
    ///
    /// # Errors
    /// As [`Genotype::from_index_or_str`] and [`Channels::from_index_or_str`].
    pub fn from_index_or_str(space: Space, text: &str) -> Result<Architecture> {
        Ok(match space {
            Space::Topology => Architecture::Cell(Genotype::from_index_or_str(text)?),
            Space::Size => Architecture::Widths(Channels::from_index_or_str(text)?),
        })
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Architecture::Cell(cell) => cell.fmt(f),
            Architecture::Widths(channels) => channels.fmt(f),
        }
    }
}

impl FromStr for Architecture {
    type Err = SpaceError;

    /// As files and configs store it: a channel string (its `:` tells it apart; no cell string has one), or a
    /// cell as [`Genotype::from_cell_str`] reads it.
    fn from_str(text: &str) -> Result<Architecture> {
        if text.contains(':') {
            text.parse().map(Architecture::Widths)
        } else {
            Genotype::from_cell_str(text).map(Architecture::Cell)
        }
    }
}

impl From<Genotype> for Architecture {
    fn from(cell: Genotype) -> Architecture {
        Architecture::Cell(cell)
    }
}

impl From<Arch> for Architecture {
    fn from(arch: Arch) -> Architecture {
        Architecture::Cell(arch.into())
    }
}

impl From<Channels> for Architecture {
    fn from(channels: Channels) -> Architecture {
        Architecture::Widths(channels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_tell_the_spaces_apart() {
        let cell: Architecture =
            "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|".parse().unwrap();
        assert_eq!(cell.in_space(), Some((Space::Topology, 11472)));
        let widths: Architecture = "8:8:40:32:40".parse().unwrap();
        assert_eq!(widths.in_space(), Some((Space::Size, 284)));
        assert_eq!(widths.to_string(), "8:8:40:32:40");
        assert_eq!(Architecture::Cell(Genotype::ALL_FULL).in_space(), None);
        for (space, index) in [(Space::Topology, 11472), (Space::Size, 284)] {
            let a = Architecture::from_official_index(space, index).unwrap();
            assert_eq!(a.in_space(), Some((space, index)));
            assert_eq!(a.to_string().parse::<Architecture>().unwrap(), a);
            assert_eq!(Architecture::from_index_or_str(space, &index.to_string()).unwrap(), a);
        }
        assert!("8:8:40:32".parse::<Architecture>().is_err());
        assert!("11472".parse::<Architecture>().is_err(), "records hold strings, not indices");
    }
}
