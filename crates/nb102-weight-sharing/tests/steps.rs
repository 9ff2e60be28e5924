//! Two steps of every algorithm from the same weights, batches and random choices equal xautodl's (golden files of
//! `scripts/golden/search_steps.py`): weights, architecture parameters, batch-norm statistics, and ENAS's
//! controller after its REINFORCE steps.

use std::collections::HashMap;
use std::path::PathBuf;

use nb102_model::{read_tensors, Skeleton};
use nb102_protocol::{Algorithm, SearchRun};
use nb102_space::Arch;
use nb102_store::Setting;
use nb102_weight_sharing::{Batch, ControllerTrainer, Supernet};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// libtorch's default generator is global: a test that seeds it and draws from it runs alone among those that draw.
static GLOBAL_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// `|ours − reference| ≤ 1e-5 · max(1, max |reference|)`: float32 results differ in their last bits from one CPU
/// to another.
fn assert_close(what: &str, ours: &Tensor, reference: &Tensor) {
    assert_eq!(ours.size(), reference.size(), "{what}: shapes");
    let reference = reference.to_kind(Kind::Double);
    let diff = (ours.to_kind(Kind::Double) - &reference).abs().max().double_value(&[]);
    let scale = reference.abs().max().double_value(&[]).max(1.0);
    assert!(diff <= 1e-5 * scale, "{what}: max |ours - reference| = {diff:e} > 1e-5 * {scale:e}");
}

/// Copies `{prefix}{name}` of `tensors` into every variable of `vs`.
fn load(vs: &VarStore, tensors: &HashMap<String, Tensor>, prefix: &str) {
    tch::no_grad(|| {
        for (name, var) in vs.variables() {
            let t = tensors.get(&format!("{prefix}{name}")).unwrap_or_else(|| panic!("no {prefix}{name}"));
            var.shallow_clone().copy_(t);
        }
    });
}

/// Every variable of `vs` against `{prefix}{name}`, and no reference tensor left over.
fn compare(case: &str, vs: &VarStore, tensors: &HashMap<String, Tensor>, prefix: &str) {
    let vars = vs.variables();
    assert_eq!(vars.len(), tensors.keys().filter(|k| k.starts_with(prefix)).count(), "{case}: number of tensors");
    for (name, var) in vars {
        let reference = &tensors[&format!("{prefix}{name}")];
        if var.kind() == Kind::Int64 {
            assert_eq!(var.int64_value(&[]), reference.int64_value(&[]), "{case} {name}");
        } else {
            assert_close(&format!("{case} {name}"), &var, reference);
        }
    }
}

fn batch(io: &HashMap<String, Tensor>, name: &str) -> Batch {
    Batch { x: io[&format!("{name}.x")].shallow_clone(), y: io[&format!("{name}.y")].shallow_clone() }
}

fn skeleton(f: &[&str]) -> Skeleton {
    let n = |i: usize| f[i].parse::<i64>().unwrap();
    Skeleton { channels: n(3), cells: n(4), classes: n(5), in_channels: 3, input_size: (n(6), n(6)) }
}

#[test]
fn two_steps_of_every_algorithm_equal_the_references() {
    let _rng = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let cases = std::fs::read_to_string(data("steps.tsv")).unwrap();
    let mut seen = Vec::new();
    for line in cases.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (name, algorithm): (&str, Algorithm) = (f[0], f[1].parse().unwrap());
        let io = read_tensors(&data(&format!("{name}.io.safetensors"))).unwrap();
        let mut run = SearchRun::paper(algorithm, Setting::Cifar10Valid, 1);
        // The golden steps use xautodl's biased cell convolutions and one SGD configuration for all.
        (run.track_running_stats, run.conv_bias, run.lr, run.weight_decay) = (f[2] == "1", true, 0.025, 5e-4);
        tch::manual_seed(f[8].parse().unwrap());
        let mut net = Supernet::new(&run, skeleton(&f), Device::Cpu).unwrap();
        // The seeded weights are the reference's bit for bit; the golden ones are loaded all the same.
        load(&net.vs, &io, "init.");
        let paths: Vec<Arch> = f[9..11].iter().map(|s| s.parse().unwrap()).collect();
        for (i, path) in paths.iter().enumerate() {
            let (base, arch) = (batch(&io, &format!("base{i}")), batch(&io, &format!("arch{i}")));
            match algorithm {
                Algorithm::DartsV1 => {
                    net.darts_v1_step(&base, &arch);
                }
                Algorithm::DartsV2 => {
                    net.darts_v2_step(&base, &arch);
                }
                Algorithm::Gdas => {
                    let mut draws =
                        vec![io[&format!("exp{i}w")].shallow_clone(), io[&format!("exp{i}a")].shallow_clone()];
                    net.gdas_step(&base, &arch, 2.0, &mut || draws.remove(0));
                }
                Algorithm::Setn => {
                    net.setn_step(&base, &arch, path);
                }
                Algorithm::Rsps | Algorithm::Enas => {
                    net.path_step(&base, path);
                }
            }
        }
        compare(name, &net.vs, &io, "after.");
        seen.push(algorithm);
    }
    for algorithm in Algorithm::ALL {
        assert!(seen.contains(&algorithm), "no golden steps of {algorithm}");
    }
}

#[test]
fn enas_controller_steps_equal_the_references() {
    let _rng = GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let io = read_tensors(&data("controller.io.safetensors")).unwrap();
    let mut run = SearchRun::paper(Algorithm::Enas, Setting::Cifar10Valid, 1);
    (run.conv_bias, run.controller.num_aggregate) = (true, 2);
    let skeleton = Skeleton { channels: 4, cells: 1, classes: 10, in_channels: 3, input_size: (8, 8) };
    let net = Supernet::new(&run, skeleton, Device::Cpu).unwrap();
    load(&net.vs, &io, "net.");
    let mut trainer = ControllerTrainer::new(Device::Cpu, run.controller);
    load(&trainer.vs, &io, "init.");
    let forced: [[usize; 6]; 4] = [[3, 0, 4, 1, 2, 3], [1, 1, 2, 0, 4, 3], [4, 3, 3, 2, 0, 1], [0, 2, 1, 3, 3, 4]];
    for (step, ops) in forced.iter().enumerate() {
        let mut edge = 0;
        let result = trainer.sample_step(&net, &batch(&io, &format!("ctl{step}")), Some(0.5), &mut |_| {
            edge += 1;
            ops[edge - 1]
        });
        assert!((0.0..=1.0).contains(&result.accuracy));
    }
    compare("controller", &trainer.vs, &io, "after.");
}
