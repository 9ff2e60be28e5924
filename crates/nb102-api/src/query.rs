//! Queries over a benchmark file with the semantics of the reference's API (`nats_bench` 1.8, which
//! `nas_201_api` 2.1 shares): `get_metrics`, `get_more_info`, `get_cost_info`, `find_best`, `simulate_train_eval`,
//! `statistics`, `get_net_config`, `get_net_param`.
//!
//! What differs on purpose: the schedule (`hp`) and the choice of seeds are explicit arguments instead of
//! the reference's silent `hp='12'` and `is_random=True`; a random seed comes from the caller's generator.
//! Arithmetic follows the reference's order (Python's `sum` from 0, then a division), so means equal its
//! numbers to the last bit. Where the two reference versions differ, this follows `nats_bench` by default: cost
//! times are Python sums, and the costs of seeds that disagree come from seed 888; [`CostRules::Nb201`] asks
//! for `nas_201_api` 2.1's (numpy's pairwise sums of epoch times, the seeds' mean of costs).

use std::path::Path;
use std::sync::Arc;

use nb102_space::{Architecture, Space};
use nb102_store::{
    numpy_sum, python_sum as sum, BenchmarkFile, BenchmarkMeta, CellResults, EvalSet, Hp, MetricError, Metrics,
    NetConfig, Setting, TimeSums, TrialRecord, TrialSummary,
};
use rand::Rng;

use crate::error::{ApiError, Result};

/// Which trials a query reads.
pub enum Seeds<'a> {
    /// The mean over all seeds (the reference's `is_random=False`).
    Mean,
    /// The trial of one seed (`is_random=<seed>`).
    Seed(u32),
    /// One seed drawn uniformly by the caller's generator, the same for every set of the query
    /// (`is_random=True`).
    Random(&'a mut dyn rand::RngCore),
    /// One seed chosen by the caller among the trials' seeds (given in increasing order), once per query: the
    /// reference's `random.choice(seeds)`, made with whatever generator the caller must share with other code
    /// (the Python binding calls Python's `random`, so that seeded scripts draw as with the reference).
    Choose(&'a mut dyn FnMut(&[u32]) -> Result<u32>),
}

/// The reference's `get_more_info`: training metrics and up to three evaluation sets.
#[derive(Debug, Clone, PartialEq)]
pub struct MoreInfo {
    /// On the training data.
    pub train: Metrics,
    /// `valid-*`: `x-valid`.
    pub valid: Option<Metrics>,
    /// `test-*`: `ori-test` for CIFAR-10 settings, `x-test` otherwise.
    pub test: Option<Metrics>,
    /// `valtest-*`: `ori-test` for CIFAR-100 and ImageNet16-120.
    pub valtest: Option<Metrics>,
}

impl MoreInfo {
    /// The reference's keys (`train-loss`, `valid-accuracy`, `test-per-time`, …) and values, in its order.
    pub fn reference_entries(&self) -> Vec<(String, Option<f64>)> {
        let total = f64::from(self.train.epoch) + 1.0;
        let mut entries = Vec::new();
        for (prefix, m) in
            [("train", Some(self.train)), ("valid", self.valid), ("test", self.test), ("valtest", self.valtest)]
        {
            if let Some(m) = m {
                entries.push((format!("{prefix}-loss"), Some(m.loss)));
                entries.push((format!("{prefix}-accuracy"), Some(m.accuracy)));
                entries.push((format!("{prefix}-per-time"), m.all_time.map(|t| t / total)));
                entries.push((format!("{prefix}-all-time"), m.all_time));
            }
        }
        entries
    }
}

/// The reference's `get_cost_info`: seed means of FLOPs, parameters, latency and times.
#[derive(Debug, Clone, PartialEq)]
pub struct CostInfo {
    /// FLOPs in millions.
    pub flops: f64,
    /// Parameters in millions.
    pub params: f64,
    /// Mean latency in seconds over the trials that have one.
    pub latency: Option<f64>,
    /// `T-train@epoch`, `T-train@total`, `T-<set>@epoch`, `T-<set>@total`.
    pub times: Vec<(String, Option<f64>)>,
}

/// The reference's `get_net_config`: the architecture and the network it was trained as (`infer.tiny`, or
/// `infer.shape.tiny` in the size space).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkSpec {
    /// The cell, or the size space's widths.
    pub arch: Architecture,
    /// Channels C, cells per stage N and classes.
    pub config: NetConfig,
}

