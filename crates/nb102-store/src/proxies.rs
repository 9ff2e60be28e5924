//! Zero-cost proxy scores per cell: columns keyed by what made them ([`ProxyKey`]: proxy, setting, batch size,
//! seed, harness variant), each with where its batch came from, one score per cell of the space. A benchmark file
//! holds them in one section (`bench_file.rs`), read on first use; `docs/PROXIES.md` says what each proxy is.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::setting::Setting;
use nb102_space::Space;

/// The harness variant a score was computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyVariant {
    /// The measure's own score (NaN and −∞ kept).
    Raw,
    /// NASLib's post-processing, as NAS-Bench-Suite-Zero holds its scores: NaN and ±∞ as −1e8, synflow's logarithm.
    Naslib,
}

impl ProxyVariant {
    /// `raw` or `naslib`.
    pub const fn name(self) -> &'static str {
        match self {
            ProxyVariant::Raw => "raw",
            ProxyVariant::Naslib => "naslib",
        }
    }
}

impl fmt::Display for ProxyVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ProxyVariant {
    type Err = String;

    fn from_str(text: &str) -> Result<ProxyVariant, String> {
        match text {
            "raw" => Ok(ProxyVariant::Raw),
            "naslib" => Ok(ProxyVariant::Naslib),
            _ => Err(format!("invalid proxy variant: expected raw or naslib, found {text:?}")),
        }
    }
}

/// What a column of scores was computed with: the proxy, the setting (its network's input shape and classes, and
/// the data its batch came from), the batch size, the seed (of the weights, the batch and zen's draws; `None` where
/// the source does not say), and the harness variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProxyKey {
    /// The proxy's name, as `nb102_protocol::Proxy` names it (`synflow`, `nwot`, …).
    pub proxy: String,
    /// The setting.
    pub setting: Setting,
    /// Images in the batch.
    pub batch_size: u32,
    /// The seed, where known.
    pub seed: Option<u64>,
    /// Raw scores or NASLib's post-processed ones.
    pub variant: ProxyVariant,
}

impl fmt::Display for ProxyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seed = self.seed.map_or("unknown".to_owned(), |s| s.to_string());
        write!(f, "{} on {}, batch {}, seed {seed}, {}", self.proxy, self.setting, self.batch_size, self.variant)
    }
}

/// One score per cell of a space for one [`ProxyKey`], with where the batch came from. Two columns are equal when
/// their scores are equal bit for bit (so a NaN equals itself).
#[derive(Clone)]
pub struct ProxyColumn {
    key: ProxyKey,
    source: String,
    /// Per official index: the score, or NaN where `present` is false.
    scores: Vec<f64>,
    present: Vec<bool>,
}

impl ProxyColumn {
    /// What the scores were computed with.
    pub fn key(&self) -> &ProxyKey {
        &self.key
    }

    /// Where the batch came from, and anything else a reader needs to compare the scores (one line).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The cell's score, if the column has one (which may itself be NaN or infinite, as the measure gave it).
    pub fn get(&self, index: usize) -> Option<f64> {
        self.present.get(index).copied().unwrap_or(false).then(|| self.scores[index])
    }

    /// Every cell's score by official index, NaN where the column has none (see [`ProxyColumn::has`]).
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// Whether the column has a score for the cell.
    pub fn has(&self, index: usize) -> bool {
        self.present.get(index).copied().unwrap_or(false)
    }

    /// How many cells have a score.
    pub fn len(&self) -> usize {
        self.present.iter().filter(|&&p| p).count()
    }

    /// Whether no cell has a score.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for ProxyColumn {
    fn eq(&self, other: &ProxyColumn) -> bool {
        self.key == other.key
            && self.source == other.source
            && self.present == other.present
            && self.scores.iter().zip(&other.scores).all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl fmt::Debug for ProxyColumn {
    /// The key, the source and how many cells have a score, not every score.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyColumn")
            .field("key", &self.key)
            .field("source", &self.source)
            .field("cells", &self.len())
            .finish()
    }
}

/// A conflict or mismatch in proxy scores, in words (the writer adds the file).
pub type ProxyProblem = String;

/// The proxy scores of one space: columns with distinct keys, in key order.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyTable {
    space: Space,
    columns: Vec<ProxyColumn>,
}

