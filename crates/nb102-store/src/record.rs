//! The record of one training trial (the reference's `ResultsCount`) and the provenance that comes
//! with it. These types are the contract between the training crate, the importers and the query API;
//! `docs/RECORDS.md` describes them field by field.

use std::collections::BTreeMap;

use nb102_space::{Architecture, Space};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Result, StoreError};
use crate::setting::{EvalSet, Hp, Setting};

/// One training run: a cell trained on one setting, with one schedule and one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// The architecture (stored as the reference's `arch_str`): a cell of the topology space, the size space's
    /// widths, or another network of xautodl's (`all_full`, stored as its structure string), which only a benchmark
    /// cannot hold.
    #[serde(serialize_with = "arch_to_string", deserialize_with = "arch_from_string")]
    pub arch: Architecture,
    /// The dataset setting.
    pub setting: Setting,
    /// The training schedule.
    pub hp: Hp,
    /// The seed of the run (the reference's 777, 888, 999, or 111 for some 12-epoch runs).
    pub seed: u32,
    /// Width, depth and classes of the trained network.
    pub net: NetConfig,
    /// One entry per epoch, in order; as many as the schedule's epochs.
    #[serde(with = "crate::columns::train")]
    pub train: Vec<TrainEpoch>,
    /// Per evaluation set, the epochs with an evaluation or an evaluation time, in increasing order. The
    /// reference's 200-epoch runs evaluate some sets only after the last epoch, while their (pseudo) times
    /// cover every epoch.
    #[serde(with = "crate::columns::eval")]
    pub eval: BTreeMap<EvalSet, Vec<EvalPoint>>,
    /// Parameters in millions, the reference's `params`.
    pub params_mb: f64,
    /// FLOPs in millions, the reference's `flop`.
    pub flops_m: f64,
    /// Inference latencies in seconds, one per batch of 256 (may be empty).
    pub latency: Vec<f64>,
    /// Where the numbers come from.
    pub provenance: Provenance,
    /// Final weights as a safetensors file with the reference's keys, when kept.
    #[serde(with = "serde_bytes")]
    pub weights: Option<Vec<u8>>,
}

/// Training metrics of one epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainEpoch {
    /// Mean cross-entropy over the epoch.
    pub loss: f64,
    /// Top-1 accuracy in percent over the epoch (train mode, running average).
    pub top1: f64,
    /// Top-5 accuracy in percent, when recorded.
    pub top5: Option<f64>,
    /// Wall time of the epoch in seconds, when recorded.
    pub time: Option<f64>,
}

/// What is recorded of an evaluation set after one epoch: the evaluation (loss and accuracy, both or
/// neither), its time, or both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// The epoch after which the evaluation ran (0-based).
    pub epoch: u16,
    /// Mean cross-entropy, when evaluated.
    pub loss: Option<f64>,
    /// Top-1 accuracy in percent, when evaluated.
    pub accuracy: Option<f64>,
    /// Wall time in seconds, when recorded.
    pub time: Option<f64>,
}

/// The trained network's shape (the reference's `arch_config`, minus the architecture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Channels of the first stage, C (a size-space network's first width).
    pub channels: u32,
    /// Cells per stage, N (1 in a size-space network).
    pub cells: u32,
    /// Classes of the classifier.
    pub classes: u32,
}

/// Where a record's numbers come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// What made the record: `nb102-train 0.1.0`, or the official file it was imported from.
    pub producer: String,
    /// Hash of the resolved training config, for records nb102 trained.
    pub config_hash: Option<String>,
    /// The resolved training config as JSON (`nb102_protocol::RunConfig`), whose BLAKE3 is `config_hash`, for
    /// records nb102 trained since it kept them; absent from older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The device it trained on, e.g. `cuda:0 (NVIDIA H100)`.
    pub device: Option<String>,
    /// Fingerprint of the training data.
    pub dataset_fingerprint: Option<String>,
}

/// Running sums of a trial's times, for [`TrialRecord::metrics_with`]: entry `e` is the total of epochs 0 to `e`,
/// for as long as every epoch has a time. Each is summed left to right from 0, as Python's `sum` does, so the
/// totals equal the reference's to the last bit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeSums {
    train: Vec<f64>,
    eval: BTreeMap<EvalSet, Vec<f64>>,
    /// Whether the trial has any evaluation time (the reference then requires every epoch's).
    eval_times: bool,
}

