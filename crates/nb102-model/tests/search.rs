//! The search models against xautodl's (golden files of `scripts/golden/search_models.py`): seeded initial
//! weights, train-mode logits in every cell mode from the reference's weights (through the library and through
//! `nb102-model forward --search`), and ENAS's controller.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::assert_close;
use nb102_model::{
    load_weights, read_tensors, CellMode, Controller, GumbelSample, SearchConfig, SearchModel, SearchNetwork, Skeleton,
};
use nb102_space::Arch;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// libtorch's default generator is global: the tests of this file that seed it, or draw from it while another
/// seeds it, take turns.
static GLOBAL_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn data(name: &str) -> std::path::PathBuf {
    common::data(&format!("search/{name}"))
}

/// One line of `search/cases.tsv`.
struct Case {
    name: String,
    config: SearchConfig,
    mode: String,
    arch: Option<Arch>,
    tau: Option<f64>,
    seed: i64,
}

fn cases() -> Vec<Case> {
    std::fs::read_to_string(data("cases.tsv"))
        .unwrap()
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let n = |i: usize| f[i].parse::<i64>().unwrap();
            let model = match f[1] {
                "DARTS-V1" | "DARTS-V2" => SearchModel::Darts,
                "GDAS" => SearchModel::Gdas,
                "SETN" => SearchModel::Setn,
                "ENAS" => SearchModel::Enas,
                "RANDOM" => SearchModel::Rsps,
                other => panic!("unknown model {other}"),
            };
            let skeleton =
                Skeleton { channels: n(6), cells: n(7), classes: n(8), in_channels: 3, input_size: (n(9), n(9)) };
            Case {
                name: f[0].to_owned(),
                // xautodl's search cells: biased convolutions (`bias = not affine`).
                config: SearchConfig { model, skeleton, track_running_stats: f[3] == "1", conv_bias: true },
                mode: f[2].to_owned(),
                arch: (f[4] != "-").then(|| f[4].parse().unwrap()),
                tau: (f[5] != "-").then(|| f[5].parse().unwrap()),
                seed: n(11),
            }
        })
        .collect()
}

fn sorted(vs: &VarStore) -> Vec<(String, Tensor)> {
    let mut v: Vec<_> = vs.variables().into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn seeded_initialisation_is_the_references() {
    let _rng = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    for case in cases() {
        let io = read_tensors(&data(&format!("{}.io.safetensors", case.name))).unwrap();
        tch::manual_seed(case.seed);
        let vs = VarStore::new(Device::Cpu);
        SearchNetwork::new(&vs.root(), &case.config).unwrap();
        let ours = sorted(&vs);
        let reference: Vec<&String> = {
            let mut keys: Vec<&String> = io.keys().filter(|k| k.starts_with("init.")).collect();
            keys.sort();
            keys
        };
        assert_eq!(ours.len(), reference.len(), "{}: number of tensors", case.name);
        for (name, tensor) in &ours {
            let expected = &io[&format!("init.{name}")];
            assert_eq!(tensor.size(), expected.size(), "{} {name}", case.name);
            let diff = (tensor.to_kind(Kind::Double) - expected.to_kind(Kind::Double)).abs().max().double_value(&[]);
            assert_eq!(diff, 0.0, "{} {name}: seeded values differ", case.name);
        }
    }
}

fn forward(case: &Case, io: &HashMap<String, Tensor>) -> (Tensor, Tensor) {
    let mut vs = VarStore::new(Device::Cpu);
    let net = SearchNetwork::new(&vs.root(), &case.config).unwrap();
    load_weights(&mut vs, &data(&format!("{}.weights.safetensors", case.name))).unwrap();
    let x = &io["x"];
    tch::no_grad(|| match case.mode.as_str() {
        "weighted" => {
            let w = net.arch_parameters().unwrap().softmax(-1, Kind::Float);
            net.forward_features_t(x, true, &CellMode::Weighted(&w))
        }
        "gumbel" => {
            let sample =
                GumbelSample::new(net.arch_parameters().unwrap(), &io["exponentials"], case.tau.unwrap()).unwrap();
            net.forward_features_t(x, true, &CellMode::Gumbel(&sample))
        }
        "path" => net.forward_features_t(x, true, &CellMode::Path(case.arch.as_ref().unwrap())),
        other => panic!("unknown mode {other}"),
    })
}

#[test]
fn every_mode_gives_the_references_logits_from_its_weights() {
    let _rng = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    for case in cases() {
        let io = read_tensors(&data(&format!("{}.io.safetensors", case.name))).unwrap();
        let (features, logits) = forward(&case, &io);
        assert_close(&format!("{} features", case.name), &features, &io["features"]);
        assert_close(&format!("{} logits", case.name), &logits, &io["logits"]);
    }
}

#[test]
fn gumbel_weights_are_straight_through_one_hots() {
    let _rng = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let alpha = Tensor::from_slice(&[0.3f32; 30]).view([6, 5]).set_requires_grad(true);
    let draws = Tensor::from_slice(&[1.0f32, 0.5, 2.0, 0.1, 3.0].repeat(6)).view([6, 5]);
    let sample = GumbelSample::new(&alpha, &draws, 1.0).unwrap();
    // The smallest Exp(1) draw is the largest gumbel: op 3 on every edge.
    assert_eq!(sample.index, [3; 6]);
    assert_eq!(sample.arch().to_string().matches("nor_conv_3x3").count(), 6);
    let hard = sample.hard.detach();
    for e in 0..6 {
        for k in 0..5 {
            let expected = if k == 3 { 1.0 } else { 0.0 };
            assert!((hard.double_value(&[e, k]) - expected).abs() < 1e-6);
        }
    }
    // An infinite draw is refused, as the reference draws again.
    let zero = Tensor::zeros([6, 5], (Kind::Float, Device::Cpu));
    assert!(GumbelSample::new(&alpha, &zero, 1.0).is_none());
}

#[test]
fn controller_matches_the_reference() {
    let _rng = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let golden = read_tensors(&data("controller.safetensors")).unwrap();
    tch::manual_seed(0);
    let vs = VarStore::new(Device::Cpu);
    let controller = Controller::new(&vs.root());
    let ours = sorted(&vs);
    assert_eq!(ours.len(), golden.keys().filter(|k| k.starts_with("init.")).count());
    for (name, tensor) in &ours {
        let expected = &golden[&format!("init.{name}")];
        let diff = (tensor - expected).abs().max().double_value(&[]);
        assert_eq!(diff, 0.0, "controller {name}: seeded values differ");
    }
    let forced = [3usize, 0, 4, 1, 2, 3];
    let mut step = 0;
    let sample = controller.sample(&mut |probs| {
        assert_eq!(probs.len(), 5);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-5);
        step += 1;
        forced[step - 1]
    });
    assert_eq!(sample.arch.ops().map(|op| op.index()), forced);
    assert_close("log_prob", &sample.log_prob, &golden["log_prob"]);
    assert_close("entropy", &sample.entropy, &golden["entropy"]);
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nb102-model")).args(args).output().expect("nb102-model runs")
}

