//! Random search (`RANDOM.py`).

use nb102_space::Categorical;
use rand::RngCore;

use super::{known, Budget, Draw, Oracle, Run};
use crate::error::Result;

/// Random search (`RANDOM.py`): uniform cells until the next would exceed the budget; the best by fitness (the
/// first of equals).
///
/// # Errors
/// As [`Oracle::evaluate`].
pub fn random_search<A: Categorical>(oracle: &dyn Oracle<A>, budget: f64, rng: &mut dyn RngCore) -> Result<Run<A>> {
    let held = oracle.cells();
    let mut clock = Budget::new(budget);
    while clock.has_time() {
        let (arch, e) = known(oracle, held.as_deref(), rng, Draw::Uniform)?;
        if !clock.charge(arch, e) {
            break;
        }
    }
    clock.finish()
}