/// A cell's seed means over the trials of one setting and schedule ([`Api::cell_means`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellMeans {
    /// The cell's official index.
    pub index: usize,
    /// FLOPs in millions.
    pub flops: f64,
    /// Parameters in millions.
    pub params: f64,
    /// Accuracy in percent on the set after the last epoch, if every trial has it.
    pub accuracy: Option<f64>,
}

/// What a simulated training run returns (the reference's `simulate_train_eval`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simulated {
    /// Validation accuracy in percent (`x-valid`; `ori-test` where the setting has no `x-valid` at that epoch).
    pub accuracy: f64,
    /// Mean latency in seconds, when recorded.
    pub latency: Option<f64>,
    /// Simulated seconds: training up to the epoch plus one validation pass.
    pub time_cost: f64,
}

/// Simulated seconds spent by a search (the reference keeps this inside its API object as `used_time`;
/// here the search owns it, so one [`Api`] can serve several searches at once).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsedTime(f64);

impl UsedTime {
    /// Adds the cost of a simulated run and returns the new total.
    pub fn charge(&mut self, run: &Simulated) -> f64 {
        self.0 += run.time_cost;
        self.0
    }

    /// Seconds spent so far.
    pub fn seconds(&self) -> f64 {
        self.0
    }
}

/// A benchmark file opened for queries; reads are thread-safe.
pub struct Api {
    file: BenchmarkFile,
}

impl Api {
    /// Opens a benchmark file (see [`BenchmarkFile::open`]).
    ///
    /// # Errors
    /// A missing, damaged or foreign file.
    pub fn open(path: &Path) -> Result<Api> {
        Ok(Api::from_file(BenchmarkFile::open(path)?))
    }

    /// The API over a file already opened (and perhaps already checked: what it has read stays read).
    pub fn from_file(file: BenchmarkFile) -> Api {
        Api { file }
    }

    /// The underlying file, for what the queries below do not cover.
    pub fn file(&self) -> &BenchmarkFile {
        &self.file
    }

    /// The path the file was opened from.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The file's kind and description.
    pub fn meta(&self) -> &BenchmarkMeta {
        self.file.meta()
    }

    /// The full sha256 of the file's header, whose last six digits name it.
    pub fn digest(&self) -> &str {
        self.file.digest()
    }

    /// One row per trial (costs, last-epoch accuracies, times), sorted by index, schedule, setting and seed: what
    /// whole-benchmark queries read, without decoding a cell.
    ///
    /// # Errors
    /// A damaged summary section.
    pub fn summary(&self) -> Result<&[TrialSummary]> {
        Ok(self.file.summary()?)
    }

    /// The official indices of the cells with results (full or summary-only), increasing.
    ///
    /// # Errors
    /// A damaged summary section.
    pub fn evaluated(&self) -> Result<Vec<usize>> {
        Ok(self.summary()?.chunk_by(|a, b| a.index == b.index).map(|cell| cell[0].index).collect())
    }

    /// Reads and checks the cell's section ahead of a query (a millisecond the first time), so that a caller can
    /// do it where waiting is cheap (the Python binding, with the GIL released); nothing for a cell without one.
    /// A damaged section is reported by the query that follows.
    pub fn warm(&self, index: usize) {
        if self.space().check_index(index).is_ok() {
            let _ = self.file.cell(index);
        }
    }

