//! `cargo xtask bench-algos`: the multi-trial baselines (`nb102_api::multi_trial`) run many times, tabulated as the
//! paper's table (spec 08 §8.1) and plotted (docs/BASELINES.md); with `--weight-sharing`, the six weight-sharing
//! baselines too (`nb102-weight-sharing run`, three seeds each, the paper's by default), each derived cell looked
//! up in the same source.
//!
//! Sources: an nb102 benchmark file (`--benchmark`; by default the demo file of `cargo xtask regenerate`), or a
//! per-cell table of real results (`--table`, the columns of `nb201_groundtruth_merged.csv`), imported as
//! summary-only records (`nb102 import table`). Those have final accuracies but no times: a query then costs what a
//! model fitted to the official complete records charges (`--calibrate DIR`, the NATS-Bench sample archive, by
//! default beside the table or in `NB102_REFERENCE_DIR/nats-tss-sample`;
//! `--cost constant`, their mean, by default, or `--cost flops`, a line in the cell's FLOPs).
//!
//! `--proxy NAME` adds the training-free baseline: per run, N random cells ranked by a zero-cost proxy's scores
//! (of the benchmark file, or of `--proxy-file`; `--proxy-setting` picks the column), the best kept, for N = 10, 100
//! and 1000, as NASWOT reports it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use nb102_api::multi_trial::{mean_std, Algorithm, BenchmarkOracle, EpochOracle, Oracle, QueryCost, ResultTable, Run};
use nb102_api::Api;
use nb102_protocol::{Algorithm as SearchAlgorithm, SearchChanges, SearchResult, SearchRun};
use nb102_space::{Arch, Categorical, Channels, Space};
use nb102_store::{BenchmarkKind, BenchmarkMeta, Hp, Setting, TableColumn};
use rand::SeedableRng;
use serde_json::json;

use crate::workspace::{reference_dir, release_binaries, root};

struct Options {
    benchmark: Option<PathBuf>,
    table: Option<PathBuf>,
    calibrate: Option<PathBuf>,
    cost: Option<CostChoice>,
    /// The multi-trial algorithms of `--algos`, configured (`--reinforce-lr`).
    multi_trial: Vec<Algorithm>,
    /// Whether `--algos` named them (else they are the space's papers').
    algos_given: bool,
    runs: usize,
    /// Simulated seconds per search (`None`: the paper's 12,000 (the size space's 20,000 to 60,000), or three
    /// queries' worth on a file of a few cells).
    budget: Option<f64>,
    /// The space the file must be of (`--space`); the file's, when not given.
    space: Option<Space>,
    seed: u64,
    out: PathBuf,
    setting: Option<Setting>,
    hp: Option<Hp>,
    /// REINFORCE's Adam learning rate (`None`: the space's paper's).
    reinforce_lr: Option<f64>,
    /// The weight-sharing searches, with `--weight-sharing`.
    weight_sharing: Option<WeightSharing>,
    /// The training-free baseline, with `--proxy`.
    training_free: Option<TrainingFree>,
}

/// The training-free baseline: per run, N random cells the proxy column scores, the best-scoring one kept (NASWOT's
/// protocol), for each N of [`TRAINING_FREE_DRAWS`].
struct TrainingFree {
    /// The proxy's name.
    proxy: String,
    /// Which of its columns (`--proxy-setting`; needed where the file holds several).
    setting: Option<Setting>,
    /// A file holding the scores (`--proxy-file`; by default the benchmark itself).
    file: Option<PathBuf>,
}

/// The numbers of random cells a training-free run ranks, as NASWOT reports.
const TRAINING_FREE_DRAWS: [usize; 3] = [10, 100, 1000];

