//! Reading and writing a network's state dict: safetensors both ways, and PyTorch's `torch.save`
//! format (`.pt`, `.pth`, `.bin`) for reading.
//!
//! Loading is strict: every tensor of the network must be in the file with its shape, and the file
//! must hold nothing else, so a file for another cell or width is refused rather than half-loaded.

use std::collections::HashMap;
use std::path::Path;

use tch::nn::VarStore;
use tch::Tensor;

use crate::error::{ModelError, Result};

/// Loads the tensors of `path` into `vs`, converting dtype and device as needed.
///
/// # Errors
/// [`ModelError::Weights`] if a tensor is missing, unexpected or mis-shaped; [`ModelError::Torch`] if
/// the file cannot be read.
pub fn load_weights(vs: &mut VarStore, path: &Path) -> Result<()> {
    load_named(vs, &read_tensors(path)?, path)
}

/// Loads named tensors into `vs` as [`load_weights`] does: every tensor of the network, with its shape, and
/// nothing else; `path` names where they came from in errors.
///
/// # Errors
/// As [`load_weights`].
pub fn load_named(vs: &mut VarStore, file: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let problem = |problem: String| ModelError::Weights { path: path.to_owned(), problem };
    let variables = state_dict(vs);
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
/// As [`write_safetensors`].
pub fn save_weights(vs: &VarStore, path: &Path) -> Result<()> {
    write_safetensors(&state_dict(vs), path)
}

/// Every tensor of `vs` with its name, in name order: the order a state dict is written in.
pub fn state_dict(vs: &VarStore) -> Vec<(String, Tensor)> {
    let mut named: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
}

/// Writes named tensors (moved to the CPU) to a safetensors file atomically (`nb102_store::write_atomically`).
///
/// # Errors
/// [`ModelError::Store`] if the file cannot be written or `path` cannot be an output, [`ModelError::Weights`]
/// for a tensor of a dtype that safetensors has no name for.
pub fn write_safetensors(named: &[(String, Tensor)], path: &Path) -> Result<()> {
    let bytes = safetensors_bytes(named).map_err(|problem| ModelError::Weights { path: path.to_owned(), problem })?;
    Ok(nb102_store::write_atomically(path, |out| std::io::Write::write_all(out, &bytes))?)
}

/// Named tensors (moved to the CPU) as the bytes of a safetensors file, without a file: what checkpoints and
/// trial records carry.
///
/// # Errors
/// A tensor of a dtype that safetensors has no name for, in words.
pub fn safetensors_bytes(named: &[(String, Tensor)]) -> std::result::Result<Vec<u8>, String> {
    let views = named
        .iter()
        .map(|(name, tensor)| Ok((name.as_str(), CpuView::of(name, tensor)?)))
        .collect::<std::result::Result<Vec<_>, String>>()?;
    safetensors::serialize(views, None).map_err(|e| format!("expected tensors safetensors can hold, found {e}"))
}

/// The tensors of safetensors bytes, on the CPU, by name.
///
/// # Errors
/// [`ModelError::Weights`] naming `origin` (where the bytes came from) for bytes that are not a safetensors file.
pub fn tensors_from_safetensors(bytes: &[u8], origin: &Path) -> Result<HashMap<String, Tensor>> {
    let bad = |problem: String| ModelError::Weights { path: origin.to_owned(), problem };
    let file = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("expected safetensors bytes, found bytes that do not parse ({e})")))?;
    let mut out = HashMap::new();
    for (name, view) in file.tensors() {
        let kind =
            kind_of(view.dtype()).ok_or_else(|| bad(format!("tensor {name}: unsupported dtype {}", view.dtype())))?;
        let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        let tensor = Tensor::f_from_data_size(view.data(), &shape, kind)?;
        out.insert(name, tensor);
    }
    Ok(out)
}

/// A tensor's bytes on the CPU, as safetensors serialises them.
struct CpuView {
    dtype: safetensors::Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl CpuView {
    fn of(name: &str, tensor: &Tensor) -> std::result::Result<CpuView, String> {
        let kind = tensor.kind();
        let dtype = dtype_of(kind)
            .ok_or_else(|| format!("tensor {name}: expected a dtype safetensors names, found {kind:?}"))?;
        let cpu = tensor.to(tch::Device::Cpu).contiguous();
        let numel = cpu.numel();
        let mut bytes = vec![0u8; numel * kind.elt_size_in_bytes()];
        cpu.f_copy_data_u8(&mut bytes, numel)
            .map_err(|e| format!("tensor {name}: {}", crate::error::torch_message(&e)))?;
        let shape = cpu.size().iter().map(|&d| d as usize).collect();
        Ok(CpuView { dtype, shape, bytes })
    }
}

impl safetensors::View for CpuView {
    fn dtype(&self) -> safetensors::Dtype {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }

    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// The kinds the networks, optimisers and records use, and their safetensors names.
const KINDS: [(tch::Kind, safetensors::Dtype); 9] = [
    (tch::Kind::Float, safetensors::Dtype::F32),
    (tch::Kind::Double, safetensors::Dtype::F64),
    (tch::Kind::Half, safetensors::Dtype::F16),
    (tch::Kind::BFloat16, safetensors::Dtype::BF16),
    (tch::Kind::Int64, safetensors::Dtype::I64),
    (tch::Kind::Int, safetensors::Dtype::I32),
    (tch::Kind::Int16, safetensors::Dtype::I16),
    (tch::Kind::Int8, safetensors::Dtype::I8),
    (tch::Kind::Uint8, safetensors::Dtype::U8),
];

fn dtype_of(kind: tch::Kind) -> Option<safetensors::Dtype> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|&(_, d)| d)
}

fn kind_of(dtype: safetensors::Dtype) -> Option<tch::Kind> {
    KINDS.iter().find(|(_, d)| *d == dtype).map(|&(k, _)| k)
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