impl ProxyTable {
    /// An empty table of `space`.
    pub fn new(space: Space) -> ProxyTable {
        ProxyTable { space, columns: Vec::new() }
    }

    /// The space whose cells the columns score.
    pub fn space(&self) -> Space {
        self.space
    }

    /// The columns, in key order.
    pub fn columns(&self) -> &[ProxyColumn] {
        &self.columns
    }

    /// The column of `key`.
    pub fn column(&self, key: &ProxyKey) -> Option<&ProxyColumn> {
        self.columns.binary_search_by(|c| c.key.cmp(key)).ok().map(|i| &self.columns[i])
    }

    /// Whether the table has no column.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Sets the score of cell `index` under `key`, making the column (with `source`) if it is new.
    ///
    /// # Errors
    /// An index outside the space, a column of that key from another source, or another score already there for
    /// the cell (scores are compared bit for bit, so a NaN equals itself): nothing is ever overwritten.
    pub fn insert(&mut self, key: &ProxyKey, source: &str, index: usize, score: f64) -> Result<(), ProxyProblem> {
        let cells = self.space.num_archs();
        if index >= cells {
            return Err(format!("a cell index below {cells} of the {} space, found {index}", self.space));
        }
        let position = match self.columns.binary_search_by(|c| c.key.cmp(key)) {
            Ok(position) => position,
            Err(position) => {
                let column = ProxyColumn {
                    key: key.clone(),
                    source: source.to_owned(),
                    scores: vec![f64::NAN; cells],
                    present: vec![false; cells],
                };
                self.columns.insert(position, column);
                position
            }
        };
        let column = &mut self.columns[position];
        if column.source != source {
            return Err(format!("one source per column of {key}: expected {:?}, found {source:?}", column.source));
        }
        if column.present[index] && column.scores[index].to_bits() != score.to_bits() {
            return Err(format!(
                "one score of cell {index} for {key}: expected {}, found {score}",
                column.scores[index]
            ));
        }
        column.scores[index] = score;
        column.present[index] = true;
        Ok(())
    }

    /// Adds every score of `other` (same space), as [`ProxyTable::insert`] does one.
    ///
    /// # Errors
    /// Another space, or as [`ProxyTable::insert`].
    pub fn merge(&mut self, other: &ProxyTable) -> Result<(), ProxyProblem> {
        if other.space != self.space {
            return Err(format!("proxy scores of the {} space, found the {} space's", self.space, other.space));
        }
        for column in &other.columns {
            for index in (0..column.present.len()).filter(|&i| column.present[i]) {
                self.insert(&column.key, &column.source, index, column.scores[index])?;
            }
        }
        Ok(())
    }

