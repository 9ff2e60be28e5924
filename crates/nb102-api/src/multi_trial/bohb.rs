//! BOHB over hpbandster: Hyperband brackets with successive halving, cells proposed by a TPE-style kernel density
//! model; as the seed's `BOHB.py` ran it ([`bohb`]) and as NATS-Bench's `exps/NATS-algos/bohb.py` runs it
//! ([`bohb_nats`]).

use nb102_space::Categorical;
use rand::{Rng, RngCore};

use super::{finish, Oracle, Run, Step};
use crate::error::{ApiError, Result};

/// BOHB as the reference ran it (`BOHB.py` over hpbandster): Hyperband brackets with `eta` 3 between budgets 12
/// and 200 (so 22.2, 66.7 and 200), successive halving in each, and new cells proposed by a TPE-style model —
/// for the largest budget with enough results, kernel densities of the best 15% (`l`) and of the rest (`g`) with
/// Aitchison–Aitken kernels and statsmodels' normal-reference bandwidths (at least 0.3), 4 candidates drawn around
/// good cells (each op kept with probability 1 − bandwidth, else redrawn; the reference's bandwidth factor of 3
/// widens continuous parameters only, and these are all categorical), the one with the smallest `g/l` kept;
/// random cells until a model exists.
/// The reference's worker ignores the budget: every evaluation, at any rung, is one query (a new random trial) and
/// costs its simulated seconds; once the budget is spent every evaluation returns the worst loss. The answer is
/// hpbandster's incumbent: the lowest loss (100 − fitness) at the largest budget, the earliest of equals.
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn bohb<A: Categorical>(oracle: &dyn Oracle<A>, budget: f64, rng: &mut dyn RngCore) -> Result<Run<A>> {
    hyperband(oracle, budget, rng, &Variant { iterations: 50, epochs: None })
}

/// BOHB as NATS-Bench's `exps/NATS-algos/bohb.py` runs it (spec 10.8; `run-all.sh`: `--num_samples 4
/// --random_fraction 0.0 --bandwidth_factor 3`, `--n_iters 300`): the same brackets and model as [`bohb`], between
/// budgets of 1 and 12 epochs (so 1.33, 4 and 12), each evaluation the query of the 12-epoch schedule after epoch
/// `int(budget) − 1` (0, 3 and 11: [`Oracle::evaluate_at`]), which costs the training up to that epoch and one
/// validation pass. On another schedule (a demo's) the budgets run up to its epochs
/// ([`Oracle::schedule_epochs`]), the lowest at least one epoch. The reference does not stop at the budget; its trajectory is cut there afterwards, so the search
/// ends with the first evaluation that would exceed it, and the answer is the highest accuracy seen at any
/// fidelity (the first of equals), as the script's `max(trajectory)`.
///
/// # Errors
/// As [`Oracle::evaluate_at`].
pub fn bohb_nats<A: Categorical>(oracle: &dyn Oracle<A>, budget: f64, rng: &mut dyn RngCore) -> Result<Run<A>> {
    let epochs = oracle.schedule_epochs().ok_or_else(|| {
        ApiError::Search(
            "NATS-algos' BOHB: expected an oracle that answers earlier epochs, found one that does not".into(),
        )
    })?;
    // hpbandster's budgets `max · 3^(k − 2)`, queried after epoch `int(budget) − 1`.
    let at = |k: i32| (f64::from(epochs) * 3f64.powi(k - 2)) as u16;
    hyperband(oracle, budget, rng, &Variant { iterations: 300, epochs: Some([0, 1, 2].map(|k| at(k).max(1) - 1)) })
}

/// What tells the two BOHBs apart.
struct Variant {
    /// Hyperband iterations.
    iterations: usize,
    /// The epoch each rung queries (NATS-algos), or `None`: every rung the schedule's last (the seed's).
    epochs: Option<[u16; 3]>,
}

