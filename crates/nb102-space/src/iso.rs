//! Validity and isomorphism of cells, exactly as the reference computes them.
//!
//! Two cells are treated as the same network when their `to_unique_str` strings are equal
//! (`xautodl` `Structure.to_unique_str`, copied into NATS-Bench's `get_unique_str`). The reference
//! recognises a zero input only by the literal `"#"`; a node whose inputs are all zero becomes
//! `"#+#"`, which later nodes do not treat as zero. This crate keeps that behaviour, because it is
//! what makes `consider_zero=True` give the reference's 6,466 classes (6,461 valid + 5 for the
//! 341 invalid cells) rather than 6,462; class ids are only comparable if the classes are the same.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::arch::{Arch, NUM_NODES};
use crate::index::official_archs;
use crate::op::Op;

/// The three `consider_zero` modes of the reference's `to_unique_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UniqueMode {
    /// `consider_zero=True` (NATS-Bench's `get_unique_str`): `none` and zero inputs give `"#"`,
    /// `skip_connect` passes its input through. 6,466 classes.
    PruneZero,
    /// `consider_zero=False`: `skip_connect` passes its input through, `none` is an ordinary op. 12,751 classes.
    KeepZero,
    /// `consider_zero=None`: every op, `skip_connect` included, is an ordinary op. 15,625 classes.
    Verbatim,
}

impl Arch {
    /// Whether the output can be non-zero: the reference's `Structure.check_valid` (node `i` is alive
    /// if some non-`none` edge enters it from an alive node). 15,284 of the 15,625 cells are valid.
    pub fn is_valid(&self) -> bool {
        let mut alive = [true, false, false, false];
        for to in 1..NUM_NODES {
            alive[to] = self.inputs(to).any(|(op, from)| op != Op::None && alive[from]);
        }
        alive[NUM_NODES - 1]
    }

    /// The reference's `to_unique_str(consider_zero)`: equal strings mean isomorphic cells.
    pub fn unique_str(&self, mode: UniqueMode) -> String {
        let mut nodes: [String; NUM_NODES] = ["0".to_owned(), String::new(), String::new(), String::new()];
        for to in 1..NUM_NODES {
            let mut terms: Vec<String> = self
                .inputs(to)
                .map(|(op, from)| {
                    let input = &nodes[from];
                    match mode {
                        UniqueMode::PruneZero if op == Op::None || input == "#" => "#".to_owned(),
                        UniqueMode::PruneZero | UniqueMode::KeepZero if op == Op::SkipConnect => input.clone(),
                        _ => format!("({input})@{op}"),
                    }
                })
                .collect();
            terms.sort_unstable();
            nodes[to] = terms.join("+");
        }
        std::mem::take(&mut nodes[NUM_NODES - 1])
    }

    /// The isomorphism class under [`UniqueMode::PruneZero`], numbered by first appearance in official
    /// order (so class 0 holds official index 0); `0..num_classes()`.
    pub fn class_id(&self) -> usize {
        usize::from(classes().of_official[self.official_index()])
    }
}

/// Number of isomorphism classes under [`UniqueMode::PruneZero`]: 6,466, counted from the strings.
pub fn num_classes() -> usize {
    classes().count
}

/// The official indices of the cells in class `class` (under [`UniqueMode::PruneZero`]), increasing;
/// empty for a class id out of range.
pub fn class_members(class: usize) -> &'static [u16] {
    let c = classes();
    match (c.starts.get(class), c.starts.get(class + 1)) {
        (Some(&start), Some(&end)) => &c.members[start as usize..end as usize],
        _ => &[],
    }
}

struct Classes {
    of_official: Box<[u16]>,
    count: usize,
    /// Official indices grouped by class, each group increasing; class k is `members[starts[k]..starts[k + 1]]`.
    members: Box<[u16]>,
    starts: Box<[u32]>,
}