impl TimeSums {
    /// The running sums of `trial`'s times.
    pub fn of(trial: &TrialRecord) -> TimeSums {
        fn running(times: impl Iterator<Item = Option<f64>>) -> Vec<f64> {
            let mut total = 0.0;
            times
                .map_while(|t| {
                    t.map(|t| {
                        total += t;
                        total
                    })
                })
                .collect()
        }
        let train = running(trial.train.iter().map(|x| x.time));
        // Points are sorted by epoch: the sums run while the points are epochs 0, 1, 2, … with times.
        let eval = trial
            .eval
            .iter()
            .map(|(set, points)| {
                let times = points.iter().enumerate().map(|(i, p)| p.time.filter(|_| usize::from(p.epoch) == i));
                (*set, running(times))
            })
            .collect();
        let eval_times = trial.eval.values().flatten().any(|p| p.time.is_some());
        TimeSums { train, eval, eval_times }
    }

    /// The total time of the first `epochs` epochs of training (`set` `None`) or of `set`'s evaluations, when
    /// each of those epochs has a time; `None` for no epochs.
    pub fn total(&self, set: Option<EvalSet>, epochs: usize) -> Option<f64> {
        let sums = match set {
            None => &self.train,
            Some(set) => self.eval.get(&set)?,
        };
        sums.get(epochs.checked_sub(1)?).copied()
    }
}

/// Loss, accuracy and times of one set after one epoch of one trial (the reference's `ResultsCount.get_train`
/// and `get_eval`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// The epoch (0-based).
    pub epoch: u16,
    /// Mean cross-entropy.
    pub loss: f64,
    /// Top-1 accuracy in percent.
    pub accuracy: f64,
    /// Time of that epoch, when recorded.
    pub cur_time: Option<f64>,
    /// Time of epochs 0 to `epoch`, when recorded.
    pub all_time: Option<f64>,
}

/// Why a trial has no [`Metrics`] for a set and epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricError {
    /// The epoch is not in the schedule.
    Epoch {
        /// The epoch asked for.
        epoch: u16,
        /// The schedule's length.
        epochs: u16,
    },
    /// The trial does not hold it (named in words).
    Missing(String),
}

impl TrialRecord {
    /// The metrics of `set` (`None`: training) after `epoch` (default: the last), under the reference's rules:
    /// an evaluation needs its loss and accuracy at that epoch, and, if the trial has evaluation times at all,
    /// the set's time at every epoch up to it (their sum is `all_time`); training times likewise.
    ///
    /// # Errors
    /// [`MetricError`] when the epoch is outside the schedule or the trial lacks what is needed.
    pub fn metrics(&self, set: Option<EvalSet>, epoch: Option<u16>) -> Result<Metrics, MetricError> {
        self.metrics_with(set, epoch, &TimeSums::of(self))
    }

    /// [`TrialRecord::metrics`] with the trial's [`TimeSums`] at hand, in constant time.
    ///
    /// # Errors
    /// As [`TrialRecord::metrics`].
    pub fn metrics_with(
        &self,
        set: Option<EvalSet>,
        epoch: Option<u16>,
        sums: &TimeSums,
    ) -> Result<Metrics, MetricError> {
        let epochs = self.hp.epochs();
        let e = epoch.unwrap_or(epochs.saturating_sub(1));
        if e >= epochs {
            return Err(MetricError::Epoch { epoch: e, epochs });
        }
        let upto = usize::from(e);
        if upto >= self.train.len() {
            return Err(MetricError::Missing(format!("epoch {e}: the run stopped after {} epochs", self.train.len())));
        }
        let Some(set) = set else {
            let train = &self.train[upto];
            let (cur_time, all_time) = match train.time {
                None => (None, None),
                Some(cur) => {
                    let total = sums.total(None, upto + 1);
                    let total =
                        total.ok_or_else(|| MetricError::Missing(format!("train time of every epoch to {e}")))?;
                    (Some(cur), Some(total))
                }
            };
            return Ok(Metrics { epoch: e, loss: train.loss, accuracy: train.top1, cur_time, all_time });
        };
        let points = self.eval.get(&set).map(Vec::as_slice).unwrap_or_default();
        let missing = || MetricError::Missing(format!("{set} after epoch {e}"));
        let point = point_at(points, e).ok_or_else(missing)?;
        let (loss, accuracy) = (point.loss.ok_or_else(missing)?, point.accuracy.ok_or_else(missing)?);
        let (cur_time, all_time) = if sums.eval_times {
            let total = sums.total(Some(set), upto + 1);
            let total = total.ok_or_else(|| MetricError::Missing(format!("{set} time of every epoch to {e}")))?;
            (point.time, Some(total))
        } else {
            (None, None)
        };
        Ok(Metrics { epoch: e, loss, accuracy, cur_time, all_time })
    }