fn hyperband<A: Categorical>(
    oracle: &dyn Oracle<A>,
    budget: f64,
    rng: &mut dyn RngCore,
    variant: &Variant,
) -> Result<Run<A>> {
    const ETA: usize = 3;
    const RUNGS: usize = 3; // −int(log(12 / 200) / log 3) + 1, and −int(log(1 / 12) / log 3) + 1
    let held = oracle.cells();
    let mut model = Tpe::new(A::POSITIONS, A::CHOICES);
    let (mut total, mut ended, mut steps) = (0.0, false, Vec::new());
    let mut best_seen: Option<(A, f64)> = None;
    // (loss, order) of every evaluation at the largest budget: hpbandster's incumbent is the minimum.
    let mut incumbent: Option<(f64, usize, A)> = None;
    let mut order = 0;
    'search: for iteration in 0..variant.iterations {
        let s = RUNGS - 1 - iteration % RUNGS;
        let n0 = (RUNGS / (s + 1)) * ETA.pow(s as u32);
        let counts: Vec<usize> = (0..=s).map(|i| (n0 / ETA.pow(i as u32)).max(1)).collect();
        let first_rung = RUNGS - 1 - s;
        let mut configs: Vec<A> = Vec::new();
        for (stage, &n) in counts.iter().enumerate() {
            let rung = first_rung + stage;
            let mut losses = Vec::with_capacity(n);
            for k in 0..n {
                if stage == 0 {
                    let proposal = model.propose(rng).map(|choices| A::from_choices(&choices));
                    let arch = match proposal {
                        Some(arch) if oracle.holds(arch) => arch,
                        _ => random_held(oracle, held.as_deref(), rng)?,
                    };
                    configs.push(arch);
                }
                let arch = configs[k];
                let loss = if ended {
                    100.0
                } else {
                    let e = match variant.epochs {
                        None => oracle.evaluate(arch, rng)?,
                        Some(epochs) => oracle.evaluate_at(arch, epochs[rung], rng)?,
                    };
                    let e = e.ok_or_else(|| ApiError::Search(format!("cell {arch} vanished")))?;
                    if total + e.cost <= budget {
                        total += e.cost;
                        if best_seen.is_none_or(|(_, f)| e.fitness > f) {
                            best_seen = Some((arch, e.fitness));
                        }
                        // The seed's answer is the incumbent; NATS-algos' the best seen at any fidelity.
                        let now = match variant.epochs {
                            None => incumbent.map_or(best_seen.expect("just set").0, |i| i.2),
                            Some(_) => best_seen.expect("just set").0,
                        };
                        steps.push(Step { time: total, arch, fitness: e.fitness, best: now });
                        100.0 - e.fitness
                    } else if variant.epochs.is_some() {
                        // The trajectory is cut at the budget: nothing after this evaluation counts.
                        break 'search;
                    } else {
                        ended = true;
                        100.0
                    }
                };
                if variant.epochs.is_none() && rung == RUNGS - 1 && incumbent.is_none_or(|(l, _, _)| loss < l) {
                    incumbent = Some((loss, order, arch));
                    if let Some(last) = steps.last_mut().filter(|s| s.arch == arch && !ended) {
                        last.best = arch;
                    }
                }
                order += 1;
                model.record(rung, arch.choices(), loss);
                losses.push(loss);
            }
            // Successive halving: the best `counts[stage + 1]` go on (ties: the earlier).
            if let Some(&keep) = counts.get(stage + 1) {
                let mut ranked: Vec<usize> = (0..configs.len()).collect();
                ranked.sort_by(|&a, &b| losses[a].total_cmp(&losses[b]));
                let mut kept: Vec<usize> = ranked.into_iter().take(keep).collect();
                kept.sort_unstable();
                configs = kept.into_iter().map(|i| configs[i]).collect();
            }
        }
    }
    let answer = incumbent.map(|(l, _, a)| (a, 100.0 - l)).filter(|(_, f)| *f > 0.0).or(best_seen);
    finish(steps, answer)
}

/// A uniform cell among those the oracle holds, as hpbandster samples a random configuration: drawn, not
/// queried (the query at the rung is the one that costs and draws a trial).
fn random_held<A: Categorical>(oracle: &dyn Oracle<A>, held: Option<&[A]>, rng: &mut dyn RngCore) -> Result<A> {
    match held {
        Some([]) => Err(ApiError::Search("a benchmark that holds no cell".into())),
        Some(cells) => Ok(cells[rng.random_range(0..cells.len())]),
        None => loop {
            let arch = A::random(rng);
            if oracle.holds(arch) {
                return Ok(arch);
            }
        },
    }
}

/// BOHB's density model (hpbandster's `config_generators/bohb.py` with the reference's settings), over
/// `positions` categorical variables of `choices` values each (a cell's ops, a network's widths).
struct Tpe {
    positions: usize,
    choices: usize,
    /// Per rung, the evaluated architectures (their values) and their losses.
    data: [Vec<(Vec<usize>, f64)>; 3],
    /// The rung of the current model and its good and bad kernel densities.
    model: Option<(usize, Kde, Kde)>,
}

