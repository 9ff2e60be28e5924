//! `nb102.Benchmark`: the query API with the Rust API's explicit choices. The schedule (`hp`) and the seed
//! choice (`seed=<int>` or `seed="mean"`) are always given; results are typed objects; bulk queries answer for
//! every cell at once from the file's summary section.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use nb102_api::{Api, Seeds};
use nb102_space::{Architecture, Channels, Space};
use nb102_store::{BenchmarkKind, EvalSet, Hp, Setting};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt, PyString};

use crate::api_error;

/// A setting by its reference name (`cifar10-valid`, `cifar10`, `cifar100`, `ImageNet16-120`, `fashion-mnist`).
pub(crate) fn setting(name: &str) -> PyResult<Setting> {
    name.parse().map_err(|e: nb102_store::StoreError| PyValueError::new_err(e.to_string()))
}

/// A set by its reference name (`train` is `None`; `valid` is `x-valid`, as the reference's `get_eval` reads it).
pub(crate) fn eval_set(name: Option<&str>) -> PyResult<Option<EvalSet>> {
    match name {
        None | Some("train") => Ok(None),
        Some("valid") => Ok(Some(EvalSet::XValid)),
        Some(other) => {
            other.parse().map(Some).map_err(|e: nb102_store::StoreError| PyValueError::new_err(e.to_string()))
        }
    }
}

/// A schedule given as the reference gives it (`'12'`, `'200'`) or as a number of epochs.
pub(crate) fn hp(value: &Bound<'_, PyAny>) -> PyResult<Hp> {
    let text = value.str()?;
    let text = text.to_cow()?;
    let text: &str = &text;
    text.parse::<u16>()
        .ok()
        .filter(|&e| e > 0)
        .map(Hp::new)
        .ok_or_else(|| PyValueError::new_err(format!("expected a schedule such as '12' or 200, found {text:?}")))
}

/// An architecture of `space` given as an official index, an `Arch` (a cell, in the topology space), a `Channels`
/// (in the size space) or a string (a cell in any spelling, or a channel string).
pub(crate) fn index(value: &Bound<'_, PyAny>, space: Space) -> PyResult<usize> {
    if let Ok(channels) = value.cast::<crate::channels::Channels>() {
        if space != Space::Size {
            return Err(PyValueError::new_err(format!(
                "expected an architecture of the {space} space, found a size-space network"
            )));
        }
        return Ok(channels.get().0.official_index());
    }
    if let Ok(arch) = value.cast::<crate::arch::Arch>() {
        if space != Space::Topology {
            return Err(PyValueError::new_err(format!("expected an architecture of the {space} space, found a cell")));
        }
        return Ok(arch.get().0.official_index());
    }
    if value.is_instance_of::<PyInt>() {
        // Any int, however large, is an index out of range rather than a wrong type.
        let i = value.extract::<i64>().ok().and_then(|i| usize::try_from(i).ok());
        return i.filter(|&i| i < space.num_archs()).ok_or_else(|| {
            PyValueError::new_err(format!("expected an index in 0..{}, found {value}", space.num_archs()))
        });
    }
    if let Ok(text) = value.cast::<PyString>() {
        return space.index_of(&text.to_cow()?).map_err(|e| PyValueError::new_err(e.to_string()));
    }
    Err(PyTypeError::new_err(format!(
        "expected an index, an nb102.Arch or an architecture string, found {}",
        value.get_type().name()?
    )))
}

/// An epoch of a schedule (`None`: the last), named in the error when it is not one.
fn epoch(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u16>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    value.extract::<u16>().map(Some).map_err(|_| {
        PyValueError::new_err(format!("expected epoch to be an epoch of the schedule (0, 1, …) or None, found {value}"))
    })
}

