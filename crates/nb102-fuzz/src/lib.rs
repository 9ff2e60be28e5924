//! Fuzz targets: each takes arbitrary bytes and feeds them to one reader of untrusted input, which must answer
//! with a value or an error and never panic, allocate without bound or hang.
//!
//! The same functions serve libFuzzer (`fuzz/`, with `cargo fuzz`, docs/FUZZING.md) and the corpus replay of the
//! workspace's tests (`tests/replay.rs`). Readers that take a path get the bytes through a file in a folder of
//! this process's own, written afresh for each input.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nb102_space::{Arch, Dataset};
use nb102_store::{BenchmarkFile, TableColumn};
use sha2::{Digest, Sha256};

/// Every target by name, as the corpus folders are named.
pub const TARGETS: [(&str, fn(&[u8])); 8] = [
    ("arch", arch),
    ("benchmark_file", benchmark_file),
    ("trial_file", trial_file),
    ("pickle", pickle),
    ("nats_record", nats_record),
    ("nb201_pth", nb201_pth),
    ("csv_table", csv_table),
    ("dataset", dataset),
];

/// This process's scratch folder.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nb102-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

/// `data` written to `name` in the scratch folder.
fn file(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, data).expect("writing the scratch file");
    path
}

/// The architecture parser: any text gives a cell or an error; a cell prints to a string that parses back to it,
/// and its official index names it again.
pub fn arch(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(arch) = text.parse::<Arch>() {
        assert_eq!(arch.to_string().parse::<Arch>().ok(), Some(arch), "{text:?}");
        assert_eq!(Arch::from_official_index(arch.official_index()).ok(), Some(arch));
    }
    if let Ok(arch) = Arch::from_index_or_str(&text) {
        assert_eq!(Arch::from_index_text(&arch.official_index().to_string()).ok(), Some(arch));
    }
}

