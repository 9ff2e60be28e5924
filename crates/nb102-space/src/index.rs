//! The official index order (0 … 15624): the enumeration shuffled by `random.seed(88)`.
//!
//! The reference builds it in `exps/NAS-Bench-201/main.py generate_meta_info` with the comment
//! "please do not change this line for reproducibility"; every NAS-Bench-201 and NATS-Bench file is
//! keyed by it. Both directions are O(1) lookups into tables built once per process (~0.2 ms).

use std::sync::OnceLock;

use crate::arch::{Arch, NUM_ARCHS};
use crate::error::{Result, SpaceError};
use crate::pyrandom::PyRandom;

/// Seed of the reference's shuffle of the enumeration.
pub const OFFICIAL_ORDER_SEED: u64 = 88;

impl Arch {
    /// The official NAS-Bench-201 / NATS-Bench topology index of this cell.
    pub fn official_index(&self) -> usize {
        usize::from(order().official_of_enumeration[self.enumeration_index()])
    }

    /// The cell with official index `index`.
    ///
    /// # Errors
    /// [`SpaceError::IndexOutOfRange`] unless `index < 15625`.
    pub fn from_official_index(index: usize) -> Result<Arch> {
        let enumeration =
            order().enumeration_of_official.get(index).ok_or(SpaceError::IndexOutOfRange(index as u64))?;
        Ok(Arch::from_enumeration_index_unchecked(usize::from(*enumeration)))
    }
}

/// All cells in official order: item `i` has official index `i`.
pub fn official_archs() -> impl ExactSizeIterator<Item = Arch> {
    order().enumeration_of_official.iter().map(|&e| Arch::from_enumeration_index_unchecked(usize::from(e)))
}

struct Order {
    enumeration_of_official: Box<[u16]>,
    official_of_enumeration: Box<[u16]>,
}

fn order() -> &'static Order {
    static ORDER: OnceLock<Order> = OnceLock::new();
    ORDER.get_or_init(|| {
        let mut enumeration_of_official: Box<[u16]> = (0..NUM_ARCHS as u16).collect();
        PyRandom::new(OFFICIAL_ORDER_SEED).shuffle(&mut enumeration_of_official);
        let mut official_of_enumeration = vec![0u16; NUM_ARCHS].into_boxed_slice();
        for (official, &enumeration) in enumeration_of_official.iter().enumerate() {
            official_of_enumeration[usize::from(enumeration)] = official as u16;
        }
        Order { enumeration_of_official, official_of_enumeration }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(index: usize, arch: &str) {
        assert_eq!(Arch::from_official_index(index).unwrap().to_string(), arch, "index {index}");
        assert_eq!(arch.parse::<Arch>().unwrap().official_index(), index, "{arch}");
    }

    #[test]
    fn positions_asserted_and_printed_by_the_reference() {
        // Asserted in generate_meta_info, plus the first and last entries of meta_archs (spec 01 §1.4).
        check(0, "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|");
        check(9, "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|");
        check(123, "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|");
        check(1, "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
        check(15623, "|none~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|none~1|avg_pool_3x3~2|");
        check(15624, "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|");
    }

    #[test]
    fn notable_cells() {
        check(1462, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
        check(11472, "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|");
        check(4317, "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|");
        check(1835, "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|");
        check(1651, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
        check(7581, "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|");
        check(10636, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|skip_connect~2|");
        // Official index 15624 is enumeration index 6512: the first swap of the shuffle.
        assert_eq!(Arch::from_official_index(15624).unwrap().enumeration_index(), 6512);
    }

    #[test]
    fn the_order_is_a_permutation_and_lookups_invert() {
        let archs: Vec<Arch> = official_archs().collect();
        assert_eq!(archs.len(), NUM_ARCHS);
        for (index, arch) in archs.iter().enumerate() {
            assert_eq!(arch.official_index(), index);
        }
        assert_eq!(Arch::from_official_index(NUM_ARCHS), Err(SpaceError::IndexOutOfRange(15625)));
    }
}
