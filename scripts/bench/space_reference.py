#!/usr/bin/env python3
"""The reference's counterparts of `cargo xtask bench-space`, timed the same way (median of 31 passes
over all 15,625 cells, nanoseconds per call). Run by that task with the set-up venv.

- parse: xautodl `Structure.str2structure` (what `query_index_by_arch` and the search code call);
- index -> arch: `NASBench201API.arch(i)` = `copy.deepcopy(meta_archs[i])`;
- arch -> index: `NASBench201API.query_index_by_arch(structure)` = `archstr2index[structure.tostr()]`;
- string -> index: `archstr2index[s]` (exact strings only; other spellings give -1);
- arch -> string: `Structure.tostr()`.
"""
import copy
import statistics
import time
from pathlib import Path

from xautodl.models.cell_searchs.genotypes import Structure

ROOT = Path(__file__).resolve().parents[2]


def report(name, batch, n):
    samples = []
    for _ in range(31):
        start = time.perf_counter_ns()
        batch()
        samples.append((time.perf_counter_ns() - start) / n)
    print(f"{name:<34} {statistics.median(samples):>10.1f}")


def main():
    import random

    ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    archs = Structure.gen_all(ops, 4, False)
    random.seed(88)
    random.shuffle(archs)
    meta_archs = [a.tostr() for a in archs]
    archstr2index = {s: i for i, s in enumerate(meta_archs)}
    n = len(meta_archs)
    print(f"{'reference (Python ' + __import__('platform').python_version() + ')':<34} {'ns/call':>10}")
    report("parse official string", lambda: [Structure.str2structure(s) for s in meta_archs], n)
    report("index -> arch", lambda: [copy.deepcopy(meta_archs[i]) for i in range(n)], n)
    report("arch -> index", lambda: [archstr2index[a.tostr()] for a in archs], n)
    report("string -> index (parse + lookup)", lambda: [archstr2index[Structure.str2structure(s).tostr()] for s in meta_archs], n)
    report("arch -> string", lambda: [a.tostr() for a in archs], n)


if __name__ == "__main__":
    main()
