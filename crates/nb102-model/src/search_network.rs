//! The search networks of the weight-sharing baselines (xautodl's `TinyNetworkDarts`, `TinyNetworkGDAS`,
//! `TinyNetworkSETN`, `TinyNetworkENAS`, `TinyNetworkRANDOM`; spec 02 §2.7): the benchmark's skeleton around
//! `NAS201SearchCell`s, which hold all five ops on each of the six edges, built with batch norms that are not
//! affine (tracking statistics or not, an option) and, as xautodl builds them, biased convolutions or, as the
//! paper-time code did, bias-free ones.
//!
//! State-dict keys are xautodl's (`cells.0.edges.1<-0.3.op.1.weight`, `arch_parameters`, …), so its search
//! models' weights load unrenamed. One 6×5 `arch_parameters` tensor (edges in the canonical order, ops in
//! [`Op::ALL`] order) is shared by all cells of the models that have one. How a cell combines its ops is the
//! caller's [`CellMode`]: every term the reference computes is computed in its order, inside the autograd
//! graph, so gradients, batch-norm statistics and which parameters receive a gradient are the reference's.

use std::fmt;
use std::str::FromStr;

use nb102_space::layout::blocks;
use nb102_space::{Arch, Op, Skeleton, EDGES, NUM_EDGES, NUM_NODES};
use tch::nn::{self, ModuleT, VarStore};
use tch::{Kind, Tensor};

use crate::error::{ModelError, Result};
use crate::ops::{avg_pool_3x3, OpOptions, ReluConvBn};
use crate::skeleton::Backbone;

/// Which search model: they differ in whether they hold `arch_parameters` and in the cell modes their
/// algorithms use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchModel {
    /// `TinyNetworkDarts` (DARTS-V1 and -V2): softmax-weighted cells.
    Darts,
    /// `TinyNetworkGDAS`: one Gumbel-sampled op per edge, straight-through.
    Gdas,
    /// `TinyNetworkSETN`: one path in training, softmax-weighted cells for the architecture step.
    Setn,
    /// `TinyNetworkENAS`: one path, chosen by the controller; no `arch_parameters`.
    Enas,
    /// `TinyNetworkRANDOM` (RSPS): one random path; no `arch_parameters`.
    Rsps,
}

impl SearchModel {
    /// Every model, in the order above.
    pub const ALL: [SearchModel; 5] =
        [SearchModel::Darts, SearchModel::Gdas, SearchModel::Setn, SearchModel::Enas, SearchModel::Rsps];

    /// The command-line name: `darts`, `gdas`, `setn`, `enas`, `rsps`.
    pub const fn name(self) -> &'static str {
        match self {
            SearchModel::Darts => "darts",
            SearchModel::Gdas => "gdas",
            SearchModel::Setn => "setn",
            SearchModel::Enas => "enas",
            SearchModel::Rsps => "rsps",
        }
    }

    /// Whether the model holds the 6×5 `arch_parameters`.
    pub const fn has_arch_parameters(self) -> bool {
        matches!(self, SearchModel::Darts | SearchModel::Gdas | SearchModel::Setn)
    }
}

impl fmt::Display for SearchModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SearchModel {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<SearchModel> {
        SearchModel::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| ModelError::Config {
            what: "search model",
            expected: "darts, gdas, setn, enas or rsps".into(),
            found: s.to_owned(),
        })
    }
}

/// What a search network is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchConfig {
    /// The model.
    pub model: SearchModel,
    /// Width, depth and data shape.
    pub skeleton: Skeleton,
    /// Whether the cells' batch norms track running statistics (the scripts' `--track_running_stats`).
    pub track_running_stats: bool,
    /// Whether the cells' convolutions have a bias: xautodl's do (`bias = not affine`); the paper-time code's
    /// did not (spec 02 §2.7).
    pub conv_bias: bool,
}

impl SearchConfig {
    fn op_options(&self) -> OpOptions {
        OpOptions { affine: false, track_running_stats: self.track_running_stats, conv_bias: self.conv_bias }
    }
}

