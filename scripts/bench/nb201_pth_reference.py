#!/usr/bin/env python3
"""NAS-Bench-201 `.pth` files for `cargo xtask bench-import`, and the reference's cost of loading one.

    python nb201_pth_reference.py generate CELLS OUT   # a synthetic benchmark file of CELLS cells (torch.save, zip)
    python nb201_pth_reference.py load FILE            # torch.load + NASBench201API, time and peak memory

The file has the shape of NAS-Bench-201-v1_1-096897.pth, built with the real `nas-bench-201` package: per cell,
200-epoch trials on the four settings with seeds 777, 888 and 999 and 12-epoch trials with seed 111 (and 777 on
cifar10-valid), per-epoch train and eval curves with times, ori-test of the 200-epoch runs after the last epoch
only. The numbers are random: it is for timing software, never data.
"""
import random
import resource
import sys
import time

import torch
from nas_201_api import NASBench201API
from nas_201_api.api_utils import ArchResults, ResultsCount
from xautodl.models.cell_searchs.genotypes import Structure

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
SETS = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"],
        "cifar100": ["x-valid", "x-test", "ori-test"], "ImageNet16-120": ["x-valid", "x-test", "ori-test"]}
CLASSES = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}


def trial(rng, arch_str, dataset, seed, epochs):
    curve = lambda: {e: rng.uniform(10, 90) for e in range(epochs)}
    config = {"channel": 16, "num_cells": 5, "arch_str": arch_str, "class_num": CLASSES[dataset]}
    result = ResultsCount(dataset, None, curve(), curve(), rng.uniform(0.1, 1.5), rng.uniform(10, 200), config,
                          f"{seed:04d}", epochs, [rng.uniform(0.01, 0.03)])
    result.update_train_info(curve(), curve(), curve(), {e: rng.uniform(5, 20) for e in range(epochs)})
    keys = [f"{name}@{e}" for name in SETS[dataset] for e in range(epochs)
            if not (name == "ori-test" and epochs == 200 and e != epochs - 1)]
    result.eval_names = list(SETS[dataset])
    result.eval_acc1es = {k: rng.uniform(10, 90) for k in keys}
    result.eval_losses = {k: rng.uniform(0.2, 2.5) for k in keys}
    result.eval_times = {f"{name}@{e}": rng.uniform(0.5, 3) for name in SETS[dataset] for e in range(epochs)}
    return result


def generate(cells, out):
    archs = Structure.gen_all(OPS, 4, False)
    random.seed(88)
    random.shuffle(archs)
    meta = [a.tostr() for a in archs]
    rng = random.Random(1)
    arch2infos = {}
    for index in range(cells):
        hp = {}
        for key, epochs, seeds in (("full", 200, {d: [777, 888, 999] for d in SETS}),
                                   ("less", 12, {"cifar10-valid": [111, 777], "cifar10": [111], "cifar100": [111],
                                                 "ImageNet16-120": [111]})):
            results = ArchResults(index, meta[index])
            for dataset, xs in seeds.items():
                for seed in xs:
                    results.update(dataset, seed, trial(rng, meta[index], dataset, seed, epochs))
            hp[key] = results.state_dict()
        arch2infos[index] = hp
    torch.save({"meta_archs": meta, "total_archs": len(meta), "arch2infos": arch2infos,
                "evaluated_indexes": sorted(arch2infos)}, out)


def load(path):
    start = time.perf_counter()
    api = NASBench201API(torch.load(path, map_location="cpu", weights_only=False), verbose=False)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reference (nas-bench-201 2.1, torch.load + NASBench201API): {seconds:.1f} s, peak resident memory "
          f"{rss:.0f} MB, {len(api.evaluated_indexes)} cells")


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(int(sys.argv[2]), sys.argv[3])
    else:
        load(sys.argv[2])
