//! Merge and simplify: many trial records into one benchmark, as pure functions over values.
//!
//! The output depends only on the set of inputs, never on their order: cells are keyed by official
//! index and trials sorted by (hp, setting, seed), so the file written from it is byte-identical for
//! the same trials. Two inputs for the same trial must be identical; if they differ, the merge fails
//! and names both sources rather than keep one.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use nb102_space::{Architecture, Space};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::record::{TimeSums, TrialRecord};
use crate::setting::{Hp, Setting};

/// What a benchmark file is, said inside it so that a demo or synthetic file is never taken for NAS-Bench-201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchmarkMeta {
    /// One line for people, e.g. `NAS-Bench-201, regenerated with nb102`.
    pub description: String,
    /// What kind of data it holds.
    pub kind: BenchmarkKind,
}

/// The kind of data in a benchmark file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BenchmarkKind {
    /// Trained with the NAS-Bench-201 protocol (or imported from its official files).
    Nb201,
    /// A reduced demonstration run (fewer cells, epochs, channels or data): not comparable with NAS-Bench-201.
    Demo,
    /// Generated numbers for benchmarking the software: not training results.
    Synthetic,
}

/// The key of a trial within a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TrialKey {
    /// The schedule.
    pub hp: Hp,
    /// The setting.
    pub setting: Setting,
    /// The seed.
    pub seed: u32,
}

impl TrialKey {
    /// The key of `record`.
    pub fn of(record: &TrialRecord) -> TrialKey {
        TrialKey { hp: record.hp, setting: record.setting, seed: record.seed }
    }
}

/// All trials of one cell, sorted by [`TrialKey`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellResults {
    trials: Vec<TrialRecord>,
    /// Each trial's running time sums, made on first use (a decoded cell answers many queries).
    #[serde(skip)]
    sums: OnceLock<Vec<TimeSums>>,
}

impl PartialEq for CellResults {
    fn eq(&self, other: &CellResults) -> bool {
        self.trials == other.trials
    }
}

impl CellResults {
    /// The trials of one cell, sorted by [`TrialKey`] (for writers that stream cells, such as generators).
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for no trials, trials of different cells, a repeated key, or an invalid
    /// record.
    pub fn new(mut trials: Vec<TrialRecord>) -> Result<CellResults> {
        let invalid = |expected: &str, found: String| StoreError::InvalidRecord {
            what: "cell".into(),
            expected: expected.into(),
            found,
        };
        let first = trials.first().ok_or_else(|| invalid("at least one trial", "none".into()))?.arch;
        for t in &trials {
            validate_whole(t, &t.describe())?;
            if t.arch != first {
                return Err(invalid("trials of one cell", format!("cells {first} and {}", t.arch)));
            }
        }
        trials.sort_by_key(TrialKey::of);
        if let Some(w) = trials.windows(2).find(|w| TrialKey::of(&w[0]) == TrialKey::of(&w[1])) {
            return Err(invalid("one trial per key", w[0].describe()));
        }
        Ok(CellResults { trials, sums: OnceLock::new() })
    }

    /// The same trials after the checks of [`CellResults::new`] (for cells read from a file).
    ///
    /// # Errors
    /// As [`CellResults::new`].
    pub(crate) fn checked(self) -> Result<CellResults> {
        CellResults::new(self.trials)
    }

    /// The architecture (taken from its first trial; every cell has at least one, of a space).
    pub fn arch(&self) -> Architecture {
        self.trials[0].arch
    }

    /// The space of the architecture and its official index there.
    pub fn space_index(&self) -> (Space, usize) {
        self.trials[0].arch.in_space().expect("CellResults::new admits architectures of the spaces only")
    }

    /// The trials, sorted by (hp, setting, seed).
    pub fn trials(&self) -> &[TrialRecord] {
        &self.trials
    }

    /// The running time sums of each trial, in the order of [`CellResults::trials`].
    pub fn time_sums(&self) -> &[TimeSums] {
        self.sums.get_or_init(|| self.trials.iter().map(TimeSums::of).collect())
    }