/// What `--weight-sharing` runs: the searches' data and, where given, smaller runs than the paper's.
#[derive(Default)]
struct WeightSharing {
    algos: Vec<SearchAlgorithm>,
    data_dir: Option<PathBuf>,
    splits_dir: Option<PathBuf>,
    setting: Option<Setting>,
    seeds: Option<Vec<u32>>,
    /// `--epochs`, `--channels`, `--cells`, `--subset`, `--select-num`, `--controller-steps`: every search's.
    changes: SearchChanges,
    /// `--device`.
    device: Option<String>,
}

/// How a query is charged (`--cost`).
#[derive(Clone, Copy, PartialEq)]
enum CostChoice {
    /// The trial's recorded times.
    Recorded,
    /// The mean cost of the official complete records.
    Constant,
    /// A line in FLOPs fitted to the official complete records.
    Flops,
}

/// The source's file and its values for the table.
struct FileSource {
    path: PathBuf,
    table: ResultTable,
}

impl FileSource {
    fn columns(&self) -> Vec<String> {
        self.table.columns().iter().map(|c| c.name.to_owned()).collect()
    }

    fn accuracy(&self, index: usize, column: usize) -> Option<f64> {
        self.table.accuracy(index, column)
    }
}

pub(crate) fn run(args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let o = parse(args)?;
    std::fs::create_dir_all(&o.out)?;
    let path = match (&o.table, &o.benchmark) {
        (Some(table), _) => import_table(table, &o.out)?,
        (None, Some(p)) => p.clone(),
        (None, None) => find_demo()?,
    };
    let api = Api::open(&path)?;
    let space = api.space();
    if o.space.is_some_and(|s| s != space) {
        bail!(
            "{}: expected a benchmark file of the {} space, found one of the {space} space",
            path.display(),
            o.space.expect("given")
        );
    }
    if space == Space::Size && o.weight_sharing.is_some() {
        bail!("--weight-sharing: expected a file of the topology space, whose cells the searches derive; found the size space's");
    }
    let (setting, hp) = BenchmarkOracle::fitness_setting(&api, o.setting, o.hp)?;
    let rows = api.summary()?;
    // Recorded times where the file has them; otherwise (summary-only records) a constant calibrated cost.
    let timed = BenchmarkOracle::is_timed(&api, setting, hp)?;
    let choice = o.cost.unwrap_or(if timed { CostChoice::Recorded } else { CostChoice::Constant });
    let cost = match choice {
        CostChoice::Recorded => QueryCost::Recorded,
        CostChoice::Constant | CostChoice::Flops => {
            // The official complete records: given, beside the table, or in the reference data beside the project.
            let dir = match (&o.calibrate, &o.table) {
                (Some(dir), _) => dir.clone(),
                (None, Some(table)) => table.with_file_name("nats-tss-sample"),
                (None, None) => reference_dir(&root()).join("nats-tss-sample"),
            };
            if !dir.is_dir() {
                bail!(
                    "{} has no times, so a query's cost is modelled: expected the official complete records \
                     (the NATS-Bench sample archive) at {}, found none; pass --calibrate DIR or set NB102_REFERENCE_DIR",
                    path.display(),
                    dir.display()
                );
            }
            calibrate(&dir, setting, hp, choice == CostChoice::Flops)?
        }
    };
    let fitness = match rows.iter().find(|r| r.setting == setting && r.hp == hp) {
        Some(r) if r.seed.is_none() => format!("the hp {hp} {setting} x-valid seed mean (summary-only records)"),
        _ => format!("the hp {hp} {setting} x-valid accuracy of one random seed"),
    };
    let charged = match cost {
        QueryCost::Recorded => "recorded times".to_owned(),
        QueryCost::Modelled { base, per_mflop: 0.0 } => format!("{base:.1} s per query"),
        QueryCost::Modelled { base, per_mflop } => format!("{base:.1} s + {per_mflop:.3} s/MFLOP per query"),
    };
    let source = FileSource { table: ResultTable::new(&api)?, path };
    let name = format!("{} ({charged})", source.path.display());
    let searched = match &o.weight_sharing {
        Some(ws) => weight_sharing(ws, &o.out)?,
        None => Vec::new(),
    };
    let query = Query { api: &api, setting, hp, cost, source: &source, name: &name, fitness: &fitness };
    match space {
        Space::Topology => bench::<Arch>(&o, &query, &searched),
        Space::Size => bench::<Channels>(&o, &query, &searched),
    }
}

