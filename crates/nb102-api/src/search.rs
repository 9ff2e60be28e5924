//! The multi-trial NAS baselines of NAS-Bench-201 (spec 08 §8.3–8.4): random search, regularized evolution,
//! REINFORCE and BOHB, searching under a simulated time budget by querying a benchmark.
//!
//! Each search asks an [`Oracle`] to "train" a cell, which answers with a fitness (the validation accuracy of
//! one trial) and the simulated seconds that trial would have cost; the search stops as the reference's does
//! when the budget would be exceeded. Everything random comes from the caller's generator, so a run is
//! reproducible from its seed. One difference on purpose: the reference also charges the real seconds its own
//! Python spends between queries (REA and REINFORCE); here the budget is simulated time only, so results do not
//! depend on the machine.

use nb102_space::{Arch, Op, NUM_EDGES};
use nb102_store::{Hp, Setting, TrialRecord, TrialSummary};
use rand::{Rng, RngCore};

use crate::error::{ApiError, Result};
use crate::query::Api;

/// What training a cell would give: its fitness and what it costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Validation accuracy in percent.
    pub fitness: f64,
    /// Simulated seconds: training plus one validation pass.
    pub cost: f64,
}

/// Answers a search's "train this cell" queries.
pub trait Oracle {
    /// The fitness and cost of `arch`, drawing any random choice (the seed of the trial) from `rng`; `None` for a
    /// cell the benchmark does not hold (a partial benchmark, such as the demo: the searches then draw again).
    ///
    /// # Errors
    /// A benchmark without the metric or times asked for, or a damaged file.
    fn evaluate(&self, arch: Arch, rng: &mut dyn RngCore) -> Result<Option<Evaluation>>;

    /// The cells the benchmark holds, when it holds only some.
    fn cells(&self) -> Option<Vec<Arch>> {
        None
    }
}

/// How a search draws its next cell.
enum Draw<'a> {
    /// Uniformly: over all cells, or over the cells a partial benchmark holds.
    Uniform,
    /// With a mutation or a policy; on a partial benchmark, after 100 misses in a row (a mutation whose every
    /// neighbour is missing, say) uniformly among the cells it holds.
    With(&'a mut dyn FnMut(&mut dyn RngCore) -> Arch),
}

/// Draws a cell the oracle knows, and its evaluation. `held` is the oracle's [`Oracle::cells`], fetched once per
/// run.
fn known(
    oracle: &dyn Oracle,
    held: Option<&[Arch]>,
    rng: &mut dyn RngCore,
    draw: Draw<'_>,
) -> Result<(Arch, Evaluation)> {
    match (draw, held) {
        (Draw::Uniform, None) => loop {
            let arch = Arch::random(rng);
            if let Some(e) = oracle.evaluate(arch, rng)? {
                return Ok((arch, e));
            }
        },
        (Draw::Uniform, Some(_)) => {}
        (Draw::With(f), _) => {
            for _ in 0..100 {
                let arch = f(rng);
                if let Some(e) = oracle.evaluate(arch, rng)? {
                    return Ok((arch, e));
                }
            }
        }
    }
    let cells = held.filter(|c| !c.is_empty()).ok_or_else(|| {
        ApiError::Search("100 draws in a row missed the benchmark's cells, and it does not list them".into())
    })?;
    let arch = cells[rng.random_range(0..cells.len())];
    let e = oracle.evaluate(arch, rng)?.ok_or_else(|| ApiError::Search(format!("cell {arch} listed but not held")))?;
    Ok((arch, e))
}

/// What a query costs, in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueryCost {
    /// The queried trial's recorded times: training plus one validation pass (`train-all-time + valid-per-time`,
    /// spec 08 §8.4), as in the paper.
    Recorded,
    /// `base + per_mflop × FLOPs` (millions) of the cell's network, for benchmarks without times (summary-only
    /// records), fitted by [`QueryCost::calibrate`] to trials that have them; `per_mflop` 0 is a constant cost.
    Modelled {
        /// Seconds of every query.
        base: f64,
        /// Seconds per million FLOPs.
        per_mflop: f64,
    },
}

impl QueryCost {
    /// The seconds charged for a query answered by the trial `row` summarises; `None` where the cost is the
    /// recorded one and the trial has no times.
    pub fn charge(&self, row: &TrialSummary) -> Option<f64> {
        match *self {
            QueryCost::Recorded => {
                let epochs = f64::from(row.hp.epochs());
                row.train_time.zip(row.valid_time).map(|(train, valid)| train + valid / epochs)
            }
            QueryCost::Modelled { base, per_mflop } => Some(base + per_mflop * row.flops_m),
        }
    }

