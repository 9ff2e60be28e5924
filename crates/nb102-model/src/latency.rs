//! Inference latency measured the reference's way (`pure_evaluate` in xautodl's `funcs_nasbench.py`):
//! the network in eval mode under no-grad, full batches of 256, each sample the time of forward plus
//! loss for one batch, the data already on the device, and the first sample dropped when there are
//! more than two.
//!
//! One deliberate difference: on CUDA the clock is read after a device synchronisation, so a sample is
//! the time the work took rather than the time to queue it (the reference reads it without one).

use std::time::Instant;

use tch::nn::ModuleT;
use tch::{Device, Kind, Tensor};

use crate::network::TinyNetwork;

/// Per-batch latencies in seconds of `batches` batches of `batch_size` random images on `device`
/// (the network must already be there); the first is dropped when `batches > 2`, as in the reference.
pub fn measure_latency(net: &TinyNetwork, device: Device, batch_size: i64, batches: usize) -> Vec<f64> {
    let config = net.config();
    let (h, w) = config.input_size();
    let _guard = tch::no_grad_guard();
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let images = Tensor::randn([batch_size, config.in_channels(), h, w], (Kind::Float, device));
            let targets = Tensor::randint(config.classes(), [batch_size], (Kind::Int64, device));
            synchronize(device);
            let start = Instant::now();
            let logits = net.forward_t(&images, false);
            let _loss = logits.cross_entropy_for_logits(&targets);
            synchronize(device);
            start.elapsed().as_secs_f64()
        })
        .collect();
    if samples.len() > 2 {
        samples.remove(0);
    }
    samples
}

/// Number of latency samples the reference takes per dataset: full batches of 256 in its test loader,
/// minus the first (CIFAR-10 test 10,000 images, CIFAR-100 and ImageNet16-120 `x-test` 5,000 and 3,000).
pub fn reference_batches(test_images: usize) -> usize {
    test_images / 256
}

fn synchronize(device: Device) {
    if let Device::Cuda(index) = device {
        tch::Cuda::synchronize(index as i64);
    }
}