    /// How many decoded cells to keep in memory (see [`BenchmarkFile::set_cached_cells`]).
    pub fn set_cached_cells(&self, cells: usize) {
        self.file.set_cached_cells(cells);
    }

    /// The space of the file's architectures.
    pub fn space(&self) -> Space {
        self.file.space()
    }

    /// The official index of an architecture of the file's space given as an index or as any spelling of its string
    /// (the reference answers −1 to reordered or partial strings; this canonicalises them).
    ///
    /// # Errors
    /// [`ApiError::Space`] for a string that does not parse, an index out of range, or a network outside the space.
    pub fn index_of(&self, arch: &str) -> Result<usize> {
        Ok(self.space().index_of(arch)?)
    }

    /// The architecture of the file's space with official index `index`.
    ///
    /// # Errors
    /// [`ApiError::Space`] for an index out of range.
    pub fn arch(&self, index: usize) -> Result<Architecture> {
        Ok(Architecture::from_official_index(self.space(), index)?)
    }

    /// The reference's `get_metrics(dataset, setname, iepoch, is_random)`; `set` `None` is `'train'`.
    ///
    /// # Errors
    /// Unknown cell, no trials, unknown seed, epoch out of range, or a metric the trials do not hold.
    pub fn metrics(
        &self,
        index: usize,
        setting: Setting,
        hp: Hp,
        set: Option<EvalSet>,
        epoch: Option<u16>,
        seeds: &mut Seeds<'_>,
    ) -> Result<Metrics> {
        let cell = self.cell(index)?;
        let trials = trials_of(&cell, index, setting, hp)?;
        let picked = pick(&trials, seeds, index)?;
        metrics_of(&trials, set, epoch, picked).map_err(|e| query_error(e, index, setting, hp))
    }

    /// The reference's `get_more_info(index, dataset, iepoch, hp, is_random)`.
    ///
    /// # Errors
    /// As [`Api::metrics`] for the training metrics (and `x-valid` of `cifar10-valid`); other sets the trials
    /// do not hold are left out, as the reference leaves them out.
    pub fn more_info(
        &self,
        index: usize,
        setting: Setting,
        hp: Hp,
        epoch: Option<u16>,
        seeds: &mut Seeds<'_>,
    ) -> Result<MoreInfo> {
        let cell = self.cell(index)?;
        let trials = trials_of(&cell, index, setting, hp)?;
        let picked = pick(&trials, seeds, index)?;
        let query = |set| metrics_of(&trials, set, epoch, picked);
        let fail = |e| query_error(e, index, setting, hp);
        let train = query(None).map_err(fail)?;
        // The sets come from the setting's rule; a setting that holds out its validation half must have it (the
        // reference's `cifar10-valid` raises without `x-valid`), every other set is reported where recorded.
        let valid = match setting.valid_set() {
            Some(set) if setting.holds_out_validation() => Some(query(Some(set)).map_err(fail)?),
            Some(set) => query(Some(set)).ok(),
            None => None,
        };
        let test = query(Some(setting.test_set())).ok();
        let valtest = setting.valtest_set().and_then(|set| query(Some(set)).ok());
        Ok(MoreInfo { train, valid, test, valtest })
    }

    /// The reference's `get_cost_info(index, dataset, hp)` (its `ArchResults.get_compute_costs`).
    ///
    /// # Errors
    /// Unknown cell or no trials.
    pub fn cost_info(&self, index: usize, setting: Setting, hp: Hp) -> Result<CostInfo> {
        self.cost_info_as(index, setting, hp, CostRules::Nats)
    }

    /// [`Api::cost_info`] with one reference's arithmetic.
    ///
    /// # Errors
    /// As [`Api::cost_info`].
    pub fn cost_info_as(&self, index: usize, setting: Setting, hp: Hp, rules: CostRules) -> Result<CostInfo> {
        let cell = self.cell(index)?;
        Ok(costs_of(&trials_of(&cell, index, setting, hp)?, rules))
    }

