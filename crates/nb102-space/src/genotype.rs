//! The cell as the reference's networks read it (xautodl's `Structure` in `InferCell`): on each of the six edges a
//! set of ops, each op a layer of its own. A cell of the space ([`Arch`]) has one op on every edge; xautodl's
//! `CellArchitectures` also name `all_full`, every op but `none` on every edge, which the seed's `train-a-net.sh
//! all_full` trains.
//!
//! The layers are numbered (`cells.X.layers.k`) edge by edge in [`EDGES`] order and, within an edge, in
//! [`Op::ALL`] order: the order of the official strings and of xautodl's `all_full`.

use std::fmt;
use std::str::FromStr;

use crate::arch::{edge_position, Arch, EDGES, NUM_EDGES, NUM_NODES};
use crate::error::{Result, SpaceError};
use crate::named::ALL_FULL;
use crate::op::Op;

/// The ops on each edge of a cell, as its network's layers.
///
/// `Display` prints xautodl's `tostr()` (for a cell of the space, its official string); `FromStr` parses such a
/// string, with each node's entries in layer order.
///
/// ```
/// use nb102_space::{Arch, Genotype};
/// let full = Genotype::from_index_or_str("all_full")?;
/// assert_eq!(full.layers().len(), 24);
/// assert_eq!(full.arch(), None);
/// let cell = Genotype::from_index_or_str("11472")?;
/// assert_eq!(cell.arch(), Some(Arch::from_official_index(11472)?));
/// assert_eq!(cell.to_string().parse::<Genotype>()?, cell);
/// # Ok::<(), nb102_space::SpaceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Genotype {
    /// Per edge, bit `i` for `Op::ALL[i]`.
    edges: [u8; NUM_EDGES],
}

/// The bits of every op but `none`.
const ALL_BUT_NONE: u8 = 0b11110;

impl Genotype {
    /// xautodl's `all_full`: skip_connect, nor_conv_1x1, nor_conv_3x3 and avg_pool_3x3 on every edge.
    pub const ALL_FULL: Genotype = Genotype { edges: [ALL_BUT_NONE; NUM_EDGES] };

    /// The cell of the space with `arch`'s ops.
    pub fn of(arch: Arch) -> Genotype {
        Genotype { edges: arch.ops().map(|op| 1 << op.index()) }
    }

    /// A cell as command lines take it: what [`Arch::from_index_or_str`] takes (an official index, one of
    /// xautodl's names, an architecture string), `all_full`, or a structure string with several ops on an edge.
    ///
    /// # Errors
    /// As [`Arch::from_index_or_str`], for text that is none of these.
    pub fn from_index_or_str(text: &str) -> Result<Genotype> {
        if text == ALL_FULL {
            return Ok(Genotype::ALL_FULL);
        }
        match Arch::from_index_or_str(text) {
            Ok(arch) => Ok(Genotype::of(arch)),
            Err(e) => text.parse().map_err(|_| e),
        }
    }

    /// A cell as files and configs store it: a cell of the space in any spelling [`Arch`]'s `FromStr` takes, or a
    /// structure string ([`Genotype`]'s `FromStr`). Indices and names are for command lines
    /// ([`Genotype::from_index_or_str`]).
    ///
    /// # Errors
    /// [`Arch`]'s parse error for text that is neither.
    pub fn from_cell_str(text: &str) -> Result<Genotype> {
        text.parse::<Arch>().map(Genotype::of).or_else(|e| text.parse().map_err(|_| e))
    }

    /// The cell of the space this is, where every edge has exactly one op.
    pub fn arch(&self) -> Option<Arch> {
        let mut ops = [Op::None; NUM_EDGES];
        for (k, &bits) in self.edges.iter().enumerate() {
            if bits.count_ones() != 1 {
                return None;
            }
            ops[k] = Op::ALL[bits.trailing_zeros() as usize];
        }
        Some(Arch::from_ops(ops))
    }

    /// The layers as `(edge, op)`, `edge` indexing [`EDGES`], in the network's order (`layers.k` is the k-th).
    pub fn layers(&self) -> Vec<(usize, Op)> {
        let mut layers = Vec::new();
        for (k, &bits) in self.edges.iter().enumerate() {
            layers.extend(Op::ALL.iter().filter(|op| bits & (1 << op.index()) != 0).map(|&op| (k, op)));
        }
        layers
    }
}

impl From<Arch> for Genotype {
    fn from(arch: Arch) -> Genotype {
        Genotype::of(arch)
    }
}

impl fmt::Display for Genotype {
    /// xautodl's `Structure.tostr()`: `|op~j|…|` per node, nodes joined by `+`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layers = self.layers();
        for to in 1..NUM_NODES {
            if to > 1 {
                f.write_str("+")?;
            }
            f.write_str("|")?;
            for &(k, op) in layers.iter().filter(|(k, _)| EDGES[*k].0 == to) {
                write!(f, "{}~{}|", op.name(), EDGES[k].1)?;
            }
        }
        Ok(())
    }
}

