//! The two spaces as searches see them: an architecture is one of a few values at each of a few positions (an op
//! on each of six edges; a width for each of five layers), so one search algorithm runs on either.

use std::fmt;

use rand::Rng;

use crate::arch::{Arch, NUM_EDGES};
use crate::channels::{Channels, CANDIDATES, NUM_LAYERS};
use crate::error::Result;
use crate::op::Op;
use crate::space::Space;

/// An architecture of a space whose architectures are every combination of `CHOICES` values at `POSITIONS`
/// positions: what the multi-trial searches draw, mutate, and (REINFORCE, BOHB) model position by position.
pub trait Categorical: Copy + PartialEq + fmt::Debug + fmt::Display + Send + Sync + 'static {
    /// The space.
    const SPACE: Space;
    /// Positions: edges, or layers.
    const POSITIONS: usize;
    /// Values at each position: ops, or widths.
    const CHOICES: usize;

    /// The value at each position, as indices below `CHOICES`.
    fn choices(&self) -> Vec<usize>;

    /// The architecture with these values (`POSITIONS` indices below `CHOICES`).
    fn from_choices(choices: &[usize]) -> Self;

    /// A uniform draw: each position's value uniformly (the searches' random architecture).
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self;

    /// Regularized evolution's mutation in this space (`Arch::mutate`, `Channels::mutate`).
    fn mutate<R: Rng + ?Sized>(&self, rng: &mut R) -> Self;

    /// The official index.
    fn official_index(&self) -> usize;

    /// The architecture of an official index.
    ///
    /// # Errors
    /// An index out of the space's range.
    fn from_official_index(index: usize) -> Result<Self>;
}

impl Categorical for Arch {
    const SPACE: Space = Space::Topology;
    const POSITIONS: usize = NUM_EDGES;
    const CHOICES: usize = Op::COUNT;

    fn choices(&self) -> Vec<usize> {
        self.ops().iter().map(|op| op.index()).collect()
    }

    fn from_choices(choices: &[usize]) -> Arch {
        Arch::from_ops(std::array::from_fn(|k| Op::ALL[choices[k]]))
    }

    fn random<R: Rng + ?Sized>(rng: &mut R) -> Arch {
        Arch::random(rng)
    }

    fn mutate<R: Rng + ?Sized>(&self, rng: &mut R) -> Arch {
        Arch::mutate(self, rng)
    }

    fn official_index(&self) -> usize {
        Arch::official_index(self)
    }

    fn from_official_index(index: usize) -> Result<Arch> {
        Arch::from_official_index(index)
    }
}

impl Categorical for Channels {
    const SPACE: Space = Space::Size;
    const POSITIONS: usize = NUM_LAYERS;
    const CHOICES: usize = CANDIDATES.len();

    fn choices(&self) -> Vec<usize> {
        self.widths().iter().map(|w| CANDIDATES.iter().position(|c| c == w).expect("a candidate width")).collect()
    }

    fn from_choices(choices: &[usize]) -> Channels {
        Channels::of_candidates(std::array::from_fn(|k| CANDIDATES[choices[k]]))
    }

    fn random<R: Rng + ?Sized>(rng: &mut R) -> Channels {
        Channels::random(rng)
    }

    fn mutate<R: Rng + ?Sized>(&self, rng: &mut R) -> Channels {
        Channels::mutate(self, rng)
    }

    fn official_index(&self) -> usize {
        Channels::official_index(self)
    }

    fn from_official_index(index: usize) -> Result<Channels> {
        Channels::from_official_index(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<A: Categorical>(index: usize) {
        let a = A::from_official_index(index).unwrap();
        let choices = a.choices();
        assert_eq!(choices.len(), A::POSITIONS);
        assert!(choices.iter().all(|&c| c < A::CHOICES));
        assert_eq!(A::from_choices(&choices), a);
    }

    #[test]
    fn choices_round_trip_in_both_spaces() {
        for index in [0, 1, 284, 11472, 15624] {
            round_trips::<Arch>(index);
        }
        for index in [0, 11, 284, 20000, 32767] {
            round_trips::<Channels>(index);
        }
        assert_eq!(Channels::from_choices(&[0, 0, 4, 3, 4]).to_string(), "8:8:40:32:40");
        assert_eq!((Arch::POSITIONS, Arch::CHOICES, Channels::POSITIONS, Channels::CHOICES), (6, 5, 5, 8));
    }
}
