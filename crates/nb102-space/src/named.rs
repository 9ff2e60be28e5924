//! The cells the reference's scripts train by name: xautodl's `CellArchitectures`, which the seed's
//! `train-a-net.sh NAME C N` (`exps/NAS-Bench-201/main.py --mode specific-NAME`) takes.

use crate::arch::Arch;
use crate::error::{Result, SpaceError};
use crate::op::Op;

use Op::{NorConv1x1 as C1, NorConv3x3 as C3, SkipConnect as Skip};

/// The names of the space's cells, with their ops in the canonical edge order. `resnet` is cell 11472:
/// xautodl's `ResNet_CODE` leaves its two `none` edges out, which changes the network's function in nothing
/// (they add zeros and hold no weights, and the initialisation draws in the same order); only the state-dict names
/// of its layers differ (`layers.1` for its second convolution, `layers.2` in the benchmark's cell).
pub const NAMED: [(&str, [Op; 6]); 4] = [
    ("resnet", [C3, Op::None, C3, Skip, Op::None, Skip]),
    ("all_c3x3", [C3; 6]),
    ("all_c1x1", [C1; 6]),
    ("all_idnt", [Skip; 6]),
];

/// xautodl's name of the cell with every op but `none` on every edge, which no cell of the space is.
pub(crate) const ALL_FULL: &str = "all_full";

impl Arch {
    /// The cell of one of xautodl's names (`resnet`, `all_c3x3`, `all_c1x1`, `all_idnt`), or `None` for
    /// another text.
    ///
    /// # Errors
    /// [`SpaceError::OutsideSpace`] for `all_full` (four ops on every edge).
    pub fn named(name: &str) -> Result<Option<Arch>> {
        if name == ALL_FULL {
            return Err(SpaceError::OutsideSpace {
                name: name.to_owned(),
                why: "it puts skip_connect, nor_conv_1x1, nor_conv_3x3 and avg_pool_3x3 on every edge, where a cell \
                      has one op per edge",
            });
        }
        Ok(NAMED.iter().find(|(n, _)| *n == name).map(|&(_, ops)| Arch::from_ops(ops)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_the_reference_cells() {
        let index = |name: &str| Arch::named(name).unwrap().unwrap().official_index();
        assert_eq!(index("resnet"), 11472);
        assert_eq!(index("all_c3x3"), 1462);
        assert_eq!(
            Arch::named("all_idnt").unwrap().unwrap().to_string(),
            "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
        );
        assert_eq!(Arch::named("ResNet").unwrap(), None);
        assert!(matches!(Arch::named("all_full"), Err(SpaceError::OutsideSpace { .. })));
        assert_eq!(Arch::from_index_or_str("all_c1x1").unwrap(), Arch::from_ops([Op::NorConv1x1; 6]));
        let full = Arch::from_index_or_str("all_full").unwrap_err().to_string();
        assert!(full.starts_with("all_full is not a cell of the NAS-Bench-201 space"), "{full}");
    }
}
