//! The files processes exchange: one value of this crate's types as JSON, read from a path or standard input
//! (`-`), written atomically.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ProtocolError, Result};

/// The largest file read: a config or result is kilobytes; a search result of thousands of epochs, a few MB.
const MAX_BYTES: u64 = 64 << 20;

/// Reads one `T` from the JSON file at `path`, or from standard input if `path` is `-`; `what` names it in
/// errors (`a training config`).
///
/// # Errors
/// [`ProtocolError::File`] for a file that is not the JSON of a `T`, or larger than 64 MiB;
/// [`ProtocolError::Store`] for one that cannot be read.
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| nb102_store::StoreError::Io { path: path.to_owned(), error })?;
        bytes
    } else {
        nb102_store::read_regular(path, what, MAX_BYTES)?
    };
    let file = |found: String| ProtocolError::File { path: path.to_owned(), expected: what.to_owned(), found };
    if bytes.len() as u64 > MAX_BYTES {
        return Err(file(format!("more than {MAX_BYTES} bytes")));
    }
    serde_json::from_slice(&bytes).map_err(|e| file(e.to_string()))
}

/// Parses one `T` from JSON text; `what` and `path` name it in errors.
///
/// # Errors
/// [`ProtocolError::File`] for text that is not the JSON of a `T`.
pub fn parse_json<T: DeserializeOwned>(text: &str, path: &Path, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| ProtocolError::File {
        path: path.to_owned(),
        expected: what.to_owned(),
        found: e.to_string(),
    })
}

/// Writes `value` as pretty JSON with a final newline, atomically (a reader sees the old file or the whole new one).
///
/// # Errors
/// [`ProtocolError::Store`] for an output that cannot be written.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = to_json(value) + "\n";
    nb102_store::write_atomically(path, |out| std::io::Write::write_all(out, text.as_bytes()))?;
    Ok(())
}

/// `value` as pretty JSON: every type of this crate serialises.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("the protocol's types serialise")
}
