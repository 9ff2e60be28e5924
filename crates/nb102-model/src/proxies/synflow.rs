//! synflow and synflow_bn: every tensor of the state dict made absolute, the copy in float64, one all-ones image of
//! the batch's shape, R = Σ logits; the score is Σ |W ⊙ ∂R/∂W| over the scored weights. synflow bypasses batch
//! norms (foresight's `bn=False` copy); synflow_bn keeps them, in train mode on that one image.

use tch::nn::VarStore;
use tch::{Kind, Tensor};

use super::{scored_weights, sum_layers, Batch};
use crate::error::Result;
use crate::network::TinyNetwork;
use crate::ops::Probe;

pub(super) fn score(vs: &mut VarStore, net: &TinyNetwork, batch: &Batch, batch_norm: bool) -> Result<f64> {
    tch::no_grad(|| {
        for (_, mut t) in vs.variables() {
            let _ = t.abs_();
        }
    });
    vs.double();
    let &[_, c, h, w] = batch.x.size().as_slice() else { unreachable!("a checked batch is [n, c, h, w]") };
    let ones = Tensor::ones([1, c, h, w], (Kind::Double, batch.x.device()));
    let probe = Probe { batch_norm, ..Probe::PLAIN };
    let (_, logits) = net.head(&net.forward_maps(&ones, true, &probe), &probe);
    let weights = scored_weights(vs);
    let grads = Tensor::f_run_backward(&[&logits], &weights, false, false)?;
    let terms = weights.iter().zip(&grads).filter(|(_, g)| g.defined()).map(|(w, g)| (w.detach() * g).abs());
    Ok(sum_layers(Kind::Double, terms))
}