impl FromStr for Genotype {
    type Err = SpaceError;

    /// A structure string as [`Genotype`]'s `Display` writes it: three nodes joined by `+`, each `|op~j|…|`
    /// with its entries in layer order (by input, then by op), each at most once.
    fn from_str(input: &str) -> Result<Genotype> {
        let bad = |position: usize, expected: &'static str, found: &str| SpaceError::Parse {
            input: input.to_owned(),
            position,
            expected,
            found: format!("{found:?}"),
        };
        let nodes: Vec<&str> = input.split('+').collect();
        if nodes.len() != NUM_NODES - 1 {
            return Err(bad(0, "3 node groups separated by '+'", &format!("{} groups", nodes.len())));
        }
        let mut edges = [0u8; NUM_EDGES];
        let mut position = 0;
        for (to, node) in (1..NUM_NODES).zip(nodes) {
            let inner = node
                .strip_prefix('|')
                .and_then(|n| n.strip_suffix('|'))
                .ok_or_else(|| bad(position, "a node group '|op~j|...|'", node))?;
            let mut last: Option<(usize, usize)> = None;
            for entry in inner.split('|') {
                let (op, from) = entry.split_once('~').ok_or_else(|| bad(position, "an entry 'op~j'", entry))?;
                let op: Op = op.parse()?;
                let from: usize = from.parse().map_err(|_| bad(position, "an input node number", from))?;
                let k = edge_position(to, from).ok_or_else(|| bad(position, "an input node before its node", entry))?;
                if last.is_some_and(|l| l >= (k, op.index())) {
                    return Err(bad(position, "entries in layer order (by input, then by op), each once", entry));
                }
                last = Some((k, op.index()));
                edges[k] |= 1 << op.index();
            }
            position += node.len() + 1;
        }
        Ok(Genotype { edges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::NUM_ARCHS;

    #[test]
    fn a_cell_of_the_space_is_its_official_string_and_one_layer_per_edge() {
        for index in (0..NUM_ARCHS).step_by(97) {
            let arch = Arch::from_official_index(index).unwrap();
            let genotype = Genotype::of(arch);
            assert_eq!(genotype.to_string(), arch.to_string());
            assert_eq!(genotype.to_string().parse::<Genotype>().unwrap(), genotype);
            assert_eq!(genotype.arch(), Some(arch));
            assert_eq!(genotype.layers(), (0..NUM_EDGES).map(|k| (k, arch.ops()[k])).collect::<Vec<_>>());
        }
    }

    #[test]
    fn all_full_is_xautodls() {
        assert_eq!(
            Genotype::ALL_FULL.to_string(),
            "|skip_connect~0|nor_conv_1x1~0|nor_conv_3x3~0|avg_pool_3x3~0|+|skip_connect~0|nor_conv_1x1~0|\
             nor_conv_3x3~0|avg_pool_3x3~0|skip_connect~1|nor_conv_1x1~1|nor_conv_3x3~1|avg_pool_3x3~1|+|\
             skip_connect~0|nor_conv_1x1~0|nor_conv_3x3~0|avg_pool_3x3~0|skip_connect~1|nor_conv_1x1~1|\
             nor_conv_3x3~1|avg_pool_3x3~1|skip_connect~2|nor_conv_1x1~2|nor_conv_3x3~2|avg_pool_3x3~2|"
        );
        assert_eq!(Genotype::ALL_FULL.to_string().parse::<Genotype>().unwrap(), Genotype::ALL_FULL);
        assert_eq!(Genotype::from_index_or_str("all_full").unwrap(), Genotype::ALL_FULL);
        assert_eq!(Genotype::from_index_or_str("resnet").unwrap().arch().unwrap().official_index(), 11472);
    }

    #[test]
    fn strings_out_of_layer_order_or_with_a_repeat_are_refused() {
        for text in [
            "|nor_conv_1x1~0|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|",
            "|none~0|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
            "|none~0|+|none~1|none~0|+|none~0|none~1|none~2|",
            "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
            "|none~0|+|none~0|none~1|",
        ] {
            assert!(matches!(text.parse::<Genotype>(), Err(SpaceError::Parse { .. })), "{text}");
        }
        assert!(Genotype::from_index_or_str("15625").is_err());
    }

    #[test]
    fn stored_cells_are_strings_not_indices_or_names() {
        let resnet = Arch::from_official_index(11472).unwrap();
        let spelled = "|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~0|skip_connect~2|";
        assert_eq!(Genotype::from_cell_str(spelled).unwrap(), Genotype::of(resnet));
        assert_eq!(Genotype::from_cell_str(&Genotype::ALL_FULL.to_string()).unwrap(), Genotype::ALL_FULL);
        for text in ["11472", "resnet", "all_full"] {
            assert!(Genotype::from_cell_str(text).is_err(), "{text}");
        }
    }
}
