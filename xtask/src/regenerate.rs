//! `cargo xtask regenerate`: the whole pipeline from cells to a benchmark file, in stages, resumable, shardable
//! (docs/REGENERATE.md).
//!
//! 1. meta: the plan (cells, settings, seeds, schedules, network and data options) is written once to
//!    `OUT/plan.json` and must be the same on every restart and on every shard.
//! 2. train: each trial of the plan (of this shard) without a record in `OUT/trials/` runs through the release
//!    binary of nb102-train (`--resume`, so a trial cut short goes on from its last epoch).
//! 3. cal: the latency of each cell per setting on this machine, through the release binary of nb102-model.
//! 4. merge: every record, with its cell's latency, into `OUT/<profile>-XXXXXX.nb102`; then a summary.
//!
//! This crate links no libtorch: training and latency run as child processes. Killing the process group
//! (Ctrl-C) at any point and running the same command again loses at most the epoch in progress.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use nb102_api::Api;
use nb102_space::{Arch, Channels, Space};
use nb102_store::{BenchmarkKind, BenchmarkMeta, EvalSet, Hp, ProxyTable, Role, Setting};
use rand::SeedableRng;

use crate::plan::{Plan, ProxyPlan, Trial};
use crate::slurm::SlurmOptions;
use crate::workspace::{progress, release_binaries, root};

struct Options {
    profile: String,
    /// A plan written by the meta stage, run instead of a profile's (what Slurm tasks are given).
    plan: Option<PathBuf>,
    /// Where the release binaries of nb102-train and nb102-model are, instead of building them.
    bin_dir: Option<PathBuf>,
    slurm: Option<SlurmOptions>,
    out: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    splits_dir: Option<PathBuf>,
    /// As given: indices or strings, read in the profile's space.
    archs: Option<Vec<String>>,
    settings: Option<Vec<Setting>>,
    seeds: Option<Vec<u32>>,
    hps: Option<Vec<u16>>,
    channels: Option<i64>,
    cells: Option<i64>,
    subset: Option<usize>,
    batch_size: Option<usize>,
    devices: Vec<String>,
    jobs: Option<usize>,
    shard: (usize, usize),
    stage: String,
    quiet: bool,
    /// The zero-cost proxies to score of every cell (`--proxies`), with their batch's seed and size.
    proxies: Option<Vec<nb102_protocol::Proxy>>,
    proxy_seed: u32,
    proxy_batch_size: usize,
}

impl Options {
    /// Whether an option changes the profile's cells, trials or training (the data folders only say where).
    fn customises_plan(&self) -> bool {
        self.archs.is_some()
            || self.settings.is_some()
            || self.seeds.is_some()
            || self.hps.is_some()
            || self.channels.is_some()
            || self.cells.is_some()
            || self.subset.is_some()
            || self.batch_size.is_some()
    }
}

const USAGE: &str = "cargo xtask regenerate [--profile demo|nb201|demo-sss|nats-sss] [--out DIR] [--data-dir D] \
    [--splits-dir D] [--archs I,J,..|resnet,..|8:16:24:32:40,..] [--settings S,..] [--seeds N,..] [--hp 12,200] \
    [--channels C] [--cells N] \
    [--subset K] [--batch-size B] [--proxies P,..] [--proxy-seed S] [--proxy-batch-size B] \
    [--device cpu|auto|cuda:0,cuda:1] [--jobs J] [--shard I/N] [--stage all|meta|train|cal|proxies|merge] \
    [--quiet] [--plan PLAN.json] [--bin-dir DIR] [--slurm [--shards N] [--partition P] [--account A] [--gres G] \
    [--time T] [--array-parallel K] [--sbatch-arg ARG].. [--retries R] [--poll SECONDS] [--emit DIR]]";

/// The cells of the demo: the ones a NAS researcher knows (one of each kind of op), then seeded random ones.
const DEMO_CELLS: [usize; 6] = [
    11472, // ResNet
    1462,  // every edge a 3x3 convolution
    4317,  // every edge a 1x1 convolution
    1835,  // every edge a skip connection
    7581,  // every edge an average pool
    1651,  // every edge none: the output is constant, so it stays at chance
];

/// Cells in the demo: the notable ones and two random ones.
const DEMO_SIZE: usize = 8;

/// The networks of the size space's demo: the same width in every layer from narrowest to widest, and the widths
/// rising and falling through the network.
const DEMO_SSS_NETWORKS: [&str; 6] =
    ["8:8:8:8:8", "16:16:16:16:16", "24:24:24:24:24", "32:32:32:32:32", "8:16:24:32:40", "40:32:24:16:8"];

