//! The five candidate operations of an edge, in the reference's order.
//!
//! The order matters: it is the enumeration order of the space, the digit of an op in
//! `str2matrix` and op-digit strings, and the column of every 6x5 architecture-parameter matrix.
//! What an op computes is the network crate's business, not this one's.

use std::fmt;
use std::str::FromStr;

use crate::error::{Result, SpaceError};

/// One candidate operation of a cell edge (`xautodl` `NAS_BENCH_201`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Op {
    /// `none`: the edge outputs zeros.
    None = 0,
    /// `skip_connect`: identity.
    SkipConnect = 1,
    /// `nor_conv_1x1`: ReLU, 1x1 convolution, batch norm.
    NorConv1x1 = 2,
    /// `nor_conv_3x3`: ReLU, 3x3 convolution, batch norm.
    NorConv3x3 = 3,
    /// `avg_pool_3x3`: 3x3 average pooling, padding not counted.
    AvgPool3x3 = 4,
}

impl Op {
    /// The five ops in the reference's order; `Op::ALL[k].index() == k`.
    pub const ALL: [Op; 5] = [Op::None, Op::SkipConnect, Op::NorConv1x1, Op::NorConv3x3, Op::AvgPool3x3];

    /// The number of ops.
    pub const COUNT: usize = 5;

    /// The reference's name, as it appears in architecture strings.
    pub const fn name(self) -> &'static str {
        match self {
            Op::None => "none",
            Op::SkipConnect => "skip_connect",
            Op::NorConv1x1 => "nor_conv_1x1",
            Op::NorConv3x3 => "nor_conv_3x3",
            Op::AvgPool3x3 => "avg_pool_3x3",
        }
    }

    /// Position in [`Op::ALL`]: 0 none, 1 skip, 2 conv 1x1, 3 conv 3x3, 4 avg pool.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The op at position `index` of [`Op::ALL`].
    ///
    /// # Errors
    /// [`SpaceError::OpIndexOutOfRange`] unless `index < 5`.
    pub fn from_index(index: usize) -> Result<Op> {
        Op::ALL.get(index).copied().ok_or(SpaceError::OpIndexOutOfRange(index as u64))
    }

    /// Whether the op has weights (the two convolutions).
    pub const fn is_conv(self) -> bool {
        matches!(self, Op::NorConv1x1 | Op::NorConv3x3)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = SpaceError;

    fn from_str(s: &str) -> Result<Op> {
        match s {
            "none" => Ok(Op::None),
            "skip_connect" => Ok(Op::SkipConnect),
            "nor_conv_1x1" => Ok(Op::NorConv1x1),
            "nor_conv_3x3" => Ok(Op::NorConv3x3),
            "avg_pool_3x3" => Ok(Op::AvgPool3x3),
            _ => Err(SpaceError::UnknownOp(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_indices_follow_the_reference_order() {
        let names: Vec<_> = Op::ALL.iter().map(|op| op.name()).collect();
        assert_eq!(names, ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]);
        for (k, op) in Op::ALL.into_iter().enumerate() {
            assert_eq!(op.index(), k);
            assert_eq!(Op::from_index(k), Ok(op));
            assert_eq!(op.name().parse::<Op>(), Ok(op));
        }
        assert_eq!(Op::from_index(5), Err(SpaceError::OpIndexOutOfRange(5)));
        assert_eq!("conv3x3".parse::<Op>(), Err(SpaceError::UnknownOp("conv3x3".into())));
    }
}
