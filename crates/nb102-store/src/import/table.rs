//! Per-cell tables of final results (one row per cell, one column per setting, schedule and set, such as
//! `nb201_groundtruth_merged.csv`) into summary-only records: per cell and (setting, schedule), one
//! [`TrialSummary`] holding the seed means of the table, with the parameters and FLOPs of the benchmark network
//! (C=16, N=5) counted by `nb102-space`. The tables have no per-epoch curves, times or seeds; `docs/RECORDS.md`
//! says what is kept and what is not.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use nb102_space::{Arch, NetworkConfig, NUM_ARCHS};

use crate::atomic::open_regular;
use crate::error::{Result, StoreError};
use crate::record::is_percent;
use crate::setting::{EvalSet, Hp, Role, Setting};
use crate::summary::{accuracy_slot, TrialSummary};

/// A column of a per-cell table: the last-epoch accuracy on `set`, mean over seeds, of `setting` trained for `hp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// The column's header.
    pub name: String,
    /// The setting trained.
    pub setting: Setting,
    /// The schedule.
    pub hp: Hp,
    /// The evaluation set.
    pub set: EvalSet,
}

impl TableColumn {
    /// The seed-mean columns of NAS-Bench-201 result tables (`nb201_groundtruth_merged.csv`). The 12-epoch test
    /// columns are the reference's `cifar10` `ori-test` and the `x-test` of the others, as the official records
    /// show (the table's 12-epoch values equal the seed means of records 0, 11 and 284).
    pub fn nb201() -> Vec<TableColumn> {
        // Each column is its setting's validation or test set, by the setting's rule.
        let columns = [
            ("c10valid_valid_200ep_mean", Setting::Cifar10Valid, Hp::H200, Role::Valid),
            ("c10_test_200ep_mean", Setting::Cifar10, Hp::H200, Role::Test),
            ("c100_valid_200ep_mean", Setting::Cifar100, Hp::H200, Role::Valid),
            ("c100_test_200ep_mean", Setting::Cifar100, Hp::H200, Role::Test),
            ("in16_valid_200ep_mean", Setting::ImageNet16_120, Hp::H200, Role::Valid),
            ("in16_test_200ep_mean", Setting::ImageNet16_120, Hp::H200, Role::Test),
            ("c10valid_valid_12ep", Setting::Cifar10Valid, Hp::H12, Role::Valid),
            ("c10_test_12ep", Setting::Cifar10, Hp::H12, Role::Test),
            ("c100_valid_12ep", Setting::Cifar100, Hp::H12, Role::Valid),
            ("c100_test_12ep", Setting::Cifar100, Hp::H12, Role::Test),
            ("in16_valid_12ep", Setting::ImageNet16_120, Hp::H12, Role::Valid),
            ("in16_test_12ep", Setting::ImageNet16_120, Hp::H12, Role::Test),
        ];
        columns
            .map(|(name, setting, hp, role)| {
                let set = setting.set_for(role).expect("the columns' settings have x-valid");
                TableColumn { name: name.into(), setting, hp, set }
            })
            .into()
    }
}

impl FromStr for TableColumn {
    type Err = StoreError;

    /// Parses `NAME=SETTING:HP:SET`, e.g. `c10_test_12ep=cifar10:12:ori-test`.
    fn from_str(s: &str) -> Result<TableColumn> {
        let parsed = s.split_once('=').and_then(|(name, what)| {
            let mut parts = what.split(':');
            let (setting, hp, set) = (parts.next()?, parts.next()?, parts.next()?);
            parts.next().is_none().then_some((name, setting, hp, set))
        });
        let (name, setting, hp, set) = parsed.ok_or_else(|| StoreError::InvalidRecord {
            what: "table column".into(),
            expected: "NAME=SETTING:HP:SET, e.g. c10_test_12ep=cifar10:12:ori-test".into(),
            found: format!("{s:?}"),
        })?;
        let hp = hp.parse::<u16>().ok().filter(|&e| e > 0).ok_or_else(|| StoreError::InvalidRecord {
            what: "table column schedule".into(),
            expected: "a number of epochs".into(),
            found: format!("{hp:?} in {s:?}"),
        })?;
        Ok(TableColumn { name: name.into(), setting: setting.parse()?, hp: Hp::new(hp), set: set.parse()? })
    }
}

