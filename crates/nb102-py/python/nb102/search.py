"""The multi-trial NAS baselines of NAS-Bench-201 under its simulated time budget, and the same budget for a search
of one's own.

The baselines (``'REA'``, ``'RS'``, ``'REINFORCE'``, ``'BOHB'``) are nb102's Rust searches, the ones
``cargo xtask bench-algos`` runs: with the same file, setting, cost, budget and seed they make the same runs, query
for query. Many runs go at once, on every core, with the GIL released::

    from nb102 import search

    oracle = search.Oracle(bench)                   # cifar10-valid after 12 epochs, each query charged its times
    runs = search.run('REA', oracle, runs=500)      # run r draws from seed + r
    runs[0].cells, runs[0].times, runs[0].fitness   # every query: cell, simulated seconds so far, fitness
    search.table(bench, {'REA': runs})              # the paper's table row: mean and std of the chosen cells

A search of one's own asks the same clock, so its row is computed exactly like the baselines'::

    budget = oracle.budget(seed=0)                  # 12,000 simulated seconds
    while True:
        cell = my_search.propose()
        try:
            fitness = budget.query(cell)            # one random trial's x-valid accuracy, its cost charged
        except search.BudgetExhausted:              # that query would exceed the budget: it is not made
            break
        my_search.observe(cell, fitness)
    history = budget.history()

or ``search.run(MySearch, oracle, runs=500)`` with a class (or any callable of the run's seed) whose objects have
``propose()`` and ``observe(cell, fitness)``.

A query costs what the file records for the trial (its training time plus one validation pass), or, for a file
without times (a table of final accuracies), a model: ``calibrate(DIR)`` fits one to the official complete records
of the NATS-Bench sample archive, as ``bench-algos --calibrate DIR`` does.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _native
from ._native import BudgetExhausted, calibrate

__all__ = ["ALGORITHMS", "Budget", "BudgetExhausted", "History", "Oracle", "calibrate", "run", "table"]

#: The baselines, by their names in the paper's tables (keys are case-insensitive).
ALGORITHMS = ("REA", "RS", "REINFORCE", "BOHB")


def _array(code: str, data: bytes) -> Any:
    """A numpy array of native int64 (``code`` ``'q'``) or float64 (``'d'``) bytes when numpy is installed, else
    the standard library's ``array``."""
    try:
        import numpy
    except ImportError:
        import array

        a = array.array(code)
        a.frombytes(data)
        return a
    return numpy.frombuffer(data, dtype=numpy.int64 if code == "q" else numpy.float64)


class History:
    """One search's queries, in order: ``cells`` (official indices), ``times`` (simulated seconds spent once each
    is charged), ``fitness`` (its answer) and ``best`` (the cell the search would answer with then); ``chosen``
    and ``chosen_fitness`` are the search's answer. Arrays are numpy's where numpy is installed."""

    __slots__ = ("cells", "times", "fitness", "best", "chosen", "chosen_fitness")

    def __init__(self, parts: Tuple[bytes, bytes, bytes, bytes, Optional[int], Optional[float]]) -> None:
        cells, times, fitness, best, self.chosen, self.chosen_fitness = parts
        self.cells, self.best = _array("q", cells), _array("q", best)
        self.times, self.fitness = _array("d", times), _array("d", fitness)

    def __len__(self) -> int:
        return len(self.cells)

    def __repr__(self) -> str:
        spent = self.times[-1] if len(self) else 0.0
        return "History({} queries, {:.1f} s, chosen={}, fitness={})".format(
            len(self), spent, self.chosen, self.chosen_fitness
        )


class Budget:
    """One search's simulated clock (``Oracle.budget``). ``query(cell)`` answers with the validation accuracy of
    one random trial of the cell and charges that trial's cost; a query that would take the clock past the
    budget raises ``BudgetExhausted`` and is not charged (random search's and regularized evolution's rule).
    A cell is an official index, an architecture string, an ``nb102.Arch`` or a structure with ``tostr()``."""

    __slots__ = ("_native",)

    def __init__(self, native: "_native.SearchBudget") -> None:
        self._native = native

    def query(self, cell: Any) -> float:
        if hasattr(cell, "tostr"):
            cell = cell.tostr()
        return self._native.query(cell)

    @property
    def spent(self) -> float:
        """Simulated seconds charged so far."""
        return self._native.spent

    @property
    def limit(self) -> float:
        """The budget, in simulated seconds."""
        return self._native.limit

    @property
    def remaining(self) -> float:
        """Simulated seconds left."""
        return self._native.limit - self._native.spent

    @property
    def exhausted(self) -> bool:
        """Whether the search is over: a query was refused, or no time is left."""
        return self._native.exhausted

    @property
    def best(self) -> Optional[Tuple[int, float]]:
        """The fittest cell queried (the first of equals) and its fitness; ``None`` before any query."""
        return self._native.best

    def history(self) -> History:
        """The charged queries so far."""
        return History(self._native.history())

    def __repr__(self) -> str:
        return "Budget({:.1f} of {:.1f} s spent, best={})".format(self.spent, self.limit, self.best)


