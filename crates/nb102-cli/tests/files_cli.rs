//! `nb102 trial | merge | simplify | info | import | show | best` on files written by nb102-store, and on tables.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nb102_store::write_trial;

mod common;
use common::{trial, weights};

fn nb102(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nb102")).args(args).output().expect("the nb102 binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = nb102(args);
    assert!(out.status.success(), "nb102 {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails_with(args: &[&str], needle: &str) {
    let out = nb102(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "nb102 {args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nb102-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn merge_info_trial_and_simplify() {
    let root = dir("merge");
    let runs = root.join("runs");
    std::fs::create_dir_all(runs.join("nested")).unwrap();
    write_trial(&runs.join("a.trial.cbor"), &trial(11472, 777)).unwrap();
    write_trial(&runs.join("nested/b.trial.cbor"), &trial(11472, 888)).unwrap();
    write_trial(&runs.join("c.trial.cbor"), &trial(1462, 777)).unwrap();

    let text = ok(&["trial", s(&runs.join("a.trial.cbor"))]);
    assert!(text.starts_with("cell      11472 |nor_conv_3x3~0|"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["trial", s(&runs.join("a.trial.cbor")), "--json"])).unwrap();
    assert_eq!((json["seed"].as_u64(), json["setting"].as_str()), (Some(777), Some("fashion-mnist")));
    assert_eq!(json["weights"]["bytes"], weights(0).len());
    // The curves as numbers, not as the file's byte strings.
    assert_eq!(json["train"]["top1"], serde_json::json!([60.0, 60.0]));
    assert_eq!(json["eval"]["x-valid"]["accuracy"], serde_json::json!([70.25]));
    // A column with no value recorded is empty, as in the file.
    assert_eq!(json["eval"]["x-valid"]["time"], serde_json::json!([]));

    let written = ok(&["merge", s(&runs), "-o", s(&root.join("demo")), "--kind", "demo"]);
    let path = PathBuf::from(written.trim_end());
    assert!(path.exists() && path.extension().unwrap() == "nb102", "{written}");
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&path), "--json"])).unwrap();
    assert_eq!(
        (info["kind"].as_str(), info["cells"].as_u64(), info["trials"].as_u64(), info["trials_with_weights"].as_u64()),
        (Some("demo"), Some(2), Some(3), Some(3))
    );
    assert_eq!(info["seeds"], serde_json::json!([777, 888]));
    assert!(info["description"].as_str().unwrap().contains("not NAS-Bench-201"));

    // fashion-mnist's sets are cifar10-valid's: x-valid is valid, ori-test is test, and there is no valtest.
    let query: serde_json::Value = serde_json::from_str(&ok(&[
        "query",
        s(&path),
        "11472",
        "--dataset",
        "fashion-mnist",
        "--hp",
        "2",
        "--mean",
        "--json",
    ]))
    .unwrap();
    assert_eq!((query["valid-accuracy"].as_f64(), query["test-accuracy"].as_f64()), (Some(70.25), Some(68.5)));
    assert!(query.as_object().unwrap().keys().all(|k| !k.starts_with("valtest")), "{query}");
    let show = ok(&["show", s(&path), "11472"]);
    let row = show.lines().find(|l| l.starts_with("fashion-mnist")).unwrap();
    assert_eq!(row.split_whitespace().collect::<Vec<_>>()[3..6], ["60.00", "70.25", "68.50"], "{show}");

    let simple = PathBuf::from(ok(&["simplify", s(&path), "-o", s(&root.join("simple"))]).trim_end());
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&simple), "--json", "--verify"])).unwrap();
    assert_eq!(info["verified"], true);
    assert_eq!((info["trials"].as_u64(), info["trials_with_weights"].as_u64()), (Some(3), Some(0)));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn import_nats_tss_archive() {
    let root = dir("import");
    let archive = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nats-like");
    let path = PathBuf::from(ok(&["import", "nats-tss", s(&archive), "-o", s(&root.join("nats"))]).trim_end());
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&path), "--json"])).unwrap();
    assert_eq!(
        (info["kind"].as_str(), info["cells"].as_u64(), info["trials"].as_u64()),
        (Some("nb201"), Some(2), Some(32))
    );
    assert_eq!(info["hp"], serde_json::json!([12, 200]));
    fails_with(
        &["import", "nats-tss", s(&root), "-o", s(&root.join("x"))],
        "expected a NATS-Bench archive folder, found no NNNNNN.pickle.pbz2 file",
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn import_nats_sss_archive_and_query_it() {
    let sample = std::env::var_os("NB102_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference"))
        .join("nats-sss-sample");
    if !sample.is_dir() {
        eprintln!("the size-space sample records are not at {} (set NB102_REFERENCE_DIR)", sample.display());
        return;
    }
    let root = dir("import-sss");
    let path = PathBuf::from(ok(&["import", "nats-sss", s(&sample), "-o", s(&root.join("sss"))]).trim_end());
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&path), "--json"])).unwrap();
    assert_eq!(
        (info["space"].as_str(), info["cells"].as_u64(), info["trials"].as_u64()),
        (Some("size"), Some(3), Some(60))
    );
    assert_eq!(info["hp"], serde_json::json!([1, 12, 90]));
    assert!(ok(&["show", s(&path), "8:8:40:32:40"]).starts_with("cell 284 8:8:40:32:40\n"));
    let cost: serde_json::Value =
        serde_json::from_str(&ok(&["cost", s(&path), "284", "--dataset", "cifar100", "--hp", "90", "--json"])).unwrap();
    assert_eq!((cost["flops"].as_f64(), cost["params"].as_f64()), (Some(21.831684), Some(0.148524)));
    assert!(ok(&["best", s(&path), "--dataset", "cifar10", "--set", "test", "--hp", "90"])
        .starts_with("284\t8:8:40:32:40\t"));
    // A topology import of a size archive, and a cell string on a size-space file, are refused.
    fails_with(&["import", "nats-tss", s(&sample), "-o", s(&root.join("x"))], "expected a NATS-Bench topology archive");
    fails_with(&["show", s(&path), "11472"], "is not in this benchmark");
    fails_with(
        &["show", s(&path), "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"],
        "invalid channel string",
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_files_are_one_line_and_status_2() {
    let root = dir("bad");
    let garbage = root.join("x-123456.nb102");
    std::fs::write(&garbage, b"hello").unwrap();
    fails_with(&["info", s(&garbage)], "expected an nb102 benchmark file, found no NB102BEN header");
    fails_with(&["trial", s(&garbage)], "expected an nb102 trial file (CBOR)");
    fails_with(&["merge", s(&root), "-o", s(&root.join("out")), "--kind", "demo"], "expected *.trial.cbor files under");
    fails_with(&["merge", s(&root), "-o", s(&root.join("out"))], "--kind");
    fails_with(&["info", s(&root.join("missing.nb102"))], "missing.nb102");

    // A damaged cell section: `info` counts from the summary, `info --verify` reads every section.
    let runs = root.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    write_trial(&runs.join("a.trial.cbor"), &trial(11472, 777)).unwrap();
    let path = PathBuf::from(ok(&["merge", s(&runs), "-o", s(&root.join("d")), "--kind", "demo"]).trim_end());
    let mut bytes = std::fs::read(&path).unwrap();
    let header = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    bytes[20 + header + 40] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    ok(&["info", s(&path)]);
    fails_with(&["info", s(&path), "--verify"], "checksum mismatch");

    // Inputs that are not regular files are refused at once (reading /dev/zero would never end, a FIFO would
    // wait for a writer); outputs that are not files, or in no folder, before any work.
    let pipe = root.join("pipe-123456.nb102");
    assert!(Command::new("mkfifo").arg(&pipe).status().unwrap().success());
    fails_with(&["info", s(&pipe)], "expected an nb102 benchmark file, found a FIFO");
    fails_with(&["trial", "/dev/zero"], "found a character device");
    fails_with(&["import", "table", "/dev/zero", "-o", s(&root.join("t"))], "found a character device");
    fails_with(&["merge", s(&runs), "-o", s(&root.join("no/such/d")), "--kind", "demo"], "no folder");
    fails_with(&["simplify", s(&path), "-o", s(&root.join("no/such/s"))], "no folder");
    std::fs::remove_dir_all(&root).unwrap();
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut out = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    std::io::Write::write_all(&mut out, data).unwrap();
    out.finish().unwrap()
}

/// Crafted NATS archives: each import fails with one line and status 2, and leaves no temporary file.
#[test]
fn crafted_archives_are_refused_cleanly() {
    let root = dir("crafted");
    let archive = root.join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nats-like");
    std::fs::copy(fixtures.join("000007.pickle.pbz2"), archive.join("000007.pickle.pbz2")).unwrap();
    let import = |needle: &str| {
        fails_with(&["import", "nats-tss", s(&archive), "-o", s(&root.join("out"))], needle);
        let left: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["archive"], "nothing but the input is left");
    };
    import("no meta.pickle.pbz2");
    std::fs::copy(fixtures.join("meta.pickle.pbz2"), archive.join("meta.pickle.pbz2")).unwrap();

    // 200,000 nested lists in 72 bytes of bz2.
    let mut nested = b"\x80\x02".to_vec();
    nested.extend(std::iter::repeat_n(b']', 200_000));
    nested.extend(std::iter::repeat_n(b'a', 199_999));
    nested.push(b'.');
    std::fs::write(archive.join("000008.pickle.pbz2"), bz2(&nested)).unwrap();
    import("containers nested more than 100 deep");

    // A record that decompresses to more than such records hold (65 MiB of zeros in 100 bytes).
    std::fs::write(archive.join("000008.pickle.pbz2"), bz2(&vec![0; 65 << 20])).unwrap();
    import("decompress to more than 67108864 bytes");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn import_table_show_and_best() {
    let d = dir("table");
    let table = d.join("results.csv");
    let rows = [
        "index,arch_str,c10_test_12ep,my_valid",
        "1835,|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|,36.84,",
        "0,|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|,69.55,63.364",
    ];
    std::fs::write(&table, rows.join("\n") + "\n").unwrap();
    let columns = ["--column", "c10_test_12ep=cifar10:12:ori-test", "--column", "my_valid=cifar10-valid:12:x-valid"];
    let prefix = d.join("t");
    let path = ok(&[&["import", "table", s(&table), "-o", s(&prefix), "--kind", "demo"][..], &columns[..]].concat());
    let path = path.trim();
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", path, "--json"])).unwrap();
    assert_eq!(info["kind"], "demo");
    let counts = ["cells", "summary_only_cells", "trials", "seed_means"].map(|k| info[k].as_u64());
    assert_eq!(counts, [Some(2), Some(2), Some(0), Some(3)], "{info}");
    let shown = ok(&["show", path, "0"]);
    assert!(
        shown.contains("cifar10-valid     12 mean                      -      63.36         - 0.129306"),
        "{shown}"
    );
    assert!(
        shown.contains("cifar10           12 mean                      -          -     69.55 0.129306"),
        "{shown}"
    );
    let best = ok(&["best", path, "--dataset", "cifar10", "--set", "test", "--hp", "12"]);
    assert!(best.starts_with("0\t") && best.trim_end().ends_with("69.55"), "{best}");
    fails_with(&["query", path, "1835", "--dataset", "cifar10", "--hp", "12", "--mean"], "summary-only records");
    // The default columns are NAS-Bench-201's: this table lacks them.
    fails_with(&["import", "table", s(&table), "-o", s(&prefix)], "expected a column \"c10valid_valid_200ep_mean\"");
    fails_with(&["import", "table", s(&table), "-o", s(&prefix), "--column", "x=cifar10:12"], "NAME=SETTING:HP:SET");
    std::fs::remove_dir_all(d).unwrap();
}

/// NAS-Bench-201 `.pth` files holding one cell twice (a per-cell file and the benchmark file, both with cell 7):
/// one line, status 2, no file.
#[test]
fn nb201_files_with_a_cell_twice_are_refused() {
    let root = dir("nb201-twice");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nb102-store/tests/data/nb201");
    let mut files = Vec::new();
    for name in ["cell-zip-FULL.pth", "bench-legacy.pth"] {
        let mut bytes = Vec::new();
        let compressed = std::fs::File::open(fixtures.join(format!("{name}.bz2"))).unwrap();
        std::io::Read::read_to_end(&mut bzip2::read::BzDecoder::new(compressed), &mut bytes).unwrap();
        std::fs::write(root.join(name), bytes).unwrap();
        files.push(root.join(name));
    }
    let both = root.join("both");
    fails_with(&["import", "nb201-pth", s(&files[0]), s(&files[1]), "-o", s(&both)], "cell 7 twice");
    assert!(std::fs::read_dir(&root).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("both")));
    std::fs::remove_dir_all(&root).unwrap();
}

