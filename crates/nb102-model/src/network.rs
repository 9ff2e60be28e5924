//! The evaluated networks: the skeleton (`skeleton.rs`) around `InferCell`s of one cell, laid out as the topology
//! space's `infer.tiny` (xautodl's `TinyNetwork`) or the size space's `infer.shape.tiny` (`DynamicShapeTinyNet`).
//!
//! Module paths are the reference's state-dict keys (`stem.0.weight`, `cells.5.conv_a.op.1.weight`,
//! `cells.0.layers.3.op.2.running_mean`, `cells.2.layers.3.conv.weight`, `classifier.bias`, …), so the reference's
//! weights load as they are.

use nb102_space::{Genotype, Network, Op, EDGES, NUM_NODES};
use tch::nn::{self, ModuleT};
use tch::Tensor;

use crate::error::Result;
use crate::ops::{avg_pool_3x3, BatchNorm, Conv, Probe, ReluConvBn};
use crate::skeleton::Backbone;

/// A benchmark network of either space; `forward_t` gives the logits, [`TinyNetwork::forward_features_t`] both
/// outputs.
#[derive(Debug)]
pub struct TinyNetwork {
    network: Network,
    backbone: Backbone<Cell>,
}

impl TinyNetwork {
    /// Builds the network under `p` (the root of a `VarStore`, for the reference's key names) from a
    /// [`nb102_space::NetworkConfig`], a [`nb102_space::SizeConfig`] or a [`Network`].
    ///
    /// # Errors
    /// As [`Network::validate`].
    pub fn new(p: &nn::Path, network: impl Into<Network>) -> Result<TinyNetwork> {
        let network = network.into();
        network.validate()?;
        let cell = network.cell();
        let backbone = Backbone::new(p, &network.blocks(), |p, c_in, c_out| Cell::new(p, &cell, c_in, c_out));
        Ok(TinyNetwork { network, backbone })
    }

    /// The network it was built as.
    pub fn config(&self) -> &Network {
        &self.network
    }

    /// The reference's `forward`: pooled features and logits.
    ///
    /// # Shapes
    /// `[b, in_channels, h, w] -> ([b, c_last], [b, classes])`.
    pub fn forward_features_t(&self, xs: &Tensor, train: bool) -> (Tensor, Tensor) {
        self.backbone.forward_features_t(xs, train, |cell, x| cell.forward_probed(x, train, &Probe::PLAIN))
    }

    /// The feature maps before global average pooling, seen by `probe`.
    ///
    /// # Shapes
    /// `[b, in_channels, h, w] -> [b, c_last, h/4, w/4]`.
    pub(crate) fn forward_maps(&self, xs: &Tensor, train: bool, probe: &Probe) -> Tensor {
        self.backbone.forward_maps(xs, train, probe, |cell, x| cell.forward_probed(x, train, probe))
    }

