//! A reader for the subset of Python's pickle format that the official benchmark files use.
//!
//! The NATS-Bench archives pickle plain containers, `collections.OrderedDict` and numpy scalars
//! (`numpy.core.multiarray.scalar(dtype, bytes)`); NAS-Bench-201's `torch.save` files add persistent ids for
//! tensor storages, `torch._utils._rebuild_tensor_v2` and protocol 2's `_codecs.encode` for bytes. The pickle
//! crates on crates.io (serde-pickle, pickled) stop at the `OrderedDict` (they have no dict to add its items
//! to) and know nothing of storages, so this module implements the pickle machine for exactly these opcodes
//! and objects. Anything else is an error that names the opcode or class and its offset: no code is ever
//! executed, unlike Python's `pickle.load`.
//!
//! Memoized containers are shared as in Python: once complete (popped from the stack) a container moves
//! into an [`Rc`] held by the memo and by its parent, so a later reference costs no copy. A caller may take
//! dict items as they are set ([`Sink`]), so that a file of any size is read in bounded memory: the
//! containers memoized while building a taken item are released with it.

use std::fmt;
use std::rc::Rc;

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
    /// A dict item taken by a [`Sink`] (its value was handed over).
    Taken,
    /// An instance of a class this reader does not turn into a plain value (a numpy dtype).
    Object {
        class: (String, String),
        args: Vec<PyValue>,
        state: Option<Box<PyValue>>,
    },
}

/// A tensor of a `torch.save` file, as `torch._utils._rebuild_tensor_v2` receives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TensorRef {
    /// The storage class, e.g. `FloatStorage`.
    pub(crate) class: String,
    /// The storage's key in the file.
    pub(crate) key: String,
    /// Offset into the storage, in elements.
    pub(crate) offset: usize,
    pub(crate) shape: Vec<usize>,
    /// Strides in elements.
    pub(crate) stride: Vec<usize>,
}

impl PyValue {
    /// The value itself, seen through any sharing.
    pub(crate) fn value(&self) -> &PyValue {
        match self {
            PyValue::Shared(inner) => inner.value(),
            other => other,
        }
    }

    /// The value of `key` in a dict.
    pub(crate) fn get(&self, key: &str) -> Option<&PyValue> {
        match self.value() {
            PyValue::Dict(items) => {
                items.iter().find(|(k, _)| matches!(k.value(), PyValue::Str(s) if s == key)).map(|(_, v)| v.value())
            }
            _ => None,
        }
    }

