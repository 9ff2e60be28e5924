//! The benchmark file: a small header and index, then one section per cell, decoded only when a query
//! touches it.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! "NB102BEN"              8 bytes
//! format version          u32
//! header length H         u64
//! header                  H bytes of CBOR: BenchmarkMeta, per cell its index, offset, length, BLAKE3, and
//!                         the same for the summary section
//! sections                one CBOR CellResults per cell, at the offsets of the index
//! summary                 one 80-byte row per trial (`summary.rs`)
//! proxy scores            (version 6) one CBOR ProxyTable (`proxies.rs`), when the file has any
//! ```
//!
//! A cell may have no section, only summary rows: summary-only records, imported from a table of final results.
//!
//! The file is named `PREFIX-XXXXXX.nb102`, XXXXXX being the last six hex digits of the sha256 of the
//! bytes up to the end of the header, like the reference's `…-e61699.pth`. Since the header holds the
//! BLAKE3 digest of every section, the name covers the whole file: opening checks the header against the
//! name (a few milliseconds, whatever the file's size), and each section is checked when first decoded
//! (BLAKE3 rather than SHA-256 there, as it is some twenty times faster on CPUs without SHA extensions).

use std::collections::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::{open_regular, remove_stale_temporaries, temporary_path, write_atomically_checked};
use crate::error::{cbor_problem, Result, StoreError};
use crate::merge::{from_cells, BenchmarkMeta, CellResults, MergedBenchmark};
use crate::proxies::ProxyTable;
use crate::summary::{self, TrialSummary};
use nb102_space::Space;

/// The newest format version of benchmark files this build writes: version 6 adds the proxy-score section. A file
/// without proxy scores is written as version 5, byte for byte as before.
pub const BENCHMARK_FORMAT_VERSION: u32 = 6;

/// The version of files without proxy scores.
const VERSION_WITHOUT_PROXIES: u32 = 5;

/// The oldest format version this build reads: version 4 differs only in storing curves as CBOR arrays
/// (`columns.rs`), version 3 also in having no summary-only records.
const OLDEST_READABLE_VERSION: u32 = 3;

/// The file-name extension of benchmark files.
pub const BENCHMARK_EXTENSION: &str = "nb102";

const MAGIC: &[u8; 8] = b"NB102BEN";
const PREAMBLE: usize = 8 + 4 + 8;

#[derive(Serialize, Deserialize)]
struct Header {
    meta: BenchmarkMeta,
    /// The space of the cells, said by the cells themselves: left out for the topology space, so that files of it
    /// are byte for byte what they were before the size space, and older files read as the topology space's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    space: Option<Space>,
    cells: Vec<CellEntry>,
    /// The summary section (`summary.rs`); its `index` is the number of rows.
    summary: CellEntry,
    /// The proxy-score section (`proxies.rs`), from version 6; its `index` is the number of columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proxies: Option<CellEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CellEntry {
    index: u32,
    offset: u64,
    len: u64,
    /// BLAKE3 of the section, in hex.
    blake3: String,
}

/// Writes `benchmark` as `PREFIX-XXXXXX.nb102` (atomically) and returns that path.
///
/// # Errors
/// [`StoreError::Io`].
pub fn write_benchmark(benchmark: &MergedBenchmark, prefix: &Path) -> Result<PathBuf> {
    write_benchmark_with(benchmark, None, prefix)
}

/// Writes `benchmark` with proxy scores, if any, as [`write_benchmark`] does.
///
/// # Errors
/// As [`BenchmarkWriter::finish`].
pub fn write_benchmark_with(
    benchmark: &MergedBenchmark,
    proxies: Option<ProxyTable>,
    prefix: &Path,
) -> Result<PathBuf> {
    let mut writer = BenchmarkWriter::create(prefix, benchmark.meta.clone())?;
    for (index, cell) in benchmark.cells() {
        writer.add_cell(*index, cell)?;
    }
    if let Some(proxies) = proxies {
        writer.set_proxies(proxies);
    }
    writer.finish()
}