pub(crate) fn run(args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let options = parse(args)?;
    let plan = match &options.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading --plan {}", path.display()))?;
            Plan::read(&text)
                .with_context(|| format!("{}: expected a plan written by the meta stage", path.display()))?
        }
        None => make_plan(&options)?,
    };
    let out = options.out.clone().unwrap_or_else(|| root().join("target/regenerate").join(&plan.profile));
    std::fs::create_dir_all(out.join("trials"))?;
    std::fs::create_dir_all(out.join("cal"))?;
    let say = |line: String| {
        if !options.quiet || line.starts_with("wrote") {
            println!("{line}");
        }
    };
    say(format!("{} — {}", plan.profile, plan.description));

    // 1. meta
    let plan_path = out.join("plan.json");
    let text = serde_json::to_string_pretty(&plan)? + "\n";
    let write_plan = || nb102_store::write_atomically(&plan_path, |f| std::io::Write::write_all(f, text.as_bytes()));
    match std::fs::read_to_string(&plan_path) {
        Ok(saved) if saved == text => say(format!("plan: {} (as before)", plan_path.display())),
        // An earlier version's writing of the same plan: rewritten as this version writes it.
        Ok(saved) if Plan::read(&saved).is_ok_and(|saved| saved == plan) => {
            write_plan()?;
            say(format!("plan: {} (as before)", plan_path.display()));
        }
        Ok(_) => bail!(
            "{}: expected the same plan as this command's, found another (other options or profile); use the \
             options it was made with, or another --out",
            plan_path.display()
        ),
        Err(_) => {
            write_plan()?;
            say(format!("plan: {} trials, written to {}", plan.trials.len(), plan_path.display()));
        }
    }
    let stage = options.stage.as_str();
    let (shard, shards) = options.shard;
    let mine: Vec<&Trial> =
        plan.trials.iter().enumerate().filter(|(i, _)| i % shards == shard).map(|(_, t)| t).collect();
    if stage == "meta" {
        return Ok(());
    }
    let bins = match &options.bin_dir {
        Some(dir) => (dir.join("nb102-train"), dir.join("nb102-model")),
        None => build_binaries(&options)?,
    };
    if let Some(slurm) = &options.slurm {
        let run = crate::slurm::Submission {
            plan: &plan,
            plan_path: &plan_path,
            out: &out,
            binaries: [bins.0.as_path(), bins.1.as_path()],
            devices: options.devices.join(","),
            jobs: options.jobs,
            quiet: options.quiet,
        };
        return match crate::slurm::run(&run, slurm)? {
            Some(path) => {
                say(format!("wrote {}", path.display()));
                summary(&plan, &path, &say)
            }
            None => Ok(()),
        };
    }

    // 2. train
    if matches!(stage, "all" | "train") {
        let todo: Vec<&Trial> =
            mine.iter().copied().filter(|t| !out.join("trials").join(t.file_name()).exists()).collect();
        say(format!("train: {} of {} trials of this shard to run", todo.len(), mine.len()));
        train_all(&plan, &todo, &out, &bins.0, &options)?;
    }
    // 3. cal
    let calibrations: Vec<&Trial> = {
        let mut trials = mine.clone();
        trials.sort_by_key(|t| (t.index, t.setting));
        trials.dedup_by_key(|t| (t.index, t.setting));
        trials
    };
    if matches!(stage, "all" | "cal") {
        let todo: Vec<&Trial> =
            calibrations.iter().copied().filter(|t| !cal_path(&out, t.index, t.setting).exists()).collect();
        say(format!("cal: latency of {} cell/setting pairs to measure", todo.len()));
        let bar = progress(todo.len(), "cal  ", options.quiet);
        for trial in &todo {
            calibrate(&plan, trial, &out, &bins.1, &options.devices[0])?;
            bar.inc(1);
        }
        bar.finish_and_clear();
    }
    // 4. proxies
    if let (Some(proxies), true) = (&plan.proxies, matches!(stage, "all" | "proxies")) {
        score_cells(&plan, proxies, &out, &bins.1, options.shard, &options.devices[0], &say)?;
    }
    // 5. merge
    if !matches!(stage, "all" | "merge") {
        return Ok(());
    }
    if shards > 1 && stage == "all" {
        say(format!(
            "shard {}/{shards} done; once every shard's trials and cal files are in {}, run the same command with \
             --stage merge (and no --shard) to write the benchmark file",
            shard,
            out.display()
        ));
        return Ok(());
    }
    let path = merge(&plan, &out)?;
    say(format!("wrote {}", path.display()));
    summary(&plan, &path, &say)
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
    let mut o = Options {
        profile: "demo".into(),
        plan: None,
        bin_dir: None,
        slurm: None,
        out: None,
        data_dir: None,
        splits_dir: None,
        archs: None,
        settings: None,
        seeds: None,
        hps: None,
        channels: None,
        cells: None,
        subset: None,
        batch_size: None,
        devices: vec!["auto".into()],
        jobs: None,
        shard: (0, 1),
        stage: "all".into(),
        quiet: false,
        proxies: None,
        proxy_seed: 0,
        proxy_batch_size: 64,
    };
    fn list<T: std::str::FromStr>(value: &str, what: &str) -> anyhow::Result<Vec<T>>
    where
        T::Err: std::fmt::Display,
    {
        value.split(',').map(|v| v.trim().parse::<T>().map_err(|e| anyhow::anyhow!("{what} {v:?}: {e}"))).collect()
    }
    let mut slurm = SlurmOptions::default();
    let mut use_slurm = false;
    while let Some(arg) = args.next() {
        // The flags; every other option takes a value.
        match arg.as_str() {
            "--quiet" => {
                o.quiet = true;
                continue;
            }
            "--slurm" => {
                use_slurm = true;
                continue;
            }
            _ => {}
        }
        let value = args.next().with_context(|| format!("{arg} needs a value; usage: {USAGE}"))?;
        if slurm.parse(&arg, &value)? {
            continue;
        }
        match arg.as_str() {
            "--profile" => o.profile = value,
            "--plan" => o.plan = Some(value.into()),
            "--bin-dir" => o.bin_dir = Some(value.into()),
            "--out" => o.out = Some(value.into()),
            "--data-dir" => o.data_dir = Some(value.into()),
            "--splits-dir" => o.splits_dir = Some(value.into()),
            // Indices, the names of xautodl's cells (`resnet`, …) that the seed's train-a-net.sh takes, or channel
            // strings: read in the profile's space once the plan is made.
            "--archs" => o.archs = Some(list(&value, "architecture")?),
            "--settings" => o.settings = Some(list(&value, "setting")?),
            "--seeds" => o.seeds = Some(list(&value, "seed")?),
            "--hp" => o.hps = Some(list(&value, "hp")?),
            "--channels" => o.channels = Some(value.parse().context("--channels needs a number")?),
            "--cells" => o.cells = Some(value.parse().context("--cells needs a number")?),
            "--subset" => o.subset = Some(value.parse().context("--subset needs a number")?),
            "--batch-size" => o.batch_size = Some(value.parse().context("--batch-size needs a number")?),
            "--device" => o.devices = value.split(',').map(str::to_owned).collect(),
            "--jobs" => o.jobs = Some(value.parse().context("--jobs needs a number")?),
            "--shard" => {
                let (i, n) = value.split_once('/').context("--shard needs I/N")?;
                let (i, n): (usize, usize) = (i.parse()?, n.parse()?);
                if n == 0 || i >= n {
                    bail!("invalid --shard: expected I/N with I below N, found {value}");
                }
                o.shard = (i, n);
            }
            "--stage" => {
                if !matches!(value.as_str(), "all" | "meta" | "train" | "cal" | "proxies" | "merge") {
                    bail!("invalid --stage: expected all, meta, train, cal, proxies or merge, found {value}");
                }
                o.stage = value;
            }
            "--proxies" => o.proxies = Some(nb102_protocol::parse_proxies(&value)?),
            "--proxy-seed" => o.proxy_seed = value.parse().context("--proxy-seed needs a number")?,
            "--proxy-batch-size" => {
                o.proxy_batch_size = value.parse().context("--proxy-batch-size needs a number")?;
                if o.proxy_batch_size == 0 {
                    bail!("invalid --proxy-batch-size: expected a positive number, found 0");
                }
            }
            other => bail!("unexpected argument {other:?}; usage: {USAGE}"),
        }
    }
    if use_slurm {
        o.slurm = Some(slurm);
    } else if slurm != SlurmOptions::default() {
        bail!("the Slurm options (--shards, --partition, --emit, ...) need --slurm; usage: {USAGE}");
    }
    if o.slurm.is_some() && (o.stage != "all" || o.shard != (0, 1)) {
        bail!("--slurm runs every stage over its own shards: expected no --stage or --shard, found them");
    }
    if o.plan.is_some()
        && (o.customises_plan() || o.data_dir.is_some() || o.splits_dir.is_some() || o.proxies.is_some())
    {
        bail!("--plan gives the whole plan: expected no option that changes it (--archs, --hp, ...), found some");
    }
    Ok(o)
}

