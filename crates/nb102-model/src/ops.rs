//! The layers of the network, with the reference's parameter names and initialisation.
//!
//! Initialisation follows PyTorch's defaults in the order the reference constructs its modules, so with
//! the same `manual_seed` on the CPU a new network has bit-identical weights to `xautodl`'s
//! (`Conv2d`/`Linear` weights: `kaiming_uniform_(a=sqrt(5))`; `Linear` bias: `uniform(±1/sqrt(fan_in))`;
//! batch norm: ones, zeros, and running statistics 0 and 1).

use tch::nn::{self, Init};
use tch::{Device, Kind, Tensor};

/// What one forward pass of a benchmark network shows or changes beyond its output, for the zero-cost proxies
/// (`crate::proxies`): the reference reaches the same points by replacing modules' `forward` and hooking them.
/// [`Probe::PLAIN`] is an ordinary pass.
#[derive(Clone, Copy)]
pub(crate) struct Probe<'a> {
    /// Whether batch norms normalise; `false` passes their input through, as foresight's `bn=False` copy does.
    pub(crate) batch_norm: bool,
    /// Called with the output of every convolution and linear layer, before anything follows it, and its weight.
    pub(crate) on_output: Option<OutputHook<'a>>,
    /// Called with `relu(x)` for the input `x` of every ReLU module (`relu(x) > 0` where `x > 0`), and whether the
    /// ReLU is the first module of a `ReLUConvBN`, whose own input is the same `x`.
    pub(crate) on_relu_input: Option<ReluHook<'a>>,
}

/// [`Probe::on_output`]: a layer's output and its weight.
pub(crate) type OutputHook<'a> = &'a dyn Fn(&Tensor, &Tensor);
/// [`Probe::on_relu_input`]: `relu(x)` and whether the ReLU opens a `ReLUConvBN`.
pub(crate) type ReluHook<'a> = &'a dyn Fn(&Tensor, bool);

impl Probe<'_> {
    pub(crate) const PLAIN: Probe<'static> = Probe { batch_norm: true, on_output: None, on_relu_input: None };

    fn output(&self, output: Tensor, weight: &Tensor) -> Tensor {
        if let Some(on_output) = self.on_output {
            on_output(&output, weight);
        }
        output
    }

    pub(crate) fn relu_input(&self, relu_xs: &Tensor, in_relu_conv_bn: bool) {
        if let Some(on_relu_input) = self.on_relu_input {
            on_relu_input(relu_xs, in_relu_conv_bn);
        }
    }
}

impl std::fmt::Debug for Probe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("batch_norm", &self.batch_norm)
            .field("on_output", &self.on_output.is_some())
            .field("on_relu_input", &self.on_relu_input.is_some())
            .finish()
    }
}

/// PyTorch's `BatchNorm2d(c)` (eps 1e-5, momentum 0.1), affine and tracking statistics by default,
/// including the `num_batches_tracked` buffer, so the state dict has the reference's keys.
#[derive(Debug)]
pub(crate) struct BatchNorm {
    /// Weight and bias, when affine.
    affine: Option<(Tensor, Tensor)>,
    /// Running mean, variance and `num_batches_tracked`, when tracking statistics.
    stats: Option<(Tensor, Tensor, Tensor)>,
}

impl BatchNorm {
    pub(crate) fn new(p: &nn::Path, c: i64) -> BatchNorm {
        BatchNorm::with(p, c, true, true)
    }

    /// `BatchNorm2d(c, affine=affine, track_running_stats=track)`: without statistics it normalises by the
    /// batch's in evaluation too, and has no buffers.
    pub(crate) fn with(p: &nn::Path, c: i64, affine: bool, track: bool) -> BatchNorm {
        let affine = affine.then(|| (p.var("weight", &[c], Init::Const(1.0)), p.var("bias", &[c], Init::Const(0.0))));
        let stats = track.then(|| {
            (
                p.zeros_no_train("running_mean", &[c]),
                p.ones_no_train("running_var", &[c]),
                p.add("num_batches_tracked", Tensor::zeros([], (Kind::Int64, p.device())), false),
            )
        });
        BatchNorm { affine, stats }
    }
}