/// Writes summary-only records (per cell, its rows, as [`read_summary_table`](crate::read_summary_table) gives
/// them) as `PREFIX-XXXXXX.nb102` (atomically) and returns that path.
///
/// # Errors
/// As [`BenchmarkWriter::add_summary_only`]; [`StoreError::Io`].
pub fn write_summary_only(cells: &[(usize, Vec<TrialSummary>)], meta: BenchmarkMeta, prefix: &Path) -> Result<PathBuf> {
    let mut writer = BenchmarkWriter::create(prefix, meta)?;
    for (index, rows) in cells {
        writer.add_summary_only(*index, rows)?;
    }
    writer.finish()
}

/// Writes `file` without any weights as `PREFIX-XXXXXX.nb102`, one cell at a time (so in little memory, whatever
/// the file's size), and returns that path. Every section is checked as it is read; summary-only records and proxy
/// scores are copied as they are.
///
/// # Errors
/// A damaged section, or [`StoreError::Io`].
pub fn simplify_file(file: &BenchmarkFile, prefix: &Path) -> Result<PathBuf> {
    let mut writer = BenchmarkWriter::create(prefix, file.meta().clone())?;
    copy_cells(file, &mut writer, false)?;
    if let Some(table) = file.proxies()? {
        writer.set_proxies(table.clone());
    }
    writer.finish()
}

/// Adds every cell of `file` to `writer`, one at a time: its records (without their weights unless `keep_weights`),
/// or its summary-only records as they are.
fn copy_cells(file: &BenchmarkFile, writer: &mut BenchmarkWriter, keep_weights: bool) -> Result<()> {
    for index in file.indices() {
        let cell = file.cell(index)?.expect("listed cells exist");
        if keep_weights {
            writer.add_cell(index, &cell)?;
        } else {
            writer.add_cell(index, &cell.without_weights())?;
        }
    }
    for rows in file.summary()?.chunk_by(|a, b| a.index == b.index) {
        if !file.has_section(rows[0].index) {
            writer.add_summary_only(rows[0].index, rows)?;
        }
    }
    Ok(())
}

/// Writes `file` with `scores` added to its proxy scores as `PREFIX-XXXXXX.nb102` (atomically), one cell at a time,
/// and returns that path; `file` itself is left as it is.
///
/// # Errors
/// Scores of another space or that conflict with the file's ([`StoreError::Format`]), a damaged section, or
/// [`StoreError::Io`].
pub fn with_proxies(file: &BenchmarkFile, scores: &ProxyTable, prefix: &Path) -> Result<PathBuf> {
    let mut table = file.proxies()?.cloned().unwrap_or_else(|| ProxyTable::new(file.space()));
    table.merge(scores).map_err(|found| StoreError::Format {
        path: file.path().to_owned(),
        expected: "proxy scores that agree with the file's".into(),
        found,
    })?;
    let mut writer = BenchmarkWriter::create(prefix, file.meta().clone())?;
    copy_cells(file, &mut writer, true)?;
    writer.set_proxies(table);
    writer.finish()
}

/// Writes a benchmark file cell by cell, so that a file of any size is written in little memory: sections
/// go to a temporary file beside the output, then the header and the sections are joined under the final,
/// digest-bearing name (atomically). A writer dropped before [`BenchmarkWriter::finish`] removes its
/// temporary file.
pub struct BenchmarkWriter {
    prefix: PathBuf,
    meta: BenchmarkMeta,
    body_path: PathBuf,
    body: Option<std::io::BufWriter<std::fs::File>>,
    cells: Vec<CellEntry>,
    added: BTreeSet<usize>,
    summary: Vec<u8>,
    offset: u64,
    /// The space of the cells added so far.
    space: Option<Space>,
    proxies: Option<ProxyTable>,
}

