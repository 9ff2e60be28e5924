//! Writing a file so that readers see either the old file or the whole new one, never a part; what an output
//! must be before anything is written to it; and reading input files of bounded size.
//!
//! Temporary files are named `.NAME[.PURPOSE].tmp-hTAG-PID-N`: the leading dot hides them, `TAG` names this
//! machine, boot and PID namespace, `PID` the writing process and `N` the writer within it, so no two writers
//! ever share one, on one machine or on several sharing a folder, and a leftover one is removed only when its
//! writer is provably gone (see [`remove_stale_temporaries`]).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

/// A temporary file older than this is a dead writer's whoever wrote it: every writer of nb102 writes its
/// temporary file continuously and renames or removes it within seconds of its last write.
pub const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(24 * 3600);

/// Writes `path` through a temporary file in the same folder, synced, then renamed over `path`: a reader, or
/// a process killed in the middle, sees either the old file or the whole new one. An existing `path` must be
/// a regular file (or a symbolic link to one, which is written through: its target is replaced).
///
/// # Errors
/// [`StoreError::Output`] for a `path` that is not a regular file or a new name in a folder;
/// [`StoreError::Io`] naming `path`; the temporary file is removed.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>) -> Result<()> {
    write_atomically_checked(path, write, |_| Ok(()))
}

/// [`write_atomically`], calling `check` on the complete, synced temporary file before it takes its final name,
/// so that a file that does not read back as written is never published.
///
/// # Errors
/// As [`write_atomically`], and `check`'s.
pub fn write_atomically_checked(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    check: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let target = output_target(path)?;
    let name = file_name(&target);
    let tmp = temporary_path(&target, "");
    let io = |source| StoreError::Io { path: path.to_owned(), error: source };
    remove_stale_temporaries(target.parent().unwrap_or(Path::new(".")), &name);
    let result = (|| {
        let mut out = BufWriter::new(File::create_new(&tmp).map_err(io)?);
        write(&mut out).map_err(io)?;
        out.flush().map_err(io)?;
        out.get_ref().sync_all().map_err(io)?;
        drop(out);
        check(&tmp)?;
        std::fs::rename(&tmp, &target).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The file that writing `path` replaces: `path` itself, or the target of a symbolic link (links followed);
/// refused unless it is a regular file or does not exist yet.
///
/// # Errors
/// [`StoreError::Output`] for a folder, device, FIFO or socket, or a link cycle.
pub fn output_target(path: &Path) -> Result<PathBuf> {
    let mut target = path.to_owned();
    // As many links as the kernel follows before it reports a loop.
    for _ in 0..40 {
        let meta = match std::fs::symlink_metadata(&target) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(target),
            Err(error) => return Err(StoreError::Io { path: path.to_owned(), error }),
        };
        let kind = meta.file_type();
        if kind.is_file() {
            return Ok(target);
        }
        if !kind.is_symlink() {
            return Err(bad_output(path, file_kind(&meta).to_owned()));
        }
        let link = std::fs::read_link(&target).map_err(|error| StoreError::Io { path: path.to_owned(), error })?;
        target = target.parent().unwrap_or(Path::new("")).join(link);
    }
    Err(bad_output(path, "a cycle of symbolic links".to_owned()))
}

/// Checks, before any work starts, that `path` can be written as an output: it is a regular file or a new name
/// (see [`output_target`]), its folder exists, and a file can be created there.
///
/// # Errors
/// [`StoreError::Output`] for a path that cannot be an output, [`StoreError::Io`] for a folder this process
/// cannot write in (permissions, a read-only or full file system).
pub fn check_output(path: &Path) -> Result<()> {
    let target = output_target(path)?;
    check_folder(path, target.parent().unwrap_or(Path::new("")), &file_name(&target))
}

/// [`check_output`] for outputs named after their content, `PREFIX-XXXXXX.nb102`: the prefix's folder exists and
/// is writable.
///
/// # Errors
/// As [`check_output`].
pub fn check_output_prefix(prefix: &Path) -> Result<()> {
    check_folder(prefix, prefix.parent().unwrap_or(Path::new("")), &file_name(prefix))
}

fn check_folder(path: &Path, dir: &Path, name: &str) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(meta) => return Err(bad_output(path, format!("{} where its folder should be", file_kind(&meta)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(bad_output(path, format!("no folder {}", dir.display())))
        }
        Err(error) => return Err(StoreError::Io { path: path.to_owned(), error }),
    }
    // Whether a file can be created there is known only by creating one.
    let probe = temporary_path(&dir.join(name), "probe");
    File::create_new(&probe).map_err(|error| StoreError::Io { path: path.to_owned(), error })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn bad_output(path: &Path, found: String) -> StoreError {
    StoreError::Output { path: path.to_owned(), found }
}

/// What a file is, in words, for errors.
pub(crate) fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a folder";
    } else if kind.is_file() {
        return "a regular file";
    } else if kind.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        } else if kind.is_char_device() {
            return "a character device";
        } else if kind.is_block_device() {
            return "a block device";
        } else if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Opens `path` for reading as a regular file (links followed) of at most `limit` bytes: a device, FIFO or
/// folder is refused before it is opened (reading `/dev/zero` would never end, opening a FIFO blocks).
///
/// # Errors
/// [`StoreError::Format`] naming `expected` for something other than a regular file, or a larger one;
/// [`StoreError::Io`].
pub fn open_regular(path: &Path, expected: &str, limit: u64) -> Result<File> {
    let io = |error| StoreError::Io { path: path.to_owned(), error };
    let refuse = |found: String| StoreError::Format { path: path.to_owned(), expected: expected.to_owned(), found };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(refuse(file_kind(&meta).to_owned()));
    }
    let file = File::open(path).map_err(io)?;
    // Checked again on what was opened: the name may have been pointed elsewhere in between.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(refuse(file_kind(&meta).to_owned()));
    }
    if meta.len() > limit {
        return Err(refuse(format!("{} bytes, more than the {limit} such a file may hold", meta.len())));
    }
    Ok(file)
}