    /// The same trials without their weights (the reference's `clear_params`).
    pub fn without_weights(&self) -> CellResults {
        CellResults { trials: self.trials.iter().map(TrialRecord::without_weights).collect(), sums: OnceLock::new() }
    }

    /// The trial with `key`, if present.
    pub fn trial(&self, key: TrialKey) -> Option<&TrialRecord> {
        self.trials.binary_search_by(|t| TrialKey::of(t).cmp(&key)).ok().map(|i| &self.trials[i])
    }
}

/// A merged benchmark: metadata and the trials of each cell, by official index.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedBenchmark {
    /// What the benchmark is.
    pub meta: BenchmarkMeta,
    cells: BTreeMap<usize, CellResults>,
}

impl MergedBenchmark {
    /// The cells, by official index, in increasing order.
    pub fn cells(&self) -> &BTreeMap<usize, CellResults> {
        &self.cells
    }

    /// Number of trials over all cells.
    pub fn num_trials(&self) -> usize {
        self.cells.values().map(|c| c.trials.len()).sum()
    }
}

/// Merges records, each labelled with where it came from (a path, for error messages).
///
/// # Errors
/// [`StoreError::Conflict`] when two different records share a cell and [`TrialKey`]; an invalid record.
pub fn merge(meta: BenchmarkMeta, inputs: impl IntoIterator<Item = (String, TrialRecord)>) -> Result<MergedBenchmark> {
    let mut cells: BTreeMap<usize, BTreeMap<TrialKey, (String, TrialRecord)>> = BTreeMap::new();
    let mut first_space: Option<(Space, String)> = None;
    for (source, record) in inputs {
        validate_whole(&record, &format!("{} ({source})", record.describe()))?;
        let (space, index) = record.space_index()?;
        match &first_space {
            Some((first, from)) if *first != space => {
                return Err(StoreError::InvalidRecord {
                    what: format!("{} ({source})", record.describe()),
                    expected: format!("records of one space, as a benchmark holds: the {first} space of {from}"),
                    found: format!("the {space} space"),
                })
            }
            Some(_) => {}
            None => first_space = Some((space, source.clone())),
        }
        let trials = cells.entry(index).or_default();
        let key = TrialKey::of(&record);
        match trials.get(&key) {
            Some((first, existing)) if *existing != record => {
                // Name the two sources in a fixed order, whatever order they came in.
                let (a, b) = if first <= &source { (first.clone(), source) } else { (source, first.clone()) };
                return Err(StoreError::Conflict { trial: record.describe(), first: a, second: b });
            }
            Some(_) => {}
            None => {
                trials.insert(key, (source, record));
            }
        }
    }
    let cells = cells
        .into_iter()
        .map(|(index, trials)| {
            (index, CellResults { trials: trials.into_values().map(|(_, r)| r).collect(), sums: OnceLock::new() })
        })
        .collect();
    Ok(MergedBenchmark { meta, cells })
}

/// [`TrialRecord::validate`], and a whole run: a benchmark holds the schedules' last epochs, which a run stopped
/// early does not have. `what` names the record in the error.
fn validate_whole(record: &TrialRecord, what: &str) -> Result<()> {
    record.validate()?;
    record.space_index()?;
    if !record.is_whole() {
        return Err(StoreError::InvalidRecord {
            what: what.to_owned(),
            expected: format!("a whole run: the schedule's {} epochs trained", record.hp),
            found: format!("{} (a run stopped early)", record.train.len()),
        });
    }
    Ok(())
}

/// The same benchmark without any weights (the reference's `clear_params`).
pub fn simplify(benchmark: &MergedBenchmark) -> MergedBenchmark {
    let cells = benchmark.cells.iter().map(|(index, cell)| (*index, cell.without_weights())).collect();
    MergedBenchmark { meta: benchmark.meta.clone(), cells }
}

/// Rebuilds a benchmark from decoded cells (the file reader's path); the cells must be sorted and valid.
pub(crate) fn from_cells(meta: BenchmarkMeta, cells: BTreeMap<usize, CellResults>) -> MergedBenchmark {
    MergedBenchmark { meta, cells }
}
