//! Importer of NAS-Bench-201's `torch.save` files (spec 06 §6.2): the benchmark files
//! (`NAS-Bench-201-v1_0-e61699.pth`, `NAS-Bench-201-v1_1-096897.pth`: `{meta_archs, arch2infos: {index:
//! {'full': ArchResults, 'less': ArchResults}}, evaluated_indexes}`) and the per-cell archive files
//! (`{index:06d}-FULL.pth`, `-SIMPLE.pth`: `{'full', 'less'}`), in both of torch's serializations:
//!
//! - zip (torch ≥ 1.6): `<name>/data.pkl` with one `<name>/data/<key>` entry per storage;
//! - legacy: five pickles in a row (magic number, protocol, system info, the object, the storage keys),
//!   then each storage as its element count and raw bytes.
//!
//! The file is memory-mapped and the pickle read by [`super::pickle`]; each cell is converted and handed
//! to the caller as soon as the file has set it in `arch2infos`, and its decoded values are then freed, so a
//! multi-gigabyte benchmark file imports in the memory of a few cells. Weights (`net_state_dict`) become
//! safetensors with the reference's keys. `'full'` is the 200-epoch schedule, `'less'` the 12-epoch one.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use super::results::{arch_results, official_space, string_list, Storages};
use crate::error::{Result, StoreError};
use crate::pickle::{memo_reach, unpickle_at, KeepAll, PyValue, Sink};
use crate::record::TrialRecord;
use crate::setting::Hp;

/// What a NAS-Bench-201 file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nb201Import {
    /// Cells imported.
    pub cells: usize,
    /// Trials imported.
    pub trials: usize,
    /// Whether the file was a per-cell archive file rather than a benchmark file.
    pub per_cell: bool,
}