/// The seed choice of the native API: an int seed or `"mean"`.
fn seeds(value: &Bound<'_, PyAny>) -> PyResult<Seeds<'static>> {
    if let Ok(seed) = value.extract::<u32>() {
        return Ok(Seeds::Seed(seed));
    }
    if value.extract::<String>().is_ok_and(|s| s == "mean") {
        return Ok(Seeds::Mean);
    }
    Err(PyValueError::new_err(format!("expected seed=<int> or seed=\"mean\", found {}", value.repr()?)))
}

/// Loss, accuracy and times after one epoch (the reference's `get_metrics` dict as an object).
#[pyclass(module = "nb102._native", frozen, get_all)]
#[derive(Clone, Copy)]
pub struct Metrics {
    /// The epoch, counted from 0 (the reference's `iepoch`).
    pub epoch: u16,
    /// Loss.
    pub loss: f64,
    /// Top-1 accuracy in percent.
    pub accuracy: f64,
    /// Seconds of this epoch (training, or one evaluation pass), if recorded.
    pub cur_time: Option<f64>,
    /// Seconds up to and including this epoch, if recorded.
    pub all_time: Option<f64>,
}

impl From<nb102_api::Metrics> for Metrics {
    fn from(m: nb102_api::Metrics) -> Metrics {
        Metrics { epoch: m.epoch, loss: m.loss, accuracy: m.accuracy, cur_time: m.cur_time, all_time: m.all_time }
    }
}

#[pymethods]
impl Metrics {
    /// The reference's dict: `iepoch`, `loss`, `accuracy`, `cur_time`, `all_time`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        metrics_dict(py, self)
    }

    fn __repr__(&self) -> String {
        format!(
            "Metrics(epoch={}, loss={}, accuracy={}, cur_time={}, all_time={})",
            self.epoch,
            self.loss,
            self.accuracy,
            py_option(self.cur_time),
            py_option(self.all_time)
        )
    }
}

pub(crate) fn metrics_dict<'py>(py: Python<'py>, m: &Metrics) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(pyo3::intern!(py, "iepoch"), m.epoch)?;
    d.set_item(pyo3::intern!(py, "loss"), m.loss)?;
    d.set_item(pyo3::intern!(py, "accuracy"), m.accuracy)?;
    d.set_item(pyo3::intern!(py, "cur_time"), m.cur_time)?;
    d.set_item(pyo3::intern!(py, "all_time"), m.all_time)?;
    Ok(d)
}

fn py_option(v: Option<f64>) -> String {
    v.map_or_else(|| "None".to_owned(), |v| v.to_string())
}

/// Training metrics and up to three evaluation sets after one epoch (the reference's `get_more_info`).
#[pyclass(module = "nb102._native", frozen)]
pub struct MoreInfo(nb102_api::MoreInfo);

#[pymethods]
impl MoreInfo {
    /// On the training data.
    #[getter]
    fn train(&self) -> Metrics {
        self.0.train.into()
    }

    /// `x-valid`, where the setting has it.
    #[getter]
    fn valid(&self) -> Option<Metrics> {
        self.0.valid.map(Metrics::from)
    }

    /// `ori-test` for the CIFAR-10 settings, `x-test` otherwise.
    #[getter]
    fn test(&self) -> Option<Metrics> {
        self.0.test.map(Metrics::from)
    }

    /// `ori-test` for CIFAR-100 and ImageNet16-120.
    #[getter]
    fn valtest(&self) -> Option<Metrics> {
        self.0.valtest.map(Metrics::from)
    }

    /// The reference's dict (`train-loss`, `valid-accuracy`, `test-per-time`, …), without its `comment`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        more_info_into(&d, &self.0, None)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let show = |m: Option<Metrics>| m.as_ref().map_or_else(|| "None".to_owned(), Metrics::__repr__);
        format!(
            "MoreInfo(train={}, valid={}, test={}, valtest={})",
            self.train().__repr__(),
            show(self.valid()),
            show(self.test()),
            show(self.valtest())
        )
    }
}

