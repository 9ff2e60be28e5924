//! nb102 for Python: the extension module `nb102._native`, which the `nb102` package (`python/nb102`) wraps.
//!
//! - [`benchmark`]: `nb102.Benchmark`, the query API with explicit choices (schedule and seeds always given),
//!   typed results and bulk queries over every cell at once;
//! - [`compat`]: the engine of the drop-in classes `nb102.NATStopology` (`nats_bench.create`) and
//!   `nb102.NASBench201API` (`nas_201_api`): the reference's methods, argument conventions, random draws
//!   (Python's `random`, the same calls in the same order) and exception types;
//! - [`arch`]: `nb102.Arch`, the search space's cells;
//! - [`search`]: the engine of `nb102.search`, the multi-trial baselines and a clock for one's own search;
//! - [`open`]: the path a user gives, a `.nb102` file or an official archive, imported once into a cache.
//!
//! Rust work that can take more than a few microseconds (opening, decoding a cell, scans, imports) runs with
//! the GIL released.

use pyo3::exceptions::{PyKeyError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    nb102,
    DamagedBenchmarkError,
    PyValueError,
    "A benchmark file that is damaged (a checksum that does not match, a section that does not decode) or not a \
     benchmark file at all; the message names the file. A ValueError, but never the reference's \"not in \
     arch2infos\" one: a cell that a damaged file holds is not reported as missing."
);

mod arch;
mod benchmark;
mod channels;
mod compat;
mod open;
mod search;

/// The Python exception for an error of the query API: the reference's type where scripts catch one
/// (`KeyError` for a setting or schedule a cell does not have, `ValueError` for a bad index, seed, epoch or a
/// set the trials do not hold).
pub(crate) fn api_error(err: nb102_api::ApiError) -> PyErr {
    use nb102_api::ApiError as E;
    let message = err.to_string();
    match err {
        E::NoTrials { .. } | E::NoSetting { .. } => PyKeyError::new_err(message),
        E::Store(e) => store_error(e),
        E::Search(_) | E::Choice(_) => PyRuntimeError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// The Python exception for an error of a benchmark file or an import: `OSError` for I/O, `DamagedBenchmarkError`
/// for a file that fails its checks (a cached import is then moved aside, to be imported again on the next
/// open), `ValueError` for the rest.
pub(crate) fn store_error(err: nb102_store::StoreError) -> PyErr {
    use nb102_store::StoreError as E;
    match err {
        E::Io { .. } => PyOSError::new_err(err.to_string()),
        E::Checksum { ref path, .. } | E::Format { ref path, .. } => {
            let hint = open::repair_hint(path).map(|h| format!("; {h}")).unwrap_or_default();
            DamagedBenchmarkError::new_err(format!("{err}{hint}"))
        }
        other => PyValueError::new_err(other.to_string()),
    }
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("NUM_ARCHS", nb102_space::NUM_ARCHS)?;
    m.add("DamagedBenchmarkError", m.py().get_type::<DamagedBenchmarkError>())?;
    m.add("NUM_SIZES", nb102_space::NUM_SIZES)?;
    m.add_class::<arch::Arch>()?;
    m.add_class::<channels::Channels>()?;
    m.add_class::<benchmark::Benchmark>()?;
    m.add_class::<benchmark::Metrics>()?;
    m.add_class::<benchmark::MoreInfo>()?;
    m.add_class::<benchmark::CostInfo>()?;
    m.add_class::<compat::Engine>()?;
    m.add("BudgetExhausted", m.py().get_type::<search::BudgetExhausted>())?;
    m.add_class::<search::SearchOracle>()?;
    m.add_class::<search::SearchBudget>()?;
    m.add_class::<search::SearchTable>()?;
    m.add_function(wrap_pyfunction!(search::calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(open::resolve, m)?)?;
    m.add_function(wrap_pyfunction!(open::py_cache_dir, m)?)?;
    m.add_function(wrap_pyfunction!(arch::official_archs, m)?)?;
    Ok(())
}