const TOP_PERCENT: usize = 15;
const MIN_BANDWIDTH: f64 = 0.3;
const CANDIDATES: usize = 4;

impl Tpe {
    fn new(positions: usize, choices: usize) -> Tpe {
        Tpe { positions, choices, data: Default::default(), model: None }
    }

    fn record(&mut self, rung: usize, values: Vec<usize>, loss: f64) {
        // No model for a budget below the current model's.
        if self.model.as_ref().is_some_and(|(r, ..)| *r > rung) {
            return;
        }
        self.data[rung].push((values, loss));
        let n = self.data[rung].len();
        let min_points = self.positions + 1;
        if n < min_points {
            return;
        }
        let n_good = min_points.max(TOP_PERCENT * n / 100);
        let n_bad = min_points.max((100 - TOP_PERCENT) * n / 100);
        let mut ranked: Vec<usize> = (0..n).collect();
        ranked.sort_by(|&a, &b| self.data[rung][a].1.total_cmp(&self.data[rung][b].1));
        let pick = |range: std::ops::Range<usize>| -> Vec<Vec<usize>> {
            let picked = ranked.get(range.start..range.end.min(n)).unwrap_or(&[]);
            picked.iter().map(|&i| self.data[rung][i].0.clone()).collect()
        };
        let (good, bad) = (pick(0..n_good), pick(n_good..n_good + n_bad));
        if good.len() <= self.positions || bad.len() <= self.positions {
            return;
        }
        self.model = Some((rung, Kde::fit(good, self.choices), Kde::fit(bad, self.choices)));
    }

    /// New values from the model, or `None` while there is none (then the caller draws uniformly).
    fn propose(&self, rng: &mut dyn RngCore) -> Option<Vec<usize>> {
        let (_, good, bad) = self.model.as_ref()?;
        let mut best: Option<(f64, Vec<usize>)> = None;
        for _ in 0..CANDIDATES {
            let datum = &good.data[rng.random_range(0..good.data.len())];
            let mut vector = vec![0usize; self.positions];
            for d in 0..self.positions {
                let bw = good.bw[d];
                vector[d] = if rng.random::<f64>() < 1.0 - bw { datum[d] } else { rng.random_range(0..self.choices) };
            }
            let score = bad.pdf(&vector).max(1e-32) / good.pdf(&vector).max(1e-32);
            if !score.is_finite() && good.pdf(&vector).is_finite() {
                best = Some((f64::NEG_INFINITY, vector));
                break;
            }
            if best.as_ref().is_none_or(|(b, _)| score < *b) {
                best = Some((score, vector));
            }
        }
        best.map(|(_, v)| v)
    }
}

/// statsmodels' `KDEMultivariate` over unordered variables: Aitchison–Aitken kernels, normal-reference
/// bandwidths computed on the values' indices (`1.06 · std · n^(−1/(4 + d))`, d variables), clipped below at the
/// minimum bandwidth.
struct Kde {
    data: Vec<Vec<usize>>,
    bw: Vec<f64>,
    /// Per variable, the number of distinct values in the data (statsmodels' `num_levels`).
    levels: Vec<f64>,
}

impl Kde {
    fn fit(data: Vec<Vec<usize>>, choices: usize) -> Kde {
        let (n, positions) = (data.len() as f64, data[0].len());
        let mut bw = vec![0.0; positions];
        for (d, b) in bw.iter_mut().enumerate() {
            let mean = data.iter().map(|v| v[d] as f64).sum::<f64>() / n;
            let std = (data.iter().map(|v| (v[d] as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
            *b = (1.06 * std * n.powf(-1.0 / (4.0 + positions as f64))).max(MIN_BANDWIDTH);
        }
        let levels = (0..positions)
            .map(|d| {
                let mut seen = vec![false; choices];
                data.iter().for_each(|v| seen[v[d]] = true);
                seen.iter().filter(|&&s| s).count() as f64
            })
            .collect();
        Kde { data, bw, levels }
    }

    fn pdf(&self, x: &[usize]) -> f64 {
        let levels = &self.levels;
        let sum: f64 = self
            .data
            .iter()
            .map(|v| {
                (0..x.len())
                    .map(|d| if v[d] == x[d] { 1.0 - self.bw[d] } else { self.bw[d] / (levels[d] - 1.0) })
                    .product::<f64>()
            })
            .sum();
        sum / self.data.len() as f64
    }
}