/// Fills `d` with the reference's `get_more_info` keys in its order, `comment` (where `nats_bench` adds one)
/// right after the training metrics as it puts it; interned keys, as this runs millions of times in a search.
pub(crate) fn more_info_into(
    d: &Bound<'_, PyDict>,
    info: &nb102_api::MoreInfo,
    comment: Option<String>,
) -> PyResult<()> {
    let py = d.py();
    let total = f64::from(info.train.epoch) + 1.0;
    let put = |keys: [&Bound<'_, PyString>; 4], m: &nb102_api::Metrics| -> PyResult<()> {
        d.set_item(keys[0], m.loss)?;
        d.set_item(keys[1], m.accuracy)?;
        d.set_item(keys[2], m.all_time.map(|t| t / total))?;
        d.set_item(keys[3], m.all_time)
    };
    use pyo3::intern;
    put(
        [
            intern!(py, "train-loss"),
            intern!(py, "train-accuracy"),
            intern!(py, "train-per-time"),
            intern!(py, "train-all-time"),
        ],
        &info.train,
    )?;
    if let Some(comment) = comment {
        d.set_item(intern!(py, "comment"), comment)?;
    }
    if let Some(m) = &info.valid {
        let keys = [
            intern!(py, "valid-loss"),
            intern!(py, "valid-accuracy"),
            intern!(py, "valid-per-time"),
            intern!(py, "valid-all-time"),
        ];
        put(keys, m)?;
    }
    if let Some(m) = &info.test {
        let keys = [
            intern!(py, "test-loss"),
            intern!(py, "test-accuracy"),
            intern!(py, "test-per-time"),
            intern!(py, "test-all-time"),
        ];
        put(keys, m)?;
    }
    if let Some(m) = &info.valtest {
        let keys = [
            intern!(py, "valtest-loss"),
            intern!(py, "valtest-accuracy"),
            intern!(py, "valtest-per-time"),
            intern!(py, "valtest-all-time"),
        ];
        put(keys, m)?;
    }
    Ok(())
}

/// FLOPs, parameters, latency and times of a cell's trials (the reference's `get_cost_info`).
#[pyclass(module = "nb102._native", frozen)]
pub struct CostInfo(nb102_api::CostInfo);

#[pymethods]
impl CostInfo {
    /// FLOPs in millions.
    #[getter]
    fn flops(&self) -> f64 {
        self.0.flops
    }

    /// Parameters in millions.
    #[getter]
    fn params(&self) -> f64 {
        self.0.params
    }

    /// Mean latency in seconds, when recorded.
    #[getter]
    fn latency(&self) -> Option<f64> {
        self.0.latency
    }

    /// `T-train@epoch`, `T-train@total`, `T-<set>@epoch`, `T-<set>@total`, in the reference's order.
    #[getter]
    fn times<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (key, value) in &self.0.times {
            d.set_item(key, value)?;
        }
        Ok(d)
    }

    /// The reference's dict: `flops`, `params`, `latency`, then the times in its order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cost_dict(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!("CostInfo(flops={}, params={}, latency={})", self.0.flops, self.0.params, py_option(self.0.latency))
    }
}

pub(crate) fn cost_dict<'py>(py: Python<'py>, c: &nb102_api::CostInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(pyo3::intern!(py, "flops"), c.flops)?;
    d.set_item(pyo3::intern!(py, "params"), c.params)?;
    d.set_item(pyo3::intern!(py, "latency"), c.latency)?;
    for (key, value) in &c.times {
        d.set_item(key, value)?;
    }
    Ok(d)
}

/// An nb102 benchmark file opened for queries.
///
/// `Benchmark(path)` takes a `.nb102` file, a NATS-Bench topology archive folder or NAS-Bench-201 `.pth`
/// file (imported once into a cached `.nb102`, see `nb102.cache_dir()`). Every query names its schedule
/// (`hp`, 12 or 200 for the official files) and its seed choice (`seed=777` or `seed="mean"`).
#[pyclass(module = "nb102._native", frozen, subclass)]
pub struct Benchmark {
    pub(crate) api: Arc<Api>,
}

impl Benchmark {
    /// Decodes the cell with the GIL released (the first query of a cell reads and checks its section), so
    /// that the query itself then finds it among the file's recently used cells.
    pub(crate) fn warm(py: Python<'_>, api: &Api, index: usize) {
        py.detach(|| api.warm(index));
    }
}