    /// The reference's `find_best(dataset, metric_on_set, flop_max, param_max, hp)`: the first cell, in index
    /// order, with the highest seed-mean accuracy after the last epoch, among cells whose seed-mean FLOPs and
    /// parameters do not exceed the limits. Cells without trials for the setting, or without the metric, are
    /// passed over (the reference stops with an error on them). Reads only the file's summary section.
    ///
    /// # Errors
    /// A damaged file.
    pub fn find_best(
        &self,
        setting: Setting,
        set: Option<EvalSet>,
        hp: Hp,
        flop_max: Option<f64>,
        param_max: Option<f64>,
    ) -> Result<Option<(usize, f64)>> {
        let mut best: Option<(usize, f64)> = None;
        for cell in self.cell_means(setting, set, hp)? {
            if flop_max.is_some_and(|m| cell.flops > m) || param_max.is_some_and(|m| cell.params > m) {
                continue;
            }
            let Some(accuracy) = cell.accuracy else { continue };
            if best.is_none_or(|(_, acc)| acc < accuracy) {
                best = Some((cell.index, accuracy));
            }
        }
        Ok(best)
    }

    /// For every cell with trials of `setting` and `hp`, in index order: the seed means of its costs (as
    /// [`Api::cost_info`]) and of its accuracy on `set` after the last epoch (as [`Api::metrics`] with
    /// [`Seeds::Mean`]; `None` unless every trial holds it). Reads only the file's summary section: this is the
    /// bulk query behind [`Api::find_best`] and the Python binding's arrays.
    ///
    /// # Errors
    /// A damaged file.
    pub fn cell_means(&self, setting: Setting, set: Option<EvalSet>, hp: Hp) -> Result<Vec<CellMeans>> {
        // The summary rows hold each trial's costs and last-epoch accuracies (TrialRecord::metrics), so this
        // reads a few bytes per trial instead of decoding every cell; the arithmetic is that of cost_info and
        // metrics.
        let rows = self.file.summary()?;
        let mut out = Vec::new();
        // Buffers reused from cell to cell: this loop runs over every trial of the benchmark.
        let (mut seeds, mut flops, mut params, mut accuracies) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for cell in rows.chunk_by(|a, b| a.index == b.index) {
            seeds.clear();
            flops.clear();
            params.clear();
            accuracies.clear();
            let mut complete = true;
            for r in cell.iter().filter(|r| r.hp == hp && r.setting == setting) {
                // A seed mean (a summary-only record) is its setting's only row: its seed plays no part.
                seeds.push(r.seed.unwrap_or_default());
                flops.push(r.flops_m);
                params.push(r.params_mb);
                match r.accuracy(set) {
                    Some(a) => accuracies.push(a),
                    None => complete = false,
                }
            }
            if seeds.is_empty() {
                continue;
            }
            out.push(CellMeans {
                index: cell[0].index,
                flops: fixed_mean(&flops, &seeds),
                params: fixed_mean(&params, &seeds),
                accuracy: complete.then(|| mean(&accuracies)),
            });
        }
        Ok(out)
    }