/// What the searches of a run query, and how the table names it.
struct Query<'a> {
    api: &'a Api,
    setting: Setting,
    hp: Hp,
    cost: QueryCost,
    source: &'a FileSource,
    name: &'a str,
    fitness: &'a str,
}

/// The results of one weight-sharing algorithm's runs.
struct Searched {
    /// The paper's name (`DARTS-V1`, …).
    name: String,
    /// Per run: seed, derived cell (official index and string), search seconds.
    runs: Vec<(u64, usize, String, f64)>,
}

/// Runs every weight-sharing search of `ws` (the release binary of nb102-weight-sharing, one process per run,
/// given its config as `OUT/weight-sharing/ALGO-SEED.run.json`) into `OUT/weight-sharing/ALGO-SEED.json`; a result
/// already there of the same run is kept, and a killed search resumes from its checkpoint.
fn weight_sharing(ws: &WeightSharing, out: &Path) -> anyhow::Result<Vec<Searched>> {
    let bin = release_binaries(&["nb102-weight-sharing"], false)?.join("nb102-weight-sharing");
    let data_dir = ws.data_dir.as_ref().context("--weight-sharing needs --data-dir, the folder of the dataset")?;
    let setting = ws.setting.context("--weight-sharing needs --setting: cifar10-valid or fashion-mnist")?;
    let dir = out.join("weight-sharing");
    std::fs::create_dir_all(&dir)?;
    let mut searched = Vec::new();
    for &algorithm in &ws.algos {
        let seeds = ws.seeds.clone().unwrap_or_else(|| algorithm.paper_seeds().to_vec());
        let mut runs = Vec::new();
        for seed in seeds {
            let run = ws.changes.apply(SearchRun::paper(algorithm, setting, seed));
            run.check()?;
            let result_path = dir.join(format!("{algorithm}-{seed}.json"));
            let read = || -> anyhow::Result<SearchResult> {
                Ok(nb102_protocol::read_json(&result_path, "a search result of nb102-weight-sharing")?)
            };
            // A result already there is kept if it is of this run.
            if read().ok().is_none_or(|made| made.run_hash != run.hash()) {
                let _ = std::fs::remove_file(&result_path);
                let config = dir.join(format!("{algorithm}-{seed}.run.json"));
                nb102_protocol::write_json(&config, &run)?;
                println!("{algorithm} seed {seed}: searching ({})", result_path.display());
                let mut cmd = std::process::Command::new(&bin);
                cmd.args(["run", "--quiet", "--resume", "--config"]).arg(&config);
                cmd.arg("--data-dir").arg(data_dir).arg("--out").arg(&result_path);
                if let Some(splits) = &ws.splits_dir {
                    cmd.arg("--splits-dir").arg(splits);
                }
                if let Some(device) = &ws.device {
                    cmd.args(["--device", device]);
                }
                let status = cmd.status()?;
                if !status.success() {
                    bail!("the {algorithm} search of seed {seed} failed: expected exit status 0, found {status}");
                }
            }
            let result = read()?;
            runs.push((u64::from(seed), result.index, result.cell, result.search_seconds));
        }
        searched.push(Searched { name: algorithm.paper_name().to_owned(), runs });
    }
    Ok(searched)
}

/// Imports a per-cell table (`nb102 import table`'s default columns) into a benchmark file under `out`.
fn import_table(table: &Path, out: &Path) -> anyhow::Result<PathBuf> {
    let cells = nb102_store::read_summary_table(table, &TableColumn::nb201())?;
    let description = format!("{}, imported as summary-only records", table.display());
    let meta = BenchmarkMeta { description, kind: BenchmarkKind::Nb201 };
    Ok(nb102_store::write_summary_only(&cells, meta, &out.join("table"))?)
}

