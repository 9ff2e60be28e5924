//! REINFORCE (`reinforce.py`), with its policy's arithmetic: softmax, categorical and normal draws, Adam.

use nb102_space::Categorical;
use rand::{Rng, RngCore};

use super::{finish, known, Draw, Oracle, Run, Step};
use crate::error::Result;

/// REINFORCE (`reinforce.py`): a policy of logits per position and value (6×5 in the topology space, 5×8 in the
/// size space; initialised `1e-3·N(0, 1)`), one value per position (an op per edge, a width per layer) sampled from
/// each position's softmax; the reward is the fitness; the baseline is a bias-corrected moving average
/// (`momentum`) that includes the current reward; Adam with learning rate `lr` on `−log p · (reward − baseline)`.
/// Sampling stops once a cell's cost would reach the budget (that last cell is still a candidate, as in the
/// reference's trace); the answer is the cell with the highest reward.
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn reinforce<A: Categorical>(
    oracle: &dyn Oracle<A>,
    budget: f64,
    lr: f64,
    momentum: f64,
    rng: &mut dyn RngCore,
) -> Result<Run<A>> {
    let (positions, choices) = (A::POSITIONS, A::CHOICES);
    let mut logits = vec![vec![0.0f64; choices]; positions];
    for position in &mut logits {
        for l in position.iter_mut() {
            *l = 1e-3 * standard_normal(rng);
        }
    }
    let mut adam = Adam::new(lr, positions, choices);
    let held = oracle.cells();
    let (mut total, mut steps) = (0.0, Vec::new());
    let (mut numerator, mut denominator) = (0.0, 0.0);
    let mut best: Option<(A, f64)> = None;
    loop {
        let probs: Vec<Vec<f64>> = logits.iter().map(|l| softmax(l)).collect();
        let mut policy = |r: &mut dyn RngCore| {
            let picked: Vec<usize> = probs.iter().map(|p| nb102_space::categorical(p, r)).collect();
            A::from_choices(&picked)
        };
        let (arch, e) = known(oracle, held.as_deref(), rng, Draw::With(&mut policy))?;
        let picks = arch.choices();
        if best.is_none_or(|(_, f)| e.fitness > f) {
            best = Some((arch, e.fitness));
        }
        if total + e.cost >= budget {
            break;
        }
        total += e.cost;
        steps.push(Step { time: total, arch, fitness: e.fitness, best: best.expect("just set").0 });
        numerator = momentum * numerator + (1.0 - momentum) * e.fitness;
        denominator = momentum * denominator + (1.0 - momentum);
        let advantage = e.fitness - numerator / denominator;
        // d(−log p · A)/d logit = −A · (one-hot − softmax), position by position.
        let mut gradient = vec![vec![0.0f64; choices]; positions];
        for position in 0..positions {
            for value in 0..choices {
                let one_hot = if value == picks[position] { 1.0 } else { 0.0 };
                gradient[position][value] = -advantage * (one_hot - probs[position][value]);
            }
        }
        adam.step(&mut logits, &gradient);
    }
    finish(steps, best)
}

fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

/// A standard normal draw (Box–Muller).
fn standard_normal(rng: &mut dyn RngCore) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `torch.optim.Adam` with its defaults (betas 0.9 and 0.999, eps 1e-8, no weight decay).
struct Adam {
    lr: f64,
    t: i32,
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
}

impl Adam {
    fn new(lr: f64, positions: usize, choices: usize) -> Adam {
        Adam { lr, t: 0, m: vec![vec![0.0; choices]; positions], v: vec![vec![0.0; choices]; positions] }
    }

    fn step(&mut self, params: &mut [Vec<f64>], grad: &[Vec<f64>]) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        self.t += 1;
        let (c1, c2) = (1.0 - B1.powi(self.t), 1.0 - B2.powi(self.t));
        for e in 0..params.len() {
            for o in 0..params[e].len() {
                let g = grad[e][o];
                self.m[e][o] = B1 * self.m[e][o] + (1.0 - B1) * g;
                self.v[e][o] = B2 * self.v[e][o] + (1.0 - B2) * g * g;
                let step = self.lr / c1 * self.m[e][o] / ((self.v[e][o] / c2).sqrt() + 1e-8);
                params[e][o] -= step;
            }
        }
    }
}
