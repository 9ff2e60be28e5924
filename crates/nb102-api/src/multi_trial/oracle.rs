//! What a query costs, and the paper's oracle over a benchmark file.

use nb102_space::{Arch, Categorical, Space};
use nb102_store::{Hp, Setting, TrialRecord, TrialSummary};
use rand::{Rng, RngCore};

use super::{Evaluation, Oracle};
use crate::error::{ApiError, Result};
use crate::query::Api;

/// What a query costs, in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueryCost {
    /// The queried trial's recorded times: training plus one validation pass (`train-all-time + valid-per-time`,
    /// spec 08 §8.4), as in the paper.
    Recorded,
    /// `base + per_mflop × FLOPs` (millions) of the cell's network, for benchmarks without times (summary-only
    /// records), fitted by [`QueryCost::calibrate`] to trials that have them; `per_mflop` 0 is a constant cost.
    Modelled {
        /// Seconds of every query.
        base: f64,
        /// Seconds per million FLOPs.
        per_mflop: f64,
    },
}

impl QueryCost {
    /// The seconds charged for a query answered by the trial `row` summarises; `None` where the cost is the
    /// recorded one and the trial has no times.
    pub fn charge(&self, row: &TrialSummary) -> Option<f64> {
        match *self {
            QueryCost::Recorded => {
                let epochs = f64::from(row.hp.epochs());
                row.train_time.zip(row.valid_time).map(|(train, valid)| train + valid / epochs)
            }
            QueryCost::Modelled { base, per_mflop } => Some(base + per_mflop * row.flops_m),
        }
    }

    /// The model fitted to the trials of `setting` and `hp` in the official complete records of `dir` (a
    /// NATS-Bench topology archive's folder of per-cell pickles, such as the sample archive), as
    /// [`QueryCost::calibrate`] fits it.
    ///
    /// # Errors
    /// A folder without such records, a record that does not decode, or as [`QueryCost::calibrate`].
    pub fn calibrate_dir(dir: &std::path::Path, setting: Setting, hp: Hp, by_flops: bool) -> Result<QueryCost> {
        let mut records = Vec::new();
        for file in nb102_store::nats_files(dir)? {
            records.extend(nb102_store::read_nats_file(&file)?);
        }
        QueryCost::calibrate(&records, setting, hp, by_flops)
    }

    /// The model fitted to the trials of `setting` and `hp` among `records` (each trial's recorded cost, as
    /// [`QueryCost::Recorded`] charges it): with `by_flops`, the least-squares line over the trials' FLOPs, else
    /// their mean cost.
    ///
    /// # Errors
    /// [`ApiError::Search`] when no such trial has times, or (`by_flops`) when they all have the same FLOPs;
    /// [`ApiError::Store`] for a record of a network outside the space.
    pub fn calibrate(records: &[TrialRecord], setting: Setting, hp: Hp, by_flops: bool) -> Result<QueryCost> {
        let rows: Vec<TrialSummary> = records
            .iter()
            .filter(|r| r.setting == setting && r.hp == hp)
            .map(TrialSummary::of_record)
            .collect::<std::result::Result<_, _>>()?;
        let points: Vec<(f64, f64)> =
            rows.iter().filter_map(|row| Some((row.flops_m, QueryCost::Recorded.charge(row)?))).collect();
        if points.is_empty() {
            return Err(ApiError::Search(format!(
                "calibrating the query cost: expected {setting} hp {hp} trials with times, found none"
            )));
        }
        let n = points.len() as f64;
        let (mean_flops, mean_cost) =
            (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
        if !by_flops {
            return Ok(QueryCost::Modelled { base: mean_cost, per_mflop: 0.0 });
        }
        let spread: f64 = points.iter().map(|p| (p.0 - mean_flops).powi(2)).sum();
        if spread == 0.0 {
            return Err(ApiError::Search(
                "calibrating the query cost by FLOPs: expected trials of cells with different FLOPs, found one value"
                    .into(),
            ));
        }
        let per_mflop = points.iter().map(|p| (p.0 - mean_flops) * (p.1 - mean_cost)).sum::<f64>() / spread;
        Ok(QueryCost::Modelled { base: mean_cost - per_mflop * mean_flops, per_mflop })
    }
}

/// The paper's oracle over a benchmark file: the validation accuracy of one random trial of `setting` after
/// the last epoch of `hp`, and as cost that trial's training time plus one validation pass (`train-all-time +
/// valid-per-time`, spec 08 §8.4), or a [`QueryCost`] model. The NAS-Bench-201 setting is `cifar10-valid` with the
/// 12-epoch schedule. On summary-only records (a table's seed means) a cell's one record is its trial.
///
/// It answers from the file's summary section (each trial's last-epoch accuracies and times), read once: a query
/// costs no decoding, and gives the numbers `Api::more_info` with `Seeds::Random` gives (the same trial for the same
/// draw, the same arithmetic). `A` is the architecture of the file's space: a cell (`Arch`) or a size-space network
/// (`Channels`).
pub struct BenchmarkOracle<A = Arch> {
    setting: Setting,
    hp: Hp,
    /// Per official index, the range of its trials (sorted by seed) in `trials`.
    cells: Vec<Option<(u32, u32)>>,
    /// Per trial: x-valid accuracy, and the cost, where the trial has them.
    trials: Vec<(Option<f64>, Option<f64>)>,
    /// The cells with trials, when not every cell has some.
    held: Option<Vec<A>>,
}

/// What is asked of a file before an oracle is made over it, the same in either space.
impl BenchmarkOracle {
    /// The setting and schedule a search's fitness comes from when none is given: the paper's (`cifar10-valid`,
    /// 12 epochs) where the file has it, else the file's first setting (a demo file) and its 12-epoch schedule, or
    /// its shortest. A given one is taken as is, and a setting given alone gets its 12-epoch or shortest schedule.
    ///
    /// # Errors
    /// An empty file, or a setting (and schedule) it has no trials of; a damaged summary section.
    pub fn fitness_setting(api: &Api, setting: Option<Setting>, hp: Option<Hp>) -> Result<(Setting, Hp)> {
        let rows = api.summary()?;
        if let (Some(s), Some(h)) = (setting, hp) {
            if !rows.iter().any(|r| r.setting == s && r.hp == h) {
                return Err(ApiError::Search(format!(
                    "expected a setting and schedule with trials in the benchmark file, found none of {s} hp {h}"
                )));
            }
            return Ok((s, h));
        }
        let paper = rows.iter().any(|r| r.setting == Setting::Cifar10Valid && r.hp == Hp::H12);
        let setting = match setting {
            Some(s) => s,
            None if paper => Setting::Cifar10Valid,
            None => rows.first().ok_or_else(|| ApiError::Search("an empty benchmark file".into()))?.setting,
        };
        // The papers' 12 epochs where the setting has them (both spaces' searches query hp 12; the size space's
        // files also hold a shorter one), else the setting's shortest.
        let has = |h: Hp| rows.iter().any(|r| r.setting == setting && r.hp == h);
        let hp = hp
            .or_else(|| if has(Hp::H12) { Some(Hp::H12) } else { None })
            .or_else(|| rows.iter().filter(|r| r.setting == setting).map(|r| r.hp).min())
            .ok_or_else(|| ApiError::Search(format!("no trials of {setting} in the benchmark file")))?;
        Ok((setting, hp))
    }

