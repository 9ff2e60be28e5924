//! `cargo xtask bench-proxies --correlations FILE [--table CSV] [--json OUT]`: the rank correlations of every proxy
//! score column of FILE with the benchmark's accuracies, as papers report them (docs/PROXIES.md).
//!
//! Accuracies come from the per-cell table (`nb201_groundtruth_merged.csv`, default `$NB102_REFERENCE_DIR`): for each
//! dataset the 200-epoch test accuracy (seed mean: CIFAR-10 `cifar10` on `ori-test`, the others on `x-test`), the
//! 200-epoch validation accuracy (seed mean on `x-valid`, CIFAR-10 from `cifar10-valid`), and the seed-888 test
//! accuracy that NAS-Bench-Suite-Zero calls `val_accuracy` (CIFAR-10: `cifar10-valid` on `ori-test`). A column's
//! cells without a score, or without an accuracy, are left out (as `nan_policy='omit'`); scores of ±∞ rank at the
//! ends. Spearman's ρ uses average ranks for ties; Kendall's τ is τ-b, as scipy's defaults.
//!
//! `--own`: against the file's own trained accuracies instead (a benchmark regenerated on Fashion-MNIST, say): per
//! column, the seed-mean last-epoch accuracy of its setting on the test and validation sets, at the file's longest
//! schedule; then the cells ranked by the proxy with the best test ρ beside their trained ranking.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use nb102_store::{BenchmarkFile, ProxyColumn, Setting};
use serde_json::json;

use crate::workspace::{reference_dir, root};

/// The accuracy columns of the table per dataset: test (seed mean), validation (seed mean), Suite-Zero's.
const TARGETS: [(&str, [&str; 3]); 3] = [
    ("cifar10", ["c10_test_200ep_mean", "c10valid_valid_200ep_mean", "c10valid_oritest_200ep_seed888"]),
    ("cifar100", ["c100_test_200ep_mean", "c100_valid_200ep_mean", "c100_test_200ep_seed888"]),
    ("ImageNet16-120", ["in16_test_200ep_mean", "in16_valid_200ep_mean", "in16_test_200ep_seed888"]),
];

pub(crate) fn run(mut args: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let file = args.next().map(PathBuf::from).ok_or_else(|| anyhow!("--correlations: expected a benchmark file"))?;
    let mut table = reference_dir(&root()).join("nb201_groundtruth_merged.csv");
    let mut json_out = None;
    let mut own = false;
    while let Some(arg) = args.next() {
        if arg == "--own" {
            own = true;
            continue;
        }
        let mut value = || args.next().ok_or_else(|| anyhow!("{arg}: expected a value"));
        match arg.as_str() {
            "--table" => table = PathBuf::from(value()?),
            "--json" => json_out = Some(PathBuf::from(value()?)),
            other => bail!("unknown option: expected --table, --json or --own, found {other:?}"),
        }
    }
    if own {
        return own_accuracies(&file);
    }
    let accuracies = read_accuracies(&table)?;
    let bench = BenchmarkFile::open(&file)?;
    let columns = bench.proxies()?.ok_or_else(|| anyhow!("{}: expected proxy scores, found none", file.display()))?;
    println!("Spearman rho / Kendall tau-b of each score with the 200-epoch accuracies of {}\n", table.display());
    println!("| proxy | setting | variant | batch | cells | test ρ | test τ | valid ρ | valid τ | seed-888 test ρ | seed-888 test τ |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for column in columns.columns() {
        let key = column.key();
        let dataset = match key.setting {
            Setting::Cifar10 | Setting::Cifar10Valid => "cifar10",
            Setting::Cifar100 => "cifar100",
            Setting::ImageNet16_120 => "ImageNet16-120",
            Setting::FashionMnist => continue,
        };
        let targets = TARGETS.iter().find(|(d, _)| *d == dataset).expect("every dataset has targets").1;
        let mut cells = 0;
        let mut figures = Vec::new();
        for target in targets {
            let (scored, rho, tau) = correlate(column, accuracies[target].iter().copied().map(Some).enumerate());
            cells = scored.len();
            figures.push((rho, tau));
        }
        let f = |v: f64| format!("{v:.3}");
        println!(
            "| {} | {} | {} | {} | {cells} | {} | {} | {} | {} | {} | {} |",
            key.proxy,
            key.setting,
            key.variant,
            key.batch_size,
            f(figures[0].0),
            f(figures[0].1),
            f(figures[1].0),
            f(figures[1].1),
            f(figures[2].0),
            f(figures[2].1)
        );
        rows.push(json!({
            "proxy": key.proxy, "setting": key.setting.name(), "variant": key.variant.name(),
            "batch_size": key.batch_size, "seed": key.seed, "cells": cells,
            "test": {"spearman": figures[0].0, "kendall": figures[0].1},
            "valid": {"spearman": figures[1].0, "kendall": figures[1].1},
            "seed888_test": {"spearman": figures[2].0, "kendall": figures[2].1},
        }));
    }
    if let Some(out) = json_out {
        let text = serde_json::to_string_pretty(&rows)? + "\n";
        nb102_store::write_atomically(&out, |w| std::io::Write::write_all(w, text.as_bytes()))?;
    }
    Ok(())
}