impl nn::ModuleT for BatchNorm {
    /// # Shapes
    /// `[b, c, h, w] -> [b, c, h, w]`; in training, updates the running statistics as PyTorch does.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        self.forward_probed(xs, train, &Probe::PLAIN)
    }
}

impl BatchNorm {
    /// As `forward_t`; the identity, without updating anything, when the probe bypasses batch norms.
    pub(crate) fn forward_probed(&self, xs: &Tensor, train: bool, probe: &Probe) -> Tensor {
        if !probe.batch_norm {
            return xs.shallow_clone();
        }
        let (weight, bias) = self.affine.as_ref().map(|(w, b)| (w, b)).unzip();
        let Some((mean, var, count)) = &self.stats else {
            return xs.batch_norm(weight, bias, None::<&Tensor>, None::<&Tensor>, true, 0.1, 1e-5, true);
        };
        if train {
            tch::no_grad(|| {
                let mut count = count.shallow_clone();
                let _ = count.f_add_scalar_(1).expect("num_batches_tracked is an int64 scalar");
            });
        }
        xs.batch_norm(weight, bias, Some(mean), Some(var), train, 0.1, 1e-5, true)
    }
}

/// A `Conv2d` with PyTorch's default initialisation, bias-free unless made by [`Conv::with_bias`].
#[derive(Debug)]
pub(crate) struct Conv {
    weight: Tensor,
    bias: Option<Tensor>,
    stride: i64,
    padding: i64,
}

impl Conv {
    pub(crate) fn new(p: &nn::Path, c_in: i64, c_out: i64, kernel: i64, stride: i64, padding: i64) -> Conv {
        Conv::with_bias(p, c_in, c_out, kernel, stride, padding, false)
    }

    /// With a bias when `bias`, drawn after the weight as PyTorch does (`uniform(±1/sqrt(fan_in))`).
    pub(crate) fn with_bias(
        p: &nn::Path,
        c_in: i64,
        c_out: i64,
        kernel: i64,
        stride: i64,
        padding: i64,
        bias: bool,
    ) -> Conv {
        let fan_in = c_in * kernel * kernel;
        let bound = kaiming_uniform_bound(fan_in);
        let weight = p.var("weight", &[c_out, c_in, kernel, kernel], Init::Uniform { lo: -bound, up: bound });
        let bias = bias.then(|| {
            let bound = 1.0 / (fan_in as f64).sqrt();
            p.var("bias", &[c_out], Init::Uniform { lo: -bound, up: bound })
        });
        Conv { weight, bias, stride, padding }
    }

    /// # Shapes
    /// `[b, c_in, h, w] -> [b, c_out, h', w']`.
    pub(crate) fn forward_probed(&self, xs: &Tensor, probe: &Probe) -> Tensor {
        let out = xs.conv2d(&self.weight, self.bias.as_ref(), [self.stride; 2], [self.padding; 2], [1, 1], 1);
        probe.output(out, &self.weight)
    }
}

/// `ReLUConvBN`: ReLU, bias-free convolution, batch norm; keys `op.1.weight` and `op.2.*`.
#[derive(Debug)]
pub(crate) struct ReluConvBn {
    conv: Conv,
    bn: BatchNorm,
}

/// How the layers of an op are made: the benchmark networks' are affine, track statistics and have bias-free
/// convolutions; the search cells' are not affine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpOptions {
    pub(crate) affine: bool,
    pub(crate) track_running_stats: bool,
    pub(crate) conv_bias: bool,
}

impl OpOptions {
    pub(crate) const BENCHMARK: OpOptions = OpOptions { affine: true, track_running_stats: true, conv_bias: false };
}

impl ReluConvBn {
    pub(crate) fn new(p: &nn::Path, c_in: i64, c_out: i64, kernel: i64, stride: i64, padding: i64) -> ReluConvBn {
        ReluConvBn::with(p, c_in, c_out, kernel, stride, padding, OpOptions::BENCHMARK)
    }

    pub(crate) fn with(
        p: &nn::Path,
        c_in: i64,
        c_out: i64,
        kernel: i64,
        stride: i64,
        padding: i64,
        options: OpOptions,
    ) -> ReluConvBn {
        let op = p / "op";
        ReluConvBn {
            conv: Conv::with_bias(&(&op / "1"), c_in, c_out, kernel, stride, padding, options.conv_bias),
            bn: BatchNorm::with(&(&op / "2"), c_out, options.affine, options.track_running_stats),
        }
    }
}