    /// The model fitted to the trials of `setting` and `hp` among `records` (each trial's recorded cost, as
    /// [`QueryCost::Recorded`] charges it): with `by_flops`, the least-squares line over the trials' FLOPs, else
    /// their mean cost.
    ///
    /// # Errors
    /// [`ApiError::Search`] when no such trial has times, or (`by_flops`) when they all have the same FLOPs.
    pub fn calibrate(records: &[TrialRecord], setting: Setting, hp: Hp, by_flops: bool) -> Result<QueryCost> {
        let points: Vec<(f64, f64)> = records
            .iter()
            .filter(|r| r.setting == setting && r.hp == hp)
            .map(TrialSummary::of_record)
            .filter_map(|row| Some((row.flops_m, QueryCost::Recorded.charge(&row)?)))
            .collect();
        if points.is_empty() {
            return Err(ApiError::Search(format!(
                "calibrating the query cost: expected {setting} hp {hp} trials with times, found none"
            )));
        }
        let n = points.len() as f64;
        let (mean_flops, mean_cost) =
            (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
        if !by_flops {
            return Ok(QueryCost::Modelled { base: mean_cost, per_mflop: 0.0 });
        }
        let spread: f64 = points.iter().map(|p| (p.0 - mean_flops).powi(2)).sum();
        if spread == 0.0 {
            return Err(ApiError::Search(
                "calibrating the query cost by FLOPs: expected trials of cells with different FLOPs, found one value"
                    .into(),
            ));
        }
        let per_mflop = points.iter().map(|p| (p.0 - mean_flops) * (p.1 - mean_cost)).sum::<f64>() / spread;
        Ok(QueryCost::Modelled { base: mean_cost - per_mflop * mean_flops, per_mflop })
    }
}

/// The paper's oracle over a benchmark file: the validation accuracy of one random trial of `setting` after
/// the last epoch of `hp`, and as cost that trial's training time plus one validation pass (`train-all-time +
/// valid-per-time`, spec 08 §8.4), or a [`QueryCost`] model. The NAS-Bench-201 setting is `cifar10-valid` with the
/// 12-epoch schedule. On summary-only records (a table's seed means) a cell's one record is its trial.
///
/// It answers from the file's summary section (each trial's last-epoch accuracies and times), read once: a query
/// costs no decoding, and gives the numbers `Api::more_info` with `Seeds::Random` gives (the same trial for the same
/// draw, the same arithmetic).
pub struct BenchmarkOracle {
    setting: Setting,
    hp: Hp,
    /// Per official index, the range of its trials (sorted by seed) in `trials`.
    cells: Vec<Option<(u32, u32)>>,
    /// Per trial: x-valid accuracy, and the cost, where the trial has them.
    trials: Vec<(Option<f64>, Option<f64>)>,
    /// The cells with trials, when not every cell has some.
    held: Option<Vec<Arch>>,
}

impl BenchmarkOracle {
    /// The oracle over `api`'s file for `setting` and `hp`.
    ///
    /// # Errors
    /// A damaged summary section.
    pub fn new(api: &Api, setting: Setting, hp: Hp) -> Result<BenchmarkOracle> {
        BenchmarkOracle::with_cost(api, setting, hp, QueryCost::Recorded)
    }

