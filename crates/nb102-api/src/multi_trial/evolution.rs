//! Regularized evolution (`R_EA.py`).

use nb102_space::Categorical;
use rand::{Rng, RngCore};

use super::{known, Budget, Draw, Oracle, Run};
use crate::error::Result;

/// Regularized evolution (`R_EA.py`): a population of `population` random cells (charged, not checked against
/// the budget), then cycles of: `sample` members drawn with replacement, the fittest (first of equals) mutated,
/// the child evaluated and, within budget, added while the oldest member leaves. The answer is the fittest cell
/// ever evaluated (first of equals).
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn regularized_evolution<A: Categorical>(
    oracle: &dyn Oracle<A>,
    budget: f64,
    population: usize,
    sample: usize,
    rng: &mut dyn RngCore,
) -> Result<Run<A>> {
    let held = oracle.cells();
    let mut clock = Budget::new(budget);
    let mut members: std::collections::VecDeque<(A, f64)> = std::collections::VecDeque::new();
    while members.len() < population {
        let (arch, e) = known(oracle, held.as_deref(), rng, Draw::Uniform)?;
        members.push_back((arch, e.fitness));
        clock.charge_anyway(arch, e);
    }
    while clock.has_time() {
        let mut parent: Option<(A, f64)> = None;
        for _ in 0..sample {
            let candidate = members[rng.random_range(0..members.len())];
            if parent.is_none_or(|(_, f)| candidate.1 > f) {
                parent = Some(candidate);
            }
        }
        let parent = parent.expect("a sample of one or more").0;
        let (child, e) = known(oracle, held.as_deref(), rng, Draw::With(&mut |r: &mut dyn RngCore| parent.mutate(r)))?;
        if !clock.charge(child, e) {
            break;
        }
        members.push_back((child, e.fitness));
        members.pop_front();
    }
    clock.finish()
}