/// Reads a NAS-Bench-201 `.pth` file and hands each cell's records to `on_cell` (official index, records),
/// in the file's order.
///
/// # Errors
/// [`StoreError::Io`]; [`StoreError::Format`] naming the file and what in it is unexpected; any error of
/// `on_cell`.
pub fn read_nb201_pth(
    path: &Path,
    mut on_cell: impl FnMut(usize, Vec<TrialRecord>) -> Result<()>,
) -> Result<Nb201Import> {
    let bad = |found: String| StoreError::Format {
        path: path.to_owned(),
        expected: "a NAS-Bench-201 torch.save file".into(),
        found,
    };
    let file = crate::atomic::open_regular(path, "a NAS-Bench-201 torch.save file", u64::MAX)?;
    let map = crate::mmap::map_file(&file).map_err(|source| StoreError::Io { path: path.to_owned(), error: source })?;
    let producer = format!("NAS-Bench-201 file {}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let mut cells =
        CellSink { producer: &producer, storages: None, on_cell: &mut on_cell, seen: BTreeMap::new(), failure: None };
    let zip;
    let legacy;
    let read = if map.starts_with(b"PK\x03\x04") {
        zip = ZipStorages::open(&map).map_err(bad)?;
        cells.storages = Some(&zip);
        let (reach, _) = memo_reach(&zip.pickle, 0).map_err(|e| bad(e.to_string()))?;
        unpickle_at(&zip.pickle, 0, &mut cells, Some(&reach))
    } else {
        let start = legacy_preamble(&map).map_err(bad)?;
        // The storages follow the object's pickle: a walk over its opcodes finds where it ends (and which
        // memo slots are read back). The element size of each storage comes from its class, which only the
        // object's persistent ids carry: when there are storages, a first reading notes the classes (taking
        // and dropping each cell, so that memory stays small).
        let (reach, end) = memo_reach(&map, start).map_err(|e| bad(e.to_string()))?;
        let keys = legacy_storage_keys(&map, end).map_err(bad)?;
        let mut first = Discard::default();
        if !keys.0.is_empty() {
            unpickle_at(&map, start, &mut first, Some(&reach)).map_err(|e| bad(e.to_string()))?;
        }
        legacy = LegacyStorages::read(&map, keys, &first.classes).map_err(bad)?;
        cells.storages = Some(&legacy);
        unpickle_at(&map, start, &mut cells, Some(&reach))
    };
    if let Some(err) = cells.failure.take() {
        return Err(err);
    }
    let top = read.map_err(|e| bad(e.to_string()))?.0;
    let seen = std::mem::take(&mut cells.seen);
    if top.get("arch2infos").is_some() {
        finish_benchmark(&top, &seen).map_err(bad)?;
        Ok(Nb201Import { cells: seen.len(), trials: seen.values().sum(), per_cell: false })
    } else if top.get("full").is_some() && top.get("less").is_some() {
        let (index, records) = cells.convert(&top).map_err(bad)?;
        let trials = records.len();
        on_cell(index, records)?;
        Ok(Nb201Import { cells: 1, trials, per_cell: true })
    } else {
        Err(bad("neither arch2infos nor full and less at the top level".into()))
    }
}

/// Checks the rest of a benchmark file against the cells that were imported from it.
fn finish_benchmark(top: &PyValue, seen: &BTreeMap<usize, usize>) -> Result<(), String> {
    let space = official_space(&string_list(top.get("meta_archs")).ok_or("no meta_archs list of strings")?)?;
    if space != nb102_space::Space::Topology {
        return Err(format!("meta_archs of the {space} space, which NAS-Bench-201 files do not hold"));
    }
    let infos = top.get("arch2infos").and_then(PyValue::items).ok_or("arch2infos that is not a dict")?;
    if let Some((key, value)) = infos.into_iter().find(|(_, v)| !matches!(v, PyValue::Taken)) {
        return Err(format!("an arch2infos entry that is not a cell ({} for key {key:?})", value.kind()));
    }
    let evaluated: BTreeSet<usize> = match top.get("evaluated_indexes") {
        Some(PyValue::List(items) | PyValue::Set(items)) => items
            .iter()
            .map(|v| match v.value() {
                PyValue::Int(i) => usize::try_from(*i).map_err(|_| format!("evaluated index {i}")),
                other => Err(format!("an evaluated index that is {}", other.kind())),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("no evaluated_indexes list".into()),
    };
    let imported: BTreeSet<usize> = seen.keys().copied().collect();
    if let Some(i) = evaluated.symmetric_difference(&imported).next() {
        let (listed, held) = (evaluated.contains(i), imported.contains(i));
        return Err(format!(
            "evaluated_indexes and arch2infos that disagree on cell {i} (listed: {listed}, in arch2infos: {held})"
        ));
    }
    Ok(())
}

/// Takes each `arch2infos` item (an integer key and `{'full', 'less'}`), converts it and hands it on.
struct CellSink<'a, F> {
    producer: &'a str,
    storages: Option<&'a dyn Storages>,
    on_cell: &'a mut F,
    /// Trials per cell imported so far.
    seen: BTreeMap<usize, usize>,
    /// The error of `on_cell` that stopped the reading, kept as it was.
    failure: Option<StoreError>,
}

impl<F: FnMut(usize, Vec<TrialRecord>) -> Result<()>> CellSink<'_, F> {
    fn convert(&self, entry: &PyValue) -> Result<(usize, Vec<TrialRecord>), String> {
        let mut records = Vec::new();
        for (key, hp) in [("less", Hp::new(12)), ("full", Hp::new(200))] {
            let results = entry.get(key).ok_or_else(|| format!("no {key:?}"))?;
            records.extend(arch_results(results, hp, self.producer, self.storages)?);
        }
        let index = match entry.get("full").and_then(|f| f.get("arch_index")).map(PyValue::value) {
            Some(PyValue::Int(i)) => usize::try_from(*i).map_err(|_| format!("arch_index {i}"))?,
            _ => return Err("no arch_index".into()),
        };
        Ok((index, records))
    }
}

impl<F: FnMut(usize, Vec<TrialRecord>) -> Result<()>> Sink for CellSink<'_, F> {
    fn wants(&self, key: &PyValue, value: &PyValue) -> bool {
        is_cell(key, value)
    }

    fn take(&mut self, key: &PyValue, value: PyValue) -> Result<(), String> {
        let PyValue::Int(key) = key.value() else { unreachable!("wants takes integer keys only") };
        let (index, records) = self.convert(&value).map_err(|m| format!("arch2infos[{key}]: {m}"))?;
        if i64::try_from(index).ok() != Some(*key) {
            return Err(format!("arch2infos[{key}] holds cell {index}"));
        }
        self.seen.insert(index, records.len());
        if let Err(err) = (self.on_cell)(index, records) {
            let message = err.to_string();
            self.failure = Some(err);
            return Err(message);
        }
        Ok(())
    }
}

