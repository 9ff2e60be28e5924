//! Parsing architecture strings, strictly where it matters and leniently where users differ.
//!
//! Accepted: the official `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`, a node's entries in any order,
//! `none` entries left out (so the 4-edge ResNet string of `xautodl` parses), and the outer `|`
//! omitted, as the reference's own parser (`str2lists`) drops empty tokens. The result is always the
//! canonical cell, so equivalent spellings print and index the same.
//!
//! Refused, with the byte position: anything but three `+`-separated node groups, an entry that is
//! not `op~j`, an unknown op, an input that is not an earlier node, an edge given twice, and a string with no
//! entry at all (`++` names no op, which is more likely a mistake than the all-`none` cell; that cell is written
//! `|none~0|+…` or `none~0++`).
//!
//! An official index is decimal digits alone (`11`, not `+11`, ` 11` or `1e1`), wherever an index is taken.

use std::str::FromStr;

use crate::arch::{edge_position, Arch, NUM_EDGES, NUM_NODES};
use crate::error::{Result, SpaceError};
use crate::op::Op;

impl FromStr for Arch {
    type Err = SpaceError;

    /// Parses any spelling of a cell described in the module docs.
    fn from_str(input: &str) -> Result<Arch> {
        let err = |position: usize, expected: &'static str, found: Option<&str>| SpaceError::Parse {
            input: input.to_owned(),
            position,
            expected,
            found: found.map_or_else(|| "end of input".to_owned(), |f| format!("{f:?}")),
        };

        // One pass over the bytes, no allocation: parsing sits in the inner loop of searches.
        // '+', '|' and '~' are ASCII, so every slice below falls on a char boundary.
        let bytes = input.as_bytes();
        let mut ops = [Op::None; NUM_EDGES];
        let mut seen = [false; NUM_EDGES];
        let mut to = 1;
        let mut at = 0;
        while at < bytes.len() {
            match bytes[at] {
                b'+' if to == NUM_NODES - 1 => {
                    return Err(err(at, "exactly 3 node groups separated by '+'", Some(&input[at..])));
                }
                b'+' => to += 1,
                b'|' => {}
                _ => {
                    let end = bytes[at..].iter().position(|b| matches!(b, b'|' | b'+')).map_or(bytes.len(), |n| at + n);
                    let token = &input[at..end];
                    let (name, from) =
                        token.split_once('~').ok_or_else(|| err(at, "an entry 'op~input'", Some(token)))?;
                    let op = name.parse::<Op>().map_err(|_| {
                        err(at, "an op name (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)", Some(name))
                    })?;
                    let from_at = at + name.len() + 1;
                    let from_node = match from.as_bytes() {
                        [digit @ b'0'..=b'9'] => usize::from(digit - b'0'),
                        _ if !from.is_empty() && from.bytes().all(|b| b.is_ascii_digit()) => usize::MAX,
                        _ => return Err(err(from_at, "an input node number", Some(from))),
                    };
                    let edge =
                        edge_position(to, from_node).ok_or_else(|| err(from_at, INPUT_EXPECTED[to], Some(from)))?;
                    if std::mem::replace(&mut seen[edge], true) {
                        return Err(err(at, "each input at most once per node", Some(token)));
                    }
                    ops[edge] = op;
                    at = end;
                    continue;
                }
            }
            at += 1;
        }
        if to < NUM_NODES - 1 {
            return Err(err(input.len(), "3 node groups separated by '+'", None));
        }
        if !seen.contains(&true) {
            return Err(err(0, "at least one entry 'op~input' (none~0++ for the all-none cell)", Some(input)));
        }
        Ok(Arch::from_ops(ops))
    }
}

impl Arch {
    /// A cell as command lines and query APIs take it: an official index written in decimal, one of xautodl's
    /// names ([`Arch::named`]), or any spelling of an architecture string that [`FromStr`] accepts.
    ///
    /// # Errors
    /// [`SpaceError::IndexOutOfRange`] for an index of 15625 or more; [`SpaceError::IndexText`] for a number that is
    /// not decimal digits alone (`+11`) or text with none of a string's separators (`|`, `+`, `~`);
    /// [`SpaceError::OutsideSpace`] for `all_full`; [`SpaceError::Parse`] for a string.
    pub fn from_index_or_str(text: &str) -> Result<Arch> {
        // A signed or padded number (`+11`, ` 11`), or text without any of a string's separators (`1e1`), can
        // only be meant as an index.
        if let Some(arch) = Arch::named(text)? {
            return Ok(arch);
        }
        let unsigned = text.trim().trim_start_matches(['+', '-']);
        if !text.contains(['|', '+', '~']) || (!unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit())) {
            return Arch::from_index_text(text);
        }
        text.parse()
    }

    /// The cell of an official index written in decimal digits alone.
    ///
    /// # Errors
    /// [`SpaceError::IndexText`] for anything but digits (a sign, spaces, a string); [`SpaceError::IndexOutOfRange`]
    /// for an index of 15625 or more.
    pub fn from_index_text(text: &str) -> Result<Arch> {
        let index = index_digits(text).ok_or_else(|| SpaceError::IndexText(text.to_owned()))?;
        usize::try_from(index).map_err(|_| SpaceError::IndexOutOfRange(index)).and_then(Arch::from_official_index)
    }
}

