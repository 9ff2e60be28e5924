//! `nb102-model score`: zero-cost proxies of many cells into a file of proxy scores, resumable and shardable.
//!
//! Each cell is scored from `manual_seed(--seed)` (its weights, then zen's draws), so its scores depend on the
//! cell and the seed only, whatever the shard or the order. Every finished cell is appended to a journal beside the
//! output (`PREFIX.journal`, one JSON line: the cell and its scores' bits); a killed run started again with the
//! same arguments skips the cells the journal holds (a torn last line is scored again) and one with other arguments
//! is refused. At the end the scores become a benchmark file of proxy scores alone, `PREFIX-XXXXXX.nb102`, written
//! atomically, and the journal is removed; `nb102 add-proxies` adds such files to a benchmark.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use indicatif::{ProgressBar, ProgressStyle};
use nb102_command::Failure;
use nb102_model::{
    load_weights, score_proxies, state_dict, Batch, Network, NetworkConfig, ProxyInput, SizeConfig, TinyNetwork,
};
use nb102_protocol::Proxy;
use nb102_space::{Arch, Channels, Space};
use nb102_store::{BenchmarkKind, BenchmarkMeta, BenchmarkWriter, ProxyKey, ProxyTable, ProxyVariant, Setting};
use serde_json::json;
use tch::nn::VarStore;
use tch::Device;

/// What a run scores: fixed for a journal's life.
pub(crate) struct ScoreRun {
    /// The networks' shape, for every cell (its cell replaced).
    pub(crate) network: Network,
    pub(crate) setting: Setting,
    pub(crate) proxies: Vec<Proxy>,
    pub(crate) naslib: bool,
    pub(crate) seed: i64,
    pub(crate) batch: Batch,
    /// Where the batch came from, for the columns' source.
    pub(crate) source: String,
    pub(crate) device: Device,
    /// The cells of this shard, increasing.
    pub(crate) cells: Vec<usize>,
    pub(crate) prefix: PathBuf,
    pub(crate) quiet: bool,
}

impl ScoreRun {
    /// The journal's first line: everything that decides the scores.
    fn header(&self) -> serde_json::Value {
        let names: Vec<&str> = self.proxies.iter().map(|p| p.name()).collect();
        json!({
            "network": shape(&self.network),
            "setting": self.setting.name(),
            "proxies": names,
            "naslib": self.naslib,
            "seed": self.seed,
            "batch": self.source,
            "cells": self.cells.len(),
        })
    }

    /// Scores every cell of the run not in the journal, then writes the file; returns its path.
    pub(crate) fn run(self) -> Result<PathBuf, Failure> {
        let journal_path = PathBuf::from(format!("{}.journal", self.prefix.display()));
        let mut done = self.read_journal(&journal_path)?;
        let mut journal = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&journal_path)
            .with_context(|| format!("opening {}", journal_path.display()))?;
        if done.is_empty() && journal.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            writeln!(journal, "{}", self.header())?;
        }
        let todo: Vec<usize> = self.cells.iter().copied().filter(|c| !done.contains_key(c)).collect();
        let progress = self.progress(todo.len());
        for index in todo {
            let scores = self.score(index)?;
            let bits: Vec<String> = scores.iter().map(|s| format!("{:016x}", s.to_bits())).collect();
            writeln!(journal, "{}", json!({"index": index, "bits": bits}))?;
            // Each line reaches the file before the next cell starts, so a kill loses at most the cell under way.
            journal.flush()?;
            done.insert(index, scores);
            progress.inc(1);
        }
        journal.sync_all()?;
        progress.finish_and_clear();
        let path = self.write(&done)?;
        std::fs::remove_file(&journal_path).with_context(|| format!("removing {}", journal_path.display()))?;
        Ok(path)
    }

    fn progress(&self, todo: usize) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(todo as u64);
        bar.set_style(
            ProgressStyle::with_template("scoring {bar:30} {pos}/{len} cells {per_sec} {eta}").expect("a template"),
        );
        bar
    }

    /// One cell's scores, in the order of `proxies`.
    fn score(&self, index: usize) -> Result<Vec<f64>, Failure> {
        let network = with_arch(self.network, index)?;
        let scores = score_network(network, None, &self.batch, self.seed, self.device, &self.proxies, self.naslib)?;
        Ok(scores.into_iter().map(|(_, s)| s).collect())
    }

    /// The cells a journal of this run holds; a journal of another run is refused.
    fn read_journal(&self, path: &Path) -> Result<BTreeMap<usize, Vec<f64>>, Failure> {
        let mut done = BTreeMap::new();
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
            Err(e) => return Err(anyhow!("reading {}: {e}", path.display()).into()),
        };
        let lines: Vec<String> = std::io::BufReader::new(file).lines().collect::<Result<_, _>>()?;
        let Some((header, cells)) = lines.split_first() else { return Ok(done) };
        let expected = self.header();
        if serde_json::from_str::<serde_json::Value>(header).ok().as_ref() != Some(&expected) {
            return Err(Failure::input(anyhow!(
                "{}: expected the journal of this run ({expected}), found another run's ({header}): remove it or \
                 give that run's arguments",
                path.display()
            )));
        }
        for (n, line) in cells.iter().enumerate() {
            let parsed = serde_json::from_str::<serde_json::Value>(line).ok().and_then(|v| {
                let index = usize::try_from(v["index"].as_u64()?).ok()?;
                let bits = v["bits"].as_array()?;
                let scores: Option<Vec<f64>> =
                    bits.iter().map(|b| u64::from_str_radix(b.as_str()?, 16).ok().map(f64::from_bits)).collect();
                Some((index, scores?))
            });
            match parsed {
                Some((index, scores)) if scores.len() == self.proxies.len() && self.cells.contains(&index) => {
                    done.insert(index, scores);
                }
                // A kill while a line was written leaves it torn: that cell is scored again.
                _ if n + 1 == cells.len() => {}
                _ => {
                    return Err(Failure::input(anyhow!(
                        "{}: line {}: expected a scored cell of this run, found {line:?}",
                        path.display(),
                        n + 2
                    )))
                }
            }
        }
        Ok(done)
    }

    fn write(&self, done: &BTreeMap<usize, Vec<f64>>) -> Result<PathBuf, Failure> {
        let space = match self.network {
            Network::Topology(_) => Space::Topology,
            Network::Size(_) => Space::Size,
        };
        let mut table = ProxyTable::new(space);
        let variant = if self.naslib { ProxyVariant::Naslib } else { ProxyVariant::Raw };
        let batch_size = u32::try_from(self.batch.x.size()[0]).expect("a batch of fewer than 2^32 images");
        let seed = u64::try_from(self.seed).ok();
        for (position, proxy) in self.proxies.iter().enumerate() {
            let key = ProxyKey { proxy: proxy.name().to_owned(), setting: self.setting, batch_size, seed, variant };
            for (&index, scores) in done {
                table.insert(&key, &self.source, index, scores[position]).map_err(|e| anyhow!(e))?;
            }
        }
        let meta = BenchmarkMeta {
            description: format!(
                "zero-cost proxy scores of {} cells on {} (nb102-model score)",
                done.len(),
                self.setting
            ),
            kind: BenchmarkKind::Nb201,
        };
        let mut writer = BenchmarkWriter::create(&self.prefix, meta).map_err(Failure::written)?;
        writer.set_proxies(table);
        writer.finish().map_err(Failure::written)
    }
}

