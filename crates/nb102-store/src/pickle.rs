//! A reader for the subset of Python's pickle format that the official files use: the benchmark records and
//! the datasets' batches.
//!
//! The NATS-Bench archives pickle plain containers, `collections.OrderedDict` and numpy scalars
//! (`numpy.core.multiarray.scalar(dtype, bytes)`); NAS-Bench-201's `torch.save` files add persistent ids for
//! tensor storages, `torch._utils._rebuild_tensor_v2` and protocol 2's `_codecs.encode` for bytes; the CIFAR and
//! ImageNet16 batches are Python 2 pickles of numpy arrays (`numpy.core.multiarray._reconstruct` and a
//! `BUILD` state, the data as a Python 2 string). The pickle
//! crates on crates.io (serde-pickle, pickled) stop at the `OrderedDict` (they have no dict to add its items
//! to) and know nothing of storages, so this module implements the pickle machine for exactly these opcodes
//! and objects. Anything else is an error that names the opcode or class and its offset: no code is ever
//! executed, unlike Python's `pickle.load`.
//!
//! Memoized containers are shared as in Python: once complete (popped from the stack) a container moves
//! into an [`Rc`] held by the memo and by its parent, so a later reference costs no copy. For large files a
//! first, cheap pass (`memo_reach`) finds how far into the file each memo slot is read back, and a slot is
//! kept only until then (Python's pickler memoizes every string and container, so keeping all would hold a
//! copy of most of the file); a caller may also take dict items as soon as they are complete (`Sink`), so
//! that a file of any size is read in the memory of a few items.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
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

/// Why a pickle could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError {
    /// Where in the data.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pickle byte {}: {}", self.offset, self.message)
    }
}

/// Receives items of dicts while a pickle is read: each item it wants is handed over as soon as its value is
/// complete, and the dict then holds [`PyValue::Taken`] for that key.
pub(crate) trait Sink {
    /// Whether the sink takes this item.
    fn wants(&self, key: &PyValue, value: &PyValue) -> bool;

    /// Takes an item it wants.
    fn take(&mut self, key: &PyValue, value: PyValue) -> Result<(), String>;

    /// Told of each tensor storage the pickle references (its class and key).
    fn storage(&mut self, _class: &str, _key: &str) {}
}

/// A sink that takes nothing.
pub(crate) struct KeepAll;

impl Sink for KeepAll {
    fn wants(&self, _: &PyValue, _: &PyValue) -> bool {
        false
    }

    fn take(&mut self, _: &PyValue, _: PyValue) -> Result<(), String> {
        Ok(())
    }
}

/// Decodes one pickle (protocol 2 to 5).
pub fn unpickle(data: &[u8]) -> Result<PyValue, PickleError> {
    unpickle_at(data, 0, &mut KeepAll, None).map(|(value, _)| value)
}

/// Decodes the pickle that starts at byte `start`, handing dict items to `sink`; returns the value and the
/// offset just after its STOP opcode (`torch.save`'s legacy format writes several pickles in a row). With
/// `reach` (from [`memo_reach`]), memo slots are kept only as long as they may be read back.
pub(crate) fn unpickle_at(
    data: &[u8],
    start: usize,
    sink: &mut dyn Sink,
    reach: Option<&MemoReach>,
) -> Result<(PyValue, usize), PickleError> {
    let mut machine = Machine {
        data,
        pos: start,
        stack: Vec::new(),
        popped: 0,
        marks: Vec::new(),
        memo: HashMap::new(),
        next_slot: 0,
        reach,
        expiry: BinaryHeap::new(),
        sink,
    };
    let value = machine.run()?;
    Ok((value, machine.pos))
}

/// How far each memo slot of a pickle is read back: for slot `s`, the last read (BINGET, LONG_BINGET) is at
/// most `2^reach[s]` bytes after `put[s / 256]`, the position where slot `256 * (s / 256)` was stored (at or
/// before slot `s`'s own); 0 means never read. One byte per slot and a position per 256 slots: a bound that is
/// safe (never before the last read) and small enough to compute for a file of any size.
pub(crate) struct MemoReach {
    reach: Vec<u8>,
    put: Vec<usize>,
}