    /// The evaluation sets in the order the official files list them (`eval_names`): the sets evaluated after the
    /// first epoch, then those evaluated later only (the original 200-epoch runs' pattern), each group in
    /// [`EvalSet`] order.
    pub fn eval_order(&self) -> Vec<EvalSet> {
        let from_the_start =
            |points: &Vec<EvalPoint>| points.first().is_some_and(|p| p.epoch == 0 && p.accuracy.is_some());
        let (first, later): (Vec<_>, Vec<_>) = self.eval.iter().partition(|(_, points)| from_the_start(points));
        first.into_iter().chain(later).map(|(set, _)| *set).collect()
    }

    /// The times of the first `epochs` epochs of training (`set` `None`) or of `set`'s evaluations, when each
    /// of those epochs has one.
    pub fn epoch_times(&self, set: Option<EvalSet>, epochs: usize) -> Option<Vec<f64>> {
        match set {
            None => self.train.get(..epochs)?.iter().map(|e| e.time).collect(),
            Some(set) => {
                let points = self.eval.get(&set)?;
                (0..epochs).map(|e| point_at(points, u16::try_from(e).ok()?).and_then(|p| p.time)).collect()
            }
        }
    }

    /// Whether it trained its whole schedule (a run stopped early has fewer epochs: not a benchmark's trial).
    pub fn is_whole(&self) -> bool {
        self.train.len() == usize::from(self.hp.epochs())
    }

    /// `cell 11472 cifar10-valid hp=12 seed=777` (`size 284 …` in the size space), for messages (a network outside
    /// the spaces by its string).
    pub fn describe(&self) -> String {
        let arch = match self.arch.in_space() {
            Some((Space::Topology, index)) => format!("cell {index}"),
            Some((Space::Size, index)) => format!("size {index}"),
            None => format!("cell {}", self.arch),
        };
        format!("{arch} {} hp={} seed={}", self.setting, self.hp, self.seed)
    }

    /// The space of the architecture this trial trained and its official index there, which a benchmark file
    /// requires.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a network of neither space (xautodl's `all_full`).
    pub fn space_index(&self) -> Result<(Space, usize)> {
        self.arch.in_space().ok_or_else(|| StoreError::InvalidRecord {
            what: "cell".into(),
            expected: "a cell of the NAS-Bench-201 space (one op per edge) or a size-space network, as a benchmark \
                       holds"
                .into(),
            found: self.arch.to_string(),
        })
    }

    /// Checks that the parts agree: one train entry per epoch trained (the schedule's, or fewer for a run
    /// stopped early), evaluation epochs increasing and among those trained, finite non-negative costs.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] naming the first disagreement.
    pub fn validate(&self) -> Result<()> {
        let invalid =
            |expected: String, found: String| StoreError::InvalidRecord { what: self.describe(), expected, found };
        let epochs = self.train.len();
        let schedule = usize::from(self.hp.epochs());
        if epochs == 0 || epochs > schedule {
            let expected = format!("1 to {schedule} train epochs (the schedule's, or fewer for a run stopped early)");
            return Err(invalid(expected, epochs.to_string()));
        }
        if self.eval.values().all(Vec::is_empty) {
            return Err(invalid("at least one evaluation".into(), "none".into()));
        }
        for (set, points) in &self.eval {
            let increasing = points.windows(2).all(|w| w[0].epoch < w[1].epoch);
            let inside = points.iter().all(|p| usize::from(p.epoch) < epochs);
            if !increasing || !inside {
                let found: Vec<u16> = points.iter().map(|p| p.epoch).collect();
                return Err(invalid(format!("{set} epochs increasing and below {epochs}"), format!("{found:?}")));
            }
            if let Some(p) = points
                .iter()
                .find(|p| p.loss.is_some() != p.accuracy.is_some() || (p.loss.is_none() && p.time.is_none()))
            {
                return Err(invalid(
                    format!("{set}@{}: loss and accuracy together, or a time", p.epoch),
                    describe_point(p),
                ));
            }
        }
        if !(is_amount(self.params_mb) && is_amount(self.flops_m)) {
            return Err(invalid(
                "finite non-negative params and flops".into(),
                format!("{} and {}", self.params_mb, self.flops_m),
            ));
        }
        // Plausible values: accuracies are percentages; a loss may be infinite or NaN (a run that diverged) but
        // not negative; times and latencies are finite durations.
        let (percent, duration) = (is_percent, is_amount);
        let loss = |v: f64| v >= 0.0 || v.is_nan();
        for (e, t) in self.train.iter().enumerate() {
            if !(percent(t.top1) && t.top5.is_none_or(percent) && loss(t.loss) && t.time.is_none_or(duration)) {
                return Err(invalid(
                    format!("train epoch {e}: accuracies in 0..=100, a loss >= 0, a time >= 0"),
                    format!("loss {}, top-1 {}, top-5 {}, time {}", t.loss, t.top1, shown(t.top5), shown(t.time)),
                ));
            }
        }
        for (set, points) in &self.eval {
            if let Some(p) = points
                .iter()
                .find(|p| !(p.accuracy.is_none_or(percent) && p.loss.is_none_or(loss) && p.time.is_none_or(duration)))
            {
                return Err(invalid(
                    format!("{set}@{}: an accuracy in 0..=100, a loss >= 0, a time >= 0", p.epoch),
                    describe_point(p),
                ));
            }
            if !self.setting.eval_sets().contains(set) {
                let sets: Vec<&str> = self.setting.eval_sets().iter().map(|s| s.name()).collect();
                return Err(invalid(format!("the sets of {} ({})", self.setting, sets.join(", ")), set.to_string()));
            }
        }
        if let Some(l) = self.latency.iter().find(|&&l| !duration(l)) {
            return Err(invalid("latencies >= 0 s".into(), l.to_string()));
        }
        let NetConfig { channels, cells, classes } = self.net;
        let dataset_classes = self.setting.dataset().classes();
        match self.arch {
            Architecture::Cell(_) if channels == 0 || cells == 0 || i64::from(classes) != dataset_classes => {
                return Err(invalid(
                    format!("a network of at least 1 channel and 1 cell with {dataset_classes} classes"),
                    format!("C={channels} N={cells} classes={classes}"),
                ));
            }
            Architecture::Widths(widths)
                if channels != u32::from(widths.widths()[0]) || cells != 1 || i64::from(classes) != dataset_classes =>
            {
                return Err(invalid(
                    format!("C={} N=1 classes={dataset_classes} (the size-space network {widths})", widths.widths()[0]),
                    format!("C={channels} N={cells} classes={classes}"),
                ));
            }
            _ => {}
        }
        if let Some(bytes) = &self.weights {
            if let Err(e) = safetensors::SafeTensors::deserialize(bytes) {
                return Err(invalid(
                    "weights as a safetensors file".into(),
                    format!("{} bytes that are not ({e})", bytes.len()),
                ));
            }
        }
        Ok(())
    }

