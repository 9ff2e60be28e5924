//! The `nb102-model` binary as a user runs it.

use std::process::{Command, Output};

use nb102_model::read_tensors;

mod common;
use common::{assert_close, data};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nb102-model")).args(args).output().expect("nb102-model runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn check_input_error(args: &[&str], needle: &str) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?} should print one line: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr:?} lacks {needle:?}");
}

const RESNET: &str = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";

#[test]
fn info_reports_the_reference_costs() {
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["info", "--arch", "11472", "--dataset", "cifar100", "--json"])).unwrap();
    assert_eq!(json["params_mb"], 0.565236);
    assert_eq!(json["flops_m"], 78.56778);
    assert_eq!(json["arch"], RESNET);
    assert_eq!(json["parts"].as_array().unwrap().len(), 7);
    let small: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "info",
        "--arch",
        RESNET,
        "--dataset",
        "fashion-mnist",
        "--channels",
        "8",
        "--cells",
        "1",
        "--json",
    ]))
    .unwrap();
    assert_eq!((small["in_channels"].as_i64(), small["input"][0].as_i64()), (Some(1), Some(28)));
    // xautodl's names: resnet is cell 11472; all_full (four layers on every edge) is no cell of the space, and costs
    // what xautodl's get_model_infos counts.
    let named: serde_json::Value =
        serde_json::from_str(&stdout_of(&["info", "--arch", "resnet", "--dataset", "cifar100", "--json"])).unwrap();
    assert_eq!((named["index"].as_u64(), &named["arch"]), (Some(11472), &json["arch"]));
    let full: serde_json::Value =
        serde_json::from_str(&stdout_of(&["info", "--arch", "all_full", "--dataset", "cifar10", "--json"])).unwrap();
    assert_eq!((full["params_mb"].as_f64(), full["flops_m"].as_f64()), (Some(1.699546), Some(243.71265)));
    assert!(full["index"].is_null());
}

#[test]
fn info_takes_size_space_networks() {
    // Spec 10.7: get_cost_info(284, 'cifar100') gives flops 21.831684, params 0.148524.
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["info", "--arch", "8:8:40:32:40", "--dataset", "cifar100", "--json"]))
            .unwrap();
    assert_eq!((json["space"].as_str(), json["index"].as_u64()), (Some("size"), Some(284)));
    assert_eq!((json["params_mb"].as_f64(), json["flops_m"].as_f64()), (Some(0.148524), Some(21.831684)));
    assert_eq!(json["channels"], serde_json::json!([8, 8, 40, 32, 40]));
    // An index is the topology space's unless --space says otherwise.
    let by_index: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "info",
        "--arch",
        "284",
        "--space",
        "sss",
        "--dataset",
        "cifar100",
        "--json",
    ]))
    .unwrap();
    assert_eq!(by_index, json);
    let text = stdout_of(&["info", "--arch", "8:8:40:32:40", "--dataset", "cifar10"]);
    assert!(text.starts_with("8:8:40:32:40 (size index 284) on cifar10\nparams_mb  0.144834\n"), "{text}");
}