    /// Whether the file's trials of `setting` and `hp` have recorded times, so that [`QueryCost::Recorded`] can
    /// charge them (summary-only records imported from a table have none).
    ///
    /// # Errors
    /// A damaged summary section.
    pub fn is_timed(api: &Api, setting: Setting, hp: Hp) -> Result<bool> {
        Ok(api.summary()?.iter().any(|r| r.setting == setting && r.hp == hp && r.train_time.is_some()))
    }
}

impl<A: Categorical> BenchmarkOracle<A> {
    /// The oracle over `api`'s file for `setting` and `hp`.
    ///
    /// # Errors
    /// A file of another space; a damaged summary section.
    pub fn new(api: &Api, setting: Setting, hp: Hp) -> Result<BenchmarkOracle<A>> {
        BenchmarkOracle::with_cost(api, setting, hp, QueryCost::Recorded)
    }

    /// The oracle over `api`'s file for `setting` and `hp`, charging `cost` per query.
    ///
    /// # Errors
    /// A file of another space; a damaged summary section.
    pub fn with_cost(api: &Api, setting: Setting, hp: Hp, cost: QueryCost) -> Result<BenchmarkOracle<A>> {
        if api.space() != A::SPACE {
            return Err(ApiError::Search(format!(
                "expected a benchmark file of the {} space, found one of the {} space",
                A::SPACE,
                api.space()
            )));
        }
        let mut cells = vec![None; A::SPACE.num_archs()];
        let mut trials = Vec::new();
        for row in api.file().summary()?.iter().filter(|r| r.setting == setting && r.hp == hp) {
            let slot = &mut cells[row.index];
            let (start, count) = slot.get_or_insert((trials.len() as u32, 0));
            *count += 1;
            debug_assert_eq!(*start as usize + *count as usize, trials.len() + 1, "rows of a cell are adjacent");
            trials.push((setting.valid_set().and_then(|set| row.accuracy(Some(set))), cost.charge(row)));
        }
        let held: Vec<A> =
            (0..cells.len()).filter(|&i| cells[i].is_some()).filter_map(|i| A::from_official_index(i).ok()).collect();
        let held = (held.len() < A::SPACE.num_archs()).then_some(held);
        Ok(BenchmarkOracle { setting, hp, cells, trials, held })
    }

    /// The setting whose validation accuracy is the fitness.
    pub fn setting(&self) -> Setting {
        self.setting
    }

    /// The schedule whose last epoch is read.
    pub fn hp(&self) -> Hp {
        self.hp
    }