impl BenchmarkWriter {
    /// Starts a file whose name will be `PREFIX-XXXXXX.nb102`.
    ///
    /// # Errors
    /// [`StoreError::Io`] if the temporary file cannot be created.
    pub fn create(prefix: &Path, meta: BenchmarkMeta) -> Result<BenchmarkWriter> {
        let name = prefix.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // A killed earlier writer of this prefix left its sections (and perhaps a half-copied file) behind.
        remove_stale_temporaries(prefix.parent().unwrap_or(Path::new(".")), &name);
        // This writer's own: writers of one prefix (threads importing one archive, say) never share one.
        let body_path = temporary_path(prefix, "body");
        // Errors name the output the user asked for, not the temporary file behind it.
        let file = std::fs::File::create_new(&body_path)
            .map_err(|source| StoreError::Io { path: prefix.to_owned(), error: source })?;
        Ok(BenchmarkWriter {
            prefix: prefix.to_owned(),
            meta,
            body_path,
            body: Some(std::io::BufWriter::new(file)),
            cells: Vec::new(),
            added: BTreeSet::new(),
            summary: Vec::new(),
            offset: 0,
            space: None,
            proxies: None,
        })
    }

    /// Adds a cell. Cells may come in any order (the official files do not promise one); the index and the
    /// summary are sorted when the file is finished, and sections stay where they were written.
    ///
    /// # Errors
    /// [`StoreError::Format`] for a cell added twice, a cell whose records are of another index, or cells of two
    /// spaces; [`StoreError::Io`].
    pub fn add_cell(&mut self, index: usize, cell: &CellResults) -> Result<()> {
        let (space, own) = cell.space_index();
        let bad = |expected: String, found: String| StoreError::Format { path: self.prefix.clone(), expected, found };
        if own != index {
            return Err(bad(format!("the records of cell {index}"), format!("those of cell {own}")));
        }
        match self.space {
            Some(first) if first != space => {
                return Err(bad(
                    format!("cells of one space (the {first} space)"),
                    format!("a cell of the {space} space"),
                ))
            }
            _ => self.space = Some(space),
        }
        self.add_index(index)?;
        let mut bytes = Vec::new();
        ciborium::into_writer(cell, &mut bytes).expect("writing CBOR to memory cannot fail");
        self.write_body(&bytes)?;
        self.cells.push(CellEntry {
            index: index as u32,
            offset: self.offset,
            len: bytes.len() as u64,
            blake3: blake3::hash(&bytes).to_hex().to_string(),
        });
        self.offset += bytes.len() as u64;
        summary::append_rows(&mut self.summary, index, cell);
        Ok(())
    }

    /// Gives the file these proxy scores (replacing any set before); they must be of the cells' space.
    pub fn set_proxies(&mut self, table: ProxyTable) {
        self.proxies = Some(table).filter(|t| !t.is_empty());
    }

