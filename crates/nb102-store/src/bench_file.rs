//! The benchmark file: a small header and index, then one section per cell, decoded only when a query
//! touches it.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! "NB102BEN"              8 bytes
//! format version          u32
//! header length H         u64
//! header                  H bytes of CBOR: BenchmarkMeta and, per cell, its index, offset, length, sha256
//! sections                one CBOR CellResults per cell, at the offsets of the index
//! ```
//!
//! The file is named `PREFIX-XXXXXX.nb102`, XXXXXX being the last six hex digits of the sha256 of the
//! bytes up to the end of the header, like the reference's `…-e61699.pth`. Since the header holds the
//! sha256 of every section, that digest covers the whole file: opening checks the header against the
//! name (a few milliseconds, whatever the file's size), and each section is checked when first decoded.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::write_atomically;
use crate::error::{Result, StoreError};
use crate::merge::{from_cells, Benchmark, BenchmarkMeta, CellResults};

/// The format version of benchmark files this build reads and writes.
pub const BENCHMARK_FORMAT_VERSION: u32 = 1;

/// The file-name extension of benchmark files.
pub const BENCHMARK_EXTENSION: &str = "nb102";

const MAGIC: &[u8; 8] = b"NB102BEN";
const PREAMBLE: usize = 8 + 4 + 8;

#[derive(Serialize, Deserialize)]
struct Header {
    meta: BenchmarkMeta,
    cells: Vec<CellEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CellEntry {
    index: u32,
    offset: u64,
    len: u64,
    sha256: String,
}

/// Writes `benchmark` as `PREFIX-XXXXXX.nb102` (atomically) and returns that path.
///
/// # Errors
/// [`StoreError::Io`].
pub fn write_benchmark(benchmark: &Benchmark, prefix: &Path) -> Result<PathBuf> {
    let mut sections: Vec<Vec<u8>> = Vec::with_capacity(benchmark.cells().len());
    for cell in benchmark.cells().values() {
        let mut bytes = Vec::new();
        ciborium::into_writer(cell, &mut bytes).expect("writing CBOR to memory cannot fail");
        sections.push(bytes);
    }
    // Offsets depend on the header's length, which depends on the offsets: lay the sections out relative
    // to the end of the header, whose length is fixed once the relative offsets are written as u64 values.
    let mut cells = Vec::with_capacity(sections.len());
    let mut offset = 0u64;
    for (index, bytes) in benchmark.cells().keys().zip(&sections) {
        cells.push(CellEntry {
            index: *index as u32,
            offset,
            len: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        });
        offset += bytes.len() as u64;
    }
    let header = Header { meta: benchmark.meta.clone(), cells };
    let mut header_bytes = Vec::new();
    ciborium::into_writer(&header, &mut header_bytes).expect("writing CBOR to memory cannot fail");

    let mut head = Vec::with_capacity(PREAMBLE + header_bytes.len());
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&BENCHMARK_FORMAT_VERSION.to_le_bytes());
    head.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
    head.extend_from_slice(&header_bytes);
    let digest = hex(&Sha256::digest(&head));
    let name = format!(
        "{}-{}.{BENCHMARK_EXTENSION}",
        prefix.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        &digest[58..]
    );
    let path = prefix.with_file_name(name);
    write_atomically(&path, |out| {
        out.write_all(&head)?;
        sections.iter().try_for_each(|s| out.write_all(s))
    })?;
    Ok(path)
}

/// An open benchmark file: the header is read and checked; cells are decoded on first use.
///
/// Reads are thread-safe: a search running on several threads can share one `BenchmarkFile`.
pub struct BenchmarkFile {
    path: PathBuf,
    map: memmap2::Mmap,
    meta: BenchmarkMeta,
    digest: String,
    entries: Vec<CellEntry>,
    /// Position in `entries` of each official index, if the file has that cell.
    by_index: Vec<Option<u32>>,
    decoded: Vec<OnceLock<CellResults>>,
}

