//! The summary section of a benchmark file: one fixed-size row per trial with what whole-benchmark
//! queries need (costs and last-epoch accuracies), so that `find_best` over 15,625 cells reads a few
//! megabytes instead of decoding every cell.
//!
//! A row is derived from a trial's record, or is itself the record: a summary-only record, imported from a table of
//! final results, whose cell has no section.
//!
//! Row layout, 80 bytes little-endian: `u32` official index, `u16` hp, `u8` setting (its position in
//! `Setting::ALL`), `u8` flags (bit 0: the trial has weights; bit 1: the row is a mean over seeds that were not
//! recorded, its seed field 0), `u32` seed, `u32` 0,
//! then `f64` FLOPs, parameters, last-epoch accuracy on train, `x-valid`,
//! `x-test`, `ori-test`, and the times to the last epoch of training and of `x-valid` (`all_time`; with the
//! `x-valid` accuracy they answer a search's query without decoding the cell). NaN where [`TrialRecord::metrics`]
//! has none. Rows are sorted by index, hp, setting and seed.

use crate::error::Result;
use crate::merge::CellResults;
use crate::record::{is_amount, is_percent, TimeSums, TrialRecord};
use crate::setting::{EvalSet, Hp, Setting};

/// Bytes per row.
pub(crate) const ROW: usize = 80;

/// The summary of one trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialSummary {
    /// Official index of the cell.
    pub index: usize,
    /// The schedule.
    pub hp: Hp,
    /// The setting.
    pub setting: Setting,
    /// The seed; `None` for a mean over the setting's seeds, which its source did not record (a summary-only
    /// record imported from a table of seed means).
    pub seed: Option<u32>,
    /// FLOPs in millions.
    pub flops_m: f64,
    /// Parameters in millions.
    pub params_mb: f64,
    /// Accuracy after the last epoch on the training data, `x-valid`, `x-test`, `ori-test` (in that order),
    /// where the trial has it.
    pub final_accuracy: [Option<f64>; 4],
    /// Whether the trial holds its trained weights.
    pub has_weights: bool,
    /// Training time of all epochs (`all_time` of the last epoch), where recorded.
    pub train_time: Option<f64>,
    /// `x-valid` evaluation time of all epochs (`all_time` of the last epoch), where recorded.
    pub valid_time: Option<f64>,
}

impl TrialSummary {
    /// The last-epoch accuracy of `set` (`None`: training).
    pub fn accuracy(&self, set: Option<EvalSet>) -> Option<f64> {
        self.final_accuracy[accuracy_slot(set)]
    }

    /// The summary of one trial's record, as a benchmark file's summary section holds it.
    ///
    /// # Errors
    /// As [`TrialRecord::space_index`]: a summary is of an architecture of a space.
    pub fn of_record(t: &TrialRecord) -> Result<TrialSummary> {
        Ok(TrialSummary::of(t.space_index()?.1, t))
    }

    fn of(index: usize, t: &TrialRecord) -> TrialSummary {
        // One pass over the trial's times serves the four sets' metrics.
        let sums = TimeSums::of(t);
        let last = [None, Some(EvalSet::XValid), Some(EvalSet::XTest), Some(EvalSet::OriTest)]
            .map(|set| t.metrics_with(set, None, &sums).ok());
        TrialSummary {
            index,
            hp: t.hp,
            setting: t.setting,
            seed: Some(t.seed),
            flops_m: t.flops_m,
            params_mb: t.params_mb,
            final_accuracy: last.map(|m| m.map(|m| m.accuracy)),
            has_weights: t.weights.is_some(),
            train_time: last[0].and_then(|m| m.all_time),
            valid_time: last[1].and_then(|m| m.all_time),
        }
    }
}

/// Where `final_accuracy` holds the accuracy of `set` (`None`: training).
pub(crate) fn accuracy_slot(set: Option<EvalSet>) -> usize {
    match set {
        None => 0,
        Some(EvalSet::XValid) => 1,
        Some(EvalSet::XTest) => 2,
        Some(EvalSet::OriTest) => 3,
    }
}

