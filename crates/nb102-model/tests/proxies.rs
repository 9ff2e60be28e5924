//! The zero-cost proxies against the reference code (zero-cost-nas's `foresight` and NASLib's measures) on xautodl's
//! networks: `scripts/golden/proxies.py` wrote every score of the cases in `tests/data/proxies/cases.json` from the
//! same seeded weights and the batch it saved.

use std::collections::HashMap;
use std::sync::Mutex;

use nb102_model::{score_proxies, state_dict, Batch, Network, NetworkConfig, ProxyInput, SizeConfig, TinyNetwork};
use nb102_protocol::Proxy;
use serde_json::Value;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

mod common;
use common::data;

/// How close each score must be, relative to its magnitude (and an absolute floor for scores near zero).
///
/// float32 results differ in their last bits between libtorch's kernels on different CPUs and between summation
/// orders; most scores then agree to about 1e-6. Signed sums lose digits to cancellation (plain, grasp, whose
/// Hessian product comes through a second backward pass); epe_nas's ln(|corr| + 1e-5) multiplies the rounding of
/// a correlation near zero by up to 1e5, and with more than 100 classes it sums differences of those logarithms;
/// nwot's binary codes can flip for an activation within rounding of zero, which moves the log-determinant by far
/// less than the bound. synflow is float64 throughout.
fn tolerance(proxy: Proxy) -> (f64, f64) {
    match proxy {
        Proxy::Synflow | Proxy::SynflowBn => (1e-9, 0.0),
        Proxy::Plain | Proxy::Grasp | Proxy::EpeNas => (1e-4, 1e-6),
        _ => (1e-5, 1e-9),
    }
}

/// libtorch's generator is global: building a network draws from it, and so does zen. Each test holds this while
/// it draws.
static SEEDED: Mutex<()> = Mutex::new(());

fn network(case: &Value) -> Network {
    let n = |key: &str| case[key].as_i64().unwrap();
    let arch = case["arch"].as_str().unwrap();
    let input_size = (n("input"), n("input"));
    match arch.parse::<nb102_space::Channels>() {
        Ok(channels) => Network::Size(SizeConfig { channels, classes: n("classes"), in_channels: 3, input_size }),
        Err(_) => Network::Topology(NetworkConfig {
            cell: arch.parse().unwrap(),
            channels: n("channels"),
            cells: n("cells"),
            classes: n("classes"),
            in_channels: 3,
            input_size,
        }),
    }
}

#[test]
fn every_proxy_equals_the_reference_code_on_every_case() {
    let _seeded = SEEDED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let text = std::fs::read_to_string(data("proxies/cases.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 8, "cases: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let network = network(case);
        tch::manual_seed(case["seed"].as_i64().unwrap());
        let vs = VarStore::new(Device::Cpu);
        TinyNetwork::new(&vs.root(), network).unwrap();
        let state: HashMap<String, Tensor> = state_dict(&vs).into_iter().collect();
        let abs_sum: f64 = state
            .values()
            .filter(|t| t.kind() == Kind::Float)
            .map(|t| t.abs().sum(Kind::Double).double_value(&[]))
            .sum();
        let reference_sum = case["abs_sum"].as_f64().unwrap();
        // The reference summed each tensor in float32.
        assert!(
            (abs_sum - reference_sum).abs() <= 1e-6 * reference_sum,
            "{name}: weights differ: {abs_sum} against {reference_sum}"
        );
        let mut batch = Tensor::read_safetensors(data(&format!("proxies/{name}.batch.safetensors"))).unwrap();
        batch.sort_by(|a, b| a.0.cmp(&b.0));
        let [(_, x), (_, y)] = <[_; 2]>::try_from(batch).unwrap();
        let batch = Batch { x, y }.checked(&network, Device::Cpu).unwrap();
        let seed = case["zen_seed"].as_i64().unwrap();
        let input = ProxyInput { network, state: &state, batch: &batch, seed, device: Device::Cpu };
        let expected: HashMap<String, f64> = case["scores"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().parse().unwrap()))
            .collect();
        let proxies: Vec<Proxy> = expected.keys().map(|k| k.parse().unwrap()).collect();
        assert_eq!(proxies.len(), 14, "{name}: every proxy but params and flops");
        for (proxy, ours) in score_proxies(&input, &proxies).unwrap() {
            let reference = expected[proxy.name()];
            let (relative, floor) = tolerance(proxy);
            let close = if reference.is_finite() {
                (ours - reference).abs() <= relative * reference.abs() + floor
            } else {
                ours.is_nan() && reference.is_nan() || ours == reference
            };
            if !close {
                failures.push(format!("{name} {proxy}: ours {ours:e}, reference {reference:e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn params_and_flops_are_the_benchmarks_and_bad_batches_are_refused() {
    let _seeded = SEEDED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let network: Network =
        NetworkConfig::nb201(nb102_space::Arch::from_official_index(11472).unwrap(), nb102_model::Dataset::Cifar10)
            .into();
    let vs = VarStore::new(Device::Cpu);
    TinyNetwork::new(&vs.root(), network).unwrap();
    let state: HashMap<String, Tensor> = state_dict(&vs).into_iter().collect();
    let batch = Batch { x: Tensor::zeros([2, 3, 32, 32], tch::kind::FLOAT_CPU), y: Tensor::from_slice(&[0i64, 9]) }
        .checked(&network, Device::Cpu)
        .unwrap();
    let input = ProxyInput { network, state: &state, batch: &batch, seed: 0, device: Device::Cpu };
    let scores = score_proxies(&input, &[Proxy::Flops, Proxy::Params]).unwrap();
    // Cell 11472 on CIFAR-10: 0.559386 MB of parameters, 78.56193 MFLOPs (spec 02).
    assert_eq!(format!("{:.6}", scores[1].1), "0.559386");
    assert_eq!(format!("{:.5}", scores[0].1), "78.56193");

    let refused = |x: Tensor, y: Tensor| Batch { x, y }.checked(&network, Device::Cpu).unwrap_err().to_string();
    let err = refused(Tensor::zeros([2, 3, 16, 16], tch::kind::FLOAT_CPU), Tensor::from_slice(&[0i64, 1]));
    assert_eq!(err, "invalid batch x: expected shape [n, 3, 32, 32] with n > 0, found [2, 3, 16, 16]");
    let err = refused(Tensor::zeros([2, 3, 32, 32], tch::kind::FLOAT_CPU), Tensor::from_slice(&[0i64, 10]));
    assert_eq!(err, "invalid batch y: expected labels in 0..10, found labels in 0..=10");
    let err = refused(Tensor::zeros([2, 3, 32, 32], tch::kind::FLOAT_CPU), Tensor::from_slice(&[0i64]));
    assert_eq!(err, "invalid batch y: expected shape [2], one label per image, found [1]");
}
