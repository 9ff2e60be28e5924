//! The multi-trial NAS baselines of NAS-Bench-201 (spec 08 §8.3–8.4): random search, regularized evolution,
//! REINFORCE and BOHB, searching under a simulated time budget by querying a benchmark. [`Algorithm`] lists them
//! with their configurations; each has a file of its own (`random.rs`, `evolution.rs`, `reinforce.rs`, `bohb.rs`),
//! the oracle over a benchmark file is `oracle.rs`, and the paper's table of their results `table.rs`. A search of
//! one's own charges its queries through a [`Budget`], as random search and regularized evolution do.
//!
//! Each search asks an [`Oracle`] to "train" a cell, which answers with a fitness (the validation accuracy of
//! one trial) and the simulated seconds that trial would have cost; the search stops as the reference's does
//! when the budget would be exceeded. Everything random comes from the caller's generator, so a run is
//! reproducible from its seed. One difference on purpose: the reference also charges the real seconds its own
//! Python spends between queries (REA and REINFORCE); here the budget is simulated time only, so results do not
//! depend on the machine.

mod bohb;
mod evolution;
mod oracle;
mod random;
mod reinforce;
mod table;
#[cfg(test)]
mod tests;

use std::str::FromStr;

use nb102_space::{Arch, Categorical};
use rand::{Rng, RngCore};

use crate::error::{ApiError, Result};

pub use bohb::{bohb, bohb_nats};
pub use evolution::regularized_evolution;
pub use oracle::{BenchmarkOracle, EpochOracle, QueryCost};
pub use random::random_search;
pub use reinforce::reinforce;
pub use table::{mean_std, Column, ResultTable};

/// A multi-trial algorithm with its configuration: the typed list that command lines, tables and documents read.
/// Adding one is a file of this folder and a variant here (the compiler then asks for its name and its run).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Algorithm {
    /// Regularized evolution ([`regularized_evolution`]).
    RegularizedEvolution {
        /// Members of the population.
        population: usize,
        /// Members drawn (with replacement) to pick a parent.
        sample: usize,
    },
    /// Random search ([`random_search`]).
    RandomSearch,
    /// REINFORCE ([`reinforce`]).
    Reinforce {
        /// Adam's learning rate on the policy's logits.
        lr: f64,
        /// The baseline's moving-average momentum.
        momentum: f64,
    },
    /// BOHB ([`bohb`]).
    Bohb,
}

impl Algorithm {
    /// The four with the configurations of the seed's scripts, in the paper's table order. REINFORCE's learning
    /// rate is the NAS-Bench-102-era command's (`scripts-search/algos/REINFORCE.sh` passes `--learning_rate
    /// 0.001`; later scripts take it as an argument, documented as 0.5).
    pub const PAPER: [Algorithm; 4] = [
        Algorithm::RegularizedEvolution { population: 10, sample: 3 },
        Algorithm::RandomSearch,
        Algorithm::Reinforce { lr: 0.001, momentum: 0.9 },
        Algorithm::Bohb,
    ];

    /// The four as NATS-Bench runs them on the size space (`exps/NATS-algos`, spec 10.8): REINFORCE's learning
    /// rate is 0.01 there, and BOHB is NATS-algos' ([`bohb_nats`]: budgets of 1 to 12 epochs).
    pub const SIZE_PAPER: [Algorithm; 4] = [
        Algorithm::RegularizedEvolution { population: 10, sample: 3 },
        Algorithm::RandomSearch,
        Algorithm::Reinforce { lr: 0.01, momentum: 0.9 },
        Algorithm::Bohb,
    ];

