//! `nb102-model`: the benchmark's networks from the command line, of the topology space and of the size space:
//! costs, a forward pass with given weights, zero-cost proxies, and latency.
//!
//! Bad input (an architecture, dataset or device that does not parse, a missing or mismatched weight
//! file) is one line on stderr and exit status 2; a failure to write the output is exit status 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use clap::{Args, Parser, Subcommand};
use nb102_command::Failure;
use nb102_model::{
    load_weights, measure_latency, read_tensors, reference_batches, write_safetensors, Batch, CellMode, Dataset,
    DeviceSpec, GumbelSample, Network, NetworkConfig, SearchConfig, SearchModel, SearchNetwork, SizeConfig, Skeleton,
    TinyNetwork,
};
use nb102_protocol::{Needs, Proxy};
use nb102_space::{Arch, Channels, Genotype, Space};
use serde_json::json;
use tch::nn::VarStore;
use tch::Kind;

/// The NAS-Bench-201 and NATS-Bench networks: costs, forward passes, latency.
#[derive(Parser)]
#[command(name = "nb102-model", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parameters (millions) and FLOPs (millions) the reference's way, in total and per part.
    Info {
        #[command(flatten)]
        net: NetArgs,
        /// Input height and width, e.g. 32x32 (default: the dataset's).
        #[arg(long, value_name = "HxW")]
        input: Option<String>,
        /// Input channels (default: the dataset's).
        #[arg(long)]
        in_channels: Option<i64>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run the network on tensor `x` of a safetensors file; write `logits` and `features`.
    ///
    /// With --search, the search model of a weight-sharing baseline (xautodl's state dict, `arch_parameters`
    /// included where the model has them; cell batch norms with or without running statistics and convolutions
    /// with or without bias, as the file holds them), in train mode as during search: darts (softmax-weighted
    /// cells), gdas (Gumbel-sampled cells, from the Exp(1) draws `exponentials` [6, 5] of the input file and
    /// --tau), setn (weighted, or the path --arch), enas and rsps (the path --arch).
    Forward {
        /// An official index, an architecture string, xautodl's name, or a size-space channel string such as
        /// 8:16:24:32:40 (with --search: the path of a single-path model).
        #[arg(long, allow_hyphen_values = true)]
        arch: Option<String>,
        #[command(flatten)]
        shape: ShapeArgs,
        /// darts, gdas, setn, enas or rsps: run that search model.
        #[arg(long, value_name = "MODEL")]
        search: Option<String>,
        /// GDAS's Gumbel-softmax temperature.
        #[arg(long, default_value_t = 10.0)]
        tau: f64,
        /// State dict to load: .safetensors, or .pt/.pth/.bin from torch.save.
        #[arg(long)]
        weights: PathBuf,
        /// Safetensors file holding the input batch `x` of shape [b, channels, h, w].
        #[arg(long)]
        input: PathBuf,
        /// Safetensors file to write.
        #[arg(long)]
        output: PathBuf,
        /// Train-mode forward (batch statistics); the output then also holds the updated state dict.
        #[arg(long)]
        train_mode: bool,
        /// auto, cpu or cuda:N.
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// Zero-cost proxies of the network from one batch, as zero-cost-nas's and NASLib's code computes them
    /// (docs/PROXIES.md): train mode, one fresh copy per measure, scores summed over conv and linear weights.
    Proxies {
        #[command(flatten)]
        net: NetArgs,
        /// State dict to score: .safetensors, or .pt/.pth/.bin from torch.save (default: the reference's
        /// initialisation drawn after manual_seed(--seed)).
        #[arg(long)]
        weights: Option<PathBuf>,
        #[command(flatten)]
        options: ProxyOptions,
        /// Print one JSON object {"proxy": score, ...} (null for NaN or an infinity).
        #[arg(long)]
        json: bool,
    },
    /// Zero-cost proxies of many cells into a file of proxy scores alone (PREFIX-XXXXXX.nb102, which `nb102
    /// add-proxies` adds to a benchmark), with a progress bar. Each cell's weights, and zen's draws, come from
    /// manual_seed(--seed), so a cell's scores depend on it and the seed only. Resumable: a killed run started
    /// again with the same arguments goes on from its journal (PREFIX.journal). Shardable: --shard i/N scores every
    /// N-th cell from the i-th.
    Score {
        /// `all`, or official indices and ranges such as 0-99,11472.
        #[arg(long, default_value = "all")]
        archs: String,
        #[command(flatten)]
        shape: ShapeArgs,
        #[command(flatten)]
        options: ProxyOptions,
        /// Score only shard i of N (i/N, 0 <= i < N).
        #[arg(long)]
        shard: Option<String>,
        /// Output prefix: the file written is PREFIX-XXXXXX.nb102.
        #[arg(short, long)]
        output: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Inference latency per batch, the reference's way (eval mode, no grad, first sample dropped).
    Latency {
        #[command(flatten)]
        net: NetArgs,
        /// auto, cpu or cuda:N.
        #[arg(long, default_value = "auto")]
        device: String,
        /// Images per batch.
        #[arg(long, default_value_t = 256)]
        batch: i64,
        /// Batches to time (default: as many full batches as the reference's test loader has).
        #[arg(long)]
        batches: Option<usize>,
    },
}

/// How proxies are computed: the batch, the seed, which proxies, the post-processing and the device.
#[derive(Args)]
struct ProxyOptions {
    /// Safetensors file holding the batch: images `x` [b, channels, h, w] (the network takes their shape) and
    /// labels `y` [b]. Needed by every proxy but synflow, synflow_bn, zen, l2_norm, params and flops, which read
    /// no image (or --data-dir).
    #[arg(long, conflicts_with = "data_dir")]
    input: Option<PathBuf>,
    /// The folder holding the --dataset setting's data (docs/TRAINING.md has the layouts): the batch is then the
    /// first training batch of a run of that setting seeded with --seed (shuffled, cropped, flipped, normalised),
    /// the reference's dataload 'random', as `nb102-train batch` writes it.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The folder of the official split files, for cifar10-valid's training part (default: the split built in).
    #[arg(long, requires = "data_dir")]
    splits_dir: Option<PathBuf>,
    /// Seed of the initial weights, and of zen's draws (manual_seed right before them); with --data-dir, also the
    /// run seed the batch is drawn with.
    #[arg(long, default_value_t = 0)]
    seed: i64,
    /// Images of the batch to use: the first B of --input, or B drawn from --data-dir, or the shape's batch
    /// without either (default: all of --input, else 64).
    #[arg(long)]
    batch_size: Option<i64>,
    /// Comma-separated proxy names (default: all of them with --input or --data-dir, else those that read no
    /// image).
    #[arg(long)]
    proxies: Option<String>,
    /// NASLib's post-processing, as NAS-Bench-Suite-Zero's scores: NaN and infinities become -1e8, synflow its
    /// logarithm.
    #[arg(long)]
    naslib: bool,
    /// auto, cpu or cuda:N.
    #[arg(long, default_value = "auto")]
    device: String,
}

impl ProxyOptions {
    /// The proxies asked for, the batch for `network` (whose input takes the batch's shape) on the device, where
    /// the batch came from (for a file's record), and the device. `dataset` is the --dataset argument: the setting
    /// --data-dir's batch is drawn from.
    fn prepare(&self, network: Network, dataset: &str) -> anyhow::Result<Prepared> {
        let device = self.device.parse::<DeviceSpec>()?.resolve()?;
        let proxies = match &self.proxies {
            Some(list) => nb102_protocol::parse_proxies(list)?,
            None if self.input.is_some() || self.data_dir.is_some() => Proxy::ALL.to_vec(),
            None => Proxy::ALL.into_iter().filter(|p| p.needs() != Needs::Batch).collect(),
        };
        if let Some(b) = self.batch_size.filter(|&b| b < 1) {
            return Err(anyhow!("invalid --batch-size: expected a positive number, found {b}"));
        }
        let (batch, source) = match (&self.input, &self.data_dir) {
            (Some(input), _) => file_batch(input, self.batch_size).map(|(b, s)| (b, Some(s)))?,
            (None, Some(dir)) => self.drawn_batch(dir, dataset).map(|(b, s)| (b, Some(s)))?,
            (None, None) => (no_batch(&network, self.batch_size, &proxies)?, None),
        };
        // The network takes the batch's images as they are, as `forward` does.
        let network = match batch.x.size().as_slice() {
            &[_, c, h, w] => network.with_input(c, (h, w)),
            _ => network,
        };
        let batch = batch.checked(&network, device)?;
        Ok(Prepared { proxies, network, batch, source, device })
    }

    /// The first training batch of a run of `dataset`'s setting seeded with --seed, from --data-dir.
    fn drawn_batch(&self, dir: &Path, dataset: &str) -> anyhow::Result<(Batch, String)> {
        let setting: nb102_store::Setting = dataset.parse()?;
        let seed = u32::try_from(self.seed).map_err(|_| {
            anyhow!("invalid --seed with --data-dir: expected a run seed in 0..=4294967295, found {}", self.seed)
        })?;
        let train = nb102_loader::SettingData::load_train(setting, dir, self.splits_dir.as_deref())?;
        let size = self.batch_size.unwrap_or(64) as usize;
        if size > train.len() {
            let n = train.len();
            return Err(anyhow!(
                "invalid --batch-size: expected at most the {n} training images of {setting}, found {size}"
            ));
        }
        let normalization = nb102_loader::Normalization::of(setting.dataset());
        let (x, y) = nb102_loader::batches::first_batch(&train, &normalization, seed, size, tch::Device::Cpu);
        let source = format!("the first training batch of a {setting} run seeded {seed} ({size} images)");
        Ok((Batch { x, y }, source))
    }
}

/// What [`ProxyOptions::prepare`] makes.
struct Prepared {
    proxies: Vec<Proxy>,
    network: Network,
    batch: Batch,
    /// Where the batch came from, in words (none for zeros).
    source: Option<String>,
    device: tch::Device,
}

#[derive(Args)]
struct NetArgs {
    /// An official index, an architecture string, xautodl's resnet, all_c3x3, all_c1x1, all_idnt or all_full, or a
    /// size-space channel string such as 8:16:24:32:40.
    #[arg(long, allow_hyphen_values = true)]
    arch: String,
    #[command(flatten)]
    shape: ShapeArgs,
}

#[derive(Args)]
struct ShapeArgs {
    /// cifar10 (or cifar10-valid), cifar100, ImageNet16-120 or fashion-mnist.
    #[arg(long)]
    dataset: String,
    /// The space of --arch: tss (topology; default) or sss (size; the default for a channel string, and the space
    /// in which an index is a size-space index).
    #[arg(long)]
    space: Option<String>,
    /// Channels of the first stage, C (topology space; default 16).
    #[arg(long)]
    channels: Option<i64>,
    /// Cells per stage, N (topology space; default 5).
    #[arg(long)]
    cells: Option<i64>,
    /// Classifier outputs (default: the dataset's).
    #[arg(long)]
    classes: Option<i64>,
}

impl NetArgs {
    fn config(&self) -> anyhow::Result<(Network, Dataset)> {
        self.shape.network(&self.arch)
    }
}

impl ShapeArgs {
    /// The space `arch` is read in: --space, else the size space for a channel string, else the topology space.
    fn space(&self, arch: &str) -> anyhow::Result<Space> {
        Ok(match &self.space {
            Some(space) => space.parse()?,
            None => Space::of_text(arch),
        })
    }

    fn dataset(&self) -> anyhow::Result<Dataset> {
        Ok(self.dataset.parse()?)
    }

    /// The topology space's macro structure.
    fn skeleton(&self) -> anyhow::Result<(Skeleton, Dataset)> {
        let dataset = self.dataset()?;
        let skeleton = Skeleton {
            classes: self.classes.unwrap_or(dataset.classes()),
            ..Skeleton::new(dataset, self.channels.unwrap_or(16), self.cells.unwrap_or(5))
        };
        skeleton.validate()?;
        Ok((skeleton, dataset))
    }

    /// The network of `arch`, in its space.
    fn network(&self, arch: &str) -> anyhow::Result<(Network, Dataset)> {
        match self.space(arch)? {
            Space::Topology => {
                let cell = Genotype::from_index_or_str(arch)?;
                let (skeleton, dataset) = self.skeleton()?;
                Ok((NetworkConfig::on(cell, &skeleton).into(), dataset))
            }
            Space::Size => {
                if let Some((flag, value)) = [("channels", self.channels), ("cells", self.cells)]
                    .into_iter()
                    .find_map(|(flag, value)| value.map(|v| (flag, v)))
                {
                    return Err(anyhow!(
                        "--{flag}: expected none for a size-space network (its widths are --arch), found {value}"
                    ));
                }
                let channels = Channels::from_index_or_str(arch)?;
                let dataset = self.dataset()?;
                let config = SizeConfig {
                    classes: self.classes.unwrap_or(dataset.classes()),
                    ..SizeConfig::nats(channels, dataset)
                };
                config.validate()?;
                Ok((config.into(), dataset))
            }
        }
    }
}

mod score;

fn main() -> ExitCode {
    nb102_command::main::<Cli>("nb102-model", |cli| run(cli.command))
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Info { net, input, in_channels, json } => {
            let (config, dataset) = net.config()?;
            let input_size = input.as_deref().map(parse_size).transpose()?.unwrap_or(config.input_size());
            let config = config.with_input(in_channels.unwrap_or(config.in_channels()), input_size);
            let costs = config.costs()?;
            let parts: Vec<_> =
                costs.parts.iter().map(|p| json!({"name": p.name, "params": p.params, "flops": p.flops})).collect();
            // The topology space's width C and depth N; the size space's five widths, one cell per stage.
            let (index, channels, cells) = match config {
                // `null` for a network that is no cell of the space (`all_full`).
                Network::Topology(c) => (c.cell.arch().map(|a| a.official_index()), json!(c.channels), c.cells),
                Network::Size(c) => (Some(c.channels.official_index()), json!(c.channels.widths()), 1),
            };
            let space = match config {
                Network::Topology(_) => Space::Topology,
                Network::Size(_) => Space::Size,
            };
            let info = json!({
                "space": space.name(),
                "arch": config.arch_string(),
                "index": index,
                "dataset": dataset.name(),
                "channels": channels,
                "cells": cells,
                "classes": config.classes(),
                "in_channels": config.in_channels(),
                "input": [input_size.0, input_size.1],
                "params_mb": costs.params_mb(),
                "flops_m": costs.flops_m(),
                "params": costs.params,
                "flops": costs.flops,
                "parts": parts,
            });
            if json {
                println!("{info}");
            } else {
                let index = index.map_or("no cell of the space".into(), |i| format!("{space} index {i}"));
                let shape = match config {
                    Network::Topology(c) => format!(", C={} N={}", c.channels, c.cells),
                    Network::Size(_) => String::new(),
                };
                println!("{} ({index}) on {dataset}{shape}", config.arch_string());
                println!("params_mb  {:.6}\nflops_m    {:.5}", costs.params_mb(), costs.flops_m());
                for p in &costs.parts {
                    println!("  {:<11} {:>9} params {:>12} flops", p.name, p.params, p.flops);
                }
            }
        }
        Command::Forward { arch, shape, search, tau, weights, input, output, train_mode, device } => {
            // The output is checked before the network runs, not after.
            nb102_store::check_output(&output).map_err(|e| output_failure(e.into()))?;
            let device = device.parse::<DeviceSpec>()?.resolve()?;
            let mut inputs = read_tensors(&input)?;
            let x = inputs
                .remove("x")
                .ok_or_else(|| anyhow!("{}: expected a tensor named x, found none", input.display()))?;
            let &[_, channels, h, w] = x.size().as_slice() else {
                return Err(anyhow!(
                    "{}: expected x of shape [b, channels, h, w], found {:?}",
                    input.display(),
                    x.size()
                )
                .into());
            };
            if let Some(model) = search {
                if arch.as_deref().map(|a| shape.space(a)).transpose()? == Some(Space::Size) {
                    return Err(anyhow!("--search: expected a topology-space path, found a size-space --arch").into());
                }
                let (mut skeleton, _) = shape.skeleton()?;
                (skeleton.in_channels, skeleton.input_size) = (channels, (h, w));
                skeleton.validate()?;
                let arch = arch
                    .as_deref()
                    .map(|a| {
                        let c = Genotype::from_index_or_str(a)?;
                        c.arch()
                            .ok_or_else(|| anyhow!("a search model's path: expected a cell of the space, found {c}"))
                    })
                    .transpose()?;
                let model: SearchModel = model.parse()?;
                let exponentials = inputs.remove("exponentials");
                let search = SearchForward { model, skeleton, arch, tau, x, exponentials };
                let (features, logits) = search.run(&weights, &input, device)?;
                write_output(&[("logits".to_owned(), logits), ("features".to_owned(), features)], &output)?;
                return Ok(());
            }
            let arch = arch.ok_or_else(|| {
                anyhow!("expected --arch (an index, a cell string or a size-space channel string), found none")
            })?;
            let config = shape.network(&arch)?.0.with_input(channels, (h, w));
            let mut vs = VarStore::new(device);
            let network = TinyNetwork::new(&vs.root(), config)?;
            load_weights(&mut vs, &weights)?;
            let x = x.to_kind(Kind::Float).to_device(device);
            let (features, logits) = tch::no_grad(|| network.forward_features_t(&x, train_mode));
            let mut named = vec![("logits".to_owned(), logits), ("features".to_owned(), features)];
            if train_mode {
                named.extend(nb102_model::state_dict(&vs));
            }
            write_output(&named, &output)?;
        }
        Command::Proxies { net, weights, options, json } => {
            let Prepared { proxies, network, batch, device, .. } =
                options.prepare(net.config()?.0, &net.shape.dataset)?;
            let (seed, naslib) = (options.seed, options.naslib);
            let scores = score::score_network(network, weights.as_deref(), &batch, seed, device, &proxies, naslib)?;
            if json {
                let object: serde_json::Map<String, serde_json::Value> =
                    scores.into_iter().map(|(p, s)| (p.name().to_owned(), json!(s.is_finite().then_some(s)))).collect();
                println!("{}", serde_json::Value::Object(object));
            } else {
                for (proxy, score) in scores {
                    // Exponent notation where plain digits would run long (synflow reaches 1e34).
                    let text = if score != 0.0 && !(1e-4..1e16).contains(&score.abs()) {
                        format!("{score:e}")
                    } else {
                        format!("{score}")
                    };
                    println!("{:<10} {text}", proxy.name());
                }
            }
        }
        Command::Score { archs, shape, options, shard, output, quiet } => {
            nb102_store::check_output_prefix(&output).map_err(Failure::input)?;
            let setting: nb102_store::Setting = shape.dataset.parse().map_err(Failure::input)?;
            let space = shape.space("0")?;
            let cells = score::cells(&archs, space.num_archs(), shard.as_deref())?;
            let first = cells.first().ok_or_else(|| anyhow!("--archs with --shard: expected cells, found none"))?;
            let Prepared { proxies, network, batch, source, device } =
                options.prepare(shape.network(&first.to_string())?.0, &shape.dataset)?;
            let (seed, naslib) = (options.seed, options.naslib);
            // A batch no proxy reads is recorded by its shape alone.
            let source = match source.filter(|_| proxies.iter().any(|p| p.needs() == Needs::Batch)) {
                Some(source) => format!("{source}, one for every cell"),
                None => format!("no images: the batch's shape {:?} only", batch.x.size()),
            };
            let run = score::ScoreRun {
                network,
                setting,
                proxies,
                naslib,
                seed,
                batch,
                source,
                device,
                cells,
                prefix: output,
                quiet,
            };
            println!("{}", run.run()?.display());
        }
        Command::Latency { net, device, batch, batches } => {
            let spec: DeviceSpec = device.parse()?;
            let device = spec.resolve()?;
            let (config, dataset) = net.config()?;
            if batch < 1 {
                return Err(anyhow!("invalid batch: expected a positive number, found {batch}").into());
            }
            let batches = batches.unwrap_or_else(|| reference_batches(test_images(dataset)));
            let vs = VarStore::new(device);
            let network = TinyNetwork::new(&vs.root(), config)?;
            let samples = measure_latency(&network, device, batch, batches);
            let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
            let report = nb102_protocol::LatencyReport {
                arch: config.arch_string(),
                dataset: dataset.name().to_owned(),
                device: format!("{device:?}"),
                batch,
                latency_s: mean,
                samples_s: samples,
            };
            println!("{}", serde_json::to_string(&report).expect("a report serialises"));
        }
    }
    Ok(())
}

/// A search model's forward pass from the command line.
struct SearchForward {
    model: SearchModel,
    skeleton: Skeleton,
    arch: Option<Arch>,
    tau: f64,
    x: tch::Tensor,
    exponentials: Option<tch::Tensor>,
}

impl SearchForward {
    /// Features and logits, train mode (batch statistics), no gradients.
    fn run(self, weights: &Path, input: &Path, device: tch::Device) -> Result<(tch::Tensor, tch::Tensor), Failure> {
        let names: Vec<String> = read_tensors(weights)?.into_keys().collect();
        // What the state dict holds says how its cells were built: xautodl's search cells have biased
        // convolutions (`bias = not affine`) and, with `track_running_stats`, statistics buffers.
        let in_cells = |suffix: &str| names.iter().any(|n| n.contains(".edges.") && n.ends_with(suffix));
        let config = SearchConfig {
            model: self.model,
            skeleton: self.skeleton,
            track_running_stats: in_cells(".running_mean"),
            conv_bias: in_cells(".op.1.bias"),
        };
        let mut vs = VarStore::new(device);
        let network = SearchNetwork::new(&vs.root(), &config)?;
        load_weights(&mut vs, weights)?;
        let x = self.x.to_kind(Kind::Float).to_device(device);
        let need_arch = || anyhow!("expected --arch, the path of the {} model, found none", self.model);
        let out = tch::no_grad(|| -> Result<_, Failure> {
            let alpha = network.arch_parameters().map(tch::Tensor::shallow_clone);
            Ok(match (self.model, self.arch) {
                (SearchModel::Darts | SearchModel::Setn, None) => {
                    let alpha = alpha.expect("darts and setn have arch_parameters");
                    let weights = alpha.softmax(-1, Kind::Float);
                    network.forward_features_t(&x, true, &CellMode::Weighted(&weights))
                }
                (SearchModel::Gdas, _) => {
                    let alpha = alpha.expect("gdas has arch_parameters");
                    let draws = self.exponentials.as_ref().ok_or_else(|| {
                        anyhow!(
                            "{}: expected GDAS's Exp(1) draws, a tensor named exponentials [6, 5], found none",
                            input.display()
                        )
                    })?;
                    if draws.size() != [6, 5] {
                        return Err(anyhow!(
                            "{}: expected exponentials of shape [6, 5], found {:?}",
                            input.display(),
                            draws.size()
                        )
                        .into());
                    }
                    let sample = GumbelSample::new(&alpha, draws, self.tau).ok_or_else(|| {
                        anyhow!("{}: expected finite Gumbel draws, found an infinite or NaN one", input.display())
                    })?;
                    network.forward_features_t(&x, true, &CellMode::Gumbel(&sample))
                }
                (_, Some(arch)) => network.forward_features_t(&x, true, &CellMode::Path(&arch)),
                (SearchModel::Enas | SearchModel::Rsps, None) => return Err(need_arch().into()),
            })
        })?;
        Ok(out)
    }
}

/// Images in the loader the reference measures latency on: CIFAR-10's test set, the `x-test` halves of
/// CIFAR-100 and ImageNet16-120, and Fashion-MNIST's test set.
fn test_images(dataset: Dataset) -> usize {
    match dataset {
        Dataset::Cifar10 | Dataset::FashionMnist => 10_000,
        Dataset::Cifar100 => 5_000,
        Dataset::ImageNet16_120 => 3_000,
    }
}

/// Where no batch is given: zeros of the network's input shape, if no proxy asked for reads an image.
fn no_batch(network: &Network, batch_size: Option<i64>, proxies: &[Proxy]) -> anyhow::Result<Batch> {
    let reading: Vec<&str> = proxies.iter().filter(|p| p.needs() == Needs::Batch).map(|p| p.name()).collect();
    if !reading.is_empty() {
        return Err(anyhow!(
            "expected --input (a safetensors file with the batch x, y) or --data-dir for {}, found neither",
            reading.join(", ")
        ));
    }
    let (h, w) = network.input_size();
    let b = batch_size.unwrap_or(64);
    let x = tch::Tensor::zeros([b, network.in_channels(), h, w], tch::kind::FLOAT_CPU);
    Ok(Batch { x, y: tch::Tensor::zeros([b], (Kind::Int64, tch::Device::Cpu)) })
}

/// `x` and `y` of `input` (its first `batch_size` images).
fn file_batch(input: &Path, batch_size: Option<i64>) -> anyhow::Result<(Batch, String)> {
    let mut tensors = read_tensors(input)?;
    let mut take = |name: &str, what: &str| {
        tensors
            .remove(name)
            .ok_or_else(|| anyhow!("{}: expected a tensor named {name} ({what}), found none", input.display()))
    };
    let (x, y) = (take("x", "the images")?, take("y", "their labels")?);
    let n = x.size().first().copied().unwrap_or(0);
    let batch = match batch_size {
        None => Batch { x, y },
        Some(b) if b > n => {
            return Err(anyhow!("invalid --batch-size: expected at most the {n} images of the input, found {b}"));
        }
        Some(b) => {
            // The first b images and labels; a tensor too short to cut is left for `Batch::checked` to refuse.
            let first =
                |t: tch::Tensor| if t.size().first().is_some_and(|&len| len >= b) { t.narrow(0, 0, b) } else { t };
            Batch { x: first(x), y: first(y) }
        }
    };
    let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let source = format!("the batch x, y of {name} ({} images)", batch.x.size()[0]);
    Ok((batch, source))
}

fn parse_size(text: &str) -> anyhow::Result<(i64, i64)> {
    text.split_once('x')
        .and_then(|(h, w)| Some((h.parse().ok()?, w.parse().ok()?)))
        .ok_or_else(|| anyhow!("invalid input size: expected HxW such as 32x32, found {text:?}"))
}

fn write_output(named: &[(String, tch::Tensor)], path: &Path) -> Result<(), Failure> {
    write_safetensors(named, path).map_err(output_failure)
}

/// An output that cannot be one is the user's mistake (status 2), a failed write the machine's (1).
fn output_failure(err: nb102_model::ModelError) -> Failure {
    match err {
        nb102_model::ModelError::Store(err) => Failure::written(err),
        other => Failure::input(other),
    }
}
