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
//!
//! Files: `value.rs` (the decoded values), `memo.rs` (the first pass over the opcodes), `machine.rs` (the pickle
//! machine), `objects.rs` (the classes it rebuilds: numpy arrays and scalars, torch storages and tensors).

mod machine;
mod memo;
mod objects;
#[cfg(test)]
mod tests;
mod value;

use std::fmt;

use machine::Machine;
pub(crate) use memo::{memo_reach, MemoReach};
pub use value::{NdArray, PyValue, TensorRef};

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
    let mut machine = Machine::new(data, start, sink, reach);
    let value = machine.run()?;
    Ok((value, machine.position()))
}

/// The deepest nesting of containers a pickle may build. The official files nest about ten deep; a crafted file
/// could nest without bound (a 72-byte bz2 file decompresses to 200,000 nested lists), and dropping or walking
/// such a value would overflow the stack.
pub const MAX_DEPTH: u32 = 100;
