//! The error type of the query API.

use nb102_store::{Hp, Setting};

/// Everything a query can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A cell the benchmark file does not hold.
    #[error("cell {0} is not in this benchmark")]
    NotEvaluated(usize),
    /// A cell whose records are summary-only (final results imported from a table): per-epoch queries have
    /// nothing to read.
    #[error(
        "cell {0} has summary-only records (final accuracies without per-epoch curves, times or weights): expected \
         a cell with full records for this query; find_best and the searches read summary-only cells"
    )]
    SummaryOnly(usize),
    /// No trial of the cell for this setting and schedule.
    #[error("cell {index} has no {setting} trials with hp {hp}")]
    NoTrials {
        /// The cell.
        index: usize,
        /// The setting asked for.
        setting: Setting,
        /// The schedule asked for.
        hp: Hp,
    },
    /// No trial of the cell for this setting, with any schedule.
    #[error("cell {index} has no {setting} trials")]
    NoSetting {
        /// The cell.
        index: usize,
        /// The setting asked for.
        setting: Setting,
    },
    /// A seed the cell was not trained with.
    #[error("cell {index} has no {setting} hp {hp} trial with seed {seed}: expected one of {seeds:?}")]
    UnknownSeed {
        /// The cell.
        index: usize,
        /// The setting.
        setting: Setting,
        /// The schedule.
        hp: Hp,
        /// The seed asked for.
        seed: u32,
        /// The seeds present.
        seeds: Vec<u32>,
    },
    /// An epoch outside the schedule.
    #[error("epoch {epoch} out of range: expected 0..{epochs}")]
    Epoch {
        /// The epoch asked for.
        epoch: u16,
        /// The schedule's length.
        epochs: u16,
    },
    /// A metric the trials do not hold (a set evaluated only at the end, asked at another epoch, for example).
    #[error("cell {index} {setting} hp {hp}: no {what}")]
    Unavailable {
        /// The cell.
        index: usize,
        /// The setting.
        setting: Setting,
        /// The schedule.
        hp: Hp,
        /// What is missing.
        what: String,
    },
    /// The caller's seed choice ([`crate::Seeds::Choose`]) failed or chose a seed that is not offered.
    #[error("seed choice: {0}")]
    Choice(String),
    /// A search that cannot go on (`search`).
    #[error("search: {0}")]
    Search(String),
    /// A dataset/set name pair the reference does not know.
    #[error("unknown metric: expected a setting and a set such as cifar10 valid or cifar100 x-test, found {0}")]
    MetricName(String),
    /// A proxy-score query that no column, or more than one, answers.
    #[error("proxy scores: {0}")]
    Proxy(String),
    /// An architecture that does not parse, or an index out of range.
    #[error(transparent)]
    Space(#[from] nb102_space::SpaceError),
    /// A damaged or unreadable benchmark file.
    #[error(transparent)]
    Store(#[from] nb102_store::StoreError),
}

/// `Result` with [`ApiError`].
pub type Result<T, E = ApiError> = std::result::Result<T, E>;
