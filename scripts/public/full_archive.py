#!/usr/bin/env python3
"""A full-size NATS-Bench topology archive in the official format, for the public scripts that need every cell.

    .venv/bin/python scripts/public/full_archive.py OUT [--jobs N]

Writes `OUT/NATS-tss-v1_0-3ffb9-simple/`, the layout of the official fast-mode archive: `meta.pickle.pbz2`
(`meta_archs` in official order, `total_archs`, `arch2infos` None, `evaluated_indexes` empty, as the official meta
file) and one `{index:06d}.pickle.pbz2` per cell, `{'12': ArchResults, '200': ArchResults}` state dicts made and
written with nats_bench 1.8's own classes and `pickle_save`, with the official records' types (seeds as `'0777'`,
`params` numpy floats, `train_times` an OrderedDict).

The numbers are not the benchmark's training curves: each trial's last-epoch accuracies are the real per-cell means
of `$NB102_REFERENCE_DIR/nb201_groundtruth_merged.csv` (200 epochs: `x-valid`, `x-test` and `ori-test` of each
setting; 12 epochs: its 12-epoch means), earlier epochs a smooth curve to them; parameters and FLOPs are the
reference's (`$NB102_SPEC_DIR/data/nb201_archs.tsv`); times and latencies grow with FLOPs. One trial per schedule and
setting (seed 777 for 200 epochs, 111 for 12). A file the reference and nb102 read alike, so that scripts which query
any cell print the same with either.
"""
import argparse
import collections
import csv
import os
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from nats_bench.api_utils import ArchResults, ResultsCount, pickle_save

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("NB102_REFERENCE_DIR", ROOT.parent / "shared/reference"))
SPEC = Path(os.environ.get("NB102_SPEC_DIR", ROOT.parent / "shared/spec"))
NAME = "NATS-tss-v1_0-3ffb9-simple"
CLASSES = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
SETS = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"],
        "cifar100": ["x-valid", "x-test", "ori-test"], "ImageNet16-120": ["x-valid", "x-test", "ori-test"]}
COSTS = {"cifar10-valid": "cifar10", "cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "ImageNet16-120"}


# The table's columns of each schedule's last-epoch accuracies: cifar10-valid's x-valid and ori-test, cifar10's
# ori-test, cifar100's and ImageNet16-120's x-valid and x-test (their ori-test is the mean of the two halves).
COLUMNS = {
    200: ("c10valid_valid_200ep_mean", "c10valid_oritest_200ep_seed888", "c10_test_200ep_mean", "c100_valid_200ep_mean",
          "c100_test_200ep_mean", "in16_valid_200ep_mean", "in16_test_200ep_mean"),
    12: ("c10valid_valid_12ep", "c10_test_12ep", "c10_test_12ep", "c100_valid_12ep", "c100_test_12ep",
         "in16_valid_12ep", "in16_test_12ep"),
}


def finals(row, hp):
    """The last-epoch accuracies of each setting's sets, from the table's row."""
    valid, valid_test, test, c100_valid, c100_test, in16_valid, in16_test = (float(row[c]) for c in COLUMNS[hp])
    return {"cifar10-valid": {"x-valid": valid, "ori-test": valid_test},
            "cifar10": {"ori-test": test},
            "cifar100": {"x-valid": c100_valid, "x-test": c100_test, "ori-test": (c100_valid + c100_test) / 2},
            "ImageNet16-120": {"x-valid": in16_valid, "x-test": in16_test, "ori-test": (in16_valid + in16_test) / 2}}


def curve(final, epochs, start):
    """A rising curve from `start` to `final` over `epochs`, to four decimals."""
    return {e: round(final - (final - start) * (1 - (e + 1) / epochs) ** 2, 4) for e in range(epochs)}


def trial(arch_str, dataset, hp, seed, accuracies, params, flops):
    config = {"channel": 16, "num_cells": 5, "arch_str": arch_str, "class_num": CLASSES[dataset]}
    train_top1 = min(99.9, max(accuracies.values()) + 8.0)
    losses = {e: round(2.3 - 2.0 * (e + 1) / hp, 4) for e in range(hp)}
    result = ResultsCount(dataset, None, curve(train_top1, hp, 10.0), losses, np.float64(params), flops, config,
                          "{:04d}".format(seed), hp, [np.float64(round(0.004 + flops * 2e-5, 6))])
    epoch_time = round(4.0 + flops / 25.0, 4)
    times = collections.OrderedDict((e, epoch_time) for e in range(hp))
    result.update_train_info(curve(train_top1, hp, 10.0), curve(min(100.0, train_top1 + 5), hp, 40.0), losses, times)
    accs, eval_losses, eval_times = {}, {}, {}
    for name, final in accuracies.items():
        for e, acc in curve(final, hp, 10.0).items():
            key = "{}@{}".format(name, e)
            accs[key], eval_losses[key], eval_times[key] = acc, losses[e] + 0.1, round(1.0 + flops / 100.0, 4)
    result.update_eval(accs, eval_losses, eval_times)
    return result


def cell(job):
    index, arch_str, rows, costs, folder = job
    path = Path(folder) / "{:06d}.pickle".format(index)
    if path.with_name(path.name + ".pbz2").exists():
        return index
    data = {}
    for hp, seed in ((12, 111), (200, 777)):
        results = ArchResults(index, arch_str)
        for dataset, accuracies in finals(rows, hp).items():
            params, flops = costs[COSTS[dataset]]
            results.update(dataset, seed, trial(arch_str, dataset, hp, seed, accuracies, params, flops))
        data[str(hp)] = results.state_dict()
    # Written under a temporary name and renamed, so that a killed run leaves no half file to resume over.
    temporary = path.with_name("tmp-" + path.name)
    pickle_save(data, str(temporary))
    os.replace(str(temporary) + ".pbz2", str(path) + ".pbz2")
    return index


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    folder = args.out / NAME
    folder.mkdir(parents=True, exist_ok=True)
    with open(REFERENCE / "nb201_groundtruth_merged.csv") as f:
        table = {int(r["index"]): r for r in csv.DictReader(f)}
    spec = [line.split("\t") for line in (SPEC / "data/nb201_archs.tsv").read_text().splitlines()[1:]]
    archs = [r[1] for r in spec]
    costs = {int(r[0]): {"cifar10": (float(r[7]), float(r[8])), "cifar100": (float(r[9]), float(r[10])),
                         "ImageNet16-120": (float(r[11]), float(r[12]))} for r in spec}
    assert len(archs) == len(table) == 15625 and all(table[i]["arch_str"] == a for i, a in enumerate(archs))
    jobs = [(i, archs[i], table[i], costs[i], str(folder)) for i in range(len(archs))]
    with Pool(args.jobs) as pool:
        for done, _ in enumerate(pool.imap_unordered(cell, jobs, chunksize=64), 1):
            if done % 1000 == 0:
                print("{}/{} cells".format(done, len(jobs)), file=sys.stderr)
    meta = {"meta_archs": archs, "total_archs": len(archs), "arch2infos": None, "evaluated_indexes": set()}
    pickle_save(meta, str(folder / "meta.pickle"))
    print(folder)


if __name__ == "__main__":
    main()
