//! What `nb102.create`, `nb102.NASBench201API` and `nb102.Benchmark` accept as a path: a `.nb102` file is
//! opened directly; an official archive (a NATS-Bench folder of either space, a NAS-Bench-201 `.pth` file) is imported
//! once into a cache folder, and later opens find the import there.
//!
//! An import is named `STEM-SOURCE-STATE-DIGEST.nb102`: `SOURCE` hashes the archive's canonical path, `STATE`
//! every entry's name, size and modification time (the file's own for a `.pth`) with the package's version and
//! benchmark format, so an archive changed in any file, or a new build, imports again, and the imports of an
//! archive's earlier states are removed once the new one is written. `DIGEST` is the file's own, as every
//! benchmark file carries.
//!
//! One import of an archive runs at a time: threads of a process wait on a lock per archive, processes (on one
//! machine or several sharing the cache) on a file lock beside the imports, and the later ones then open what
//! the first wrote. A cached import that fails the checks made at open (its header against its name, its
//! sections' extents against its size, its summary against its checksum) is moved aside as
//! `.NAME.damaged` and imported again; a damaged section found later by a query raises `DamagedBenchmarkError`
//! and moves the import aside, so the next open imports again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::UNIX_EPOCH;

use indicatif::{ProgressBar, ProgressStyle};
use nb102_api::Api;
use nb102_store::{BenchmarkFile, ImportError, StoreError, BENCHMARK_EXTENSION, BENCHMARK_FORMAT_VERSION};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use sha2::{Digest, Sha256};

use crate::store_error;

/// The folder imports are cached in: `NB102_CACHE_DIR` (unless empty), else `$XDG_CACHE_HOME/nb102/imports`, else
/// `~/.cache/nb102/imports`.
pub(crate) fn cache_dir() -> PathBuf {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("NB102_CACHE_DIR") {
        return dir;
    }
    let base =
        set("XDG_CACHE_HOME").or_else(|| set("HOME").map(|h| h.join(".cache"))).unwrap_or_else(std::env::temp_dir);
    base.join("nb102/imports")
}

/// The `.nb102` file to open for `path`, importing an official archive into the cache the first time.
#[pyfunction]
#[pyo3(signature = (path, verbose = false))]
pub fn resolve(py: Python<'_>, path: PathBuf, verbose: bool) -> PyResult<PathBuf> {
    Ok(open_api(py, &path, verbose)?.path().to_owned())
}

