//! Writing a file so that readers see either the old file or the whole new one, never a part.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, StoreError};

/// Writes `path` through a temporary file in the same folder, synced, then renamed over `path`: a reader, or
/// a process killed in the middle, sees either the old file or the whole new one.
///
/// # Errors
/// [`StoreError::Io`] naming `path`; the temporary file is removed.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp =
        path.with_file_name(format!(".{name}.tmp-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let io = |source| StoreError::Io { path: path.to_owned(), error: source };
    remove_stale_temporaries(path.parent().unwrap_or(Path::new(".")), &name);
    let result = (|| {
        let mut out = BufWriter::new(File::create(&tmp)?);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Whether `path` is a temporary file of a write in progress or interrupted ([`write_atomically`] and the other
/// writers of nb102: `.NAME.tmp-PID…`).
pub(crate) fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') && n.contains(".tmp-"))
}

/// Removes the temporary files that writers of `stem` (a file name, or the prefix of one) in `dir` left behind
/// when they were killed: those named `.STEM…tmp-PID…` (any number of leading dots) whose process `PID` is gone.
/// A live writer's file is kept, so two writers of one output never disturb each other. Where process ids cannot
/// be checked (no `/proc`), nothing is removed. Failures are ignored: this only reclaims space.
pub fn remove_stale_temporaries(dir: &Path, stem: &str) {
    let proc = Path::new("/proc");
    if stem.is_empty() || !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with('.') || !name.trim_start_matches('.').starts_with(stem) {
            continue;
        }
        let Some((_, after)) = name.rsplit_once(".tmp-") else { continue };
        let pid: String = after.chars().take_while(char::is_ascii_digit).collect();
        if !pid.is_empty() && pid != std::process::id().to_string() && !proc.join(&pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The files under `dirs`, searched recursively, in no particular order.
pub(crate) fn find_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| StoreError::Io { path: dir.clone(), error: source })?;
        for entry in entries {
            let path = entry.map_err(|source| StoreError::Io { path: dir.clone(), error: source })?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    Ok(found)
}