/// Every column's correlations with the file's own trained accuracies, and the ranking of the best proxy's cells.
fn own_accuracies(path: &Path) -> anyhow::Result<()> {
    let api = nb102_api::Api::open(path)?;
    let columns = api.proxy_columns()?;
    if columns.is_empty() {
        bail!("{}: expected proxy scores, found none", path.display());
    }
    let rows = api.summary()?;
    println!("Spearman rho / Kendall tau-b of each score with the accuracies {} holds\n", path.display());
    println!(
        "| proxy | setting | batch | cells | test ρ | test τ | valid ρ | valid τ |\n|---|---|---|---|---|---|---|---|"
    );
    // The proxy with the best test ρ so far: ρ, its column, its cells.
    let mut best: Option<(f64, usize, Vec<Scored>)> = None;
    for (position, column) in columns.iter().enumerate() {
        let key = column.key();
        let Some(hp) = rows.iter().filter(|r| r.setting == key.setting).map(|r| r.hp).max() else { continue };
        let mut figures = Vec::new();
        let mut cells = Vec::new();
        for set in [Some(key.setting.test_set()), key.setting.valid_set()] {
            let means = api.cell_means(key.setting, set, hp)?;
            let (scored, rho, tau) = correlate(column, means.iter().map(|m| (m.index, m.accuracy)));
            figures.push((rho, tau));
            if cells.is_empty() {
                cells = scored;
            }
        }
        let f = |v: f64| if v.is_nan() { "–".to_owned() } else { format!("{v:.3}") };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            key.proxy,
            key.setting,
            key.batch_size,
            cells.len(),
            f(figures[0].0),
            f(figures[0].1),
            f(figures.get(1).map_or(f64::NAN, |v| v.0)),
            f(figures.get(1).map_or(f64::NAN, |v| v.1))
        );
        if !figures[0].0.is_nan() && best.as_ref().is_none_or(|b| figures[0].0 > b.0) {
            best = Some((figures[0].0, position, cells));
        }
    }
    let Some((rho, position, mut cells)) = best else { return Ok(()) };
    let key = columns[position].key();
    println!("\nThe cells by trained test accuracy, beside their rank by {} (ρ {rho:.3}):\n", key.proxy);
    println!("| trained rank | cell | test accuracy | {} rank | {} |\n|---|---|---|---|---|", key.proxy, key.proxy);
    let ranks = average_ranks(&cells.iter().map(|c| -c.score).collect::<Vec<_>>());
    let mut ranked: Vec<(Scored, f64)> = cells.drain(..).zip(ranks).collect();
    ranked.sort_by(|a, b| b.0.accuracy.total_cmp(&a.0.accuracy));
    for (n, (Scored { index, score, accuracy }, rank)) in ranked.iter().enumerate() {
        println!("| {} | {index} {} | {accuracy:.2} | {rank} | {score:.6e} |", n + 1, api.arch(*index)?);
    }
    Ok(())
}

/// A cell with both a score and an accuracy.
struct Scored {
    index: usize,
    score: f64,
    accuracy: f64,
}

/// The cells of `accuracies` (official index, accuracy) that `column` scores, leaving out NaN scores and accuracies,
/// and Spearman's ρ and Kendall's τ-b of their scores with their accuracies.
fn correlate(column: &ProxyColumn, accuracies: impl Iterator<Item = (usize, Option<f64>)>) -> (Vec<Scored>, f64, f64) {
    let cells: Vec<Scored> = accuracies
        .filter_map(|(index, accuracy)| Some(Scored { index, score: column.get(index)?, accuracy: accuracy? }))
        .filter(|c| !c.score.is_nan() && !c.accuracy.is_nan())
        .collect();
    let (x, y): (Vec<f64>, Vec<f64>) = cells.iter().map(|c| (c.score, c.accuracy)).unzip();
    let (rho, tau) = (spearman(&x, &y), kendall_tau_b(&x, &y));
    (cells, rho, tau)
}

/// The table's accuracy columns named in [`TARGETS`], by official index (NaN where empty).
fn read_accuracies(path: &Path) -> anyhow::Result<HashMap<&'static str, Vec<f64>>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let position = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| anyhow!("{}: expected a column {name}", path.display()))
    };
    let index_at = position("index")?;
    let names: Vec<&'static str> = TARGETS.iter().flat_map(|(_, t)| t.iter().copied()).collect();
    let at: Vec<usize> = names.iter().map(|n| position(n)).collect::<anyhow::Result<_>>()?;
    let mut columns: HashMap<&'static str, Vec<f64>> =
        names.iter().map(|&n| (n, vec![f64::NAN; nb102_space::NUM_ARCHS])).collect();
    for (line, record) in reader.records().enumerate() {
        let record = record?;
        let bad = || anyhow!("{}: line {}: expected an official index", path.display(), line + 2);
        let index: usize = record.get(index_at).and_then(|i| i.parse().ok()).ok_or_else(bad)?;
        if index >= nb102_space::NUM_ARCHS {
            return Err(bad());
        }
        for (&name, &i) in names.iter().zip(&at) {
            let value = record.get(i).unwrap_or("");
            columns.get_mut(name).expect("named")[index] = if value.is_empty() { f64::NAN } else { value.parse()? };
        }
    }
    Ok(columns)
}

