//! `cargo xtask bench-algos`: the multi-trial baselines (`nb102_api::search`) run many times, tabulated as the
//! paper's table (spec 08 §8.1) and plotted (docs/BASELINES.md).
//!
//! Sources: an nb102 benchmark file (`--benchmark`; by default the demo file of `cargo xtask regenerate`), or a
//! per-cell table of real results (`--table`, the columns of `nb201_groundtruth_merged.csv`), which has final
//! accuracies but no per-epoch times: there every query costs the mean cost of the three official complete
//! records (`--calibrate DIR`, the NATS-Bench sample archive), so the budget is an equivalent number of queries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use nb102_api::search::{
    bohb, random_search, regularized_evolution, reinforce, BenchmarkOracle, Evaluation, Oracle, Run,
};
use nb102_api::Api;
use nb102_space::{Arch, NUM_ARCHS};
use nb102_store::{EvalSet, Hp, Setting};
use rand::{RngCore, SeedableRng};
use serde_json::json;

use crate::bench_store::root;

/// The six (column, setting, set) pairs of the paper's table.
const PAIRS: [(&str, Setting, EvalSet); 6] = [
    ("cifar10-valid", Setting::Cifar10Valid, EvalSet::XValid),
    ("cifar10-test", Setting::Cifar10, EvalSet::OriTest),
    ("cifar100-valid", Setting::Cifar100, EvalSet::XValid),
    ("cifar100-test", Setting::Cifar100, EvalSet::XTest),
    ("ImageNet16-120-valid", Setting::ImageNet16_120, EvalSet::XValid),
    ("ImageNet16-120-test", Setting::ImageNet16_120, EvalSet::XTest),
];

/// The real table's columns for the six pairs (200-epoch seed means) and for the fitness (12-epoch mean).
const TABLE_COLUMNS: [&str; 6] = [
    "c10valid_valid_200ep_mean",
    "c10_test_200ep_mean",
    "c100_valid_200ep_mean",
    "c100_test_200ep_mean",
    "in16_valid_200ep_mean",
    "in16_test_200ep_mean",
];

struct Options {
    benchmark: Option<PathBuf>,
    table: Option<PathBuf>,
    calibrate: Option<PathBuf>,
    algos: Vec<String>,
    runs: usize,
    budget: f64,
    seed: u64,
    out: PathBuf,
    setting: Option<Setting>,
    hp: Option<Hp>,
}

/// What the table is computed from: its columns, and per cell the accuracy of each (if known).
trait Source {
    fn name(&self) -> String;
    /// What a query's fitness is.
    fn fitness(&self, o: &Options) -> String;
    fn columns(&self) -> Vec<String>;
    fn accuracy(&self, index: usize, column: usize) -> Option<f64>;
}

struct TableSource {
    path: PathBuf,
    fitness: Vec<f64>,
    pairs: Vec<[Option<f64>; 6]>,
    cost: f64,
}

impl Oracle for TableSource {
    fn evaluate(&self, arch: Arch, _: &mut dyn RngCore) -> nb102_api::Result<Option<Evaluation>> {
        Ok(Some(Evaluation { fitness: self.fitness[arch.official_index()], cost: self.cost }))
    }
}

impl Source for TableSource {
    fn name(&self) -> String {
        format!("{} (real per-cell results; every query costs {:.1} s)", self.path.display(), self.cost)
    }

    fn fitness(&self, _: &Options) -> String {
        "the 12-epoch cifar10-valid x-valid accuracy, mean over seeds (the table has no per-seed 12-epoch values)"
            .into()
    }

    fn columns(&self) -> Vec<String> {
        PAIRS.iter().map(|p| p.0.to_owned()).collect()
    }

    fn accuracy(&self, index: usize, pair: usize) -> Option<f64> {
        self.pairs[index][pair]
    }
}

struct FileSource {
    path: PathBuf,
    /// Name, setting, set, and the schedule read (the longest the file has for that setting).
    columns: Vec<(String, Setting, EvalSet, Hp)>,
    /// Per column and official index, the seed-mean last-epoch accuracy (from the summary section).
    values: Vec<Vec<Option<f64>>>,
}