    /// The reference's `simulate_train_eval(arch, dataset, iepoch, hp)` for `cifar10` (which reads
    /// `cifar10-valid`), `cifar100` and `ImageNet16-120` (and nb102's `fashion-mnist`, read as itself): the
    /// validation accuracy of one trial after `epoch` (default: the last), and as cost the training time to that
    /// epoch plus one validation pass.
    /// The reference draws the trial at random: pass [`Seeds::Random`] for that, or a seed to reproduce one.
    ///
    /// # Errors
    /// Another setting (`cifar10-valid` is asked for as `cifar10`), or as [`Api::more_info`].
    pub fn simulate_train_eval(
        &self,
        index: usize,
        dataset: Setting,
        hp: Hp,
        epoch: Option<u16>,
        seeds: &mut Seeds<'_>,
    ) -> Result<Simulated> {
        let source = match dataset {
            Setting::Cifar10 => Setting::Cifar10Valid,
            Setting::Cifar100 | Setting::ImageNet16_120 | Setting::FashionMnist => dataset,
            other => {
                return Err(ApiError::MetricName(format!(
                    "{other} (simulate_train_eval takes cifar10, cifar100, ImageNet16-120 or fashion-mnist)"
                )))
            }
        };
        let info = self.more_info(index, source, hp, epoch, seeds)?;
        let total = f64::from(info.train.epoch) + 1.0;
        let train_time = info.train.all_time.ok_or_else(|| ApiError::Unavailable {
            index,
            setting: source,
            hp,
            what: "training times".into(),
        })?;
        let no_valid_time = || ApiError::Unavailable { index, setting: source, hp, what: "validation times".into() };
        let (accuracy, valid_time) = match (info.valid, info.valtest) {
            (Some(valid), _) => (valid.accuracy, valid.all_time.ok_or_else(no_valid_time)? / total),
            // No x-valid at this epoch: the reference reports ori-test and charges a last-epoch validation pass.
            (None, Some(valtest)) => {
                let last = self.more_info(index, source, hp, None, seeds)?;
                let valid = last.valid.ok_or_else(no_valid_time)?;
                let last_total = f64::from(last.train.epoch) + 1.0;
                (valtest.accuracy, valid.all_time.ok_or_else(no_valid_time)? / last_total)
            }
            (None, None) => {
                return Err(ApiError::Unavailable { index, setting: source, hp, what: "x-valid or ori-test".into() })
            }
        };
        let latency = self.cost_info(index, dataset, hp)?.latency;
        Ok(Simulated { accuracy, latency, time_cost: train_time + valid_time })
    }

    /// The reference's `statistics(dataset, hp)`: how many cells have 0, 1, 2, … trials of `setting` and `hp`.
    /// Reads only the file's summary section; a seed mean (a summary-only record) counts as one.
    ///
    /// # Errors
    /// A damaged file.
    pub fn statistics(&self, setting: Setting, hp: Hp) -> Result<std::collections::BTreeMap<usize, usize>> {
        // Every cell has at least one trial, so each has rows in the summary: no cell needs decoding.
        let mut counts = std::collections::BTreeMap::new();
        for cell in self.file.summary()?.chunk_by(|a, b| a.index == b.index) {
            let n = cell.iter().filter(|r| r.hp == hp && r.setting == setting).count();
            *counts.entry(n).or_insert(0) += 1;
        }
        Ok(counts)
    }

    /// The reference's `get_net_config(index, dataset)`: the network the cell's trials on `setting` trained
    /// (those of the shortest schedule, as the reference reads its first).
    ///
    /// # Errors
    /// Unknown cell, or no trials on `setting`.
    pub fn net_config(&self, index: usize, setting: Setting) -> Result<NetworkSpec> {
        let cell = self.cell(index)?;
        // Trials are sorted by schedule first.
        let trial = cell.trials().iter().find(|t| t.setting == setting);
        let trial = trial.ok_or(ApiError::NoSetting { index, setting })?;
        Ok(NetworkSpec { arch: trial.arch, config: trial.net })
    }

