#!/usr/bin/env python3
"""Answers of the official NATS-Bench API (nats-bench 1.8) to many queries, for nb102's query tests.

    .venv/bin/python scripts/golden/query.py

Opens the NATS-like archive of crates/nb102-store/tests/data/nats-like (written by pickles.py) with
`nats_bench.create(dir, 'tss', fast_mode=True)` and records `get_more_info` (every setting, both schedules,
several epochs, each seed and the mean), `get_cost_info`, `find_best` (several limits) and `statistics` into
crates/nb102-api/tests/data/query-golden.json.bz2.
"""
import bz2
import json
from pathlib import Path

from nats_bench import create

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT / "crates/nb102-store/tests/data/nats-like"
OUT = ROOT / "crates/nb102-api/tests/data/query-golden.json.bz2"
DATASETS = ["cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"]


def main():
    api = create(str(ARCHIVE), "tss", fast_mode=True, verbose=False)
    more, costs = [], []
    for index in (7, 12):
        for hp, epochs, seeds in (("12", [None, 0, 5, 11], [111, 777]), ("200", [None, 0, 100, 199], [777, 888])):
            for dataset in DATASETS:
                for iepoch in epochs:
                    for seed in [None] + seeds:
                        info = api.get_more_info(index, dataset, iepoch=iepoch, hp=hp, is_random=False if seed is None else seed)
                        info.pop("comment", None)
                        more.append({"index": index, "dataset": dataset, "hp": int(hp), "iepoch": iepoch, "seed": seed, "info": info})
                costs.append({"index": index, "dataset": dataset, "hp": int(hp), "info": api.get_cost_info(index, dataset, hp)})
    best = []
    for dataset, metric in [("cifar10", "valid"), ("cifar10", "test"), ("cifar10", "train"), ("cifar100", "valid"), ("cifar100", "test"),
                            ("ImageNet16-120", "x-valid"), ("ImageNet16-120", "ori-test"), ("cifar10-valid", "x-valid")]:
        for hp in ("12", "200"):
            for flop_max, param_max in ((None, None), (None, 0.45), (10.0, None)):
                index, acc = api.find_best(dataset, metric, flop_max, param_max, hp=hp, enforce_all=False)
                best.append({"dataset": dataset, "metric": metric, "hp": int(hp), "flop_max": flop_max, "param_max": param_max,
                             "index": index, "accuracy": acc})
    stats = [{"dataset": d, "hp": int(hp), "counts": {str(k): v for k, v in api.statistics(d, hp).items()}}
             for d in DATASETS for hp in ("12", "200")]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(bz2.compress(json.dumps({"more_info": more, "cost_info": costs, "find_best": best, "statistics": stats}).encode()))


if __name__ == "__main__":
    main()