#[pymethods]
impl Benchmark {
    #[new]
    #[pyo3(signature = (path, verbose = false))]
    fn new(py: Python<'_>, path: PathBuf, verbose: bool) -> PyResult<Benchmark> {
        Ok(Benchmark { api: Arc::new(crate::open::open_api(py, &path, verbose)?) })
    }

    /// The `.nb102` file read.
    #[getter]
    fn path(&self) -> PathBuf {
        self.api.path().to_owned()
    }

    /// `nb201` (official or regenerated results), `demo` or `synthetic`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.api.meta().kind {
            BenchmarkKind::Nb201 => "nb201",
            BenchmarkKind::Demo => "demo",
            BenchmarkKind::Synthetic => "synthetic",
        }
    }

    /// One line saying what the file holds.
    #[getter]
    fn description(&self) -> String {
        self.api.meta().description.clone()
    }

    /// The sha256 of the file's header (which holds every section's checksum).
    #[getter]
    fn sha256(&self) -> String {
        self.api.digest().to_owned()
    }

    /// The search space of its architectures: `topology` (cells, `nb102.Arch`) or `size` (`nb102.Channels`).
    #[getter]
    fn space(&self) -> &'static str {
        self.api.space().name()
    }

    /// The string of the architecture with official index `index` in the file's space.
    fn arch(&self, index: &Bound<'_, PyAny>) -> PyResult<String> {
        let index = self::index(index, self.api.space())?;
        Ok(self.api.arch(index).map_err(api_error)?.to_string())
    }

    /// The number of cells with results.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.indices(py)?.len())
    }

    fn __repr__(&self) -> String {
        format!("Benchmark({:?}, kind={}, space={})", self.api.path().display().to_string(), self.kind(), self.space())
    }

    /// The official indices of the cells with results, in increasing order.
    fn indices(&self, py: Python<'_>) -> PyResult<Vec<usize>> {
        py.detach(|| self.api.evaluated()).map_err(api_error)
    }

    /// The seeds of a cell's trials for a setting and schedule, in increasing order.
    fn seeds(
        &self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
        setting: &str,
        hp: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<u32>> {
        let (index, setting, hp) = (self::index(index, self.api.space())?, self::setting(setting)?, self::hp(hp)?);
        Benchmark::warm(py, &self.api, index);
        self.api.seeds(index, setting, hp).map_err(api_error)
    }

    /// Metrics on one set (`train`, `x-valid`, `x-test`, `ori-test`) after `epoch` (default: the last), of one
    /// seed's trial or the mean over seeds.
    #[pyo3(signature = (index, setting, hp, set = None, *, seed, epoch = None))]
    #[allow(clippy::too_many_arguments)] // the reference's arguments, each explicit
    fn metrics(
        &self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
        setting: &str,
        hp: &Bound<'_, PyAny>,
        set: Option<&str>,
        seed: &Bound<'_, PyAny>,
        epoch: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Metrics> {
        let (index, setting, hp, set) =
            (self::index(index, self.api.space())?, self::setting(setting)?, self::hp(hp)?, eval_set(set)?);
        let epoch = self::epoch(epoch)?;
        let mut seeds = self::seeds(seed)?;
        Benchmark::warm(py, &self.api, index);
        self.api.metrics(index, setting, hp, set, epoch, &mut seeds).map(Metrics::from).map_err(api_error)
    }

    /// Training metrics and the setting's evaluation sets after `epoch` (default: the last).
    #[pyo3(signature = (index, setting, hp, *, seed, epoch = None))]
    fn more_info(
        &self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
        setting: &str,
        hp: &Bound<'_, PyAny>,
        seed: &Bound<'_, PyAny>,
        epoch: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<MoreInfo> {
        let (index, setting, hp) = (self::index(index, self.api.space())?, self::setting(setting)?, self::hp(hp)?);
        let epoch = self::epoch(epoch)?;
        let mut seeds = self::seeds(seed)?;
        Benchmark::warm(py, &self.api, index);
        self.api.more_info(index, setting, hp, epoch, &mut seeds).map(MoreInfo).map_err(api_error)
    }

    /// FLOPs, parameters, latency and times, seed means.
    fn cost_info(
        &self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
        setting: &str,
        hp: &Bound<'_, PyAny>,
    ) -> PyResult<CostInfo> {
        let (index, setting, hp) = (self::index(index, self.api.space())?, self::setting(setting)?, self::hp(hp)?);
        Benchmark::warm(py, &self.api, index);
        self.api.cost_info(index, setting, hp).map(CostInfo).map_err(api_error)
    }

    /// The cell with the highest seed-mean accuracy on `set` after the last epoch, among cells within the
    /// FLOPs and parameter limits (the first in index order on ties): `(index, accuracy)`, or `None`.
    #[pyo3(signature = (setting, set, hp, flop_max = None, param_max = None))]
    fn find_best(
        &self,
        py: Python<'_>,
        setting: &str,
        set: &str,
        hp: &Bound<'_, PyAny>,
        flop_max: Option<f64>,
        param_max: Option<f64>,
    ) -> PyResult<Option<(usize, f64)>> {
        let (setting, set, hp) = (self::setting(setting)?, eval_set(Some(set))?, self::hp(hp)?);
        py.detach(|| self.api.find_best(setting, set, hp, flop_max, param_max)).map_err(api_error)
    }

    /// How many cells have 0, 1, 2, … trials of `setting` and `hp`.
    fn statistics(&self, py: Python<'_>, setting: &str, hp: &Bound<'_, PyAny>) -> PyResult<BTreeMap<usize, usize>> {
        let (setting, hp) = (self::setting(setting)?, self::hp(hp)?);
        py.detach(|| self.api.statistics(setting, hp)).map_err(api_error)
    }

    /// The network a cell was trained as on `setting`: `{'name': 'infer.tiny', 'C', 'N', 'arch_str',
    /// 'num_classes'}`.
    fn net_config<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'_, PyAny>,
        setting: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (index, setting) = (self::index(index, self.api.space())?, self::setting(setting)?);
        Benchmark::warm(py, &self.api, index);
        let spec = self.api.net_config(index, setting).map_err(api_error)?;
        net_config_dict(py, &spec)
    }

    /// The trained weights of one seed's trial as safetensors bytes (the reference's state-dict keys);
    /// `nb102.Benchmark.net_param` turns them into tensors.
    fn net_param_bytes<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'_, PyAny>,
        setting: &str,
        hp: &Bound<'_, PyAny>,
        seed: u32,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (index, setting, hp) = (self::index(index, self.api.space())?, self::setting(setting)?, self::hp(hp)?);
        let weights = py.detach(|| self.api.net_param(index, setting, hp, Some(seed))).map_err(api_error)?;
        Ok(PyBytes::new(py, &weights[0].1))
    }

    /// For every one of the 15,625 cells, as little-endian `f64` bytes: the seed-mean accuracy on `set` after
    /// the last epoch, its FLOPs and parameters (NaN where the cell has no such trials);
    /// `nb102.Benchmark.final_accuracies` and `costs` make numpy arrays of them.
    fn cell_means_bytes<'py>(
        &self,
        py: Python<'py>,
        setting: &str,
        set: &str,
        hp: &Bound<'_, PyAny>,
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let (setting, set, hp) = (self::setting(setting)?, eval_set(Some(set))?, self::hp(hp)?);
        let columns = py
            .detach(|| -> nb102_api::Result<[Vec<u8>; 3]> {
                let mut columns = [(); 3].map(|()| vec![f64::NAN; self.api.space().num_archs()]);
                for cell in self.api.cell_means(setting, set, hp)? {
                    columns[0][cell.index] = cell.accuracy.unwrap_or(f64::NAN);
                    columns[1][cell.index] = cell.flops;
                    columns[2][cell.index] = cell.params;
                }
                Ok(columns.map(|c| c.iter().flat_map(|v| v.to_le_bytes()).collect()))
            })
            .map_err(api_error)?;
        let [a, f, p] = columns;
        Ok((PyBytes::new(py, &a), PyBytes::new(py, &f), PyBytes::new(py, &p)))
    }

    /// The score of a cell in the one proxy-score column of `proxy` that the other arguments pick (`None`: any);
    /// `ValueError` when none or several match, or the column does not score the cell.
    #[pyo3(signature = (index, proxy, setting = None, batch_size = None, seed = None, variant = None))]
    fn proxy(
        &self,
        index: &Bound<'_, PyAny>,
        proxy: &str,
        setting: Option<&str>,
        batch_size: Option<u32>,
        seed: Option<u64>,
        variant: Option<&str>,
    ) -> PyResult<f64> {
        let index = self::index(index, self.api.space())?;
        let filter = proxy_filter(setting, batch_size, seed, variant)?;
        self.api.proxy(index, proxy, &filter).map_err(api_error)
    }

    /// Every proxy-score column of the file: `{'proxy', 'setting', 'batch_size', 'seed', 'variant', 'source',
    /// 'cells'}` (`seed` None where the source does not say; `cells`: how many cells it scores).
    fn proxy_columns<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let columns = self.api.proxy_columns().map_err(api_error)?;
        columns
            .iter()
            .map(|c| {
                let (k, d) = (c.key(), PyDict::new(py));
                d.set_item("proxy", &k.proxy)?;
                d.set_item("setting", k.setting.name())?;
                d.set_item("batch_size", k.batch_size)?;
                d.set_item("seed", k.seed)?;
                d.set_item("variant", k.variant.name())?;
                d.set_item("source", c.source())?;
                d.set_item("cells", c.len())?;
                Ok(d)
            })
            .collect()
    }

    /// One proxy-score column as little-endian `f64` bytes, one value per official index (NaN where it scores no
    /// cell); `nb102.Benchmark.proxy_scores` makes a numpy array of them.
    #[pyo3(signature = (proxy, setting = None, batch_size = None, seed = None, variant = None))]
    fn proxy_scores_bytes<'py>(
        &self,
        py: Python<'py>,
        proxy: &str,
        setting: Option<&str>,
        batch_size: Option<u32>,
        seed: Option<u64>,
        variant: Option<&str>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let filter = proxy_filter(setting, batch_size, seed, variant)?;
        let column = self.api.proxy_column(proxy, &filter).map_err(api_error)?;
        let bytes: Vec<u8> = column.scores().iter().flat_map(|v| v.to_le_bytes()).collect();
        Ok(PyBytes::new(py, &bytes))
    }

    /// How many decoded cells stay in memory (default 256, about 180 MB at the official size).
    fn set_cached_cells(&self, cells: usize) {
        self.api.set_cached_cells(cells);
    }
}

