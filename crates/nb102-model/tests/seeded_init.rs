//! With the same `manual_seed` on the CPU, a new network's weights are bit-identical to those of the
//! reference (xautodl 1.0.0, `scripts/golden/model.py`): same layers, created in the same order, drawn
//! with the same distributions.
//!
//! libtorch's generator is global to the process, so this is the only test of its binary: a test
//! building networks on another thread would draw from the same generator in between.

use nb102_model::{read_tensors, TinyNetwork};
use tch::nn::VarStore;
use tch::Device;

mod common;

#[test]
fn seeded_initialisation_is_bit_identical_to_the_reference() {
    let mut checked = 0;
    for case in common::cases() {
        tch::manual_seed(case.seed);
        let vs = VarStore::new(Device::Cpu);
        let _net = TinyNetwork::new(&vs.root(), case.config).unwrap();
        let io = read_tensors(&common::data(&format!("{}.io.safetensors", case.name))).unwrap();
        for (name, ours) in vs.variables() {
            let reference = &io[&format!("init.{name}")];
            assert!(ours.equal(reference), "{}: {name} differs from the reference's initial value", case.name);
            checked += 1;
        }
    }
    assert!(checked > 300, "checked only {checked} tensors");
}