/// The query cost fitted to the official complete records in `dir` (`QueryCost::calibrate`).
fn calibrate(dir: &Path, setting: Setting, hp: Hp, by_flops: bool) -> anyhow::Result<QueryCost> {
    QueryCost::calibrate_dir(dir, setting, hp, by_flops)
        .with_context(|| format!("calibrating the query cost needs the official records in {}", dir.display()))
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
    let mut o = Options {
        weight_sharing: None,
        benchmark: None,
        table: None,
        calibrate: None,
        cost: None,
        multi_trial: Vec::new(),
        runs: 500,
        budget: None,
        seed: 0,
        out: root().join("target/bench-algos"),
        setting: None,
        hp: None,
        space: None,
        reinforce_lr: None,
        algos_given: false,
        training_free: None,
    };
    let (mut proxy, mut proxy_setting, mut proxy_file) = (None, None, None);
    let mut ws = WeightSharing::default();
    let mut weight_sharing = false;
    let mut algos: Vec<String> = Algorithm::PAPER.iter().map(Algorithm::key).collect();
    while let Some(arg) = args.next() {
        if arg == "--weight-sharing" {
            weight_sharing = true;
            continue;
        }
        let value = args.next().with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--data-dir" => ws.data_dir = Some(value.into()),
            "--splits-dir" => ws.splits_dir = Some(value.into()),
            "--seeds" => {
                ws.seeds = Some(
                    value
                        .split(',')
                        .map(|s| s.parse())
                        .collect::<Result<_, _>>()
                        .with_context(|| format!("--seeds: expected seeds separated by commas, found {value:?}"))?,
                )
            }
            "--epochs" => ws.changes.epochs = Some(number(&arg, &value)?),
            "--channels" => ws.changes.channels = Some(number(&arg, &value)?),
            "--cells" => ws.changes.cells = Some(number(&arg, &value)?),
            "--subset" => ws.changes.subset = Some(number(&arg, &value)?),
            "--select-num" => ws.changes.select_num = Some(number(&arg, &value)?),
            "--controller-steps" => ws.changes.controller_steps = Some(number(&arg, &value)?),
            "--device" => ws.device = Some(value),
            "--benchmark" => o.benchmark = Some(value.into()),
            "--proxy" => proxy = Some(value),
            "--proxy-setting" => proxy_setting = Some(value.parse::<Setting>()?),
            "--proxy-file" => proxy_file = Some(PathBuf::from(value)),
            "--table" => o.table = Some(value.into()),
            "--calibrate" => o.calibrate = Some(value.into()),
            "--cost" => {
                o.cost = Some(match value.as_str() {
                    "recorded" => CostChoice::Recorded,
                    "constant" => CostChoice::Constant,
                    "flops" => CostChoice::Flops,
                    other => bail!("unknown --cost: expected recorded, constant or flops, found {other:?}"),
                })
            }
            "--algos" => {
                algos = value.split(',').map(str::to_owned).collect();
                o.algos_given = true;
            }
            "--runs" => o.runs = value.parse().context("--runs needs a number")?,
            "--budget" => o.budget = Some(value.parse().context("--budget needs a number")?),
            "--seed" => o.seed = value.parse().context("--seed needs a number")?,
            "--out" => o.out = value.into(),
            "--setting" => o.setting = Some(value.parse()?),
            "--hp" => o.hp = Some(Hp::new(value.parse().context("--hp needs a number")?)),
            "--reinforce-lr" => {
                o.reinforce_lr =
                    Some(value.parse().ok().filter(|lr: &f64| *lr > 0.0 && lr.is_finite()).with_context(|| {
                        format!("--reinforce-lr: expected a positive learning rate, found {value:?}")
                    })?)
            }
            "--space" => o.space = Some(value.parse()?),
            other => bail!(
                "unexpected argument {other:?}: expected --benchmark, --table, --calibrate, --cost, --algos, --runs, \
                 --budget, --seed, --out, --setting, --hp, --reinforce-lr, --space, --proxy, --proxy-setting, \
                 --proxy-file, --weight-sharing, --data-dir, \
                 --splits-dir, --seeds, --epochs, --channels, --cells, --subset, --device, --select-num or \
                 --controller-steps"
            ),
        }
    }
    if weight_sharing {
        if !o.algos_given {
            algos.extend(SearchAlgorithm::ALL.iter().map(|a| a.name().to_owned()));
        }
        // `--setting` names the searches' data; the multi-trial searches keep their fitness setting.
        ws.setting = o.setting.take();
        ws.algos = algos.iter().filter_map(|a| a.parse().ok()).collect();
        algos.retain(|a| a.parse::<SearchAlgorithm>().is_err());
        o.weight_sharing = Some(ws);
    } else if ws.changes != SearchChanges::default()
        || ws.device.is_some()
        || ws.data_dir.is_some()
        || ws.seeds.is_some()
    {
        bail!(
            "--data-dir, --seeds, --epochs, --channels, --cells, --subset and --device are options of --weight-sharing"
        );
    }
    for key in &algos {
        let Ok(algorithm) = key.parse::<Algorithm>() else {
            let expected = if weight_sharing {
                "rea, rs, reinforce, bohb, rsps, darts-v1, darts-v2, gdas, setn or enas"
            } else {
                "rea, rs, reinforce or bohb (and, with --weight-sharing, rsps, darts-v1, darts-v2, gdas, setn or enas)"
            };
            bail!("unknown algorithm: expected {expected}, found {key:?}");
        };
        o.multi_trial.push(algorithm);
    }
    o.training_free = match proxy {
        Some(proxy) => Some(TrainingFree { proxy, setting: proxy_setting, file: proxy_file }),
        None if proxy_setting.is_some() || proxy_file.is_some() => {
            bail!("--proxy-setting and --proxy-file are options of --proxy")
        }
        None => None,
    };
    Ok(o)
}

