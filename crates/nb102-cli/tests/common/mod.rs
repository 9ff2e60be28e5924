//! Records shared by the CLI tests that write trial files.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;

use nb102_space::Arch;
use nb102_store::{EvalPoint, EvalSet, Hp, NetConfig, Provenance, Setting, TrainEpoch, TrialRecord};

/// A safetensors file of one `f32` tensor `w` of `len` values, each `v`, as a record's weights.
pub fn weights_of(v: u8, len: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..len).flat_map(|_| [v, 0, 0, 0]).collect();
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![len], &data).unwrap();
    safetensors::serialize([("w", view)], None).unwrap()
}

/// A small safetensors file (one `f32` holding `v`).
pub fn weights(v: u8) -> Vec<u8> {
    weights_of(v, 1)
}

pub fn trial(index: usize, seed: u32) -> TrialRecord {
    let hp = Hp::new(2);
    TrialRecord {
        arch: Arch::from_official_index(index).unwrap().into(),
        setting: Setting::FashionMnist,
        hp,
        seed,
        net: NetConfig { channels: 8, cells: 1, classes: 10 },
        train: vec![TrainEpoch { loss: 1.0, top1: 60.0, top5: None, time: Some(3.0) }; 2],
        eval: BTreeMap::from([
            (EvalSet::XValid, vec![EvalPoint { epoch: 1, loss: Some(0.9), accuracy: Some(70.25), time: None }]),
            (EvalSet::OriTest, vec![EvalPoint { epoch: 1, loss: Some(0.95), accuracy: Some(68.5), time: None }]),
        ]),
        params_mb: 0.1,
        flops_m: 2.0,
        latency: vec![],
        provenance: Provenance {
            producer: "test".into(),
            config_hash: None,
            config: None,
            device: None,
            dataset_fingerprint: None,
        },
        weights: Some(weights(0)),
    }
}