impl FileSource {
    /// The paper's pairs the file has, and for Fashion-MNIST (the demo) its `x-valid` and `ori-test`; read from the
    /// summary section, so no cell is decoded.
    fn new(api: &Api, path: PathBuf) -> anyhow::Result<FileSource> {
        let rows = api.file().summary()?;
        let longest = |setting: Setting| rows.iter().filter(|r| r.setting == setting).map(|r| r.hp).max();
        let fashion = [
            ("fashion-mnist-valid", Setting::FashionMnist, EvalSet::XValid),
            ("fashion-mnist-test", Setting::FashionMnist, EvalSet::OriTest),
        ];
        let columns: Vec<(String, Setting, EvalSet, Hp)> = PAIRS
            .iter()
            .chain(&fashion)
            .filter_map(|&(name, setting, set)| longest(setting).map(|hp| (name.to_owned(), setting, set, hp)))
            .collect();
        // The reference's seed mean (`get_metrics(..., is_random=False)`): Python's sum over the seeds, divided.
        let values = columns
            .iter()
            .map(|(_, setting, set, hp)| {
                let mut column = vec![None; NUM_ARCHS];
                for cell in rows.chunk_by(|a, b| a.index == b.index) {
                    let trials: Option<Vec<f64>> = cell
                        .iter()
                        .filter(|r| r.setting == *setting && r.hp == *hp)
                        .map(|r| r.accuracy(Some(*set)))
                        .collect();
                    column[cell[0].index] =
                        trials.filter(|t| !t.is_empty()).map(|t| nb102_store::python_sum(&t) / t.len() as f64);
                }
                column
            })
            .collect();
        Ok(FileSource { path, columns, values })
    }
}

impl Source for FileSource {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn fitness(&self, o: &Options) -> String {
        format!(
            "the hp {} {} x-valid accuracy of one random seed",
            o.hp.unwrap_or(Hp::H12),
            o.setting.unwrap_or(Setting::Cifar10Valid)
        )
    }

    fn columns(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.0.clone()).collect()
    }

    fn accuracy(&self, index: usize, column: usize) -> Option<f64> {
        self.values[column][index]
    }
}

pub(crate) fn run(args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let o = parse(args)?;
    std::fs::create_dir_all(&o.out)?;
    if let Some(path) = &o.table {
        let calibrate = o.calibrate.clone().unwrap_or_else(|| path.with_file_name("nats-tss-sample"));
        let table = read_table(path, calibrate_cost(&calibrate)?)?;
        return bench(&o, &table, &table);
    }
    let path = match &o.benchmark {
        Some(p) => p.clone(),
        None => find_demo()?,
    };
    let api = Api::open(&path)?;
    // The paper's fitness setting, or else (a demo file) the file's first setting and its shortest schedule.
    let rows = api.file().summary()?;
    let (setting, hp) = match (o.setting, o.hp) {
        (Some(s), Some(h)) => (s, h),
        (s, h) => {
            let paper = rows.iter().any(|r| r.setting == Setting::Cifar10Valid && r.hp == Hp::H12);
            let setting =
                s.unwrap_or(if paper { Setting::Cifar10Valid } else { rows.first().context("an empty file")?.setting });
            let hp = h
                .or_else(|| rows.iter().filter(|r| r.setting == setting).map(|r| r.hp).min())
                .context("no trials of that setting")?;
            (setting, hp)
        }
    };
    let oracle = BenchmarkOracle::new(&api, setting, hp)?;
    let o = Options { setting: Some(setting), hp: Some(hp), ..o };
    bench(&o, &oracle, &FileSource::new(&api, path)?)
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
    let mut o = Options {
        benchmark: None,
        table: None,
        calibrate: None,
        algos: vec!["rea".into(), "rs".into(), "reinforce".into(), "bohb".into()],
        runs: 500,
        budget: 12_000.0,
        seed: 0,
        out: root().join("target/bench-algos"),
        setting: None,
        hp: None,
    };
    while let Some(arg) = args.next() {
        let value = args.next().with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--benchmark" => o.benchmark = Some(value.into()),
            "--table" => o.table = Some(value.into()),
            "--calibrate" => o.calibrate = Some(value.into()),
            "--algos" => o.algos = value.split(',').map(str::to_owned).collect(),
            "--runs" => o.runs = value.parse().context("--runs needs a number")?,
            "--budget" => o.budget = value.parse().context("--budget needs a number")?,
            "--seed" => o.seed = value.parse().context("--seed needs a number")?,
            "--out" => o.out = value.into(),
            "--setting" => o.setting = Some(value.parse()?),
            "--hp" => o.hp = Some(Hp::new(value.parse().context("--hp needs a number")?)),
            other => bail!(
                "unexpected argument {other:?}: expected --benchmark, --table, --calibrate, --algos, --runs, --budget, \
                 --seed, --out, --setting or --hp"
            ),
        }
    }
    if let Some(bad) = o.algos.iter().find(|a| !matches!(a.as_str(), "rea" | "rs" | "reinforce" | "bohb")) {
        bail!("unknown algorithm: expected rea, rs, reinforce or bohb, found {bad:?}");
    }
    Ok(o)
}