    /// The record without its weights (the reference's `clear_params`).
    pub fn without_weights(&self) -> TrialRecord {
        TrialRecord { weights: None, ..self.clone() }
    }
}

/// Whether `v` is an accuracy in percent (0 to 100), as every record and summary row holds them.
pub(crate) fn is_percent(v: f64) -> bool {
    (0.0..=100.0).contains(&v)
}

/// Whether `v` is a plausible cost, time or latency: finite and not negative.
pub(crate) fn is_amount(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

/// An optional value for a message: the number, or `none`.
fn shown(v: Option<f64>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

fn describe_point(p: &EvalPoint) -> String {
    format!("loss {}, accuracy {}, time {}", shown(p.loss), shown(p.accuracy), shown(p.time))
}

fn arch_to_string<S: Serializer>(arch: &Architecture, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(arch)
}

/// A cell's string in any spelling `Arch` parses, another network's structure string, or a channel string.
fn arch_from_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Architecture, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// The point of `epoch` in points sorted by epoch (usually one per epoch, so usually at that position).
fn point_at(points: &[EvalPoint], epoch: u16) -> Option<&EvalPoint> {
    match points.get(usize::from(epoch)) {
        Some(p) if p.epoch == epoch => Some(p),
        _ => points.binary_search_by_key(&epoch, |p| p.epoch).ok().map(|i| &points[i]),
    }
}

/// Python's `sum` of floats: left to right from 0, so sums equal the reference's to the last bit.
pub fn python_sum(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |acc, v| acc + v)
}

/// numpy's `np.sum` of float64s, to the last bit: pairwise, in blocks of 128 halved on multiples of 8, each block
/// summed in eight interleaved lanes (numpy's `pairwise_sum`). `nas_201_api` 2.1 summed epoch times this way;
/// it differs from [`python_sum`] in the last bits from 8 values on.
pub fn numpy_sum(values: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = values.len();
    if n < 8 {
        return python_sum(values);
    }
    if n > BLOCK {
        let half = n / 2 - (n / 2) % 8;
        return numpy_sum(&values[..half]) + numpy_sum(&values[half..]);
    }
    let mut lanes: [f64; 8] = values[..8].try_into().expect("eight values");
    let whole = n - n % 8;
    for block in values[8..whole].chunks_exact(8) {
        lanes.iter_mut().zip(block).for_each(|(lane, v)| *lane += v);
    }
    let r = lanes;
    let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for v in &values[whole..] {
        sum += v;
    }
    sum
}
