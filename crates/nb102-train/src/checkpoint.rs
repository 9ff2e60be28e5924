//! Checkpoint files, for every resumable loop (the training protocol, the searches): the CBOR of the loop's
//! state sealed with its BLAKE3 and a version, written atomically, so a damaged or old file is recognised and
//! never resumed from; and tensors carried inside a state as safetensors bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nb102_model::{load_weights, read_tensors, save_weights, write_safetensors};
use nb102_store::write_atomically;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::Tensor;

use crate::error::{io, Result};

/// A checkpoint file: the CBOR of a state, its BLAKE3 and the state's version.
#[derive(Serialize, Deserialize)]
struct Sealed {
    version: u32,
    blake3: String,
    #[serde(with = "serde_bytes")]
    state: Vec<u8>,
}

/// Writes `state` to `path` atomically, sealed with `version` and its checksum.
///
/// # Errors
/// [`TrainError::Io`](crate::TrainError::Io) and store errors when the file cannot be written.
pub fn write_sealed<T: Serialize>(path: &Path, version: u32, state: &T) -> Result<()> {
    let mut state_bytes = Vec::new();
    ciborium::into_writer(state, &mut state_bytes).expect("writing CBOR to memory cannot fail");
    let sealed = Sealed { version, blake3: blake3::hash(&state_bytes).to_hex().to_string(), state: state_bytes };
    let mut bytes = Vec::new();
    ciborium::into_writer(&sealed, &mut bytes).expect("writing CBOR to memory cannot fail");
    Ok(write_atomically(path, |out| std::io::Write::write_all(out, &bytes))?)
}

/// The state at `path`: `Ok(Err(reason))` if the file is damaged or of another version (the loop then starts
/// over: resuming from it could give a wrong result).
///
/// # Errors
/// [`TrainError::Io`](crate::TrainError::Io) if the file cannot be read.
pub fn read_sealed<T: DeserializeOwned>(path: &Path, version: u32) -> Result<std::result::Result<T, String>> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let sealed: Sealed = match ciborium::from_reader(bytes.as_slice()) {
        Ok(sealed) => sealed,
        Err(e) => return Ok(Err(format!("expected a CBOR checkpoint, found {}", nb102_store::cbor_problem(&e)))),
    };
    if sealed.version != version {
        return Ok(Err(format!("expected checkpoint version {version}, found version {}", sealed.version)));
    }
    let digest = blake3::hash(&sealed.state).to_hex().to_string();
    if digest != sealed.blake3 {
        return Ok(Err(format!("expected checksum {}, found {digest}", sealed.blake3)));
    }
    Ok(ciborium::from_reader(sealed.state.as_slice())
        .map_err(|e| format!("expected a checkpoint's state, found {}", nb102_store::cbor_problem(&e))))
}

/// A network's state dict as safetensors bytes (through a file beside `near`: tch writes files).
///
/// # Errors
/// When the scratch file cannot be written or read.
pub fn weight_bytes(vs: &VarStore, near: &Path) -> Result<Vec<u8>> {
    let tmp = scratch_file(near);
    save_weights(vs, &tmp)?;
    let bytes = std::fs::read(&tmp).map_err(io(&tmp));
    let _ = std::fs::remove_file(&tmp);
    bytes
}

/// Loads safetensors bytes made by [`weight_bytes`] into `vs` (strictly: the same tensors and shapes).
///
/// # Errors
/// A tensor missing, unexpected or mis-shaped, or the scratch file.
pub fn restore_weights(vs: &mut VarStore, bytes: &[u8], near: &Path) -> Result<()> {
    let tmp = scratch_file(near);
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    let loaded = load_weights(vs, &tmp);
    let _ = std::fs::remove_file(&tmp);
    Ok(loaded?)
}

/// Named tensors as safetensors bytes (optimiser states, for a checkpoint).
///
/// # Errors
/// When the scratch file cannot be written or read.
pub fn tensor_bytes(named: &[(String, Tensor)], near: &Path) -> Result<Vec<u8>> {
    let tmp = scratch_file(near);
    write_safetensors(named, &tmp)?;
    let bytes = std::fs::read(&tmp).map_err(io(&tmp));
    let _ = std::fs::remove_file(&tmp);
    bytes
}

/// The tensors of safetensors bytes made by [`tensor_bytes`], on the CPU.
///
/// # Errors
/// Malformed bytes, or the scratch file.
pub fn tensors_from_bytes(bytes: &[u8], near: &Path) -> Result<HashMap<String, Tensor>> {
    let tmp = scratch_file(near);
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    let tensors = read_tensors(&tmp);
    let _ = std::fs::remove_file(&tmp);
    Ok(tensors?)
}

fn scratch_file(near: &Path) -> PathBuf {
    let name = near.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Named as nb102-store's temporaries, so that a rerun's writes remove it if this process is killed.
    near.with_file_name(format!(".{name}.tmp-{}.weights.safetensors", std::process::id()))
}
