//! The engine of the drop-in classes (`python/nb102/_compat.py`): the reference's query methods with its
//! argument conventions (`hp='12'`, `is_random=True`, an index or an exact architecture string), its random
//! draws (`random.choice(seeds)` of Python's `random` module, once per `get_more_info`, as the reference
//! draws) and its exception types. The hot methods are here, so a warm `get_more_info` is one native call;
//! the Python classes add the rest of the surface.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use nb102_api::{remap_names, Api, ApiError, CostRules, Seeds};
use nb102_space::{Architecture, Space};
use nb102_store::{Hp, Setting};
use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString};

use crate::api_error;
use crate::benchmark::{cost_dict, eval_set, metrics_dict, more_info_into, net_config_dict, Benchmark, Metrics};

/// Which reference the engine answers as.
#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    /// `nats_bench` 1.8 (`NATStopology`): `get_more_info` adds a `comment` for the CIFAR-10 settings.
    Nats,
    /// `nas_201_api` 2.1 (`NASBench201API`).
    Nb201,
}

/// The shared core of `nb102.NATStopology`, `nb102.NATSsize` and `nb102.NASBench201API`.
#[pyclass(module = "nb102._native", frozen, subclass)]
pub struct Engine {
    api: Arc<Api>,
    flavour: Flavour,
    /// The file's space, which names its schedules (`'01'` in the size space) and architectures.
    space: Space,
    /// Official strings to indices: the reference matches strings exactly (`archstr2index`).
    by_string: HashMap<String, usize>,
    /// The reference's `_used_time`: the int 0 until a simulated run is charged.
    used_time: Mutex<Option<f64>>,
}

impl Engine {
    /// `f` of one trial of the file (a `KeyError` naming `(dataset, seed)` where there is none).
    fn with_trial<R>(
        &self,
        py: Python<'_>,
        index: usize,
        dataset: &str,
        hp: &Bound<'_, PyAny>,
        seed: u32,
        f: impl FnOnce(&nb102_store::TrialRecord) -> PyResult<R>,
    ) -> PyResult<R> {
        let (_, hp) = hp_of(hp, self.space)?;
        let setting = setting_of(dataset)?;
        Benchmark::warm(py, &self.api, index);
        let cell = self.api.cell(index).map_err(api_error)?;
        let t = cell
            .trial(nb102_store::TrialKey { hp, setting, seed })
            .ok_or_else(|| PyKeyError::new_err(format!("({dataset:?}, {seed})")))?;
        f(t)
    }

    /// The file this engine answers from.
    pub(crate) fn api(&self) -> &Arc<Api> {
        &self.api
    }

    /// Makes a cost dict's values the numpy scalars the reference's are, where numpy is installed: NATS-Bench's
    /// archives hold `params` and the latencies as numpy floats, and NAS-Bench-201's API averages every value
    /// with `np.mean`. (A numpy float is a Python float: only its `repr` tells them apart.)
    fn as_numpy_scalars(&self, py: Python<'_>, costs: &Bound<'_, PyDict>) -> PyResult<()> {
        for (key, value) in costs.iter() {
            let key_text = key.extract::<String>()?;
            costs.set_item(&key, self.cost_value(py, &key_text, value)?)?;
        }
        Ok(())
    }

