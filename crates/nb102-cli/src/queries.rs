//! `nb102 show | query | cost | best | proxy`: the query API from the command line.

use std::io::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;
use nb102_api::{remap_names, Api, ProxyFilter, Seeds};
use nb102_store::{Hp, Setting};
use rand::SeedableRng;
use serde_json::{json, Map, Value};

use nb102_command::Failure;

#[derive(Args)]
pub(crate) struct ShowArgs {
    /// A benchmark file.
    file: PathBuf,
    /// An official index or an architecture string.
    #[arg(allow_hyphen_values = true)]
    arch: String,
}

/// A cell of a benchmark file, for one setting and schedule.
#[derive(Args)]
pub(crate) struct Target {
    /// A benchmark file.
    file: PathBuf,
    /// An official index or an architecture string.
    #[arg(allow_hyphen_values = true)]
    arch: String,
    /// cifar10-valid, cifar10, cifar100, ImageNet16-120 (or fashion-mnist).
    #[arg(long)]
    dataset: String,
    /// The schedule: 12 or 200 epochs (or another length the file holds).
    #[arg(long)]
    hp: u16,
}

impl Target {
    fn open(&self) -> Result<(Api, usize, Setting, Hp), Failure> {
        let api = open(&self.file)?;
        let index = api.index_of(&self.arch).map_err(Failure::input)?;
        let setting = self.dataset.parse::<Setting>().map_err(Failure::input)?;
        Ok((api, index, setting, Hp::new(self.hp)))
    }
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("seeds").required(true).args(["seed", "mean", "random"])))]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    target: Target,
    /// After this epoch (0-based; default: the last).
    #[arg(long)]
    epoch: Option<u16>,
    /// The trial of this seed.
    #[arg(long)]
    seed: Option<u32>,
    /// The mean over all seeds.
    #[arg(long)]
    mean: bool,
    /// One seed drawn at random, from a generator seeded with this number.
    #[arg(long, value_name = "RNG_SEED")]
    random: Option<u64>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct CostArgs {
    #[command(flatten)]
    target: Target,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct BestArgs {
    /// A benchmark file.
    file: PathBuf,
    /// cifar10, cifar10-valid, cifar100, ImageNet16-120 (or fashion-mnist); with --proxy, the setting of its scores
    /// (needed where the file holds several).
    #[arg(long, required_unless_present = "proxy")]
    dataset: Option<String>,
    /// valid, test, train, or a set name (x-valid, x-test, ori-test); cifar10 valid means cifar10-valid x-valid.
    #[arg(long, required_unless_present = "proxy")]
    set: Option<String>,
    /// The schedule: 12 or 200 epochs.
    #[arg(long, required_unless_present = "proxy")]
    hp: Option<u16>,
    /// Rank by this zero-cost proxy's scores instead of an accuracy: the best-scoring cell of the file's column.
    #[arg(long, conflicts_with_all = ["set", "hp"])]
    proxy: Option<String>,
    /// Only cells with at most this many FLOPs (millions).
    #[arg(long)]
    flop_max: Option<f64>,
    /// Only cells with at most this many parameters (millions).
    #[arg(long)]
    param_max: Option<f64>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct ProxyArgs {
    /// A benchmark file.
    file: PathBuf,
    /// An official index or an architecture string.
    #[arg(allow_hyphen_values = true)]
    arch: String,
    /// Only this proxy (e.g. synflow).
    #[arg(long)]
    proxy: Option<String>,
    /// Only scores computed on this setting: cifar10-valid, cifar10, cifar100, ImageNet16-120 (or fashion-mnist).
    #[arg(long)]
    dataset: Option<String>,
    /// Only scores from batches of this size.
    #[arg(long)]
    batch_size: Option<u32>,
    /// Only scores of this seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Only raw scores, or only NASLib's post-processed ones (naslib).
    #[arg(long)]
    variant: Option<String>,
    /// Print one JSON array of {proxy, setting, batch_size, seed, variant, score, source}.
    #[arg(long)]
    json: bool,
}

/// Every proxy score the file holds for one cell (those the options pick).
pub(crate) fn proxy(args: ProxyArgs, out: &mut impl Write) -> Result<(), Failure> {
    let api = open(&args.file)?;
    let index = api.index_of(&args.arch).map_err(Failure::input)?;
    let filter = ProxyFilter {
        setting: args.dataset.as_deref().map(str::parse).transpose().map_err(Failure::input)?,
        batch_size: args.batch_size,
        seed: args.seed,
        variant: args.variant.as_deref().map(str::parse).transpose().map_err(|e: String| Failure::input(anyhow!(e)))?,
    };
    let columns = api.proxy_columns().map_err(Failure::input)?;
    let rows: Vec<_> = columns
        .iter()
        .filter(|c| args.proxy.as_ref().is_none_or(|p| *p == c.key().proxy) && filter.matches(c.key()))
        .filter_map(|c| c.get(index).map(|score| (c, score)))
        .collect();
    if rows.is_empty() {
        return Err(Failure::input(anyhow!(
            "expected proxy scores of cell {index}{}, found none ({} proxy columns in the file)",
            if args.proxy.is_some() || filter != ProxyFilter::default() { " that match the options" } else { "" },
            columns.len()
        )));
    }
    if args.json {
        let rows: Vec<Value> = rows
            .iter()
            .map(|(c, score)| {
                let k = c.key();
                json!({"proxy": k.proxy, "setting": k.setting.name(), "batch_size": k.batch_size, "seed": k.seed,
                       "variant": k.variant.name(), "score": score.is_finite().then_some(*score), "source": c.source()})
            })
            .collect();
        writeln!(out, "{}", Value::Array(rows))?;
        return Ok(());
    }
    writeln!(out, "cell {index} {}", api.arch(index).map_err(Failure::input)?)?;
    writeln!(out, "{:<11} {:<15} {:>5} {:>7} {:<7} {:>24}", "proxy", "setting", "batch", "seed", "variant", "score")?;
    for (c, score) in rows {
        let k = c.key();
        let seed = k.seed.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let (proxy, setting, batch, variant) = (&k.proxy, k.setting.name(), k.batch_size, k.variant.name());
        writeln!(out, "{proxy:<11} {setting:<15} {batch:>5} {seed:>7} {variant:<7} {score:>24}")?;
    }
    Ok(())
}

pub(crate) fn show(args: ShowArgs, out: &mut impl Write) -> Result<(), Failure> {
    let api = open(&args.file)?;
    let index = api.index_of(&args.arch).map_err(Failure::input)?;
    let arch = api.arch(index).map_err(Failure::input)?;
    let cell = match api.cell(index) {
        Ok(cell) => Some(cell),
        Err(nb102_api::ApiError::SummaryOnly(_) | nb102_api::ApiError::NotEvaluated(_)) => None,
        Err(e) => return Err(Failure::input(e)),
    };
    let rows = api.summary().map_err(Failure::input)?;
    let rows: Vec<_> = rows.iter().filter(|r| r.index == index).collect();
    // Nothing is printed for a cell the file does not hold: the error is the whole answer.
    if cell.is_none() && rows.is_empty() {
        return Err(Failure::input(nb102_api::ApiError::NotEvaluated(index)));
    }
    writeln!(out, "cell {index} {arch}")?;
    writeln!(
        out,
        "{:<15} {:>4} {:<16} {:>10} {:>10} {:>9} {:>8}",
        "setting", "hp", "seeds", "train", "valid", "test", "params"
    )?;
    let pct = |m: Option<f64>| m.map_or_else(|| "-".to_owned(), |m| format!("{m:.2}"));
    let Some(cell) = cell else {
        // Summary-only records: their rows are all there is; `test` is the set more_info calls test.
        for r in rows {
            let seeds = r.seed.map_or_else(|| "mean".to_owned(), |s| s.to_string());
            let valid = r.setting.valid_set().and_then(|set| r.accuracy(Some(set)));
            let test = r.accuracy(Some(r.setting.test_set()));
            let (train, valid, test) = (pct(r.accuracy(None)), pct(valid), pct(test));
            let (setting, hp, params) = (r.setting.name(), r.hp.epochs(), r.params_mb);
            writeln!(out, "{setting:<15} {hp:>4} {seeds:<16} {train:>10} {valid:>10} {test:>9} {params:>8.6}")?;
        }
        return Ok(());
    };
    let mut keys: Vec<(Hp, Setting)> = cell.trials().iter().map(|t| (t.hp, t.setting)).collect();
    keys.dedup();
    for (hp, setting) in keys {
        let info = api.more_info(index, setting, hp, None, &mut Seeds::Mean).map_err(Failure::input)?;
        let cost = api.cost_info(index, setting, hp).map_err(Failure::input)?;
        let seeds: Vec<String> =
            cell.trials().iter().filter(|t| t.hp == hp && t.setting == setting).map(|t| t.seed.to_string()).collect();
        writeln!(
            out,
            "{:<15} {:>4} {:<16} {:>10} {:>10} {:>9} {:>8.6}",
            setting.name(),
            hp.epochs(),
            seeds.join(","),
            pct(Some(info.train.accuracy)),
            pct(info.valid.map(|m| m.accuracy)),
            pct(info.test.map(|m| m.accuracy)),
            cost.params
        )?;
    }
    Ok(())
}

pub(crate) fn query(args: QueryArgs, out: &mut impl Write) -> Result<(), Failure> {
    let (api, index, setting, hp) = args.target.open()?;
    let mut rng = args.random.map(rand_chacha::ChaCha8Rng::seed_from_u64);
    let (mut seeds, chosen) = match (args.seed, rng.as_mut()) {
        (Some(seed), _) => (Seeds::Seed(seed), json!(seed)),
        (None, Some(rng)) => (Seeds::Random(rng), json!("random")),
        (None, None) => (Seeds::Mean, json!("mean")),
    };
    let info = api.more_info(index, setting, hp, args.epoch, &mut seeds).map_err(Failure::input)?;
    let entries = info.reference_entries();
    if args.json {
        let mut object = Map::new();
        object.insert("index".into(), json!(index));
        object.insert("arch".into(), json!(api.arch(index).map_err(Failure::input)?.to_string()));
        object.insert("dataset".into(), json!(setting.name()));
        object.insert("hp".into(), json!(hp.epochs()));
        object.insert("epoch".into(), json!(info.train.epoch));
        object.insert("seed".into(), chosen);
        for (key, value) in entries {
            object.insert(key, value.map_or(Value::Null, |v| json!(v)));
        }
        writeln!(out, "{}", Value::Object(object))?;
    } else {
        for (key, value) in entries {
            writeln!(out, "{key:<20}{}", value.map_or_else(|| "-".to_owned(), |v| v.to_string()))?;
        }
    }
    Ok(())
}

pub(crate) fn cost(args: CostArgs, out: &mut impl Write) -> Result<(), Failure> {
    let (api, index, setting, hp) = args.target.open()?;
    let cost = api.cost_info(index, setting, hp).map_err(Failure::input)?;
    let mut entries = vec![
        ("flops".to_owned(), Some(cost.flops)),
        ("params".to_owned(), Some(cost.params)),
        ("latency".to_owned(), cost.latency),
    ];
    entries.extend(cost.times);
    if args.json {
        let object: Map<String, Value> =
            entries.into_iter().map(|(k, v)| (k, v.map_or(Value::Null, |v| json!(v)))).collect();
        writeln!(out, "{}", Value::Object(object))?;
    } else {
        for (key, value) in entries {
            writeln!(out, "{key:<20}{}", value.map_or_else(|| "-".to_owned(), |v| v.to_string()))?;
        }
    }
    Ok(())
}

pub(crate) fn best(args: BestArgs, out: &mut impl Write) -> Result<(), Failure> {
    let api = open(&args.file)?;
    if let Some(proxy) = &args.proxy {
        let setting = args.dataset.as_deref().map(str::parse::<Setting>).transpose().map_err(Failure::input)?;
        let filter = ProxyFilter { setting, ..ProxyFilter::default() };
        let found = api.find_best_by_proxy(proxy, &filter, args.flop_max, args.param_max).map_err(Failure::input)?;
        let column = api.proxy_column(proxy, &filter).map_err(Failure::input)?.key().to_string();
        match (found, args.json) {
            (Some((index, score)), true) => {
                let arch = api.arch(index).map_err(Failure::input)?.to_string();
                let score = score.is_finite().then_some(score);
                writeln!(out, "{}", json!({"index": index, "arch": arch, "column": column, "score": score}))?
            }
            (Some((index, score)), false) => {
                writeln!(out, "{index}\t{}\t{score}", api.arch(index).map_err(Failure::input)?)?
            }
            (None, true) => writeln!(out, "{}", json!({"index": null, "column": column}))?,
            (None, false) => writeln!(out, "no cell scored by {column} within the limits")?,
        }
        return Ok(());
    }
    let (Some(dataset), Some(set_name), Some(hp)) = (&args.dataset, &args.set, args.hp) else {
        unreachable!("clap requires --dataset, --set and --hp without --proxy");
    };
    let (setting, set) = remap_names(dataset, set_name).map_err(Failure::input)?;
    let found = api.find_best(setting, set, Hp::new(hp), args.flop_max, args.param_max).map_err(Failure::input)?;
    let set_name = set.map_or("train", |s| s.name());
    match (found, args.json) {
        (Some((index, accuracy)), true) => {
            let arch = api.arch(index).map_err(Failure::input)?.to_string();
            writeln!(
                out,
                "{}",
                json!({"index": index, "arch": arch, "dataset": setting.name(), "set": set_name, "hp": hp, "accuracy": accuracy})
            )?
        }
        (Some((index, accuracy)), false) => {
            let arch = api.arch(index).map_err(Failure::input)?;
            writeln!(out, "{index}\t{arch}\t{accuracy}")?
        }
        (None, true) => {
            writeln!(out, "{}", json!({"index": null, "dataset": setting.name(), "set": set_name, "hp": hp}))?
        }
        (None, false) => writeln!(out, "no cell of {} hp {hp} has {set_name} within the limits", setting.name())?,
    }
    Ok(())
}

fn open(path: &std::path::Path) -> Result<Api, Failure> {
    Api::open(path).map_err(Failure::input)
}
