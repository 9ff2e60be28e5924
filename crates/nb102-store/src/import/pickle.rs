//! A reader for the subset of Python's pickle format that the official benchmark files use.
//!
//! The NATS-Bench archives pickle plain containers, `collections.OrderedDict` and numpy scalars
//! (`numpy.core.multiarray.scalar(dtype, bytes)`). The pickle crates on crates.io (serde-pickle, pickled)
//! stop at the `OrderedDict` (they have no dict to add its items to), so this module implements the pickle
//! machine for exactly these opcodes and objects. Anything else is an error that names the opcode or
//! class and its offset: no code is ever executed, unlike Python's `pickle.load`.
//!
//! Memoized containers are shared by reference in Python; here each memo entry is kept up to date with
//! the mutations of its container (items appended, set or built in), which is equivalent for pickles that
//! hold no cycles, as these files do not.

use std::fmt;

/// A value decoded from a pickle.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PyValue {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<PyValue>),
    Tuple(Vec<PyValue>),
    /// A dict or an `OrderedDict`, in insertion order.
    Dict(Vec<(PyValue, PyValue)>),
    Set(Vec<PyValue>),
    /// A class or function reference (`module.name`).
    Global(String, String),
    /// An instance of a class this reader does not turn into a plain value (a numpy dtype).
    Object {
        class: (String, String),
        args: Vec<PyValue>,
        state: Option<Box<PyValue>>,
    },
}

impl PyValue {
    /// The value of `key` in a dict.
    pub(crate) fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => {
                items.iter().find(|(k, _)| matches!(k, PyValue::Str(s) if s == key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// A short description of the kind of value, for messages.
    pub(crate) fn kind(&self) -> &'static str {
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
        }
    }
}

/// Why a pickle could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PickleError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pickle byte {}: {}", self.offset, self.message)
    }
}

/// Decodes one pickle (protocol 2 to 5).
pub(crate) fn unpickle(data: &[u8]) -> Result<PyValue, PickleError> {
    Machine { data, pos: 0, stack: Vec::new(), marks: Vec::new(), memo: Vec::new() }.run()
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    /// Values with the memo slot they were stored under, if any (to keep the memo in step).
    stack: Vec<(PyValue, Option<usize>)>,
    marks: Vec<usize>,
    memo: Vec<Option<PyValue>>,
}

