//! The macro structure of the network as plain data: the blocks in forward order with their widths
//! and spatial sizes.
//!
//! The libtorch networks (`nb102-model`'s `TinyNetwork` and search networks, through its one skeleton) and the
//! cost model (`costs.rs`) are built from this one list, so the parameter and FLOP counts describe the network
//! that actually runs.

use crate::network::Skeleton;

/// One block of the network, with the spatial size of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// `stem`: 3x3 conv from the image channels to C, then batch norm.
    Stem {
        /// Image channels.
        in_channels: i64,
        /// C.
        channels: i64,
        /// Input height and width.
        size: (i64, i64),
    },
    /// An `InferCell` from `in_channels` to `channels` (keys `cells.{index}.layers.k`): equal in the topology
    /// space's networks; in the size space's, a cell after a residual block may change the width.
    Cell {
        /// Position among the network's `cells`.
        index: usize,
        /// Stage, 0 to 2.
        stage: usize,
        /// Width of its input.
        in_channels: i64,
        /// Width of the stage.
        channels: i64,
        /// Input height and width.
        size: (i64, i64),
    },
    /// A `ResNetBasicblock` with stride 2 (keys `cells.{index}.conv_a|conv_b|downsample`).
    Reduction {
        /// Position among the network's `cells`.
        index: usize,
        /// Stage it starts, 1 or 2.
        stage: usize,
        /// Width of the previous stage.
        in_channels: i64,
        /// Width of its stage.
        channels: i64,
        /// Input height and width (the output's are half).
        size: (i64, i64),
    },
    /// `lastact` (batch norm, ReLU), global average pooling and `classifier`.
    Head {
        /// Width of the last stage.
        channels: i64,
        /// Outputs.
        classes: i64,
    },
}

/// The blocks of `skeleton` in forward order; `skeleton` must be valid.
pub fn blocks(skeleton: &Skeleton) -> Vec<Block> {
    let widths = skeleton.stage_channels();
    let mut size = skeleton.input_size;
    let mut blocks = vec![Block::Stem { in_channels: skeleton.in_channels, channels: widths[0], size }];
    let mut index = 0;
    for (stage, &channels) in widths.iter().enumerate() {
        if stage > 0 {
            blocks.push(Block::Reduction { index, stage, in_channels: widths[stage - 1], channels, size });
            index += 1;
            size = (size.0 / 2, size.1 / 2);
        }
        for _ in 0..skeleton.cells {
            blocks.push(Block::Cell { index, stage, in_channels: channels, channels, size });
            index += 1;
        }
    }
    blocks.push(Block::Head { channels: widths[2], classes: skeleton.classes });
    blocks
}
