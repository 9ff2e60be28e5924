//! A cell: one op on each of the six edges of the 4-node DAG, in the canonical edge order.
//!
//! This file holds the value type and its plain encodings (op digits, the enumeration index,
//! the `str2matrix` adjacency). Parsing lives in `parse.rs`, the official order in `index.rs`,
//! isomorphism in `iso.rs`, and randomness in `sample.rs`.

use std::fmt;

use crate::error::{Result, SpaceError};
use crate::op::Op;

/// Number of nodes of a cell: node 0 is the input, node 3 the output.
pub const NUM_NODES: usize = 4;

/// Number of edges `j -> i` with `j < i`.
pub const NUM_EDGES: usize = 6;

/// Number of cells in the space, `5^6`.
pub const NUM_ARCHS: usize = 15_625;

/// The edges as `(to, from)` pairs, in the canonical order used by the architecture string,
/// by the reference's `edge2index` (lexically sorted `"i<-j"` keys) and by `cells.X.layers.k`.
pub const EDGES: [(usize, usize); NUM_EDGES] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];

/// One NAS-Bench-201 cell.
///
/// Every combination of six ops is a cell, so the value is just the ops in [`EDGES`] order.
/// `Display` prints the official string.
///
/// ```
/// use nb102_space::{Arch, Op};
/// let resnet: Arch = "|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~0|skip_connect~2|".parse()?;
/// assert_eq!(resnet.to_string(),
///     "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|");
/// assert_eq!(resnet.official_index(), 11472);
/// assert_eq!(resnet.op(2, 1), Op::NorConv3x3);
/// # Ok::<(), nb102_space::SpaceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arch {
    ops: [Op; NUM_EDGES],
}

impl Arch {
    /// The cell with `ops[k]` on edge `EDGES[k]`.
    pub const fn from_ops(ops: [Op; NUM_EDGES]) -> Arch {
        Arch { ops }
    }

    /// The ops in [`EDGES`] order.
    pub const fn ops(&self) -> [Op; NUM_EDGES] {
        self.ops
    }

    /// The op on edge `from -> to`.
    ///
    /// # Panics
    /// If `from < to < 4` does not hold: edges are fixed by the space, so another pair is a bug.
    pub fn op(&self, to: usize, from: usize) -> Op {
        self.ops[edge_position(to, from).unwrap_or_else(|| panic!("no edge {from} -> {to} in a 4-node cell"))]
    }

    /// The ops entering node `to` (1, 2 or 3), as `(op, from)` in increasing `from`.
    pub fn inputs(&self, to: usize) -> impl Iterator<Item = (Op, usize)> + '_ {
        EDGES.iter().zip(self.ops).filter(move |((t, _), _)| *t == to).map(|((_, from), op)| (op, *from))
    }

    /// Position before the seed-88 shuffle: `sum_k op_k * 5^(5-k)`, edge 1<-0 most significant.
    /// This is the order of the reference's `Structure.gen_all`.
    pub fn enumeration_index(&self) -> usize {
        self.ops.iter().fold(0, |acc, op| acc * Op::COUNT + op.index())
    }

    /// The cell at position `index` of the unshuffled enumeration.
    ///
    /// # Errors
    /// [`SpaceError::IndexOutOfRange`] unless `index < 15625`.
    pub fn from_enumeration_index(index: usize) -> Result<Arch> {
        if index >= NUM_ARCHS {
            return Err(SpaceError::IndexOutOfRange(index as u64));
        }
        Ok(Arch::from_enumeration_index_unchecked(index))
    }

    /// The six op indices as digits in edge order, e.g. `"334131"` (the `config_id` of many tables).
    pub fn op_digits(&self) -> String {
        self.ops.iter().map(|op| char::from(b'0' + op.index() as u8)).collect()
    }

    /// The cell of six op digits in edge order.
    ///
    /// # Errors
    /// [`SpaceError::OpDigits`] unless `digits` is exactly six characters `0`–`4`.
    pub fn from_op_digits(digits: &str) -> Result<Arch> {
        let bytes = digits.as_bytes();
        if bytes.len() != NUM_EDGES || !bytes.iter().all(|b| (b'0'..b'5').contains(b)) {
            return Err(SpaceError::OpDigits(digits.to_owned()));
        }
        let mut ops = [Op::None; NUM_EDGES];
        for (op, b) in ops.iter_mut().zip(bytes) {
            *op = Op::ALL[usize::from(b - b'0')];
        }
        Ok(Arch { ops })
    }

    /// The reference's `str2matrix`: `m[i][j]` is the op index of edge `j -> i`, zero elsewhere
    /// (so `none` and the absent upper triangle are both 0, as in NAS-Bench-101's encoding).
    pub fn adjacency_matrix(&self) -> [[u8; NUM_NODES]; NUM_NODES] {
        let mut m = [[0; NUM_NODES]; NUM_NODES];
        for ((to, from), op) in EDGES.iter().zip(self.ops) {
            m[*to][*from] = op.index() as u8;
        }
        m
    }

    /// Number of edges on which two cells differ.
    pub fn hamming_distance(&self, other: &Arch) -> usize {
        self.ops.iter().zip(other.ops).filter(|(a, b)| **a != *b).count()
    }

    /// The same cell with `op` on edge number `edge` (an index into [`EDGES`]).
    ///
    /// # Panics
    /// If `edge >= 6`.
    pub fn with_op(&self, edge: usize, op: Op) -> Arch {
        let mut ops = self.ops;
        ops[edge] = op;
        Arch { ops }
    }

    /// The 24 cells that differ from this one on exactly one edge, edge by edge, ops in [`Op::ALL`] order.
    pub fn neighbours(&self) -> impl Iterator<Item = Arch> + '_ {
        (0..NUM_EDGES).flat_map(move |edge| {
            Op::ALL.into_iter().filter(move |op| *op != self.ops[edge]).map(move |op| self.with_op(edge, op))
        })
    }

    pub(crate) fn from_enumeration_index_unchecked(mut index: usize) -> Arch {
        let mut ops = [Op::None; NUM_EDGES];
        for op in ops.iter_mut().rev() {
            *op = Op::ALL[index % Op::COUNT];
            index /= Op::COUNT;
        }
        Arch { ops }
    }
}

