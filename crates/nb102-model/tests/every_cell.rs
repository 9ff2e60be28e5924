//! Every official cell trains: one SGD step of a tiny network of each of the 15,625 cells, with the reference's
//! arithmetic for parameters that the loss does not reach (a convolution whose node reaches the output only
//! through `none` edges: in the reference `none` is `x * 0`, so their gradient is zero, weight decay and momentum
//! still move them, and their batch norms still update in training).

use nb102_model::{NetworkConfig, Sgd, SgdConfig, TinyNetwork};
use nb102_space::{Arch, Op, EDGES, NUM_ARCHS, NUM_NODES};
use tch::nn::{ModuleT, VarStore};
use tch::{Device, Kind, Tensor};

/// Edges whose result reaches the output node through edges other than `none`, worked out backwards from the
/// output (independently of the network's own rule).
fn reaching_edges(arch: &Arch) -> Vec<bool> {
    let ops = arch.ops();
    let mut reaches = [false; NUM_NODES];
    reaches[NUM_NODES - 1] = true;
    for node in (0..NUM_NODES - 1).rev() {
        reaches[node] = (0..EDGES.len()).any(|k| EDGES[k].1 == node && ops[k] != Op::None && reaches[EDGES[k].0]);
    }
    (0..EDGES.len()).map(|k| ops[k] != Op::None && reaches[EDGES[k].0]).collect()
}

#[test]
fn every_official_cell_takes_a_training_step() {
    let config = SgdConfig { lr: 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: true };
    // The first step from zero momentum: d = wd p, buf = d, d += m buf, p -= lr d.
    let unreached_factor = 1.0 - config.lr * (1.0 + config.momentum) * config.weight_decay;
    let x = Tensor::randn([2, 3, 8, 8], (Kind::Float, Device::Cpu));
    let targets = Tensor::from_slice(&[0i64, 2]);
    let mut with_unreached = 0;
    for index in 0..NUM_ARCHS {
        let arch = Arch::from_official_index(index).unwrap();
        let net_config =
            NetworkConfig { cell: arch.into(), channels: 2, cells: 1, classes: 3, in_channels: 3, input_size: (8, 8) };
        let vs = VarStore::new(Device::Cpu);
        let net = TinyNetwork::new(&vs.root(), net_config).unwrap();
        let before: Vec<(String, Tensor)> = vs.variables().into_iter().map(|(k, v)| (k, v.copy())).collect();
        let mut sgd = Sgd::new(&vs, config);
        let loss = net.forward_t(&x, true).cross_entropy_for_logits(&targets);
        sgd.backward_step(&loss);
        let after = vs.variables();
        let reaching = reaching_edges(&arch);
        let mut unreached = false;
        for (name, old) in &before {
            let new = &after[name];
            assert!(bool::try_from(new.isfinite().all()).unwrap(), "cell {index} {name}: not finite");
            // cells.<stage>.layers.<edge>.op.<i>.<tensor> of the three cell stages (1 cell per stage: 0, 2, 4).
            let parts: Vec<&str> = name.split('.').collect();
            let edge = match parts.as_slice() {
                ["cells", _, "layers", edge, "op", ..] => edge.parse::<usize>().unwrap(),
                _ => continue,
            };
            if reaching[edge] {
                continue;
            }
            unreached = true;
            if name.ends_with("running_mean") {
                // Stays 0 where the edge's input node is all zeros (its edges all `none`); the variance shows the update.
            } else if name.ends_with("running_var") {
                assert!(!new.equal(old), "cell {index} {name}: the batch norm of an unreached edge updates");
            } else if name.ends_with("num_batches_tracked") {
                assert_eq!(new.int64_value(&[]), old.int64_value(&[]) + 1, "cell {index} {name}");
            } else {
                let expected = old * unreached_factor;
                let diff = (new - &expected).abs().max().double_value(&[]);
                let scale = old.abs().max().double_value(&[]).max(1e-30);
                assert!(diff <= 1e-6 * scale, "cell {index} {name}: a zero gradient's step, off by {diff:e}");
            }
        }
        with_unreached += usize::from(unreached);
    }
    println!("{with_unreached} of {NUM_ARCHS} cells have parameters the loss does not reach");
    // About one cell in six has a convolution that only `none` edges connect to the output.
    assert!((2000..4000).contains(&with_unreached), "{with_unreached} cells with unreached parameters");
}