impl MemoReach {
    /// The position after which `slot` is not read again, or `None` if it never is.
    fn deadline(&self, slot: usize) -> Option<usize> {
        let reach = *self.reach.get(slot)?;
        (reach > 0).then(|| self.put[slot / 256].saturating_add(1usize << reach))
    }
}

/// A walk over the opcodes of the pickle at `start`, building nothing: how far each memo slot is read back,
/// and the offset after the STOP.
///
/// # Errors
/// An opcode the reader does not know, or truncated data.
pub(crate) fn memo_reach(data: &[u8], start: usize) -> Result<(MemoReach, usize), PickleError> {
    let mut pos = start;
    let mut memo = MemoReach { reach: Vec::new(), put: Vec::new() };
    let mut next_slot = 0usize;
    let truncated = |offset| PickleError { offset, message: "unexpected end of data (truncated file)".into() };
    let le = |pos: usize, n: usize| -> Result<usize, PickleError> {
        let bytes = data.get(pos..pos + n).ok_or_else(|| truncated(pos))?;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(bytes);
        usize::try_from(u64::from_le_bytes(buf)).map_err(|_| truncated(pos))
    };
    let put = |memo: &mut MemoReach, slot: usize, at: usize| {
        // Slots are stored in increasing order, so the first put of each block of 256 is its lowest position.
        while memo.put.len() <= slot / 256 {
            memo.put.push(at);
        }
    };
    loop {
        let at = pos;
        let op = *data.get(pos).ok_or_else(|| truncated(pos))?;
        pos += 1;
        // Each opcode's argument: a fixed size, or a length and that many bytes.
        let (fixed, length) = match op {
            b'.' => return Ok((memo, pos)),
            b'('
            | b'}'
            | b']'
            | b')'
            | 0x8f
            | b'N'
            | 0x88
            | 0x89
            | 0x85..=0x87
            | b't'
            | b'l'
            | b'd'
            | 0x91
            | b'a'
            | b'e'
            | b's'
            | b'u'
            | 0x90
            | 0x93
            | b'R'
            | b'b'
            | b'Q' => (0, 0),
            0x94 => {
                put(&mut memo, next_slot, at);
                next_slot += 1;
                (0, 0)
            }
            0x80 | b'K' => (1, 0),
            b'M' => (2, 0),
            b'J' => (4, 0),
            b'G' | 0x95 => (8, 0),
            0x8a | 0x8c | b'C' | b'U' => (0, 1),
            b'X' | b'B' | b'T' => (0, 4),
            0x8d | 0x8e | 0x96 => (0, 8),
            b'q' | b'r' | b'h' | b'j' => {
                let n = if matches!(op, b'q' | b'h') { 1 } else { 4 };
                let slot = le(pos, n)?;
                // Pickle numbers its memo slots from 0, one per stored value; a slot beyond the data's length is
                // crafted, and the tables below would grow with it (a 4-byte argument could ask for 4 GiB).
                if slot > data.len() {
                    return Err(PickleError {
                        offset: at,
                        message: format!("memo slot {slot}, beyond the {} bytes of data", data.len()),
                    });
                }
                if matches!(op, b'h' | b'j') {
                    let from = memo.put.get(slot / 256).copied().ok_or_else(|| PickleError {
                        offset: at,
                        message: format!("memo slot {slot}, never stored"),
                    })?;
                    let bits = (usize::BITS - (at - from).leading_zeros()) as u8;
                    if memo.reach.len() <= slot {
                        memo.reach.resize(slot + 1, 0);
                    }
                    memo.reach[slot] = memo.reach[slot].max(bits.max(1));
                } else {
                    put(&mut memo, slot, at);
                    next_slot = next_slot.max(slot + 1);
                }
                (n, 0)
            }
            b'c' => {
                // GLOBAL: two lines
                for _ in 0..2 {
                    let end = data[pos..].iter().position(|&b| b == b'\n').ok_or_else(|| truncated(pos))?;
                    pos += end + 1;
                }
                (0, 0)
            }
            other => {
                return Err(PickleError {
                    offset: at,
                    message: format!("opcode 0x{other:02x}, which these files do not use"),
                })
            }
        };
        pos += fixed;
        if length > 0 {
            let n = le(pos, length)?;
            pos = pos.checked_add(length + n).filter(|&p| p <= data.len()).ok_or_else(|| truncated(pos))?;
        }
        if pos > data.len() {
            return Err(truncated(at));
        }
    }
}