/// An `arch2infos` item: an integer key and `{'full': ..., 'less': ...}`.
fn is_cell(key: &PyValue, value: &PyValue) -> bool {
    matches!(key.value(), PyValue::Int(_)) && is_cell_entry(value)
}

/// `{'full': ..., 'less': ...}` and nothing else.
fn is_cell_entry(value: &PyValue) -> bool {
    value.items().is_some_and(|mut items| {
        let keys: Vec<_> = items.by_ref().map(|(k, _)| k).collect();
        keys.len() == 2 && keys.iter().all(|k| matches!(k, PyValue::Str(s) if s == "full" || s == "less"))
    })
}

/// Takes every cell and drops it, noting the class of each storage: a first pass that looks for the end
/// of the pickle.
#[derive(Default)]
struct Discard {
    classes: BTreeMap<String, String>,
}

impl Sink for Discard {
    fn wants(&self, key: &PyValue, value: &PyValue) -> bool {
        is_cell(key, value)
    }

    fn take(&mut self, _: &PyValue, _: PyValue) -> Result<(), String> {
        Ok(())
    }

    fn storage(&mut self, class: &str, key: &str) {
        self.classes.insert(key.to_owned(), class.to_owned());
    }
}

/// The zip serialization: `<name>/data.pkl` and `<name>/data/<key>`.
struct ZipStorages<'a> {
    map: &'a [u8],
    /// The archive, its central directory read once.
    archive: RefCell<Archive<'a>>,
    /// `<name>/`, the folder of every entry.
    prefix: String,
    pickle: Cow<'a, [u8]>,
    /// Each storage, by key.
    storages: BTreeMap<String, LazyEntry<'a>>,
}

/// A storage of a zip archive: its bytes, or why they could not be read; found on first use.
type LazyEntry<'a> = OnceLock<Result<Cow<'a, [u8]>, String>>;

/// A zip archive over the mapped file.
type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

impl<'a> ZipStorages<'a> {
    fn open(map: &'a [u8]) -> Result<ZipStorages<'a>, String> {
        let mut archive = zip::ZipArchive::new(Cursor::new(map)).map_err(|e| format!("a damaged zip archive ({e})"))?;
        let names = archive
            .file_names()
            .map(|n| n.map(|n| n.into_owned()))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| format!("a damaged zip archive ({e})"))?;
        let pickle = names
            .iter()
            .find(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
            .ok_or("a zip archive without <name>/data.pkl")?;
        let prefix = pickle.trim_end_matches("data.pkl").to_owned();
        let storages = names
            .iter()
            .filter_map(|n| n.strip_prefix(&prefix)?.strip_prefix("data/"))
            .map(|key| (key.to_owned(), OnceLock::new()))
            .collect();
        let pickle = entry(map, &mut archive, &format!("{prefix}data.pkl"))?;
        if let Ok(order) = entry(map, &mut archive, &format!("{prefix}byteorder")) {
            if order.as_ref() != b"little" {
                return Err(format!("tensors stored in byte order {:?}", String::from_utf8_lossy(&order)));
            }
        }
        Ok(ZipStorages { map, archive: RefCell::new(archive), prefix, pickle, storages })
    }
}

/// The bytes of a zip entry: borrowed from the map when stored uncompressed, as `torch.save` stores them.
fn entry<'a>(map: &'a [u8], archive: &mut Archive<'a>, name: &str) -> Result<Cow<'a, [u8]>, String> {
    let mut file = archive.by_name(name).map_err(|e| format!("zip entry {name}: {e}"))?;
    if file.compression() == zip::CompressionMethod::Stored {
        let start = file.data_start().and_then(|s| usize::try_from(s).ok());
        let len = usize::try_from(file.size()).ok();
        if let Some(bytes) = start.zip(len).and_then(|(s, n)| map.get(s..s.checked_add(n)?)) {
            return Ok(Cow::Borrowed(bytes));
        }
        return Err(format!("zip entry {name} past the end of the file"));
    }
    let bytes =
        super::read_bounded(&mut file, super::MAX_ZIP_ENTRY_BYTES).map_err(|e| format!("zip entry {name}: {e}"))?;
    Ok(Cow::Owned(bytes))
}

impl Storages for ZipStorages<'_> {
    fn storage(&self, key: &str) -> Result<&[u8], String> {
        let slot = self.storages.get(key).ok_or_else(|| format!("no storage {key} in the archive"))?;
        let bytes =
            slot.get_or_init(|| entry(self.map, &mut self.archive.borrow_mut(), &format!("{}data/{key}", self.prefix)));
        bytes.as_deref().map_err(Clone::clone)
    }
}

