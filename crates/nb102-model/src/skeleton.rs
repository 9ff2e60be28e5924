//! The macro structure every network of the benchmark shares (xautodl's `TinyNetwork` and its search models):
//! a stem, three stages of cells joined by ResNet reduction blocks, a last batch norm and ReLU, global average
//! pooling and a classifier (the size space's `DynamicShapeTinyNet` is the same with one cell per stage and widths
//! of its own). The cell is the caller's type, so the evaluated networks and the search networks have one layout
//! (`nb102_space::layout`) under the same state-dict keys (`stem.*`, `cells.{i}.*`, `lastact.0.*`, `classifier.*`).

use nb102_space::layout::Block;
use tch::nn;
use tch::Tensor;

use crate::ops::{BatchNorm, Conv, Linear, Probe, ReluConvBn};

/// The skeleton's layers around cells of type `C`.
#[derive(Debug)]
pub(crate) struct Backbone<C> {
    stem: (Conv, BatchNorm),
    stages: Vec<Stage<C>>,
    lastact: BatchNorm,
    classifier: Linear,
}

#[derive(Debug)]
enum Stage<C> {
    Cell(C),
    Reduction(Reduction),
}

impl<C> Backbone<C> {
    /// Builds the layers under `p` in forward order, as the reference constructs its modules (so a seeded
    /// initialisation draws the same numbers for the same tensors); `cell(path, in_channels, channels)` makes each
    /// cell. `blocks` are a valid network's (`nb102_space::layout`).
    pub(crate) fn new(p: &nn::Path, blocks: &[Block], mut cell: impl FnMut(&nn::Path, i64, i64) -> C) -> Backbone<C> {
        let mut stem = None;
        let mut stages = Vec::new();
        let mut head = None;
        let cells_path = p / "cells";
        for &block in blocks {
            match block {
                Block::Stem { in_channels, channels, .. } => {
                    let s = p / "stem";
                    stem = Some((
                        Conv::new(&(&s / "0"), in_channels, channels, 3, 1, 1),
                        BatchNorm::new(&(&s / "1"), channels),
                    ));
                }
                Block::Cell { index, in_channels, channels, .. } => {
                    stages.push(Stage::Cell(cell(&(&cells_path / index), in_channels, channels)))
                }
                Block::Reduction { index, in_channels, channels, .. } => {
                    stages.push(Stage::Reduction(Reduction::new(&(&cells_path / index), in_channels, channels)))
                }
                Block::Head { channels, classes } => {
                    head = Some((
                        BatchNorm::new(&(p / "lastact" / "0"), channels),
                        Linear::new(&(p / "classifier"), channels, classes),
                    ))
                }
            }
        }
        let (stem, (lastact, classifier)) =
            (stem.expect("the layout starts with a stem"), head.expect("the layout ends with a head"));
        Backbone { stem, stages, lastact, classifier }
    }

    /// Pooled features and logits, each cell computed by `cell(cell, input)`.
    ///
    /// # Shapes
    /// `[b, in_channels, h, w] -> ([b, c_last], [b, classes])`.
    pub(crate) fn forward_features_t(
        &self,
        xs: &Tensor,
        train: bool,
        cell: impl FnMut(&C, &Tensor) -> Tensor,
    ) -> (Tensor, Tensor) {
        self.head(&self.forward_maps(xs, train, &Probe::PLAIN, cell), &Probe::PLAIN)
    }

    /// The feature maps that global average pooling takes (after the last batch norm and ReLU), seen by `probe`.
    ///
    /// # Shapes
    /// `[b, in_channels, h, w] -> [b, c_last, h/4, w/4]`.
    pub(crate) fn forward_maps(
        &self,
        xs: &Tensor,
        train: bool,
        probe: &Probe,
        mut cell: impl FnMut(&C, &Tensor) -> Tensor,
    ) -> Tensor {
        let mut x = self.stem.1.forward_probed(&self.stem.0.forward_probed(xs, probe), train, probe); // [b, C, h, w]
        for stage in &self.stages {
            x = match stage {
                Stage::Cell(c) => cell(c, &x),
                Stage::Reduction(block) => block.forward_probed(&x, train, probe),
            }; // [b, C, h, w] .. [b, 4C, h/4, w/4]
        }
        let maps = self.lastact.forward_probed(&x, train, probe).relu();
        probe.relu_input(&maps, false);
        maps
    }

    /// Global average pooling and the classifier: pooled features and logits.
    ///
    /// # Shapes
    /// `[b, c_last, h', w'] -> ([b, c_last], [b, classes])`.
    pub(crate) fn head(&self, maps: &Tensor, probe: &Probe) -> (Tensor, Tensor) {
        let features = maps.adaptive_avg_pool2d([1, 1]).flatten(1, -1); // [b, 4C]
        let logits = self.classifier.forward_probed(&features, probe); // [b, classes]
        (features, logits)
    }
}

/// `ResNetBasicblock` with stride 2: `conv_b(conv_a(x)) + downsample(x)`, the shortcut being a 2x2 average
/// pool and a 1x1 conv without batch norm.
#[derive(Debug)]
struct Reduction {
    conv_a: ReluConvBn,
    conv_b: ReluConvBn,
    downsample: Conv,
}

impl Reduction {
    fn new(p: &nn::Path, c_in: i64, c_out: i64) -> Reduction {
        Reduction {
            conv_a: ReluConvBn::new(&(p / "conv_a"), c_in, c_out, 3, 2, 1),
            conv_b: ReluConvBn::new(&(p / "conv_b"), c_out, c_out, 3, 1, 1),
            downsample: Conv::new(&(p / "downsample" / "1"), c_in, c_out, 1, 1, 0),
        }
    }
}

impl Reduction {
    /// # Shapes
    /// `[b, c_in, h, w] -> [b, c_out, h/2, w/2]`.
    fn forward_probed(&self, xs: &Tensor, train: bool, probe: &Probe) -> Tensor {
        let a = self.conv_a.forward_probed(&xs.relu(), train, probe);
        let residual = self.conv_b.forward_probed(&a.relu(), train, probe);
        let pooled = xs.avg_pool2d([2, 2], [2, 2], [0, 0], false, true, None::<i64>);
        self.downsample.forward_probed(&pooled, probe) + residual
    }
}
