//! The evaluated network (`infer.tiny`, xautodl's `TinyNetwork`): the skeleton (`skeleton.rs`) around
//! `InferCell`s of one architecture.
//!
//! Module paths are the reference's state-dict keys (`stem.0.weight`, `cells.5.conv_a.op.1.weight`,
//! `cells.0.layers.3.op.2.running_mean`, `classifier.bias`, …), so the reference's weights load as they are.

use nb102_space::{NetworkConfig, Op, EDGES, NUM_NODES};
use tch::nn::{self, ModuleT};
use tch::Tensor;

use crate::error::Result;
use crate::ops::{avg_pool_3x3, ReluConvBn};
use crate::skeleton::Backbone;

/// A NAS-Bench-201 network; `forward_t` gives the logits, [`TinyNetwork::forward_features_t`] both outputs.
#[derive(Debug)]
pub struct TinyNetwork {
    config: NetworkConfig,
    backbone: Backbone<Cell>,
}

impl TinyNetwork {
    /// Builds the network under `p` (the root of a `VarStore`, for the reference's key names).
    ///
    /// # Errors
    /// As [`NetworkConfig::validate`].
    pub fn new(p: &nn::Path, config: &NetworkConfig) -> Result<TinyNetwork> {
        config.validate()?;
        let backbone = Backbone::new(p, &config.skeleton(), |p, channels| Cell::new(p, config, channels));
        Ok(TinyNetwork { config: *config, backbone })
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
        self.backbone.forward_features_t(xs, train, |cell, x| cell.forward_t(x, train))
    }
}

impl ModuleT for TinyNetwork {
    /// # Shapes
    /// `[b, in_channels, h, w] -> [b, classes]`.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        self.forward_features_t(xs, train).1
    }
}

/// `InferCell`: node i is the sum over its incoming layers of op(node j); the output is node 3. A cell of the space
/// has one layer per edge; xautodl's `all_full` has four (`nb102_space::Genotype`).
///
/// A layer is live when its node reaches the output through layers other than `none`. A dead layer changes no
/// output (the reference adds its result times zero), but the reference still runs it, so in training its batch
/// norms update their statistics; it is run then, outside the autograd graph (its parameters' gradient is zero,
/// which [`crate::Sgd`] supplies), and skipped in evaluation.
#[derive(Debug)]
struct Cell {
    /// In the network's order (`layers.k` is the k-th): the layer, its edge (indexing `EDGES`), whether it is live.
    layers: Vec<(Layer, usize, bool)>,
}

#[derive(Debug)]
enum Layer {
    /// `none`: contributes zeros, so it is left out of the sum (`x * 0` adds nothing finite).
    Zero,
    Identity,
    Conv(ReluConvBn),
    Pool,
}

impl Cell {
    fn new(p: &nn::Path, config: &NetworkConfig, channels: i64) -> Cell {
        let path = p / "layers";
        let layers = config.cell.layers();
        let live = live_layers(&layers);
        let layers = layers
            .iter()
            .zip(live)
            .enumerate()
            .map(|(k, (&(edge, op), live))| {
                let layer = match op {
                    Op::None => Layer::Zero,
                    Op::SkipConnect => Layer::Identity,
                    Op::NorConv1x1 => Layer::Conv(ReluConvBn::new(&(&path / k), channels, channels, 1, 1, 0)),
                    Op::NorConv3x3 => Layer::Conv(ReluConvBn::new(&(&path / k), channels, channels, 3, 1, 1)),
                    Op::AvgPool3x3 => Layer::Pool,
                };
                (layer, edge, live)
            })
            .collect();
        Cell { layers }
    }
}

/// Which layers (`(edge, op)`) reach the output through layers other than `none` (a node is live if a non-`none`
/// layer leads from it to a live node; the output is live; a layer is live if it is not `none` and ends at a live
/// node).
fn live_layers(layers: &[(usize, Op)]) -> Vec<bool> {
    let mut live_node = [false; NUM_NODES];
    live_node[NUM_NODES - 1] = true;
    for node in (0..NUM_NODES - 1).rev() {
        live_node[node] = layers.iter().any(|&(k, op)| EDGES[k].1 == node && op != Op::None && live_node[EDGES[k].0]);
    }
    layers.iter().map(|&(k, op)| op != Op::None && live_node[EDGES[k].0]).collect()
}

impl ModuleT for Cell {
    /// # Shapes
    /// `[b, c, h, w] -> [b, c, h, w]`.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut nodes: Vec<Tensor> = Vec::with_capacity(NUM_NODES);
        // relu(node j), computed at most once and shared by the conv layers leaving node j.
        let mut activated: [Option<Tensor>; NUM_NODES] = Default::default();
        nodes.push(xs.shallow_clone());
        for to in 1..NUM_NODES {
            // Summed in layer order, as the reference's `sum(...)`, so floating-point results agree.
            let mut node: Option<Tensor> = None;
            for (layer, edge, live) in self.layers.iter().filter(|(_, k, _)| EDGES[*k].0 == to) {
                let (from, live) = (EDGES[*edge].1, *live);
                let input = &nodes[from];
                let term = match layer {
                    Layer::Zero => continue,
                    _ if !live && !train => continue,
                    Layer::Identity => input.shallow_clone(),
                    Layer::Pool => avg_pool_3x3(input),
                    Layer::Conv(op) if live => {
                        op.forward_relu_applied(activated[from].get_or_insert_with(|| input.relu()), train)
                    }
                    // A dead convolution in training, for its batch norm's statistics. Its relu is not shared: it
                    // is made outside the graph, and a live layer of the same node needs one inside it.
                    Layer::Conv(op) => tch::no_grad(|| op.forward_relu_applied(&input.relu(), train)),
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
