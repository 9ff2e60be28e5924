#!/usr/bin/env python3
"""nb102 from Python against nats_bench 1.8, timed in the same run (`cargo xtask bench-python` runs it).

    .venv/bin/python scripts/bench/python.py SAMPLE_DIR [FULL_FILE.nb102]

SAMPLE_DIR: the official NATS-Bench sample records (both packages read them). FULL_FILE: a full-size benchmark
file (15,625 cells, `cargo xtask bench-store` writes one) for what needs every cell: find_best over all cells,
REA and the full scan, in a fresh process each so that the resident memory is the scan's own.
"""
import json
import random
import resource
import subprocess
import sys
import time


def per_call(fn, n):
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def rea(api, cells, runs=500, budget=12000.0, seed=0):
    """The paper's regularized evolution (population 10, sample 3) under a simulated time budget, written for
    nats_bench; mutation picks a random edge and a different op."""
    random.seed(seed)
    ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    best = []
    for _ in range(runs):
        api.reset_time()
        population, history = [], []
        while api.used_time < budget:
            if len(population) < 10:
                arch = random.choice(cells)
            else:
                parent = max(random.sample(population, 3), key=lambda x: x[1])[0]
                nodes = api.str2lists(api[parent])
                edges = [(i, j) for i, node in enumerate(nodes) for j in range(len(node))]
                i, j = random.choice(edges)
                op = random.choice([o for o in ops if o != nodes[i][j][0]])
                nodes = [list(n) for n in nodes]
                nodes[i][j] = (op, nodes[i][j][1])
                arch = api.query_index_by_arch("+".join("|" + "|".join("{}~{}".format(o, k) for o, k in n) + "|" for n in nodes))
                if arch < 0 or arch not in cells_set:
                    continue
            accuracy, _, _, _ = api.simulate_train_eval(arch, "cifar10", hp="200")
            population.append((arch, accuracy))
            history.append((arch, accuracy))
            if len(population) > 10:
                population.pop(0)
        best.append(max(history, key=lambda x: x[1])[0])
    return best


def child(kind, path):
    """Runs in a fresh process: REA or the full scan on the full-size file, with its peak resident memory."""
    global cells_set
    import nb102

    api = nb102.create(path, "tss", fast_mode=True, verbose=False)
    cells = sorted(api.evaluated_indexes)
    cells_set = set(cells)
    t = time.perf_counter()
    if kind == "scan":
        for i in cells:
            api.get_more_info(i, "cifar100", hp="200", is_random=False)
    else:
        rea(api, cells)
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main():
    if sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    sample = sys.argv[1]
    full = sys.argv[2] if len(sys.argv) > 2 else None
    import nats_bench

    import nb102

    # nb102 imports an official archive once; create then opens the import, which is what is timed below.
    t = time.perf_counter()
    nb102.resolve(sample)
    print("nb102: the sample archive's import found or made in {:.3g} ms".format((time.perf_counter() - t) * 1e3))
    rows = []
    for name, module in [("nb102", nb102), ("nats_bench", nats_bench)]:
        t = time.perf_counter()
        api = module.create(sample, "tss", fast_mode=True, verbose=False)
        create = time.perf_counter() - t
        t = time.perf_counter()
        api.get_more_info(11, "cifar100", hp="200", is_random=False)
        first = time.perf_counter() - t
        for i in (0, 11, 284):
            api.get_more_info(i, "cifar10", hp="200")
        warm = per_call(lambda: api.get_more_info(11, "cifar100", hp="200", is_random=False), 2000)
        warm_random = per_call(lambda: api.get_more_info(11, "cifar100", hp="200"), 2000)
        cost = per_call(lambda: api.get_cost_info(11, "cifar100", "200"), 2000)
        simulate = per_call(lambda: api.simulate_train_eval(11, "cifar10", hp="200"), 2000)
        find = per_call(lambda: api.find_best("cifar10", "valid", hp="200", **({} if module is nb102 else {"enforce_all": False})), 20)
        rows.append((name, create, first, warm, warm_random, cost, simulate, find))
    print("| what | nb102 | nats_bench 1.8 |\n|---|---:|---:|")
    labels = ["create (sample archive; nb102: its cached import)", "get_more_info, a cell's first query",
              "get_more_info, warm (mean of seeds)", "get_more_info, warm (is_random=True)", "get_cost_info, warm",
              "simulate_train_eval, warm", "find_best over the 3 sample cells"]
    for k, label in enumerate(labels):
        a, b = rows[0][k + 1], rows[1][k + 1]
        unit, scale = ("ms", 1e3) if k in (0, 1, 6) else ("µs", 1e6)
        print("| {} | {:.3g} {} | {:.3g} {} |".format(label, a * scale, unit, b * scale, unit))
    if full:
        bench = nb102.Benchmark(full)
        t = time.perf_counter()
        bench.find_best("cifar10-valid", "x-valid", 200)
        print("| find_best over all 15,625 cells of the full-size file (first) | {:.3g} ms | |".format(
            (time.perf_counter() - t) * 1e3))
        for kind, label in [("rea", "REA in Python, 500 runs, full-size file"),
                            ("scan", "get_more_info on every cell of the full-size file")]:
            out = subprocess.run([sys.executable, __file__, "--child", kind, full], check=True, capture_output=True,
                                 text=True).stdout
            r = json.loads(out)
            print("| {} | {:.3g} s, peak {:.0f} MB resident | |".format(label, r["seconds"], r["rss_mb"]))


cells_set = set()
if __name__ == "__main__":
    main()