/// Reads a per-cell table (CSV with a header row, an `index` column of official indices, and `arch_str`, checked
/// against the index, where present) into summary-only records, per cell in increasing index order. An empty or
/// `nan` value is a result the table lacks; a (setting, schedule) with none of its columns gives no record.
///
/// # Errors
/// [`StoreError::Io`]; [`StoreError::Format`] for a missing column, a bad or repeated index, a string that is not
/// its index's cell, or a value that is not an accuracy in percent; [`StoreError::InvalidRecord`] for two columns
/// of the same setting, schedule and set.
pub fn read_summary_table(path: &Path, columns: &[TableColumn]) -> Result<Vec<(usize, Vec<TrialSummary>)>> {
    let format = |expected: String, found: String| StoreError::Format { path: path.to_owned(), expected, found };
    let csv_error = |e: csv::Error| {
        // csv's message names the record, line and byte; its kind's Debug form would be Rust syntax.
        let message = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(error) if error.kind() == std::io::ErrorKind::FileTooLarge => {
                format("a CSV table".into(), error.to_string())
            }
            csv::ErrorKind::Io(error) => StoreError::Io { path: path.to_owned(), error },
            _ => format("a CSV table".into(), message.trim_start_matches("CSV error: ").into()),
        }
    };
    let file = open_regular(path, "a CSV table", u64::MAX)?;
    let mut reader = csv::Reader::from_reader(BoundedLines { inner: std::io::BufReader::new(file), run: 0 });
    let header = reader.headers().map_err(csv_error)?.clone();
    let position = |name: &str| match header.iter().enumerate().filter(|(_, h)| *h == name).collect::<Vec<_>>()[..] {
        [(at, _)] => Ok(at),
        [] => Err(format(format!("a column {name:?}"), "none".into())),
        ref several => Err(format(format!("one column {name:?}"), format!("{} of them", several.len()))),
    };
    let index_at = position("index")?;
    let arch_at = header.iter().any(|h| h == "arch_str").then(|| position("arch_str")).transpose()?;
    // Columns grouped by (schedule, setting), the order of a file's summary: each group is one record per cell.
    let mut groups: BTreeMap<(Hp, Setting), Vec<(usize, EvalSet)>> = BTreeMap::new();
    for c in columns {
        let group = groups.entry((c.hp, c.setting)).or_default();
        if group.iter().any(|&(_, set)| set == c.set) {
            return Err(StoreError::InvalidRecord {
                what: "table columns".into(),
                expected: "one column per setting, schedule and set".into(),
                found: format!("two for {} hp {} {}", c.setting, c.hp, c.set.name()),
            });
        }
        group.push((position(&c.name)?, c.set));
    }
    let mut cells: Vec<Option<Vec<TrialSummary>>> = vec![None; NUM_ARCHS];
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(csv_error)?;
        // The header is line 1.
        let at = |column: usize| format!("line {} column {:?}", line + 2, &header[column]);
        let field = |column: usize| record.get(column).unwrap_or("").trim();
        let index = field(index_at).parse::<usize>().ok().filter(|&i| i < NUM_ARCHS);
        let index = index.ok_or_else(|| {
            format(format!("an official index 0..{NUM_ARCHS} at {}", at(index_at)), format!("{:?}", field(index_at)))
        })?;
        let arch = Arch::from_official_index(index).expect("an index below NUM_ARCHS is a cell");
        if let Some(column) = arch_at {
            let named = field(column).parse::<Arch>().ok();
            if named != Some(arch) {
                return Err(format(format!("cell {index}, {arch}, at {}", at(column)), format!("{:?}", field(column))));
            }
        }
        let mut rows = Vec::new();
        for (&(hp, setting), group) in &groups {
            let mut final_accuracy = [None; 4];
            for &(column, set) in group {
                let text = field(column);
                if text.is_empty() || text.eq_ignore_ascii_case("nan") {
                    continue;
                }
                let value = text.parse::<f64>().ok().filter(|&v| is_percent(v));
                let value = value
                    .ok_or_else(|| format(format!("an accuracy in percent at {}", at(column)), format!("{text:?}")))?;
                final_accuracy[accuracy_slot(Some(set))] = Some(value);
            }
            if final_accuracy.iter().all(Option::is_none) {
                continue;
            }
            let costs = NetworkConfig::nb201(arch, setting.dataset()).costs().expect("benchmark networks are valid");
            rows.push(TrialSummary {
                index,
                hp,
                setting,
                seed: None,
                flops_m: costs.flops_m(),
                params_mb: costs.params_mb(),
                final_accuracy,
                has_weights: false,
                train_time: None,
                valid_time: None,
            });
        }
        if cells[index].replace(rows).is_some() {
            return Err(format(format!("each cell once (line {})", line + 2), format!("cell {index} again")));
        }
    }
    let cells: Vec<_> =
        cells.into_iter().enumerate().filter_map(|(i, rows)| Some((i, rows?))).filter(|(_, r)| !r.is_empty()).collect();
    if cells.is_empty() {
        return Err(format("rows with at least one result in the table's columns".into(), "none".into()));
    }
    Ok(cells)
}

/// The most one line of a table may hold: a row of NAS-Bench-201's tables is a few hundred bytes; without a
/// bound, a file without line breaks (or `/dev/zero` behind a link) would be read into memory whole.
const MAX_TABLE_LINE_BYTES: usize = 1 << 20;

/// A reader that fails once more than [`MAX_TABLE_LINE_BYTES`] pass without a line break.
struct BoundedLines<R> {
    inner: R,
    /// Bytes since the last line break.
    run: usize,
}

impl<R: std::io::Read> std::io::Read for BoundedLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &byte in &buf[..n] {
            self.run = if byte == b'\n' { 0 } else { self.run + 1 };
            if self.run > MAX_TABLE_LINE_BYTES {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!("a line of more than {MAX_TABLE_LINE_BYTES} bytes, the most a table's line may hold"),
                ));
            }
        }
        Ok(n)
    }
}