#[test]
fn forward_runs_size_space_networks() {
    let dir = std::env::temp_dir().join(format!("nb102-model-cli-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = dir.join("y.safetensors");
    let (weights, input) = (data("size-284.weights.safetensors"), data("size-284.io.safetensors"));
    let args = [
        "forward",
        "--arch",
        "8:8:40:32:40",
        "--dataset",
        "ImageNet16-120",
        "--weights",
        weights.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
        "--device",
        "cpu",
    ];
    stdout_of(&args);
    let (y, reference) = (read_tensors(&output).unwrap(), read_tensors(&input).unwrap());
    assert_close("size-284 logits", &y["logits"], &reference["eval.logits"]);
    assert_close("size-284 features", &y["features"], &reference["eval.features"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn forward_writes_the_reference_outputs() {
    let dir = std::env::temp_dir().join(format!("nb102-model-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = dir.join("y.safetensors");
    let weights = data("resnet.weights.safetensors");
    let input = data("resnet.io.safetensors");
    let common = ["--arch", RESNET, "--dataset", "cifar10", "--channels", "8", "--cells", "2", "--device", "cpu"];
    let args = |extra: &[&'static str]| {
        let mut a: Vec<&str> = vec!["forward"];
        a.extend(common);
        a.extend([
            "--weights",
            weights.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ]);
        a.extend(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let reference = read_tensors(&input).unwrap();
    let ok = |a: Vec<String>| assert!(run(&a.iter().map(String::as_str).collect::<Vec<_>>()).status.success());

    ok(args(&[]));
    let y = read_tensors(&output).unwrap();
    for (ours, theirs) in [("logits", "eval.logits"), ("features", "eval.features")] {
        assert_close(ours, &y[ours], &reference[theirs]);
    }
    assert_eq!(y.len(), 2);

    ok(args(&["--train-mode"]));
    let y = read_tensors(&output).unwrap();
    assert_close("train logits", &y["logits"], &reference["train.logits"]);
    let var = "cells.6.layers.0.op.2.running_var";
    assert_close(var, &y[var], &reference[&format!("train_state.{var}")]);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn latency_reports_samples() {
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "latency",
        "--arch",
        "1835",
        "--dataset",
        "ImageNet16-120",
        "--device",
        "cpu",
        "--batch",
        "8",
        "--batches",
        "3",
    ]))
    .unwrap();
    assert_eq!(json["samples_s"].as_array().unwrap().len(), 2, "the first of three is dropped");
    assert!(json["latency_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn bad_input_is_one_line_and_status_2() {
    let weights = data("resnet.weights.safetensors");
    let input = data("resnet.io.safetensors");
    let w = weights.to_str().unwrap();
    let i = input.to_str().unwrap();
    check_input_error(&["info", "--arch", "|conv~0|+||+||", "--dataset", "cifar10"], "expected an op name");
    check_input_error(&["info", "--arch", "15625", "--dataset", "cifar10"], "expected 0..15625, found 15625");
    check_input_error(&["info", "--arch", "1", "--dataset", "imagenet"], "unknown dataset");
    check_input_error(
        &["info", "--arch", "1", "--dataset", "cifar10", "--input", "30x30"],
        "expected sides that are multiples of 4, found 30x30",
    );
    check_input_error(&["info", "--arch", "1", "--dataset", "cifar10", "--input", "big"], "expected HxW");
    check_input_error(
        &["info", "--arch", "1", "--dataset", "cifar10", "--channels", "4294967296"],
        "invalid channels: expected at most 1024, found 4294967296",
    );
    // A file libtorch cannot read: one line naming it, without libtorch's C++ frames.
    let junk = std::env::temp_dir().join(format!("nb102-model-junk-{}.pt", std::process::id()));
    std::fs::write(&junk, (0..300u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<u8>>()).unwrap();
    check_input_error(
        &[
            "forward",
            "--arch",
            "1",
            "--dataset",
            "cifar10",
            "--weights",
            junk.to_str().unwrap(),
            "--input",
            i,
            "--output",
            "/tmp/unused.safetensors",
        ],
        &format!("weights {}: expected a torch.save file, found a file libtorch cannot read", junk.display()),
    );
    std::fs::remove_file(&junk).unwrap();
    check_input_error(
        &["latency", "--arch", "1", "--dataset", "cifar10", "--device", "tpu"],
        "expected auto, cpu or cuda:N",
    );
    check_input_error(
        &["latency", "--arch", "1", "--dataset", "cifar10", "--device", "cuda:7"],
        "cuda device 7 unavailable",
    );
    // An output in a folder that exists, so that each case fails on its input (and writes nothing).
    let dir = std::env::temp_dir().join(format!("nb102-model-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("y.safetensors");
    let out = out_path.to_str().unwrap();
    // Weights of C=8, N=2 into the default C=16, N=5 network.
    check_input_error(
        &[
            "forward",
            "--arch",
            RESNET,
            "--dataset",
            "cifar10",
            "--weights",
            w,
            "--input",
            i,
            "--output",
            out,
            "--device",
            "cpu",
        ],
        "expected shape",
    );
    check_input_error(
        &[
            "forward",
            "--arch",
            RESNET,
            "--dataset",
            "cifar10",
            "--weights",
            "missing.safetensors",
            "--input",
            i,
            "--output",
            out,
        ],
        "expected a file, found none",
    );
    check_input_error(
        &[
            "forward",
            "--arch",
            RESNET,
            "--dataset",
            "cifar10",
            "--weights",
            w,
            "--input",
            w,
            "--output",
            out,
            "--channels",
            "8",
            "--cells",
            "2",
        ],
        "expected a tensor named x",
    );
    check_input_error(&["info", "--dataset", "cifar10"], "--arch");
    check_input_error(
        &["info", "--arch", "8:8:40:32:40", "--dataset", "cifar10", "--channels", "8"],
        "--channels: expected none for a size-space network",
    );
    check_input_error(&["info", "--arch", "8:8:41:32:40", "--dataset", "cifar10"], "found \"41\"");
    check_input_error(&["info", "--arch", "32768", "--space", "sss", "--dataset", "cifar10"], "expected 0..32768");
    check_input_error(&["info", "--arch", "1", "--space", "nas", "--dataset", "cifar10"], "unknown search space");
    check_input_error(
        &[
            "forward",
            "--search",
            "darts",
            "--arch",
            "8:8:8:8:8",
            "--dataset",
            "cifar10",
            "--weights",
            w,
            "--input",
            i,
            "--output",
            out,
        ],
        "--search: expected a topology-space path",
    );
    assert!(!out_path.exists());
    // Outputs that cannot be one are refused before the network runs.
    let forward = |output: &str| {
        let (w, io) = (data("resnet.weights.safetensors"), data("resnet.io.safetensors"));
        let (w, io) = (w.to_str().unwrap(), io.to_str().unwrap());
        check_input_error(
            &["forward", "--arch", RESNET, "--dataset", "cifar10", "--weights", w, "--input", io, "--output", output],
            "expected a regular file or a new file in an existing folder",
        )
    };
    forward("/nonexistent-dir/y.safetensors");
    forward(dir.to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn proxies_score_a_network_as_the_reference_code_does() {
    // The golden case conv3x3 of tests/data/proxies (scripts/golden/proxies.py): weights seeded with 6.
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(data("proxies/cases.json")).unwrap()).unwrap();
    let case = cases.iter().find(|c| c["name"] == "conv3x3").unwrap();
    let batch = data("proxies/conv3x3.batch.safetensors");
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "proxies",
        "--arch",
        case["arch"].as_str().unwrap(),
        "--dataset",
        "cifar10",
        "--channels",
        "8",
        "--cells",
        "2",
        "--input",
        batch.to_str().unwrap(),
        "--seed",
        "6",
        "--proxies",
        "grad_norm,synflow,nwot,params",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json.as_object().unwrap().keys().collect::<Vec<_>>(), ["grad_norm", "synflow", "nwot", "params"]);
    for proxy in ["grad_norm", "synflow", "nwot"] {
        let reference: f64 = case["scores"][proxy].as_str().unwrap().parse().unwrap();
        let ours = json[proxy].as_f64().unwrap();
        assert!((ours - reference).abs() <= 1e-5 * reference.abs(), "{proxy}: {ours} against {reference}");
    }

    // Data-free proxies need no batch; NASLib's post-processing takes synflow's logarithm.
    let free = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["proxies", "--arch", "11472", "--dataset", "cifar10", "--proxies", "synflow", "--json"];
        args.extend(extra);
        serde_json::from_str(&stdout_of(&args)).unwrap()
    };
    let raw = free(&[])["synflow"].as_f64().unwrap();
    let logged = free(&["--naslib"])["synflow"].as_f64().unwrap();
    assert!(raw > 1e30 && (logged - raw.ln()).abs() < 1e-9, "{raw} {logged}");

    check_input_error(
        &["proxies", "--arch", "11472", "--dataset", "cifar10", "--proxies", "snip,zen,fisher"],
        "expected --input (a safetensors file with the batch x, y) or --data-dir for snip, fisher, found neither",
    );
    check_input_error(&["proxies", "--arch", "11472", "--dataset", "cifar10", "--proxies", "snipp"], "invalid proxy");
    let weights = data("conv3x3.weights.safetensors");
    check_input_error(
        &[
            "proxies",
            "--arch",
            "11472",
            "--dataset",
            "cifar10",
            "--proxies",
            "l2_norm",
            "--weights",
            weights.to_str().unwrap(),
        ],
        "expected shape [16, 16, 3, 3], found [4, 4, 3, 3]",
    );
    check_input_error(
        &[
            "proxies",
            "--arch",
            "11472",
            "--dataset",
            "cifar10",
            "--input",
            batch.to_str().unwrap(),
            "--batch-size",
            "99",
        ],
        "invalid --batch-size: expected at most the 16 images of the input, found 99",
    );
}

/// `--data-dir` draws a run's first training batch from the setting's data: the scores equal those of `--input`
/// given that batch; its seed is a run seed.
#[test]
fn proxies_draw_their_batch_from_a_dataset() {
    // The small CIFAR-10 files of nb102-loader's tests (15 training images).
    let data_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nb102-loader/tests/data");
    let train = nb102_loader::SettingData::load_train(nb102_store::Setting::Cifar10, &data_dir, None).unwrap();
    let normalization = nb102_loader::Normalization::of(nb102_model::Dataset::Cifar10);
    let (x, y) = nb102_loader::batches::first_batch(&train, &normalization, 5, 8, tch::Device::Cpu);
    let file = std::env::temp_dir().join(format!("nb102-model-drawn-{}.safetensors", std::process::id()));
    nb102_model::write_safetensors(&[("x".to_owned(), x), ("y".to_owned(), y)], &file).unwrap();
    let args = |batch: &[&str]| -> Vec<String> {
        let mut args: Vec<String> =
            ["proxies", "--arch", "1462", "--dataset", "cifar10", "--channels", "4", "--cells", "1"]
                .map(String::from)
                .to_vec();
        args.extend(batch.iter().map(|a| a.to_string()));
        args.extend(["--proxies", "grad_norm,nwot,epe_nas", "--json"].map(String::from));
        args
    };
    let scores = |batch: &[&str]| stdout_of(&args(batch).iter().map(String::as_str).collect::<Vec<_>>());
    let dir = data_dir.to_str().unwrap();
    let drawn = scores(&["--data-dir", dir, "--seed", "5", "--batch-size", "8"]);
    assert_eq!(drawn, scores(&["--input", file.to_str().unwrap(), "--seed", "5"]));
    assert_ne!(drawn, scores(&["--data-dir", dir, "--seed", "5", "--batch-size", "6"]));
    std::fs::remove_file(&file).unwrap();

    let with = |extra: &[&str]| args(&[&["--data-dir", dir][..], extra].concat());
    let check = |extra: &[&str], needle: &str| {
        check_input_error(&with(extra).iter().map(String::as_str).collect::<Vec<_>>(), needle)
    };
    check(
        &["--batch-size", "16"],
        "invalid --batch-size: expected at most the 15 training images of cifar10, found 16",
    );
    check(&["--seed=-1"], "invalid --seed with --data-dir: expected a run seed in 0..=4294967295, found -1");
    check(&["--input", "x.safetensors"], "cannot be used with");
    check_input_error(
        &["proxies", "--arch", "1462", "--dataset", "cifar10", "--data-dir", "/nonexistent-dir", "--proxies", "nwot"],
        "/nonexistent-dir",
    );
}

#[test]
fn score_many_cells_resumes_from_its_journal_and_shards() {
    let dir = std::env::temp_dir().join(format!("nb102-model-score-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let scores = |path: &str| {
        let file = nb102_store::BenchmarkFile::open(std::path::Path::new(path.trim_end())).unwrap();
        let table = file.proxies().unwrap().unwrap().clone();
        table
    };
    let base = ["score", "--archs", "0-2,11472", "--dataset", "cifar10", "--proxies", "synflow,params", "--quiet"];
    let all = scores(&stdout_of(&[&base[..], &["-o", &prefix("all")]].concat()));
    assert_eq!(
        all.columns().iter().map(|c| (c.key().proxy.as_str(), c.len())).collect::<Vec<_>>(),
        [("params", 4), ("synflow", 4)]
    );
    let key = all.columns()[1].key().clone();
    assert_eq!((key.batch_size, key.seed, key.setting.name()), (64, Some(0), "cifar10"));
    // A cell's score is the one `proxies` gives it with the same seed.
    let one: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "proxies",
        "--arch",
        "11472",
        "--dataset",
        "cifar10",
        "--proxies",
        "synflow",
        "--seed",
        "0",
        "--json",
    ]))
    .unwrap();
    assert_eq!(all.columns()[1].get(11472), one["synflow"].as_f64());
    // Two shards score every cell once, with the same scores.
    let mut shards = scores(&stdout_of(&[&base[..], &["--shard", "0/2", "-o", &prefix("s0")]].concat()));
    let s1 = scores(&stdout_of(&[&base[..], &["--shard", "1/2", "-o", &prefix("s1")]].concat()));
    assert_eq!((shards.columns()[0].len(), s1.columns()[0].len()), (2, 2));
    shards.merge(&s1).unwrap();
    assert_eq!(shards, all);

    // A killed run left a journal: its cells are not scored again, and a torn last line is.
    let header = serde_json::json!({
        "network": "topology C=16 N=5 classes=10 input=3x32x32", "setting": "cifar10", "proxies": ["params"],
        "naslib": false, "seed": 0, "batch": "no images: the batch's shape [64, 3, 32, 32] only", "cells": 4,
    });
    let journal = format!("{header}\n{{\"index\":0,\"bits\":[\"{:016x}\"]}}\n{{\"index\":1,\"bi", 2.0f64.to_bits());
    std::fs::write(dir.join("resumed.journal"), &journal).unwrap();
    let args = ["score", "--archs", "0-2,11472", "--dataset", "cifar10", "--proxies", "params", "--quiet"];
    let resumed = scores(&stdout_of(&[&args[..], &["-o", &prefix("resumed")]].concat()));
    let params = &resumed.columns()[0];
    assert_eq!((params.get(0), params.get(1), params.len()), (Some(2.0), all.columns()[0].get(1), 4));
    assert!(!dir.join("resumed.journal").exists());
    // Another run's journal is refused, not mixed in.
    std::fs::write(dir.join("other.journal"), journal.replace("\"seed\":0", "\"seed\":7")).unwrap();
    check_input_error(&[&args[..], &["-o", &prefix("other")]].concat(), "expected the journal of this run");
    check_input_error(&[&args[..], &["--shard", "2/2", "-o", &prefix("x")]].concat(), "invalid --shard");
    check_input_error(&["score", "--archs", "15625", "--dataset", "cifar10", "-o", &prefix("x")], "invalid --archs");
    std::fs::remove_dir_all(&dir).unwrap();
}