fn find_demo() -> anyhow::Result<PathBuf> {
    let dir = root().join("target/regenerate/demo");
    let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| p.extension().is_some_and(|x| x == "nb102"))
    });
    found.with_context(|| {
        format!(
            "expected the demo benchmark in {} (run cargo xtask regenerate), or --benchmark / --table",
            dir.display()
        )
    })
}

/// The mean cost of a 12-epoch `cifar10-valid` query (training time plus one validation pass, seed means) over
/// the complete official records in `dir`.
fn calibrate_cost(dir: &Path) -> anyhow::Result<f64> {
    let files = nb102_store::nats_tss_files(dir)
        .with_context(|| format!("calibrating the query cost needs the official records in {}", dir.display()))?;
    let mut costs = Vec::new();
    for file in files {
        let records = nb102_store::read_nats_tss_file(&file)?;
        let trials: Vec<_> = records.iter().filter(|r| r.setting == Setting::Cifar10Valid && r.hp == Hp::H12).collect();
        let mut cost = 0.0;
        for t in &trials {
            let train = t.metrics(None, None).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let valid = t.metrics(Some(EvalSet::XValid), None).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let epochs = f64::from(train.epoch) + 1.0;
            cost +=
                train.all_time.context("no training times")? + valid.all_time.context("no validation times")? / epochs;
        }
        costs.push(cost / trials.len() as f64);
    }
    Ok(costs.iter().sum::<f64>() / costs.len() as f64)
}

fn read_table(path: &Path, cost: f64) -> anyhow::Result<TableSource> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("an empty table")?.split(',').collect();
    let column = |name: &str| {
        header.iter().position(|h| *h == name).with_context(|| format!("{}: expected a column {name}", path.display()))
    };
    let (index_col, fitness_col) = (column("index")?, column("c10valid_valid_12ep")?);
    let pair_cols: Vec<usize> = TABLE_COLUMNS.iter().map(|c| column(c)).collect::<anyhow::Result<_>>()?;
    let mut fitness = vec![f64::NAN; NUM_ARCHS];
    let mut pairs = vec![[None; 6]; NUM_ARCHS];
    for (n, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        let number = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        let index = fields.get(index_col).and_then(|f| f.parse::<usize>().ok()).filter(|&i| i < NUM_ARCHS);
        let index = index.with_context(|| format!("{} line {}: expected a cell index", path.display(), n + 2))?;
        fitness[index] =
            number(fitness_col).with_context(|| format!("{} line {}: no 12-epoch fitness", path.display(), n + 2))?;
        for (k, &c) in pair_cols.iter().enumerate() {
            pairs[index][k] = number(c);
        }
    }
    if let Some(missing) = fitness.iter().position(|f| f.is_nan()) {
        bail!("{}: expected all 15625 cells, found none for cell {missing}", path.display());
    }
    Ok(TableSource { path: path.to_owned(), fitness, pairs, cost })
}

