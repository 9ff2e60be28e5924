//! `nb102.search`'s engine: the multi-trial baselines of `nb102_api::multi_trial` run from Python, exactly as
//! `cargo xtask bench-algos` runs them (the same oracle, default budget, seeds and generator, so the same runs),
//! and the clock a user's own search charges its queries to.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use nb102_api::multi_trial::{self, Algorithm, BenchmarkOracle, Oracle, QueryCost, ResultTable, Run, Step};
use nb102_api::Api;
use nb102_space::Arch;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::api_error;

pyo3::create_exception!(
    nb102,
    BudgetExhausted,
    PyRuntimeError,
    "Raised by `nb102.search.Budget.query` for a query that would take the simulated clock past the budget: the \
     query is not made or charged, and the search is over (as random search and regularized evolution stop)."
);

/// The file behind `source`: an `nb102.Benchmark`, a drop-in API object (`NATStopology`, `NASBench201API`) or a
/// path.
fn api_of(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<Arc<Api>> {
    if let Ok(bench) = source.cast::<crate::benchmark::Benchmark>() {
        return Ok(bench.get().api.clone());
    }
    if let Ok(engine) = source.cast::<crate::compat::Engine>() {
        return Ok(engine.get().api().clone());
    }
    if let Ok(path) = source.extract::<PathBuf>() {
        return Ok(Arc::new(crate::open::open_api(py, &path, false)?));
    }
    Err(PyTypeError::new_err(format!(
        "expected an nb102.Benchmark, an API object of nb102 (create, NASBench201API) or a path, found {}",
        source.get_type().name()?
    )))
}

/// A query cost as Python gives it: `'recorded'`, seconds per query, or `(base, per_mflop)`.
fn query_cost(cost: &Bound<'_, PyAny>) -> PyResult<QueryCost> {
    let finite = |v: f64, what: &str| {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(PyValueError::new_err(format!("cost: expected {what} of zero or more seconds, found {v}")))
        }
    };
    if let Ok(text) = cost.cast::<PyString>() {
        return match &*text.to_cow()? {
            "recorded" => Ok(QueryCost::Recorded),
            other => Err(PyValueError::new_err(format!(
                "cost: expected 'recorded', seconds per query or (base, per_mflop), found {other:?}"
            ))),
        };
    }
    if let Ok((base, per_mflop)) = cost.extract::<(f64, f64)>() {
        return Ok(QueryCost::Modelled { base: finite(base, "a base")?, per_mflop: finite(per_mflop, "a slope")? });
    }
    if let Ok(seconds) = cost.extract::<f64>() {
        return Ok(QueryCost::Modelled { base: finite(seconds, "a cost")?, per_mflop: 0.0 });
    }
    Err(PyTypeError::new_err(format!(
        "cost: expected 'recorded', seconds per query or (base, per_mflop), found {}",
        cost.get_type().name()?
    )))
}

/// A cost as Python reads it back: `'recorded'` or `(base, per_mflop)`.
fn cost_value<'py>(py: Python<'py>, cost: QueryCost) -> PyResult<Bound<'py, PyAny>> {
    match cost {
        QueryCost::Recorded => Ok(PyString::new(py, "recorded").into_any()),
        QueryCost::Modelled { base, per_mflop } => Ok(PyTuple::new(py, [base, per_mflop])?.into_any()),
    }
}

/// A baseline by its key or its name in the tables (`rea`, `RS`, `REINFORCE`, `bohb`), with the paper's
/// configuration; REINFORCE's learning rate replaced where given.
fn algorithm(name: &str, reinforce_lr: Option<f64>) -> PyResult<Algorithm> {
    let mut algorithm: Algorithm =
        name.to_ascii_lowercase().parse().map_err(|e: nb102_api::ApiError| PyValueError::new_err(e.to_string()))?;
    if let (Algorithm::Reinforce { lr, .. }, Some(given)) = (&mut algorithm, reinforce_lr) {
        if !(given > 0.0 && given.is_finite()) {
            return Err(PyValueError::new_err(format!("reinforce_lr: expected a positive rate, found {given}")));
        }
        *lr = given;
    }
    Ok(algorithm)
}