/// All of the regular file `path` (see [`open_regular`]), at most `limit` bytes, whatever it grows to while read.
///
/// # Errors
/// As [`open_regular`].
pub fn read_regular(path: &Path, expected: &str, limit: u64) -> Result<Vec<u8>> {
    let file = open_regular(path, expected, limit)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| StoreError::Io { path: path.to_owned(), error })?;
    if bytes.len() as u64 > limit {
        return Err(StoreError::Format {
            path: path.to_owned(),
            expected: expected.to_owned(),
            found: format!("more than the {limit} bytes such a file may hold"),
        });
    }
    Ok(bytes)
}

/// A temporary file's name beside `path`, unique to this call: `.NAME.PURPOSE.tmp-hTAG-PID-N` (`.NAME.tmp-…`
/// for an empty `purpose`), in `path`'s folder so that renaming it onto `path` is atomic.
pub fn temporary_path(path: &Path, purpose: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = file_name(path);
    let purpose = if purpose.is_empty() { String::new() } else { format!(".{purpose}") };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}{purpose}.tmp-h{}-{}-{n}", writer_tag(), std::process::id()))
}

/// Eight hex digits naming this machine (host name), its boot (boot id) and this process's PID namespace: a
/// process id means one process only among writers that share all three.
fn writer_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let mut hasher = Sha256::new();
        for part in ["/proc/sys/kernel/hostname", "/proc/sys/kernel/random/boot_id"] {
            hasher.update(std::fs::read(part).unwrap_or_default());
            hasher.update([0]);
        }
        let namespace = std::fs::read_link("/proc/self/ns/pid").unwrap_or_default();
        hasher.update(namespace.as_os_str().as_encoded_bytes());
        hasher.finalize().iter().take(4).map(|b| format!("{b:02x}")).collect()
    })
}

/// Whether `path` is a temporary file of a write in progress or interrupted ([`write_atomically`] and the other
/// writers of nb102: `.NAME.tmp-…`).
pub(crate) fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') && n.contains(".tmp-"))
}

/// Removes the temporary files that writers of `stem` (a file name, or the prefix of one) in `dir` left behind
/// when they were killed: those named `.STEM…tmp-…` (any number of leading dots) whose writer is provably gone.
/// That is a writer of this machine, boot and PID namespace (its tag is this process's) whose process no longer
/// exists, or any writer whose file has not been written for [`STALE_TEMPORARY_AGE`]. A file of a writer on
/// another machine sharing the folder, or in another PID namespace, is never taken for a dead one's while it
/// is being written. Failures are ignored: this only reclaims space.
pub fn remove_stale_temporaries(dir: &Path, stem: &str) {
    if stem.is_empty() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
        return;
    };
    let own = format!("h{}", writer_tag());
    let this_process = std::process::id().to_string();
    // Where process ids cannot be checked (no /proc), only age tells a dead writer's file.
    let pids_visible = Path::new("/proc/self").exists();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with('.') || !name.trim_start_matches('.').starts_with(stem) {
            continue;
        }
        let Some((_, after)) = name.rsplit_once(".tmp-") else { continue };
        let mut parts = after.splitn(3, '-');
        let (tag, pid) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let dead_here = pids_visible
            && tag == own
            && !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && pid != this_process
            && !Path::new("/proc").join(pid).exists();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMPORARY_AGE);
        if dead_here || old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
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
