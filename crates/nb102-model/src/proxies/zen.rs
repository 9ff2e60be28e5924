//! Zen-NAS as NASLib computes it (`repeat=1`, mixup γ 0.01): under `no_grad`, after `tch::manual_seed(seed)`, the
//! conv and linear weights are redrawn from N(0, 1) in `modules()` order (biases 0, batch norms' weight 1 and bias
//! 0); x₁, x₂ ~ N(0, 1) of the batch's shape; with f the maps before global pooling (train mode),
//! score = ln meanₙ Σ|f(x₁) − f(x₁ + 0.01·x₂)| + Σ over batch norms of ln √mean(running_var), the running variances
//! as the two passes left them.

use std::collections::HashMap;

use tch::nn::VarStore;
use tch::{Kind, Tensor};

use super::Batch;
use crate::error::Result;
use crate::network::TinyNetwork;
use crate::ops::Probe;

pub(super) fn score(vs: &VarStore, net: &TinyNetwork, batch: &Batch, seed: i64) -> Result<f64> {
    let named = vs.variables();
    let names: HashMap<usize, &str> = named.iter().map(|(n, t)| (t.data_ptr() as usize, n.as_str())).collect();
    Ok(tch::no_grad(|| {
        tch::manual_seed(seed);
        for mut t in vs.trainable_variables() {
            if t.dim() >= 2 {
                let _ = t.normal_(0.0, 1.0);
            } else {
                // A one-dimensional parameter is a batch norm's weight (1) or a bias (0).
                let weight = names.get(&(t.data_ptr() as usize)).is_some_and(|n| n.ends_with(".weight"));
                let _ = t.fill_(if weight { 1.0 } else { 0.0 });
            }
        }
        let shape = batch.x.size();
        let options = (Kind::Float, batch.x.device());
        let x1 = Tensor::randn(shape.as_slice(), options);
        let x2 = Tensor::randn(shape.as_slice(), options);
        let mixed = &x1 + x2 * 0.01;
        let f1 = net.forward_maps(&x1, true, &Probe::PLAIN);
        let f2 = net.forward_maps(&mixed, true, &Probe::PLAIN);
        let delta = (f1 - f2).abs().sum_dim_intlist([1i64, 2, 3].as_slice(), false, Kind::Float).mean(Kind::Float);
        let mut running_vars: Vec<(&str, &Tensor)> =
            named.iter().filter(|(n, _)| n.ends_with(".running_var")).map(|(n, t)| (n.as_str(), t)).collect();
        running_vars.sort_by_key(|(n, _)| module_order(n));
        let mut log_scaling = Tensor::zeros([], (Kind::Float, tch::Device::Cpu));
        for (_, var) in running_vars {
            log_scaling += var.mean(Kind::Float).sqrt().log().to_device(tch::Device::Cpu);
        }
        (delta.log().to_device(tch::Device::Cpu) + log_scaling).double_value(&[])
    }))
}

/// A key that orders state-dict names as the reference's `modules()` visits them: stem, cells by number,
/// lastact, classifier; within a module, numbered children by number.
fn module_order(name: &str) -> Vec<(u64, String)> {
    name.split('.')
        .enumerate()
        .map(|(depth, part)| match (depth, part.parse::<u64>()) {
            (_, Ok(n)) => (n, String::new()),
            (0, Err(_)) => (
                ["stem", "cells", "lastact", "classifier"].iter().position(|p| *p == part).unwrap_or(4) as u64,
                part.to_owned(),
            ),
            (_, Err(_)) => (u64::MAX, part.to_owned()),
        })
        .collect()
}
