//! The zero-cost proxies of one cell against the reference code's (zero-cost-nas's `foresight` and NASLib's measures
//! on xautodl's network, `scripts/bench/proxies_reference.py`), same cell, weights' seed, batch and threads, in one
//! run: each proxy alone and the whole set, per cell; prints a Markdown table (docs/PERFORMANCE.md).
//!
//! ```text
//! cargo xtask bench-proxies [--cells 11472,...] [--batch 64] [--repeats 3] [--threads N] [--no-reference]
//! ```
//! (`cargo bench -p nb102-model --bench proxies -- ...` is the same.) The reference runs with
//! `NB102_REFERENCE_PYTHON` (default: the set-up venv's python) and reads the reference code from
//! `NB102_ORACLES_DIR` (default: ../shared/oracles). Times are medians over `--repeats` runs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use nb102_model::{score_proxies, state_dict, Batch, Dataset, NetworkConfig, ProxyInput, TinyNetwork};
use nb102_protocol::Proxy;
use nb102_space::Arch;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// The proxies that are measured (params and flops are counts, not measures).
fn measured() -> Vec<Proxy> {
    Proxy::ALL.into_iter().filter(|p| !matches!(p, Proxy::Params | Proxy::Flops)).collect()
}

struct Options {
    cells: Vec<Arch>,
    batch: i64,
    repeats: usize,
    threads: i32,
    reference: bool,
}

fn main() {
    let options = parse_options();
    tch::set_num_threads(options.threads);
    println!(
        "threads: {}, batch {}, C16 N5, CIFAR-10 shape, median of {}",
        options.threads, options.batch, options.repeats
    );
    for &arch in &options.cells {
        println!("\ncell {} ({arch})\n", arch.official_index());
        let ours = time_ours(&options, arch);
        let theirs = if options.reference {
            time_reference(&options, arch).map_err(|e| println!("reference: not run ({e})")).ok()
        } else {
            None
        };
        println!("| proxy | nb102 (s) | reference (s) | reference / nb102 |\n|---|---|---|---|");
        let mut rows: Vec<(String, f64)> = measured().iter().map(|p| (p.name().to_owned(), ours[p.name()])).collect();
        rows.push(("all".to_owned(), ours["all"]));
        for (name, t) in rows {
            // nwot_relu has no reference measure of its own (it is NASLib's nwot with other hooks).
            match theirs.as_ref().and_then(|r| r.get(&name)) {
                Some(r) => println!("| {name} | {t:.4} | {r:.4} | {:.1}x |", r / t),
                None => println!("| {name} | {t:.4} | | |"),
            }
        }
    }
}

/// Median seconds of each proxy alone and of the whole set (`all`), our code.
fn time_ours(options: &Options, arch: Arch) -> HashMap<String, f64> {
    let network = NetworkConfig::nb201(arch, Dataset::Cifar10).into();
    tch::manual_seed(0);
    let vs = VarStore::new(Device::Cpu);
    TinyNetwork::new(&vs.root(), network).expect("a cell of the space");
    let state: HashMap<String, Tensor> = state_dict(&vs).into_iter().collect();
    tch::manual_seed(1);
    let x = Tensor::randn([options.batch, 3, 32, 32], (Kind::Float, Device::Cpu));
    let y = Tensor::randint(10, [options.batch], (Kind::Int64, Device::Cpu));
    let batch = Batch { x, y }.checked(&network, Device::Cpu).expect("a batch of the network's shape");
    let input = ProxyInput { network, state: &state, batch: &batch, seed: 2, device: Device::Cpu };
    let timed = |proxies: &[Proxy]| {
        let mut samples: Vec<f64> = (0..options.repeats)
            .map(|_| {
                let start = Instant::now();
                score_proxies(&input, proxies).expect("the proxies run");
                start.elapsed().as_secs_f64()
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    };
    let mut times: HashMap<String, f64> = measured().into_iter().map(|p| (p.name().to_owned(), timed(&[p]))).collect();
    times.insert("all".to_owned(), timed(&measured()));
    times
}

/// The same from `scripts/bench/proxies_reference.py`.
fn time_reference(options: &Options, arch: Arch) -> Result<HashMap<String, f64>, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python =
        std::env::var_os("NB102_REFERENCE_PYTHON").map_or_else(|| root.join(".venv/bin/python"), PathBuf::from);
    let reference: Vec<&str> = measured().into_iter().filter(|&p| p != Proxy::NwotRelu).map(Proxy::name).collect();
    let out = Command::new(&python)
        .arg(root.join("scripts/bench/proxies_reference.py"))
        .args(["--arch", &arch.to_string(), "--batch", &options.batch.to_string()])
        .args(["--repeats", &options.repeats.to_string(), "--threads", &options.threads.to_string()])
        .args(["--proxies", &reference.join(",")])
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(stderr.lines().last().unwrap_or("failed").to_owned());
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("expected one JSON line, found {e}"))?;
    let mut times: HashMap<String, f64> = json["per_proxy"]
        .as_object()
        .ok_or("expected per_proxy")?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
        .collect();
    times.insert("all".to_owned(), json["all"].as_f64().ok_or("expected all")?);
    Ok(times)
}

fn parse_options() -> Options {
    let mut options = Options {
        // The ResNet-like cell, the all-3x3 cell (the costliest) and one of pools and skips only.
        cells: [11472, 1462, 7994].iter().map(|&i| Arch::from_official_index(i).expect("an index")).collect(),
        batch: 64,
        repeats: 3,
        threads: tch::get_num_threads(),
        reference: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg}: expected a value"));
        match arg.as_str() {
            "--cells" => {
                options.cells = value()
                    .split(',')
                    .map(|c| c.parse::<usize>().ok().and_then(|i| Arch::from_official_index(i).ok()).expect("an index"))
                    .collect()
            }
            "--batch" => options.batch = value().parse().expect("--batch: a number"),
            "--repeats" => options.repeats = value().parse().expect("--repeats: a number"),
            "--threads" => options.threads = value().parse().expect("--threads: a number"),
            "--no-reference" => options.reference = false,
            // cargo bench passes --bench.
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    options
}