/// `value` of option `flag` as a number.
fn number<T: std::str::FromStr>(flag: &str, value: &str) -> anyhow::Result<T> {
    value.parse().ok().with_context(|| format!("{flag}: expected a positive number, found {value:?}"))
}

fn find_demo() -> anyhow::Result<PathBuf> {
    let dir = root().join("target/regenerate/demo");
    // The newest: a rerun with another plan or version leaves the earlier file beside it.
    let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "nb102"))
            .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    });
    found.with_context(|| {
        format!(
            "expected the demo benchmark in {} (run cargo xtask regenerate), or --benchmark / --table",
            dir.display()
        )
    })
}

/// Runs every multi-trial algorithm `runs` times in the space of `A` (its papers' configurations, REINFORCE's
/// learning rate as given) and writes the table (with the weight-sharing searches' rows) and the plot.
fn bench<A: Categorical>(o: &Options, q: &Query<'_>, searched: &[Searched]) -> anyhow::Result<()> {
    let (source, name, fitness) = (q.source, q.name, q.fitness);
    let last = BenchmarkOracle::<A>::with_cost(q.api, q.setting, q.hp, q.cost)?;
    // The size space's BOHB (NATS-algos') queries earlier epochs: there, with recorded times, the oracle answers them.
    let epochs = (A::SPACE == Space::Size && q.cost == QueryCost::Recorded)
        .then(|| EpochOracle::<A>::new(q.api, q.setting, q.hp))
        .transpose()?;
    let oracle: &dyn Oracle<A> = match &epochs {
        Some(e) => e,
        None => &last,
    };
    let (budget, budget_text) = match o.budget {
        Some(b) => (b, format!("{b} s")),
        None => match last.default_budget() {
            (b, None) => (b, format!("{b} s")),
            (b, Some(cells)) => (b, format!("{b:.1} s (three queries' worth on these {cells} cells)")),
        },
    };
    let budget_text = budget_text.as_str();
    // The space's papers' configurations (those the space has, unless named), REINFORCE's learning rate as given.
    let paper = Algorithm::paper(A::SPACE);
    let algorithms: Vec<Algorithm> = o
        .multi_trial
        .iter()
        .filter(|a| o.algos_given || paper.iter().any(|p| p.key() == a.key()))
        .map(|a| {
            let mut a = paper.iter().copied().find(|p| p.key() == a.key()).unwrap_or(*a);
            if let (Algorithm::Reinforce { lr, .. }, Some(given)) = (&mut a, o.reinforce_lr) {
                *lr = given;
            }
            a
        })
        .collect();
    let reinforce_lr = algorithms.iter().find_map(|a| match a {
        Algorithm::Reinforce { lr, .. } => Some(*lr),
        _ => None,
    });
    let reinforce_text = reinforce_lr.map_or_else(String::new, |lr| format!("; REINFORCE lr {lr}"));
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let columns = source.columns();
    let mut markdown = format!(
        "Source: {}; {} runs, budget {}; fitness: {}{}.\n\n| method | {} | queries |\n|{}\n",
        name,
        o.runs,
        budget_text,
        fitness,
        reinforce_text,
        columns.join(" | "),
        "---|".repeat(columns.len() + 2)
    );
    for algo in &algorithms {
        let name = algo.name();
        let bar = ProgressBar::new(o.runs as u64).with_style(
            ProgressStyle::with_template(&format!("{name:10} {{bar:30}} {{pos}}/{{len}} [{{elapsed}} < {{eta}}]"))
                .expect("a valid template"),
        );
        let start = Instant::now();
        let mut runs: Vec<Run<A>> = Vec::with_capacity(o.runs);
        for r in 0..o.runs {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(o.seed + r as u64);
            runs.push(algo.run(oracle, budget, &mut rng)?);
            bar.inc(1);
        }
        let seconds = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        println!("{name}: {} runs in {seconds:.3} s", o.runs);
        let chosen: Vec<usize> = runs.iter().map(|r| r.chosen.official_index()).collect();
        let queries: Vec<f64> = runs.iter().map(|r| r.steps.len() as f64).collect();
        let (row, line) = table_row(name, &chosen, source);
        markdown += &format!("{line} {:.1} |\n", mean_std(&queries).0);
        let mut row = row;
        let seconds: Vec<f64> = runs.iter().map(|r| r.steps.last().map_or(0.0, |s| s.time)).collect();
        row["search_seconds"] = json!({ "mean": mean_std(&seconds).0 });
        row["queries"] = json!({ "mean": mean_std(&queries).0 });
        // Each run, so that another runner of the same searches (nb102's Python `search.run`) can be compared run
        // for run.
        row["runs"] = runs
            .iter()
            .enumerate()
            .map(|(r, run)| {
                json!({"seed": o.seed + r as u64, "index": run.chosen.official_index(), "cell": run.chosen.to_string(),
                       "queries": run.steps.len(), "search_seconds": run.steps.last().map_or(0.0, |s| s.time)})
            })
            .collect();
        rows.push(row);
        curves.push((name, curve(&runs, source, budget)));
    }
    if let Some(tf) = &o.training_free {
        let (lines, tf_rows) = training_free::<A>(o, tf, q.api, source)?;
        markdown += &lines;
        rows.extend(tf_rows);
    }
    // The weight-sharing rows: each run's derived cell, looked up; the search cost in wall seconds.
    for s in searched {
        let chosen: Vec<usize> = s.runs.iter().map(|r| r.1).collect();
        let (mut row, line) = table_row(&s.name, &chosen, source);
        let seconds: Vec<f64> = s.runs.iter().map(|r| r.3).collect();
        row["search_seconds"] = json!({ "mean": mean_std(&seconds).0 });
        row["runs"] = s
            .runs
            .iter()
            .map(|(seed, index, cell, seconds)| json!({"seed": seed, "index": index, "cell": cell, "search_seconds": seconds}))
            .collect();
        markdown += &format!("{line} – |\n");
        rows.push(row);
    }
    // The optimal row: the best cell for each pair itself; the ResNet row: cell 11472.
    let mut optimal = json!({ "algorithm": "optimal" });
    let mut optimal_line = "| optimal |".to_owned();
    for (column, best) in columns.iter().zip(source.table.optimal()) {
        optimal[column] = best.map_or(json!(null), |best| json!({"mean": best, "std": 0.0}));
        optimal_line += &best.map_or(" – |".into(), |best| format!(" {best:.2} |"));
    }
    markdown += &format!("{optimal_line} |\n");
    rows.push(optimal);
    // ResNet is a cell: the topology space's row only.
    if A::SPACE == Space::Topology {
        let (resnet, line) = table_row("ResNet", &[11472], source);
        markdown += &format!("{line} |\n");
        rows.push(resnet);
    }

    let json = json!({"benchmark": name, "space": A::SPACE.name(), "runs": o.runs, "budget": budget,
                      "reinforce_lr": reinforce_lr, "rows": rows});
    write(&o.out.join("table.json"), &(serde_json::to_string_pretty(&json)? + "\n"))?;
    write(&o.out.join("table.md"), &markdown)?;
    plot(&o.out.join("curves.svg"), &curves, budget)?;
    println!("{markdown}");
    println!(
        "wrote {}, {} and {}",
        o.out.join("table.md").display(),
        o.out.join("table.json").display(),
        o.out.join("curves.svg").display()
    );
    Ok(())
}

