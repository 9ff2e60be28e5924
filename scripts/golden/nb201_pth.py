#!/usr/bin/env python3
"""Small NAS-Bench-201 `.pth` files in both torch.save serializations, and the official API's answers on them.

    .venv/bin/python scripts/golden/nb201_pth.py

Builds `ArchResults` / `ResultsCount` objects with the real `nas-bench-201` package (2.1) the way the
reference's `statistics.py` does (`update_train_info` + `update_eval` for runs with times, `update_OLD_eval`
for the v1_0 pattern where a set is evaluated only after the last epoch, weights from xautodl's
TinyNetwork), with made-up numbers, and writes into crates/nb102-store/tests/data/nb201/:

- bench-{zip,legacy}.pth.bz2: a benchmark file `{meta_archs, total_archs, arch2infos, evaluated_indexes}`
  of cells 7 and 12, without weights (as the released files are), saved with torch.save in the zip and
  the legacy serialization;
- cell-{zip,legacy}-FULL.pth.bz2: a per-cell archive file `{'full', 'less'}` of cell 7 with weights of a
  small network (C=4, N=1);
- expected.json.bz2: the same records as plain JSON, with each weight tensor's shape and the sha256 of its
  little-endian bytes;

and into crates/nb102-api/tests/data/nb201-golden.json.bz2 the answers of `nas_201_api.NASBench201API`
(get_more_info for every setting, both schedules, several epochs, each seed and the mean; get_cost_info;
find_best; get_net_config) on the benchmark file. bz2 keeps the repository small. `statistics` is left
out: the 2.1 API counts over all 15,625 cells and fails on a partial file.
"""
import bz2
import hashlib
import io
import json
import random
from pathlib import Path

import torch
from nas_201_api import NASBench201API
from nas_201_api.api_utils import ArchResults, ResultsCount
from xautodl.config_utils import dict2config
from xautodl.models import get_cell_based_tiny_net
from xautodl.models.cell_searchs.genotypes import Structure

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nb102-store/tests/data/nb201"
GOLDEN = ROOT / "crates/nb102-api/tests/data/nb201-golden.json.bz2"
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
CLASSES = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
SETS = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"],
        "cifar100": ["x-valid", "x-test", "ori-test"], "ImageNet16-120": ["x-valid", "x-test", "ori-test"]}


def meta_archs():
    archs = Structure.gen_all(OPS, 4, False)
    random.seed(88)
    random.shuffle(archs)
    return [a.tostr() for a in archs]


def trial(rng, arch_str, dataset, seed, epochs, old_style, weights, results_count=ResultsCount):
    """One ResultsCount (of the class `results_count`: nas_201_api's, or another version's of the same layout).
    old_style: v1_0's pattern (eval without times, ori-test only after the last epoch)."""
    curve = lambda lo, hi: {e: round(lo + (hi - lo) * e / epochs + rng.uniform(-1, 1), 2) for e in range(epochs)}
    losses = lambda: {e: round(2.3 - 1.8 * e / epochs + rng.uniform(-0.05, 0.05), 4) for e in range(epochs)}
    channels, cells = (4, 1) if weights else (16, 5)
    config = {"channel": channels, "num_cells": cells, "arch_str": arch_str, "class_num": CLASSES[dataset]}
    state = None
    if weights:
        torch.manual_seed(seed)
        net = get_cell_based_tiny_net(dict2config({"name": "infer.tiny", "C": channels, "N": cells,
                                                    "genotype": Structure.str2structure(arch_str),
                                                    "num_classes": CLASSES[dataset]}, None))
        state = net.state_dict()
    shift = len(arch_str) % 7 + len(dataset) / 10
    result = results_count(dataset, state, curve(10, 80), losses(), round(0.40 + shift / 100, 6),
                          round(56.8 + shift, 5), config, f"{seed:04d}", epochs, [0.0125 + shift / 1000])
    result.update_train_info(curve(10, 85), curve(30, 99), losses(), {e: 3.25 + shift for e in range(epochs)})
    if old_style:
        for name in SETS[dataset]:
            last_only = name == "ori-test" and epochs == 200
            accs, eval_losses = curve(20, 80), losses()
            if last_only:
                accs, eval_losses = {epochs - 1: accs[epochs - 1]}, {epochs - 1: eval_losses[epochs - 1]}
            result.update_OLD_eval(name, accs, eval_losses)
    else:
        keys = [f"{name}@{e}" for name in SETS[dataset] for e in range(epochs)]
        result.update_eval({k: round(rng.uniform(20, 80), 2) for k in keys},
                           {k: round(rng.uniform(0.5, 2.0), 4) for k in keys},
                           {k: 0.5 + len(k) / 16 for k in keys})
    return result


