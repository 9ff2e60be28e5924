//! What `nb102.create`, `nb102.NASBench201API` and `nb102.Benchmark` accept as a path: a `.nb102` file is
//! opened directly; an official archive (a NATS-Bench topology folder, a NAS-Bench-201 `.pth` file) is imported
//! once into a cache folder, and later opens find the import there.
//!
//! The cache key is the input's canonical path with its size and modification time (for a folder: its
//! modification time and number of entries), so an archive replaced in place is imported again, and the
//! package's version and benchmark format, so a new build imports again into the format it writes (an older
//! import would still read, but decode slower); the file written carries its own digest, as every benchmark
//! file does.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use indicatif::{ProgressBar, ProgressStyle};
use nb102_store::{ImportError, BENCHMARK_EXTENSION, BENCHMARK_FORMAT_VERSION};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use sha2::{Digest, Sha256};

use crate::store_error;

/// The folder imports are cached in: `NB102_CACHE_DIR`, else `$XDG_CACHE_HOME/nb102/imports`, else
/// `~/.cache/nb102/imports`.
pub(crate) fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NB102_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("nb102/imports")
}

/// The `.nb102` file to open for `path`, importing an official archive into the cache the first time.
#[pyfunction]
#[pyo3(signature = (path, verbose = false))]
pub fn resolve(py: Python<'_>, path: PathBuf, verbose: bool) -> PyResult<PathBuf> {
    resolve_path(py, &path, verbose)
}

pub(crate) fn resolve_path(py: Python<'_>, path: &Path, verbose: bool) -> PyResult<PathBuf> {
    let io = |e: std::io::Error| PyOSError::new_err(format!("{}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let kind = if meta.is_dir() {
        Kind::NatsTss
    } else if name.ends_with(&format!(".{BENCHMARK_EXTENSION}")) {
        return Ok(path.to_owned());
    } else if name.ends_with(".pth") {
        Kind::Nb201Pth
    } else {
        return Err(PyValueError::new_err(format!(
            "expected a .{BENCHMARK_EXTENSION} file, a NATS-Bench topology archive folder or a NAS-Bench-201 .pth \
             file, found {}",
            path.display()
        )));
    };
    let canonical = path.canonicalize().map_err(io)?;
    let mut key = Sha256::new();
    key.update(canonical.as_os_str().as_encoded_bytes());
    let modified = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
    key.update(modified.as_nanos().to_le_bytes());
    key.update(meta.len().to_le_bytes());
    key.update(env!("CARGO_PKG_VERSION").as_bytes());
    key.update(BENCHMARK_FORMAT_VERSION.to_le_bytes());
    if kind == Kind::NatsTss {
        key.update((std::fs::read_dir(path).map_err(io)?.count() as u64).to_le_bytes());
    }
    let key: String = key.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    let stem = name.trim_end_matches(".pth");
    let dir = cache_dir();
    let prefix = dir.join(format!("{stem}-{key}"));
    if let Some(found) = cached(&dir, &format!("{stem}-{key}-")) {
        return Ok(found);
    }
    std::fs::create_dir_all(&dir).map_err(|e| PyOSError::new_err(format!("{}: {e}", dir.display())))?;
    if verbose {
        eprintln!("nb102: importing {} into {} (once; later opens read the import)", path.display(), dir.display());
    }
    let written = py.detach(|| {
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("nb102: importing {bar:30} {pos}/{len} {msg} {eta}")
                .expect("a valid template"),
        );
        let written = match kind {
            Kind::NatsTss => nb102_store::import_nats_tss(path, &prefix, |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }),
            Kind::Nb201Pth => {
                bar.set_length(1);
                nb102_store::import_nb201_pth(&[path.to_owned()], &prefix, |done, cells| {
                    bar.set_position(done as u64);
                    bar.set_message(format!("{cells} cells"));
                })
            }
        };
        bar.finish_and_clear();
        written
    });
    written.map_err(|e| match e {
        ImportError::Input(e) | ImportError::Output(e) => store_error(e),
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    NatsTss,
    Nb201Pth,
}

/// A finished import with this name prefix in the cache folder (temporary files end otherwise).
fn cached(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let suffix = format!(".{BENCHMARK_EXTENSION}");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(&suffix)))
}

/// The cache folder of imports.
#[pyfunction(name = "cache_dir")]
pub fn py_cache_dir() -> PathBuf {
    cache_dir()
}
