//! Reading and writing a network's state dict: safetensors both ways, and PyTorch's `torch.save`
//! format (`.pt`, `.pth`, `.bin`) for reading.
//!
//! Loading is strict: every tensor of the network must be in the file with its shape, and the file
//! must hold nothing else, so a file for another cell or width is refused rather than half-loaded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tch::nn::VarStore;
use tch::Tensor;

use crate::error::{ModelError, Result};

/// Loads the tensors of `path` into `vs`, converting dtype and device as needed.
///
/// # Errors
/// [`ModelError::Weights`] if a tensor is missing, unexpected or mis-shaped; [`ModelError::Torch`] if
/// the file cannot be read.
pub fn load_weights(vs: &mut VarStore, path: &Path) -> Result<()> {
    let file = read_tensors(path)?;
    let problem = |problem: String| ModelError::Weights { path: path.to_owned(), problem };
    let mut variables: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, var) in &variables {
        let src = file
            .get(name)
            .ok_or_else(|| problem(format!("expected tensor {name} of shape {:?}, found none", var.size())))?;
        if src.size() != var.size() {
            return Err(problem(format!("tensor {name}: expected shape {:?}, found {:?}", var.size(), src.size())));
        }
    }
    if let Some(extra) = file.keys().filter(|k| !variables.iter().any(|(n, _)| n == *k)).min() {
        return Err(problem(format!("unexpected tensor {extra}: the network has no such parameter or buffer")));
    }
    tch::no_grad(|| {
        for (name, var) in &variables {
            var.shallow_clone().f_copy_(&file[name])?;
        }
        Ok(())
    })
}

/// Writes every tensor of `vs` to `path` in safetensors format, atomically (a temporary file in the same
/// folder, then a rename), so a reader never sees half a file.
///
/// # Errors
/// [`ModelError::Torch`] if the file cannot be written.
pub fn save_weights(vs: &VarStore, path: &Path) -> Result<()> {
    let mut named: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    write_safetensors(&named, path)
}

/// Writes named tensors (moved to the CPU) to a safetensors file atomically.
///
/// # Errors
/// [`ModelError::Torch`] if the file cannot be written.
pub fn write_safetensors(named: &[(String, Tensor)], path: &Path) -> Result<()> {
    let tmp = temporary_path(path);
    let cpu: Vec<(&str, Tensor)> =
        named.iter().map(|(n, t)| (n.as_str(), t.to(tch::Device::Cpu).contiguous())).collect();
    let unwritable = |e: tch::TchError| ModelError::Weights {
        path: path.to_owned(),
        problem: format!("could not be written ({})", crate::error::torch_message(&e)),
    };
    let written = Tensor::write_safetensors(&cpu, &tmp)
        .map_err(unwritable)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| unwritable(tch::TchError::Io(e))));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The tensors of a safetensors or `torch.save` file, by name.
///
/// # Errors
/// [`ModelError::Torch`] if the file cannot be read; [`ModelError::Weights`] for an unknown extension.
pub fn read_tensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    if !path.is_file() {
        return Err(ModelError::Weights { path: path.to_owned(), problem: "expected a file, found none".to_owned() });
    }
    let unreadable = |what: &str, e: tch::TchError| ModelError::Weights {
        path: path.to_owned(),
        problem: format!("expected {what}, found a file libtorch cannot read ({})", crate::error::torch_message(&e)),
    };
    let named = match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors") => Tensor::read_safetensors(path).map_err(|e| unreadable("a safetensors file", e))?,
        Some("pt" | "pth" | "bin") => Tensor::loadz_multi(path).map_err(|e| unreadable("a torch.save file", e))?,
        other => {
            return Err(ModelError::Weights {
                path: path.to_owned(),
                problem: format!("expected a .safetensors, .pt, .pth or .bin file, found extension {other:?}"),
            })
        }
    };
    Ok(named.into_iter().collect())
}

/// `dir/.name.tmp-PID.safetensors`: same folder (so the rename is atomic), same extension (tch picks
/// the format by it).
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}.safetensors", std::process::id()))
}
