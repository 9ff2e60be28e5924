"""`nb102.search`: the baselines from Python equal `cargo xtask bench-algos` run for run on the real per-cell table,
and a search of one's own is charged by the same clock.

Data: `$NB102_REFERENCE_DIR/nb201_groundtruth_merged.csv` (the real per-cell table) and the official NATS-Bench
sample records (the `nats` fixture of `conftest.py`).
"""

import json
import random
import subprocess

import pytest

import nb102
from nb102 import search

from conftest import REFERENCE, ROOT, SAMPLE

TABLE = REFERENCE / "nb201_groundtruth_merged.csv"
RUNS = 40


@pytest.fixture(scope="module")
def bench_algos(tmp_path_factory):
    """bench-algos' table.json on the real table (`RUNS` runs of each baseline) and the file it imported."""
    if not TABLE.is_file() or not SAMPLE.is_dir():
        pytest.skip("the real table and the sample records are not in {} (set NB102_REFERENCE_DIR)".format(REFERENCE))
    out = tmp_path_factory.mktemp("bench-algos")
    command = ["cargo", "run", "--quiet", "--package", "xtask", "--", "bench-algos", "--table", str(TABLE)]
    command += ["--calibrate", str(SAMPLE), "--runs", str(RUNS), "--out", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    (path,) = out.glob("table-*.nb102")
    return json.loads((out / "table.json").read_text()), path


def test_the_baselines_equal_bench_algos_run_for_run(bench_algos):
    made, path = bench_algos
    bench = nb102.Benchmark(path)
    oracle = search.Oracle(bench, cost=search.calibrate(SAMPLE))
    assert (oracle.setting, oracle.hp, oracle.default_budget) == ("cifar10-valid", 12, made["budget"])
    for name in search.ALGORITHMS:
        runs = search.run(name, oracle, runs=RUNS)
        row = next(r for r in made["rows"] if r["algorithm"] == name)
        assert [h.chosen for h in runs] == [r["index"] for r in row["runs"]], name
        assert [len(h) for h in runs] == [r["queries"] for r in row["runs"]], name
        assert [float(h.times[-1]) for h in runs] == [r["search_seconds"] for r in row["runs"]], name
        # The table's row, computed by search.table, to the last bit.
        ours = search.table(bench, {name: runs})[name]
        for column, value in ours.items():
            assert value == (row[column]["mean"], row[column]["std"]), (name, column)
    optimal = search.table(bench, {})["optimal"]
    row = next(r for r in made["rows"] if r["algorithm"] == "optimal")
    assert optimal == {c: (v["mean"], v["std"]) for c, v in row.items() if c != "algorithm"}


def test_runs_do_not_depend_on_threads(bench_algos):
    oracle = search.Oracle(bench_algos[1], cost=(50.0, 2.0))
    for name in search.ALGORITHMS:
        one = search.run(name, oracle, runs=7, seed=11, threads=1)
        many = search.run(name, oracle, runs=7, seed=11, threads=3)
        for a, b in zip(one, many):
            assert (list(a.cells), list(a.times), list(a.fitness), list(a.best)) == (
                list(b.cells),
                list(b.times),
                list(b.fitness),
                list(b.best),
            )
        # Run r is the run of seed + r.
        assert list(search.run(name, oracle, runs=1, seed=14)[0].cells) == list(one[3].cells)


def test_a_history_is_the_run(bench_algos):
    oracle = search.Oracle(bench_algos[1], cost=100.0)
    (h,) = search.run("RS", oracle, runs=1, budget=1000.0)
    assert len(h) == 10 and list(h.times) == [100.0 * (k + 1) for k in range(10)]
    best = max(range(len(h)), key=lambda k: (h.fitness[k], -k))
    assert (h.chosen, h.chosen_fitness) == (h.cells[best], h.fitness[best])
    assert all(h.best[k] == h.cells[max(range(k + 1), key=lambda j: (h.fitness[j], -j))] for k in range(len(h)))


def test_the_clock_charges_one_trial_per_query(nats):
    ref, ours, cells = nats
    oracle = search.Oracle(ours)
    assert oracle.cells == cells and oracle.cost == "recorded"
    assert search.Oracle(str(SAMPLE)).default_budget == oracle.default_budget
    budget = oracle.budget(seed=3, budget=1e9)
    for cell in [0, ours.arch(11), nb102.Arch(284)]:
        before = budget.spent
        fitness = budget.query(cell)
        index = ours.query_index_by_arch(cell if not isinstance(cell, nb102.Arch) else cell.index)
        # One of the cell's trials: its x-valid accuracy after 12 epochs, charged its training time plus one
        # validation pass.
        trials = []
        for seed in [111, 777, 888, 999]:
            try:
                info = ref.get_more_info(index, "cifar10-valid", hp="12", is_random=seed)
            except (KeyError, ValueError):
                continue
            trials.append((info["valid-accuracy"], info["train-all-time"] + info["valid-per-time"]))
        charged = budget.spent - before
        assert any(fitness == f and charged == pytest.approx(c, rel=1e-12) for f, c in trials), (cell, trials)
    history = budget.history()
    assert budget.best == max(zip(history.cells, history.fitness), key=lambda p: p[1])
    with pytest.raises(ValueError, match="not in the benchmark file"):
        budget.query(1)


def test_a_query_past_the_budget_is_refused_and_not_charged(nats):
    oracle = search.Oracle(nats[1])
    budget = oracle.budget(seed=0, budget=1.0)
    assert budget.best is None and budget.history().chosen is None
    with pytest.raises(search.BudgetExhausted, match="would cost"):
        budget.query(0)
    assert budget.spent == 0.0 and budget.exhausted and len(budget.history()) == 0
    with pytest.raises(search.BudgetExhausted, match="spent"):
        budget.query(11)


class RandomCells:
    """A search of one's own: uniform cells of the file, from the run's seed."""

    def __init__(self, seed):
        self.random = random.Random(seed)
        self.seen = []

    def propose(self):
        return self.random.choice([0, 11, 284])

    def observe(self, cell, fitness):
        self.seen.append((cell, fitness))


def test_a_search_of_ones_own_runs_under_the_same_budget(nats):
    oracle = search.Oracle(nats[1])
    runs = search.run(RandomCells, oracle, runs=4, seed=5)
    assert runs[0].times[-1] <= oracle.default_budget
    again = search.run(RandomCells, oracle, runs=4, seed=5)
    assert [list(h.cells) for h in runs] == [list(h.cells) for h in again]
    # The proposals the search made are the queries charged, in order, until one was refused.
    for r, h in enumerate(runs):
        made = RandomCells(5 + r)
        expected = [made.propose() for _ in range(len(h))]
        assert list(h.cells) == expected
    # Its rows are computed as the baselines' are.
    table = search.table(nats[1], {"mine": runs})
    assert set(table) == {"mine", "optimal"}


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda o: search.run("DARTS", o), ValueError),
        (lambda o: search.run("RS", o, runs=-1), ValueError),
        (lambda o: search.run("RS", o, budget=-5.0), ValueError),
        (lambda o: search.run("RS", o, threads=0), ValueError),
        (lambda o: search.run("REINFORCE", o, reinforce_lr=0.0), ValueError),
        (lambda o: search.run(RandomCells, o, reinforce_lr=0.1), ValueError),
        (lambda o: search.Oracle(o, cost="free"), ValueError),
        (lambda o: search.Oracle(o, cost=-1.0), ValueError),
        (lambda o: search.Oracle(o, cost=[1]), TypeError),
        (lambda o: search.Oracle(o, setting="mnist"), ValueError),
        (lambda o: search.Oracle(o, setting="cifar100", hp=13), RuntimeError),
        (lambda o: search.Oracle(42), TypeError),
        (lambda o: search.Oracle(o).budget(0).query(None), TypeError),
        (lambda o: search.Oracle(o).budget(0).query(15625), ValueError),
        (lambda o: search.calibrate("/nonexistent"), OSError),
    ],
)
def test_bad_calls_say_what_was_expected(nats, call, error):
    with pytest.raises(error):
        call(nats[1])