/// A run's steps as the arrays `nb102.search.History` holds: (cells, times, fitness, best-so-far cells) as
/// native-endian int64 and float64 bytes, then the chosen cell and its fitness (`None` before any query).
type HistoryParts<'py> =
    (Bound<'py, PyBytes>, Bound<'py, PyBytes>, Bound<'py, PyBytes>, Bound<'py, PyBytes>, Option<usize>, Option<f64>);

fn history<'py>(py: Python<'py>, steps: &[Step], chosen: Option<(Arch, f64)>) -> HistoryParts<'py> {
    let ints = |f: &dyn Fn(&Step) -> Arch| {
        let bytes: Vec<u8> = steps.iter().flat_map(|s| (f(s).official_index() as i64).to_ne_bytes()).collect();
        PyBytes::new(py, &bytes)
    };
    let floats = |f: &dyn Fn(&Step) -> f64| {
        let bytes: Vec<u8> = steps.iter().flat_map(|s| f(s).to_ne_bytes()).collect();
        PyBytes::new(py, &bytes)
    };
    let (chosen, fitness) = chosen.map(|(a, f)| (a.official_index(), f)).unzip();
    (ints(&|s| s.arch), floats(&|s| s.time), floats(&|s| s.fitness), ints(&|s| s.best), chosen, fitness)
}

/// What a search's queries answer: one setting's validation accuracy after one schedule, charged as a query
/// costs (`nb102.search.Oracle`).
#[pyclass(module = "nb102._native", frozen)]
pub struct SearchOracle {
    oracle: Arc<BenchmarkOracle>,
    cost: QueryCost,
}

#[pymethods]
impl SearchOracle {
    #[new]
    #[pyo3(signature = (source, setting = None, hp = None, cost = None))]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        setting: Option<&str>,
        hp: Option<&Bound<'_, PyAny>>,
        cost: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<SearchOracle> {
        let api = api_of(py, source)?;
        let setting = setting.map(crate::benchmark::setting).transpose()?;
        let hp = hp.map(crate::benchmark::hp).transpose()?;
        let cost = cost.filter(|c| !c.is_none()).map(query_cost).transpose()?;
        let oracle = py.detach(|| -> nb102_api::Result<_> {
            let (setting, hp) = BenchmarkOracle::fitness_setting(&api, setting, hp)?;
            let cost = match cost {
                Some(cost) => cost,
                None if BenchmarkOracle::is_timed(&api, setting, hp)? => QueryCost::Recorded,
                None => {
                    return Err(nb102_api::ApiError::Search(format!(
                        "{} has no times for {setting} hp {hp} (summary-only records), so a query's cost must be \
                         given: expected cost=nb102.search.calibrate(DIR) (the official records of the NATS-Bench \
                         sample archive) or seconds per query, found none",
                        api.path().display()
                    )))
                }
            };
            Ok((BenchmarkOracle::with_cost(&api, setting, hp, cost)?, cost))
        });
        let (oracle, cost) = oracle.map_err(api_error)?;
        Ok(SearchOracle { oracle: Arc::new(oracle), cost })
    }

    /// The setting whose `x-valid` accuracy is the fitness.
    #[getter]
    fn setting(&self) -> String {
        self.oracle.setting().to_string()
    }

    /// The schedule (epochs) whose last epoch is read.
    #[getter]
    fn hp(&self) -> u16 {
        self.oracle.hp().epochs()
    }