/// The plan of the profile, with the options' overrides.
fn make_plan(o: &Options) -> anyhow::Result<Plan> {
    let fashion = PathBuf::from("/usr/share/datasets/fashion-mnist");
    // A profile's seeds are per schedule (the size space's paper runs: three seeds at 12 epochs, one at 1 and 90);
    // `--seeds` gives every schedule the same.
    type Profile = (&'static str, Vec<usize>, Vec<Setting>, fn(u16) -> Vec<u32>, Vec<u16>, Plan);
    let (description, archs, settings, seeds_of_hp, hps, mut plan): Profile = match o.profile.as_str() {
        "demo" => {
            // The notable cells and two seeded random ones; reduced width, depth, epochs, data and batch, chosen
            // so that 2 CPU cores train all 16 trials in about three minutes, to accuracies that rank the cells
            // as a NAS researcher expects (docs/REGENERATE.md).
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2019);
            let mut archs: Vec<usize> = DEMO_CELLS.to_vec();
            while archs.len() < DEMO_SIZE {
                let index = Arch::random(&mut rng).official_index();
                if !archs.contains(&index) {
                    archs.push(index);
                }
            }
            let data = o.data_dir.clone().unwrap_or(fashion);
            (
                "demo benchmark: 8 cells on real Fashion-MNIST, 8 channels, 1 cell per stage, 8 epochs of 4,000 \
                 images in batches of 128; not NAS-Bench-201",
                archs,
                vec![Setting::FashionMnist],
                |_| vec![777, 888],
                vec![8],
                Plan {
                    profile: "demo".into(),
                    space: None,
                    description: String::new(),
                    data_dir: data,
                    splits_dir: None,
                    channels: 8,
                    cells: 1,
                    subset: Some(4000),
                    batch_size: Some(128),
                    latency_batches: Some(3),
                    trials: Vec::new(),
                    proxies: None,
                },
            )
        }
        "nb201" => {
            let data = o.data_dir.clone().context("--profile nb201 needs --data-dir (CIFAR-10/100, ImageNet16)")?;
            let splits =
                o.splits_dir.clone().context("--profile nb201 needs --splits-dir (the official split files)")?;
            (
                "NAS-Bench-201: every cell, four settings, 12 and 200 epochs, seeds 777/888/999 (C16 N5)",
                (0..nb102_space::NUM_ARCHS).collect(),
                vec![Setting::Cifar10Valid, Setting::Cifar10, Setting::Cifar100, Setting::ImageNet16_120],
                |_| vec![777, 888, 999],
                vec![12, 200],
                Plan {
                    profile: "nb201".into(),
                    space: None,
                    description: String::new(),
                    data_dir: data,
                    splits_dir: Some(splits),
                    channels: 16,
                    cells: 5,
                    subset: None,
                    batch_size: None,
                    latency_batches: None,
                    trials: Vec::new(),
                    proxies: None,
                },
            )
        }
        "demo-sss" => {
            // The size space's demo: six networks of the fixed cell, from 8 to 40 channels, on real
            // Fashion-MNIST, reduced as the topology demo is (epochs, data, batch), to accuracies that rank the
            // wider networks above the narrower ones (docs/REGENERATE.md).
            let archs = DEMO_SSS_NETWORKS.iter().map(|c| Ok(c.parse::<Channels>()?.official_index()));
            (
                "size-space demo benchmark: 6 networks on real Fashion-MNIST, 8 epochs of 4,000 images in batches \
                 of 128; not NATS-Bench",
                archs.collect::<anyhow::Result<_>>()?,
                vec![Setting::FashionMnist],
                |_| vec![777, 888],
                vec![8],
                Plan {
                    profile: "demo-sss".into(),
                    space: Some(Space::Size),
                    description: String::new(),
                    data_dir: o.data_dir.clone().unwrap_or(fashion),
                    splits_dir: None,
                    channels: 0,
                    cells: 0,
                    subset: Some(4000),
                    batch_size: Some(128),
                    latency_batches: Some(3),
                    trials: Vec::new(),
                    proxies: None,
                },
            )
        }
        "nats-sss" => {
            let data = o.data_dir.clone().context("--profile nats-sss needs --data-dir (CIFAR-10/100, ImageNet16)")?;
            let splits =
                o.splits_dir.clone().context("--profile nats-sss needs --splits-dir (the official split files)")?;
            (
                "NATS-Bench size space: every network, four settings, 1, 12 and 90 epochs, seeds 777/888/999 at 12 \
                 epochs and 777 at 1 and 90",
                (0..nb102_space::NUM_SIZES).collect(),
                vec![Setting::Cifar10Valid, Setting::Cifar10, Setting::Cifar100, Setting::ImageNet16_120],
                |hp| if hp == 12 { vec![777, 888, 999] } else { vec![777] },
                vec![1, 12, 90],
                Plan {
                    profile: "nats-sss".into(),
                    space: Some(Space::Size),
                    description: String::new(),
                    data_dir: data,
                    splits_dir: Some(splits),
                    channels: 0,
                    cells: 0,
                    subset: None,
                    batch_size: None,
                    latency_batches: None,
                    trials: Vec::new(),
                    proxies: None,
                },
            )
        }
        other => bail!("unknown --profile: expected demo, nb201, demo-sss or nats-sss, found {other:?}"),
    };
    let space = plan.space();
    if space == Space::Size && (o.channels.is_some() || o.cells.is_some()) {
        bail!("--channels, --cells: expected none for the size space (its networks' widths are the architectures)");
    }
    let archs = match &o.archs {
        Some(given) => given.iter().map(|a| space.index_of(a)).collect::<Result<_, _>>().context("invalid --archs")?,
        None => archs,
    };
    let settings = o.settings.clone().unwrap_or(settings);
    let seeds = |hp: u16| o.seeds.clone().unwrap_or_else(|| seeds_of_hp(hp));
    let hps = o.hps.clone().unwrap_or(hps);
    plan.description =
        if o.customises_plan() { format!("{description} (customised: see plan.json)") } else { description.to_owned() };
    plan.data_dir = o.data_dir.clone().unwrap_or(plan.data_dir);
    plan.splits_dir = o.splits_dir.clone().or(plan.splits_dir);
    plan.channels = o.channels.unwrap_or(plan.channels);
    plan.cells = o.cells.unwrap_or(plan.cells);
    plan.subset = o.subset.or(plan.subset);
    plan.batch_size = o.batch_size.or(plan.batch_size);
    plan.proxies = o.proxies.as_ref().map(|proxies| ProxyPlan {
        proxies: proxies.iter().map(|p| p.name().to_owned()).collect(),
        seed: o.proxy_seed,
        batch_size: o.proxy_batch_size,
    });
    for &index in &archs {
        for &hp in &hps {
            for &setting in &settings {
                for seed in seeds(hp) {
                    plan.trials.push(Trial { index, setting, hp, seed });
                }
            }
        }
    }
    Ok(plan)
}

