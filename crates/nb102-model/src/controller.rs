//! ENAS's controller (xautodl `search_model_enas_utils.Controller(num_edge=6, num_ops=5)`): a two-layer LSTM of
//! width 32 that, for each of the six edges in order, emits logits `2.5 · tanh(W h / 5)` over the five ops,
//! draws one, and feeds its embedding to the next step.
//!
//! State-dict keys are the reference's (`input_vars`, `w_lstm.weight_ih_l0`, …, `w_embd.weight`,
//! `w_pred.weight`, `w_pred.bias`); the initialisation draws what the reference draws, in its order, so a
//! seeded CPU controller has the reference's weights.

use nb102_space::{Arch, Op, NUM_EDGES};
use tch::nn::{self, Init, Module};
use tch::{Kind, Tensor};

use crate::ops::Linear;

/// Width of the LSTM and of the op embeddings.
const LSTM_SIZE: i64 = 32;
/// LSTM layers.
const LSTM_LAYERS: usize = 2;
/// `tanh_constant`.
const TANH_CONSTANT: f64 = 2.5;
/// `temperature`.
const TEMPERATURE: f64 = 5.0;

/// The controller's parameters.
#[derive(Debug)]
pub struct Controller {
    input_vars: Tensor,
    /// Per layer: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, the order `torch.lstm` takes them in.
    lstm: Vec<Tensor>,
    embedding: Tensor,
    pred: Linear,
}

/// One architecture drawn by the controller, with what REINFORCE needs of it.
#[derive(Debug)]
pub struct ControllerSample {
    /// `Σ log p(op_e)` over the six edges (in the graph).
    pub log_prob: Tensor,
    /// `Σ H(p_e)` over the six edges (in the graph).
    pub entropy: Tensor,
    /// The cell drawn.
    pub arch: Arch,
}

impl Controller {
    /// Builds the controller under `p`, drawing its initial values from libtorch's generator as the reference does.
    pub fn new(p: &nn::Path) -> Controller {
        let zeros = |p: &nn::Path, name: &str, dims: &[i64]| p.var(name, dims, Init::Const(0.0));
        // `torch.Tensor(1, 1, 32)` draws nothing; it is set by the last uniform draws below.
        let input_vars = zeros(p, "input_vars", &[1, 1, LSTM_SIZE]);
        let l = p / "w_lstm";
        let gates = 4 * LSTM_SIZE;
        let mut lstm = Vec::with_capacity(4 * LSTM_LAYERS);
        for layer in 0..LSTM_LAYERS {
            lstm.push(zeros(&l, &format!("weight_ih_l{layer}"), &[gates, LSTM_SIZE]));
            lstm.push(zeros(&l, &format!("weight_hh_l{layer}"), &[gates, LSTM_SIZE]));
            lstm.push(zeros(&l, &format!("bias_ih_l{layer}"), &[gates]));
            lstm.push(zeros(&l, &format!("bias_hh_l{layer}"), &[gates]));
        }
        let stdv = 1.0 / (LSTM_SIZE as f64).sqrt();
        let embedding = zeros(&(p / "w_embd"), "weight", &[Op::COUNT as i64, LSTM_SIZE]);
        tch::no_grad(|| {
            // `nn.LSTM.reset_parameters`: every parameter in order from U(±1/sqrt(hidden)).
            for t in &lstm {
                let _ = t.shallow_clone().uniform_(-stdv, stdv);
            }
            // `nn.Embedding`: N(0, 1).
            let _ = embedding.shallow_clone().normal_(0.0, 1.0);
        });
        let pred = Linear::new(&(p / "w_pred"), LSTM_SIZE, Op::COUNT as i64);
        tch::no_grad(|| {
            for t in [&input_vars, &lstm[1], &lstm[0], &embedding, pred.weight()] {
                let _ = t.shallow_clone().uniform_(-0.1, 0.1);
            }
        });
        Controller { input_vars, lstm, embedding, pred }
    }

    /// Draws a cell: at each edge, `choose(probs)` picks the op from the five probabilities (the reference draws
    /// with `Categorical.sample`; the caller's generator makes a run repeatable and resumable).
    pub fn sample(&self, choose: &mut dyn FnMut(&[f64]) -> usize) -> ControllerSample {
        let mut input = self.input_vars.shallow_clone(); // [1, 1, 32]
        let mut state: Option<(Tensor, Tensor)> = None;
        let (mut log_probs, mut entropies, mut ops) = (Vec::new(), Vec::new(), [Op::None; NUM_EDGES]);
        for op in &mut ops {
            let (h0, c0) = state.take().unwrap_or_else(|| {
                let zeros = Tensor::zeros([LSTM_LAYERS as i64, 1, LSTM_SIZE], (Kind::Float, input.device()));
                (zeros.shallow_clone(), zeros)
            });
            let (output, h, c) = input.lstm(&[h0, c0], &self.lstm, true, LSTM_LAYERS as i64, 0.0, true, false, false);
            state = Some((h, c));
            let logits = (self.pred.forward(&output) / TEMPERATURE).tanh() * TANH_CONSTANT; // [1, 1, 5]
                                                                                            // `Categorical(logits=…)`: normalised logits, their softmax, log-probability and entropy.
            let normalised = &logits - logits.logsumexp([-1], true);
            let probs = normalised.softmax(-1, Kind::Float);
            let p: Vec<f64> = Vec::<f32>::try_from(&probs.detach().view([-1]).to_device(tch::Device::Cpu))
                .expect("five probabilities")
                .into_iter()
                .map(f64::from)
                .collect();
            let k = choose(&p).min(Op::COUNT - 1);
            *op = Op::ALL[k];
            log_probs.push(normalised.view([-1]).select(0, k as i64));
            entropies.push(
                -(normalised.clamp_min(f64::from(f32::MIN)) * &probs)
                    .sum_dim_intlist(-1, false, Kind::Float)
                    .view([-1]),
            );
            let index = Tensor::from_slice(&[k as i64]).to_device(input.device()).view([1, 1]);
            input = Tensor::embedding(&self.embedding, &index, -1, false, false);
            // [1, 1, 32]
        }
        ControllerSample {
            log_prob: Tensor::stack(&log_probs, 0).sum(Kind::Float),
            entropy: Tensor::cat(&entropies, 0).sum(Kind::Float),
            arch: Arch::from_ops(ops),
        }
    }
}