    /// The oracle over `api`'s file for `setting` and `hp`, charging `cost` per query.
    ///
    /// # Errors
    /// A damaged summary section.
    pub fn with_cost(api: &Api, setting: Setting, hp: Hp, cost: QueryCost) -> Result<BenchmarkOracle> {
        let mut cells = vec![None; nb102_space::NUM_ARCHS];
        let mut trials = Vec::new();
        for row in api.file().summary()?.iter().filter(|r| r.setting == setting && r.hp == hp) {
            let slot = &mut cells[row.index];
            let (start, count) = slot.get_or_insert((trials.len() as u32, 0));
            *count += 1;
            debug_assert_eq!(*start as usize + *count as usize, trials.len() + 1, "rows of a cell are adjacent");
            trials.push((setting.valid_set().and_then(|set| row.accuracy(Some(set))), cost.charge(row)));
        }
        let held: Vec<Arch> = (0..cells.len())
            .filter(|&i| cells[i].is_some())
            .filter_map(|i| Arch::from_official_index(i).ok())
            .collect();
        let held = (held.len() < nb102_space::NUM_ARCHS).then_some(held);
        Ok(BenchmarkOracle { setting, hp, cells, trials, held })
    }
}

impl Oracle for BenchmarkOracle {
    fn evaluate(&self, arch: Arch, rng: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        let index = arch.official_index();
        let Some((start, count)) = self.cells[index] else { return Ok(None) };
        // The draw of `Seeds::Random`: a trial uniformly among the cell's, in seed order.
        let (fitness, cost) = self.trials[start as usize + rng.random_range(0..count as usize)];
        let unavailable =
            |what: &str| ApiError::Unavailable { index, setting: self.setting, hp: self.hp, what: what.into() };
        let fitness = fitness.ok_or_else(|| unavailable("x-valid accuracy after the last epoch"))?;
        let cost = cost.ok_or_else(|| {
            unavailable("training and validation times to charge (a modelled QueryCost charges none)")
        })?;
        Ok(Some(Evaluation { fitness, cost }))
    }

    fn cells(&self) -> Option<Vec<Arch>> {
        self.held.clone()
    }
}

/// One query of a search, and where the search stands after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Simulated seconds spent once this query is charged.
    pub time: f64,
    /// The cell queried.
    pub arch: Arch,
    /// Its fitness.
    pub fitness: f64,
    /// The cell the search would answer with now.
    pub best: Arch,
}

/// A finished search.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Every query within the budget, in order.
    pub steps: Vec<Step>,
    /// The search's answer.
    pub chosen: Arch,
    /// Its fitness when the search saw it.
    pub chosen_fitness: f64,
}

/// Random search (`RANDOM.py`): uniform cells until the next would exceed the budget; the best by fitness (the
/// first of equals).
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn random_search(oracle: &dyn Oracle, budget: f64, rng: &mut dyn RngCore) -> Result<Run> {
    let held = oracle.cells();
    let (mut total, mut steps) = (0.0, Vec::new());
    let mut best: Option<(Arch, f64)> = None;
    while total < budget {
        let (arch, e) = known(oracle, held.as_deref(), rng, Draw::Uniform)?;
        if total + e.cost > budget {
            break;
        }
        total += e.cost;
        if best.is_none_or(|(_, f)| e.fitness > f) {
            best = Some((arch, e.fitness));
        }
        steps.push(Step { time: total, arch, fitness: e.fitness, best: best.expect("just set").0 });
    }
    finish(steps, best)
}