/// The query API over `path`: an `.nb102` file, or the cached import of an official archive (imported the first
/// time). A cached import is opened once, by the checks it gets, and what they read (its summary) stays read.
pub(crate) fn open_api(py: Python<'_>, path: &Path, verbose: bool) -> PyResult<Api> {
    let io = |e: std::io::Error| PyOSError::new_err(format!("{}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let kind = if meta.is_dir() {
        Kind::Nats
    } else if name.ends_with(&format!(".{BENCHMARK_EXTENSION}")) {
        return py.detach(|| Api::open(path)).map_err(crate::api_error);
    } else if name.ends_with(".pth") {
        Kind::Nb201Pth
    } else {
        return Err(PyValueError::new_err(format!(
            "expected a .{BENCHMARK_EXTENSION} file, a NATS-Bench archive folder or a NAS-Bench-201 .pth \
             file, found {}",
            path.display()
        )));
    };
    let canonical = path.canonicalize().map_err(io)?;
    let dir = cache_dir();
    match std::fs::metadata(&dir) {
        Ok(m) if !m.is_dir() => {
            return Err(PyOSError::new_err(format!(
                "{}: expected a folder for nb102's imports (NB102_CACHE_DIR, or the default under ~/.cache), found a \
                 file",
                dir.display()
            )))
        }
        Ok(_) => {}
        Err(_) => std::fs::create_dir_all(&dir).map_err(|e| PyOSError::new_err(format!("{}: {e}", dir.display())))?,
    }
    let file = py.detach(|| import_cached(&canonical, kind, &dir, verbose)).map_err(|e| match e {
        Failure::Io(path, e) => PyOSError::new_err(format!("{}: {e}", path.display())),
        Failure::Import(ImportError::Input(e) | ImportError::Output(e)) | Failure::Store(e) => store_error(e),
    })?;
    Ok(Api::from_file(file))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Nats,
    Nb201Pth,
}

enum Failure {
    Io(PathBuf, std::io::Error),
    Import(ImportError),
    /// The import just written does not open.
    Store(StoreError),
}

/// The import of `archive` (a canonical path) in `dir`, opened, made if there is none that passes its checks.
fn import_cached(archive: &Path, kind: Kind, dir: &Path, verbose: bool) -> Result<BenchmarkFile, Failure> {
    let name = archive.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = match name.trim_end_matches(".pth") {
        "" => "archive",
        stem => stem,
    };
    let source = format!("{stem}-{}", hex_digest(&[archive.as_os_str().as_encoded_bytes()], 3));
    let state = archive_state(archive, kind)?;
    let prefix = format!("{source}-{state}");

    // One import per archive at a time: threads here first, then processes (the file lock).
    let lock_path = dir.join(format!(".{source}.lock"));
    let in_process = process_lock(&lock_path);
    let _in_process = in_process.lock().unwrap_or_else(PoisonError::into_inner);
    let lock_file = std::fs::File::options().create(true).truncate(false).write(true).open(&lock_path);
    let lock_file = match lock_file {
        Ok(file) => file,
        // A cache this user can only read (a shared, prepared one): its import is used as it is, unlocked, since
        // nobody here can write one beside it.
        Err(e) => {
            let usable = cached(dir, &format!("{prefix}-")).and_then(|found| check_import(&found).ok());
            return usable.ok_or(Failure::Io(lock_path, e));
        }
    };
    lock_file.lock().map_err(|e| Failure::Io(lock_path.clone(), e))?;

    let found = match cached(dir, &format!("{prefix}-")) {
        Some(found) => match check_import(&found) {
            Ok(file) => Some(file),
            Err(damage) => {
                let aside = set_aside(&found);
                if verbose {
                    eprintln!(
                        "nb102: {damage}; moved aside to {}, importing {} again",
                        aside.display(),
                        archive.display()
                    );
                }
                None
            }
        },
        None => None,
    };
    let file = match found {
        Some(file) => file,
        None => {
            let written = import(archive, kind, &dir.join(&prefix), verbose).map_err(Failure::Import)?;
            BenchmarkFile::open(&written).map_err(Failure::Store)?
        }
    };
    remove_superseded(dir, &format!("{source}-"), &format!("{prefix}-"), file.path());
    register(file.path(), archive);
    Ok(file)
}

/// Eight hex digits of every entry of a folder archive (name, size and modification time, in name order) or of a
/// file archive, with this build's version and benchmark format.
fn archive_state(archive: &Path, kind: Kind) -> Result<String, Failure> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e| Failure::Io(path, e)
    };
    let stamp = |meta: &std::fs::Metadata| {
        let modified = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
        let mut bytes = modified.as_nanos().to_le_bytes().to_vec();
        bytes.extend_from_slice(&meta.len().to_le_bytes());
        bytes
    };
    let mut parts: Vec<Vec<u8>> =
        vec![env!("CARGO_PKG_VERSION").as_bytes().to_vec(), BENCHMARK_FORMAT_VERSION.to_le_bytes().to_vec()];
    match kind {
        Kind::Nb201Pth => parts.push(stamp(&std::fs::metadata(archive).map_err(io(archive))?)),
        Kind::Nats => {
            let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            for entry in std::fs::read_dir(archive).map_err(io(archive))? {
                let entry = entry.map_err(io(archive))?;
                let meta = entry.metadata().map_err(io(&entry.path()))?;
                entries.push((entry.file_name().as_encoded_bytes().to_vec(), stamp(&meta)));
            }
            entries.sort();
            for (name, stamp) in entries {
                parts.push(name);
                parts.push(stamp);
            }
        }
    }
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Ok(hex_digest(&parts, 4))
}