/// The training-free rows: for each N of [`TRAINING_FREE_DRAWS`] and each run (seeded as the searches' runs), N
/// distinct random cells among those the column scores, the one with the highest score kept (NaN ranks lowest).
/// No query of the benchmark is made, and no time is simulated.
fn training_free<A: Categorical>(
    o: &Options,
    tf: &TrainingFree,
    api: &Api,
    source: &FileSource,
) -> anyhow::Result<(String, Vec<serde_json::Value>)> {
    let other;
    let scored = match &tf.file {
        Some(path) => {
            other = Api::open(path)?;
            &other
        }
        None => api,
    };
    if scored.space() != A::SPACE {
        bail!("--proxy-file: expected scores of the {} space, found the {} space's", A::SPACE, scored.space());
    }
    let filter = nb102_api::ProxyFilter { setting: tf.setting, ..Default::default() };
    let column = scored.proxy_column(&tf.proxy, &filter)?;
    let candidates: Vec<usize> = (0..A::SPACE.num_archs()).filter(|&i| column.has(i)).collect();
    let score = |i: usize| column.get(i).filter(|s| !s.is_nan()).unwrap_or(f64::NEG_INFINITY);
    let (mut lines, mut rows) = (String::new(), Vec::new());
    for n in TRAINING_FREE_DRAWS.into_iter().filter(|&n| n <= candidates.len()) {
        let chosen: Vec<usize> = (0..o.runs)
            .map(|r| {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(o.seed + r as u64);
                let drawn = rand::seq::index::sample(&mut rng, candidates.len(), n);
                let best = drawn.iter().map(|k| candidates[k]).max_by(|&a, &b| score(a).total_cmp(&score(b)));
                best.expect("n > 0 draws")
            })
            .collect();
        let name = format!("{} best of {n}", tf.proxy);
        let (mut row, line) = table_row(&name, &chosen, source);
        row["training_free"] = json!({"proxy": column.key().to_string(), "draws": n});
        row["queries"] = json!({ "mean": 0 });
        lines += &format!("{line} 0 |\n");
        rows.push(row);
    }
    Ok((lines, rows))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    Ok(nb102_store::write_atomically(path, |f| std::io::Write::write_all(f, text.as_bytes()))?)
}

