//! Random search (`RANDOM.py`).

use rand::RngCore;

use super::{finish, known, Draw, Oracle, Run, Step};
use crate::error::Result;
use nb102_space::Arch;

/// Random search (`RANDOM.py`): uniform cells until the next would exceed the budget; the best by fitness (the
/// first of equals).
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn random_search(oracle: &dyn Oracle, budget: f64, rng: &mut dyn RngCore) -> Result<Run> {
    let held = oracle.cells();
    let (mut total, mut steps) = (0.0, Vec::new());
    let mut best: Option<(Arch, f64)> = None;
    while total < budget {
        let (arch, e) = known(oracle, held.as_deref(), rng, Draw::Uniform)?;
        if total + e.cost > budget {
            break;
        }
        total += e.cost;
        if best.is_none_or(|(_, f)| e.fitness > f) {
            best = Some((arch, e.fitness));
        }
        steps.push(Step { time: total, arch, fitness: e.fitness, best: best.expect("just set").0 });
    }
    finish(steps, best)
}