    /// Adds a cell of summary-only records: final results without per-epoch curves, such as a table's seed
    /// means. The cell gets no section; its rows are the records.
    ///
    /// # Errors
    /// [`StoreError::Format`] for a cell added twice, a row of another cell, no rows, rows repeating a setting,
    /// schedule and seed, or a seed mean beside seeded rows of the same setting and schedule.
    pub fn add_summary_only(&mut self, index: usize, rows: &[TrialSummary]) -> Result<()> {
        let bad = |found: String| StoreError::Format {
            path: self.prefix.clone(),
            expected: format!("summary-only records of cell {index}, one per setting, schedule and seed"),
            found,
        };
        if let Some(other) = rows.iter().find(|r| r.index != index) {
            return Err(bad(format!("a row of cell {}", other.index)));
        }
        if rows.is_empty() {
            return Err(bad("no rows".into()));
        }
        let mut sorted = rows.to_vec();
        sorted.sort_by_key(|r| (r.hp, r.setting, r.seed));
        for pair in sorted.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if (a.hp, a.setting) == (b.hp, b.setting) && (a.seed == b.seed || a.seed.is_none()) {
                let what = if a.seed == b.seed { "twice" } else { "both as a seed mean and per seed" };
                return Err(bad(format!("{} hp {} {what}", a.setting, a.hp)));
            }
        }
        self.add_index(index)?;
        for row in &sorted {
            summary::append_row(&mut self.summary, row);
        }
        Ok(())
    }

    fn add_index(&mut self, index: usize) -> Result<()> {
        if self.added.insert(index) {
            return Ok(());
        }
        Err(StoreError::Format {
            path: self.prefix.clone(),
            expected: "each cell once".into(),
            found: format!("cell {index} twice"),
        })
    }

    /// Writes the summary and the header, joins them with the sections, checks that the joined file opens and
    /// that every section matches its checksum, and only then gives it its final name, which it returns.
    ///
    /// # Errors
    /// [`StoreError::Io`]; [`StoreError::Output`] for a final name taken by something other than a file;
    /// [`StoreError::Checksum`] or [`StoreError::Format`] if the joined file does not read back as written.
    pub fn finish(mut self) -> Result<PathBuf> {
        let rows = self.summary.len() / summary::ROW;
        let summary = summary::sorted_rows(&std::mem::take(&mut self.summary));
        self.cells.sort_by_key(|c| c.index);
        self.write_body(&summary)?;
        let summary_entry = CellEntry {
            index: rows as u32,
            offset: self.offset,
            len: summary.len() as u64,
            blake3: blake3::hash(&summary).to_hex().to_string(),
        };
        self.offset += summary.len() as u64;
        let proxies = self.proxies.take();
        if let (Some(table), Some(space)) = (&proxies, self.space) {
            if table.space() != space {
                return Err(StoreError::Format {
                    path: self.prefix.clone(),
                    expected: format!("proxy scores of the cells' {space} space"),
                    found: format!("scores of the {} space", table.space()),
                });
            }
        }
        let proxies_entry = match &proxies {
            Some(table) => {
                let bytes = table.to_bytes();
                self.write_body(&bytes)?;
                Some(CellEntry {
                    index: table.columns().len() as u32,
                    offset: self.offset,
                    len: bytes.len() as u64,
                    blake3: blake3::hash(&bytes).to_hex().to_string(),
                })
            }
            None => None,
        };
        let mut body = self.body.take().expect("a writer finishes once");
        body.flush().map_err(|source| StoreError::Io { path: self.prefix.clone(), error: source })?;
        drop(body);

        // A file of proxy scores alone takes its space from them.
        let space = self.space.or(proxies.as_ref().map(ProxyTable::space));
        let header = Header {
            meta: self.meta.clone(),
            space: space.filter(|&s| s != Space::Topology),
            cells: std::mem::take(&mut self.cells),
            summary: summary_entry,
            proxies: proxies_entry,
        };
        let version = if header.proxies.is_some() { BENCHMARK_FORMAT_VERSION } else { VERSION_WITHOUT_PROXIES };
        let mut header_bytes = Vec::new();
        ciborium::into_writer(&header, &mut header_bytes).expect("writing CBOR to memory cannot fail");
        let mut head = Vec::with_capacity(PREAMBLE + header_bytes.len());
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&version.to_le_bytes());
        head.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
        head.extend_from_slice(&header_bytes);
        let digest = hex(&Sha256::digest(&head));
        let name = format!(
            "{}-{}.{BENCHMARK_EXTENSION}",
            self.prefix.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            &digest[58..]
        );
        let path = self.prefix.with_file_name(name);
        let body_path = self.body_path.clone();
        write_atomically_checked(
            &path,
            |out| {
                out.write_all(&head)?;
                std::io::copy(&mut std::fs::File::open(&body_path)?, out).map(|_| ())
            },
            |written| {
                // Errors name the output, not the temporary file.
                let named = |e: StoreError| e.with_path(&path);
                BenchmarkFile::open_named(written, Some(&digest[58..])).and_then(|f| f.check_sections()).map_err(named)
            },
        )?;
        Ok(path)
    }

    fn write_body(&mut self, bytes: &[u8]) -> Result<()> {
        let body = self.body.as_mut().expect("a writer is written before it finishes");
        body.write_all(bytes).map_err(|source| StoreError::Io { path: self.prefix.clone(), error: source })
    }
}

impl Drop for BenchmarkWriter {
    fn drop(&mut self) {
        // Finished or not, the sections' temporary file is not needed any more.
        self.body.take();
        let _ = std::fs::remove_file(&self.body_path);
    }
}