/// Appends the rows of one cell.
pub(crate) fn append_rows(out: &mut Vec<u8>, index: usize, cell: &CellResults) {
    for t in cell.trials() {
        append_row(out, &TrialSummary::of(index, t));
    }
}

/// Appends one row.
pub(crate) fn append_row(out: &mut Vec<u8>, s: &TrialSummary) {
    out.extend_from_slice(&(s.index as u32).to_le_bytes());
    out.extend_from_slice(&s.hp.epochs().to_le_bytes());
    out.push(Setting::ALL.iter().position(|x| *x == s.setting).expect("every setting has a code") as u8);
    out.push(u8::from(s.has_weights) | u8::from(s.seed.is_none()) << 1);
    out.extend_from_slice(&s.seed.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let times = [s.train_time, s.valid_time];
    for v in [Some(s.flops_m), Some(s.params_mb)].into_iter().chain(s.final_accuracy).chain(times) {
        out.extend_from_slice(&v.unwrap_or(f64::NAN).to_le_bytes());
    }
}

/// The rows sorted by cell index; rows of one cell keep their order (they were appended together).
pub(crate) fn sorted_rows(bytes: &[u8]) -> Vec<u8> {
    let mut rows: Vec<&[u8]> = bytes.chunks_exact(ROW).collect();
    rows.sort_by_key(|r| u32::from_le_bytes(r[..4].try_into().expect("4 bytes")));
    rows.concat()
}

/// Parses rows, refusing bytes that are not whole rows of known settings, sorted by cell, with plausible values
/// (accuracies in 0..=100, costs and times finite and not negative; NaN stands for none).
pub(crate) fn parse_rows(bytes: &[u8], num_archs: usize) -> Result<Vec<TrialSummary>, String> {
    if !bytes.len().is_multiple_of(ROW) {
        return Err(format!("{} bytes, not whole rows of {ROW}", bytes.len()));
    }
    // Pushed into a vector of the final size: collecting through `Result` would lose the size hint, and a
    // full benchmark has a quarter of a million rows.
    let mut rows: Vec<TrialSummary> = Vec::with_capacity(bytes.len() / ROW);
    for (n, r) in bytes.chunks_exact(ROW).enumerate() {
        let u32_at = |i: usize| u32::from_le_bytes(r[i..i + 4].try_into().expect("4 bytes"));
        let f64_at = |i: usize| f64::from_le_bytes(r[i..i + 8].try_into().expect("8 bytes"));
        let finite = |v: f64| (!v.is_nan()).then_some(v);
        let row = TrialSummary {
            index: u32_at(0) as usize,
            hp: Hp::new(u16::from_le_bytes([r[4], r[5]])),
            setting: *Setting::ALL.get(usize::from(r[6])).ok_or_else(|| format!("row {n}: setting code {}", r[6]))?,
            seed: (r[7] & 2 == 0).then(|| u32_at(8)),
            flops_m: f64_at(16),
            params_mb: f64_at(24),
            final_accuracy: [finite(f64_at(32)), finite(f64_at(40)), finite(f64_at(48)), finite(f64_at(56))],
            has_weights: r[7] & 1 != 0,
            train_time: finite(f64_at(64)),
            valid_time: finite(f64_at(72)),
        };
        // The rules of TrialRecord::validate for the values a row carries.
        let plausible = row.index < num_archs
            && rows.last().is_none_or(|last| last.index <= row.index)
            && row.hp.epochs() > 0
            && is_amount(row.flops_m)
            && is_amount(row.params_mb)
            && row.final_accuracy.iter().flatten().all(|&a| is_percent(a))
            && [row.train_time, row.valid_time].iter().flatten().all(|&t| is_amount(t));
        if !plausible {
            return Err(format!(
                "row {n}: implausible values or out of order (cell {}, hp {}, {}, flops {}, params {}, accuracies {:?})",
                row.index, row.hp, row.setting, row.flops_m, row.params_mb, row.final_accuracy.map(|a| a.unwrap_or(f64::NAN))
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}