    /// One value of a cost dict (`key`) as the reference's type: see [`Engine::as_numpy_scalars`].
    fn cost_value<'py>(&self, py: Python<'py>, key: &str, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        static FLOAT64: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();
        let float64 = FLOAT64.get_or_init(py, || {
            py.import(intern!(py, "numpy")).and_then(|np| np.getattr(intern!(py, "float64"))).ok().map(Bound::unbind)
        });
        let numpy = match self.flavour {
            Flavour::Nats => key == "params" || key == "latency",
            Flavour::Nb201 => true,
        };
        match float64 {
            Some(float64) if numpy && !value.is_none() => float64.bind(py).call1((value,)),
            _ => Ok(value),
        }
    }

    /// The schedule a call names: `hp`, or for `NASBench201API` as `nas_201_api` 1.x named it,
    /// `use_12epochs_result=True|False` (or that flag in `hp`'s place) for `'12'|'200'`. `nats_bench` never took the
    /// keyword: a `TypeError` there, as Python's for an unexpected keyword.
    fn schedule(
        &self,
        method: &str,
        hp: &Arg<'_>,
        use_12epochs_result: Option<bool>,
    ) -> PyResult<(String, Option<Hp>)> {
        let of_flag =
            |twelve: bool| if twelve { ("12".to_owned(), Some(Hp::H12)) } else { ("200".to_owned(), Some(Hp::H200)) };
        match (self.flavour, use_12epochs_result, hp) {
            (Flavour::Nats, Some(_), _) => Err(PyTypeError::new_err(format!(
                "{method}() got an unexpected keyword argument 'use_12epochs_result'"
            ))),
            (Flavour::Nb201, Some(_), Arg::Given(_)) => {
                Err(PyTypeError::new_err(format!("{method}() got multiple values for argument 'hp'")))
            }
            (Flavour::Nb201, Some(twelve), Arg::Absent) => Ok(of_flag(twelve)),
            (Flavour::Nb201, None, Arg::Given(flag)) if flag.is_instance_of::<PyBool>() => {
                Ok(of_flag(flag.is_truthy()?))
            }
            _ => hp_arg(hp, self.space),
        }
    }

    /// A cell argument: an int in range, or an official string or structure (`tostr()`) of a cell; else the
    /// reference's `ValueError` (never an `OverflowError`).
    fn index_arg(&self, index: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.query_index_by_arch(index)
            .ok()
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < self.space.num_archs())
            .ok_or_else(|| PyValueError::new_err(format!("arch_index [{index}] does not in arch2infos")))
    }

    /// The arithmetic of costs of the reference this engine answers as.
    fn cost_rules(&self) -> CostRules {
        match self.flavour {
            Flavour::Nats => CostRules::Nats,
            Flavour::Nb201 => CostRules::Nb201,
        }
    }

    fn used(&self) -> std::sync::MutexGuard<'_, Option<f64>> {
        self.used_time.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The index of a cell that has results, as the reference's `get_more_info` requires one.
    fn evaluated(&self, py: Python<'_>, arch: &Bound<'_, PyAny>) -> PyResult<usize> {
        let index = self.query_index_by_arch(arch)?;
        let missing = || PyValueError::new_err(format!("Did not find {index} from arch2infos_dict."));
        let index = usize::try_from(index).map_err(|_| missing())?;
        Benchmark::warm(py, &self.api, index);
        self.cell(index, |_| missing())?;
        Ok(index)
    }

    /// A cell's results; `absent` makes the reference's error for a cell the file does not hold (or holds only
    /// as summary-only records). A damaged or unreadable file raises its own error, so that a script that skips
    /// unevaluated cells on the reference's error does not skip damage silently.
    fn cell(&self, index: usize, absent: impl FnOnce(ApiError) -> PyErr) -> PyResult<Arc<nb102_store::CellResults>> {
        self.api.cell(index).map_err(|e| match e {
            ApiError::Store(_) => api_error(e),
            other => absent(other),
        })
    }

    /// The reference's error for a setting or schedule a cell lacks: `KeyError` of the schedule when the cell
    /// has no trial with it, else of the dataset (it looks the schedule up first).
    fn missing(&self, err: ApiError, index: usize, dataset: &str, hp_text: &str) -> PyErr {
        let ApiError::NoTrials { hp, .. } = err else { return api_error(err) };
        let has_hp = self.api.cell(index).is_ok_and(|c| c.trials().iter().any(|t| t.hp == hp));
        PyKeyError::new_err(if has_hp { dataset.to_owned() } else { hp_text.to_owned() })
    }
}

/// An argument the caller may leave out, told apart from an explicit `None`, which the reference refuses where
/// its default is not `None` (`hp=None`, `is_random=None`).
pub(crate) enum Arg<'py> {
    /// Left out: the reference's default.
    Absent,
    /// Given, `None` included.
    Given(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg::Given(obj.to_owned()))
    }
}

