//! The libtorch toolchain works end to end: a convolution on the CPU gives the values worked out by hand.

use tch::{Device, Kind, Tensor};

#[test]
fn convolution_forward_of_known_values() {
    // Input 1..=9 as a 3x3 image, a 2x2 kernel of ones, no padding: each output is the sum of a 2x2 window.
    let x = Tensor::arange(9, (Kind::Float, Device::Cpu)).f_add_scalar(1.0).unwrap().reshape([1, 1, 3, 3]);
    let w = Tensor::ones([1, 1, 2, 2], (Kind::Float, Device::Cpu));
    let b = Tensor::from_slice(&[0.5f32]);
    let y = x.conv2d(&w, Some(&b), [1, 1], [0, 0], [1, 1], 1);
    assert_eq!(y.size(), [1, 1, 2, 2]);
    let values = Vec::<f32>::try_from(y.flatten(0, -1)).unwrap();
    assert_eq!(values, [12.5, 16.5, 24.5, 28.5]);
}
