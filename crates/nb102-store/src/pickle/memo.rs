//! The first, cheap pass over a pickle's opcodes: how far into the file each memo slot is read back.

use super::PickleError;

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
    pub(super) fn deadline(&self, slot: usize) -> Option<usize> {
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
