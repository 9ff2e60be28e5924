//! The evaluated network (`infer.tiny`, xautodl's `TinyNetwork`): stem, three stages of cells joined by
//! ResNet reduction blocks, a last batch norm and ReLU, global average pooling and a classifier.
//!
//! Module paths are the reference's state-dict keys (`stem.0.weight`, `cells.5.conv_a.op.1.weight`,
//! `cells.0.layers.3.op.2.running_mean`, `classifier.bias`, …), so the reference's weights load as they are.

use nb102_space::layout::{blocks, Block};
use nb102_space::{NetworkConfig, Op, EDGES, NUM_NODES};
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

use crate::error::Result;
use crate::ops::{avg_pool_3x3, BatchNorm, Conv, Linear, ReluConvBn};

/// A NAS-Bench-201 network; `forward_t` gives the logits, [`TinyNetwork::forward_features_t`] both outputs.
#[derive(Debug)]
pub struct TinyNetwork {
    config: NetworkConfig,
    stem: (Conv, BatchNorm),
    cells: Vec<Stage>,
    lastact: BatchNorm,
    classifier: Linear,
}

impl TinyNetwork {
    /// Builds the network under `p` (the root of a `VarStore`, for the reference's key names).
    ///
    /// # Errors
    /// As [`NetworkConfig::validate`].
    pub fn new(p: &nn::Path, config: &NetworkConfig) -> Result<TinyNetwork> {
        config.validate()?;
        let mut stem = None;
        let mut cells = Vec::new();
        let mut head = None;
        let cells_path = p / "cells";
        // Blocks are built in forward order, as the reference constructs its modules, so a seeded
        // initialisation draws the same numbers for the same tensors.
        for block in blocks(config) {
            match block {
                Block::Stem { in_channels, channels, .. } => {
                    let s = p / "stem";
                    stem = Some((
                        Conv::new(&(&s / "0"), in_channels, channels, 3, 1, 1),
                        BatchNorm::new(&(&s / "1"), channels),
                    ));
                }
                Block::Cell { index, channels, .. } => {
                    cells.push(Stage::Cell(Cell::new(&(&cells_path / index), config, channels)))
                }
                Block::Reduction { index, in_channels, channels, .. } => {
                    cells.push(Stage::Reduction(Reduction::new(&(&cells_path / index), in_channels, channels)))
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
        Ok(TinyNetwork { config: *config, stem, cells, lastact, classifier })
    }

    /// The config the network was built from.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// The reference's `forward`: pooled features and logits.
    ///
    /// # Shapes
    /// `[b, in_channels, h, w] -> ([b, 4C], [b, classes])`.
    pub fn forward_features_t(&self, xs: &Tensor, train: bool) -> (Tensor, Tensor) {
        let mut x = self.stem.1.forward_t(&self.stem.0.forward(xs), train); // [b, C, h, w]
        for stage in &self.cells {
            x = stage.forward_t(&x, train); // [b, C, h, w] .. [b, 4C, h/4, w/4]
        }
        let features = self.lastact.forward_t(&x, train).relu().adaptive_avg_pool2d([1, 1]).flatten(1, -1); // [b, 4C]
        let logits = self.classifier.forward(&features); // [b, classes]
        (features, logits)
    }
}

impl ModuleT for TinyNetwork {
    /// # Shapes
    /// `[b, in_channels, h, w] -> [b, classes]`.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        self.forward_features_t(xs, train).1
    }
}

#[derive(Debug)]
enum Stage {
    Cell(Cell),
    Reduction(Reduction),
}

impl ModuleT for Stage {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        match self {
            Stage::Cell(cell) => cell.forward_t(xs, train),
            Stage::Reduction(block) => block.forward_t(xs, train),
        }
    }
}

/// `InferCell`: node i is the sum over its incoming edges of op(node j); the output is node 3.
///
/// An edge is live when its node reaches the output through edges other than `none`. A dead edge changes no
/// output (the reference adds its result times zero), but the reference still runs it, so in training its batch
/// norms update their statistics; it is run then, outside the autograd graph (its parameters' gradient is zero,
/// which [`crate::Sgd`] supplies), and skipped in evaluation.
#[derive(Debug)]
struct Cell {
    /// One entry per edge, in the canonical edge order (`layers.k` is edge k).
    edges: Vec<Edge>,
    /// Whether each edge is live.
    live: [bool; EDGES.len()],
}

#[derive(Debug)]
enum Edge {
    /// `none`: contributes zeros, so it is left out of the sum (`x * 0` adds nothing finite).
    Zero,
    Identity,
    Conv(ReluConvBn),
    Pool,
}

impl Cell {
    fn new(p: &nn::Path, config: &NetworkConfig, channels: i64) -> Cell {
        let layers = p / "layers";
        let edges = config
            .arch
            .ops()
            .iter()
            .enumerate()
            .map(|(k, op)| match op {
                Op::None => Edge::Zero,
                Op::SkipConnect => Edge::Identity,
                Op::NorConv1x1 => Edge::Conv(ReluConvBn::new(&(&layers / k), channels, channels, 1, 1, 0)),
                Op::NorConv3x3 => Edge::Conv(ReluConvBn::new(&(&layers / k), channels, channels, 3, 1, 1)),
                Op::AvgPool3x3 => Edge::Pool,
            })
            .collect();
        Cell { edges, live: live_edges(&config.arch.ops()) }
    }
}

/// Which edges reach the output node through edges other than `none` (a node is live if a non-`none` edge leads
/// from it to a live node; the output is live; an edge is live if it is not `none` and ends at a live node).
fn live_edges(ops: &[Op; EDGES.len()]) -> [bool; EDGES.len()] {
    let mut live_node = [false; NUM_NODES];
    live_node[NUM_NODES - 1] = true;
    for node in (0..NUM_NODES - 1).rev() {
        live_node[node] =
            EDGES.iter().zip(ops).any(|(&(to, from), op)| from == node && *op != Op::None && live_node[to]);
    }
    std::array::from_fn(|k| ops[k] != Op::None && live_node[EDGES[k].0])
}

impl ModuleT for Cell {
    /// # Shapes
    /// `[b, c, h, w] -> [b, c, h, w]`.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut nodes: Vec<Tensor> = Vec::with_capacity(NUM_NODES);
        // relu(node j), computed at most once and shared by the conv edges leaving node j.
        let mut activated: [Option<Tensor>; NUM_NODES] = Default::default();
        nodes.push(xs.shallow_clone());
        for to in 1..NUM_NODES {
            // Summed in edge order, as the reference's `sum(...)`, so floating-point results agree.
            let mut node: Option<Tensor> = None;
            for ((edge, &(_, from)), &live) in
                self.edges.iter().zip(EDGES.iter()).zip(&self.live).filter(|((_, (t, _)), _)| *t == to)
            {
                let input = &nodes[from];
                let term = match edge {
                    Edge::Zero => continue,
                    _ if !live && !train => continue,
                    Edge::Identity => input.shallow_clone(),
                    Edge::Pool => avg_pool_3x3(input),
                    Edge::Conv(op) if live => {
                        op.forward_relu_applied(activated[from].get_or_insert_with(|| input.relu()), train)
                    }
                    // A dead convolution in training, for its batch norm's statistics. Its relu is not shared: it
                    // is made outside the graph, and a live edge of the same node needs one inside it.
                    Edge::Conv(op) => tch::no_grad(|| op.forward_relu_applied(&input.relu(), train)),
                };
                node = Some(match node {
                    None => term,
                    Some(sum) => sum + term,
                });
            }
            nodes.push(node.unwrap_or_else(|| xs.zeros_like()));
        }
        nodes.pop().expect("four nodes")
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

impl ModuleT for Reduction {
    /// # Shapes
    /// `[b, c_in, h, w] -> [b, c_out, h/2, w/2]`.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let residual = self.conv_b.forward_t(&self.conv_a.forward_t(xs, train), train);
        let shortcut = self.downsample.forward(&xs.avg_pool2d([2, 2], [2, 2], [0, 0], false, true, None::<i64>));
        shortcut + residual
    }
}