#[test]
fn forward_search_writes_the_references_logits() {
    let dir = std::env::temp_dir().join(format!("nb102-search-forward-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for case in cases() {
        let out = dir.join(format!("{}.out.safetensors", case.name));
        let weights = data(&format!("{}.weights.safetensors", case.name));
        let input = data(&format!("{}.io.safetensors", case.name));
        let (c, n) = (case.config.skeleton.channels.to_string(), case.config.skeleton.cells.to_string());
        let dataset = if case.config.skeleton.classes == 120 {
            "ImageNet16-120"
        } else if case.config.skeleton.classes == 100 {
            "cifar100"
        } else {
            "cifar10"
        };
        let mut args = vec![
            "forward",
            "--search",
            case.config.model.name(),
            "--dataset",
            dataset,
            "--channels",
            &c,
            "--cells",
            &n,
        ];
        let arch = case.arch.map(|a| a.to_string());
        if let Some(arch) = &arch {
            args.extend(["--arch", arch]);
        }
        let tau = case.tau.map(|t| t.to_string());
        if let Some(tau) = &tau {
            args.extend(["--tau", tau]);
        }
        let (w, i, o) = (weights.to_str().unwrap(), input.to_str().unwrap(), out.to_str().unwrap());
        args.extend(["--weights", w, "--input", i, "--output", o, "--device", "cpu"]);
        let output = cli(&args);
        assert!(output.status.success(), "{}: {}", case.name, String::from_utf8_lossy(&output.stderr));
        let ours = read_tensors(&out).unwrap();
        let reference = read_tensors(&input).unwrap();
        assert_close(&format!("{} logits (cli)", case.name), &ours["logits"], &reference["logits"]);
    }
    // Bad input: one line, status 2, no output.
    let out = dir.join("bad.safetensors");
    let bad = |extra: &[&str], weights: &str, needle: &str| {
        let (w, i, o) = (data(weights), data("enas.io.safetensors"), out.to_str().unwrap().to_owned());
        let mut args: Vec<&str> = vec!["forward", "--dataset", "cifar10", "--channels", "4", "--cells", "1"];
        args.extend(extra);
        args.extend(["--weights", w.to_str().unwrap(), "--input", i.to_str().unwrap(), "--output", &o]);
        let output = cli(&args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr} lacks {needle}");
        assert!(!out.exists());
    };
    bad(&["--search", "dart"], "enas.weights.safetensors", "expected darts, gdas, setn, enas or rsps");
    bad(&["--search", "enas"], "enas.weights.safetensors", "expected --arch");
    bad(&["--search", "gdas"], "gdas.weights.safetensors", "exponentials");
    // DARTS's weights for an ENAS model: it has no arch_parameters.
    bad(&["--search", "enas", "--arch", "1"], "darts-bn.weights.safetensors", "arch_parameters");
    std::fs::remove_dir_all(&dir).unwrap();
}
