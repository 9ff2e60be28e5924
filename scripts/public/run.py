#!/usr/bin/env python3
"""Public scripts that need every cell, run against nats_bench 1.8 and, unchanged, on nb102: their outputs compared
line for line on a full-size archive in the official format (`full_archive.py`).

    .venv/bin/python scripts/public/run.py [--out DIR] [--jobs N] [SCRIPT...]

The scripts are `scripts/public/scripts/` (each with its source and licence): NATS-Bench's notebooks that query any
cell, and the multi-trial searches of AutoDL-Projects' `exps/NATS-algos`, with the arguments of its `run-all.sh`
and a seed. Each runs twice in a fresh process, `TORCH_HOME` holding the archive as the reference looks for it and
Python's `random` seeded 0 before the script starts (the notebooks draw unseeded): once as it is, once through
`nb102.run` (`python -m nb102.run`). Before comparing, what differs between any two runs is masked: times of day,
the run's own folder, real elapsed seconds; and one difference nb102 makes on purpose: every cell is available from
the start, so the API's repr and its creation line count 15,625 (`NATStopology(15625/15625 …`, `done with
15625/15625`) where the reference's fast mode counts the cells read so far. The archive is written once into `--out` (default `target/public-scripts`) and kept; so is nb102's import of
it, in nb102's cache.

Exit status 0 when every script printed the same with both, 1 otherwise (the first differing line is shown).
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPTS = {
    "nats_bench_find_largest.py": [],
    "nats_bench_issue_33.py": [],
    "nats_bench_random_search.py": [],
    "nats_bench_issue_7.py": [],
    "autodl_random_wo_share.py": ["--dataset", "cifar10", "--search_space", "tss", "--time_budget", "20000"],
    "autodl_regularized_ea.py": ["--dataset", "cifar100", "--search_space", "tss", "--time_budget", "40000",
                                 "--ea_cycles", "200", "--ea_population", "10", "--ea_sample_size", "3"],
    "autodl_reinforce.py": ["--dataset", "ImageNet16-120", "--search_space", "tss", "--time_budget", "120000",
                            "--learning_rate", "0.01"],
}
# How a script starts: `random` seeded, then the script as `python` runs it, or as `python -m nb102.run` does.
START = {
    "reference": "import random, runpy, sys; random.seed(0); sys.argv = sys.argv[1:]; "
                 "runpy.run_path(sys.argv[0], run_name='__main__')",
    "nb102": "import random, sys; random.seed(0); import nb102.run; nb102.run.main(sys.argv[1:])",
}
MASKS = [
    (re.compile(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]"), "[TIME]"),
    (re.compile(r"real[- ]cost=[\d.]+"), "real-cost=X"),
    (re.compile(r"NATStopology\(\d+/15625"), "NATStopology(N/15625"),
    (re.compile(r"done with \d+/15625 architectures"), "done with N/15625 architectures"),
]


def output(package, script, args, out):
    """What the script prints run with `package`, masked; its exit status."""
    work = out / "runs" / package
    work.mkdir(parents=True, exist_ok=True)
    if script.startswith("autodl_"):
        args = args + ["--rand_seed", "1", "--save_dir", str(work / "search")]
    env = dict(os.environ, TORCH_HOME=str(out))
    done = subprocess.run([sys.executable, "-c", START[package], str(HERE / "scripts" / script), *args],
                          capture_output=True, text=True, cwd=work, env=env)
    text = done.stdout.replace(str(work), "WORK")
    for pattern, mask in MASKS:
        text = pattern.sub(mask, text)
    return text.splitlines(), done.returncode, done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "target/public-scripts")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("scripts", nargs="*", default=list(SCRIPTS))
    args = parser.parse_args()
    unknown = [s for s in args.scripts if s not in SCRIPTS]
    if unknown:
        sys.exit("run.py: expected scripts among {}, found {}".format(", ".join(SCRIPTS), ", ".join(unknown)))
    out = args.out.resolve()
    if not (out / "NATS-tss-v1_0-3ffb9-simple" / "meta.pickle.pbz2").exists():
        print("writing the full-size archive into {} (once)".format(out), flush=True)
        subprocess.run([sys.executable, str(HERE / "full_archive.py"), str(out), "--jobs", str(args.jobs)], check=True)
    failed = 0
    for script in args.scripts:
        results = {}
        for package in ("reference", "nb102"):
            start = time.time()
            results[package] = output(package, script, SCRIPTS[script], out) + (time.time() - start,)
        (ref, ref_status, ref_err, ref_s), (ours, status, err, ours_s) = results["reference"], results["nb102"]
        same = ref == ours and ref_status == status
        print("{:32} {:5} lines  {:4}  reference {:6.1f} s, nb102 {:6.1f} s".format(
            script, len(ref), "same" if same else "DIFF", ref_s, ours_s), flush=True)
        if not same:
            failed += 1
            if ref_status != status:
                print("  exit status {} with the reference, {} with nb102\n  {}\n  {}".format(
                    ref_status, status, ref_err.strip()[-300:], err.strip()[-300:]))
            for k, (a, b) in enumerate(zip(ref + [""], ours + [""])):
                if a != b:
                    print("  line {}:\n    reference: {}\n    nb102:     {}".format(k + 1, a[:300], b[:300]))
                    break
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
