#!/usr/bin/env python3
"""Small files in the NATS-Bench topology archive format, for the importer's tests.

    .venv/bin/python scripts/golden/pickles.py

Writes crates/nb102-store/tests/data/nats-like/{meta,000007,000012}.pickle.pbz2 and 000007.json.bz2 (bz2 keeps the repository small). The record is
built the way the reference's `ArchResults.state_dict()` is (OrderedDicts, numpy float64 params and flop,
int epoch keys, "<set>@<epoch>" eval keys, a (dataset, seed) tuple as key, `ori-test` only after the last
epoch of the 200-epoch runs while its times cover every epoch) with made-up numbers; the JSON holds the same numbers for the test to compare with. meta_archs is the official
list (xautodl's enumeration shuffled with seed 88).
"""
import bz2
import json
import pickle
import random
from collections import OrderedDict
from pathlib import Path

import numpy as np
from xautodl.models.cell_searchs.genotypes import Structure

OUT = Path(__file__).resolve().parents[2] / "crates/nb102-store/tests/data/nats-like"
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def result(arch_str, dataset, seed, epochs, offset, cost_shift):
    train = {e: 10.0 + 80.0 * e / epochs + offset for e in range(epochs)}
    sets = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"]}.get(dataset, ["x-valid", "x-test", "ori-test"])
    # As in the original 200-epoch runs, ori-test is evaluated only after the last epoch.
    evals = {f"{s}@{e}": 20.0 + 60.0 * e / epochs + i + offset for i, s in enumerate(sets) for e in range(epochs)
             if not (s == "ori-test" and epochs == 200 and e != epochs - 1)}
    return OrderedDict(
        name=dataset,
        train_acc1es=train,
        train_acc5es=None,
        train_losses={e: 2.0 - 1.5 * e / epochs - offset / 100 for e in range(epochs)},
        train_times=OrderedDict((e, 3.25) for e in range(epochs)),
        arch_config={"channel": 16, "num_cells": 5, "arch_str": arch_str, "class_num": {"cifar100": 100, "ImageNet16-120": 120}.get(dataset, 10)},
        # Costs depend on the cell and the dataset only, as in the real files (equal for every seed).
        params=np.float64(0.401306 + cost_shift),
        flop=np.float64(56.82841 + 100 * cost_shift),
        seed=f"{seed:04d}",
        epochs=epochs,
        latency=[0.0125],
        eval_names=sets,
        eval_acc1es=evals,
        # Times cover every epoch even where only the last epoch is evaluated, as the real pseudo times do.
        eval_times={f"{s}@{e}": 0.5 + i / 8 for i, s in enumerate(sets) for e in range(epochs)},
        eval_losses={k: 1.0 + v / 1000 for k, v in evals.items()},
        net_state_dict=None,
    )


def plain(v):
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, np.floating):
        return float(v)
    return v


def make_record(index, arch_str, shift):
    record = OrderedDict()
    for hp, seeds in (("12", [111, 777]), ("200", [777, 888])):
        epochs = int(hp)
        all_results = OrderedDict()
        datasets = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
        for i, (dataset, seed) in enumerate((d, s) for d in datasets for s in seeds):
            all_results[(dataset, seed)] = result(arch_str, dataset, seed, epochs, shift + i / 10, shift + len(dataset) / 1000)
        record[hp] = {
            "arch_index": index,
            "arch_str": arch_str,
            "all_results": all_results,
            "dataset_seed": {d: seeds for d in datasets},
            "clear_net_done": True,
        }
    return record


def main():
    archs = Structure.gen_all(OPS, 4, False)
    random.seed(88)
    random.shuffle(archs)
    meta_archs = [a.tostr() for a in archs]
    OUT.mkdir(parents=True, exist_ok=True)
    for index, shift in ((7, 0.0), (12, 0.05)):
        record = make_record(index, meta_archs[index], shift)
        (OUT / f"{index:06d}.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(record, protocol=4)))
        if index == 7:
            expected = {hp: {f"{d}@{s}": plain(r) for (d, s), r in rec["all_results"].items()} for hp, rec in record.items()}
            (OUT / f"{index:06d}.json.bz2").write_bytes(bz2.compress(json.dumps(expected).encode()))
    meta = {"meta_archs": meta_archs, "total_archs": len(meta_archs), "arch2infos": None, "evaluated_indexes": set()}
    (OUT / "meta.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(meta, protocol=4)))


if __name__ == "__main__":
    main()