/// A schedule as the reference's keys spell it in `space`: `'12'`, `'200'`; `'01'`, `'12'`, `'90'` in the size space.
fn hp_name(hp: Hp, space: Space) -> String {
    match space {
        Space::Topology => hp.to_string(),
        Space::Size => format!("{:02}", hp.epochs()),
    }
}

/// `str(hp)` and the schedule it names, if it names one as the reference's keys spell them in `space` (`'12'`, not
/// `'012'`; `'01'`, not `'1'`); left out, the reference's `'12'`.
fn hp_arg(hp: &Arg<'_>, space: Space) -> PyResult<(String, Option<Hp>)> {
    match hp {
        Arg::Absent => Ok(("12".to_owned(), Some(Hp::H12))),
        Arg::Given(hp) => {
            let text = hp.str()?.to_cow()?.into_owned();
            let parsed =
                text.parse::<u16>().ok().filter(|&e| e > 0).map(Hp::new).filter(|&h| hp_name(h, space) == text);
            Ok((text, parsed))
        }
    }
}

/// `str(hp)` and the schedule it names; a `KeyError` of the text for one that is not a schedule, as the
/// reference's dict lookup gives.
fn hp_of(hp: &Bound<'_, PyAny>, space: Space) -> PyResult<(String, Hp)> {
    let (text, hp) = hp_arg(&Arg::Given(hp.clone()), space)?;
    hp.map(|h| (text.clone(), h)).ok_or_else(|| PyKeyError::new_err(text))
}

fn setting_of(dataset: &str) -> PyResult<Setting> {
    dataset.parse().map_err(|_| PyKeyError::new_err(dataset.to_owned()))
}

/// A dataset argument's text: anything but a string is the `KeyError` the reference's dict lookup gives.
fn dataset_arg(dataset: &Bound<'_, PyAny>) -> PyResult<String> {
    match dataset.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(PyKeyError::new_err(dataset.clone().unbind())),
    }
}

/// An epoch argument: `None` (the last), else an int; the reference's `KeyError` for anything else (its key
/// lookup) and `ValueError` for one out of range.
fn iepoch_arg(iepoch: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u16>> {
    let Some(epoch) = iepoch else { return Ok(None) };
    if !epoch.is_instance_of::<PyInt>() {
        return Err(PyKeyError::new_err(epoch.clone().unbind()));
    }
    let out_of_range = || PyValueError::new_err(format!("invalid iepoch={epoch}"));
    let e: i64 = epoch.extract().map_err(|_| out_of_range())?;
    u16::try_from(e).map(Some).map_err(|_| out_of_range())
}

/// Python's `random.choice(seeds)`, keeping a Python error aside for the caller to raise.
fn python_choice<'a>(
    py: Python<'a>,
    failure: &'a mut Option<PyErr>,
) -> impl FnMut(&[u32]) -> nb102_api::Result<u32> + 'a {
    move |seeds| {
        let drawn = (|| -> PyResult<u32> {
            let choice = py.import(intern!(py, "random"))?.getattr(intern!(py, "choice"))?;
            choice.call1((PyList::new(py, seeds)?,))?.extract()
        })();
        drawn.map_err(|e| {
            *failure = Some(e);
            ApiError::Choice("random.choice failed".into())
        })
    }
}

const COMMENT_CIFAR10_VALID: &str = "In this dict, train-loss/accuracy/time is the metric on the train set of \
    CIFAR-10. The test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on the train \
    set by {} epochs. The per-time and total-time indicate the per epoch and total time costs, respectively.";
const COMMENT_CIFAR10: &str = "In this dict, train-loss/accuracy/time is the metric on the train+valid sets of \
    CIFAR-10. The test-loss/accuracy/time is the performance of the CIFAR-10 test set after training on the \
    train+valid sets by {} epochs. The per-time and total-time indicate the per epoch and total time costs, \
    respectively.";