impl Machine<'_> {
    fn run(mut self) -> Result<PyValue, PickleError> {
        loop {
            let at = self.pos;
            let op = self.take(1)?[0];
            match op {
                0x80 => {
                    self.take(1)?; // PROTO n
                }
                0x95 => {
                    self.take(8)?; // FRAME length: frames only group bytes
                }
                b'.' => {
                    // STOP
                    return self.pop(at).map(|(v, _)| v);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'}' => self.push(PyValue::Dict(Vec::new())),
                b']' => self.push(PyValue::List(Vec::new())),
                b')' => self.push(PyValue::Tuple(Vec::new())),
                0x8f => self.push(PyValue::Set(Vec::new())), // EMPTY_SET
                b'N' => self.push(PyValue::None),
                0x88 => self.push(PyValue::Bool(true)),
                0x89 => self.push(PyValue::Bool(false)),
                b'J' => {
                    let v = i32::from_le_bytes(self.array::<4>()?);
                    self.push(PyValue::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.take(1)?[0];
                    self.push(PyValue::Int(i64::from(v)));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.array::<2>()?);
                    self.push(PyValue::Int(i64::from(v)));
                }
                0x8a => {
                    // LONG1: little-endian two's complement of n bytes
                    let n = usize::from(self.take(1)?[0]);
                    let bytes = self.take(n)?;
                    if n > 8 {
                        return Err(self.error(at, format!("an integer of {n} bytes does not fit 64 bits")));
                    }
                    let mut buf = if bytes.last().is_some_and(|b| b & 0x80 != 0) { [0xff; 8] } else { [0; 8] };
                    buf[..n].copy_from_slice(bytes);
                    self.push(PyValue::Int(i64::from_le_bytes(buf)));
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.array::<8>()?);
                    self.push(PyValue::Float(v));
                }
                0x8c => {
                    let n = usize::from(self.take(1)?[0]);
                    let s = self.text(n, at)?;
                    self.push(PyValue::Str(s));
                }
                b'X' => {
                    let n = u32::from_le_bytes(self.array::<4>()?) as usize;
                    let s = self.text(n, at)?;
                    self.push(PyValue::Str(s));
                }
                0x8d => {
                    let n = self.len8(at)?;
                    let s = self.text(n, at)?;
                    self.push(PyValue::Str(s));
                }
                b'C' => {
                    let n = usize::from(self.take(1)?[0]);
                    let b = self.take(n)?.to_vec();
                    self.push(PyValue::Bytes(b));
                }
                b'B' => {
                    let n = u32::from_le_bytes(self.array::<4>()?) as usize;
                    let b = self.take(n)?.to_vec();
                    self.push(PyValue::Bytes(b));
                }
                0x8e => {
                    let n = self.len8(at)?;
                    let b = self.take(n)?.to_vec();
                    self.push(PyValue::Bytes(b));
                }
                0x85..=0x87 => {
                    // TUPLE1, TUPLE2, TUPLE3
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n {
                        return Err(self.error(at, format!("a tuple of {n} items on a stack of {}", self.stack.len())));
                    }
                    let items = self.stack.split_off(self.stack.len() - n).into_iter().map(|(v, _)| v).collect();
                    self.push(PyValue::Tuple(items));
                }
                b't' => {
                    let items = self.pop_mark(at)?;
                    self.push(PyValue::Tuple(items));
                }
                b'l' => {
                    let items = self.pop_mark(at)?;
                    self.push(PyValue::List(items));
                }
                b'd' => {
                    let items = self.pop_mark(at)?;
                    let pairs =
                        pairs(items).ok_or_else(|| self.error(at, "a dict of an odd number of items".into()))?;
                    self.push(PyValue::Dict(pairs));
                }
                0x91 => {
                    let items = self.pop_mark(at)?;
                    self.push(PyValue::Set(items));
                }
                b'a' => {
                    let item = self.pop(at)?.0;
                    self.mutate_top(at, |target| match target {
                        PyValue::List(list) => {
                            list.push(item);
                            Ok(())
                        }
                        other => Err(format!("APPEND to {}", other.kind())),
                    })?;
                }
                b'e' => {
                    let items = self.pop_mark(at)?;
                    self.mutate_top(at, |target| match target {
                        PyValue::List(list) => {
                            list.extend(items);
                            Ok(())
                        }
                        other => Err(format!("APPENDS to {}", other.kind())),
                    })?;
                }
                b's' => {
                    let value = self.pop(at)?.0;
                    let key = self.pop(at)?.0;
                    self.mutate_top(at, |target| set_items(target, vec![(key, value)]))?;
                }
                b'u' => {
                    let items = self.pop_mark(at)?;
                    let pairs =
                        pairs(items).ok_or_else(|| self.error(at, "SETITEMS with an odd number of items".into()))?;
                    self.mutate_top(at, |target| set_items(target, pairs))?;
                }
                0x90 => {
                    let items = self.pop_mark(at)?;
                    self.mutate_top(at, |target| match target {
                        PyValue::Set(set) => {
                            set.extend(items);
                            Ok(())
                        }
                        other => Err(format!("ADDITEMS to {}", other.kind())),
                    })?;
                }
                0x94 => {
                    // MEMOIZE
                    let slot = self.memo.len();
                    self.memo.push(None);
                    self.store(slot, at)?;
                }
                b'q' => {
                    let slot = usize::from(self.take(1)?[0]);
                    self.store(slot, at)?;
                }
                b'r' => {
                    let slot = u32::from_le_bytes(self.array::<4>()?) as usize;
                    self.store(slot, at)?;
                }
                b'h' => {
                    let slot = usize::from(self.take(1)?[0]);
                    self.fetch(slot, at)?;
                }
                b'j' => {
                    let slot = u32::from_le_bytes(self.array::<4>()?) as usize;
                    self.fetch(slot, at)?;
                }
                0x93 => {
                    // STACK_GLOBAL
                    let name = self.pop(at)?.0;
                    let module = self.pop(at)?.0;
                    match (module, name) {
                        (PyValue::Str(m), PyValue::Str(n)) => self.push(PyValue::Global(m, n)),
                        _ => return Err(self.error(at, "STACK_GLOBAL of non-strings".into())),
                    }
                }
                b'c' => {
                    let module = self.line(at)?;
                    let name = self.line(at)?;
                    self.push(PyValue::Global(module, name));
                }
                b'R' => {
                    let args = self.pop(at)?.0;
                    let callable = self.pop(at)?.0;
                    let value = reduce(callable, args).map_err(|m| self.error(at, m))?;
                    self.push(value);
                }
                b'b' => {
                    // BUILD: only numpy dtypes carry state in these files
                    let state = self.pop(at)?.0;
                    self.mutate_top(at, |target| match target {
                        PyValue::Object { state: slot, .. } => {
                            *slot = Some(Box::new(state));
                            Ok(())
                        }
                        other => Err(format!("BUILD on {}", other.kind())),
                    })?;
                }
                other => return Err(self.error(at, format!("opcode 0x{other:02x}, which these files do not use"))),
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], PickleError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| PickleError {
            offset: self.pos,
            message: "unexpected end of data (truncated file)".into(),
        })?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }

    fn len8(&mut self, at: usize) -> Result<usize, PickleError> {
        let n = u64::from_le_bytes(self.array::<8>()?);
        usize::try_from(n).map_err(|_| self.error(at, format!("a length of {n} bytes")))
    }

    fn text(&mut self, n: usize, at: usize) -> Result<String, PickleError> {
        let bytes = self.take(n)?.to_vec();
        String::from_utf8(bytes).map_err(|_| self.error(at, "a string that is not UTF-8".into()))
    }

    fn line(&mut self, at: usize) -> Result<String, PickleError> {
        let rest = &self.data[self.pos..];
        let end =
            rest.iter().position(|&b| b == b'\n').ok_or_else(|| self.error(at, "GLOBAL without a newline".into()))?;
        let text = String::from_utf8(rest[..end].to_vec())
            .map_err(|_| self.error(at, "a GLOBAL name that is not UTF-8".into()))?;
        self.pos += end + 1;
        Ok(text)
    }

    fn push(&mut self, value: PyValue) {
        self.stack.push((value, None));
    }

    fn pop(&mut self, at: usize) -> Result<(PyValue, Option<usize>), PickleError> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.error(at, "a value popped across a mark".into()));
        }
        self.stack.pop().ok_or_else(|| self.error(at, "a value popped from an empty stack".into()))
    }

    fn pop_mark(&mut self, at: usize) -> Result<Vec<PyValue>, PickleError> {
        let mark = self.marks.pop().ok_or_else(|| self.error(at, "no mark to pop to".into()))?;
        Ok(self.stack.split_off(mark).into_iter().map(|(v, _)| v).collect())
    }

    /// Applies `f` to the top of the stack, and to its memo entry if it has one.
    fn mutate_top(&mut self, at: usize, f: impl FnOnce(&mut PyValue) -> Result<(), String>) -> Result<(), PickleError> {
        let (value, slot) =
            self.stack.last_mut().ok_or_else(|| PickleError { offset: at, message: "an empty stack".into() })?;
        f(value).map_err(|m| PickleError { offset: at, message: m })?;
        if let Some(slot) = *slot {
            self.memo[slot] = Some(value.clone());
        }
        Ok(())
    }

    fn store(&mut self, slot: usize, at: usize) -> Result<(), PickleError> {
        let (value, memo_slot) = self
            .stack
            .last_mut()
            .ok_or_else(|| PickleError { offset: at, message: "MEMOIZE of an empty stack".into() })?;
        if self.memo.len() <= slot {
            self.memo.resize(slot + 1, None);
        }
        self.memo[slot] = Some(value.clone());
        *memo_slot = Some(slot);
        Ok(())
    }

    fn fetch(&mut self, slot: usize, at: usize) -> Result<(), PickleError> {
        let value = self
            .memo
            .get(slot)
            .cloned()
            .flatten()
            .ok_or_else(|| self.error(at, format!("memo slot {slot}, never stored")))?;
        self.stack.push((value, Some(slot)));
        Ok(())
    }

    fn error(&self, offset: usize, message: String) -> PickleError {
        PickleError { offset, message }
    }
}

