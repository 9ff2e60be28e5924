//! `nb102.Channels`: a network of the NATS-Bench size space, its five layers' widths.

use nb102_space::Channels as SpaceChannels;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A network of the size space: the widths of its five layers, each one of 8, 16, …, 64, written
/// `'8:16:24:32:40'`.
///
/// `Channels(x)` takes an official index (0 … 32,767, the order of the archive's `meta_archs`) or a channel string.
#[pyclass(module = "nb102._native", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channels(pub SpaceChannels);

#[pymethods]
impl Channels {
    #[new]
    fn new(value: &Bound<'_, PyAny>) -> PyResult<Channels> {
        let index = crate::benchmark::index(value, nb102_space::Space::Size)?;
        SpaceChannels::from_official_index(index).map(Channels).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The official index (0 … 32,767).
    #[getter]
    fn index(&self) -> usize {
        self.0.official_index()
    }

    /// The five widths, first layer first.
    #[getter]
    fn widths(&self) -> Vec<u16> {
        self.0.widths().to_vec()
    }

    /// The 35 networks that differ from this one in exactly one layer's width.
    fn neighbours(&self) -> Vec<Channels> {
        self.0.neighbours().into_iter().map(Channels).collect()
    }

    /// The channel string.
    fn tostr(&self) -> String {
        self.0.to_string()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!("Channels({}, '{}')", self.0.official_index(), self.0)
    }

    /// Pickled (and copied) as its official index.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, pyo3::types::PyType>, (usize,)) {
        (slf.get_type(), (slf.get().0.official_index(),))
    }
}
