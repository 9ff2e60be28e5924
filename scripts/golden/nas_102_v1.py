#!/usr/bin/env python3
"""NAS-Bench-102 v1.0 files and the v1.0 API's answers on them: the golden files of `nb102.nas_102_api`.

    NB102_NAS_BENCH_201_GIT=PATH .venv/bin/python scripts/golden/nas_102_v1.py

`NB102_NAS_BENCH_201_GIT` is a git directory of D-X-Y/NAS-Bench-201 (a clone, or the snapshot of
`fetch github:D-X-Y/NAS-Bench-201`); its commit e1f6f5b ("version 1.0") holds `nas_102_api`, the seed's API, which
is on no package index. Its two files are read from git into a temporary folder, never into this repository.

With v1.0's own `ArchResults` and `ResultsCount` (filled as `scripts/golden/nb201_pth.py` fills 2.1's: made-up
numbers, weights of xautodl's TinyNetwork), this writes into crates/nb102-py/tests/data/nas102/:

- NAS-Bench-102-v1_0-e61699.pth.bz2: a benchmark file in v1.0's layout `{meta_archs, arch2infos, evaluated_indexes}`
  (no `total_archs`) of cells 1 (the README's example: three trials per dataset, v1.0's pattern of evaluations
  without times), 2 (one trial, the same pattern), 157 (two trials, with times) and 12 (one, seed 888); the
  12-epoch trials on `cifar10-valid` only, as in v1.0's file;
- 000157-FULL.pth.bz2 and 000003-FULL.pth.bz2: per-cell archive files `{'full', 'less'}` with weights;
- transcript.txt.bz2: what `tests/scripts/nas_102_seed.py` (every snippet of v1.0's README, then the rest of its
  API) prints against the reference in a folder of those files.
"""
import bz2
import io
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nb201_pth  # noqa: E402  (the trials' maker, shared with the NAS-Bench-201 fixtures)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nb102-py/tests/data/nas102"
SCRIPT = ROOT / "crates/nb102-py/tests/scripts/nas_102_seed.py"
COMMIT = "e1f6f5b"
EXAMPLE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")


def reference(folder):
    """The v1.0 package, read from git into `folder`; imported."""
    git = os.environ.get("NB102_NAS_BENCH_201_GIT")
    if not git:
        sys.exit("set NB102_NAS_BENCH_201_GIT to a git directory of D-X-Y/NAS-Bench-201")
    package = Path(folder) / "nas_102_api"
    package.mkdir(parents=True)
    for name in ("__init__.py", "api.py"):
        text = subprocess.run(["git", "--git-dir", git, "show", "{}:nas_102_api/{}".format(COMMIT, name)],
                              check=True, capture_output=True).stdout
        (package / name).write_bytes(text)
    sys.path.insert(0, str(folder))
    import nas_102_api

    assert nas_102_api.NAS_BENCH_102_API_VERSION == "v1.0"
    return nas_102_api


def cell(v1, rng, index, arch_str, plans, old_style, weights):
    """`{'full': state, 'less': state}` of one cell: `plans` is (full plan, less plan), {dataset: seeds}."""
    classes = (v1.ArchResults, v1.ResultsCount)
    full = nb201_pth.arch_results(rng, index, arch_str, 200, plans[0], old_style, weights, classes)
    less = nb201_pth.arch_results(rng, index, arch_str, 12, plans[1], False, weights, classes)
    if old_style:
        # v1.0's pattern has no times at all: its trials were never given update_train_info's.
        for result in full.all_results.values():
            result.train_acc5es, result.train_times = None, None
    return {"full": full.state_dict(), "less": less.state_dict()}


def save(obj, path):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    path.write_bytes(buffer.getvalue())
    (OUT / (path.name + ".bz2")).write_bytes(bz2.compress(buffer.getvalue()))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        v1 = reference(tmp / "reference")
        archs = nb201_pth.meta_archs()
        rng = random.Random(102)
        each = lambda seeds: {d: list(seeds) for d in DATASETS}  # noqa: E731
        cells = {
            1: cell(v1, rng, 1, archs[1], (each([777, 888, 999]), {"cifar10-valid": [777, 888, 999]}), True, False),
            2: cell(v1, rng, 2, archs[2], (each([777]), {"cifar10-valid": [777]}), True, False),
            157: cell(v1, rng, 157, archs[157], (each([777, 888]), {"cifar10-valid": [777, 888]}), False, False),
        }
        cells[12] = cell(v1, rng, 12, archs[12], (each([888]), {"cifar10-valid": [888]}), False, False)
        assert archs.index(EXAMPLE) == 1, "the README's example is cell 1"
        work = tmp / "work"
        archive = work / "NAS-BENCH-102-4-v1.0-archive"
        archive.mkdir(parents=True)
        save({"meta_archs": archs, "arch2infos": cells, "evaluated_indexes": sorted(cells)},
             work / "NAS-Bench-102-v1_0-e61699.pth")
        save(cell(v1, rng, 157, archs[157], ({"cifar10-valid": [777], "cifar100": [777]},
                                             {"cifar10-valid": [777]}), False, True), work / "000157-FULL.pth")
        save(cell(v1, rng, 3, archs[3], ({"cifar10": [777, 888], "cifar10-valid": [777]},
                                         {"cifar10-valid": [777]}), False, True), archive / "000003-FULL.pth")
        env = dict(os.environ, TORCH_HOME=str(work), PYTHONPATH=str(tmp / "reference"))
        transcript = subprocess.run([sys.executable, str(SCRIPT)], cwd=work, env=env, check=True,
                                    capture_output=True, text=True).stdout
        (OUT / "transcript.txt.bz2").write_bytes(bz2.compress(transcript.encode()))
        print("{} lines of the reference's answers; fixtures in {}".format(transcript.count("\n"), OUT))


if __name__ == "__main__":
    main()
