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

/// Whether `path` is a temporary file left by an interrupted [`write_atomically`].
pub(crate) fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') && n.contains(".tmp-"))
}

/// The paths under `dirs` (searched recursively) whose names end with `suffix`, sorted.
pub(crate) fn find_files(dirs: &[PathBuf], suffix: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| StoreError::Io { path: dir.clone(), error: source })?;
        for entry in entries {
            let path = entry.map_err(|source| StoreError::Io { path: dir.clone(), error: source })?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) && !is_temporary(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}