/// An open benchmark file: the header is read and checked; cells are decoded on first use.
///
/// Reads are thread-safe: a search running on several threads can share one `BenchmarkFile`.
pub struct BenchmarkFile {
    path: PathBuf,
    /// Read at the sections' offsets rather than mapped: a scan over every cell would otherwise keep the whole
    /// file resident in the process (gigabytes at full size), where reads leave it to the page cache.
    file: std::fs::File,
    version: u32,
    meta: BenchmarkMeta,
    space: Space,
    digest: String,
    entries: Vec<CellEntry>,
    summary_entry: CellEntry,
    summary: OnceLock<Vec<TrialSummary>>,
    proxies_entry: Option<CellEntry>,
    proxies: OnceLock<ProxyTable>,
    /// Position in `entries` of each official index, if the file has that cell.
    by_index: Vec<Option<u32>>,
    decoded: Mutex<CellCache>,
}

/// How many decoded cells an open file keeps by default: at the official size a decoded cell takes about
/// 0.7 MB, so this holds some 180 MB, and a scan over every cell stays within that.
pub const DEFAULT_CACHED_CELLS: usize = 256;

/// The decoded cells kept in memory, by position in the file's index: the most recently used ones, up to a
/// capacity (decoding a cell again costs about a millisecond; keeping all of a full file costs gigabytes).
struct CellCache {
    capacity: usize,
    clock: u64,
    cells: HashMap<u32, (Arc<CellResults>, u64)>,
}

impl CellCache {
    fn get(&mut self, position: u32) -> Option<Arc<CellResults>> {
        self.clock += 1;
        let (cell, used) = self.cells.get_mut(&position)?;
        *used = self.clock;
        Some(Arc::clone(cell))
    }

    fn insert(&mut self, position: u32, cell: &Arc<CellResults>) {
        self.clock += 1;
        self.cells.insert(position, (Arc::clone(cell), self.clock));
        self.shrink();
    }

    /// Drops the least recently used cells beyond the capacity (a linear scan: a few hundred entries, against
    /// the decoding that made the new one).
    fn shrink(&mut self) {
        while self.cells.len() > self.capacity {
            let oldest = self.cells.iter().min_by_key(|(_, (_, used))| *used).map(|(&position, _)| position);
            let Some(oldest) = oldest else { break };
            self.cells.remove(&oldest);
        }
    }
}

impl BenchmarkFile {
    /// Opens `path` and checks its format, version and the digest in its name.
    ///
    /// # Errors
    /// [`StoreError::Io`], [`StoreError::Format`], [`StoreError::Version`], [`StoreError::Checksum`].
    pub fn open(path: &Path) -> Result<BenchmarkFile> {
        BenchmarkFile::open_named(path, None)
    }