/// The scores of `proxies` for `network` with the reference's initialisation drawn after `manual_seed(seed)` (then
/// `weights` loaded, if given), NASLib's post-processing applied when `naslib`: what `proxies` prints and `score`
/// stores per cell.
pub(crate) fn score_network(
    network: Network,
    weights: Option<&Path>,
    batch: &Batch,
    seed: i64,
    device: Device,
    proxies: &[Proxy],
    naslib: bool,
) -> Result<Vec<(Proxy, f64)>, Failure> {
    tch::manual_seed(seed);
    let mut vs = VarStore::new(device);
    TinyNetwork::new(&vs.root(), network)?;
    if let Some(weights) = weights {
        load_weights(&mut vs, weights)?;
    }
    let state: HashMap<_, _> = state_dict(&vs).into_iter().collect();
    let input = ProxyInput { network, state: &state, batch, seed, device };
    let scores = score_proxies(&input, proxies)?;
    Ok(scores.into_iter().map(|(p, s)| (p, if naslib { p.naslib_postprocess(s) } else { s })).collect())
}

/// The network of official index `index` in the space and shape of `network`.
fn with_arch(network: Network, index: usize) -> anyhow::Result<Network> {
    Ok(match network {
        Network::Topology(c) => NetworkConfig { cell: Arch::from_official_index(index)?.into(), ..c }.into(),
        Network::Size(c) => SizeConfig { channels: Channels::from_official_index(index)?, ..c }.into(),
    })
}

/// What of a network is the same for every cell of a run.
fn shape(network: &Network) -> String {
    match network {
        Network::Topology(c) => format!(
            "topology C={} N={} classes={} input={}x{}x{}",
            c.channels, c.cells, c.classes, c.in_channels, c.input_size.0, c.input_size.1
        ),
        Network::Size(c) => {
            format!("size classes={} input={}x{}x{}", c.classes, c.in_channels, c.input_size.0, c.input_size.1)
        }
    }
}

/// The cells of `text` (`all`, or indices and ranges `a-b` separated by commas) in `space`, increasing, and of them
/// the shard `shard` (`i/N`: every N-th cell from the i-th, counting from 0).
pub(crate) fn cells(text: &str, num_archs: usize, shard: Option<&str>) -> anyhow::Result<Vec<usize>> {
    let bad = || anyhow!("invalid --archs: expected all, or indices and ranges such as 0-99,11472, found {text:?}");
    let mut cells = std::collections::BTreeSet::new();
    if text == "all" {
        cells.extend(0..num_archs);
    } else {
        for part in text.split(',') {
            let (lo, hi) = match part.split_once('-') {
                Some((lo, hi)) => {
                    (lo.trim().parse::<usize>().map_err(|_| bad())?, hi.trim().parse::<usize>().map_err(|_| bad())?)
                }
                None => {
                    let i = part.trim().parse::<usize>().map_err(|_| bad())?;
                    (i, i)
                }
            };
            if lo > hi || hi >= num_archs {
                return Err(anyhow!("invalid --archs: expected indices below {num_archs}, found {part:?}"));
            }
            cells.extend(lo..=hi);
        }
    }
    let cells: Vec<usize> = cells.into_iter().collect();
    let Some(shard) = shard else { return Ok(cells) };
    let (i, n) = shard
        .split_once('/')
        .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
        .filter(|&(i, n)| i < n)
        .ok_or_else(|| anyhow!("invalid --shard: expected i/N with 0 <= i < N, such as 0/4, found {shard:?}"))?;
    Ok(cells.into_iter().skip(i).step_by(n).collect())
}