/// A memo slot.
enum Memo {
    /// Stored from a container still on the stack (possibly still being built).
    Building,
    /// A complete value and its nesting depth.
    Ready(PyValue, u32),
}

/// The deepest nesting of containers a pickle may build. The official files nest about ten deep; a crafted file
/// could nest without bound (a 72-byte bz2 file decompresses to 200,000 nested lists), and dropping or walking
/// such a value would overflow the stack.
pub const MAX_DEPTH: u32 = 100;

/// A value on the machine's stack.
struct Entry {
    value: PyValue,
    /// The memo slot of a container still being built, if it was stored.
    slot: Option<usize>,
    /// How deep it nests: 1 for a scalar or an empty container, one more than its deepest item otherwise.
    depth: u32,
}

struct Machine<'a, 's> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Entry>,
    /// The deepest value taken off the stack by the current opcode (what a value it builds holds).
    popped: u32,
    /// Each mark: the stack length when it was set.
    marks: Vec<usize>,
    memo: HashMap<usize, Memo>,
    /// The slot MEMOIZE stores to next.
    next_slot: usize,
    /// How long each slot is worth keeping, when known.
    reach: Option<&'a MemoReach>,
    /// The kept slots by the position after which they are not read again, soonest first.
    expiry: BinaryHeap<Reverse<(usize, usize)>>,
    sink: &'s mut dyn Sink,
}