    /// Opens `path`, checking its header's digest against `expected_digest` (six hex digits) where given, else
    /// against the end of its name (a writer checks its temporary file before it takes that name).
    fn open_named(path: &Path, expected_digest: Option<&str>) -> Result<BenchmarkFile> {
        let io = |source| StoreError::Io { path: path.to_owned(), error: source };
        let file = open_regular(path, "an nb102 benchmark file", u64::MAX)?;
        let size = file.metadata().map_err(io)?.len();
        let format = |found: String| StoreError::Format {
            path: path.to_owned(),
            expected: "an nb102 benchmark file".into(),
            found,
        };
        let mut preamble = [0; PREAMBLE];
        if size < PREAMBLE as u64 {
            return Err(format("no NB102BEN header".into()));
        }
        read_at(&file, &mut preamble, 0).map_err(io)?;
        if &preamble[..8] != MAGIC {
            return Err(format("no NB102BEN header".into()));
        }
        let version = u32::from_le_bytes(preamble[8..12].try_into().expect("4 bytes"));
        if !(OLDEST_READABLE_VERSION..=BENCHMARK_FORMAT_VERSION).contains(&version) {
            return Err(StoreError::Version {
                path: path.to_owned(),
                expected: BENCHMARK_FORMAT_VERSION,
                found: version,
            });
        }
        let header_len = u64::from_le_bytes(preamble[12..20].try_into().expect("8 bytes"));
        let header_end = header_len.checked_add(PREAMBLE as u64).filter(|&e| e <= size);
        let header_end = header_end
            .and_then(|e| usize::try_from(e).ok())
            .ok_or_else(|| format(format!("a header of {header_len} bytes in a file of {size}")))?;
        let mut head = preamble.to_vec();
        head.resize(header_end, 0);
        read_at(&file, &mut head[PREAMBLE..], PREAMBLE as u64).map_err(io)?;
        let digest = hex(&Sha256::digest(&head));
        let named = match expected_digest {
            Some(expected) => expected.to_owned(),
            None => named_digest(path).ok_or_else(|| StoreError::Format {
                path: path.to_owned(),
                expected: format!(
                    "a name ending in -XXXXXX.{BENCHMARK_EXTENSION}, the last six hex digits of the sha256 of its \
                     header (here -{}.{BENCHMARK_EXTENSION}), which every benchmark file is checked against",
                    &digest[58..]
                ),
                found: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            })?,
        };
        if named != digest[58..] {
            return Err(StoreError::Checksum {
                path: path.to_owned(),
                expected: named,
                found: digest[58..].to_owned(),
            });
        }
        let mut rest = &head[PREAMBLE..];
        let header: Header = ciborium::from_reader(&mut rest)
            .map_err(|e| format(format!("a malformed header ({})", cbor_problem(&e))))?;
        if !rest.is_empty() {
            return Err(format(format!("a header followed by {} stray bytes", rest.len())));
        }
        let body = size - header_end as u64;
        let space = header.space.unwrap_or(Space::Topology);
        let mut by_index = vec![None; space.num_archs()];
        for (position, entry) in header.cells.iter().enumerate() {
            let fits = entry.offset.checked_add(entry.len).is_some_and(|end| end <= body);
            let slot = by_index.get_mut(entry.index as usize).filter(|s| s.is_none());
            match slot {
                Some(slot) if fits => *slot = Some(position as u32),
                _ => return Err(format(format!("a bad index entry for cell {} (truncated or repeated)", entry.index))),
            }
        }
        let s = &header.summary;
        if s.offset.checked_add(s.len).is_none_or(|end| end > body) || s.len != u64::from(s.index) * summary::ROW as u64
        {
            return Err(format("a bad summary entry (truncated file)".into()));
        }
        if let Some(p) = &header.proxies {
            if version < 6 || p.offset.checked_add(p.len).is_none_or(|end| end > body) {
                return Err(format("a bad proxy-score entry (truncated file)".into()));
            }
        }
        // The sections and the summary end where the file ends: bytes after them belong to no one.
        let end = header.cells.iter().chain([s]).chain(&header.proxies).map(|e| e.offset + e.len).max().unwrap_or(0);
        if end != body {
            return Err(format(format!("{} stray bytes after the last section", body - end)));
        }
        let decoded = Mutex::new(CellCache { capacity: DEFAULT_CACHED_CELLS, clock: 0, cells: HashMap::new() });
        let entries =
            header.cells.into_iter().map(|e| CellEntry { offset: e.offset + header_end as u64, ..e }).collect();
        let s = header.summary;
        let summary_entry = CellEntry { offset: s.offset + header_end as u64, ..s };
        let proxies_entry = header.proxies.map(|p| CellEntry { offset: p.offset + header_end as u64, ..p });
        Ok(BenchmarkFile {
            path: path.to_owned(),
            file,
            version,
            meta: header.meta,
            space,
            digest,
            entries,
            summary_entry,
            summary: OnceLock::new(),
            proxies_entry,
            proxies: OnceLock::new(),
            by_index,
            decoded,
        })
    }

    /// The file's metadata.
    pub fn meta(&self) -> &BenchmarkMeta {
        &self.meta
    }

    /// The space its cells are of.
    pub fn space(&self) -> Space {
        self.space
    }

