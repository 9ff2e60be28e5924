//! Importer of the NATS-Bench topology archive (`NATS-tss-v1_0-3ffb9-simple/`): `meta.pickle.pbz2` and one
//! `NNNNNN.pickle.pbz2` per cell, bz2-compressed pickles of `{'12': ArchResults, '200': ArchResults}`
//! state dicts (spec 06 §6.2, 07 §7.6).
//!
//! Every `ResultsCount` becomes a [`TrialRecord`]; the checks are the reference's own invariants (the
//! cell of each file is the one its index names, every epoch of the schedule is present) plus ours
//! (`meta_archs` is the official order). Weights in a "full" archive are torch tensors pickled by torch
//! itself, which this crate does not read: such a file is refused rather than imported without them.

use std::path::{Path, PathBuf};

use super::results::{arch_results, check_official_order, string_list};
use crate::error::{Result, StoreError};
use crate::pickle::{unpickle, PyValue};
use crate::record::TrialRecord;
use crate::setting::Hp;

/// The records of one `NNNNNN.pickle.pbz2` file.
///
/// # Errors
/// [`StoreError::Io`] or [`StoreError::Format`] naming the file and what in it is unexpected.
pub fn read_nats_tss_file(path: &Path) -> Result<Vec<TrialRecord>> {
    let value = read_pickle(path)?;
    let bad = |found: String| StoreError::Format {
        path: path.to_owned(),
        expected: "a NATS-Bench topology record".into(),
        found,
    };
    let by_hp = value.items().ok_or_else(|| bad(format!("{} at the top level", value.kind())))?;
    let producer =
        format!("NATS-Bench topology archive, {}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let mut records = Vec::new();
    for (hp_key, results) in by_hp {
        let hp = match hp_key {
            PyValue::Str(s) => s.parse::<u16>().map(Hp::new).map_err(|_| bad(format!("hp key {s:?}")))?,
            other => return Err(bad(format!("{} as hp key", other.kind()))),
        };
        records.extend(arch_results(results, hp, &producer, None).map_err(bad)?);
    }
    Ok(records)
}

/// `meta_archs` of a `meta.pickle.pbz2` file.
///
/// # Errors
/// [`StoreError::Io`] or [`StoreError::Format`].
pub fn read_nats_tss_meta(path: &Path) -> Result<Vec<String>> {
    let value = read_pickle(path)?;
    let bad = |found: String| StoreError::Format {
        path: path.to_owned(),
        expected: "a NATS-Bench meta file with meta_archs".into(),
        found,
    };
    string_list(value.get("meta_archs")).ok_or_else(|| bad("no meta_archs list of strings".into()))
}

/// The cell files of an archive folder, and a check of its `meta.pickle.pbz2` against the official order.
///
/// # Errors
/// [`StoreError::Io`], or [`StoreError::Format`] if the folder holds no cell file or no `meta.pickle.pbz2`, or
/// its `meta_archs` are not the official list.
pub fn nats_tss_files(dir: &Path) -> Result<Vec<PathBuf>> {
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
        expected: "a NATS-Bench topology archive folder".into(),
        found,
    };
    if files.is_empty() {
        return Err(format("no NNNNNN.pickle.pbz2 file".into()));
    }
    // The cells' file names are official indices only in the official order, which meta_archs states.
    let meta = dir.join("meta.pickle.pbz2");
    if !meta.exists() {
        return Err(format("no meta.pickle.pbz2 (the official order of the cells)".into()));
    }
    check_official_order(&read_nats_tss_meta(&meta)?).map_err(format)?;
    Ok(files)
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
