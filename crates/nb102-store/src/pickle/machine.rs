//! The pickle machine: the opcodes of protocols 2 to 5 that the official files use, with a memo that shares
//! complete containers and drops the slots the first pass says are not read again.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::rc::Rc;

use super::objects::{persistent_storage, reduce};
use super::{MemoReach, PickleError, PyValue, Sink, MAX_DEPTH};

/// A memo slot.
enum Memo {
    /// Stored from a container still on the stack (possibly still being built).
    Building,
    /// A complete value and its nesting depth.
    Ready(PyValue, u32),
}

/// A value on the machine's stack.
struct Entry {
    value: PyValue,
    /// The memo slot of a container still being built, if it was stored.
    slot: Option<usize>,
    /// How deep it nests: 1 for a scalar or an empty container, one more than its deepest item otherwise.
    depth: u32,
}

pub(super) struct Machine<'a, 's> {
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

impl<'a, 's> Machine<'a, 's> {
    /// A machine at byte `start` of `data`, handing dict items to `sink`, keeping memo slots as `reach` says.
    pub(super) fn new(data: &'a [u8], start: usize, sink: &'s mut dyn Sink, reach: Option<&'a MemoReach>) -> Self {
        Machine {
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
        }
    }

    /// Where the machine is: after [`Machine::run`], just after the STOP opcode.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    pub(super) fn run(&mut self) -> Result<PyValue, PickleError> {
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

fn append_items(target: &mut PyValue, new: Vec<PyValue>, op: &str) -> Result<(), String> {
    let PyValue::List(list) = target else { return Err(format!("{op} to {}", target.kind())) };
    list.extend(new);
    Ok(())
}

/// Adds items to a dict. A key set twice is kept twice, and lookups ([`PyValue::get`]) take the later one, as
/// Python's overwrite would: searching for duplicates on every insertion would make reading a dict quadratic
/// in its size (the evaluation dicts of a 200-epoch trial hold hundreds of keys).
fn set_items(target: &mut PyValue, new: Vec<(PyValue, PyValue)>) -> Result<(), String> {
    let PyValue::Dict(items) = target else { return Err(format!("SETITEM on {}", target.kind())) };
    items.extend(new);
    Ok(())
}
