//! The CUDA paths, on a machine with a GPU: `cargo test -p nb102-model --features cuda-tests --test cuda`.
//!
//! Outputs are compared with the reference's CPU outputs (`scripts/golden/model.py`). cuDNN convolutions
//! run in TF32 by default in libtorch, as in PyTorch, so outputs are compared relative to their scale
//! (`|cuda - cpu| <= 2e-3 * max(1, max |cpu|)`) rather than the CPU tests' 1e-5 of that scale; the measured
//! differences are printed.
#![cfg(feature = "cuda-tests")]

use nb102_model::{
    load_weights, measure_latency, read_tensors, DeviceSpec, NetworkConfig, Sgd, SgdConfig, TinyNetwork,
};
use tch::nn::{ModuleT, VarStore};
use tch::{Device, Kind, Tensor};

mod common;
use common::{cases, data};

/// Relative to the scale of the reference output (TF32 convolutions).
const RELATIVE: f64 = 2e-3;
/// Absolute, for parameters after three SGD steps.
const SGD_TOLERANCE: f64 = 1e-2;

fn check(what: &str, ours: &Tensor, reference: &Tensor) {
    assert_eq!(ours.device(), Device::Cuda(0), "{what} ran on the GPU");
    let reference = reference.to_kind(Kind::Double);
    let diff = (ours.to(Device::Cpu).to_kind(Kind::Double) - &reference).abs().max().double_value(&[]);
    let scale = reference.abs().max().double_value(&[]).max(1.0);
    println!("{what}: max |cuda - reference cpu| = {diff:.3e} (scale {scale:.3e})");
    assert!(diff <= RELATIVE * scale, "{what}: {diff:e} > {RELATIVE:e} * {scale:e}");
}

#[test]
fn auto_picks_the_gpu() {
    assert_eq!(DeviceSpec::Auto.resolve().unwrap(), Device::Cuda(0));
    assert_eq!("cuda:0".parse::<DeviceSpec>().unwrap().resolve().unwrap(), Device::Cuda(0));
}

#[test]
fn reference_weights_give_reference_outputs_on_cuda() {
    let gpu = Device::Cuda(0);
    for common::Case { name, config, .. } in cases() {
        let mut vs = VarStore::new(gpu);
        let net = TinyNetwork::new(&vs.root(), config).unwrap();
        load_weights(&mut vs, &data(&format!("{name}.weights.safetensors"))).unwrap();
        let io = read_tensors(&data(&format!("{name}.io.safetensors"))).unwrap();
        let x = io["x"].to(gpu);
        let (features, logits) = tch::no_grad(|| net.forward_features_t(&x, false));
        check(&format!("{name} eval logits"), &logits, &io["eval.logits"]);
        check(&format!("{name} eval features"), &features, &io["eval.features"]);
        let (_, logits) = tch::no_grad(|| net.forward_features_t(&x, true));
        check(&format!("{name} train logits"), &logits, &io["train.logits"]);
        let state = vs.variables();
        for key in io.keys().filter(|k| k.starts_with("train_state.") && k.ends_with("running_var")) {
            let var = key.trim_start_matches("train_state.");
            check(&format!("{name} {var}"), &state[var], &io[key]);
        }
    }
}

#[test]
fn sgd_steps_on_cuda_follow_the_reference() {
    let gpu = Device::Cuda(0);
    for common::Case { name, config, .. } in &cases()[..2] {
        let mut vs = VarStore::new(gpu);
        let net = TinyNetwork::new(&vs.root(), *config).unwrap();
        load_weights(&mut vs, &data(&format!("{name}.weights.safetensors"))).unwrap();
        let io = read_tensors(&data(&format!("{name}.io.safetensors"))).unwrap();
        let reference = read_tensors(&data(&format!("{name}.sgd.safetensors"))).unwrap();
        let mut sgd = Sgd::new(&vs, SgdConfig::nb201());
        for lr in [0.1, 0.05, 0.02] {
            sgd.set_lr(lr);
            let loss = net.forward_t(&io["x"].to(gpu), true).cross_entropy_for_logits(&reference["targets"].to(gpu));
            sgd.backward_step(&loss);
        }
        let mut worst = 0.0f64;
        for (var, t) in vs.variables() {
            let r = &reference[&format!("after.{var}")];
            worst = worst
                .max((t.to(Device::Cpu).to_kind(Kind::Double) - r.to_kind(Kind::Double)).abs().max().double_value(&[]));
        }
        println!("{name}: max |cuda - reference cpu| over the state after three steps = {worst:.3e}");
        assert!(worst <= SGD_TOLERANCE, "{name}: {worst:e}");
    }
}

#[test]
fn latency_is_measured_on_the_gpu() {
    let gpu = Device::Cuda(0);
    let config =
        NetworkConfig::nb201(nb102_space::Arch::from_official_index(1462).unwrap(), nb102_model::Dataset::Cifar10);
    let vs = VarStore::new(gpu);
    let net = TinyNetwork::new(&vs.root(), config).unwrap();
    let samples = measure_latency(&net, gpu, 256, 5);
    println!("all-conv3x3 cifar10 batch 256 latency samples (s): {samples:?}");
    assert_eq!(samples.len(), 4, "the first of five is dropped");
    assert!(samples.iter().all(|s| *s > 0.0 && *s < 10.0));
}
