//! Importer of the NATS-Bench archives, of the topology space (`NATS-tss-v1_0-3ffb9-simple/`) and of the size
//! space (`NATS-sss-v1_0-50262-simple/`): `meta.pickle.pbz2` and one `NNNNNN.pickle.pbz2` per architecture,
//! bz2-compressed pickles of `{'12': ArchResults, '200': ArchResults}` (size: `'01'`, `'12'`, `'90'`) state dicts
//! (spec 06 §6.2, 07 §7.6, 10.6).
//!
//! Every `ResultsCount` becomes a [`TrialRecord`]; the checks are the reference's own invariants (the
//! architecture of each file is the one its index names, every epoch of the schedule is present) plus ours
//! (`meta_archs` is one space's official order, and the records are of that space). Weights in a "full" archive are torch tensors pickled by torch
//! itself, which this crate does not read: such a file is refused rather than imported without them.

use std::path::{Path, PathBuf};

use nb102_space::Space;

use super::results::{arch_results, official_space, string_list};
use crate::error::{Result, StoreError};
use crate::pickle::{unpickle, PyValue};
use crate::record::TrialRecord;
use crate::setting::Hp;

/// The records of one `NNNNNN.pickle.pbz2` file, of either space.
///
/// # Errors
/// [`StoreError::Io`] or [`StoreError::Format`] naming the file and what in it is unexpected.
pub fn read_nats_file(path: &Path) -> Result<Vec<TrialRecord>> {
    let value = read_pickle(path)?;
    let bad =
        |found: String| StoreError::Format { path: path.to_owned(), expected: "a NATS-Bench record".into(), found };
    let by_hp = value.items().ok_or_else(|| bad(format!("{} at the top level", value.kind())))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut records = Vec::new();
    for (hp_key, results) in by_hp {
        let hp = match hp_key {
            PyValue::Str(s) => s.parse::<u16>().map(Hp::new).map_err(|_| bad(format!("hp key {s:?}")))?,
            other => return Err(bad(format!("{} as hp key", other.kind()))),
        };
        records.extend(arch_results(results, hp, "", None).map_err(bad)?);
    }
    // Named after the archive of the records' space (`arch_results` admits architectures of the spaces only).
    for record in &mut records {
        let space = record.arch.in_space().map_or(Space::Topology, |(space, _)| space);
        record.provenance.producer = format!("NATS-Bench {space} archive, {name}");
    }
    Ok(records)
}

/// `meta_archs` of a `meta.pickle.pbz2` file.
///
/// # Errors
/// [`StoreError::Io`] or [`StoreError::Format`].
pub fn read_nats_meta(path: &Path) -> Result<Vec<String>> {
    let value = read_pickle(path)?;
    let bad = |found: String| StoreError::Format {
        path: path.to_owned(),
        expected: "a NATS-Bench meta file with meta_archs".into(),
        found,
    };
    string_list(value.get("meta_archs")).ok_or_else(|| bad("no meta_archs list of strings".into()))
}

/// The architecture files of an archive folder.
///
/// # Errors
/// As [`nats_archive`].
pub fn nats_files(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(nats_archive(dir)?.1)
}

/// The space of an archive folder (its `meta.pickle.pbz2` checked against that space's official order) and its
/// architecture files.
///
/// # Errors
/// [`StoreError::Io`], or [`StoreError::Format`] if the folder holds no architecture file or no
/// `meta.pickle.pbz2`, or its `meta_archs` are neither space's official list.
pub fn nats_archive(dir: &Path) -> Result<(Space, Vec<PathBuf>)> {
    let entries = std::fs::read_dir(dir).map_err(|source| StoreError::Io { path: dir.to_owned(), error: source })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| StoreError::Io { path: dir.to_owned(), error: source })?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.len() == "000000.pickle.pbz2".len()
            && name.ends_with(".pickle.pbz2")
            && name[..6].bytes().all(|b| b.is_ascii_digit())
        {
            files.push(path);
        }
    }
    files.sort();
    let format = |found: String| StoreError::Format {
        path: dir.to_owned(),
        expected: "a NATS-Bench archive folder".into(),
        found,
    };
    if files.is_empty() {
        return Err(format("no NNNNNN.pickle.pbz2 file".into()));
    }
    // The files' names are official indices only in the official order, which meta_archs states.
    let meta = dir.join("meta.pickle.pbz2");
    if !meta.exists() {
        return Err(format("no meta.pickle.pbz2 (the official order of the architectures)".into()));
    }
    let space = official_space(&read_nats_meta(&meta)?).map_err(format)?;
    Ok((space, files))
}

fn read_pickle(path: &Path) -> Result<PyValue> {
    let file = crate::atomic::open_regular(path, "a bz2-compressed pickle", u64::MAX)?;
    let data = super::read_bounded(bzip2::read::BzDecoder::new(file), super::MAX_RECORD_FILE_BYTES).map_err(|e| {
        let found = match e.kind() {
            std::io::ErrorKind::FileTooLarge => e.to_string(),
            _ => format!("bad bz2 data ({e})"),
        };
        StoreError::Format { path: path.to_owned(), expected: "a bz2-compressed pickle".into(), found }
    })?;
    unpickle(&data).map_err(|e| StoreError::Format {
        path: path.to_owned(),
        expected: "a readable pickle".into(),
        found: e.to_string(),
    })
}