/// A benchmark file, named after the digest of its header as writers name them (so that the fuzzer gets past the
/// name check into the header, the index, the summary and the sections): opened, verified, every cell read.
pub fn benchmark_file(data: &[u8]) {
    let header_end = data
        .get(12..20)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .and_then(|h| usize::try_from(h).ok()?.checked_add(20))
        .filter(|&end| end <= data.len())
        .unwrap_or(data.len());
    let digest: String = Sha256::digest(&data[..header_end]).iter().map(|b| format!("{b:02x}")).collect();
    let path = file(&format!("fuzz-{}.nb102", &digest[58..]), data);
    if let Ok(bench) = BenchmarkFile::open(&path) {
        let _ = bench.summary();
        let _ = bench.verify(|| {});
        for index in bench.indices().collect::<Vec<_>>() {
            let _ = bench.cell(index);
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// A per-trial file: read and, when valid, written and read back to the same record (compared as written bytes:
/// a diverged run's NaN loss is a value that `==` does not equal to itself).
pub fn trial_file(data: &[u8]) {
    let path = file("fuzz.trial.cbor", data);
    if let Ok(record) = nb102_store::read_trial(&path) {
        let (once, twice) = (scratch().join("once.trial.cbor"), scratch().join("twice.trial.cbor"));
        nb102_store::write_trial(&once, &record).expect("a record read is written");
        let back = nb102_store::read_trial(&once).expect("and read back");
        nb102_store::write_trial(&twice, &back).expect("and written again");
        assert_eq!(std::fs::read(&once).ok(), std::fs::read(&twice).ok(), "the same record");
    }
}

/// The pickle reader, on its own.
pub fn pickle(data: &[u8]) {
    let _ = nb102_store::pickle::unpickle(data);
}

/// A NATS-Bench record or meta file: the bytes are the pickle, bz2-compressed here as the archive stores it.
pub fn nats_record(data: &[u8]) {
    let mut compressed = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    std::io::Write::write_all(&mut compressed, data).expect("compressing to memory");
    let compressed = compressed.finish().expect("compressing to memory");
    let _ = nb102_store::read_nats_file(&file("000007.pickle.pbz2", &compressed));
    let _ = nb102_store::read_nats_meta(&file("meta.pickle.pbz2", &compressed));
}

/// A NAS-Bench-201 `.pth` file, zip or legacy serialization, streamed cell by cell.
pub fn nb201_pth(data: &[u8]) {
    let _ = nb102_store::read_nb201_pth(&file("fuzz.pth", data), |_, _| Ok(()));
}

/// A per-cell CSV table with NAS-Bench-201's columns.
pub fn csv_table(data: &[u8]) {
    let _ = nb102_store::read_summary_table(&file("fuzz.csv", data), &TableColumn::nb201());
}

/// One file of a dataset folder replaced by the bytes after the first, which picks the file: CIFAR-10 and
/// CIFAR-100 (pickled batches and the binary layout), ImageNet16-120, Fashion-MNIST (IDX). The other files are
/// small valid ones.
pub fn dataset(data: &[u8]) {
    let Some((&pick, content)) = data.split_first() else { return };
    let folders = dataset_folders();
    let (dataset, path) = &folders.files[usize::from(pick) % folders.files.len()];
    let original = std::fs::read(path).expect("a dataset fixture");
    std::fs::write(path, content).expect("writing the dataset file");
    let root = path.ancestors().nth(2).expect("files sit in a dataset's folder");
    let _ = nb102_data::load(*dataset, root);
    std::fs::write(path, original).expect("restoring the dataset file");
}

struct DatasetFolders {
    files: Vec<(Dataset, PathBuf)>,
}

/// Copies of nb102-train's dataset fixtures, and small Fashion-MNIST and CIFAR binary folders, in the scratch
/// folder; each root holds one dataset's folder.
fn dataset_folders() -> &'static DatasetFolders {
    static FOLDERS: OnceLock<DatasetFolders> = OnceLock::new();
    FOLDERS.get_or_init(|| {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nb102-loader/tests/data");
        let mut files = Vec::new();
        for (dataset, folder) in [
            (Dataset::Cifar10, "cifar-10-batches-py"),
            (Dataset::Cifar100, "cifar-100-python"),
            (Dataset::ImageNet16_120, "ImageNet16"),
        ] {
            let dir = scratch().join(format!("root-{folder}")).join(folder);
            std::fs::create_dir_all(&dir).expect("a dataset folder");
            let mut names: Vec<_> = std::fs::read_dir(fixtures.join(folder))
                .expect("nb102-train's dataset fixtures")
                .map(|e| e.expect("an entry").file_name())
                .collect();
            names.sort();
            for name in names {
                std::fs::copy(fixtures.join(folder).join(&name), dir.join(&name)).expect("copying a fixture");
                files.push((dataset, dir.join(name)));
            }
        }
        let bin = scratch().join("root-bin/cifar-10-batches-bin");
        std::fs::create_dir_all(&bin).expect("a dataset folder");
        let row: Vec<u8> = std::iter::once(3).chain((0..3072).map(|i| (i % 256) as u8)).collect();
        for name in (1..=5).map(|i| format!("data_batch_{i}.bin")).chain(["test_batch.bin".to_owned()]) {
            std::fs::write(bin.join(&name), &row).expect("writing a dataset file");
            files.push((Dataset::Cifar10, bin.join(name)));
        }
        let fashion = scratch().join("root-fashion/fashion-mnist");
        std::fs::create_dir_all(&fashion).expect("a dataset folder");
        for (name, dims) in [
            ("train-images-idx3-ubyte", &[2u32, 28, 28][..]),
            ("train-labels-idx1-ubyte", &[2][..]),
            ("t10k-images-idx3-ubyte", &[1, 28, 28][..]),
            ("t10k-labels-idx1-ubyte", &[1][..]),
        ] {
            let mut bytes = vec![0, 0, 8, dims.len() as u8];
            for d in dims {
                bytes.extend_from_slice(&d.to_be_bytes());
            }
            bytes.extend(std::iter::repeat_n(1, dims.iter().product::<u32>() as usize));
            std::fs::write(fashion.join(name), bytes).expect("writing a dataset file");
            files.push((Dataset::FashionMnist, fashion.join(name)));
        }
        DatasetFolders { files }
    })
}
