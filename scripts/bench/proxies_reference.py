#!/usr/bin/env python3
"""The reference code's zero-cost proxies, timed like `cargo bench -p nb102-model --bench proxies`.

xautodl 1.0.0's TinyNetwork wrapped to return logits (as scripts/golden/proxies.py), `torch.manual_seed(0)` before
building it, a batch x ~ N(0, 1), y uniform over the classes after `torch.manual_seed(1)`. Each proxy is timed alone
through its reference harness (foresight's `find_measures` for its eight measures, its `l2_norm` function, NASLib's
`find_measures` for jacov, epe_nas, nwot and zen), and the whole set as one pass over all of them, as a user of the
two packages computes them. Prints one JSON line: median seconds per proxy and for the whole set.

    NB102_ORACLES_DIR=../shared/oracles python proxies_reference.py --arch ARCH --batch 64 --repeats 3 --threads 2
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden"))
from proxies import FORESIGHT, NASLIB, Logits, build, load_oracles  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--proxies", default=",".join(FORESIGHT + ["l2_norm"] + NASLIB + ["zen"]))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    foresight, foresight_l2, naslib = load_oracles()
    torch.manual_seed(0)
    net = Logits(build(args.arch, 16, 5, args.classes))
    torch.manual_seed(1)
    x = torch.randn(args.batch, 3, args.size, args.size)
    y = torch.randint(0, args.classes, (args.batch,))
    loader, info, cpu = [(x, y)], ("random", 1, args.classes), torch.device("cpu")

    def score(proxy):
        if proxy in FORESIGHT:
            return foresight.find_measures(net, loader, info, cpu, measure_names=[proxy])[proxy]
        if proxy == "l2_norm":
            return sum(t.sum() for t in foresight_l2.get_l2_norm_array(net, x, y, mode="param")).item()
        return naslib.find_measures(net, loader, info, cpu, F.cross_entropy, measure_names=[proxy])

    proxies = args.proxies.split(",")

    def timed(run):
        samples = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    per_proxy = {p: timed(lambda p=p: score(p)) for p in proxies}
    # The whole set: foresight's measures in one call of its harness, the others each through theirs.
    in_foresight = [p for p in proxies if p in FORESIGHT]

    def whole():
        if in_foresight:
            foresight.find_measures(net, loader, info, cpu, measure_names=in_foresight)
        for p in proxies:
            if p not in FORESIGHT:
                score(p)

    print(json.dumps({"per_proxy": per_proxy, "all": timed(whole)}))


if __name__ == "__main__":
    main()