/// The columns a proxy query picks, from Python's optional arguments.
fn proxy_filter(
    setting: Option<&str>,
    batch_size: Option<u32>,
    seed: Option<u64>,
    variant: Option<&str>,
) -> PyResult<nb102_api::ProxyFilter> {
    Ok(nb102_api::ProxyFilter {
        setting: setting.map(self::setting).transpose()?,
        batch_size,
        seed,
        variant: variant.map(str::parse).transpose().map_err(pyo3::exceptions::PyValueError::new_err)?,
    })
}

pub(crate) fn net_config_dict<'py>(py: Python<'py>, spec: &nb102_api::NetworkSpec) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match spec.arch {
        // xautodl's `get_cell_based_tiny_net` config of each network.
        Architecture::Widths(widths) => {
            d.set_item("name", "infer.shape.tiny")?;
            d.set_item("channels", widths.to_string())?;
            d.set_item("genotype", Channels::cell().to_string())?;
        }
        Architecture::Cell(_) => {
            d.set_item("name", "infer.tiny")?;
            d.set_item("C", spec.config.channels)?;
            d.set_item("N", spec.config.cells)?;
            d.set_item("arch_str", spec.arch.to_string())?;
        }
    }
    d.set_item("num_classes", spec.config.classes)?;
    Ok(d)
}