/// The legacy serialization's storages, which follow the pickles.
struct LegacyStorages<'a> {
    by_key: BTreeMap<String, &'a [u8]>,
}

/// Element sizes of the storage classes a benchmark file may hold.
fn element_size(class: &str) -> Option<usize> {
    Some(match class {
        "DoubleStorage" | "LongStorage" => 8,
        "FloatStorage" | "IntStorage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "CharStorage" | "ByteStorage" | "BoolStorage" => 1,
        _ => return None,
    })
}

/// The storage keys pickled at `start` (after the object's pickle), and where the storages begin.
fn legacy_storage_keys(map: &[u8], start: usize) -> Result<(Vec<String>, usize), String> {
    let (keys, pos) = unpickle_at(map, start, &mut KeepAll, None).map_err(|e| format!("storage keys: {e}"))?;
    let keys = string_list(Some(&keys)).ok_or("storage keys that are not a list of strings")?;
    Ok((keys, pos))
}

impl<'a> LegacyStorages<'a> {
    /// The storages, in the order of their keys from `pos` on. Each is its element count (8 bytes,
    /// little-endian) and then its bytes; the element size comes from the storage's class in `classes` (key
    /// to class, from the object's pickle), as the keys do not carry it.
    fn read(
        map: &'a [u8],
        (keys, mut pos): (Vec<String>, usize),
        classes: &BTreeMap<String, String>,
    ) -> Result<LegacyStorages<'a>, String> {
        let mut by_key = BTreeMap::new();
        for key in keys {
            let class = classes.get(&key).ok_or_else(|| format!("storage {key} that no tensor uses"))?;
            let size = element_size(class).ok_or_else(|| format!("storage {key} of class {class}"))?;
            let count = map
                .get(pos..pos + 8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .ok_or("a truncated file (storage sizes)")?;
            let len = usize::try_from(count).ok().and_then(|c| c.checked_mul(size)).ok_or("a storage too large")?;
            let bytes = map.get(pos + 8..pos + 8 + len).ok_or_else(|| format!("a truncated file (storage {key})"))?;
            by_key.insert(key, bytes);
            pos += 8 + len;
        }
        Ok(LegacyStorages { by_key })
    }
}

impl Storages for LegacyStorages<'_> {
    fn storage(&self, key: &str) -> Result<&[u8], String> {
        self.by_key.get(key).copied().ok_or_else(|| format!("no storage {key} in the file"))
    }
}

/// The legacy format's first three pickles: the magic number, the protocol version (1001) and the system
/// information (little-endian required). Returns where the object's pickle starts.
fn legacy_preamble(map: &[u8]) -> Result<usize, String> {
    // pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2): a 10-byte LONG1 the pickle reader need not know.
    const MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
    if !map.starts_with(MAGIC) {
        return Err("neither a zip archive nor torch's legacy magic number at the start".into());
    }
    let (protocol, pos) = unpickle_at(map, MAGIC.len(), &mut KeepAll, None).map_err(|e| e.to_string())?;
    if protocol != PyValue::Int(1001) {
        return Err(format!("torch protocol version {protocol:?}, not 1001"));
    }
    let (info, pos) = unpickle_at(map, pos, &mut KeepAll, None).map_err(|e| e.to_string())?;
    if !matches!(info.get("little_endian"), Some(PyValue::Bool(true))) {
        return Err("a file saved on a big-endian machine".into());
    }
    Ok(pos)
}