class Oracle:
    """What a search's queries answer, over a benchmark (an ``nb102.Benchmark``, an API object of ``nb102.create``
    or ``NASBench201API``, or a path): the ``x-valid`` accuracy of ``setting`` after the last epoch of ``hp``, one
    random trial per query. By default the paper's ``cifar10-valid`` after 12 epochs (or, on a file without it,
    its first setting and shortest schedule).

    ``cost``: ``'recorded'`` (each trial's training time plus one validation pass, the default where the file has
    times), seconds per query, or ``(base, per_mflop)`` (from ``calibrate``).
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        bench: Any,
        setting: Optional[str] = None,
        hp: Union[int, str, None] = None,
        cost: Union[str, float, Tuple[float, float], None] = None,
    ) -> None:
        self._native = _native.SearchOracle(bench, setting, hp, cost)

    @property
    def setting(self) -> str:
        return self._native.setting

    @property
    def hp(self) -> int:
        return self._native.hp

    @property
    def cost(self) -> Union[str, Tuple[float, float]]:
        return self._native.cost

    @property
    def default_budget(self) -> float:
        """12,000 simulated seconds (the paper's), or three queries' worth on a file of fewer than 100 cells."""
        return self._native.default_budget

    @property
    def cells(self) -> Optional[List[int]]:
        """The cells the file holds, or ``None`` when it holds all 15,625."""
        return self._native.cells

    def budget(self, seed: int = 0, budget: Optional[float] = None) -> Budget:
        """A fresh clock of ``budget`` simulated seconds (``default_budget`` when ``None``) whose queries draw
        their trials from ``seed``."""
        return Budget(self._native.budget(seed, budget))

    def __repr__(self) -> str:
        return "Oracle(setting={!r}, hp={}, cost={!r})".format(self.setting, self.hp, self.cost)


def run(
    algorithm: Union[str, Callable[[int], Any]],
    oracle: Any,
    runs: int = 1,
    seed: int = 0,
    budget: Optional[float] = None,
    reinforce_lr: Optional[float] = None,
    threads: Optional[int] = None,
) -> List[History]:
    """``runs`` searches, run ``r`` seeded ``seed + r``, each within ``budget`` simulated seconds
    (``oracle.default_budget`` when ``None``).

    ``algorithm`` is a baseline's name (``ALGORITHMS``), run natively on ``threads`` threads (all cores by default)
    with the GIL released and equal to ``cargo xtask bench-algos`` run for run; or a callable of the run's seed (a
    class, say) that makes a search with ``propose()`` (the next cell) and ``observe(cell, fitness)``, run in
    Python against ``oracle.budget(seed + r, budget)`` until a query is refused. ``oracle`` is an ``Oracle`` or
    anything ``Oracle`` takes (then with its defaults).
    """
    if not isinstance(oracle, Oracle):
        oracle = Oracle(oracle)
    if runs < 0:
        raise ValueError("runs: expected zero or more, found {}".format(runs))
    if isinstance(algorithm, str):
        parts = oracle._native.run(algorithm, runs, seed, budget, reinforce_lr, threads)
        return [History(p) for p in parts]
    if reinforce_lr is not None:
        raise ValueError("reinforce_lr is an option of the REINFORCE baseline, not of a search of one's own")
    histories = []
    for r in range(runs):
        clock = oracle.budget(seed + r, budget)
        search = algorithm(seed + r)
        while True:
            cell = search.propose()
            try:
                fitness = clock.query(cell)
            except BudgetExhausted:
                break
            search.observe(cell, fitness)
        histories.append(clock.history())
    return histories


def table(bench: Any, results: Mapping[str, Sequence[Union[History, int]]]) -> Dict[str, Dict[str, Any]]:
    """The paper's table (NAS-Bench-201's Table 5) over ``bench``: per method of ``results`` (its runs'
    ``History``s, or the cells they chose), per column (``cifar10-valid``, ``cifar10-test``, ``cifar100-valid`` …
    as the file has them), the mean and standard deviation (ddof 0) of the chosen cells' seed-mean accuracies
    after the longest schedule, or ``None`` where a cell has none; then the ``optimal`` row (the best cell of
    each column, deviation 0). ``bench-algos`` computes its rows so."""
    native = _native.SearchTable(bench)
    columns = native.columns
    rows: Dict[str, Dict[str, Any]] = {}
    for name, items in results.items():
        chosen = [item.chosen if isinstance(item, History) else int(item) for item in items]
        if any(c is None for c in chosen):
            raise ValueError("{}: a run without a query has no chosen cell".format(name))
        rows[name] = dict(zip(columns, native.row(chosen)))
    rows["optimal"] = {c: None if v is None else (v, 0.0) for c, v in zip(columns, native.optimal())}
    return rows