    /// The section's bytes (CBOR).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let stored = StoredTable {
            space: self.space,
            columns: self
                .columns
                .iter()
                .map(|c| StoredColumn {
                    key: c.key.clone(),
                    source: c.source.clone(),
                    scores: c.scores.iter().flat_map(|s| s.to_le_bytes()).collect(),
                    present: c
                        .present
                        .chunks(8)
                        .map(|bits| bits.iter().rev().fold(0u8, |b, &p| b << 1 | u8::from(p)))
                        .collect(),
                })
                .collect(),
        };
        let mut bytes = Vec::new();
        ciborium::into_writer(&stored, &mut bytes).expect("writing CBOR to memory cannot fail");
        bytes
    }

    /// Reads a section written by [`ProxyTable::to_bytes`].
    ///
    /// # Errors
    /// What is wrong with the bytes, in words.
    pub(crate) fn from_bytes(bytes: &[u8], space: Space) -> Result<ProxyTable, ProxyProblem> {
        let stored: StoredTable = ciborium::from_reader(bytes)
            .map_err(|e| format!("a malformed proxy section ({})", crate::error::cbor_problem(&e)))?;
        if stored.space != space {
            return Err(format!("proxy scores of the file's {space} space, found the {} space's", stored.space));
        }
        let cells = space.num_archs();
        let mut columns = Vec::with_capacity(stored.columns.len());
        for c in stored.columns {
            if c.scores.len() != cells * 8 || c.present.len() != cells.div_ceil(8) {
                return Err(format!("a column of {cells} scores for {}, found one of {} bytes", c.key, c.scores.len()));
            }
            let scores = c.scores.chunks(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
            let present = (0..cells).map(|i| c.present[i / 8] >> (i % 8) & 1 == 1).collect();
            columns.push(ProxyColumn { key: c.key, source: c.source, scores, present });
        }
        if columns.windows(2).any(|w| w[0].key >= w[1].key) {
            return Err("proxy columns in key order, each key once, found them out of order or repeated".to_owned());
        }
        Ok(ProxyTable { space, columns })
    }
}

/// The section as stored: scores as little-endian f64 bytes, presence as a bitmap (bit i % 8 of byte i / 8).
#[derive(Serialize, Deserialize)]
struct StoredTable {
    space: Space,
    columns: Vec<StoredColumn>,
}

#[derive(Serialize, Deserialize)]
struct StoredColumn {
    key: ProxyKey,
    source: String,
    #[serde(with = "serde_bytes")]
    scores: Vec<u8>,
    #[serde(with = "serde_bytes")]
    present: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(proxy: &str) -> ProxyKey {
        ProxyKey {
            proxy: proxy.to_owned(),
            setting: Setting::Cifar10,
            batch_size: 64,
            seed: Some(0),
            variant: ProxyVariant::Raw,
        }
    }

    #[test]
    fn scores_round_trip_and_are_never_overwritten() {
        let mut table = ProxyTable::new(Space::Topology);
        table.insert(&key("synflow"), "test batch", 11472, 3.9e34).unwrap();
        table.insert(&key("nwot"), "test batch", 0, f64::NEG_INFINITY).unwrap();
        table.insert(&key("nwot"), "test batch", 15624, f64::NAN).unwrap();
        // The same score again is no conflict, NaN included.
        table.insert(&key("nwot"), "test batch", 15624, f64::NAN).unwrap();
        let back = ProxyTable::from_bytes(&table.to_bytes(), Space::Topology).unwrap();
        let nwot = back.column(&key("nwot")).unwrap();
        assert_eq!((nwot.get(0), nwot.len(), nwot.has(1)), (Some(f64::NEG_INFINITY), 2, false));
        assert!(nwot.get(15624).unwrap().is_nan() && nwot.get(1).is_none());
        assert_eq!(back.column(&key("synflow")).unwrap().get(11472), Some(3.9e34));
        assert_eq!(back.columns().iter().map(|c| c.key().proxy.as_str()).collect::<Vec<_>>(), ["nwot", "synflow"]);

        let err = table.insert(&key("synflow"), "test batch", 11472, 1.0).unwrap_err();
        assert_eq!(err, "one score of cell 11472 for synflow on cifar10, batch 64, seed 0, raw: expected 39000000000000000000000000000000000, found 1");
        assert!(table
            .insert(&key("synflow"), "another batch", 1, 1.0)
            .unwrap_err()
            .starts_with("one source per column"));
        assert!(table.insert(&key("synflow"), "test batch", 15625, 1.0).is_err());
        assert!(ProxyTable::from_bytes(&table.to_bytes(), Space::Size).is_err());
        let mut other = ProxyTable::new(Space::Topology);
        other.insert(&key("synflow"), "test batch", 11472, 2.0).unwrap();
        assert!(table.merge(&other).is_err());
    }
}