#[pymethods]
impl Engine {
    /// The engine over `path`, whose architectures must be of `space` (`topology` or `size`).
    #[new]
    #[pyo3(signature = (path, flavour, verbose = false, space = "topology"))]
    fn new(py: Python<'_>, path: PathBuf, flavour: &str, verbose: bool, space: &str) -> PyResult<Engine> {
        let flavour = match flavour {
            "nats" => Flavour::Nats,
            "nb201" => Flavour::Nb201,
            other => return Err(PyValueError::new_err(format!("expected flavour 'nats' or 'nb201', found {other:?}"))),
        };
        let space: Space = space.parse().map_err(|e| PyValueError::new_err(format!("{e}")))?;
        let api = crate::open::open_api(py, &path, verbose)?;
        if api.space() != space {
            return Err(PyValueError::new_err(format!(
                "{}: expected a benchmark of the {space} search space, found one of the {} space",
                path.display(),
                api.space()
            )));
        }
        let by_string = py
            .detach(|| -> nb102_api::Result<_> {
                let mut by_string = HashMap::with_capacity(space.num_archs());
                for i in 0..space.num_archs() {
                    by_string.insert(Architecture::from_official_index(space, i)?.to_string(), i);
                }
                Ok(by_string)
            })
            .map_err(api_error)?;
        Ok(Engine { api: Arc::new(api), flavour, space, by_string, used_time: Mutex::new(None) })
    }

    /// The `.nb102` file read.
    #[getter]
    fn nb102_path(&self) -> PathBuf {
        self.api.path().to_owned()
    }

