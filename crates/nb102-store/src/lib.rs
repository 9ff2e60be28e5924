//! Records and files of the benchmark.
//!
//! - [`TrialRecord`]: one training run (the reference's `ResultsCount`), keyed by [`Setting`], [`Hp`] and seed,
//!   with [`Provenance`]; `docs/RECORDS.md` documents every field.
//! - Per-trial files ([`write_trial`], [`read_trial`]): CBOR with a format version, written atomically.
//! - [`merge`] and [`simplify`]: pure functions from records to a [`MergedBenchmark`], independent of input order,
//!   refusing conflicting duplicates.
//! - Benchmark files ([`write_benchmark`], [`BenchmarkFile`]): a checked header and index, then one section per
//!   cell decoded on first use; the name carries the digest, as the reference's files do.
//! - Importers of the official files: the NATS-Bench archives of both spaces ([`read_nats_file`], [`nats_archive`])
//!   and NAS-Bench-201's `.pth` files ([`read_nb201_pth`]); per-cell tables of final results into summary-only
//!   records ([`read_summary_table`], [`TableColumn`]), written by [`write_summary_only`].
//! - Zero-cost proxy scores per cell ([`ProxyTable`], keyed by [`ProxyKey`]): a section of the benchmark file
//!   ([`BenchmarkFile::proxies`], [`BenchmarkWriter::set_proxies`], [`with_proxies`]).
//!
//! - [`pickle`]: the reader of the pickle subset the official files use (records, and the datasets' batches).
//!
//! This crate does not link libtorch; the merge and simplify core does no I/O.

mod atomic;
mod bench_file;
mod columns;
mod error;
mod import;
mod merge;
mod mmap;
pub mod pickle;
mod proxies;
mod record;
mod setting;
mod summary;
mod trial_file;

pub use atomic::{
    check_output, check_output_prefix, open_regular, output_target, read_regular, remove_stale_temporaries,
    temporary_path, write_atomically, write_atomically_checked, STALE_TEMPORARY_AGE,
};
pub use bench_file::{
    find_benchmark, simplify_file, with_proxies, write_benchmark, write_benchmark_with, write_summary_only,
    BenchmarkFile, BenchmarkWriter, BENCHMARK_EXTENSION, BENCHMARK_FORMAT_VERSION, DEFAULT_CACHED_CELLS,
};
pub use error::{cbor_problem, Result, StoreError};
pub use import::{
    import_nats, import_nb201_pth, nats_archive, nats_files, read_bounded, read_nats_file, read_nats_meta,
    read_nb201_pth, read_suite_zero, read_summary_table, ImportError, Nb201Import, TableColumn, MAX_RECORD_FILE_BYTES,
    MAX_ZIP_ENTRY_BYTES, SUITE_ZERO_SOURCE,
};
pub use merge::{merge, simplify, BenchmarkKind, BenchmarkMeta, CellResults, MergedBenchmark, TrialKey};
pub use proxies::{ProxyColumn, ProxyKey, ProxyTable, ProxyVariant};
pub use record::{
    numpy_sum, python_sum, EvalPoint, MetricError, Metrics, NetConfig, Provenance, TimeSums, TrainEpoch, TrialRecord,
};
pub use setting::{EvalSet, Hp, Role, Setting};
pub use summary::TrialSummary;
pub use trial_file::{
    checkpoint_path, find_trial_files, read_trial, write_trial, FoundFiles, MAX_TRIAL_FILE_BYTES, TRIAL_FORMAT_VERSION,
    TRIAL_SUFFIX,
};