    /// The items of a dict, values seen through any sharing.
    pub(crate) fn items(&self) -> Option<impl Iterator<Item = (&PyValue, &PyValue)>> {
        match self.value() {
            PyValue::Dict(items) => Some(items.iter().map(|(k, v)| (k.value(), v.value()))),
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
            PyValue::Shared(inner) => inner.kind(),
            PyValue::Storage { .. } => "a tensor storage",
            PyValue::Tensor(_) => "a tensor",
            PyValue::Taken => "an item already imported",
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

/// Receives the items set in dicts while a pickle is read. `take` returns the value back to leave it in
/// its dict, or `None` once it has taken it: the dict then holds [`PyValue::Taken`] for that key.
pub(crate) trait Sink {
    fn take(&mut self, key: &PyValue, value: PyValue) -> Result<Option<PyValue>, String>;

    /// Told of each tensor storage the pickle references (its class and key).
    fn storage(&mut self, _class: &str, _key: &str) {}
}

/// A sink that takes nothing.
pub(crate) struct KeepAll;

impl Sink for KeepAll {
    fn take(&mut self, _: &PyValue, value: PyValue) -> Result<Option<PyValue>, String> {
        Ok(Some(value))
    }
}

/// Decodes one pickle (protocol 2 to 5).
pub(crate) fn unpickle(data: &[u8]) -> Result<PyValue, PickleError> {
    unpickle_at(data, 0, &mut KeepAll).map(|(value, _)| value)
}

/// Decodes the pickle that starts at byte `start`, handing dict items to `sink`; returns the value and the
/// offset just after its STOP opcode (`torch.save`'s legacy format writes several pickles in a row).
pub(crate) fn unpickle_at(data: &[u8], start: usize, sink: &mut dyn Sink) -> Result<(PyValue, usize), PickleError> {
    let mut machine = Machine { data, pos: start, stack: Vec::new(), marks: Vec::new(), memo: Vec::new(), sink };
    let value = machine.run()?;
    Ok((value, machine.pos))
}

/// A memo slot.
enum Memo {
    Empty,
    /// Stored from a container still on the stack (possibly still being built).
    Building,
    Ready(PyValue),
    /// Released after a sink took the item that held it.
    Released,
}

struct Machine<'a, 's> {
    data: &'a [u8],
    pos: usize,
    /// Values, with the memo slot of a container still being built (if any) and the memo length when the
    /// value was pushed.
    stack: Vec<(PyValue, Option<usize>, usize)>,
    /// Each mark: the stack length and the memo length when it was set.
    marks: Vec<(usize, usize)>,
    memo: Vec<Memo>,
    sink: &'s mut dyn Sink,
}

impl Machine<'_, '_> {
    fn run(&mut self) -> Result<PyValue, PickleError> {
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
                    return self.pop(at);
                }
                b'(' => self.marks.push((self.stack.len(), self.memo.len())),
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
                    let entries = self.stack.split_off(self.stack.len() - n);
                    let items = entries.into_iter().map(|e| self.settle(e)).collect();
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
                    let item = self.pop(at)?;
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
                    let memo_start = self.stack.len().checked_sub(2).map_or(self.memo.len(), |i| self.stack[i].2);
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    self.set_items(at, vec![(key, value)], memo_start)?;
                }
                b'u' => {
                    let (items, memo_start) = self.pop_mark_with_memo(at)?;
                    let pairs =
                        pairs(items).ok_or_else(|| self.error(at, "SETITEMS with an odd number of items".into()))?;
                    self.set_items(at, pairs, memo_start)?;
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
                    self.memo.push(Memo::Empty);
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
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
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
                    let args = self.pop(at)?;
                    let callable = self.pop(at)?;
                    let value = reduce(callable, args).map_err(|m| self.error(at, m))?;
                    self.push(value);
                }
                b'b' => {
                    // BUILD: numpy dtypes carry state; a state dict's OrderedDict carries its `_metadata`
                    // attribute (module versions), which a record does not need.
                    let state = self.pop(at)?;
                    self.mutate_top(at, |target| match target {
                        PyValue::Object { state: slot, .. } => {
                            *slot = Some(Box::new(state));
                            Ok(())
                        }
                        PyValue::Dict(_) if matches!(state.value(), PyValue::Dict(_)) => Ok(()),
                        other => Err(format!("BUILD on {}", other.kind())),
                    })?;
                }
                b'Q' => {
                    // BINPERSID: torch.save's reference to a tensor storage
                    let pid = self.pop(at)?;
                    let storage = persistent_storage(pid.value()).map_err(|m| self.error(at, m))?;
                    if let PyValue::Storage { class, key } = &storage {
                        self.sink.storage(class, key);
                    }
                    self.push(storage);
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
        self.stack.push((value, None, self.memo.len()));
    }

    /// Pops the top of the stack; a container stored in the memo becomes shared with it.
    fn pop(&mut self, at: usize) -> Result<PyValue, PickleError> {
        if self.marks.last().is_some_and(|&(m, _)| m >= self.stack.len()) {
            return Err(self.error(at, "a value popped across a mark".into()));
        }
        let entry = self.stack.pop().ok_or_else(|| self.error(at, "a value popped from an empty stack".into()))?;
        Ok(self.settle(entry))
    }

    fn pop_mark(&mut self, at: usize) -> Result<Vec<PyValue>, PickleError> {
        self.pop_mark_with_memo(at).map(|(items, _)| items)
    }

    /// The items above the last mark, and the memo length when the mark was set.
    fn pop_mark_with_memo(&mut self, at: usize) -> Result<(Vec<PyValue>, usize), PickleError> {
        let (mark, memo_start) = self.marks.pop().ok_or_else(|| self.error(at, "no mark to pop to".into()))?;
        let entries = self.stack.split_off(mark);
        Ok((entries.into_iter().map(|e| self.settle(e)).collect(), memo_start))
    }

    /// A value leaving the stack: complete now, so a memoized container moves into an `Rc` that the memo
    /// shares.
    fn settle(&mut self, (value, slot, _): (PyValue, Option<usize>, usize)) -> PyValue {
        match slot {
            Some(slot) => {
                let shared = PyValue::Shared(Rc::new(value));
                self.memo[slot] = Memo::Ready(shared.clone());
                shared
            }
            None => value,
        }
    }

    /// Applies `f` to the container on top of the stack, which must still be being built.
    fn mutate_top(&mut self, at: usize, f: impl FnOnce(&mut PyValue) -> Result<(), String>) -> Result<(), PickleError> {
        let (value, ..) =
            self.stack.last_mut().ok_or_else(|| PickleError { offset: at, message: "an empty stack".into() })?;
        if matches!(value, PyValue::Shared(_)) {
            return Err(PickleError {
                offset: at,
                message: "a change to an object already referenced (a recursive structure)".into(),
            });
        }
        f(value).map_err(|m| PickleError { offset: at, message: m })
    }

    /// SETITEM(S): each pair goes through the sink first. The containers memoized since `memo_start` belong to
    /// the items; when the sink took them all, those are released, so that their memory is freed.
    fn set_items(&mut self, at: usize, pairs: Vec<(PyValue, PyValue)>, memo_start: usize) -> Result<(), PickleError> {
        let mut kept = Vec::with_capacity(pairs.len());
        let mut took_all = true;
        for (key, value) in pairs {
            match self.sink.take(&key, value).map_err(|m| self.error(at, m))? {
                Some(value) => {
                    kept.push((key, value));
                    took_all = false;
                }
                None => kept.push((key, PyValue::Taken)),
            }
        }
        if took_all {
            for slot in &mut self.memo[memo_start..] {
                if let Memo::Ready(PyValue::Shared(_)) = slot {
                    *slot = Memo::Released;
                }
            }
        }
        self.mutate_top(at, |target| set_items(target, kept))
    }

    fn store(&mut self, slot: usize, at: usize) -> Result<(), PickleError> {
        let (value, memo_slot, _) = self
            .stack
            .last_mut()
            .ok_or_else(|| PickleError { offset: at, message: "MEMOIZE of an empty stack".into() })?;
        if self.memo.len() <= slot {
            self.memo.resize_with(slot + 1, || Memo::Empty);
        }
        // Containers still grow (APPEND, SETITEMS, BUILD act on the top of the stack): they are shared when they
        // leave it. Anything else is complete already.
        if matches!(value, PyValue::Dict(_) | PyValue::List(_) | PyValue::Set(_) | PyValue::Object { .. }) {
            self.memo[slot] = Memo::Building;
            *memo_slot = Some(slot);
        } else {
            self.memo[slot] = Memo::Ready(value.clone());
        }
        Ok(())
    }

    fn fetch(&mut self, slot: usize, at: usize) -> Result<(), PickleError> {
        let value = match self.memo.get(slot) {
            Some(Memo::Ready(value)) => value.clone(),
            Some(Memo::Building) => {
                // Still on the stack: items wait there for their SETITEMS or APPENDS, so a value can be
                // referenced again before it leaves. It is complete unless the structure is recursive, in
                // which case a later change to it fails (`mutate_top`).
                let position = self.stack.iter().rposition(|(_, s, _)| *s == Some(slot));
                let position = position.ok_or_else(|| self.error(at, format!("memo slot {slot}: lost")))?;
                let (value, _, memo_at) = std::mem::replace(&mut self.stack[position], (PyValue::None, None, 0));
                let shared = PyValue::Shared(Rc::new(value));
                self.stack[position] = (shared.clone(), None, memo_at);
                self.memo[slot] = Memo::Ready(shared.clone());
                shared
            }
            Some(Memo::Released) => {
                return Err(self.error(at, format!("memo slot {slot}: a reference into an item already imported")))
            }
            Some(Memo::Empty) | None => return Err(self.error(at, format!("memo slot {slot}, never stored"))),
        };
        self.push(value);
        Ok(())
    }

    fn error(&self, offset: usize, message: String) -> PickleError {
        PickleError { offset, message }
    }
}

fn pairs(items: Vec<PyValue>) -> Option<Vec<(PyValue, PyValue)>> {
    if !items.len().is_multiple_of(2) {
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
fn persistent_storage(pid: &PyValue) -> Result<PyValue, String> {
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