    /// The algorithms `space`'s papers ran, with their configurations.
    pub fn paper(space: nb102_space::Space) -> &'static [Algorithm] {
        match space {
            nb102_space::Space::Topology => &Algorithm::PAPER,
            nb102_space::Space::Size => &Algorithm::SIZE_PAPER,
        }
    }

    /// The name in the paper's tables: `REA`, `RS`, `REINFORCE`, `BOHB`.
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::RegularizedEvolution { .. } => "REA",
            Algorithm::RandomSearch => "RS",
            Algorithm::Reinforce { .. } => "REINFORCE",
            Algorithm::Bohb => "BOHB",
        }
    }

    /// The name on command lines: the table's, in lower case.
    pub fn key(&self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// One search under `budget` simulated seconds, every random choice from `rng`, in the oracle's space: BOHB is
    /// the seed's ([`bohb`]) in the topology space and NATS-algos' ([`bohb_nats`], which queries lower fidelities)
    /// in the size space.
    ///
    /// # Errors
    /// As [`Oracle::evaluate`] and [`Oracle::evaluate_at`]; [`ApiError::Search`] for a budget too small for a
    /// single query.
    pub fn run<A: Categorical>(&self, oracle: &dyn Oracle<A>, budget: f64, rng: &mut dyn RngCore) -> Result<Run<A>> {
        match *self {
            Algorithm::RegularizedEvolution { population, sample } => {
                regularized_evolution(oracle, budget, population, sample, rng)
            }
            Algorithm::RandomSearch => random_search(oracle, budget, rng),
            Algorithm::Reinforce { lr, momentum } => reinforce(oracle, budget, lr, momentum, rng),
            Algorithm::Bohb if A::SPACE == nb102_space::Space::Size => bohb_nats(oracle, budget, rng),
            Algorithm::Bohb => bohb(oracle, budget, rng),
        }
    }
}

impl FromStr for Algorithm {
    type Err = ApiError;

    /// An algorithm by its key (`rea`, `rs`, `reinforce`, `bohb`), with the paper's configuration.
    fn from_str(s: &str) -> Result<Algorithm> {
        Algorithm::PAPER.into_iter().find(|a| a.key() == s).ok_or_else(|| {
            let keys: Vec<String> = Algorithm::PAPER.iter().map(Algorithm::key).collect();
            ApiError::Search(format!("unknown algorithm: expected one of {}, found {s:?}", keys.join(", ")))
        })
    }
}

/// What training a cell would give: its fitness and what it costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Validation accuracy in percent.
    pub fitness: f64,
    /// Simulated seconds: training plus one validation pass.
    pub cost: f64,
}

/// Answers a search's "train this cell" queries, for architectures `A` of one space (cells by default).
pub trait Oracle<A: Categorical = Arch> {
    /// The fitness and cost of `arch`, drawing any random choice (the seed of the trial) from `rng`; `None` for a
    /// cell the benchmark does not hold (a partial benchmark, such as the demo: the searches then draw again).
    ///
    /// # Errors
    /// A benchmark without the metric or times asked for, or a damaged file.
    fn evaluate(&self, arch: A, rng: &mut dyn RngCore) -> Result<Option<Evaluation>>;

    /// As [`Oracle::evaluate`], for the trial stopped after `epoch` (0-based) of its schedule: its fitness then, and
    /// as cost the training up to that epoch and one validation pass (NATS-algos' BOHB queries these).
    ///
    /// # Errors
    /// [`ApiError::Search`] for an oracle that answers the last epoch only (the default); as [`Oracle::evaluate`].
    fn evaluate_at(&self, arch: A, epoch: u16, rng: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        let _ = (arch, rng);
        Err(ApiError::Search(format!(
            "a query after epoch {epoch}: expected an oracle that answers earlier epochs (an EpochOracle), found one \
             that answers the last epoch only"
        )))
    }

    /// The epochs of the schedule [`Oracle::evaluate_at`] answers within (0 up to this, exclusive), or `None` for
    /// an oracle that answers the last epoch only (the default).
    fn schedule_epochs(&self) -> Option<u16> {
        None
    }

    /// The cells the benchmark holds, when it holds only some.
    fn cells(&self) -> Option<Vec<A>> {
        None
    }

    /// Whether the benchmark holds `arch`, asked without drawing anything (a search that only checks a cell
    /// must not move the random stream its queries draw from).
    fn holds(&self, arch: A) -> bool {
        self.cells().is_none_or(|cells| cells.contains(&arch))
    }
}