impl fmt::Display for Arch {
    /// The official string, `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (the reference's `Structure.tostr`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Assembled in a stack buffer and written once, so `to_string` allocates once, at the final size.
        let mut buf = [0u8; MAX_STRING_LEN];
        let mut len = 0;
        let mut push = |s: &str| {
            buf[len..len + s.len()].copy_from_slice(s.as_bytes());
            len += s.len();
        };
        for to in 1..NUM_NODES {
            push(if to == 1 { "|" } else { "+|" });
            for (op, from) in self.inputs(to) {
                push(op.name());
                push(["~0|", "~1|", "~2|"][from]);
            }
        }
        f.write_str(std::str::from_utf8(&buf[..len]).expect("op names are ASCII"))
    }
}

/// Length of the longest official string: six 12-byte op names, six `~j|`, three opening bars, two `+`.
const MAX_STRING_LEN: usize = 6 * 12 + 6 * 3 + 3 + 2;

/// Index into [`EDGES`] of edge `from -> to`, if it exists.
pub(crate) fn edge_position(to: usize, from: usize) -> Option<usize> {
    (from < to && to < NUM_NODES).then(|| (to - 1) * to / 2 + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_positions_follow_the_string_order() {
        for (k, (to, from)) in EDGES.into_iter().enumerate() {
            assert_eq!(edge_position(to, from), Some(k));
        }
        assert_eq!(edge_position(1, 1), None);
        assert_eq!(edge_position(4, 0), None);
    }

    #[test]
    fn enumeration_index_round_trips_with_the_last_edge_fastest() {
        assert_eq!(
            Arch::from_enumeration_index(0).unwrap().to_string(),
            "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
        );
        assert_eq!(
            Arch::from_enumeration_index(4).unwrap().to_string(),
            "|none~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|"
        );
        for i in 0..NUM_ARCHS {
            assert_eq!(Arch::from_enumeration_index(i).unwrap().enumeration_index(), i);
        }
        assert_eq!(Arch::from_enumeration_index(NUM_ARCHS), Err(SpaceError::IndexOutOfRange(15625)));
    }

    #[test]
    fn op_digits_and_matrix() {
        let arch = Arch::from_op_digits("334131").unwrap();
        assert_eq!(
            arch.to_string(),
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
        );
        assert_eq!(arch.op_digits(), "334131");
        assert_eq!(arch.adjacency_matrix(), [[0, 0, 0, 0], [3, 0, 0, 0], [3, 4, 0, 0], [1, 3, 1, 0]]);
        for bad in ["33413", "3341311", "334135", "33413x", ""] {
            assert_eq!(Arch::from_op_digits(bad), Err(SpaceError::OpDigits(bad.into())));
        }
    }

    #[test]
    fn neighbours_are_the_24_cells_at_distance_one() {
        let arch = Arch::from_op_digits("334131").unwrap();
        let neighbours: Vec<_> = arch.neighbours().collect();
        assert_eq!(neighbours.len(), 24);
        assert!(neighbours.iter().all(|n| n.hamming_distance(&arch) == 1));
        let mut unique = neighbours.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 24);
        assert_eq!(arch.hamming_distance(&Arch::from_op_digits("000000").unwrap()), 6);
    }
}