/// How each search cell combines the ops of an edge.
#[derive(Debug)]
pub enum CellMode<'a> {
    /// `Σ_k w[e, k] · op_k(x)` with `w` of shape `[6, 5]` (DARTS's `forward`, SETN's `joint` mode; the weights are
    /// usually `softmax(arch_parameters)`).
    Weighted(&'a Tensor),
    /// GDAS's `forward_gdas`: the sampled op times its straight-through weight, plus the other ops' weights.
    Gumbel(&'a GumbelSample),
    /// One op per edge (`forward_dynamic`: SETN, ENAS, RSPS).
    Path(&'a Arch),
}

/// One draw of GDAS's Gumbel-softmax over the six edges.
#[derive(Debug)]
pub struct GumbelSample {
    /// `one_hot(index) − probs.detach() + probs`, `[6, 5]`.
    pub hard: Tensor,
    /// The op of each edge, `argmax` of the perturbed logits.
    pub index: [usize; NUM_EDGES],
}

impl GumbelSample {
    /// The reference's draw from `alpha` (`[6, 5]`), given the `Exp(1)` draws `exponentials` (`[6, 5]`) and the
    /// temperature: gumbels `−log(e)`, `probs = softmax((log_softmax(α) + g) / τ)`, the hard one-hot and its
    /// straight-through weights. `None` when a gumbel or a probability is infinite or NaN: the reference then
    /// draws again.
    pub fn new(alpha: &Tensor, exponentials: &Tensor, tau: f64) -> Option<GumbelSample> {
        let gumbels = -exponentials.to_device(alpha.device()).to_kind(alpha.kind()).log();
        let logits = (alpha.log_softmax(1, alpha.kind()) + &gumbels) / tau;
        let probs = logits.softmax(1, logits.kind());
        let bad = |t: &Tensor| t.isinf().any().int64_value(&[]) != 0 || t.isnan().any().int64_value(&[]) != 0;
        if bad(&gumbels) || bad(&probs) {
            return None;
        }
        let argmax = probs.argmax(-1, true); // [6, 1]
        let one_hot = probs.zeros_like().scatter_value(-1, &argmax, 1.0);
        let hard = one_hot - probs.detach() + &probs;
        let picked = Vec::<i64>::try_from(&argmax.view([-1]).to_device(tch::Device::Cpu)).ok()?;
        let index = std::array::from_fn(|e| picked[e] as usize);
        Some(GumbelSample { hard, index })
    }

    /// The sampled cell.
    pub fn arch(&self) -> Arch {
        Arch::from_ops(self.index.map(|k| Op::ALL[k]))
    }
}

/// A search network; [`SearchNetwork::forward_t`] gives the logits for a [`CellMode`].
#[derive(Debug)]
pub struct SearchNetwork {
    config: SearchConfig,
    backbone: Backbone<SearchCell>,
    arch_parameters: Option<Tensor>,
}

impl SearchNetwork {
    /// Builds the network under `p` (the root of a `VarStore`) in the reference's construction order, the
    /// `arch_parameters` (`1e-3 · N(0, 1)`) last.
    ///
    /// # Errors
    /// As [`Skeleton::validate`].
    pub fn new(p: &nn::Path, config: &SearchConfig) -> Result<SearchNetwork> {
        config.skeleton.validate()?;
        let options = config.op_options();
        let backbone =
            Backbone::new(p, &blocks(&config.skeleton), |p, _, channels| SearchCell::new(p, channels, options));
        let arch_parameters = config.model.has_arch_parameters().then(|| {
            let init =
                tch::no_grad(|| Tensor::randn([NUM_EDGES as i64, Op::COUNT as i64], (Kind::Float, p.device())) * 1e-3);
            p.var_copy(ARCH_PARAMETERS, &init)
        });
        Ok(SearchNetwork { config: *config, backbone, arch_parameters })
    }

    /// The config the network was built from.
    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// The shared `arch_parameters`, `[6, 5]`, for the models that have them.
    pub fn arch_parameters(&self) -> Option<&Tensor> {
        self.arch_parameters.as_ref()
    }

    /// The trainable variables of `vs` (which holds this network) but the `arch_parameters`: xautodl's
    /// `get_weights()`, what the weight optimiser steps, in the order of their names.
    pub fn weights(vs: &VarStore) -> Vec<Tensor> {
        let named = crate::state_dict(vs).into_iter();
        named.filter(|(name, t)| name != ARCH_PARAMETERS && t.requires_grad()).map(|(_, t)| t).collect()
    }

    /// The argmax op of each edge's `arch_parameters` (the first maximum, as `argmax`): the models' `genotype()`.
    pub fn genotype(&self) -> Option<Arch> {
        let alpha = self.arch_parameters.as_ref()?;
        Some(argmax_arch(&alpha.detach()))
    }

    /// Pooled features and logits.
    ///
    /// # Shapes
    /// `[b, in_channels, h, w] -> ([b, 4C], [b, classes])`.
    pub fn forward_features_t(&self, xs: &Tensor, train: bool, mode: &CellMode<'_>) -> (Tensor, Tensor) {
        self.backbone.forward_features_t(xs, train, |cell, x| cell.forward_t(x, train, mode))
    }

    /// Logits.
    ///
    /// # Shapes
    /// `[b, in_channels, h, w] -> [b, classes]`.
    pub fn forward_t(&self, xs: &Tensor, train: bool, mode: &CellMode<'_>) -> Tensor {
        self.forward_features_t(xs, train, mode).1
    }
}

/// The state-dict key of the architecture parameters.
pub const ARCH_PARAMETERS: &str = "arch_parameters";

/// The cell whose edge `e` takes the op of `argmax(scores[e])` (the first maximum), `scores` being `[6, 5]`.
pub fn argmax_arch(scores: &Tensor) -> Arch {
    let picked = Vec::<i64>::try_from(&scores.argmax(-1, false).to_device(tch::Device::Cpu))
        .expect("argmax gives one int64 per edge");
    Arch::from_ops(std::array::from_fn(|e| Op::ALL[picked[e] as usize]))
}

/// `NAS201SearchCell`: node i is the sum, over its incoming edges in order, of the edge's combination of ops on
/// node j; the output is node 3. `edges.{to}<-{from}.{k}` is op k of an edge.
#[derive(Debug)]
struct SearchCell {
    /// For each edge in the canonical order, its five ops in [`Op::ALL`] order.
    edges: Vec<[SearchOp; Op::COUNT]>,
}

#[derive(Debug)]
enum SearchOp {
    /// `Zero`: `x · 0`, kept in the graph as the reference keeps it.
    Zero,
    Identity,
    Conv(ReluConvBn),
    Pool,
}

impl SearchOp {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        match self {
            SearchOp::Zero => xs * 0.0,
            SearchOp::Identity => xs.shallow_clone(),
            SearchOp::Conv(op) => op.forward_t(xs, train),
            SearchOp::Pool => avg_pool_3x3(xs),
        }
    }
}

impl SearchCell {
    fn new(p: &nn::Path, channels: i64, options: OpOptions) -> SearchCell {
        let edges = EDGES
            .iter()
            .map(|&(to, from)| {
                let edge = p / "edges" / format!("{to}<-{from}");
                Op::ALL.map(|op| {
                    let path = &edge / op.index();
                    match op {
                        Op::None => SearchOp::Zero,
                        Op::SkipConnect => SearchOp::Identity,
                        Op::NorConv1x1 => SearchOp::Conv(ReluConvBn::with(&path, channels, channels, 1, 1, 0, options)),
                        Op::NorConv3x3 => SearchOp::Conv(ReluConvBn::with(&path, channels, channels, 3, 1, 1, options)),
                        Op::AvgPool3x3 => SearchOp::Pool,
                    }
                })
            })
            .collect();
        SearchCell { edges }
    }

    /// # Shapes
    /// `[b, c, h, w] -> [b, c, h, w]`.
    fn forward_t(&self, xs: &Tensor, train: bool, mode: &CellMode<'_>) -> Tensor {
        let mut nodes: Vec<Tensor> = Vec::with_capacity(NUM_NODES);
        nodes.push(xs.shallow_clone());
        for to in 1..NUM_NODES {
            let mut node: Option<Tensor> = None;
            for (e, &(_, from)) in EDGES.iter().enumerate().filter(|(_, (t, _))| *t == to) {
                let term = self.edge_t(e, &nodes[from], train, mode);
                node = Some(match node {
                    None => term,
                    Some(sum) => sum + term,
                });
            }
            nodes.push(node.expect("every node has an incoming edge"));
        }
        nodes.pop().expect("four nodes")
    }

    fn edge_t(&self, e: usize, x: &Tensor, train: bool, mode: &CellMode<'_>) -> Tensor {
        let ops = &self.edges[e];
        match mode {
            CellMode::Weighted(weights) => {
                let w = weights.select(0, e as i64);
                // The `none` term is `x · 0 · w`: zeros, whose sum with the rest changes no value, and whose
                // gradient to `w` is zero; it is left out.
                let mut sum: Option<Tensor> = None;
                for (k, op) in ops.iter().enumerate().skip(1) {
                    let term = op.forward_t(x, train) * w.select(0, k as i64);
                    sum = Some(match sum {
                        None => term,
                        Some(s) => s + term,
                    });
                }
                sum.expect("four ops besides none")
            }
            CellMode::Gumbel(sample) => {
                let hard = sample.hard.select(0, e as i64);
                let k = sample.index[e];
                // The other ops' weights are exactly zero in value (`0 − p + p`), so adding them changes nothing
                // but carries their gradient, as the reference's sum does.
                let mut mask = vec![1f32; Op::COUNT];
                mask[k] = 0.0;
                let others = (&hard * Tensor::from_slice(&mask).to_device(hard.device())).sum(hard.kind());
                ops[k].forward_t(x, train) * hard.select(0, k as i64) + others
            }
            CellMode::Path(arch) => ops[arch.ops()[e].index()].forward_t(x, train),
        }
    }
}