fn hex_digest(parts: &[&[u8]], bytes: usize) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().iter().take(bytes).map(|b| format!("{b:02x}")).collect()
}

/// The lock of one archive's imports among this process's threads.
fn process_lock(lock_path: &Path) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(locks.entry(lock_path.to_owned()).or_default())
}

/// A cached import, opened with the checks it gets, cheap whatever its size: the header against the name, the
/// sections' extents against the file's size (a truncated or extended file), the summary against its checksum.
fn check_import(path: &Path) -> Result<BenchmarkFile, StoreError> {
    let file = BenchmarkFile::open(path)?;
    file.summary()?;
    Ok(file)
}

fn import(archive: &Path, kind: Kind, prefix: &Path, verbose: bool) -> Result<PathBuf, ImportError> {
    let bar = if verbose {
        eprintln!(
            "nb102: importing {} into {} (once; later opens read the import)",
            archive.display(),
            prefix.parent().unwrap_or(Path::new(".")).display()
        );
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template("nb102: importing {bar:30} {pos}/{len} {msg} {eta}")
                .expect("a valid template"),
        )
    } else {
        ProgressBar::hidden()
    };
    let written = match kind {
        // An archive of either space: its meta file says which.
        Kind::Nats => match nb102_store::nats_archive(archive) {
            Ok((space, _)) => nb102_store::import_nats(archive, space, prefix, |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }),
            Err(e) => Err(ImportError::Input(e)),
        },
        Kind::Nb201Pth => {
            bar.set_length(1);
            nb102_store::import_nb201_pth(&[archive.to_owned()], prefix, |done, cells| {
                bar.set_position(done as u64);
                bar.set_message(format!("{cells} cells"));
            })
        }
    };
    bar.finish_and_clear();
    written
}

/// A finished import with this name prefix in the cache folder (temporary files start with a dot).
fn cached(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let suffix = format!(".{BENCHMARK_EXTENSION}");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(&suffix)))
}

/// Removes the imports of an archive's earlier states (named `STEM-SOURCE-…`) other than `keep`, and their
/// damaged files (the current state's is kept for a look). A process still reading one keeps reading it: the
/// file goes when the last reader closes it. Failures are ignored: this only reclaims space.
fn remove_superseded(dir: &Path, source_prefix: &str, current_prefix: &str, keep: &Path) {
    let suffix = format!(".{BENCHMARK_EXTENSION}");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        let ours = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            n.starts_with(source_prefix)
                && (n.ends_with(&suffix) || (n.ends_with(".damaged") && !n.starts_with(current_prefix)))
        });
        if ours && path != keep {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Moves a damaged import out of the way (`STEM-….nb102.damaged`, one per archive, replaced by the next), so the
/// next open imports again and the damaged file can still be looked at.
fn set_aside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let aside = path.with_file_name(format!("{name}.damaged"));
    if std::fs::rename(path, &aside).is_err() {
        // Another process moved or replaced it first; either way this name is not to be opened again as it was.
        let _ = std::fs::remove_file(path);
    }
    aside
}

/// The cached imports this process opened, with the archive each came from.
fn imports() -> std::sync::MutexGuard<'static, HashMap<PathBuf, PathBuf>> {
    static IMPORTS: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    IMPORTS.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner)
}

fn register(import: &Path, archive: &Path) {
    imports().insert(import.to_owned(), archive.to_owned());
}

/// For damage found in `file` by a query: if it is a cached import, moves it aside so that the next open imports
/// its archive again, and says so.
pub(crate) fn repair_hint(file: &Path) -> Option<String> {
    let archive = imports().remove(file)?;
    if !file.exists() {
        return Some(format!("nb102 imports {} again when it is next opened", archive.display()));
    }
    let aside = set_aside(file);
    Some(format!(
        "this is nb102's import of {}, now moved aside to {}: open the archive again to import it anew",
        archive.display(),
        aside.display()
    ))
}

/// The cache folder of imports.
#[pyfunction(name = "cache_dir")]
pub fn py_cache_dir() -> PathBuf {
    cache_dir()
}