    /// The reference's `get_net_param(index, dataset, seed, hp)`: the trained weights (a safetensors file with the
    /// reference's state-dict keys) of the trial with `seed`, or of every trial when `seed` is `None`, by seed.
    ///
    /// # Errors
    /// Unknown cell, no trials, unknown seed, or a trial stored without weights (as simplified files are).
    pub fn net_param(&self, index: usize, setting: Setting, hp: Hp, seed: Option<u32>) -> Result<Vec<(u32, Vec<u8>)>> {
        let cell = self.cell(index)?;
        let trials = trials_of(&cell, index, setting, hp)?;
        let picked = match seed {
            Some(seed) => {
                let at = pick(&trials, &mut Seeds::Seed(seed), index)?.expect("a seed picks one trial");
                vec![trials[at]]
            }
            None => trials,
        };
        picked
            .into_iter()
            .map(|t| {
                let weights = t.record.weights.as_deref().ok_or_else(|| ApiError::Unavailable {
                    index,
                    setting,
                    hp,
                    what: format!("weights of seed {} (the file was simplified or imported without them)", t.seed),
                })?;
                Ok((t.seed, weights.to_vec()))
            })
            .collect()
    }

    /// The seeds of a cell's trials for a setting and schedule, in increasing order (the reference's
    /// `get_dataset_seeds`).
    ///
    /// # Errors
    /// Unknown cell or no trials.
    pub fn seeds(&self, index: usize, setting: Setting, hp: Hp) -> Result<Vec<u32>> {
        let cell = self.cell(index)?;
        Ok(trials_of(&cell, index, setting, hp)?.iter().map(|t| t.seed).collect())
    }

    /// The reference's `ResultsCount.get_times` for the trial of one seed: mean and sum of the training
    /// times and of each set's evaluation times over all epochs.
    ///
    /// # Errors
    /// Unknown cell, no trials, or unknown seed.
    pub fn trial_times(
        &self,
        index: usize,
        setting: Setting,
        hp: Hp,
        seed: u32,
        rules: CostRules,
    ) -> Result<Vec<(String, Option<f64>)>> {
        let cell = self.cell(index)?;
        let trials = trials_of(&cell, index, setting, hp)?;
        let at = pick(&trials, &mut Seeds::Seed(seed), index)?.expect("a seed picks one trial");
        Ok(trial_times(&trials[at], rules))
    }

    /// A cell of the file, decoded (kept among the file's recently used cells).
    ///
    /// # Errors
    /// [`ApiError::Space`] for an index out of range, [`ApiError::SummaryOnly`] or
    /// [`ApiError::NotEvaluated`] for a cell without records, or a damaged section.
    pub fn cell(&self, index: usize) -> Result<Arc<CellResults>> {
        self.space().check_index(index)?;
        if let Some(cell) = self.file.cell(index)? {
            return Ok(cell);
        }
        let rows = self.file.summary()?;
        let listed = rows.binary_search_by_key(&index, |r| r.index).is_ok();
        Err(if listed { ApiError::SummaryOnly(index) } else { ApiError::NotEvaluated(index) })
    }
}

/// The trials of one cell for a setting and schedule, in increasing seed order.
fn trials_of(cell: &CellResults, index: usize, setting: Setting, hp: Hp) -> Result<Vec<Trial<'_>>> {
    let trials: Vec<Trial<'_>> = cell
        .trials()
        .iter()
        .zip(cell.time_sums())
        .filter(|(t, _)| t.hp == hp && t.setting == setting)
        .map(|(record, sums)| Trial { record, sums })
        .collect();
    if trials.is_empty() {
        return Err(ApiError::NoTrials { index, setting, hp });
    }
    Ok(trials)
}

/// A trial and its running time sums.
#[derive(Clone, Copy)]
struct Trial<'a> {
    record: &'a TrialRecord,
    sums: &'a TimeSums,
}

impl std::ops::Deref for Trial<'_> {
    type Target = TrialRecord;

    fn deref(&self) -> &TrialRecord {
        self.record
    }
}

