//! REINFORCE (`reinforce.py`), with its policy's arithmetic: softmax, categorical and normal draws, Adam.

use nb102_space::{Arch, Op, NUM_EDGES};
use rand::{Rng, RngCore};

use super::{finish, known, Draw, Oracle, Run, Step};
use crate::error::Result;

/// REINFORCE (`reinforce.py`): a policy of 6×5 logits (initialised `1e-3·N(0, 1)`), one op per edge sampled from
/// each edge's softmax; the reward is the fitness; the baseline is a bias-corrected moving average
/// (`momentum`) that includes the current reward; Adam with learning rate `lr` on `−log p · (reward − baseline)`.
/// Sampling stops once a cell's cost would reach the budget (that last cell is still a candidate, as in the
/// reference's trace); the answer is the cell with the highest reward.
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn reinforce(oracle: &dyn Oracle, budget: f64, lr: f64, momentum: f64, rng: &mut dyn RngCore) -> Result<Run> {
    const OPS: usize = Op::COUNT;
    let mut logits = [[0.0f64; OPS]; NUM_EDGES];
    for edge in &mut logits {
        for l in edge.iter_mut() {
            *l = 1e-3 * standard_normal(rng);
        }
    }
    let mut adam = Adam::new(lr);
    let held = oracle.cells();
    let (mut total, mut steps) = (0.0, Vec::new());
    let (mut numerator, mut denominator) = (0.0, 0.0);
    let mut best: Option<(Arch, f64)> = None;
    loop {
        let probs: Vec<[f64; OPS]> = logits.iter().map(softmax).collect();
        let mut policy = |r: &mut dyn RngCore| {
            let mut ops = [Op::None; NUM_EDGES];
            for (edge, p) in probs.iter().enumerate() {
                ops[edge] = Op::ALL[nb102_space::categorical(p, r)];
            }
            Arch::from_ops(ops)
        };
        let (arch, e) = known(oracle, held.as_deref(), rng, Draw::With(&mut policy))?;
        let picks: [usize; NUM_EDGES] = arch.ops().map(Op::index);
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
        // d(−log p · A)/d logit = −A · (one-hot − softmax), edge by edge.
        let mut gradient = [[0.0f64; OPS]; NUM_EDGES];
        for edge in 0..NUM_EDGES {
            for op in 0..OPS {
                let one_hot = if op == picks[edge] { 1.0 } else { 0.0 };
                gradient[edge][op] = -advantage * (one_hot - probs[edge][op]);
            }
        }
        adam.step(&mut logits, &gradient);
    }
    finish(steps, best)
}

fn softmax(logits: &[f64; Op::COUNT]) -> [f64; Op::COUNT] {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp = logits.map(|l| (l - max).exp());
    let sum: f64 = exp.iter().sum();
    exp.map(|e| e / sum)
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
    m: [[f64; Op::COUNT]; NUM_EDGES],
    v: [[f64; Op::COUNT]; NUM_EDGES],
}

impl Adam {
    fn new(lr: f64) -> Adam {
        Adam { lr, t: 0, m: [[0.0; Op::COUNT]; NUM_EDGES], v: [[0.0; Op::COUNT]; NUM_EDGES] }
    }

    fn step(&mut self, params: &mut [[f64; Op::COUNT]; NUM_EDGES], grad: &[[f64; Op::COUNT]; NUM_EDGES]) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        self.t += 1;
        let (c1, c2) = (1.0 - B1.powi(self.t), 1.0 - B2.powi(self.t));
        for e in 0..NUM_EDGES {
            for o in 0..Op::COUNT {
                let g = grad[e][o];
                self.m[e][o] = B1 * self.m[e][o] + (1.0 - B1) * g;
                self.v[e][o] = B2 * self.v[e][o] + (1.0 - B2) * g * g;
                let step = self.lr / c1 * self.m[e][o] / ((self.v[e][o] / c2).sqrt() + 1e-8);
                params[e][o] -= step;
            }
        }
    }
}