    /// Pooled features and logits of [`TinyNetwork::forward_maps`]'s maps.
    pub(crate) fn head(&self, maps: &Tensor, probe: &Probe) -> (Tensor, Tensor) {
        self.backbone.head(maps, probe)
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
/// has one layer per edge; xautodl's `all_full` has four (`nb102_space::Genotype`). A layer from node 0 maps the
/// cell's input width to its width (they differ in the size space after a residual block); the others keep it.
///
/// A layer is live when its node reaches the output through layers other than `none`. A dead layer changes no
/// output (the reference adds its result times zero), but the reference still runs it, so in training its batch
/// norms update their statistics; it is run then, outside the autograd graph (its parameters' gradient is zero,
/// which [`crate::Sgd`] supplies), and skipped in evaluation.
#[derive(Debug)]
struct Cell {
    /// In the network's order (`layers.k` is the k-th): the layer, its edge (indexing `EDGES`), whether it is live.
    layers: Vec<(Layer, usize, bool)>,
    /// Width of every node but the input.
    channels: i64,
}

#[derive(Debug)]
enum Layer {
    /// `none`: contributes zeros, so it is left out of the sum (`x * 0` adds nothing finite).
    Zero,
    Identity,
    /// `skip_connect` between different widths: xautodl's stride-1 `FactorizedReduce`, a 1x1 convolution and a batch
    /// norm of the input as it is (the module registers a ReLU that this stride does not apply); keys `conv.*`, `bn.*`.
    Factorized(Conv, BatchNorm),
    Conv(ReluConvBn),
    /// `avg_pool_3x3`, after a 1x1 `ReLUConvBN` (keys `preprocess.op.*`) between different widths.
    Pool(Option<ReluConvBn>),
}

impl Layer {
    fn new(p: &nn::Path, op: Op, c_in: i64, c_out: i64) -> Layer {
        match op {
            Op::None => Layer::Zero,
            Op::SkipConnect if c_in == c_out => Layer::Identity,
            Op::SkipConnect => {
                Layer::Factorized(Conv::new(&(p / "conv"), c_in, c_out, 1, 1, 0), BatchNorm::new(&(p / "bn"), c_out))
            }
            Op::NorConv1x1 => Layer::Conv(ReluConvBn::new(p, c_in, c_out, 1, 1, 0)),
            Op::NorConv3x3 => Layer::Conv(ReluConvBn::new(p, c_in, c_out, 3, 1, 1)),
            Op::AvgPool3x3 => {
                Layer::Pool((c_in != c_out).then(|| ReluConvBn::new(&(p / "preprocess"), c_in, c_out, 1, 1, 0)))
            }
        }
    }
}

impl Layer {
    /// # Shapes
    /// `[b, c_in, h, w] -> [b, c_out, h, w]`; not for `none`, which the cell leaves out.
    fn forward_probed(&self, xs: &Tensor, train: bool, probe: &Probe) -> Tensor {
        match self {
            Layer::Zero => unreachable!("a cell adds no term for none"),
            Layer::Identity => xs.shallow_clone(),
            Layer::Factorized(conv, bn) => bn.forward_probed(&conv.forward_probed(xs, probe), train, probe),
            Layer::Conv(op) => op.forward_probed(&xs.relu(), train, probe),
            Layer::Pool(None) => avg_pool_3x3(xs),
            Layer::Pool(Some(preprocess)) => avg_pool_3x3(&preprocess.forward_probed(&xs.relu(), train, probe)),
        }
    }
}

impl Cell {
    fn new(p: &nn::Path, cell: &Genotype, c_in: i64, c_out: i64) -> Cell {
        let path = p / "layers";
        let layers = cell.layers();
        let live = live_layers(&layers);
        let layers = layers
            .iter()
            .zip(live)
            .enumerate()
            .map(|(k, (&(edge, op), live))| {
                let from_input = EDGES[edge].1 == 0;
                (Layer::new(&(&path / k), op, if from_input { c_in } else { c_out }, c_out), edge, live)
            })
            .collect();
        Cell { layers, channels: c_out }
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

impl Cell {
    /// # Shapes
    /// `[b, c_in, h, w] -> [b, c_out, h, w]`.
    fn forward_probed(&self, xs: &Tensor, train: bool, probe: &Probe) -> Tensor {
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
                    Layer::Conv(op) if live => {
                        op.forward_probed(activated[from].get_or_insert_with(|| input.relu()), train, probe)
                    }
                    _ if live => layer.forward_probed(input, train, probe),
                    // A dead layer in training, for its batch norms' statistics. A convolution's relu is not
                    // shared: it is made outside the graph, and a live layer of the same node needs one inside it.
                    _ => tch::no_grad(|| layer.forward_probed(input, train, probe)),
                };
                node = Some(match node {
                    None => term,
                    Some(sum) => sum + term,
                });
            }
            nodes.push(node.unwrap_or_else(|| {
                let (b, _, h, w) = xs.size4().expect("a batch of feature maps");
                Tensor::zeros([b, self.channels, h, w], (xs.kind(), xs.device()))
            }));
        }
        nodes.pop().expect("four nodes")
    }
}