    /// The format version it was written in.
    pub fn version(&self) -> u32 {
        self.version
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

    /// Whether the cell with official index `index` has a section: full records, rather than summary-only ones
    /// or none.
    pub fn has_section(&self, index: usize) -> bool {
        self.by_index.get(index).is_some_and(Option::is_some)
    }

    /// Number of cells with a section in the file.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the file holds no cell.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The results of the cell with official index `index`, decoded and checked on first use and kept among
    /// the recently used cells (see [`BenchmarkFile::set_cached_cells`]).
    ///
    /// # Errors
    /// [`StoreError::Checksum`] or [`StoreError::Format`] if the section is damaged.
    pub fn cell(&self, index: usize) -> Result<Option<Arc<CellResults>>> {
        let Some(position) = self.by_index.get(index).copied().flatten() else { return Ok(None) };
        if let Some(cell) = self.cache().get(position) {
            return Ok(Some(cell));
        }
        let bytes = self.section(&self.entries[position as usize])?;
        let format = |found: String| StoreError::Format {
            path: self.path.clone(),
            expected: format!("a CBOR section for cell {index}"),
            found,
        };
        let mut rest = bytes.as_slice();
        let cell: CellResults = ciborium::from_reader(&mut rest).map_err(|e| format(cbor_problem(&e)))?;
        if !rest.is_empty() {
            return Err(format(format!("{} bytes after its end", rest.len())));
        }
        // A section whose checksum was recomputed after an edit (a buggy writer, a crafted file) is checked as
        // a writer checks its records: each valid, all of this cell, one per key, in order.
        let cell = cell.checked().map_err(|e| format(e.to_string()))?;
        if cell.space_index() != (self.space, index) {
            let (space, own) = cell.space_index();
            return Err(format(format!("the records of cell {own} of the {space} space")));
        }
        // Another thread may have decoded it meanwhile: both values are equal, either may stay.
        let cell = Arc::new(cell);
        self.cache().insert(position, &cell);
        Ok(Some(cell))
    }

    /// The bytes of a section, checked against its digest.
    fn section(&self, entry: &CellEntry) -> Result<Vec<u8>> {
        // The length was checked against the file's when it was opened.
        let mut bytes = vec![0; usize::try_from(entry.len).expect("a section that fits in the file")];
        read_at(&self.file, &mut bytes, entry.offset)
            .map_err(|error| StoreError::Io { path: self.path.clone(), error })?;
        let found = blake3::hash(&bytes).to_hex().to_string();
        if found != entry.blake3 {
            return Err(StoreError::Checksum { path: self.path.clone(), expected: entry.blake3.clone(), found });
        }
        Ok(bytes)
    }

    /// How many decoded cells the file keeps in memory (default [`DEFAULT_CACHED_CELLS`]); at least one.
    pub fn set_cached_cells(&self, cells: usize) {
        let mut cache = self.cache();
        cache.capacity = cells.max(1);
        cache.shrink();
    }

    /// The decoded cells. A thread that panicked while holding them left whole entries (each insertion is
    /// one map operation), so a poisoned lock is still usable.
    fn cache(&self) -> std::sync::MutexGuard<'_, CellCache> {
        self.decoded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One row per trial with its costs and last-epoch accuracies, sorted by index, hp, setting and seed;
    /// read and checked on first use.
    ///
    /// # Errors
    /// [`StoreError::Checksum`] or [`StoreError::Format`] if the section is damaged.
    pub fn summary(&self) -> Result<&[TrialSummary]> {
        if let Some(rows) = self.summary.get() {
            return Ok(rows);
        }
        let bytes = self.section(&self.summary_entry)?;
        let rows = summary::parse_rows(&bytes, self.space.num_archs()).map_err(|found| StoreError::Format {
            path: self.path.clone(),
            expected: "summary rows".into(),
            found,
        })?;
        let _ = self.summary.set(rows);
        Ok(self.summary.get().expect("just set"))
    }

    /// The proxy scores, read and checked on first use; `None` for a file without any (older files among them).
    ///
    /// # Errors
    /// [`StoreError::Checksum`] or [`StoreError::Format`] if the section is damaged.
    pub fn proxies(&self) -> Result<Option<&ProxyTable>> {
        let Some(entry) = &self.proxies_entry else { return Ok(None) };
        if let Some(table) = self.proxies.get() {
            return Ok(Some(table));
        }
        let bytes = self.section(entry)?;
        let table = ProxyTable::from_bytes(&bytes, self.space).map_err(|found| StoreError::Format {
            path: self.path.clone(),
            expected: "proxy scores".into(),
            found,
        })?;
        let _ = self.proxies.set(table);
        Ok(self.proxies.get())
    }

    /// Checks every section and the summary against their checksums, without decoding them: what a writer checks
    /// before a file takes its name, and what tells a damaged file from a sound one.
    ///
    /// # Errors
    /// [`StoreError::Checksum`] for the first damaged section, [`StoreError::Io`].
    pub fn check_sections(&self) -> Result<()> {
        for entry in self.entries.iter().chain([&self.summary_entry]).chain(&self.proxies_entry) {
            self.section(entry)?;
        }
        Ok(())
    }

    /// Checks the whole file: every section decodes and holds valid records of its cell, and the summary's rows
    /// of each cell with a section are the rows of its records, and the proxy scores read. `on_cell` is called after
    /// each section.
    ///
    /// # Errors
    /// As [`BenchmarkFile::cell`] and [`BenchmarkFile::summary`], or [`StoreError::Format`] for a summary that
    /// contradicts the sections.
    pub fn verify(&self, mut on_cell: impl FnMut()) -> Result<()> {
        self.proxies()?;
        let rows = self.summary()?;
        let by_cell: BTreeMap<usize, &[TrialSummary]> =
            rows.chunk_by(|a, b| a.index == b.index).map(|cell| (cell[0].index, cell)).collect();
        for index in self.indices() {
            let cell = self.cell(index)?.expect("listed cells exist");
            let derived = cell.trials().iter().map(TrialSummary::of_record).collect::<Result<Vec<_>>>()?;
            let listed = by_cell.get(&index).copied().unwrap_or_default();
            if derived != listed {
                return Err(StoreError::Format {
                    path: self.path.clone(),
                    expected: format!("summary rows of cell {index} that are those of its {} records", derived.len()),
                    found: format!("{} rows that differ", listed.len()),
                });
            }
            on_cell();
        }
        Ok(())
    }

    /// Decodes every cell (checking every section) into a [`MergedBenchmark`].
    ///
    /// # Errors
    /// As [`BenchmarkFile::cell`].
    pub fn to_merged(&self) -> Result<MergedBenchmark> {
        let mut cells = BTreeMap::new();
        for index in self.indices() {
            let cell = self.cell(index)?.expect("listed cells exist");
            cells.insert(index, CellResults::clone(&cell));
        }
        Ok(from_cells(self.meta.clone(), cells))
    }
}

/// Fills `buf` from `file` at `offset`, without moving a shared cursor, so threads read one file at once.
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => (buf, offset) = (&mut buf[n..], offset + n as u64),
            }
        }
        Ok(())
    }
}

/// The six hex digits that end a benchmark file's name, `PREFIX-XXXXXX.nb102`.
/// The benchmark file a writer of `prefix` finished, `PREFIX-XXXXXX.nb102`, if there is one in its folder.
///
/// # Errors
/// [`StoreError::Io`] if the folder cannot be listed.
pub fn find_benchmark(prefix: &Path) -> Result<Option<PathBuf>> {
    let name = prefix.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = match prefix.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let entries = std::fs::read_dir(dir).map_err(|error| StoreError::Io { path: dir.to_owned(), error })?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).find(|path| {
        let stem = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.rsplit_once('-')).map(|(stem, _)| stem);
        stem == Some(name.as_str()) && named_digest(path).is_some()
    }))
}

fn named_digest(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(&format!(".{BENCHMARK_EXTENSION}")).unwrap_or(name);
    let (_, digest) = stem.rsplit_once('-')?;
    (digest.len() == 6 && digest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| digest.to_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