/// How a search draws its next cell.
pub(crate) enum Draw<'a, A> {
    /// Uniformly: over all cells, or over the cells a partial benchmark holds.
    Uniform,
    /// With a mutation or a policy; on a partial benchmark, after 100 misses in a row (a mutation whose every
    /// neighbour is missing, say) uniformly among the cells it holds.
    With(&'a mut dyn FnMut(&mut dyn RngCore) -> A),
}

/// Draws a cell the oracle knows, and its evaluation. `held` is the oracle's [`Oracle::cells`], fetched once per
/// run.
pub(crate) fn known<A: Categorical>(
    oracle: &dyn Oracle<A>,
    held: Option<&[A]>,
    rng: &mut dyn RngCore,
    draw: Draw<'_, A>,
) -> Result<(A, Evaluation)> {
    match (draw, held) {
        (Draw::Uniform, None) => loop {
            let arch = A::random(rng);
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

/// One query of a search, and where the search stands after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step<A = Arch> {
    /// Simulated seconds spent once this query is charged.
    pub time: f64,
    /// The cell queried.
    pub arch: A,
    /// Its fitness.
    pub fitness: f64,
    /// The cell the search would answer with now.
    pub best: A,
}

/// A finished search.
#[derive(Debug, Clone, PartialEq)]
pub struct Run<A = Arch> {
    /// Every query within the budget, in order.
    pub steps: Vec<Step<A>>,
    /// The search's answer.
    pub chosen: A,
    /// Its fitness when the search saw it.
    pub chosen_fitness: f64,
}

/// The simulated clock of one search: each query's cost is charged against a limit, every charged query is a
/// [`Step`], and the best cell so far is the fittest charged one (the first of equals). Random search, regularized
/// evolution's cycles and a user's own search (nb102's Python `search.Budget`) all charge through it, so a new
/// algorithm's run is accounted exactly as the baselines' are.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget<A = Arch> {
    limit: f64,
    spent: f64,
    steps: Vec<Step<A>>,
    best: Option<(A, f64)>,
}

impl<A: Categorical> Budget<A> {
    /// A clock with `limit` simulated seconds and nothing spent.
    pub fn new(limit: f64) -> Budget<A> {
        Budget { limit, spent: 0.0, steps: Vec::new(), best: None }
    }

    /// The simulated seconds the search may spend.
    pub fn limit(&self) -> f64 {
        self.limit
    }

    /// The simulated seconds charged so far.
    pub fn spent(&self) -> f64 {
        self.spent
    }

    /// Whether time is left (the searches draw another cell only then).
    pub fn has_time(&self) -> bool {
        self.spent < self.limit
    }

    /// Charges `e`, the query of `arch`, unless it would take the clock past the limit (`RANDOM.py`'s and
    /// `R_EA.py`'s rule: the query that would exceed the budget is not made); whether it was charged.
    pub fn charge(&mut self, arch: A, e: Evaluation) -> bool {
        if self.spent + e.cost > self.limit {
            return false;
        }
        self.charge_anyway(arch, e);
        true
    }

    /// Charges `e` whatever the limit (`R_EA.py`'s initial population).
    pub(crate) fn charge_anyway(&mut self, arch: A, e: Evaluation) {
        self.spent += e.cost;
        if self.best.is_none_or(|(_, f)| e.fitness > f) {
            self.best = Some((arch, e.fitness));
        }
        self.steps.push(Step { time: self.spent, arch, fitness: e.fitness, best: self.best.expect("just set").0 });
    }

    /// The charged queries, in order.
    pub fn steps(&self) -> &[Step<A>] {
        &self.steps
    }

    /// The fittest charged cell and its fitness (the first of equals).
    pub fn best(&self) -> Option<(A, f64)> {
        self.best
    }

    /// The search as a [`Run`].
    ///
    /// # Errors
    /// [`ApiError::Search`] when nothing was charged.
    pub fn finish(self) -> Result<Run<A>> {
        finish(self.steps, self.best)
    }
}

pub(crate) fn finish<A>(steps: Vec<Step<A>>, best: Option<(A, f64)>) -> Result<Run<A>> {
    let (chosen, chosen_fitness) =
        best.ok_or_else(|| ApiError::Search("a budget too small for a single query (no cell evaluated)".into()))?;
    Ok(Run { steps, chosen, chosen_fitness })
}
