//! One training step of a benchmark network (train-mode forward, cross-entropy, backward, SGD) against
//! the reference's (xautodl's network and `torch.optim.SGD`), same cell, batch, threads and device, in
//! one run; prints both and our time over theirs (docs/PERFORMANCE.md).
//!
//! ```text
//! cargo bench -p nb102-model --bench train_step -- [--arch 1462] [--device cpu|cuda:0] [--batch 256]
//!     [--steps 10] [--warmup 3] [--threads N] [--dataset cifar10] [--rounds 3] [--no-reference]
//! ```
//! The reference runs with `NB102_REFERENCE_PYTHON` (default: the set-up venv's python). The two
//! alternate for `--rounds` rounds and the median of the per-round ratios is reported, so that a drift in
//! the machine's speed (common on shared virtual machines) does not favour either side.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use nb102_model::{Dataset, DeviceSpec, NetworkConfig, Sgd, SgdConfig, TinyNetwork};
use nb102_space::Arch;
use tch::nn::{ModuleT, VarStore};
use tch::{Device, Kind, Tensor};

struct Options {
    arch: Arch,
    device: Device,
    dataset: Dataset,
    batch: i64,
    steps: usize,
    warmup: usize,
    threads: i32,
    rounds: usize,
    reference: bool,
}

fn main() {
    let options = parse_options();
    tch::set_num_threads(options.threads);
    println!(
        "threads: {}, device: {:?}, cell {} ({}), batch {}",
        options.threads,
        options.device,
        options.arch.official_index(),
        options.arch,
        options.batch
    );
    let mut ratios = Vec::new();
    for round in 1..=options.rounds {
        println!("round {round}");
        let ours = time_ours(&options);
        print_phases("nb102 (tch)", &ours);
        if !options.reference {
            continue;
        }
        match time_reference(&options) {
            Ok(theirs) => {
                print_phases("reference (xautodl)", &theirs);
                ratios.push(ours[0] / theirs[0]);
            }
            Err(e) => {
                println!("reference: not run ({e})");
                return;
            }
        }
    }
    if !ratios.is_empty() {
        ratios.sort_by(f64::total_cmp);
        let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
        println!(
            "step time ratio nb102 / reference: {:.3} (median of rounds: {})",
            ratios[ratios.len() / 2],
            shown.join(", ")
        );
    }
}

/// Median seconds of [step, forward, backward, optimizer].
fn time_ours(o: &Options) -> [f64; 4] {
    let config = NetworkConfig::nb201(o.arch, o.dataset);
    let vs = VarStore::new(o.device);
    let net = TinyNetwork::new(&vs.root(), config).expect("a valid config");
    let mut sgd = Sgd::new(&vs, SgdConfig::nb201());
    let (h, w) = config.input_size;
    let x = Tensor::randn([o.batch, config.in_channels, h, w], (Kind::Float, o.device));
    let y = Tensor::randint(config.classes, [o.batch], (Kind::Int64, o.device));
    let mut samples = Vec::new();
    for i in 0..o.warmup + o.steps {
        sync(o.device);
        let t0 = Instant::now();
        let loss = net.forward_t(&x, true).cross_entropy_for_logits(&y);
        sync(o.device);
        let t1 = Instant::now();
        sgd.backward_step(&loss);
        sync(o.device);
        let t2 = Instant::now();
        if i >= o.warmup {
            let (f, b) = ((t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64());
            // backward_step does both; the optimiser part is timed separately below.
            samples.push([f + b, f, b, 0.0]);
        }
    }
    let mut medians = [0.0; 4];
    for (k, m) in medians.iter_mut().enumerate().take(3) {
        let mut v: Vec<f64> = samples.iter().map(|s| s[k]).collect();
        v.sort_by(f64::total_cmp);
        *m = v[v.len() / 2];
    }
    medians
}

fn time_reference(o: &Options) -> Result<[f64; 4], String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python =
        std::env::var_os("NB102_REFERENCE_PYTHON").map(PathBuf::from).unwrap_or_else(|| root.join(".venv/bin/python"));
    let (h, _) = o.dataset.input_size();
    let device = match o.device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".to_owned(),
    };
    let out = Command::new(&python)
        .arg(root.join("scripts/bench/model_reference.py"))
        .args(["--arch", &o.arch.to_string(), "--classes", &o.dataset.classes().to_string(), "--size", &h.to_string()])
        .args(["--batch", &o.batch.to_string(), "--steps", &o.steps.to_string(), "--warmup", &o.warmup.to_string()])
        .args(["--threads", &o.threads.to_string(), "--device", &device])
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("failed").to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| -> Result<f64, String> {
        let at = text.find(&format!("\"{key}\": ")).ok_or(format!("no {key} in {text}"))? + key.len() + 4;
        text[at..].split([',', '}']).next().and_then(|v| v.trim().parse().ok()).ok_or(format!("bad {key} in {text}"))
    };
    Ok([field("step")?, field("forward")?, field("backward")?, field("optimizer")?])
}

fn print_phases(who: &str, t: &[f64; 4]) {
    println!(
        "{who:<22} step {:>9.2} ms   forward {:>9.2} ms   backward+optimizer {:>9.2} ms",
        t[0] * 1e3,
        t[1] * 1e3,
        (t[2] + t[3]) * 1e3
    );
}

fn sync(device: Device) {
    if let Device::Cuda(i) = device {
        tch::Cuda::synchronize(i as i64);
    }
}

fn parse_options() -> Options {
    let mut o = Options {
        arch: Arch::from_official_index(1462).expect("in range"),
        device: Device::Cpu,
        dataset: Dataset::Cifar10,
        batch: 256,
        steps: 10,
        warmup: 3,
        threads: tch::get_num_threads(),
        rounds: 3,
        reference: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--arch" => {
                let v = value();
                o.arch = v.parse::<usize>().map_or_else(
                    |_| v.parse().expect("an arch string"),
                    |i| Arch::from_official_index(i).expect("an index"),
                );
            }
            "--device" => {
                o.device =
                    value().parse::<DeviceSpec>().expect("auto, cpu or cuda:N").resolve().expect("an available device")
            }
            "--dataset" => o.dataset = value().parse().expect("a dataset"),
            "--batch" => o.batch = value().parse().expect("a batch size"),
            "--steps" => o.steps = value().parse().expect("a step count"),
            "--warmup" => o.warmup = value().parse().expect("a warm-up count"),
            "--threads" => o.threads = value().parse().expect("a thread count"),
            "--rounds" => o.rounds = value().parse().expect("a round count"),
            "--no-reference" => o.reference = false,
            "--bench" => {} // passed by `cargo bench`
            other => panic!("unknown option {other:?}"),
        }
    }
    o
}