def arch_results(rng, index, arch_str, epochs, plan, old_style, weights, classes=(ArchResults, ResultsCount)):
    """One ArchResults of `plan` ({dataset: seeds}), of the classes `classes` (ArchResults, ResultsCount)."""
    results = classes[0](index, arch_str)
    for dataset, seeds in plan.items():
        for seed in seeds:
            results.update(dataset, seed, trial(rng, arch_str, dataset, seed, epochs, old_style, weights, classes[1]))
    return results


def cell(rng, index, arch_str, weights):
    if weights:
        full = {"cifar10-valid": [777], "cifar100": [777]}
        less = {"cifar10-valid": [777]}
    else:
        full = {"cifar10-valid": [777, 888], "cifar10": [777], "cifar100": [777], "ImageNet16-120": [777]}
        less = {"cifar10-valid": [777, 888], "cifar10": [111]}
    return {"full": arch_results(rng, index, arch_str, 200, full, index == 12, weights),
            "less": arch_results(rng, index, arch_str, 12, less, False, weights)}


def plain(value):
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def expected(cells):
    out = {}
    for index, arch in cells.items():
        for key, hp in (("less", "12"), ("full", "200")):
            for (dataset, seed), result in arch[key].all_results.items():
                record = {k: plain(v) for k, v in result.state_dict().items() if k != "net_state_dict"}
                if result.net_state_dict is not None:
                    record["weights"] = {name: [list(t.shape), hashlib.sha256(t.contiguous().numpy().tobytes()).hexdigest()]
                                         for name, t in result.net_state_dict.items()}
                out.setdefault(str(index), {}).setdefault(hp, {})[f"{dataset}@{seed}"] = record
    return out


def save(obj, name, zip_format):
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=zip_format)
    (OUT / name).write_bytes(bz2.compress(buffer.getvalue()))
    return buffer.getvalue()


def golden(raw):
    api = NASBench201API(torch.load(io.BytesIO(raw), map_location="cpu", weights_only=False), verbose=False)
    more, costs = [], []
    for index in (7, 12):
        for hp, epochs, plan in (("12", [None, 0, 5, 11], {"cifar10-valid": [777, 888], "cifar10": [111]}),
                                 ("200", [None, 0, 100, 199], {"cifar10-valid": [777, 888], "cifar10": [777],
                                                               "cifar100": [777], "ImageNet16-120": [777]})):
            for dataset, seeds in plan.items():
                for iepoch in epochs:
                    for seed in [None] + seeds:
                        try:
                            info = api.get_more_info(index, dataset, iepoch=iepoch, hp=hp,
                                                     is_random=False if seed is None else seed)
                        except Exception as err:  # the reference's own failures are part of the answer
                            info = {"error": type(err).__name__}
                        more.append({"index": index, "dataset": dataset, "hp": int(hp), "iepoch": iepoch,
                                     "seed": seed, "info": info})
                costs.append({"index": index, "dataset": dataset, "hp": int(hp),
                              "info": api.get_cost_info(index, dataset, hp)})
    best = []
    for dataset, metric, hp in [("cifar10-valid", "x-valid", "12"), ("cifar10-valid", "x-valid", "200"),
                                ("cifar10", "ori-test", "200"), ("cifar100", "x-valid", "200"),
                                ("cifar100", "x-test", "200"), ("ImageNet16-120", "x-valid", "200"),
                                ("cifar10-valid", "train", "12")]:
        for flop_max, param_max in ((None, None), (None, 0.45), (58.0, None)):
            index, acc = api.find_best(dataset, metric, flop_max, param_max, hp=hp)
            best.append({"dataset": dataset, "metric": metric, "hp": int(hp), "flop_max": flop_max,
                         "param_max": param_max, "index": index, "accuracy": acc})
    config = [{"index": i, "dataset": d, "config": api.get_net_config(i, d)}
              for i in (7, 12) for d in ("cifar10-valid", "cifar10")]
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_bytes(bz2.compress(json.dumps({"more_info": more, "cost_info": costs, "find_best": best,
                                                "net_config": config}).encode()))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    archs = meta_archs()
    rng = random.Random(201)
    cells = {index: cell(rng, index, archs[index], weights=False) for index in (7, 12)}
    bench = {"meta_archs": archs, "total_archs": len(archs),
             "arch2infos": {i: {"full": c["full"].state_dict(), "less": c["less"].state_dict()} for i, c in cells.items()},
             "evaluated_indexes": sorted(cells)}
    raw = save(bench, "bench-zip.pth.bz2", True)
    save(bench, "bench-legacy.pth.bz2", False)
    full = cell(rng, 7, archs[7], weights=True)
    per_cell = {"full": full["full"].state_dict(), "less": full["less"].state_dict()}
    save(per_cell, "cell-zip-FULL.pth.bz2", True)
    save(per_cell, "cell-legacy-FULL.pth.bz2", False)
    records = {"bench": expected(cells), "cell": expected({7: full})}
    (OUT / "expected.json.bz2").write_bytes(bz2.compress(json.dumps(records).encode()))
    golden(raw)


if __name__ == "__main__":
    main()
