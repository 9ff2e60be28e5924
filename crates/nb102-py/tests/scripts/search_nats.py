"""A search written for nats_bench 1.8, as a researcher writes one: regularized evolution over a set of cells,
charged by simulate_train_eval, then the chosen cell's test accuracy and costs. It prints its trajectory as JSON.

    python search_nats.py ARCHIVE SEED CELL [CELL ...]

`tests/test_fresh_venv.py` runs it as it is against nats_bench, and with only the import line changed against
nb102 in a fresh venv holding nothing but the nb102 wheel.
"""
import json
import random
import sys

import nats_bench


def main():
    archive, seed, cells = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3:]]
    api = nats_bench.create(archive, "tss", fast_mode=True, verbose=False)
    random.seed(seed)
    population, history = [], []
    while len(history) < 40:
        if len(population) < 4:
            arch = random.choice(cells)
        else:
            parent = max(random.sample(population, 3), key=lambda x: x[1])[0]
            arch = random.choice([c for c in cells if c != parent])
        accuracy, latency, cost, total = api.simulate_train_eval(arch, "cifar10", hp=random.choice(["12", "200"]))
        population.append((arch, accuracy))
        history.append([arch, accuracy, latency, cost, total])
        if len(population) > 10:
            population.pop(0)
    best = max(history, key=lambda x: x[1])[0]
    info = api.get_more_info(best, "cifar10", hp="200", is_random=False)
    costs = api.get_cost_info(best, "cifar10", hp="200")
    results = api.query_by_index(best, "cifar100", hp="200")
    per_seed = {seed: r.get_eval("x-test")["accuracy"] for seed, r in results.items()}
    print(json.dumps({"history": history, "best": best, "arch": api.arch(best), "info": info, "costs": costs,
                      "cifar100_x_test": per_seed, "used_time": api.used_time}, sort_keys=True))


if __name__ == "__main__":
    main()
