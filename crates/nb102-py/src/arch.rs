//! `nb102.Arch`: a cell of the search space, with the official index, isomorphism class and neighbours.

use nb102_space::{Arch as SpaceArch, UniqueMode};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A cell: six ops on the edges of a 4-node DAG, in the reference's string form
/// `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
///
/// `Arch(x)` takes an official index or a string in any spelling the reference accepts (reordered or partial
/// spellings are canonicalised).
#[pyclass(module = "nb102._native", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arch(pub SpaceArch);

fn space_error(e: nb102_space::SpaceError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

#[pymethods]
impl Arch {
    #[new]
    fn new(value: &Bound<'_, PyAny>) -> PyResult<Arch> {
        Ok(Arch(
            SpaceArch::from_official_index(crate::benchmark::index(value, nb102_space::Space::Topology)?)
                .map_err(space_error)?,
        ))
    }

    /// The cell with these six op names in edge order (1←0, 2←0, 2←1, 3←0, 3←1, 3←2).
    #[staticmethod]
    fn from_ops(ops: Vec<String>) -> PyResult<Arch> {
        let ops: [String; 6] = ops
            .try_into()
            .map_err(|ops: Vec<String>| PyValueError::new_err(format!("expected 6 ops, found {}", ops.len())))?;
        let text = format!("|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|", ops[0], ops[1], ops[2], ops[3], ops[4], ops[5]);
        Ok(Arch(text.parse().map_err(space_error)?))
    }

    /// The official index (0 … 15,624), as the reference's `meta_archs` orders the cells.
    #[getter]
    fn index(&self) -> usize {
        self.0.official_index()
    }

    /// The six op names in edge order.
    #[getter]
    fn ops(&self) -> Vec<&'static str> {
        self.0.ops().iter().map(|op| op.name()).collect()
    }

    /// Whether the output depends on the input (the reference's `check_valid`).
    #[getter]
    fn is_valid(&self) -> bool {
        self.0.is_valid()
    }

    /// The isomorphism class (cells computing the same function share one; 6,466 classes).
    #[getter]
    fn class_id(&self) -> usize {
        self.0.class_id()
    }

    /// The reference's `to_unique_str(consider_zero)`: `True` (the default, NATS-Bench's `get_unique_str`),
    /// `False` or `None`.
    #[pyo3(signature = (consider_zero = Some(true)))]
    fn unique_str(&self, consider_zero: Option<bool>) -> String {
        let mode = match consider_zero {
            Some(true) => UniqueMode::PruneZero,
            Some(false) => UniqueMode::KeepZero,
            None => UniqueMode::Verbatim,
        };
        self.0.unique_str(mode)
    }

    /// The official indices of every cell in this cell's isomorphism class.
    fn class_members(&self) -> Vec<u16> {
        nb102_space::class_members(self.0.class_id()).to_vec()
    }

    /// The 24 cells that differ from this one on exactly one edge.
    fn neighbours(&self) -> Vec<Arch> {
        self.0.neighbours().map(Arch).collect()
    }

    /// How many edges differ.
    fn hamming_distance(&self, other: &Arch) -> usize {
        self.0.hamming_distance(&other.0)
    }

    /// The op of each edge as a 4×4 lower-triangular list of op indices (the reference's `str2matrix`).
    fn matrix(&self) -> Vec<Vec<u8>> {
        self.0.adjacency_matrix().iter().map(|row| row.to_vec()).collect()
    }

    /// The reference's string.
    fn tostr(&self) -> String {
        self.0.to_string()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!("Arch({}, '{}')", self.0.official_index(), self.0)
    }

    /// Pickled (and copied) as its official index, so that it crosses processes (`multiprocessing`).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, pyo3::types::PyType>, (usize,)) {
        (slf.get_type(), (slf.get().0.official_index(),))
    }
}

/// The architectures' strings of `space` (`topology`/`tss`, `size`/`sss`) in official order (the reference's
/// `meta_archs`): 15,625 cell strings, or 32,768 channel strings.
#[pyfunction]
#[pyo3(signature = (space = "topology"))]
pub fn official_archs(space: &str) -> PyResult<Vec<String>> {
    let space: nb102_space::Space = space.parse().map_err(space_error)?;
    (0..space.num_archs())
        .map(|i| nb102_space::Architecture::from_official_index(space, i).map(|a| a.to_string()).map_err(space_error))
        .collect()
}