impl BenchmarkFile {
    /// Opens `path` and checks its format, version and the digest in its name.
    ///
    /// # Errors
    /// [`StoreError::Io`], [`StoreError::Format`], [`StoreError::Version`], [`StoreError::Checksum`].
    pub fn open(path: &Path) -> Result<BenchmarkFile> {
        let io = |source| StoreError::Io { path: path.to_owned(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let map = map_file(&file).map_err(io)?;
        let format = |found: String| StoreError::Format {
            path: path.to_owned(),
            expected: "an nb102 benchmark file".into(),
            found,
        };
        if map.len() < PREAMBLE || &map[..8] != MAGIC {
            return Err(format("no NB102BEN header".into()));
        }
        let version = u32::from_le_bytes(map[8..12].try_into().expect("4 bytes"));
        if version != BENCHMARK_FORMAT_VERSION {
            return Err(StoreError::Version {
                path: path.to_owned(),
                expected: BENCHMARK_FORMAT_VERSION,
                found: version,
            });
        }
        let header_len = u64::from_le_bytes(map[12..20].try_into().expect("8 bytes"));
        let header_end =
            usize::try_from(header_len).ok().and_then(|h| h.checked_add(PREAMBLE)).filter(|&e| e <= map.len());
        let header_end =
            header_end.ok_or_else(|| format(format!("a header of {header_len} bytes in a file of {}", map.len())))?;
        let digest = hex(&Sha256::digest(&map[..header_end]));
        let named = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.rsplit_once('-'))
            .map(|(_, suffix)| suffix.to_owned())
            .unwrap_or_default();
        if named != digest[58..] {
            return Err(StoreError::Checksum {
                path: path.to_owned(),
                expected: named,
                found: digest[58..].to_owned(),
            });
        }
        let header: Header = ciborium::from_reader(&map[PREAMBLE..header_end])
            .map_err(|e| format(format!("a malformed header ({e})")))?;
        let body = (map.len() - header_end) as u64;
        let mut by_index = vec![None; nb102_space::NUM_ARCHS];
        for (position, entry) in header.cells.iter().enumerate() {
            let fits = entry.offset.checked_add(entry.len).is_some_and(|end| end <= body);
            let slot = by_index.get_mut(entry.index as usize).filter(|s| s.is_none());
            match slot {
                Some(slot) if fits => *slot = Some(position as u32),
                _ => return Err(format(format!("a bad index entry for cell {} (truncated or repeated)", entry.index))),
            }
        }
        let decoded = (0..header.cells.len()).map(|_| OnceLock::new()).collect();
        let entries =
            header.cells.into_iter().map(|e| CellEntry { offset: e.offset + header_end as u64, ..e }).collect();
        Ok(BenchmarkFile { path: path.to_owned(), map, meta: header.meta, digest, entries, by_index, decoded })
    }

    /// The file's metadata.
    pub fn meta(&self) -> &BenchmarkMeta {
        &self.meta
    }

    /// The full sha256 of the header, whose last six digits name the file.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Official indices of the cells in the file, increasing.
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|e| e.index as usize)
    }

    /// Number of cells in the file.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the file holds no cell.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The results of the cell with official index `index`, decoded and checked on first use.
    ///
    /// # Errors
    /// [`StoreError::Checksum`] or [`StoreError::Format`] if the section is damaged.
    pub fn cell(&self, index: usize) -> Result<Option<&CellResults>> {
        let Some(position) = self.by_index.get(index).copied().flatten() else { return Ok(None) };
        let slot = &self.decoded[position as usize];
        if let Some(cell) = slot.get() {
            return Ok(Some(cell));
        }
        let entry = &self.entries[position as usize];
        let bytes = &self.map[entry.offset as usize..(entry.offset + entry.len) as usize];
        let found = hex(&Sha256::digest(bytes));
        if found != entry.sha256 {
            return Err(StoreError::Checksum { path: self.path.clone(), expected: entry.sha256.clone(), found });
        }
        let cell: CellResults = ciborium::from_reader(bytes).map_err(|e| StoreError::Format {
            path: self.path.clone(),
            expected: format!("a CBOR section for cell {index}"),
            found: e.to_string(),
        })?;
        // Another thread may have decoded it meanwhile; both values are equal, the first one stays.
        let _ = slot.set(cell);
        Ok(slot.get())
    }

    /// Decodes every cell (checking every section) into a [`Benchmark`].
    ///
    /// # Errors
    /// As [`BenchmarkFile::cell`].
    pub fn to_benchmark(&self) -> Result<Benchmark> {
        let mut cells = BTreeMap::new();
        for index in self.indices() {
            let cell = self.cell(index)?.expect("listed cells exist");
            cells.insert(index, cell.clone());
        }
        Ok(from_cells(self.meta.clone(), cells))
    }
}

fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    #[allow(unsafe_code)]
    // SAFETY: the map is read-only and benchmark files are never modified in place: writers create a
    // new file under a temporary name and rename it (write_benchmark), so the mapped bytes do not change.
    unsafe {
        memmap2::Mmap::map(file)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