/// Runs every algorithm `runs` times and writes the table and the plot.
fn bench(o: &Options, oracle: &dyn Oracle, source: &dyn Source) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    let columns = source.columns();
    let mut markdown = format!(
        "Source: {}; {} runs, budget {} s; fitness: {}.\n\n| method | {} | queries |\n|{}\n",
        source.name(),
        o.runs,
        o.budget,
        source.fitness(o),
        columns.join(" | "),
        "---|".repeat(columns.len() + 2)
    );
    for algo in &o.algos {
        let name = match algo.as_str() {
            "rea" => "REA",
            "rs" => "RS",
            "bohb" => "BOHB",
            _ => "REINFORCE",
        };
        let bar = ProgressBar::new(o.runs as u64).with_style(
            ProgressStyle::with_template(&format!("{name:10} {{bar:30}} {{pos}}/{{len}} [{{elapsed}} < {{eta}}]"))
                .expect("a valid template"),
        );
        let start = Instant::now();
        let mut runs: Vec<Run> = Vec::with_capacity(o.runs);
        for r in 0..o.runs {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(o.seed + r as u64);
            runs.push(match algo.as_str() {
                "rea" => regularized_evolution(oracle, o.budget, 10, 3, &mut rng)?,
                "rs" => random_search(oracle, o.budget, &mut rng)?,
                "bohb" => bohb(oracle, o.budget, &mut rng)?,
                _ => reinforce(oracle, o.budget, 0.5, 0.9, &mut rng)?,
            });
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
        row["search_seconds"] = json!({ "mean": mean_std(&runs.iter().map(|r| r.steps.last().map_or(0.0, |s| s.time)).collect::<Vec<_>>()).0 });
        rows.push(row);
        curves.push((name, curve(&runs, source, o.budget)));
    }
    // The optimal row: the best cell for each pair itself; the ResNet row: cell 11472.
    let mut optimal = json!({ "algorithm": "optimal" });
    let mut optimal_line = "| optimal |".to_owned();
    for (k, column) in columns.iter().enumerate() {
        let best = (0..NUM_ARCHS).filter_map(|i| source.accuracy(i, k)).fold(f64::NEG_INFINITY, f64::max);
        let cell = if best.is_finite() { json!({"mean": best, "std": 0.0}) } else { json!(null) };
        optimal[column] = cell;
        optimal_line += &if best.is_finite() { format!(" {best:.2} |") } else { " – |".into() };
    }
    markdown += &format!("{optimal_line} |\n");
    rows.push(optimal);
    let (resnet, line) = table_row("ResNet", &[11472], source);
    markdown += &format!("{line} |\n");
    rows.push(resnet);

    let json = json!({"benchmark": source.name(), "runs": o.runs, "budget": o.budget, "rows": rows});
    write(&o.out.join("table.json"), &(serde_json::to_string_pretty(&json)? + "\n"))?;
    write(&o.out.join("table.md"), &markdown)?;
    plot(&o.out.join("curves.svg"), &curves, o.budget)?;
    println!("{markdown}");
    println!(
        "wrote {}, {} and {}",
        o.out.join("table.md").display(),
        o.out.join("table.json").display(),
        o.out.join("curves.svg").display()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    Ok(nb102_store::write_atomically(path, |f| std::io::Write::write_all(f, text.as_bytes()))?)
}

/// Population mean and standard deviation (numpy's `std`, ddof 0).
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn table_row(name: &str, chosen: &[usize], source: &dyn Source) -> (serde_json::Value, String) {
    let mut row = json!({ "algorithm": name });
    let mut line = format!("| {name} |");
    for (k, column) in source.columns().iter().enumerate() {
        let values: Option<Vec<f64>> = chosen.iter().map(|&i| source.accuracy(i, k)).collect();
        match values {
            Some(v) => {
                let (m, s) = mean_std(&v);
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
fn curve(runs: &[Run], source: &dyn Source, budget: f64) -> Vec<(f64, f64, f64)> {
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
    let points = curves.iter().flat_map(|(_, c)| c.iter()).filter(|p| p.1.is_finite());
    let (lo, hi) =
        points.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1 - p.2), hi.max(p.1 + p.2)));
    if !lo.is_finite() {
        return Ok(());
    }
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("best-so-far test accuracy against simulated search time", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..budget, (lo - 0.5)..(hi + 0.5))?;
    chart.configure_mesh().x_desc("simulated seconds").y_desc("test accuracy (%)").draw()?;
    let colors = [RED, BLUE, GREEN, MAGENTA];
    for ((name, points), color) in curves.iter().zip(colors) {
        let valid: Vec<&(f64, f64, f64)> = points.iter().filter(|p| p.1.is_finite()).collect();
        let band: Vec<(f64, f64)> =
            valid.iter().map(|p| (p.0, p.1 + p.2)).chain(valid.iter().rev().map(|p| (p.0, p.1 - p.2))).collect();
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.15))))?;
        chart
            .draw_series(LineSeries::new(valid.iter().map(|p| (p.0, p.1)), color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}