    /// What a query costs: `'recorded'` (the trial's training time plus one validation pass) or `(base,
    /// per_mflop)` seconds.
    #[getter]
    fn cost<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cost_value(py, self.cost)
    }

    /// The budget of a search when none is given: 12,000 simulated seconds, or on a file of fewer than 100 cells
    /// three queries' worth.
    #[getter]
    fn default_budget(&self) -> f64 {
        self.oracle.default_budget().0
    }

    /// The official indices of the cells the file holds, or `None` when it holds all.
    #[getter]
    fn cells(&self) -> Option<Vec<usize>> {
        self.oracle.cells().map(|cells| cells.iter().map(Arch::official_index).collect())
    }

    /// Runs `algorithm` `runs` times, run `r` drawing from ChaCha8 seeded `seed + r` (bench-algos' seeds), on
    /// `threads` threads (all cores by default) with the GIL released; the runs' histories in order.
    #[pyo3(signature = (algorithm, runs, seed, budget = None, reinforce_lr = None, threads = None))]
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        algorithm: &str,
        runs: usize,
        seed: u64,
        budget: Option<f64>,
        reinforce_lr: Option<f64>,
        threads: Option<usize>,
    ) -> PyResult<Vec<HistoryParts<'py>>> {
        let algorithm = self::algorithm(algorithm, reinforce_lr)?;
        let budget = self.budget_seconds(budget)?;
        let threads = match threads {
            Some(0) => return Err(PyValueError::new_err("threads: expected one or more, found 0")),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        }
        .min(runs.max(1));
        let oracle: &BenchmarkOracle = &self.oracle;
        let one = |r: usize| -> nb102_api::Result<Run> {
            let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(r as u64));
            algorithm.run(oracle, budget, &mut rng)
        };
        // Runs are independent and each has its own generator, so how they are spread over threads changes
        // nothing in their results.
        let done: nb102_api::Result<Vec<Run>> = py.detach(|| {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|t| scope.spawn(move || (t..runs).step_by(threads).map(|r| (r, one(r))).collect::<Vec<_>>()))
                    .collect();
                let mut all: Vec<(usize, nb102_api::Result<Run>)> =
                    workers.into_iter().flat_map(|w| w.join().expect("a search does not panic")).collect();
                all.sort_by_key(|(r, _)| *r);
                all.into_iter().map(|(_, run)| run).collect()
            })
        });
        let done = done.map_err(api_error)?;
        Ok(done.iter().map(|run| history(py, &run.steps, Some((run.chosen, run.chosen_fitness)))).collect())
    }

    /// A fresh clock of `budget` simulated seconds (the default budget when `None`) whose queries draw their
    /// trials from ChaCha8 seeded `seed`.
    #[pyo3(signature = (seed, budget = None))]
    fn budget(&self, seed: u64, budget: Option<f64>) -> PyResult<SearchBudget> {
        let limit = self.budget_seconds(budget)?;
        Ok(SearchBudget {
            oracle: self.oracle.clone(),
            state: Mutex::new((multi_trial::Budget::new(limit), ChaCha8Rng::seed_from_u64(seed), false)),
        })
    }
}

impl SearchOracle {
    fn budget_seconds(&self, budget: Option<f64>) -> PyResult<f64> {
        match budget {
            None => Ok(self.oracle.default_budget().0),
            Some(b) if b > 0.0 && b.is_finite() => Ok(b),
            Some(b) => Err(PyValueError::new_err(format!("budget: expected positive seconds, found {b}"))),
        }
    }
}

/// One search's simulated clock (`nb102.search.Budget`): each query draws one trial of the cell, as the
/// baselines' queries do, and is charged unless it would exceed the budget.
#[pyclass(module = "nb102._native", frozen)]
pub struct SearchBudget {
    oracle: Arc<BenchmarkOracle>,
    /// The clock, the generator of trials, and whether a query has been refused.
    state: Mutex<(multi_trial::Budget, ChaCha8Rng, bool)>,
}

