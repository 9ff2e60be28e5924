#!/usr/bin/env python3
"""The reference's counterparts of `cargo xtask bench-store`, on the official sample records (nats-bench 1.8,
fast mode over the archive folder): creating the API, the first and later `get_more_info` of a cell, and
`find_best` over the loaded cells. Run by that task with the set-up venv.

    python store_reference.py NATS_ARCHIVE_DIR
"""
import resource
import statistics
import sys
import time

from nats_bench import create


def main():
    archive = sys.argv[1]
    start = time.perf_counter()
    api = create(archive, "tss", fast_mode=True, verbose=False)
    opened = (time.perf_counter() - start) * 1e3
    start = time.perf_counter()
    api.get_more_info(0, "cifar100", hp="200", is_random=False)
    first = (time.perf_counter() - start) * 1e6
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(1000):
            api.get_more_info(0, "cifar100", hp="200", is_random=False)
        samples.append((time.perf_counter() - start) * 1e6 / 1000)
    for index in (11, 284):
        api.get_more_info(index, "cifar100", hp="200", is_random=False)
    start = time.perf_counter()
    api.find_best("cifar10-valid", "x-valid", hp="12", enforce_all=False)
    best = (time.perf_counter() - start) * 1e3
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reference (nats-bench 1.8, official sample archive of 3 cells): create {opened:.1} ms; get_more_info "
          f"{first:.0f} µs on a cell's first query, {statistics.median(samples):.1f} µs warm; find_best over 3 cells "
          f"{best:.2f} ms; peak resident memory {rss:.0f} MB")


if __name__ == "__main__":
    main()