/// The reference's `remap_dataset_set_names`: (`cifar10`, `valid`) is `cifar10-valid` `x-valid`, (`cifar10`,
/// `test`) is `ori-test`, `valid` and `test` of CIFAR-100 and ImageNet16-120 are `x-valid` and `x-test`;
/// other names pass through. The set is `None` for `train`.
///
/// # Errors
/// [`ApiError::MetricName`] for an unknown setting or set.
pub fn remap_names(dataset: &str, metric: &str) -> Result<(Setting, Option<EvalSet>)> {
    let (dataset, metric) = match (dataset, metric) {
        ("cifar10", "valid") => ("cifar10-valid", "x-valid"),
        ("cifar10", "test") => ("cifar10", "ori-test"),
        ("cifar100" | "ImageNet16-120", "valid") => (dataset, "x-valid"),
        ("cifar100" | "ImageNet16-120", "test") => (dataset, "x-test"),
        other => other,
    };
    let unknown = || ApiError::MetricName(format!("{dataset} {metric}"));
    let setting: Setting = dataset.parse().map_err(|_| unknown())?;
    let set = if metric == "train" { None } else { Some(metric.parse::<EvalSet>().map_err(|_| unknown())?) };
    Ok((setting, set))
}

/// A trial's [`MetricError`] as an [`ApiError`], with the query's context.
fn query_error(error: MetricError, index: usize, setting: Setting, hp: Hp) -> ApiError {
    match error {
        MetricError::Epoch { epoch, epochs } => ApiError::Epoch { epoch, epochs },
        MetricError::Missing(what) => ApiError::Unavailable { index, setting, hp, what },
    }
}