    /// The budget of a search when none is given: the paper's 12,000 simulated seconds, which covers about 1% of
    /// the 15,625 cells on CIFAR-10 (in the size space, NATS-Bench's budgets of `run-all.sh`: 20,000 s on
    /// CIFAR-10, 40,000 s on CIFAR-100, 60,000 s on ImageNet16-120, spec 10.8); on a file of fewer than 100 cells
    /// (the demo's 8) every search would query every cell many times over and all would find the same, so there it
    /// is three queries' worth (the mean cost of the file's trials), and runs show how well each algorithm spends a
    /// budget that cannot cover the file. The second value is that file's number of cells, when the budget is
    /// theirs.
    pub fn default_budget(&self) -> (f64, Option<usize>) {
        let paper = match (A::SPACE, self.setting) {
            (Space::Topology, _) => 12_000.0,
            (Space::Size, Setting::Cifar100) => 40_000.0,
            (Space::Size, Setting::ImageNet16_120) => 60_000.0,
            (Space::Size, _) => 20_000.0,
        };
        let Some(cells) = self.held.as_ref().filter(|c| c.len() < 100) else { return (paper, None) };
        let costs: Vec<f64> = self.trials.iter().filter_map(|t| t.1).collect();
        if costs.is_empty() {
            return (paper, None);
        }
        (3.0 * costs.iter().sum::<f64>() / costs.len() as f64, Some(cells.len()))
    }
}

impl<A: Categorical> Oracle<A> for BenchmarkOracle<A> {
    fn evaluate(&self, arch: A, rng: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        let index = arch.official_index();
        let Some((start, count)) = self.cells[index] else { return Ok(None) };
        // The draw of `Seeds::Random`: a trial uniformly among the cell's, in seed order.
        let (fitness, cost) = self.trials[start as usize + rng.random_range(0..count as usize)];
        let unavailable =
            |what: &str| ApiError::Unavailable { index, setting: self.setting, hp: self.hp, what: what.into() };
        let fitness = fitness.ok_or_else(|| unavailable("x-valid accuracy after the last epoch"))?;
        let cost = cost.ok_or_else(|| {
            unavailable("training and validation times to charge (a modelled QueryCost charges none)")
        })?;
        Ok(Some(Evaluation { fitness, cost }))
    }

    fn cells(&self) -> Option<Vec<A>> {
        self.held.clone()
    }

    fn holds(&self, arch: A) -> bool {
        self.cells[arch.official_index()].is_some()
    }
}

/// [`BenchmarkOracle`] that also answers after earlier epochs ([`Oracle::evaluate_at`]), reading the queried cell's
/// records as `simulate_train_eval(arch, dataset, iepoch, hp)` does (`Api::simulate_train_eval`): what NATS-algos'
/// BOHB queries. The last epoch's queries are the summary's, as [`BenchmarkOracle`]'s.
pub struct EpochOracle<'a, A = Arch> {
    api: &'a Api,
    last: BenchmarkOracle<A>,
}

impl<'a, A: Categorical> EpochOracle<'a, A> {
    /// The oracle over `api`'s file for `setting` and `hp`, charging recorded times (a modelled cost has no
    /// earlier epochs).
    ///
    /// # Errors
    /// As [`BenchmarkOracle::new`].
    pub fn new(api: &'a Api, setting: Setting, hp: Hp) -> Result<EpochOracle<'a, A>> {
        Ok(EpochOracle { api, last: BenchmarkOracle::new(api, setting, hp)? })
    }

    /// The oracle of the last epoch's queries (its budget, setting and schedule).
    pub fn last(&self) -> &BenchmarkOracle<A> {
        &self.last
    }
}

impl<A: Categorical> Oracle<A> for EpochOracle<'_, A> {
    fn evaluate(&self, arch: A, rng: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        self.last.evaluate(arch, rng)
    }

    fn evaluate_at(&self, arch: A, epoch: u16, rng: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        let index = arch.official_index();
        if !self.last.holds(arch) {
            return Ok(None);
        }
        // `simulate_train_eval` names the CIFAR-10 setting `cifar10` and reads `cifar10-valid`.
        let dataset = match self.last.setting {
            Setting::Cifar10Valid => Setting::Cifar10,
            other => other,
        };
        // The draw of `Seeds::Random` and of the summary's queries: a trial uniformly among the cell's, by seed.
        let mut choose = |seeds: &[u32]| Ok(seeds[rng.random_range(0..seeds.len())]);
        let run = self.api.simulate_train_eval(
            index,
            dataset,
            self.last.hp,
            Some(epoch),
            &mut crate::query::Seeds::Choose(&mut choose),
        )?;
        Ok(Some(Evaluation { fitness: run.accuracy, cost: run.time_cost }))
    }

    fn schedule_epochs(&self) -> Option<u16> {
        Some(self.last.hp.epochs())
    }

    fn cells(&self) -> Option<Vec<A>> {
        self.last.cells()
    }

    fn holds(&self, arch: A) -> bool {
        self.last.holds(arch)
    }
}