fn pairs(items: Vec<PyValue>) -> Option<Vec<(PyValue, PyValue)>> {
    if items.len() % 2 != 0 {
        return None;
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Some(out)
}

fn set_items(target: &mut PyValue, new: Vec<(PyValue, PyValue)>) -> Result<(), String> {
    let PyValue::Dict(items) = target else { return Err(format!("SETITEM on {}", target.kind())) };
    for (key, value) in new {
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => items.push((key, value)),
        }
    }
    Ok(())
}

/// REDUCE for the classes the benchmark files use.
fn reduce(callable: PyValue, args: PyValue) -> Result<PyValue, String> {
    let PyValue::Global(module, name) = callable else { return Err(format!("REDUCE of {}", callable.kind())) };
    let PyValue::Tuple(mut args) = args else { return Err(format!("REDUCE with {} as arguments", args.kind())) };
    match (module.as_str(), name.as_str()) {
        ("collections", "OrderedDict") if args.is_empty() => Ok(PyValue::Dict(Vec::new())),
        ("builtins" | "__builtin__", "set") => match args.pop() {
            Some(PyValue::List(items)) => Ok(PyValue::Set(items)),
            None => Ok(PyValue::Set(Vec::new())),
            Some(other) => Err(format!("set() of {}", other.kind())),
        },
        ("numpy", "dtype") => Ok(PyValue::Object { class: (module, name), args, state: None }),
        ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar") => numpy_scalar(&args),
        _ => Err(format!("class {module}.{name}, which these files do not use")),
    }
}

/// `numpy.core.multiarray.scalar(dtype, raw)` for little-endian 4- and 8-byte ints and floats.
fn numpy_scalar(args: &[PyValue]) -> Result<PyValue, String> {
    let [PyValue::Object { args: dtype_args, state, .. }, PyValue::Bytes(raw)] = args else {
        return Err("a numpy scalar that is not (dtype, bytes)".into());
    };
    let code = match dtype_args.first() {
        Some(PyValue::Str(code)) => code.as_str(),
        _ => return Err("a numpy dtype without a type code".into()),
    };
    // The dtype's state tuple holds the byte order second: '<' little, '|' not applicable, '>' big.
    let order = match state.as_deref() {
        Some(PyValue::Tuple(items)) => items.get(1).cloned(),
        _ => None,
    };
    if matches!(order, Some(PyValue::Str(ref o)) if o == ">") {
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