/// The number `text` writes in decimal digits alone (no sign, spaces or other text), saturating: digits too many
/// for a u64 are out of range like any other large index. `None` for anything but digits.
pub(crate) fn index_digits(text: &str) -> Option<u64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u64>().unwrap_or(u64::MAX))
}

/// What an input of node `to` may be, for the error message.
const INPUT_EXPECTED: [&str; NUM_NODES] =
    ["", "input 0 for node 1", "input 0 or 1 for node 2", "input 0, 1 or 2 for node 3"];

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL_1: &str =
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";

    fn check_same(spelling: &str, canonical: &str) {
        let arch: Arch = spelling.parse().unwrap_or_else(|e| panic!("{spelling}: {e}"));
        assert_eq!(arch.to_string(), canonical, "{spelling}");
    }

    fn check_error(input: &str, position: usize, expected: &str, found: &str) {
        match input.parse::<Arch>() {
            Err(SpaceError::Parse { position: p, expected: e, found: f, .. }) => {
                assert_eq!((p, e, f.as_str()), (position, expected, found), "{input}")
            }
            other => panic!("{input}: expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn official_strings_round_trip() {
        check_same(OFFICIAL_1, OFFICIAL_1);
        let all_none = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
        check_same(all_none, all_none);
    }

    #[test]
    fn user_spellings_canonicalise() {
        // Reordered entries within a node.
        check_same(
            "|nor_conv_3x3~0|+|avg_pool_3x3~1|nor_conv_3x3~0|+|skip_connect~2|nor_conv_3x3~1|skip_connect~0|",
            OFFICIAL_1,
        );
        // `none` entries left out: xautodl's ResNet_CODE.
        check_same(
            "|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~0|skip_connect~2|",
            "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
        );
        // No outer bars, and an empty node group.
        check_same("skip_connect~0++", "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|");
        check_same("|skip_connect~0|+||+||", "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|");
    }

    #[test]
    fn malformed_strings_name_the_position_and_the_expectation() {
        check_error("", 0, "3 node groups separated by '+'", "end of input");
        check_error("|skip_connect~0|+|none~0|none~1|", 32, "3 node groups separated by '+'", "end of input");
        check_error("|none~0|+||+||+|none~0|", 14, "exactly 3 node groups separated by '+'", "\"+|none~0|\"");
        check_error(
            "|conv~0|+||+||",
            1,
            "an op name (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)",
            "\"conv\"",
        );
        check_error("|skip_connect|+||+||", 1, "an entry 'op~input'", "\"skip_connect\"");
        check_error("|skip_connect~x|+||+||", 14, "an input node number", "\"x\"");
        check_error("|skip_connect~-1|+||+||", 14, "an input node number", "\"-1\"");
        check_error("|skip_connect~1|+||+||", 14, "input 0 for node 1", "\"1\"");
        check_error("|none~0|+|none~2|+||", 15, "input 0 or 1 for node 2", "\"2\"");
        check_error("|none~0|+||+|none~3|", 18, "input 0, 1 or 2 for node 3", "\"3\"");
        check_error(
            "|none~0|+|none~0|skip_connect~0|+||",
            17,
            "each input at most once per node",
            "\"skip_connect~0\"",
        );
        check_error("|none~0~1|+||+||", 6, "an input node number", "\"0~1\"");
        for empty in ["++", "|+|+|", "||+||+||"] {
            check_error(
                empty,
                0,
                "at least one entry 'op~input' (none~0++ for the all-none cell)",
                &format!("{empty:?}"),
            );
        }
    }

    #[test]
    fn indices_and_strings_name_cells() {
        assert_eq!(Arch::from_index_or_str("1462").unwrap().official_index(), 1462);
        assert_eq!(Arch::from_index_or_str(OFFICIAL_1).unwrap().official_index(), 1);
        assert_eq!(Arch::from_index_or_str("15625"), Err(SpaceError::IndexOutOfRange(15625)));
        assert_eq!(Arch::from_index_or_str("99999999999999999999999"), Err(SpaceError::IndexOutOfRange(u64::MAX)));
        assert_eq!(Arch::from_index_or_str("-1"), Err(SpaceError::IndexText("-1".into())));
        // An index is digits alone, wherever one is taken.
        assert_eq!(Arch::from_index_text("11").unwrap().official_index(), 11);
        for text in ["+11", "-11", " 11", "11 ", "1e1", "", "0x1"] {
            assert_eq!(Arch::from_index_text(text), Err(SpaceError::IndexText(text.into())), "{text:?}");
            assert_eq!(Arch::from_index_or_str(text), Err(SpaceError::IndexText(text.into())), "{text:?}");
        }
    }

    #[test]
    fn errors_print_on_one_line() {
        let message = "|conv~0|+||+||".parse::<Arch>().unwrap_err().to_string();
        assert_eq!(
            message,
            "invalid architecture string \"|conv~0|+||+||\" at byte 1: expected an op name \
             (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3), found \"conv\""
        );
    }
}