    /// The reference's `query_index_by_arch`: an int in range is itself (else `ValueError`); an exact
    /// official string, or an object whose `tostr()` gives one, its index; anything else -1.
    fn query_index_by_arch(&self, arch: &Bound<'_, PyAny>) -> PyResult<i64> {
        if arch.is_instance_of::<PyInt>() {
            // An int too large for an i64 is out of range too, not an OverflowError.
            let archs = self.space.num_archs();
            if let Some(i) = arch.extract::<i64>().ok().filter(|i| (0..archs as i64).contains(i)) {
                return Ok(i);
            }
            return Err(PyValueError::new_err(format!("Invalid architecture index {arch} vs [0, {archs}].")));
        }
        let lookup = |s: &Bound<'_, PyString>| -> PyResult<i64> {
            Ok(self.by_string.get(&*s.to_cow()?).map_or(-1, |&i| i as i64))
        };
        if let Ok(s) = arch.cast::<PyString>() {
            return lookup(s);
        }
        if arch.hasattr(intern!(arch.py(), "tostr"))? {
            let s = arch.call_method0(intern!(arch.py(), "tostr"))?;
            if let Ok(s) = s.cast::<PyString>() {
                return lookup(s);
            }
        }
        Ok(-1)
    }

    /// The reference's `get_more_info(index, dataset, iepoch=None, hp='12', is_random=True)`.
    #[pyo3(signature = (index, dataset, iepoch = None, hp = Arg::Absent, is_random = Arg::Absent, use_12epochs_result = None))]
    #[allow(clippy::too_many_arguments)] // the reference's arguments, and nas_201_api 1.x's schedule flag
    fn get_more_info<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'_, PyAny>,
        dataset: &Bound<'_, PyAny>,
        iepoch: Option<&Bound<'_, PyAny>>,
        hp: Arg<'_>,
        is_random: Arg<'_>,
        use_12epochs_result: Option<bool>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (hp_text, hp) = self.schedule("get_more_info", &hp, use_12epochs_result)?;
        let index = self.evaluated(py, index)?;
        let hp = hp.ok_or_else(|| PyKeyError::new_err(hp_text.clone()))?;
        let dataset = &dataset_arg(dataset)?;
        let setting = setting_of(dataset)?;
        let iepoch = iepoch_arg(iepoch)?;
        let mut failure = None;
        let mut choose = python_choice(py, &mut failure);
        let result = match &is_random {
            Arg::Absent => self.api.more_info(index, setting, hp, iepoch, &mut Seeds::Choose(&mut choose)),
            Arg::Given(r) if r.is_instance_of::<PyBool>() => {
                let seeds = &mut if r.is_truthy()? { Seeds::Choose(&mut choose) } else { Seeds::Mean };
                self.api.more_info(index, setting, hp, iepoch, seeds)
            }
            Arg::Given(r) if r.is_instance_of::<PyInt>() => {
                let seed: u32 = r.extract().map_err(|_| {
                    PyValueError::new_err(format!("can not find random seed ({}) from the trials' seeds", r))
                })?;
                self.api.more_info(index, setting, hp, iepoch, &mut Seeds::Seed(seed))
            }
            Arg::Given(r) => return Err(PyValueError::new_err(format!("invalid value for is_random: {r}"))),
        };
        drop(choose);
        if let Some(e) = failure {
            return Err(e);
        }
        let info = result.map_err(|e| match e {
            ApiError::UnknownSeed { seed, seeds, .. } => {
                PyValueError::new_err(format!("can not find random seed ({seed}) from {seeds:?}"))
            }
            other => self.missing(other, index, dataset, &hp_text),
        })?;
        let comment = match (self.flavour, setting) {
            (Flavour::Nats, Setting::Cifar10Valid) => Some(COMMENT_CIFAR10_VALID.replace("{}", &hp_text)),
            (Flavour::Nats, Setting::Cifar10) => Some(COMMENT_CIFAR10.replace("{}", &hp_text)),
            _ => None,
        };
        let d = PyDict::new(py);
        more_info_into(&d, &info, comment)?;
        Ok(d)
    }

    /// The reference's `get_cost_info(index, dataset, hp='12')`.
    #[pyo3(signature = (index, dataset, hp = Arg::Absent, use_12epochs_result = None))]
    fn get_cost_info<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'_, PyAny>,
        dataset: &Bound<'_, PyAny>,
        hp: Arg<'_>,
        use_12epochs_result: Option<bool>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (hp_text, hp) = self.schedule("get_cost_info", &hp, use_12epochs_result)?;
        let index = self.index_arg(index)?;
        Benchmark::warm(py, &self.api, index);
        let cell =
            self.cell(index, |_| PyValueError::new_err(format!("arch_index [{index}] does not in arch2infos")))?;
        let Some(hp) = hp.filter(|&hp| cell.trials().iter().any(|t| t.hp == hp)) else {
            let mut hps: Vec<String> =
                cell.trials().iter().map(|t| format!("'{}'", hp_name(t.hp, self.space))).collect();
            hps.dedup();
            return Err(PyValueError::new_err(format!(
                "The {index}-th architecture only has hyper-parameters of [{}] instead of {hp_text}.",
                hps.join(", ")
            )));
        };
        let dataset = &dataset_arg(dataset)?;
        let costs = self
            .api
            .cost_info_as(index, setting_of(dataset)?, hp, self.cost_rules())
            .map_err(|e| self.missing(e, index, dataset, &hp_text))?;
        let d = cost_dict(py, &costs)?;
        self.as_numpy_scalars(py, &d)?;
        Ok(d)
    }

    /// The reference's `get_latency(index, dataset, hp='12')`: `get_cost_info(…)['latency']`.
    #[pyo3(signature = (index, dataset, hp = Arg::Absent, use_12epochs_result = None))]
    fn get_latency<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'_, PyAny>,
        dataset: &Bound<'_, PyAny>,
        hp: Arg<'_>,
        use_12epochs_result: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let costs = self.get_cost_info(py, index, dataset, hp, use_12epochs_result)?;
        Ok(costs.get_item("latency")?.unwrap_or_else(|| py.None().into_bound(py)))
    }

    /// `nats_bench`'s `simulate_train_eval(arch, dataset, iepoch=None, hp='12', account_time=True)`:
    /// `(valid_acc, latency, time_cost, used_time)`, drawing seeds with `random.choice` as it does.
    #[pyo3(signature = (arch, dataset, iepoch = None, hp = Arg::Absent, account_time = true))]
    fn simulate_train_eval<'py>(
        &self,
        py: Python<'py>,
        arch: &Bound<'_, PyAny>,
        dataset: &Bound<'_, PyAny>,
        iepoch: Option<&Bound<'_, PyAny>>,
        hp: Arg<'_>,
        account_time: bool,
    ) -> PyResult<(f64, Bound<'py, PyAny>, f64, Bound<'py, PyAny>)> {
        let index = self.query_index_by_arch(arch)?;
        let names = ["cifar10", "cifar100", "ImageNet16-120"];
        let dataset = &match dataset.cast::<PyString>() {
            Ok(s) if names.contains(&&*s.to_cow()?) => s.to_cow()?.into_owned(),
            _ => return Err(PyValueError::new_err(format!("Invalid dataset name : {dataset} vs {names:?}"))),
        };
        let index = usize::try_from(index)
            .map_err(|_| PyValueError::new_err(format!("Did not find {index} from arch2infos_dict.")))?;
        let (hp_text, hp) = hp_arg(&hp, self.space)?;
        let hp = hp.ok_or_else(|| PyKeyError::new_err(hp_text.clone()))?;
        let iepoch = iepoch_arg(iepoch)?;
        Benchmark::warm(py, &self.api, index);
        let mut failure = None;
        let mut choose = python_choice(py, &mut failure);
        let run =
            self.api.simulate_train_eval(index, setting_of(dataset)?, hp, iepoch, &mut Seeds::Choose(&mut choose));
        drop(choose);
        if let Some(e) = failure {
            return Err(e);
        }
        let run = run.map_err(|e| self.missing(e, index, dataset, &hp_text))?;
        if account_time {
            let mut used = self.used();
            *used = Some(used.unwrap_or(0.0) + run.time_cost);
        }
        let latency = self.cost_value(py, "latency", run.latency.into_pyobject(py)?.into_any())?;
        Ok((run.accuracy, latency, run.time_cost, self.used_time(py)?))
    }

    /// The reference's `used_time`: simulated seconds charged so far (the int 0 before any).
    #[getter]
    fn used_time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match *self.used() {
            Some(t) => t.into_pyobject(py)?.into_any(),
            None => 0i64.into_pyobject(py)?.into_any(),
        })
    }

    /// Adds simulated seconds to `used_time` and returns the new total.
    fn _charge<'py>(&self, py: Python<'py>, seconds: f64) -> PyResult<Bound<'py, PyAny>> {
        {
            let mut used = self.used();
            *used = Some(used.unwrap_or(0.0) + seconds);
        }
        self.used_time(py)
    }

    /// The reference's `reset_time`.
    fn reset_time(&self) {
        *self.used() = None;
    }

    /// `find_best` after the reference's name remapping: `(index, accuracy)`, or `(-1, None)`.
    fn _find_best(
        &self,
        py: Python<'_>,
        dataset: &str,
        metric_on_set: &str,
        flop_max: Option<f64>,
        param_max: Option<f64>,
        hp: &Bound<'_, PyAny>,
    ) -> PyResult<(i64, Option<f64>)> {
        // The reference's KeyError for a dataset it does not know, ValueError for a set.
        let (setting, set) = remap_names(dataset, metric_on_set).map_err(|e| match dataset.parse::<Setting>() {
            Ok(_) => api_error(e),
            Err(_) => PyKeyError::new_err(dataset.to_owned()),
        })?;
        let (hp_text, hp) = hp_of(hp, self.space)?;
        // The reference looks every cell's results up under the schedule: one the file lacks is its KeyError.
        if !self.api.summary().map_err(api_error)?.iter().any(|r| r.hp == hp) {
            return Err(PyKeyError::new_err(hp_text));
        }
        let best = py.detach(|| self.api.find_best(setting, set, hp, flop_max, param_max)).map_err(api_error)?;
        Ok(best.map_or((-1, None), |(i, a)| (i as i64, Some(a))))
    }

    /// `statistics(dataset, hp)` over every cell with results.
    fn _statistics(
        &self,
        py: Python<'_>,
        dataset: &str,
        hp: &Bound<'_, PyAny>,
    ) -> PyResult<std::collections::BTreeMap<usize, usize>> {
        let (setting, (_, hp)) = (setting_of(dataset)?, hp_of(hp, self.space)?);
        py.detach(|| self.api.statistics(setting, hp)).map_err(api_error)
    }

    /// The reference's `get_net_config(index, dataset)`.
    fn get_net_config<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'_, PyAny>,
        dataset: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let index = self.index_arg(index)?;
        let dataset = &dataset_arg(dataset)?;
        Benchmark::warm(py, &self.api, index);
        // The reference reads the trials of the cell's first schedule only.
        let setting = setting_of(dataset)?;
        if let Ok(cell) = self.api.cell(index) {
            let first = cell.trials()[0].hp;
            if !cell.trials().iter().any(|t| t.hp == first && t.setting == setting) {
                return Err(PyKeyError::new_err(dataset.to_owned()));
            }
        }
        let spec = self.api.net_config(index, setting_of(dataset)?).map_err(|e| match e {
            ApiError::NoSetting { .. } => PyKeyError::new_err(dataset.to_owned()),
            ApiError::Store(_) => api_error(e),
            other => PyValueError::new_err(format!("The arch_index={index} is not in arch2infos_dict. ({other})")),
        })?;
        net_config_dict(py, &spec)
    }

    /// Safetensors bytes of the trained weights, `[(seed, bytes)]` of one seed or every seed.
    fn _net_param<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        dataset: &str,
        seed: Option<u32>,
        hp: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<(u32, Bound<'py, PyBytes>)>> {
        let (hp_text, hp) = hp_of(hp, self.space)?;
        let setting = setting_of(dataset)?;
        let weights = py.detach(|| self.api.net_param(index, setting, hp, seed)).map_err(|e| match e {
            ApiError::UnknownSeed { .. } => {
                PyValueError::new_err(format!("key={:?} not in the trials", (dataset, seed)))
            }
            other => self.missing(other, index, dataset, &hp_text),
        })?;
        Ok(weights.into_iter().map(|(s, w)| (s, PyBytes::new(py, &w))).collect())
    }

    /// `ArchResults.get_metrics` with a seed (or the mean, `None`): the reference's dict.
    fn _metrics<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        dataset: &str,
        setname: &str,
        iepoch: Option<u16>,
        hp: &Bound<'_, PyAny>,
        seed: Option<u32>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (hp_text, hp) = hp_of(hp, self.space)?;
        let set =
            eval_set(Some(setname)).map_err(|_| PyKeyError::new_err(format!("{setname}@{}", iepoch.unwrap_or(0))))?;
        Benchmark::warm(py, &self.api, index);
        let mut seeds = seed.map_or(Seeds::Mean, Seeds::Seed);
        let m = self.api.metrics(index, setting_of(dataset)?, hp, set, iepoch, &mut seeds).map_err(|e| match e {
            ApiError::UnknownSeed { seed, seeds, .. } => {
                PyValueError::new_err(format!("can not find random seed ({seed}) from {seeds:?}"))
            }
            ApiError::Epoch { epoch, epochs } => PyValueError::new_err(format!("invalid iepoch={epoch} < {epochs}")),
            other => self.missing(other, index, dataset, &hp_text),
        })?;
        metrics_dict(py, &Metrics::from(m))
    }

    /// The seeds of a cell's trials on `dataset` with `hp`, in increasing order.
    fn _seeds(&self, py: Python<'_>, index: usize, dataset: &str, hp: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
        let (hp_text, hp) = hp_of(hp, self.space)?;
        Benchmark::warm(py, &self.api, index);
        self.api.seeds(index, setting_of(dataset)?, hp).map_err(|e| self.missing(e, index, dataset, &hp_text))
    }

    /// The schedules (as the reference's strings) and settings of a cell's trials, in file order.
    fn _layout(&self, py: Python<'_>, index: usize) -> PyResult<Vec<(String, Vec<&'static str>)>> {
        Benchmark::warm(py, &self.api, index);
        let cell = self.api.cell(index).map_err(api_error)?;
        let mut out: Vec<(String, Vec<&'static str>)> = Vec::new();
        for t in cell.trials() {
            let hp = hp_name(t.hp, self.space);
            if out.last().is_none_or(|(h, _)| *h != hp) {
                out.push((hp, Vec::new()));
            }
            let settings = &mut out.last_mut().expect("just pushed").1;
            if settings.last() != Some(&t.setting.name()) {
                settings.push(t.setting.name());
            }
        }
        Ok(out)
    }

    /// The cells with results and the schedules found among them (as strings).
    fn _contents(&self, py: Python<'_>) -> PyResult<(Vec<usize>, Vec<String>)> {
        let (cells, rows) = py.detach(|| Ok((self.api.evaluated()?, self.api.summary()?))).map_err(api_error)?;
        let mut hps: Vec<Hp> = rows.iter().map(|r| r.hp).collect();
        hps.sort_unstable();
        hps.dedup();
        Ok((cells, hps.into_iter().map(|hp| hp_name(hp, self.space)).collect()))
    }

    /// One trial's fields under the reference's `ResultsCount` attribute names.
    fn _trial<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        dataset: &str,
        hp: &Bound<'_, PyAny>,
        seed: u32,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.with_trial(py, index, dataset, hp, seed, |t| {
            let d = PyDict::new(py);
            d.set_item("name", dataset)?;
            d.set_item("seed", t.seed)?;
            d.set_item("epochs", t.hp.epochs())?;
            d.set_item("params", t.params_mb)?;
            d.set_item("flop", t.flops_m)?;
            d.set_item("latency", (!t.latency.is_empty()).then(|| t.latency.clone()))?;
            // As the archives of each space hold it (spec 10.6 for the size space's).
            let config = PyDict::new(py);
            match t.arch {
                Architecture::Widths(widths) => {
                    config.set_item("name", "infer.shape.tiny")?;
                    config.set_item("channels", widths.to_string())?;
                    config.set_item("arch_str", t.arch.to_string())?;
                    config.set_item("genotype", nb102_space::Channels::cell().to_string())?;
                }
                Architecture::Cell(_) => {
                    config.set_item("channel", t.net.channels)?;
                    config.set_item("num_cells", t.net.cells)?;
                    config.set_item("arch_str", t.arch.to_string())?;
                }
            }
            config.set_item("class_num", t.net.classes)?;
            d.set_item("arch_config", config)?;
            let by_epoch =
                |f: &dyn Fn(&nb102_store::TrainEpoch) -> Option<f64>| -> PyResult<Option<Bound<'py, PyDict>>> {
                    if t.train.iter().any(|e| f(e).is_none()) {
                        return Ok(None);
                    }
                    let out = PyDict::new(py);
                    for (i, e) in t.train.iter().enumerate() {
                        out.set_item(i, f(e))?;
                    }
                    Ok(Some(out))
                };
            d.set_item("train_acc1es", by_epoch(&|e| Some(e.top1))?)?;
            d.set_item("train_acc5es", by_epoch(&|e| e.top5)?)?;
            d.set_item("train_losses", by_epoch(&|e| Some(e.loss))?)?;
            d.set_item("train_times", by_epoch(&|e| e.time)?)?;
            let (acc, loss, time) = (PyDict::new(py), PyDict::new(py), PyDict::new(py));
            let names = PyList::empty(py);
            for set in t.eval_order() {
                names.append(set.name())?;
                for p in &t.eval[&set] {
                    let key = format!("{}@{}", set.name(), p.epoch);
                    if let Some(a) = p.accuracy {
                        acc.set_item(&key, a)?;
                    }
                    if let Some(l) = p.loss {
                        loss.set_item(&key, l)?;
                    }
                    if let Some(s) = p.time {
                        time.set_item(&key, s)?;
                    }
                }
            }
            d.set_item("eval_names", names)?;
            d.set_item("eval_acc1es", acc)?;
            d.set_item("eval_losses", loss)?;
            d.set_item("eval_times", time)?;
            Ok(d)
        })
    }

    /// Whether one trial's record holds its trained weights (per-cell archive files do; benchmark files do not).
    fn _has_weights(
        &self,
        py: Python<'_>,
        index: usize,
        dataset: &str,
        hp: &Bound<'_, PyAny>,
        seed: u32,
    ) -> PyResult<bool> {
        self.with_trial(py, index, dataset, hp, seed, |t| Ok(t.weights.is_some()))
    }

    /// `ResultsCount.get_times` of one trial.
    fn _trial_times<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        dataset: &str,
        hp: &Bound<'_, PyAny>,
        seed: u32,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (hp_text, hp) = hp_of(hp, self.space)?;
        let times = self
            .api
            .trial_times(index, setting_of(dataset)?, hp, seed, self.cost_rules())
            .map_err(|e| self.missing(e, index, dataset, &hp_text))?;
        let d = PyDict::new(py);
        for (k, v) in times {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
}
