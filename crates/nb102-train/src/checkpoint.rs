//! Checkpoint files, for every resumable loop (the training protocol, the searches): the CBOR of the loop's
//! state sealed with its BLAKE3 and a version, written atomically, so a damaged or old file is recognised and
//! never resumed from; and tensors carried inside a state as safetensors bytes.

use std::collections::HashMap;
use std::path::Path;

use nb102_model::{load_named, safetensors_bytes, state_dict, tensors_from_safetensors};
use nb102_store::write_atomically;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::Tensor;

use crate::error::{io, Result, TrainError};

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

/// Where a resumable loop starts.
#[derive(Debug)]
pub enum Start<T> {
    /// At the beginning: not resuming, or no checkpoint.
    Fresh,
    /// From a checkpoint's state.
    Resumed(T),
    /// At the beginning, because the checkpoint was damaged or of another version (why).
    StartedOver(String),
}

/// Where a loop with checkpoint `path` starts: with `resume` and a checkpoint there, its state if it is whole and
/// of this run (`config_of(&state)` is a hash `is_this_run` accepts), else at the beginning.
///
/// # Errors
/// [`TrainError::Checkpoint`](crate::TrainError::Checkpoint) for a whole checkpoint of another run (resuming from it
/// would mix two runs; starting over would destroy it); [`TrainError::Io`](crate::TrainError::Io) if it cannot be
/// read.
pub fn start<T: DeserializeOwned>(
    path: &Path,
    version: u32,
    resume: bool,
    config_of: impl Fn(&T) -> &str,
    is_this_run: impl Fn(&str) -> bool,
) -> Result<Start<T>> {
    if !(resume && path.exists()) {
        return Ok(Start::Fresh);
    }
    match read_sealed::<T>(path, version)? {
        Ok(state) if !is_this_run(config_of(&state)) => Err(TrainError::Checkpoint {
            path: path.to_owned(),
            expected: "the same config as this run (remove it to start over)".into(),
            found: format!("config {}", config_of(&state)),
        }),
        Ok(state) => Ok(Start::Resumed(state)),
        Err(reason) => Ok(Start::StartedOver(reason)),
    }
}

/// A network's state dict as safetensors bytes (its variables in name order).
///
/// # Errors
/// A tensor of a dtype safetensors cannot hold (`origin` names the file the bytes are for).
pub fn weight_bytes(vs: &VarStore, origin: &Path) -> Result<Vec<u8>> {
    tensor_bytes(&state_dict(vs), origin)
}

/// Loads safetensors bytes made by [`weight_bytes`] into `vs` (strictly: the same tensors and shapes).
///
/// # Errors
/// A tensor missing, unexpected or mis-shaped, or bytes that do not parse (`origin`: the file they came from).
pub fn restore_weights(vs: &mut VarStore, bytes: &[u8], origin: &Path) -> Result<()> {
    Ok(load_named(vs, &tensors_from_safetensors(bytes, origin)?, origin)?)
}

/// Named tensors as safetensors bytes (optimiser states, for a checkpoint).
///
/// # Errors
/// A tensor of a dtype safetensors cannot hold (`origin` names the file the bytes are for).
pub fn tensor_bytes(named: &[(String, Tensor)], origin: &Path) -> Result<Vec<u8>> {
    safetensors_bytes(named)
        .map_err(|problem| nb102_model::ModelError::Weights { path: origin.to_owned(), problem }.into())
}

/// The tensors of safetensors bytes made by [`tensor_bytes`], on the CPU.
///
/// # Errors
/// Bytes that do not parse (`origin`: the file they came from).
pub fn tensors_from_bytes(bytes: &[u8], origin: &Path) -> Result<HashMap<String, Tensor>> {
    Ok(tensors_from_safetensors(bytes, origin)?)
}