/// The position among `trials` of the trial a query reads (`None`: the mean of all).
fn pick(trials: &[Trial<'_>], seeds: &mut Seeds<'_>, index: usize) -> Result<Option<usize>> {
    match seeds {
        Seeds::Mean => Ok(None),
        Seeds::Seed(seed) => match trials.iter().position(|t| t.seed == *seed) {
            Some(at) => Ok(Some(at)),
            None => Err(ApiError::UnknownSeed {
                index,
                setting: trials[0].setting,
                hp: trials[0].hp,
                seed: *seed,
                seeds: trials.iter().map(|t| t.seed).collect(),
            }),
        },
        Seeds::Random(rng) => Ok(Some(rng.random_range(0..trials.len()))),
        Seeds::Choose(choose) => {
            let seeds: Vec<u32> = trials.iter().map(|t| t.seed).collect();
            let seed = choose(&seeds)?;
            let at = seeds.iter().position(|&s| s == seed);
            at.map(Some).ok_or_else(|| ApiError::Choice(format!("expected one of {seeds:?}, found {seed}")))
        }
    }
}

/// `get_metrics` over the trials: every trial is read (as the reference does), then one is picked or all
/// are averaged.
fn metrics_of(
    trials: &[Trial<'_>],
    set: Option<EvalSet>,
    epoch: Option<u16>,
    pick: Option<usize>,
) -> Result<Metrics, MetricError> {
    let all: Vec<Metrics> = trials.iter().map(|t| t.metrics_with(set, epoch, t.sums)).collect::<Result<_, _>>()?;
    if let Some(at) = pick {
        return Ok(all[at]);
    }
    // The reference: a key is None if its first value is None, else the mean (None later is a TypeError).
    let optional = |f: fn(&Metrics) -> Option<f64>, what: &str| -> Result<Option<f64>, MetricError> {
        if f(&all[0]).is_none() {
            return Ok(None);
        }
        let values: Option<Vec<f64>> = all.iter().map(f).collect();
        values.map(|v| Some(mean(&v))).ok_or_else(|| MetricError::Missing(format!("{what} of every seed")))
    };
    Ok(Metrics {
        epoch: all[0].epoch,
        loss: mean(&all.iter().map(|m| m.loss).collect::<Vec<_>>()),
        accuracy: mean(&all.iter().map(|m| m.accuracy).collect::<Vec<_>>()),
        cur_time: optional(|m| m.cur_time, "time")?,
        all_time: optional(|m| m.all_time, "time")?,
    })
}

/// Which reference's arithmetic of costs: the two versions differ in the last bits of the times and where the
/// seeds' costs disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostRules {
    /// `nats_bench` 1.8: Python sums of epoch times; seed 888's costs where the seeds disagree.
    #[default]
    Nats,
    /// `nas_201_api` 2.1: numpy's pairwise sums of epoch times (`np.mean`, `np.sum`); the seeds' mean of costs.
    Nb201,
}

/// `ArchResults.get_compute_costs` over the trials of one setting and schedule.
fn costs_of(trials: &[Trial<'_>], rules: CostRules) -> CostInfo {
    let seeds: Vec<u32> = trials.iter().map(|t| t.seed).collect();
    let cost = |values: Vec<f64>| match rules {
        CostRules::Nats => fixed_mean(&values, &seeds),
        CostRules::Nb201 => mean(&values),
    };
    let flops = cost(trials.iter().map(|t| t.flops_m).collect());
    let params = cost(trials.iter().map(|t| t.params_mb).collect());
    let latencies: Vec<f64> = trials
        .iter()
        .map(|t| if t.latency.is_empty() { -1.0 } else { mean(&t.latency) })
        .filter(|l| *l > 0.0)
        .collect();
    let latency = (!latencies.is_empty()).then(|| mean(&latencies));

    let per_trial: Vec<Vec<(String, Option<f64>)>> = trials.iter().map(|t| trial_times(t, rules)).collect();
    let times = per_trial[0]
        .iter()
        .enumerate()
        .map(|(k, (key, first))| {
            let values: Option<Vec<f64>> = per_trial.iter().map(|row| row.get(k).and_then(|(_, v)| *v)).collect();
            (key.clone(), first.and(values.map(|v| mean(&v))))
        })
        .collect();
    CostInfo { flops, params, latency, times }
}

/// `ResultsCount.get_times`: mean and sum of the train times and of each set's evaluation times over all epochs,
/// when every epoch has one: with nats_bench's rules the trial's running sums (from 0, left to right, as Python's
/// `sum`) and that sum over the count; with 2.1's, numpy's pairwise sum of the epochs' times.
fn trial_times(t: &Trial<'_>, rules: CostRules) -> Vec<(String, Option<f64>)> {
    let stats = |set: Option<EvalSet>, epochs: usize| {
        let total = match rules {
            CostRules::Nats => t.sums.total(set, epochs),
            CostRules::Nb201 => t.epoch_times(set, epochs).filter(|times| !times.is_empty()).map(|v| numpy_sum(&v)),
        };
        match total {
            Some(total) => (Some(total / epochs as f64), Some(total)),
            None => (None, None),
        }
    };
    let (epoch, total) = stats(None, t.train.len());
    let mut out = vec![("T-train@epoch".to_owned(), epoch), ("T-train@total".to_owned(), total)];
    for set in t.eval_order() {
        let (epoch, total) = stats(Some(set), usize::from(t.hp.epochs()));
        out.push((format!("T-{set}@epoch"), epoch));
        out.push((format!("T-{set}@total"), total));
    }
    out
}

/// The seed mean of a cost, with NATS-Bench's legacy fix: when the seeds disagree at 5 decimals, the seed-888
/// value is the right one. (The reference stops with an error if there is no seed 888; the mean is used then.)
fn fixed_mean(values: &[f64], seeds: &[u32]) -> f64 {
    // Equal values agree at any precision: only differing ones need printing (the usual case is equal).
    let differ = values.windows(2).any(|w| w[0] != w[1])
        && values.windows(2).any(|w| format!("{:.5}", w[0]) != format!("{:.5}", w[1]));
    if differ {
        if let Some(at) = seeds.iter().position(|&s| s == 888) {
            return values[at];
        }
    }
    mean(values)
}

/// The reference's `mean`: `sum(xs) / len(xs)`.
fn mean(values: &[f64]) -> f64 {
    sum(values) / values.len() as f64
}
