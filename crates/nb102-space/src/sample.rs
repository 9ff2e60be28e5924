//! Random cells, the single-edge mutation of regularized evolution, and categorical draws (the policies of
//! REINFORCE and ENAS's controller).
//!
//! Generic over any `rand::Rng`, so callers choose and seed the generator (the benchmark's tools use
//! `rand_chacha::ChaCha8Rng::seed_from_u64`). The distributions are the reference's, not just its
//! support: REA's mutation picks a node first, so edges into node 1 mutate more often than others.

use rand::Rng;

use crate::arch::{Arch, EDGES, NUM_EDGES, NUM_NODES};
use crate::op::Op;

/// An index drawn from the probabilities `probs` by inverse CDF, as `torch.distributions.Categorical.sample`
/// draws it: one uniform draw, the first index whose running sum exceeds it (the last if rounding leaves the sum
/// short of it).
pub fn categorical<R: Rng + ?Sized>(probs: &[f64], rng: &mut R) -> usize {
    let u: f64 = rng.random();
    let mut cumulative = 0.0;
    for (k, p) in probs.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return k;
        }
    }
    probs.len().saturating_sub(1)
}

impl Arch {
    /// A cell with each edge's op drawn uniformly, independently (the reference's `random_topology_func`),
    /// which is uniform over all 15,625 cells.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Arch {
        let mut ops = [Op::None; NUM_EDGES];
        for op in &mut ops {
            *op = Op::ALL[rng.random_range(0..Op::COUNT)];
        }
        Arch::from_ops(ops)
    }

    /// REA's `mutate_arch`: a node uniformly among 1, 2, 3, one of its input edges uniformly, and a
    /// different op uniformly among the other four. Always at Hamming distance 1.
    pub fn mutate<R: Rng + ?Sized>(&self, rng: &mut R) -> Arch {
        let to = rng.random_range(1..NUM_NODES);
        let from = rng.random_range(0..to);
        let edge = EDGES.iter().position(|&e| e == (to, from)).expect("from < to < 4 names an edge");
        let current = self.ops()[edge];
        // Uniform over the other four ops: the reference redraws until the op differs.
        let mut pick = rng.random_range(0..Op::COUNT - 1);
        if pick >= current.index() {
            pick += 1;
        }
        self.with_op(edge, Op::ALL[pick])
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn categorical_draws_follow_the_probabilities() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let counts = (0..10_000).fold([0usize; 3], |mut c, _| {
            c[categorical(&[0.2, 0.5, 0.3], &mut rng)] += 1;
            c
        });
        for (count, p) in counts.iter().zip([0.2, 0.5, 0.3]) {
            assert!((*count as f64 / 10_000.0 - p).abs() < 0.03, "{counts:?}");
        }
        // Rounding that leaves the sum short of the draw falls on the last index.
        assert_eq!(categorical(&[0.0, 0.0], &mut rng), 1);
    }

    #[test]
    fn random_cells_are_seeded_and_cover_every_op_on_every_edge() {
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..2000).map(|_| Arch::random(&mut rng)).collect::<Vec<_>>()
        };
        let cells = draw(7);
        assert_eq!(cells, draw(7));
        assert_ne!(cells, draw(8));
        for edge in 0..NUM_EDGES {
            for op in Op::ALL {
                let n = cells.iter().filter(|a| a.ops()[edge] == op).count();
                // 400 expected; 4.5 sigma is 4.5 * sqrt(2000 * 0.2 * 0.8) = 80.
                assert!((320..=480).contains(&n), "edge {edge} op {op}: {n}");
            }
        }
    }

    #[test]
    fn mutation_changes_one_edge_with_the_reference_edge_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let parent = Arch::from_op_digits("334131").unwrap();
        let mut per_edge = [0usize; NUM_EDGES];
        let trials = 36_000;
        for _ in 0..trials {
            let child = parent.mutate(&mut rng);
            assert_eq!(child.hamming_distance(&parent), 1);
            per_edge[(0..NUM_EDGES).find(|&e| child.ops()[e] != parent.ops()[e]).unwrap()] += 1;
        }
        // Node 1 has one edge (1/3), node 2 two (1/6 each), node 3 three (1/9 each).
        let expected = [12_000.0, 6_000.0, 6_000.0, 4_000.0, 4_000.0, 4_000.0];
        for (edge, (n, e)) in per_edge.iter().zip(expected).enumerate() {
            assert!((*n as f64 - e).abs() < 5.0 * e.sqrt(), "edge {edge}: {n} vs {e}");
        }
    }
}