/// Builds the release binaries of nb102-train and nb102-model (a no-op when up to date).
fn build_binaries(o: &Options) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = release_binaries(&["nb102-train", "nb102-model"], o.quiet)?;
    Ok((dir.join("nb102-train"), dir.join("nb102-model")))
}

/// Runs the trials, up to `--jobs` at a time, each on the device with the fewest trials running (so with one job
/// per device, a trial takes the device the last one freed).
///
/// On the CPU, by default one trial per core, each with one thread: the demo's small networks keep one core busy
/// better than they share two (16 demo trials on 2 cores: 4m06s one at a time with two threads, about 3 minutes
/// two at a time with one each).
fn train_all(plan: &Plan, todo: &[&Trial], out: &Path, bin: &Path, o: &Options) -> anyhow::Result<()> {
    let cuda = o.devices.iter().any(|d| d.starts_with("cuda"));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let jobs = o.jobs.unwrap_or(if cuda { o.devices.len() } else { cores }).max(1);
    let threads = (!cuda).then(|| (cores / jobs).max(1));
    let bar = progress(todo.len(), "train", o.quiet);
    // Each running trial with the index of its device.
    let mut running: Vec<(Child, &Trial, usize)> = Vec::new();
    let mut next = 0;
    while next < todo.len() || !running.is_empty() {
        while running.len() < jobs && next < todo.len() {
            let trial = todo[next];
            let load = |d: usize| running.iter().filter(|r| r.2 == d).count();
            let device = (0..o.devices.len()).min_by_key(|&d| load(d)).expect("at least one device");
            running.push((spawn_trial(plan, trial, out, bin, &o.devices[device], threads)?, trial, device));
            bar.set_message(format!("cell {} {} seed {}", trial.index, trial.setting, trial.seed));
            next += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
        let mut i = 0;
        while i < running.len() {
            if let Some(status) = running[i].0.try_wait()? {
                let (child, trial, _) = running.swap_remove(i);
                if !status.success() {
                    let mut stderr = String::new();
                    if let Some(mut e) = child.stderr {
                        std::io::Read::read_to_string(&mut e, &mut stderr)?;
                    }
                    bail!("trial {} failed ({status}): {}", trial.file_name(), stderr.trim());
                }
                if o.quiet {
                    println!("trained {}", trial.file_name());
                }
                bar.inc(1);
            } else {
                i += 1;
            }
        }
    }
    bar.finish_and_clear();
    Ok(())
}

fn spawn_trial(
    plan: &Plan,
    t: &Trial,
    out: &Path,
    bin: &Path,
    device: &str,
    threads: Option<usize>,
) -> anyhow::Result<Child> {
    let mut cmd = Command::new(bin);
    // The config goes to the child as JSON on its standard input (a few hundred bytes: the pipe holds it whole).
    cmd.args(["run", "--config", "-", "--device", device, "--resume", "--quiet"])
        .arg("--data-dir")
        .arg(&plan.data_dir)
        .arg("--out")
        .arg(out.join("trials").join(t.file_name()));
    if let Some(dir) = &plan.splits_dir {
        cmd.arg("--splits-dir").arg(dir);
    }
    if let Some(n) = threads {
        cmd.args(["--threads", &n.to_string()]);
    }
    // The child's epoch lines are only wanted when it fails.
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    let config = nb102_protocol::to_json(&plan.config(t));
    let mut stdin = child.stdin.take().expect("a piped stdin");
    // A child that exits before reading it fails with its own message, which the caller reports.
    let _ = std::io::Write::write_all(&mut stdin, config.as_bytes());
    Ok(child)
}

fn cal_path(out: &Path, index: usize, setting: Setting) -> PathBuf {
    out.join("cal").join(format!("{index:06}-{setting}.json"))
}

/// The latency of a trial's architecture on its setting's data, the reference's way, saved as nb102-model prints
/// it.
fn calibrate(plan: &Plan, trial: &Trial, out: &Path, bin: &Path, device: &str) -> anyhow::Result<()> {
    let (index, setting) = (trial.index, trial.setting);
    let mut cmd = Command::new(bin);
    cmd.arg("latency").args(plan.model_args(trial)).args(["--dataset", setting.name(), "--device", device]);
    if let Some(b) = plan.latency_batches {
        cmd.args(["--batches", &b.to_string()]);
    }
    let output = cmd.output().with_context(|| format!("running {}", bin.display()))?;
    if !output.status.success() {
        bail!("latency of cell {index} on {setting} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let path = cal_path(out, index, setting);
    nb102_store::write_atomically(&path, |f| std::io::Write::write_all(f, &output.stdout))?;
    Ok(())
}

/// Every record of the plan, with its cell's latency, into one benchmark file.
fn merge(plan: &Plan, out: &Path) -> anyhow::Result<PathBuf> {
    let mut records = Vec::with_capacity(plan.trials.len());
    let mut missing = Vec::new();
    let mut latency: BTreeMap<(usize, Setting), Vec<f64>> = BTreeMap::new();
    for t in &plan.trials {
        let path = out.join("trials").join(t.file_name());
        if !path.exists() {
            missing.push(t.file_name());
            continue;
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = latency.entry((t.index, t.setting)) {
            let cal = cal_path(out, t.index, t.setting);
            let text = std::fs::read_to_string(&cal)
                .with_context(|| format!("expected {} (the cal stage), found none", cal.display()))?;
            let report: nb102_protocol::LatencyReport =
                nb102_protocol::parse_json(&text, &cal, "a latency report of nb102-model latency")?;
            slot.insert(report.samples_s);
        }
        let mut record = nb102_store::read_trial(&path)?;
        record.latency = latency[&(t.index, t.setting)].clone();
        records.push((path.display().to_string(), record));
    }
    if !missing.is_empty() {
        bail!(
            "expected every trial of the plan in {}, found {} missing (first: {}); run the train stage (of every shard)",
            out.join("trials").display(),
            missing.len(),
            missing[0]
        );
    }
    let kind = if matches!(plan.profile.as_str(), "nb201" | "nats-sss") && !plan.description.contains("customised") {
        BenchmarkKind::Nb201
    } else {
        BenchmarkKind::Demo
    };
    let meta = BenchmarkMeta { description: plan.description.clone(), kind };
    let benchmark = nb102_store::merge(meta, records)?;
    let scores = merged_scores(plan, out)?;
    Ok(nb102_store::write_benchmark_with(&benchmark, scores, &out.join(&plan.profile))?)
}

/// The proxies stage of one shard: per setting of the plan, this shard's cells scored (`nb102-model score --shard`,
/// resumable; the batch, when a proxy reads images, drawn from the plan's data as a run seeded with the proxies'
/// seed draws its first) into `OUT/proxies/SETTING-I-of-N-XXXXXX.nb102`; a shard whose file is there is done.
fn score_cells(
    plan: &Plan,
    proxies: &ProxyPlan,
    out: &Path,
    model_bin: &Path,
    (shard, shards): (usize, usize),
    device: &str,
    say: &dyn Fn(String),
) -> anyhow::Result<()> {
    let dir = out.join("proxies");
    std::fs::create_dir_all(&dir)?;
    let names = proxies.proxies.join(",");
    let reads_images = nb102_protocol::parse_proxies(&names)?.iter().any(|p| p.needs() == nb102_protocol::Needs::Batch);
    let cells: Vec<String> = plan.cells().iter().map(usize::to_string).collect();
    if !has_cells(cells.len(), shard) {
        say(format!("proxies: shard {shard}/{shards} has none of the {} cells", cells.len()));
        return Ok(());
    }
    for setting in plan.settings() {
        let prefix = scores_prefix(out, setting, (shard, shards));
        if nb102_store::find_benchmark(&prefix)?.is_some() {
            continue;
        }
        let mut score = Command::new(model_bin);
        score.args(["score", "--archs", &cells.join(","), "--dataset", setting.name(), "--proxies", &names]);
        score.args(["--seed", &proxies.seed.to_string(), "--shard", &format!("{shard}/{shards}"), "--device", device]);
        score.arg("--batch-size").arg(proxies.batch_size.to_string()).arg("--quiet").arg("-o").arg(&prefix);
        match plan.space() {
            Space::Topology => {
                score.args(["--channels", &plan.channels.to_string(), "--cells", &plan.cells.to_string()]);
            }
            Space::Size => {
                score.args(["--space", "sss"]);
            }
        }
        if reads_images {
            score.arg("--data-dir").arg(&plan.data_dir);
            if let Some(splits) = &plan.splits_dir {
                score.arg("--splits-dir").arg(splits);
            }
        }
        say(format!("proxies: scoring the {} cells of shard {shard}/{shards} on {setting}", cells.len()));
        run_quietly(&mut score, "nb102-model score")?;
    }
    Ok(())
}

/// Where the proxies stage of shard `shard` of `shards` writes its scores of `setting`.
fn scores_prefix(out: &Path, setting: Setting, (shard, shards): (usize, usize)) -> PathBuf {
    out.join("proxies").join(format!("{setting}-{shard}-of-{shards}"))
}

/// Whether the proxies stage of shard `shard` of `shards` is done: its scores of every setting of the plan are
/// written (at once when the plan has no proxies).
pub(crate) fn shard_scored(plan: &Plan, out: &Path, shard: (usize, usize)) -> anyhow::Result<bool> {
    if plan.proxies.is_none() || !has_cells(plan.cells().len(), shard.0) {
        return Ok(true);
    }
    for setting in plan.settings() {
        if nb102_store::find_benchmark(&scores_prefix(out, setting, shard))?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether shard `shard` of a list of `len` cells scores any: `--shard i/N` takes every N-th cell from the i-th, so
/// there are more shards than cells when training trials (several per cell) are what the shards divide.
fn has_cells(len: usize, shard: usize) -> bool {
    shard < len
}

/// Runs a child to completion; its failure is this stage's, with the last line it printed.
fn run_quietly(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("starting {what}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{what} failed ({}): {}", output.status, stderr.lines().last().unwrap_or(""));
    }
    Ok(())
}

/// The proxy scores of every shard of the proxies stage, merged, checked to score every cell of the plan on each
/// of its settings.
fn merged_scores(plan: &Plan, out: &Path) -> anyhow::Result<Option<ProxyTable>> {
    let Some(proxies) = &plan.proxies else { return Ok(None) };
    let mut table = ProxyTable::new(plan.space());
    let dir = out.join("proxies");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("expected {} (the proxies stage), found none", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "nb102"))
        .collect();
    for path in &files {
        let file = nb102_store::BenchmarkFile::open(path)?;
        if let Some(scores) = file.proxies()? {
            table.merge(scores).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
    }
    let cells = plan.cells();
    for setting in plan.settings() {
        for proxy in &proxies.proxies {
            let scored = table
                .columns()
                .iter()
                .find(|c| {
                    c.key().proxy == *proxy
                        && c.key().setting == setting
                        && c.key().seed == Some(u64::from(proxies.seed))
                })
                .map_or(0, |c| cells.iter().filter(|&&i| c.has(i)).count());
            if scored != cells.len() {
                bail!(
                    "expected {proxy} scores of all {} cells on {setting} in {}, found {scored}; run the proxies stage \
                     (of every shard)",
                    cells.len(),
                    dir.display()
                );
            }
        }
    }
    Ok(Some(table))
}

/// What the file holds, and the best cell of each setting and schedule by its validation accuracy.
pub(crate) fn summary(plan: &Plan, path: &Path, say: &dyn Fn(String)) -> anyhow::Result<()> {
    let mut trained = Vec::new();
    for t in &plan.trials {
        let hp = Hp::new(t.hp);
        if !trained.contains(&(t.setting, hp)) {
            trained.push((t.setting, hp));
        }
    }
    summarise(&Api::open(path)?, path, &trained, say)
}

/// The summary of a file whose trials are of `trained` (settings and schedules, in plan order): each one's best
/// cell and ranking on its setting's validation set, or for `cifar10`, which has none, its test set.
fn summarise(api: &Api, path: &Path, trained: &[(Setting, Hp)], say: &dyn Fn(String)) -> anyhow::Result<()> {
    let rows = api.summary()?;
    // The topology space's architectures are cells; the size space's, networks of one cell.
    let noun = if api.space() == Space::Size { "network" } else { "cell" };
    say(format!("{} {noun}s, {} trials", api.evaluated()?.len(), rows.len()));
    for &(setting, hp) in trained {
        let set = ranked_set(setting);
        if let Some((index, accuracy)) = api.find_best(setting, Some(set), hp, None, None)? {
            let arch = api.arch(index)?;
            say(format!("best on {setting} (hp {hp}, {}): {noun} {index} {arch} at {accuracy:.2}%", set.name()));
        }
        ranking(api, rows, (setting, set, hp), noun, say)?;
    }
    if let Some(&(setting, hp)) = trained.first() {
        say(format!(
            "query it: nb102 info {p}; nb102 best {p} --dataset {setting} --set {} --hp {hp}",
            ranked_set(setting).name(),
            p = path.display(),
        ));
    }
    Ok(())
}

/// The set a summary ranks cells of `setting` on: its validation set, else its test set.
fn ranked_set(setting: Setting) -> EvalSet {
    setting.set_for(Role::Valid).unwrap_or(setting.test_set())
}

/// The cells of one setting and schedule ranked by their seeds' mean accuracy on `set` after the last epoch (the
/// reference's mean, as every query takes it), the ten best of them, each with its seeds' accuracies.
fn ranking(
    api: &Api,
    rows: &[nb102_store::TrialSummary],
    (setting, set, hp): (Setting, EvalSet, Hp),
    noun: &str,
    say: &dyn Fn(String),
) -> anyhow::Result<()> {
    let mut cells: Vec<(usize, f64)> =
        api.cell_means(setting, Some(set), hp)?.into_iter().filter_map(|c| Some((c.index, c.accuracy?))).collect();
    cells.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    say(format!("ranking on {setting} (hp {hp}, {}, mean of the seeds):", set.name()));
    for (rank, &(index, mean)) in cells.iter().take(10).enumerate() {
        let at = rows.partition_point(|r| r.index < index);
        let seeds: Vec<String> = rows[at..]
            .iter()
            .take_while(|r| r.index == index)
            .filter(|r| r.setting == setting && r.hp == hp)
            .filter_map(|r| r.accuracy(Some(set)))
            .map(|a| format!("{a:.2}"))
            .collect();
        let arch = api.arch(index)?;
        say(format!("{:>4}. {mean:6.2}% ({}) {noun} {index:>5} {arch}", rank + 1, seeds.join(", ")));
    }
    if cells.len() > 10 {
        say(format!("      … and {} more (nb102 best, nb102 query)", cells.len() - 10));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use nb102_store::{BenchmarkKind, EvalPoint, NetConfig, Provenance, TrainEpoch, TrialRecord};

    use super::*;

    /// A trial of `setting` whose accuracy on every set after the last epoch is `accuracy`.
    fn trial(index: usize, setting: Setting, seed: u32, accuracy: f64) -> TrialRecord {
        let eval = setting
            .eval_sets()
            .iter()
            .map(|&set| (set, vec![EvalPoint { epoch: 1, loss: Some(1.0), accuracy: Some(accuracy), time: None }]))
            .collect::<BTreeMap<_, _>>();
        TrialRecord {
            arch: Arch::from_official_index(index).unwrap().into(),
            setting,
            hp: Hp::new(2),
            seed,
            net: NetConfig { channels: 2, cells: 1, classes: setting.dataset().classes() as u32 },
            train: vec![TrainEpoch { loss: 1.0, top1: 50.0, top5: None, time: None }; 2],
            eval,
            params_mb: 0.1,
            flops_m: 1.0,
            latency: vec![],
            provenance: Provenance {
                producer: "test".into(),
                config_hash: None,
                config: None,
                device: None,
                dataset_fingerprint: None,
            },
            weights: None,
        }
    }

    /// Every setting gets its best cell and ranking, on the set it evaluates every epoch: `cifar10`, which holds
    /// out no validation half, on its test set.
    #[test]
    fn the_summary_ranks_every_setting() {
        let dir = std::env::temp_dir().join(format!("nb102-summary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (setting, set) in [(Setting::Cifar10, "ori-test"), (Setting::Cifar100, "x-valid")] {
            let records = [(11472, 777, 80.0), (11472, 888, 82.0), (1462, 777, 85.0), (1462, 888, 84.0)]
                .map(|(index, seed, accuracy)| (format!("{index}-{seed}"), trial(index, setting, seed, accuracy)));
            let meta = BenchmarkMeta { description: "summary".into(), kind: BenchmarkKind::Demo };
            let path =
                nb102_store::write_benchmark(&nb102_store::merge(meta, records).unwrap(), &dir.join("s")).unwrap();
            let lines = Mutex::new(Vec::new());
            let say = |line: String| lines.lock().unwrap().push(line);
            summarise(&Api::open(&path).unwrap(), &path, &[(setting, Hp::new(2))], &say).unwrap();
            let lines = lines.into_inner().unwrap();
            let best = format!("best on {setting} (hp 2, {set}): cell 1462 ");
            assert!(lines.iter().any(|l| l.starts_with(&best) && l.ends_with("at 84.50%")), "{lines:#?}");
            let first = lines.iter().position(|l| l.starts_with("ranking on")).unwrap();
            assert!(lines[first + 1].contains(" 84.50% (85.00, 84.00) cell  1462"), "{lines:#?}");
            assert!(lines[first + 2].contains(" 81.00% (80.00, 82.00) cell 11472"), "{lines:#?}");
            assert!(lines.last().unwrap().contains(&format!("--set {set} --hp 2")), "{lines:#?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