/// Regularized evolution (`R_EA.py`): a population of `population` random cells (charged, not checked against
/// the budget), then cycles of: `sample` members drawn with replacement, the fittest (first of equals) mutated,
/// the child evaluated and, within budget, added while the oldest member leaves. The answer is the fittest cell
/// ever evaluated (first of equals).
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn regularized_evolution(
    oracle: &dyn Oracle,
    budget: f64,
    population: usize,
    sample: usize,
    rng: &mut dyn RngCore,
) -> Result<Run> {
    let held = oracle.cells();
    let (mut total, mut steps) = (0.0, Vec::new());
    let mut best: Option<(Arch, f64)> = None;
    let mut members: std::collections::VecDeque<(Arch, f64)> = std::collections::VecDeque::new();
    let mut record = |arch: Arch, fitness: f64, total: f64, steps: &mut Vec<Step>| {
        if best.is_none_or(|(_, f)| fitness > f) {
            best = Some((arch, fitness));
        }
        steps.push(Step { time: total, arch, fitness, best: best.expect("just set").0 });
    };
    while members.len() < population {
        let (arch, e) = known(oracle, held.as_deref(), rng, Draw::Uniform)?;
        total += e.cost;
        members.push_back((arch, e.fitness));
        record(arch, e.fitness, total, &mut steps);
    }
    while total < budget {
        let mut parent: Option<(Arch, f64)> = None;
        for _ in 0..sample {
            let candidate = members[rng.random_range(0..members.len())];
            if parent.is_none_or(|(_, f)| candidate.1 > f) {
                parent = Some(candidate);
            }
        }
        let parent = parent.expect("a sample of one or more").0;
        let (child, e) = known(oracle, held.as_deref(), rng, Draw::With(&mut |r: &mut dyn RngCore| parent.mutate(r)))?;
        if total + e.cost > budget {
            break;
        }
        total += e.cost;
        members.push_back((child, e.fitness));
        members.pop_front();
        record(child, e.fitness, total, &mut steps);
    }
    finish(steps, best)
}

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
                ops[edge] = Op::ALL[sample_categorical(p, r)];
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
pub fn bohb(oracle: &dyn Oracle, budget: f64, rng: &mut dyn RngCore) -> Result<Run> {
    const ETA: usize = 3;
    const RUNGS: usize = 3; // −int(log(12 / 200) / log 3) + 1
    const ITERATIONS: usize = 50;
    let held = oracle.cells();
    let mut model = Tpe::default();
    let (mut total, mut ended, mut steps) = (0.0, false, Vec::new());
    let mut best_seen: Option<(Arch, f64)> = None;
    // (loss, order) of every evaluation at the largest budget: hpbandster's incumbent is the minimum.
    let mut incumbent: Option<(f64, usize, Arch)> = None;
    let mut order = 0;
    for iteration in 0..ITERATIONS {
        let s = RUNGS - 1 - iteration % RUNGS;
        let n0 = (RUNGS / (s + 1)) * ETA.pow(s as u32);
        let counts: Vec<usize> = (0..=s).map(|i| (n0 / ETA.pow(i as u32)).max(1)).collect();
        let first_rung = RUNGS - 1 - s;
        let mut configs: Vec<Arch> = Vec::new();
        for (stage, &n) in counts.iter().enumerate() {
            let rung = first_rung + stage;
            let mut losses = Vec::with_capacity(n);
            for k in 0..n {
                if stage == 0 {
                    let proposal = model.propose(rng);
                    let arch = match proposal {
                        Some(arch) if oracle.evaluate(arch, rng)?.is_some() => arch,
                        _ => known(oracle, held.as_deref(), rng, Draw::Uniform)?.0,
                    };
                    configs.push(arch);
                }
                let arch = configs[k];
                let loss = if ended {
                    100.0
                } else {
                    let e =
                        oracle.evaluate(arch, rng)?.ok_or_else(|| ApiError::Search(format!("cell {arch} vanished")))?;
                    if total + e.cost <= budget {
                        total += e.cost;
                        if best_seen.is_none_or(|(_, f)| e.fitness > f) {
                            best_seen = Some((arch, e.fitness));
                        }
                        let now = incumbent.map_or(best_seen.expect("just set").0, |i| i.2);
                        steps.push(Step { time: total, arch, fitness: e.fitness, best: now });
                        100.0 - e.fitness
                    } else {
                        ended = true;
                        100.0
                    }
                };
                if rung == RUNGS - 1 && incumbent.is_none_or(|(l, _, _)| loss < l) {
                    incumbent = Some((loss, order, arch));
                    if let Some(last) = steps.last_mut().filter(|s| s.arch == arch && !ended) {
                        last.best = arch;
                    }
                }
                order += 1;
                model.record(rung, arch, loss);
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

/// BOHB's density model (hpbandster's `config_generators/bohb.py` with the reference's settings).
#[derive(Default)]
struct Tpe {
    /// Per rung, the evaluated cells (op indices) and their losses.
    data: [Vec<([usize; NUM_EDGES], f64)>; 3],
    /// The rung of the current model and its good and bad kernel densities.
    model: Option<(usize, Kde, Kde)>,
}

const TOP_PERCENT: usize = 15;
const MIN_POINTS: usize = NUM_EDGES + 1;
const MIN_BANDWIDTH: f64 = 0.3;
const CANDIDATES: usize = 4;

impl Tpe {
    fn record(&mut self, rung: usize, arch: Arch, loss: f64) {
        // No model for a budget below the current model's.
        if self.model.as_ref().is_some_and(|(r, ..)| *r > rung) {
            return;
        }
        self.data[rung].push((arch.ops().map(Op::index), loss));
        let n = self.data[rung].len();
        if n < MIN_POINTS {
            return;
        }
        let n_good = MIN_POINTS.max(TOP_PERCENT * n / 100);
        let n_bad = MIN_POINTS.max((100 - TOP_PERCENT) * n / 100);
        let mut ranked: Vec<usize> = (0..n).collect();
        ranked.sort_by(|&a, &b| self.data[rung][a].1.total_cmp(&self.data[rung][b].1));
        let pick = |range: std::ops::Range<usize>| -> Vec<[usize; NUM_EDGES]> {
            ranked.get(range.start..range.end.min(n)).unwrap_or(&[]).iter().map(|&i| self.data[rung][i].0).collect()
        };
        let (good, bad) = (pick(0..n_good), pick(n_good..n_good + n_bad));
        if good.len() <= NUM_EDGES || bad.len() <= NUM_EDGES {
            return;
        }
        self.model = Some((rung, Kde::fit(good), Kde::fit(bad)));
    }

    /// A new cell from the model, or `None` while there is none (then the caller draws uniformly).
    fn propose(&self, rng: &mut dyn RngCore) -> Option<Arch> {
        let (_, good, bad) = self.model.as_ref()?;
        let mut best: Option<(f64, [usize; NUM_EDGES])> = None;
        for _ in 0..CANDIDATES {
            let datum = good.data[rng.random_range(0..good.data.len())];
            let mut vector = [0usize; NUM_EDGES];
            for d in 0..NUM_EDGES {
                let bw = good.bw[d];
                vector[d] = if rng.random::<f64>() < 1.0 - bw { datum[d] } else { rng.random_range(0..Op::COUNT) };
            }
            let score = bad.pdf(&vector).max(1e-32) / good.pdf(&vector).max(1e-32);
            if !score.is_finite() && good.pdf(&vector).is_finite() {
                best = Some((f64::NEG_INFINITY, vector));
                break;
            }
            if best.is_none_or(|(b, _)| score < b) {
                best = Some((score, vector));
            }
        }
        best.map(|(_, v)| Arch::from_ops(v.map(|i| Op::ALL[i])))
    }
}

/// statsmodels' `KDEMultivariate` over unordered variables: Aitchison–Aitken kernels, normal-reference
/// bandwidths computed on the op indices (`1.06 · std · n^(−1/10)`), clipped below at the minimum bandwidth.
struct Kde {
    data: Vec<[usize; NUM_EDGES]>,
    bw: [f64; NUM_EDGES],
    /// Per variable, the number of distinct values in the data (statsmodels' `num_levels`).
    levels: [f64; NUM_EDGES],
}

impl Kde {
    fn fit(data: Vec<[usize; NUM_EDGES]>) -> Kde {
        let n = data.len() as f64;
        let mut bw = [0.0; NUM_EDGES];
        for (d, b) in bw.iter_mut().enumerate() {
            let mean = data.iter().map(|v| v[d] as f64).sum::<f64>() / n;
            let std = (data.iter().map(|v| (v[d] as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
            *b = (1.06 * std * n.powf(-1.0 / (4.0 + NUM_EDGES as f64))).max(MIN_BANDWIDTH);
        }
        let levels = std::array::from_fn(|d| {
            let mut seen = [false; Op::COUNT];
            data.iter().for_each(|v| seen[v[d]] = true);
            seen.iter().filter(|&&s| s).count() as f64
        });
        Kde { data, bw, levels }
    }

    fn pdf(&self, x: &[usize; NUM_EDGES]) -> f64 {
        let levels = &self.levels;
        let sum: f64 = self
            .data
            .iter()
            .map(|v| {
                (0..NUM_EDGES)
                    .map(|d| if v[d] == x[d] { 1.0 - self.bw[d] } else { self.bw[d] / (levels[d] - 1.0) })
                    .product::<f64>()
            })
            .sum();
        sum / self.data.len() as f64
    }
}

fn finish(steps: Vec<Step>, best: Option<(Arch, f64)>) -> Result<Run> {
    let (chosen, chosen_fitness) =
        best.ok_or_else(|| ApiError::Search("a budget too small for a single query (no cell evaluated)".into()))?;
    Ok(Run { steps, chosen, chosen_fitness })
}

fn softmax(logits: &[f64; Op::COUNT]) -> [f64; Op::COUNT] {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp = logits.map(|l| (l - max).exp());
    let sum: f64 = exp.iter().sum();
    exp.map(|e| e / sum)
}

fn sample_categorical(p: &[f64], rng: &mut dyn RngCore) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (i, pi) in p.iter().enumerate() {
        acc += pi;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
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

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// A landscape with one best cell (every edge a 3x3 convolution): 10 points per such edge, a little more
    /// for some cells; every query costs 100 s. Optionally only some cells exist.
    struct Landscape(Option<Vec<Arch>>);

    impl Oracle for Landscape {
        fn evaluate(&self, arch: Arch, _: &mut dyn RngCore) -> Result<Option<Evaluation>> {
            if self.0.as_ref().is_some_and(|cells| !cells.contains(&arch)) {
                return Ok(None);
            }
            let convs = arch.ops().iter().filter(|&&op| op == Op::NorConv3x3).count() as f64;
            Ok(Some(Evaluation { fitness: 10.0 * convs + (arch.official_index() % 7) as f64 / 10.0, cost: 100.0 }))
        }

        fn cells(&self) -> Option<Vec<Arch>> {
            self.0.clone()
        }
    }

    fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    #[test]
    fn random_search_spends_the_budget_and_keeps_the_best() {
        let run = random_search(&Landscape(None), 1000.0, &mut rng(1)).unwrap();
        assert_eq!(run.steps.len(), 10, "ten queries of 100 s fit a budget of 1,000 s");
        assert_eq!(run.steps.last().unwrap().time, 1000.0);
        let best = run.steps.iter().map(|s| s.fitness).fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(run.chosen_fitness, best);
        assert_eq!(run, random_search(&Landscape(None), 1000.0, &mut rng(1)).unwrap(), "a seed gives the same run");
        assert!(matches!(random_search(&Landscape(None), 50.0, &mut rng(1)), Err(ApiError::Search(_))));
    }

    #[test]
    fn evolution_climbs_to_the_best_cell() {
        let all_conv = Arch::from_ops([Op::NorConv3x3; NUM_EDGES]);
        let mut found = 0;
        for seed in 0..20 {
            let run = regularized_evolution(&Landscape(None), 20_000.0, 10, 3, &mut rng(seed)).unwrap();
            assert_eq!(run.steps.len(), 200);
            // Children are one edge away from a parent of the population.
            assert!(run.steps[10..].iter().all(|s| run.steps.iter().any(|p| p.arch.hamming_distance(&s.arch) == 1)));
            found += usize::from(run.chosen == all_conv);
        }
        assert!(found >= 15, "REA found the best cell in {found} of 20 runs");
    }

    #[test]
    fn reinforce_learns_the_landscape() {
        let run = reinforce(&Landscape(None), 30_000.0, 0.5, 0.9, &mut rng(3)).unwrap();
        let mean = |steps: &[Step]| steps.iter().map(|s| s.fitness).sum::<f64>() / steps.len() as f64;
        let (first, last) = (mean(&run.steps[..10]), mean(&run.steps[run.steps.len() - 50..]));
        // A uniform policy averages 12 (1.2 convolutions of 6 edges); the learnt one more than twice that.
        assert!(last > 30.0 && last > first, "mean fitness {first:.1} at first, {last:.1} at the end");
    }

    #[test]
    fn bohb_finds_good_cells_within_the_budget() {
        let mut fitness = Vec::new();
        for seed in 0..10 {
            let run = bohb(&Landscape(None), 12_000.0, &mut rng(seed)).unwrap();
            assert_eq!(run.steps.len(), 120, "every rung's evaluation is a query of 100 s");
            assert!(run.steps.windows(2).all(|w| w[0].time < w[1].time));
            // The answer was evaluated at the largest budget, or is the best seen.
            assert!(run.steps.iter().any(|s| s.arch == run.chosen));
            fitness.push(run.chosen_fitness);
        }
        let mean = fitness.iter().sum::<f64>() / fitness.len() as f64;
        // Random cells average 12 here; the model-guided search must do far better.
        assert!(mean > 35.0, "mean chosen fitness {mean:.1}");
    }

    #[test]
    fn partial_benchmarks_search_their_cells() {
        let cells: Vec<Arch> = [11472, 1462, 1835].iter().map(|&i| Arch::from_official_index(i).unwrap()).collect();
        let oracle = Landscape(Some(cells.clone()));
        for run in [
            random_search(&oracle, 2000.0, &mut rng(5)).unwrap(),
            regularized_evolution(&oracle, 2000.0, 10, 3, &mut rng(5)).unwrap(),
            reinforce(&oracle, 2000.0, 0.5, 0.9, &mut rng(5)).unwrap(),
            bohb(&oracle, 2000.0, &mut rng(5)).unwrap(),
        ] {
            assert!(run.steps.iter().all(|s| cells.contains(&s.arch)));
            assert_eq!(run.chosen.official_index(), 1462, "all 3x3 convolutions");
        }
    }
}