#[pymethods]
impl SearchBudget {
    /// The fitness of `cell` (an official index, an architecture string or an `nb102.Arch`), charged; raises
    /// `BudgetExhausted` for a query that would exceed the budget.
    fn query(&self, cell: &Bound<'_, PyAny>) -> PyResult<f64> {
        let index = crate::benchmark::index(cell, nb102_space::Space::Topology)?;
        let arch = Arch::from_official_index(index).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let mut state = self.state.lock().expect("a query does not panic");
        let (clock, rng, refused) = &mut *state;
        if *refused {
            return Err(BudgetExhausted::new_err(format!(
                "the budget of {} s is spent ({} s charged)",
                clock.limit(),
                clock.spent()
            )));
        }
        let e = self.oracle.evaluate(arch, rng).map_err(api_error)?.ok_or_else(|| {
            PyValueError::new_err(format!("cell {index} is not in the benchmark file: expected one of oracle.cells"))
        })?;
        if !clock.charge(arch, e) {
            *refused = true;
            return Err(BudgetExhausted::new_err(format!(
                "cell {index} would cost {} s with {} s of {} s charged",
                e.cost,
                clock.spent(),
                clock.limit()
            )));
        }
        Ok(e.fitness)
    }

    /// Simulated seconds charged so far.
    #[getter]
    fn spent(&self) -> f64 {
        self.state.lock().expect("a query does not panic").0.spent()
    }

    /// The budget, in simulated seconds.
    #[getter]
    fn limit(&self) -> f64 {
        self.state.lock().expect("a query does not panic").0.limit()
    }

    /// Whether the search is over: a query was refused, or no time is left.
    #[getter]
    fn exhausted(&self) -> bool {
        let state = self.state.lock().expect("a query does not panic");
        state.2 || !state.0.has_time()
    }

    /// The fittest charged cell and its fitness (the first of equals), or `None` before any query.
    #[getter]
    fn best(&self) -> Option<(usize, f64)> {
        self.state.lock().expect("a query does not panic").0.best().map(|(a, f)| (a.official_index(), f))
    }

    /// The charged queries so far, as `nb102.search.History` holds them.
    fn history<'py>(&self, py: Python<'py>) -> HistoryParts<'py> {
        let state = self.state.lock().expect("a query does not panic");
        history(py, state.0.steps(), state.0.best())
    }
}

/// The paper's table over a benchmark file (`nb102.search.table`): its columns, and a method's row from the
/// cells its runs chose.
#[pyclass(module = "nb102._native", frozen)]
pub struct SearchTable(ResultTable);

#[pymethods]
impl SearchTable {
    #[new]
    fn new(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<SearchTable> {
        let api = api_of(py, source)?;
        Ok(SearchTable(py.detach(|| ResultTable::new(&api)).map_err(api_error)?))
    }

    /// The columns' names, in the paper's order.
    #[getter]
    fn columns(&self) -> Vec<&'static str> {
        self.0.columns().iter().map(|c| c.name).collect()
    }

    /// Per column, the mean and deviation (ddof 0) over `chosen` of their seed-mean accuracies, or `None`.
    fn row(&self, chosen: Vec<usize>) -> Vec<Option<(f64, f64)>> {
        self.0.row(&chosen)
    }

    /// Per column, the best accuracy of any cell.
    fn optimal(&self) -> Vec<Option<f64>> {
        self.0.optimal()
    }
}

/// The constant cost (or, with `by_flops`, the line in FLOPs) fitted to the official complete records in `dir`,
/// as `(base, per_mflop)`: bench-algos' `--calibrate DIR` (`--cost constant|flops`).
#[pyfunction]
#[pyo3(signature = (dir, setting = "cifar10-valid", hp = None, by_flops = false))]
pub(crate) fn calibrate<'py>(
    py: Python<'py>,
    dir: PathBuf,
    setting: &str,
    hp: Option<&Bound<'_, PyAny>>,
    by_flops: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let setting = crate::benchmark::setting(setting)?;
    let hp = hp.map(crate::benchmark::hp).transpose()?.unwrap_or(nb102_store::Hp::H12);
    cost_value(py, py.detach(|| QueryCost::calibrate_dir(&dir, setting, hp, by_flops)).map_err(api_error)?)
}
