//! The searches on a synthetic landscape: each spends its budget, is reproducible from its seed, and finds good
//! cells; on a partial benchmark they search only its cells.
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use nb102_space::{Arch, Op, NUM_EDGES};
use rand::RngCore;

use super::*;

/// A landscape with one best cell (every edge a 3x3 convolution): 10 points per such edge, a little more
/// for some cells; every query costs 100 s. Optionally only some cells exist.
struct Landscape(Option<Vec<Arch>>);

impl Oracle for Landscape {
    fn evaluate(&self, arch: Arch, _: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        if self.0.as_ref().is_some_and(|cells| !cells.contains(&arch)) {
            return Ok(None);
        }
        let convs = arch.ops().iter().filter(|&&op| op == Op::NorConv3x3).count() as f64;
        Ok(Some(Evaluation { fitness: 10.0 * convs + (arch.official_index() % 7) as f64 / 10.0, cost: 100.0 }))
    }

    fn cells(&self) -> Option<Vec<Arch>> {
        self.0.clone()
    }
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn random_search_spends_the_budget_and_keeps_the_best() {
    let run = random_search(&Landscape(None), 1000.0, &mut rng(1)).unwrap();
    assert_eq!(run.steps.len(), 10, "ten queries of 100 s fit a budget of 1,000 s");
    assert_eq!(run.steps.last().unwrap().time, 1000.0);
    let best = run.steps.iter().map(|s| s.fitness).fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(run.chosen_fitness, best);
    assert_eq!(run, random_search(&Landscape(None), 1000.0, &mut rng(1)).unwrap(), "a seed gives the same run");
    assert!(matches!(random_search(&Landscape(None), 50.0, &mut rng(1)), Err(ApiError::Search(_))));
}

#[test]
fn evolution_climbs_to_the_best_cell() {
    let all_conv = Arch::from_ops([Op::NorConv3x3; NUM_EDGES]);
    let mut found = 0;
    for seed in 0..20 {
        let run = regularized_evolution(&Landscape(None), 20_000.0, 10, 3, &mut rng(seed)).unwrap();
        assert_eq!(run.steps.len(), 200);
        // Children are one edge away from a parent of the population.
        assert!(run.steps[10..].iter().all(|s| run.steps.iter().any(|p| p.arch.hamming_distance(&s.arch) == 1)));
        found += usize::from(run.chosen == all_conv);
    }
    assert!(found >= 15, "REA found the best cell in {found} of 20 runs");
}

#[test]
fn reinforce_learns_the_landscape() {
    let run = reinforce(&Landscape(None), 30_000.0, 0.5, 0.9, &mut rng(3)).unwrap();
    let mean = |steps: &[Step]| steps.iter().map(|s| s.fitness).sum::<f64>() / steps.len() as f64;
    let (first, last) = (mean(&run.steps[..10]), mean(&run.steps[run.steps.len() - 50..]));
    // A uniform policy averages 12 (1.2 convolutions of 6 edges); the learnt one more than twice that.
    assert!(last > 30.0 && last > first, "mean fitness {first:.1} at first, {last:.1} at the end");
}

#[test]
fn bohb_finds_good_cells_within_the_budget() {
    let mut fitness = Vec::new();
    for seed in 0..10 {
        let run = bohb(&Landscape(None), 12_000.0, &mut rng(seed)).unwrap();
        assert_eq!(run.steps.len(), 120, "every rung's evaluation is a query of 100 s");
        assert!(run.steps.windows(2).all(|w| w[0].time < w[1].time));
        // The answer was evaluated at the largest budget, or is the best seen.
        assert!(run.steps.iter().any(|s| s.arch == run.chosen));
        fitness.push(run.chosen_fitness);
    }
    let mean = fitness.iter().sum::<f64>() / fitness.len() as f64;
    // Random cells average 12 here; the model-guided search must do far better.
    assert!(mean > 35.0, "mean chosen fitness {mean:.1}");
}

#[test]
fn partial_benchmarks_search_their_cells() {
    let cells: Vec<Arch> = [11472, 1462, 1835].iter().map(|&i| Arch::from_official_index(i).unwrap()).collect();
    let oracle = Landscape(Some(cells.clone()));
    for run in [
        random_search(&oracle, 2000.0, &mut rng(5)).unwrap(),
        regularized_evolution(&oracle, 2000.0, 10, 3, &mut rng(5)).unwrap(),
        reinforce(&oracle, 2000.0, 0.5, 0.9, &mut rng(5)).unwrap(),
        bohb(&oracle, 2000.0, &mut rng(5)).unwrap(),
    ] {
        assert!(run.steps.iter().all(|s| cells.contains(&s.arch)));
        assert_eq!(run.chosen.official_index(), 1462, "all 3x3 convolutions");
    }
}

/// An oracle that counts its queries.
struct Counting(std::cell::Cell<usize>);

impl Oracle for Counting {
    fn evaluate(&self, arch: Arch, rng: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        self.0.set(self.0.get() + 1);
        Landscape(None).evaluate(arch, rng)
    }
}

#[test]
fn bohb_queries_only_what_it_charges() {
    // Every query is a trial drawn and charged; proposals and random cells are checked with `holds`, which draws
    // nothing. Only the query that finds the budget spent is not charged.
    for seed in 0..5 {
        let oracle = Counting(std::cell::Cell::new(0));
        let run = bohb(&oracle, 12_050.0, &mut rng(seed)).unwrap();
        assert!(oracle.0.get() <= run.steps.len() + 1, "{} queries for {} steps", oracle.0.get(), run.steps.len());
    }
}

#[test]
fn a_budget_refuses_the_query_that_would_exceed_it_and_keeps_the_first_best() {
    let cell = |i: usize| Arch::from_official_index(i).unwrap();
    let mut clock = Budget::new(250.0);
    assert!(clock.has_time() && clock.best().is_none());
    assert!(clock.charge(cell(1), Evaluation { fitness: 50.0, cost: 100.0 }));
    assert!(clock.charge(cell(2), Evaluation { fitness: 50.0, cost: 100.0 }));
    assert!(!clock.charge(cell(3), Evaluation { fitness: 90.0, cost: 100.0 }), "300 s would exceed 250 s");
    assert!(clock.charge(cell(4), Evaluation { fitness: 40.0, cost: 50.0 }), "exactly the limit is within it");
    assert!(!clock.has_time());
    assert_eq!(clock.spent(), 250.0);
    assert_eq!(clock.best(), Some((cell(1), 50.0)), "the first of equals; the refused query is not a candidate");
    let times: Vec<f64> = clock.steps().iter().map(|s| s.time).collect();
    assert_eq!(times, [100.0, 200.0, 250.0]);
    let run = clock.finish().unwrap();
    assert_eq!((run.chosen, run.steps.len()), (cell(1), 3));
    assert!(matches!(Budget::<Arch>::new(10.0).finish(), Err(ApiError::Search(_))));
}

/// The size space's landscape: the wider the network, the fitter (each layer's width in eighths), every query 100 s.
struct Widths;

impl Oracle<nb102_space::Channels> for Widths {
    fn evaluate(&self, arch: nb102_space::Channels, _: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        let eighths: u16 = arch.widths().iter().map(|w| w / 8).sum();
        Ok(Some(Evaluation { fitness: f64::from(eighths) * 2.0, cost: 100.0 }))
    }
}

#[test]
fn the_searches_run_in_the_size_space() {
    use nb102_space::{Categorical, Channels};
    // Uniform widths average 4.5 eighths a layer: a fitness of 45.
    let mut chosen = Vec::new();
    for seed in 0..10 {
        let rea = Algorithm::SIZE_PAPER[0].run(&Widths, 20_000.0, &mut rng(seed)).unwrap();
        assert_eq!(rea.steps.len(), 200);
        // A child is its parent with one layer's width redrawn (perhaps to the same).
        let layers_apart =
            |a: Channels, b: Channels| a.widths().iter().zip(b.widths()).filter(|(x, y)| *x != y).count();
        assert!(rea.steps[10..].iter().all(|s| rea.steps.iter().any(|p| layers_apart(p.arch, s.arch) <= 1)));
        chosen.push(rea.chosen_fitness);
        let rs = random_search(&Widths, 2_000.0, &mut rng(seed)).unwrap();
        assert_eq!(rs.steps.len(), 20);
    }
    let mean_chosen = chosen.iter().sum::<f64>() / chosen.len() as f64;
    assert!(mean_chosen >= 74.0, "REA's answers: {chosen:?} (the widest network: 80)");
    let run = Algorithm::SIZE_PAPER[2].run(&Widths, 30_000.0, &mut rng(3)).unwrap();
    let mean = |steps: &[Step<Channels>]| steps.iter().map(|s| s.fitness).sum::<f64>() / steps.len() as f64;
    let (first, last) = (mean(&run.steps[..10]), mean(&run.steps[run.steps.len() - 50..]));
    assert!(
        last > 50.0 && last > first + 5.0,
        "REINFORCE (lr 0.01): mean fitness {first:.1} at first, {last:.1} at the end"
    );
    // NATS-algos' BOHB queries earlier epochs, which this oracle does not answer.
    let refused = Algorithm::Bohb.run(&Widths, 1_000.0, &mut rng(0)).unwrap_err().to_string();
    assert!(refused.contains("expected an oracle that answers earlier epochs"), "{refused}");
    assert_eq!(Channels::POSITIONS * Channels::CHOICES, 40);
}

/// `Widths` answering after any epoch of a 12-epoch schedule: a fraction of the fitness, 10 s an epoch trained.
struct WidthsByEpoch;

impl Oracle<nb102_space::Channels> for WidthsByEpoch {
    fn evaluate(&self, arch: nb102_space::Channels, rng: &mut dyn RngCore) -> Result<Option<Evaluation>> {
        self.evaluate_at(arch, 11, rng)
    }