fn table_row(name: &str, chosen: &[usize], source: &FileSource) -> (serde_json::Value, String) {
    let mut row = json!({ "algorithm": name });
    let mut line = format!("| {name} |");
    for (column, value) in source.columns().iter().zip(source.table.row(chosen)) {
        match value {
            Some((m, s)) => {
                row[column] = json!({"mean": m, "std": s});
                line += &format!(" {m:.2}±{s:.2} |");
            }
            None => {
                row[column] = json!(null);
                line += " – |";
            }
        }
    }
    (row, line)
}

/// Mean and deviation over the runs of the CIFAR-10 test accuracy (or the first pair the source has) of each
/// run's best-so-far cell, at 100 points of simulated time.
fn curve<A: Categorical>(runs: &[Run<A>], source: &FileSource, budget: f64) -> Vec<(f64, f64, f64)> {
    // CIFAR-10 test, or the first test column the source has.
    let columns = source.columns();
    let pair = columns
        .iter()
        .position(|c| c == "cifar10-test")
        .or_else(|| columns.iter().position(|c| c.ends_with("-test")))
        .unwrap_or(0);
    let mut cache: BTreeMap<usize, f64> = BTreeMap::new();
    let mut accuracy =
        |index: usize| *cache.entry(index).or_insert_with(|| source.accuracy(index, pair).unwrap_or(f64::NAN));
    (1..=100)
        .map(|k| {
            let t = budget * k as f64 / 100.0;
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.steps.iter().take_while(|s| s.time <= t).last().map(|s| s.best.official_index()))
                .map(&mut accuracy)
                .filter(|a| a.is_finite())
                .collect();
            let (m, s) = if values.is_empty() { (f64::NAN, 0.0) } else { mean_std(&values) };
            (t, m, s)
        })
        .collect()
}