impl ReluConvBn {
    /// Convolution and batch norm of an input that is already `relu(x)`, seen by `probe`: a cell computes the ReLU
    /// of a node once for all the conv edges leaving it (same values as three separate ReLUs, and one ReLU backward
    /// instead of three).
    ///
    /// # Shapes
    /// `[b, c_in, h, w] -> [b, c_out, h / stride, w / stride]`.
    pub(crate) fn forward_probed(&self, relu_xs: &Tensor, train: bool, probe: &Probe) -> Tensor {
        probe.relu_input(relu_xs, true);
        self.bn.forward_probed(&self.conv.forward_probed(relu_xs, probe), train, probe)
    }
}

impl nn::ModuleT for ReluConvBn {
    /// # Shapes
    /// `[b, c_in, h, w] -> [b, c_out, h / stride, w / stride]`.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        self.forward_probed(&xs.relu(), train, &Probe::PLAIN)
    }
}

/// A `Linear` layer with PyTorch's default initialisation.
#[derive(Debug)]
pub(crate) struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    pub(crate) fn new(p: &nn::Path, c_in: i64, c_out: i64) -> Linear {
        let bound = kaiming_uniform_bound(c_in);
        let weight = p.var("weight", &[c_out, c_in], Init::Uniform { lo: -bound, up: bound });
        let bias_bound = 1.0 / (c_in as f64).sqrt();
        let bias = p.var("bias", &[c_out], Init::Uniform { lo: -bias_bound, up: bias_bound });
        Linear { weight, bias }
    }

    pub(crate) fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl nn::Module for Linear {
    /// # Shapes
    /// `[b, c_in] -> [b, c_out]`.
    fn forward(&self, xs: &Tensor) -> Tensor {
        self.forward_probed(xs, &Probe::PLAIN)
    }
}

impl Linear {
    pub(crate) fn forward_probed(&self, xs: &Tensor, probe: &Probe) -> Tensor {
        probe.output(xs.linear(&self.weight, Some(&self.bias)), &self.weight)
    }
}

/// `3x3` average pooling, stride 1, padding 1, dividing by the in-image elements only
/// (`count_include_pad=False`).
///
/// On the CPU, as the sum of each window by a depthwise convolution of ones, divided by the window's in-image
/// count: libtorch's CPU `avg_pool2d` is 4–8 times slower than that convolution, forward and backward, at the
/// benchmark's shapes (`[256, 8, 28, 28]`: 19.7 ms against 4.8 ms), and pooling cells then cost more than
/// convolution cells. The values agree to float rounding (about 1e-7 relative).
pub(crate) fn avg_pool_3x3(xs: &Tensor) -> Tensor {
    if xs.device() != Device::Cpu {
        return xs.avg_pool2d([3, 3], [1, 1], [1, 1], false, false, None::<i64>);
    }
    let (_, c, h, w) = xs.size4().expect("a batch of feature maps");
    let ones = Tensor::ones([c, 1, 3, 3], (xs.kind(), xs.device()));
    let sums = xs.conv2d(&ones, None::<Tensor>, [1, 1], [1, 1], [1, 1], c);
    // Along one axis a window holds 3 in-image elements, one fewer at each border.
    let counts = |n: i64| -> Vec<f32> {
        (0..n).map(|i| 3.0 - f32::from(u8::from(i == 0)) - f32::from(u8::from(i == n - 1))).collect()
    };
    let rows = Tensor::from_slice(&counts(h)).view([h, 1]);
    let cols = Tensor::from_slice(&counts(w)).view([1, w]);
    sums / (rows * cols).to_kind(xs.kind())
}

/// The bound of `torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))`, computed with the same float
/// operations as PyTorch so the drawn weights are bit-identical.
fn kaiming_uniform_bound(fan_in: i64) -> f64 {
    let a = 5f64.sqrt();
    let gain = (2.0 / (1.0 + a * a)).sqrt();
    let std = gain / (fan_in as f64).sqrt();
    3f64.sqrt() * std
}