/// Ranks from 1, ties sharing the mean of their ranks.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's ρ: Pearson's correlation of the average ranks.
pub(crate) fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Kendall's τ-b in O(n log n) (Knight's algorithm, as scipy's `kendalltau`): pairs sorted by (x, y), ties counted
/// in runs, discordant pairs as the swaps of a merge sort by y.
pub(crate) fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut pairs: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let x_ties = tied_pairs(n, |a, b| pairs[a].0 == pairs[b].0);
    let joint_ties = tied_pairs(n, |a, b| pairs[a] == pairs[b]);
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let swaps = merge_sort_swaps(&mut ys);
    let y_ties = tied_pairs(n, |a, b| ys[a] == ys[b]);
    let all = (n as u64) * (n as u64).saturating_sub(1) / 2;
    let concordant_minus_discordant =
        all as f64 - x_ties as f64 - y_ties as f64 + joint_ties as f64 - 2.0 * swaps as f64;
    concordant_minus_discordant / (((all - x_ties) as f64) * ((all - y_ties) as f64)).sqrt()
}

/// The pairs within runs of equal neighbours of a sorted sequence of `n`, `same(i - 1, i)` saying whether
/// neighbours are equal.
fn tied_pairs(n: usize, same: impl Fn(usize, usize) -> bool) -> u64 {
    let (mut total, mut run) = (0u64, 1u64);
    for i in 1..n {
        if same(i - 1, i) {
            run += 1;
        } else {
            total += run * (run - 1) / 2;
            run = 1;
        }
    }
    total + run * (run - 1) / 2
}

/// Sorts `v` (stable) and returns how many pairs were out of order (strictly greater before smaller).
fn merge_sort_swaps(v: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut swaps = merge_sort_swaps(&mut v[..mid]) + merge_sort_swaps(&mut v[mid..]);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, mid);
    while i < mid && j < n {
        if v[j] < v[i] {
            merged.push(v[j]);
            swaps += (mid - i) as u64;
            j += 1;
        } else {
            merged.push(v[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&v[i..mid]);
    merged.extend_from_slice(&v[j..]);
    v.copy_from_slice(&merged);
    swaps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_zero_s_correlations_are_the_spec_s() {
        // Spec 11.7's figures, computed independently on the real partial file (score against its val_accuracy,
        // which is the table's seed-888 test accuracy).
        let reference = reference_dir(&root());
        let file = reference.join("suite-zero-nb201-partial.json");
        if !file.is_file() {
            eprintln!("NAS-Bench-Suite-Zero's partial file is not at {} (set NB102_REFERENCE_DIR)", file.display());
            return;
        }
        let scores = nb102_store::read_suite_zero(&file).unwrap();
        let accuracies = read_accuracies(&reference.join("nb201_groundtruth_merged.csv")).unwrap();
        let rho = |proxy: &str, setting: Setting, target: &str| {
            let column =
                scores.columns().iter().find(|c| c.key().proxy == proxy && c.key().setting == setting).unwrap();
            format!("{:.3}", correlate(column, accuracies[target].iter().copied().map(Some).enumerate()).1)
        };
        assert_eq!(rho("params", Setting::Cifar10, "c10valid_oritest_200ep_seed888"), "0.738");
        assert_eq!(rho("synflow", Setting::Cifar100, "c100_test_200ep_seed888"), "0.762");
        assert_eq!(rho("nwot", Setting::ImageNet16_120, "in16_test_200ep_seed888"), "0.795");
        assert_eq!(rho("plain", Setting::Cifar10, "c10valid_oritest_200ep_seed888"), "-0.258");
    }

    #[test]
    fn rank_correlations_are_scipy_s() {
        // scipy.stats.spearmanr's and kendalltau's documented examples.
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]);
        assert!((rho - 0.820_782_681_668_123_3).abs() < 1e-12, "{rho}");
        let tau = kendall_tau_b(&[12.0, 2.0, 1.0, 12.0, 2.0], &[1.0, 4.0, 7.0, 1.0, 0.0]);
        assert!((tau + 0.471_404_520_791_031_7).abs() < 1e-12, "{tau}");
        // Against the O(n^2) definition, with ties in both and infinities.
        let x: [f64; 12] = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, f64::INFINITY, 5.0, 3.0, f64::NEG_INFINITY];
        let y: [f64; 12] = [2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0, 2.0, 8.0, 4.0, 5.0];
        let (mut c, mut tx, mut ty) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                let (dx, dy): (f64, f64) = ((x[i] - x[j]).signum(), (y[i] - y[j]).signum());
                let (dx, dy) = (if x[i] == x[j] { 0.0 } else { dx }, if y[i] == y[j] { 0.0 } else { dy });
                c += dx * dy;
                tx += dx * dx;
                ty += dy * dy;
            }
        }
        assert!((kendall_tau_b(&x, &y) - c / (tx * ty).sqrt()).abs() < 1e-12);
    }
}