fn classes() -> &'static Classes {
    static CLASSES: OnceLock<Classes> = OnceLock::new();
    CLASSES.get_or_init(|| {
        let mut ids: HashMap<String, u16> = HashMap::new();
        let of_official = official_archs()
            .map(|arch| {
                let next = ids.len() as u16;
                *ids.entry(arch.unique_str(UniqueMode::PruneZero)).or_insert(next)
            })
            .collect::<Box<[u16]>>();
        let count = ids.len();
        let mut starts = vec![0u32; count + 1];
        for &class in of_official.iter() {
            starts[usize::from(class) + 1] += 1;
        }
        for k in 0..count {
            starts[k + 1] += starts[k];
        }
        let mut next = starts.clone();
        let mut members = vec![0u16; of_official.len()];
        for (index, &class) in of_official.iter().enumerate() {
            members[next[usize::from(class)] as usize] = index as u16;
            next[usize::from(class)] += 1;
        }
        Classes { of_official, count, members: members.into(), starts: starts.into() }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn arch(s: &str) -> Arch {
        s.parse().unwrap()
    }

    #[test]
    fn unique_strings_of_the_reference() {
        // Values printed by xautodl 1.0.0's Structure.to_unique_str(True / False / None).
        let one =
            arch("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
        assert_eq!(
            one.unique_str(UniqueMode::PruneZero),
            "((0)@nor_conv_3x3)@avg_pool_3x3+(0)@nor_conv_3x3+((0)@nor_conv_3x3)@nor_conv_3x3+0"
        );
        let three = arch("|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|");
        assert_eq!(three.unique_str(UniqueMode::PruneZero), "#+#+#+0");
        assert_eq!(
            three.unique_str(UniqueMode::KeepZero),
            "((0)@avg_pool_3x3)@none+((0)@avg_pool_3x3)@none+0+(0)@none"
        );
        assert_eq!(
            three.unique_str(UniqueMode::Verbatim),
            "(((0)@avg_pool_3x3)@none+(0)@skip_connect)@skip_connect+((0)@avg_pool_3x3)@none+(0)@none"
        );
    }

    #[test]
    fn the_zero_quirk_is_kept() {
        // Node 1 and node 2 are zero; node 3 sees "#" from node 1 but "#+#" from node 2.
        let dead = arch("|none~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|");
        assert!(!dead.is_valid());
        assert_eq!(dead.unique_str(UniqueMode::PruneZero), "#+#+(#+#)@avg_pool_3x3");
    }

    #[test]
    fn validity_and_class_counts_over_the_space() {
        let archs: Vec<Arch> = official_archs().collect();
        assert_eq!(archs.iter().filter(|a| a.is_valid()).count(), 15_284);
        let count = |mode| archs.iter().map(|a| a.unique_str(mode)).collect::<HashSet<_>>().len();
        assert_eq!(count(UniqueMode::PruneZero), 6_466);
        assert_eq!(count(UniqueMode::KeepZero), 12_751);
        assert_eq!(count(UniqueMode::Verbatim), 15_625);
        assert_eq!(num_classes(), 6_466);
        let invalid_classes: HashSet<usize> = archs.iter().filter(|a| !a.is_valid()).map(Arch::class_id).collect();
        assert_eq!(invalid_classes.len(), 5);
        assert_eq!(archs[0].class_id(), 0);
        assert_eq!(archs[1].class_id(), 1);
        // Every cell is in its class's member list, once; the lists partition the space.
        assert_eq!((0..num_classes()).map(|c| class_members(c).len()).sum::<usize>(), 15_625);
        for (index, arch) in archs.iter().enumerate() {
            assert!(class_members(arch.class_id()).binary_search(&(index as u16)).is_ok());
        }
        assert_eq!(class_members(6_466), &[] as &[u16]);
        // The members of a class share its unique string.
        let members = class_members(archs[1835].class_id());
        assert!(members.iter().all(|&m| archs[usize::from(m)].unique_str(UniqueMode::PruneZero)
            == archs[1835].unique_str(UniqueMode::PruneZero)));
    }
}