impl Machine<'_, '_> {
    fn run(&mut self) -> Result<PyValue, PickleError> {
        loop {
            let at = self.pos;
            if self.popped >= MAX_DEPTH || self.stack.last().is_some_and(|e| e.depth > MAX_DEPTH) {
                return Err(self.error(at, format!("containers nested more than {MAX_DEPTH} deep")));
            }
            self.popped = 0;
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
                0x8e | 0x96 => {
                    // BINBYTES8, BYTEARRAY8
                    let n = self.len8(at)?;
                    let b = self.take(n)?.to_vec();
                    self.push(PyValue::Bytes(b));
                }
                b'U' => {
                    // SHORT_BINSTRING: a Python 2 string, kept as its bytes
                    let n = usize::from(self.take(1)?[0]);
                    let b = self.take(n)?.to_vec();
                    self.push(PyValue::Bytes(b));
                }
                b'T' => {
                    // BINSTRING
                    let n = i32::from_le_bytes(self.array::<4>()?);
                    let n = usize::try_from(n).map_err(|_| self.error(at, format!("a string of {n} bytes")))?;
                    let b = self.take(n)?.to_vec();
                    self.push(PyValue::Bytes(b));
                }
                0x85..=0x87 => {
                    // TUPLE1, TUPLE2, TUPLE3
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n {
                        return Err(self.error(at, format!("a tuple of {n} items on a stack of {}", self.stack.len())));
                    }
                    if self.marks.last().is_some_and(|&m| m > self.stack.len() - n) {
                        return Err(self.error(at, "a tuple of items across a mark".into()));
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
                    self.mutate_top(at, |target| append_items(target, vec![item], "APPEND"))?;
                }
                b'e' => {
                    let items = self.pop_mark(at)?;
                    self.mutate_top(at, |target| append_items(target, items, "APPENDS"))?;
                }
                b's' => {
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    self.set_items(at, vec![(key, value)])?;
                }
                b'u' => {
                    let items = self.pop_mark(at)?;
                    let pairs =
                        pairs(items).ok_or_else(|| self.error(at, "SETITEMS with an odd number of items".into()))?;
                    self.set_items(at, pairs)?;
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
                    let slot = self.next_slot;
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

    /// Pushes a value made of what this opcode popped.
    fn push(&mut self, value: PyValue) {
        self.push_nested(value, self.popped + 1);
    }

    fn push_nested(&mut self, value: PyValue, depth: u32) {
        self.stack.push(Entry { value, slot: None, depth });
    }

    /// Pops the top of the stack; a container stored in the memo becomes shared with it.
    fn pop(&mut self, at: usize) -> Result<PyValue, PickleError> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.error(at, "a value popped across a mark".into()));
        }
        let entry = self.stack.pop().ok_or_else(|| self.error(at, "a value popped from an empty stack".into()))?;
        Ok(self.settle(entry))
    }

    /// The items above the last mark.
    fn pop_mark(&mut self, at: usize) -> Result<Vec<PyValue>, PickleError> {
        let mark = self.marks.pop().ok_or_else(|| self.error(at, "no mark to pop to".into()))?;
        if mark > self.stack.len() {
            return Err(self.error(at, "a mark above the top of the stack".into()));
        }
        let entries = self.stack.split_off(mark);
        Ok(entries.into_iter().map(|e| self.settle(e)).collect())
    }

    /// A value leaving the stack: complete now, so a memoized container moves into an `Rc` that the memo
    /// shares.
    fn settle(&mut self, Entry { value, slot, depth }: Entry) -> PyValue {
        self.popped = self.popped.max(depth);
        match slot {
            Some(slot) => {
                let shared = PyValue::Shared(Rc::new(value));
                // Unless its reach has passed while it was being built.
                if let Some(memo) = self.memo.get_mut(&slot) {
                    *memo = Memo::Ready(shared.clone(), depth);
                }
                shared
            }
            None => value,
        }
    }

    /// Applies `f` to the container on top of the stack, which must still be being built.
    fn mutate_top(&mut self, at: usize, f: impl FnOnce(&mut PyValue) -> Result<(), String>) -> Result<(), PickleError> {
        let popped = self.popped;
        let Entry { value, depth, .. } =
            self.stack.last_mut().ok_or_else(|| PickleError { offset: at, message: "an empty stack".into() })?;
        *depth = (*depth).max(popped + 1);
        if matches!(value, PyValue::Shared(_)) {
            return Err(PickleError {
                offset: at,
                message: "a change to an object already referenced (a recursive structure)".into(),
            });
        }
        f(value).map_err(|m| PickleError { offset: at, message: m })
    }

    /// SETITEM(S): the items the sink wants go to it (items it takes are normally offered, and taken, when
    /// complete, before this), the others into the dict.
    fn set_items(&mut self, at: usize, pairs: Vec<(PyValue, PyValue)>) -> Result<(), PickleError> {
        let mut kept = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            if self.sink.wants(&key, &value) {
                self.sink.take(&key, value).map_err(|m| self.error(at, m))?;
                kept.push((key, PyValue::Taken));
            } else {
                kept.push((key, value));
            }
        }
        self.mutate_top(at, |target| set_items(target, kept))?;
        self.offer_completed(at)
    }

    /// Offers the sink a dict that has just been filled while it waits, under its key, for the SETITEMS of
    /// the dict that will hold it. Pickle batches a thousand items per SETITEMS, so waiting for that would keep
    /// a thousand cells of a benchmark file in memory; this takes each as soon as it is complete.
    fn offer_completed(&mut self, at: usize) -> Result<(), PickleError> {
        let Some(&mark) = self.marks.last() else { return Ok(()) };
        let Some(key_at) = self.stack.len().checked_sub(2) else { return Ok(()) };
        // The key must be a key of a pending SETITEMS: at an even distance from the mark, above a dict.
        let pending_dict = mark >= 1 && matches!(self.stack[mark - 1].value.value(), PyValue::Dict(_));
        if key_at < mark || (key_at - mark) % 2 != 0 || !pending_dict {
            return Ok(());
        }
        if !self.sink.wants(&self.stack[key_at].value, &self.stack[key_at + 1].value) {
            return Ok(());
        }
        let entry = self.stack.pop().expect("two entries");
        let value = self.settle(entry);
        self.sink.take(&self.stack[key_at].value, value).map_err(|m| self.error(at, m))?;
        // The placeholder holds nothing: as deep as a scalar, not as the value it stands for.
        self.push_nested(PyValue::Taken, 1);
        // The taken item's memoized values are no longer read back once their reach has passed.
        while let Some(&Reverse((deadline, slot))) = self.expiry.peek() {
            if deadline >= self.pos {
                break;
            }
            self.expiry.pop();
            self.memo.remove(&slot);
        }
        Ok(())
    }