    fn schedule_epochs(&self) -> Option<u16> {
        Some(12)
    }

    fn evaluate_at(
        &self,
        arch: nb102_space::Channels,
        epoch: u16,
        rng: &mut dyn RngCore,
    ) -> Result<Option<Evaluation>> {
        let full = Widths.evaluate(arch, rng)?.expect("every network").fitness;
        let trained = f64::from(epoch) + 1.0;
        Ok(Some(Evaluation { fitness: full * trained / 12.0, cost: 10.0 * trained }))
    }
}

#[test]
fn nats_algos_bohb_queries_the_rungs_epochs_and_answers_the_best_seen() {
    for seed in 0..5 {
        let run = Algorithm::Bohb.run(&WidthsByEpoch, 5_000.0, &mut rng(seed)).unwrap();
        let costs: Vec<f64> = run.steps.windows(2).map(|w| w[1].time - w[0].time).collect();
        // Rungs of 1.33, 4 and 12 epochs query after epochs 0, 3 and 11; the first bracket starts with nine of
        // the lowest and ends with one of the highest.
        assert!(costs.iter().all(|&c| [10.0, 40.0, 120.0].iter().any(|&k| (c - k).abs() < 1e-9)), "{costs:?}");
        assert_eq!(run.steps[0].time, 10.0);
        assert_eq!(run.steps[12].time - run.steps[11].time, 120.0);
        // Cut at the budget: the next evaluation would have exceeded it.
        assert!(run.steps.last().unwrap().time <= 5_000.0 && run.steps.last().unwrap().time > 5_000.0 - 120.0);
        let best = run.steps.iter().map(|s| s.fitness).fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(run.chosen_fitness, best, "the best accuracy seen at any fidelity");
        assert_eq!(run.steps.last().unwrap().best, run.chosen);
    }
}
