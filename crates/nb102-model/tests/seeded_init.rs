//! With the same `manual_seed` on the CPU, a new network's weights are bit-identical to those of the
//! reference (xautodl 1.0.0, `scripts/golden/model.py`): same layers, created in the same order, drawn
//! with the same distributions.
//!
//! libtorch's generator is global to the process, so this is the only test of its binary: a test
//! building networks on another thread would draw from the same generator in between.

use std::path::PathBuf;

use nb102_model::{read_tensors, NetworkConfig, TinyNetwork};
use tch::nn::VarStore;
use tch::Device;

#[test]
fn seeded_initialisation_is_bit_identical_to_the_reference() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let cases = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    let mut checked = 0;
    for line in cases.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let n = |i: usize| f[i].parse::<i64>().unwrap();
        let config = NetworkConfig {
            arch: f[1].parse().unwrap(),
            channels: n(2),
            cells: n(3),
            classes: n(4),
            in_channels: 3,
            input_size: (n(5), n(5)),
        };
        tch::manual_seed(n(7));
        let vs = VarStore::new(Device::Cpu);
        let _net = TinyNetwork::new(&vs.root(), &config).unwrap();
        let io = read_tensors(&dir.join(format!("{}.io.safetensors", f[0]))).unwrap();
        for (name, ours) in vs.variables() {
            let reference = &io[&format!("init.{name}")];
            assert!(ours.equal(reference), "{}: {name} differs from the reference's initial value", f[0]);
            checked += 1;
        }
    }
    assert!(checked > 300, "checked only {checked} tensors");
}