    fn store(&mut self, slot: usize, at: usize) -> Result<(), PickleError> {
        self.next_slot = self.next_slot.max(slot + 1);
        if let Some(reach) = self.reach {
            match reach.deadline(slot) {
                Some(deadline) => self.expiry.push(Reverse((deadline, slot))),
                // Never read back: nothing to keep.
                None => return Ok(()),
            }
        }
        let Entry { value, slot: memo_slot, depth, .. } = self
            .stack
            .last_mut()
            .ok_or_else(|| PickleError { offset: at, message: "MEMOIZE of an empty stack".into() })?;
        // Containers still grow (APPEND, SETITEMS, BUILD act on the top of the stack): they are shared when they
        // leave it. Anything else is complete already.
        if matches!(value, PyValue::Dict(_) | PyValue::List(_) | PyValue::Set(_) | PyValue::Object { .. }) {
            self.memo.insert(slot, Memo::Building);
            *memo_slot = Some(slot);
        } else {
            self.memo.insert(slot, Memo::Ready(value.clone(), *depth));
        }
        Ok(())
    }

    fn fetch(&mut self, slot: usize, at: usize) -> Result<(), PickleError> {
        let (value, depth) = match self.memo.get(&slot) {
            Some(Memo::Ready(value, depth)) => (value.clone(), *depth),
            Some(Memo::Building) => {
                // Still on the stack: items wait there for their SETITEMS or APPENDS, so a value can be
                // referenced again before it leaves. It is complete unless the structure is recursive, in
                // which case a later change to it fails (`mutate_top`).
                let position = self.stack.iter().rposition(|e| e.slot == Some(slot));
                let position = position.ok_or_else(|| self.error(at, format!("memo slot {slot}: lost")))?;
                let entry = &mut self.stack[position];
                let shared = PyValue::Shared(Rc::new(std::mem::replace(&mut entry.value, PyValue::None)));
                (entry.value, entry.slot) = (shared.clone(), None);
                let depth = entry.depth;
                self.memo.insert(slot, Memo::Ready(shared.clone(), depth));
                (shared, depth)
            }
            None => return Err(self.error(at, format!("memo slot {slot}, never stored"))),
        };
        self.push_nested(value, depth);
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

/// Adds items to a dict. A key set twice is kept twice, and lookups ([`PyValue::get`]) take the later one, as
/// Python's overwrite would: searching for duplicates on every insertion would make reading a dict quadratic
/// in its size (the evaluation dicts of a 200-epoch trial hold hundreds of keys).
/// APPEND(S) (`op`): `new` at the end of the list `target`.
fn append_items(target: &mut PyValue, new: Vec<PyValue>, op: &str) -> Result<(), String> {
    let PyValue::List(list) = target else { return Err(format!("{op} to {}", target.kind())) };
    list.extend(new);
    Ok(())
}

fn set_items(target: &mut PyValue, new: Vec<(PyValue, PyValue)>) -> Result<(), String> {
    let PyValue::Dict(items) = target else { return Err(format!("SETITEM on {}", target.kind())) };
    items.extend(new);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    /// `{'data': np.arange(6, dtype=np.uint8).reshape(2, 3), 'labels': [1, 2]}` pickled by numpy 2 / Python 3.11:
    /// with protocol 2 (the array's bytes through `_codecs.encode`), protocol 5 (`_frombuffer` of a
    /// `bytearray8`), and protocol 2 with Python 2 strings for the keys and the data (`SHORT_BINSTRING`), as the
    /// CIFAR and ImageNet16 batches are written.
    #[test]
    fn numpy_arrays_in_three_pickle_dialects() {
        let py3 = "80027d7100285804000000646174617101636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374\
                   727563740a7102636e756d70790a6e6461727261790a71034b00857104635f636f646563730a656e636f64650a71055801\
                   00000062710658060000006c6174696e31710786710852710987710a52710b284b014b024b0386710c636e756d70790a64\
                   747970650a710d58020000007531710e898887710f527110284b0358010000007c71114e4e4e4affffffff4affffffff4b\
                   00747112628968055806000000000102030405711368078671145271157471166258060000006c6162656c7371175d71\
                   18284b014b0265752e";
        let py5 = "80059598000000000000007d94288c0464617461948c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f\
                   6d62756666657294939428960600000000000000000102030405948c056e756d7079948c0564747970659493948c0275\
                   3194898887945294284b038c017c944e4e4e4affffffff4affffffff4b007494624b024b0386948c014394749452948c\
                   066c6162656c73945d94284b014b0265752e";
        let py2 = "80027d7100285504646174617101636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563\
                   740a7102636e756d70790a6e6461727261790a71034b008571045501627105877106527107284b014b024b0386710863\
                   6e756d70790a64747970650a710958020000007531710a898887710b52710c284b0358010000007c710d4e4e4e4affff\
                   ffff4affffffff4b0074710e62895506000102030405710f7471106255066c6162656c7371115d7112284b014b0265752e";
        for hex in [py3, py5, py2] {
            let value = unpickle(&bytes(&hex.replace(' ', ""))).unwrap();
            let array = value.get("data").and_then(PyValue::ndarray).expect("an array");
            assert_eq!(array.dtype, "u1");
            assert_eq!(array.shape, [PyValue::Int(2), PyValue::Int(3)]);
            assert_eq!(array.data, [0, 1, 2, 3, 4, 5]);
            assert_eq!(value.get("labels"), Some(&PyValue::List(vec![PyValue::Int(1), PyValue::Int(2)])));
        }
    }
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    fn refused(data: &[u8]) -> String {
        unpickle(data).expect_err("refused").message
    }

    /// 200,000 nested lists (`]` 200,000 times, then as many APPENDs): refused, not a stack overflow.
    #[test]
    fn deep_nesting_is_refused() {
        let mut data = b"\x80\x02".to_vec();
        data.extend(std::iter::repeat_n(b']', 200_000));
        data.extend(std::iter::repeat_n(b'a', 199_999));
        data.push(b'.');
        assert_eq!(refused(&data), format!("containers nested more than {MAX_DEPTH} deep"));

        // The same through the memo: x = [], then x = [x] again and again.
        let mut data = b"\x80\x02]q\x00".to_vec();
        for _ in 0..200_000 {
            data.extend_from_slice(b"]h\x00aq\x00"); // [], x, APPEND, x = the new list
        }
        data.extend_from_slice(b"h\x00.");
        let message = refused(&data);
        assert!(message.contains("nested more than"), "{message}");

        // As deep as allowed is read.
        let mut data = b"\x80\x02".to_vec();
        data.extend(std::iter::repeat_n(b']', MAX_DEPTH as usize));
        data.extend(std::iter::repeat_n(b'a', MAX_DEPTH as usize - 1));
        data.push(b'.');
        assert!(matches!(unpickle(&data), Ok(PyValue::List(_))));
    }
}

#[cfg(test)]
mod fuzz_findings {
    use super::*;

    /// Found by the pickle fuzz target: TUPLE3 taking items from below a mark, then a pop to that mark.
    #[test]
    fn a_tuple_across_a_mark_is_refused() {
        let data = b"]]]]]]]]\x87(\x89\x94\x94\x94\x87\x94]\x87\x87\x94\x94\x94\x94\x90_.i.";
        assert_eq!(unpickle(data).unwrap_err().message, "a tuple of items across a mark");
    }
}

#[cfg(test)]
mod memo_bounds {
    use super::*;

    /// LONG_BINPUT and LONG_BINGET of slot 2^32 - 1 in 13 bytes: refused before any table grows with the slot.
    #[test]
    fn a_crafted_memo_slot_allocates_nothing() {
        let data = b"\x80\x02]r\xff\xff\xff\xffj\xff\xff\xff\xff.";
        let message = memo_reach(data, 0).err().unwrap().message;
        assert!(message.starts_with("memo slot 4294967295, beyond the"), "{message}");
    }
}
