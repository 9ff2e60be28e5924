//! The values a pickle decodes to, and what the readers ask of them.

use std::rc::Rc;

/// A value decoded from a pickle.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// A bool.
    Bool(bool),
    /// An int that fits 64 bits.
    Int(i64),
    /// A float.
    Float(f64),
    /// A (unicode) string.
    Str(String),
    /// Bytes, or a Python 2 string.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<PyValue>),
    /// A tuple.
    Tuple(Vec<PyValue>),
    /// A dict or an `OrderedDict`, in insertion order.
    Dict(Vec<(PyValue, PyValue)>),
    /// A set or frozenset.
    Set(Vec<PyValue>),
    /// A class or function reference (`module.name`).
    Global(String, String),
    /// A container referenced from more than one place (through the memo).
    Shared(Rc<PyValue>),
    /// A tensor storage of a `torch.save` file (its persistent id).
    Storage {
        /// The storage class, e.g. `FloatStorage`.
        class: String,
        /// The storage's key in the file.
        key: String,
    },
    /// A tensor: a view of a storage.
    Tensor(TensorRef),
    /// A dict item taken by a `Sink` (its value was handed over).
    Taken,
    /// An instance of a class this reader does not turn into a plain value (a numpy dtype or array).
    Object {
        /// Module and name of the class.
        class: (String, String),
        /// The arguments it was made with.
        args: Vec<PyValue>,
        /// The state `BUILD` gave it.
        state: Option<Box<PyValue>>,
    },
}

/// A tensor of a `torch.save` file, as `torch._utils._rebuild_tensor_v2` receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    /// The storage class, e.g. `FloatStorage`.
    pub class: String,
    /// The storage's key in the file.
    pub key: String,
    /// Offset into the storage, in elements.
    pub offset: usize,
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// Strides in elements.
    pub stride: Vec<usize>,
}

impl PyValue {
    /// The value itself, seen through any sharing.
    pub fn value(&self) -> &PyValue {
        match self {
            PyValue::Shared(inner) => inner.value(),
            other => other,
        }
    }

    /// The value of `key` in a dict.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self.value() {
            PyValue::Dict(items) => {
                // Python 2 pickles (the datasets' batches) have byte-string keys.
                let named = |k: &PyValue| match k.value() {
                    PyValue::Str(s) => s == key,
                    PyValue::Bytes(b) => b == key.as_bytes(),
                    _ => false,
                };
                items.iter().rfind(|(k, _)| named(k)).map(|(_, v)| v.value())
            }
            _ => None,
        }
    }

    /// The items of a dict, values seen through any sharing.
    pub fn items(&self) -> Option<impl Iterator<Item = (&PyValue, &PyValue)>> {
        match self.value() {
            PyValue::Dict(items) => Some(items.iter().map(|(k, v)| (k.value(), v.value()))),
            _ => None,
        }
    }

    /// A short description of the kind of value, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            PyValue::None => "None",
            PyValue::Bool(_) => "a bool",
            PyValue::Int(_) => "an int",
            PyValue::Float(_) => "a float",
            PyValue::Str(_) => "a str",
            PyValue::Bytes(_) => "bytes",
            PyValue::List(_) => "a list",
            PyValue::Tuple(_) => "a tuple",
            PyValue::Dict(_) => "a dict",
            PyValue::Set(_) => "a set",
            PyValue::Global(..) => "a class",
            PyValue::Object { .. } => "an object",
            PyValue::Shared(inner) => inner.kind(),
            PyValue::Storage { .. } => "a tensor storage",
            PyValue::Tensor(_) => "a tensor",
            PyValue::Taken => "an item already imported",
        }
    }
}

/// A numpy array of a pickle: its type, shape and bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NdArray<'a> {
    /// numpy's type code without byte order, e.g. `u1`, `i8`, `f4`.
    pub dtype: &'a str,
    /// Size of each dimension.
    pub shape: &'a [PyValue],
    /// The elements in C order, little-endian.
    pub data: &'a [u8],
}

impl PyValue {
    /// The array this value holds, if it is a C-ordered, little-endian (or single-byte) numpy array.
    pub fn ndarray(&self) -> Option<NdArray<'_>> {
        let PyValue::Object { class, state: Some(state), .. } = self.value() else { return None };
        if class.1 != "ndarray" {
            return None;
        }
        let PyValue::Tuple(parts) = state.value() else { return None };
        let [_, shape, dtype, fortran, data] = parts.as_slice() else { return None };
        let (PyValue::Tuple(shape), PyValue::Bool(false)) = (shape.value(), fortran.value()) else { return None };
        let data = match data.value() {
            PyValue::Bytes(b) => b.as_slice(),
            _ => return None,
        };
        let PyValue::Object { args, state, .. } = dtype.value() else { return None };
        let code = match args.first().map(PyValue::value) {
            Some(PyValue::Str(code)) => code.as_str(),
            Some(PyValue::Bytes(code)) => std::str::from_utf8(code).ok()?,
            _ => return None,
        };
        let order = match state.as_deref().map(PyValue::value) {
            Some(PyValue::Tuple(items)) => items.get(1).map(PyValue::value),
            _ => None,
        };
        let big_endian =
            matches!(order, Some(PyValue::Str(o)) if o == ">") || matches!(order, Some(PyValue::Bytes(o)) if o == b">");
        (!big_endian).then_some(NdArray { dtype: code, shape, data })
    }
}