/// Per algorithm, (simulated seconds, mean accuracy, deviation) at each point of the curve.
type Curves<'a> = [(&'a str, Vec<(f64, f64, f64)>)];

fn plot(path: &Path, curves: &Curves<'_>, budget: f64) -> anyhow::Result<()> {
    use plotters::prelude::*;
    // The axis spans the curves from a tenth of the budget on: the first queries' best-so-far cells are random, and
    // their spread would flatten the rest. Earlier points are drawn at the edge; no band goes above 100%.
    let points = curves.iter().flat_map(|(_, c)| c.iter()).filter(|p| p.1.is_finite() && p.0 >= budget / 10.0);
    let (lo, hi) =
        points.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1 - p.2), hi.max(p.1 + p.2)));
    if !lo.is_finite() {
        return Ok(());
    }
    let (lo, hi) = (lo - 0.5, (hi + 0.5).min(100.0));
    let y = |v: f64| v.clamp(lo, hi);
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("best-so-far test accuracy against simulated search time", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..budget, lo..hi)?;
    chart.configure_mesh().x_desc("simulated seconds").y_desc("test accuracy (%)").draw()?;
    let colors = [RED, BLUE, GREEN, MAGENTA];
    for ((name, points), color) in curves.iter().zip(colors) {
        let valid: Vec<&(f64, f64, f64)> = points.iter().filter(|p| p.1.is_finite()).collect();
        let band: Vec<(f64, f64)> =
            valid.iter().map(|p| (p.0, y(p.1 + p.2))).chain(valid.iter().rev().map(|p| (p.0, y(p.1 - p.2)))).collect();
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.15))))?;
        chart
            .draw_series(LineSeries::new(valid.iter().map(|p| (p.0, y(p.1))), color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