/// A file in NAS-Bench-Suite-Zero's format (scores made up; params are NAS-Bench-201's), with the `-Infinity` token
/// NASLib's `json.dump` writes.
const SUITE_ZERO_LIKE: &str = r#"{"cifar10": {
  "(0, 2, 3, 2, 3, 1)": {"idx": "534", "arch": "(0, 2, 3, 2, 3, 1)", "val_accuracy": 86.06,
    "params": {"score": 0.615386, "time": 0.47}, "synflow": {"score": 41.9, "time": 0.48},
    "nwot": {"score": 406.5, "time": 0.3}},
  "(1, 0, 2, 2, 2, 1)": {"idx": "7", "arch": "(1, 0, 2, 2, 2, 1)", "val_accuracy": 10.0,
    "params": {"score": 0.802426, "time": 0.47}, "nwot": {"score": -Infinity, "time": 0.3}}},
 "cifar100": {"(0, 2, 3, 2, 3, 1)": {"idx": "534", "arch": "(0, 2, 3, 2, 3, 1)", "val_accuracy": 60.0,
    "params": {"score": 0.621236, "time": 0.47}}}}"#;

#[test]
fn import_suite_zero_scores_alone_or_into_a_copy_of_a_benchmark() {
    let root = dir("suite-zero");
    let json = root.join("zc.json");
    std::fs::write(&json, SUITE_ZERO_LIKE).unwrap();
    let alone = PathBuf::from(ok(&["import", "suite-zero", s(&json), "-o", s(&root.join("zc"))]).trim_end());
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&alone), "--json", "--verify"])).unwrap();
    assert_eq!((info["cells"].as_u64(), info["proxy_columns"].as_u64()), (Some(0), Some(4)));
    assert_eq!(info["proxies"], serde_json::json!(["nwot", "params", "synflow"]));
    assert_eq!(info["format_version"], 6);
    // NASLib's tuple (0, 2, 3, 2, 3, 1) is cell 4811; (1, 0, 2, 2, 2, 1) is 13990 (spec 11.9).
    let rows: serde_json::Value =
        serde_json::from_str(&ok(&["proxy", s(&alone), "4811", "--dataset", "cifar10", "--json"])).unwrap();
    let names: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["proxy"].as_str().unwrap()).collect();
    assert_eq!(names, ["nwot", "params", "synflow"]);
    assert_eq!((rows[1]["score"].as_f64(), rows[1]["batch_size"].as_u64()), (Some(0.615386), Some(32)));
    assert_eq!((rows[1]["variant"].as_str(), rows[1]["seed"].as_u64()), (Some("naslib"), None));
    let text = ok(&[
        "proxy",
        s(&alone),
        "|none~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|none~2|",
        "--proxy",
        "nwot",
    ]);
    assert!(
        text.starts_with("cell 13990 ") && text.contains("nwot        cifar10            32       - naslib"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("-inf"), "{text}");
    fails_with(&["proxy", s(&alone), "1"], "expected proxy scores of cell 1, found none (4 proxy columns in the file)");
    // Ranking by a proxy: the best-scoring cell, within the benchmark's parameter counts if asked.
    let best = ok(&["best", s(&alone), "--proxy", "params", "--dataset", "cifar10"]);
    assert!(best.starts_with("13990\t") && best.trim_end().ends_with("\t0.802426"), "{best}");
    let best = ok(&["best", s(&alone), "--proxy", "params", "--dataset", "cifar10", "--param-max", "0.7", "--json"]);
    let best: serde_json::Value = serde_json::from_str(&best).unwrap();
    assert_eq!((best["index"].as_u64(), best["score"].as_f64()), (Some(4811), Some(0.615386)));
    fails_with(&["best", s(&alone), "--proxy", "params"], "expected one params column, found 2");
    fails_with(&["proxy", s(&alone), "4811", "--variant", "rawish"], "expected raw or naslib");

    // Into a copy of a benchmark: its cells and summary stay, the scores come along; the original is untouched.
    let runs = root.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    write_trial(&runs.join("a.trial.cbor"), &trial(4811, 777)).unwrap();
    let bench = PathBuf::from(ok(&["merge", s(&runs), "-o", s(&root.join("bench")), "--kind", "demo"]).trim_end());
    let before = std::fs::read(&bench).unwrap();
    let with = PathBuf::from(
        ok(&["import", "suite-zero", s(&json), "--into", s(&bench), "-o", s(&root.join("with"))]).trim_end(),
    );
    assert_eq!(std::fs::read(&bench).unwrap(), before);
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&with), "--json", "--verify"])).unwrap();
    assert_eq!(
        (info["cells"].as_u64(), info["trials"].as_u64(), info["proxy_columns"].as_u64()),
        (Some(1), Some(1), Some(4))
    );
    assert!(ok(&["show", s(&with), "4811"]).starts_with("cell 4811 "));

    // params that are not NAS-Bench-201's mean a wrong mapping or another network: refused, naming the cell.
    std::fs::write(&json, SUITE_ZERO_LIKE.replace("0.615386", "0.615387")).unwrap();
    fails_with(
        &["import", "suite-zero", s(&json), "-o", s(&root.join("bad"))],
        "cifar10 (0, 2, 3, 2, 3, 1) (cell 4811): params equal to NAS-Bench-201's 0.615386, found 0.615387",
    );
    std::fs::write(&json, "[1, 2]").unwrap();
    fails_with(&["import", "suite-zero", s(&json), "-o", s(&root.join("bad"))], "expected a JSON object of datasets");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn import_the_real_suite_zero_file_whose_params_are_nas_bench_201_s() {
    let file = std::env::var_os("NB102_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference"))
        .join("suite-zero-nb201-partial.json");
    if !file.is_file() {
        eprintln!("NAS-Bench-Suite-Zero's partial file is not at {} (set NB102_REFERENCE_DIR)", file.display());
        return;
    }
    let root = dir("suite-zero-real");
    // The import checks every cell's params against NAS-Bench-201's: 2,173 entries (spec 11.9).
    let path = PathBuf::from(ok(&["import", "suite-zero", s(&file), "-o", s(&root.join("zc"))]).trim_end());
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&path), "--json"])).unwrap();
    assert_eq!(info["proxy_columns"].as_u64(), Some(36));
    let params = |dataset: &str| -> f64 {
        let rows: serde_json::Value = serde_json::from_str(&ok(&[
            "proxy",
            s(&path),
            "4811",
            "--proxy",
            "params",
            "--dataset",
            dataset,
            "--json",
        ]))
        .unwrap();
        rows[0]["score"].as_f64().unwrap()
    };
    assert_eq!((params("cifar10"), params("cifar100"), params("ImageNet16-120")), (0.615386, 0.621236, 0.622536));
    // The zero-output cell 8274: nwot is -Infinity in the file; the measures NaN or inf became -1e8.
    let text = ok(&["proxy", s(&path), "8274", "--dataset", "cifar10"]);
    assert!(text.contains("jacov ") && text.lines().any(|l| l.starts_with("nwot") && l.ends_with("-inf")), "{text}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn add_proxies_merges_score_files_into_a_copy_of_a_benchmark() {
    use nb102_store::{BenchmarkKind, BenchmarkMeta, BenchmarkWriter, ProxyKey, ProxyTable, ProxyVariant, Setting};
    let root = dir("add-proxies");
    let key = ProxyKey {
        proxy: "synflow".into(),
        setting: Setting::Cifar10,
        batch_size: 64,
        seed: Some(0),
        variant: ProxyVariant::Raw,
    };
    let shard = |name: &str, cells: &[(usize, f64)]| {
        let mut table = ProxyTable::new(nb102_space::Space::Topology);
        for &(index, score) in cells {
            table.insert(&key, "no images", index, score).unwrap();
        }
        let meta = BenchmarkMeta { description: "scores".into(), kind: BenchmarkKind::Nb201 };
        let mut writer = BenchmarkWriter::create(&root.join(name), meta).unwrap();
        writer.set_proxies(table);
        writer.finish().unwrap()
    };
    let (a, b) = (shard("a", &[(4811, 1.5), (0, 0.0)]), shard("b", &[(1, f64::NAN)]));
    let runs = root.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    write_trial(&runs.join("a.trial.cbor"), &trial(4811, 777)).unwrap();
    let bench = PathBuf::from(ok(&["merge", s(&runs), "-o", s(&root.join("bench")), "--kind", "demo"]).trim_end());
    let with = PathBuf::from(ok(&["add-proxies", s(&bench), s(&a), s(&b), "-o", s(&root.join("with"))]).trim_end());
    let info: serde_json::Value = serde_json::from_str(&ok(&["info", s(&with), "--json", "--verify"])).unwrap();
    assert_eq!((info["cells"].as_u64(), info["proxy_columns"].as_u64()), (Some(1), Some(1)));
    let rows: serde_json::Value = serde_json::from_str(&ok(&["proxy", s(&with), "4811", "--json"])).unwrap();
    assert_eq!(rows[0]["score"].as_f64(), Some(1.5));
    assert!(ok(&["proxy", s(&with), "1"]).trim_end().ends_with("NaN"));
    // A conflicting score, or a file without scores, is refused.
    let c = shard("c", &[(4811, 2.5)]);
    fails_with(&["add-proxies", s(&with), s(&c), "-o", s(&root.join("x"))], "one score of cell 4811 for synflow");
    fails_with(
        &["add-proxies", s(&with), s(&bench), "-o", s(&root.join("x"))],
        "expected a file with proxy scores, found none",
    );
    std::fs::remove_dir_all(&root).unwrap();
}
