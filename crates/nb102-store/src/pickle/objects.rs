//! The classes a pickle of the official files rebuilds: numpy arrays, dtypes and scalars, `OrderedDict`,
//! `_codecs.encode`, torch storages and `_rebuild_tensor_v2`. Anything else is an error naming the class.

use super::{PyValue, TensorRef};

/// REDUCE for the classes the benchmark files use.
pub(super) fn reduce(callable: PyValue, args: PyValue) -> Result<PyValue, String> {
    let PyValue::Global(module, name) = callable.value() else {
        return Err(format!("REDUCE of {}", callable.kind()));
    };
    let PyValue::Tuple(args) = args.value() else { return Err(format!("REDUCE with {} as arguments", args.kind())) };
    let args: Vec<&PyValue> = args.iter().map(PyValue::value).collect();
    match (module.as_str(), name.as_str()) {
        ("collections", "OrderedDict") if args.is_empty() => Ok(PyValue::Dict(Vec::new())),
        ("builtins" | "__builtin__", "set") => match args.as_slice() {
            [PyValue::List(items)] => Ok(PyValue::Set(items.clone())),
            [] => Ok(PyValue::Set(Vec::new())),
            [other, ..] => Err(format!("set() of {}", other.kind())),
        },
        // Protocol 2 writes Python 3 bytes as `_codecs.encode(text, 'latin1')`.
        ("_codecs", "encode") => match args.as_slice() {
            [PyValue::Str(text), PyValue::Str(encoding)] if encoding == "latin1" => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| "a latin1 string with a character above 255".into()))
                .collect::<Result<Vec<u8>, String>>()
                .map(PyValue::Bytes),
            _ => Err("_codecs.encode of something other than (str, 'latin1')".into()),
        },
        ("numpy", "dtype") => Ok(PyValue::Object {
            class: (module.clone(), name.clone()),
            args: args.into_iter().cloned().collect(),
            state: None,
        }),
        ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar") => numpy_scalar(&args),
        // An array: made empty here, its shape, dtype and data come with BUILD.
        ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
            Ok(PyValue::Object { class: ("numpy".into(), "ndarray".into()), args: Vec::new(), state: None })
        }
        // Protocol 5's array: `_frombuffer(buffer, dtype, shape, order)`, given the state BUILD would give.
        ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => match args.as_slice() {
            [data @ PyValue::Bytes(_), dtype, shape @ PyValue::Tuple(_), PyValue::Str(order)] => Ok(PyValue::Object {
                class: ("numpy".into(), "ndarray".into()),
                args: Vec::new(),
                state: Some(Box::new(PyValue::Tuple(vec![
                    PyValue::Int(1),
                    (*shape).clone(),
                    (*dtype).clone(),
                    PyValue::Bool(order == "F"),
                    (*data).clone(),
                ]))),
            }),
            _ => Err("_frombuffer of something other than (bytes, dtype, shape, order)".into()),
        },
        ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor") => rebuild_tensor(&args),
        // A parameter pickles as its data tensor (and requires_grad, hooks).
        ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => match args.first() {
            Some(tensor @ PyValue::Tensor(_)) => Ok((*tensor).clone()),
            _ => Err("a parameter without a tensor".into()),
        },
        _ => Err(format!("class {module}.{name}, which these files do not use")),
    }
}

/// `torch.save`'s persistent id of a storage: `('storage', torch.<Type>Storage, key, location, numel[, view])`.
pub(super) fn persistent_storage(pid: &PyValue) -> Result<PyValue, String> {
    let PyValue::Tuple(items) = pid else { return Err(format!("a persistent id that is {}", pid.kind())) };
    let items: Vec<&PyValue> = items.iter().map(PyValue::value).collect();
    match items.as_slice() {
        [PyValue::Str(tag), PyValue::Global(module, class), PyValue::Str(key), ..]
            if tag == "storage" && module == "torch" =>
        {
            Ok(PyValue::Storage { class: class.clone(), key: key.clone() })
        }
        _ => Err("a persistent id that is not a torch storage".into()),
    }
}

/// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
fn rebuild_tensor(args: &[&PyValue]) -> Result<PyValue, String> {
    let [PyValue::Storage { class, key }, PyValue::Int(offset), PyValue::Tuple(size), PyValue::Tuple(stride), ..] =
        args
    else {
        return Err("a tensor that is not (storage, offset, size, stride, ...)".into());
    };
    let dims = |t: &[PyValue]| -> Result<Vec<usize>, String> {
        t.iter()
            .map(|d| match d.value() {
                PyValue::Int(n) => usize::try_from(*n).map_err(|_| format!("a tensor dimension of {n}")),
                other => Err(format!("a tensor dimension that is {}", other.kind())),
            })
            .collect()
    };
    let (shape, stride) = (dims(size)?, dims(stride)?);
    if shape.len() != stride.len() {
        return Err(format!("a tensor of {} dimensions with {} strides", shape.len(), stride.len()));
    }
    Ok(PyValue::Tensor(TensorRef {
        class: class.clone(),
        key: key.clone(),
        offset: usize::try_from(*offset).map_err(|_| format!("a storage offset of {offset}"))?,
        shape,
        stride,
    }))
}

/// `numpy.core.multiarray.scalar(dtype, raw)` for little-endian 4- and 8-byte ints and floats.
fn numpy_scalar(args: &[&PyValue]) -> Result<PyValue, String> {
    let [PyValue::Object { args: dtype_args, state, .. }, PyValue::Bytes(raw)] = args else {
        return Err("a numpy scalar that is not (dtype, bytes)".into());
    };
    let code = match dtype_args.first().map(PyValue::value) {
        Some(PyValue::Str(code)) => code.as_str(),
        _ => return Err("a numpy dtype without a type code".into()),
    };
    // The dtype's state tuple holds the byte order second: '<' little, '|' not applicable, '>' big.
    let order = match state.as_deref().map(PyValue::value) {
        Some(PyValue::Tuple(items)) => items.get(1).map(PyValue::value),
        _ => None,
    };
    if matches!(order, Some(PyValue::Str(o)) if o == ">") {
        return Err(format!("a big-endian numpy {code}"));
    }
    let bytes = raw.as_slice();
    match (code, bytes.len()) {
        ("f8", 8) => Ok(PyValue::Float(f64::from_le_bytes(bytes.try_into().expect("8 bytes")))),
        ("f4", 4) => Ok(PyValue::Float(f64::from(f32::from_le_bytes(bytes.try_into().expect("4 bytes"))))),
        ("i8", 8) => Ok(PyValue::Int(i64::from_le_bytes(bytes.try_into().expect("8 bytes")))),
        ("i4", 4) => Ok(PyValue::Int(i64::from(i32::from_le_bytes(bytes.try_into().expect("4 bytes"))))),
        _ => Err(format!("a numpy scalar of type {code} and {} bytes", bytes.len())),
    }
}
