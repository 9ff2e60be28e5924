#!/usr/bin/env python3
"""Golden digests of the NAS-Bench-201 search space, computed by the reference implementation.

Writes crates/nb102-space/tests/data/space-golden.txt, which the `official` integration test of
nb102-space compares against. Run with the set-up venv (xautodl==1.0.0 is installed by scripts/setup.sh):

    .venv/bin/python scripts/golden/space.py

The digests cover all 15,625 cells (official string, enumeration index, op digits, validity,
isomorphism class and the three to_unique_str modes) and the CIFAR-10 train/valid split. When the
spec's data folder is present (NB102_SPEC_DIR, default ../shared/spec beside the checkout), the rows are
also checked against nb201_meta_archs.txt, nb201_archs.tsv and splits/cifar-split.txt.
"""
import hashlib
import json
import os
import random
import sys
from pathlib import Path

from xautodl.models.cell_searchs.genotypes import Structure

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nb102-space/tests/data/space-golden.txt"
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def sha(lines):
    return hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()


def main():
    # exps/NAS-Bench-201/main.py generate_meta_info
    archs = Structure.gen_all(OPS, 4, False)
    enumeration = {a.tostr(): i for i, a in enumerate(archs)}
    random.seed(88)
    random.shuffle(archs)
    strings = [a.tostr() for a in archs]

    classes, rows = {}, []
    for index, arch in enumerate(archs):
        s = arch.tostr()
        unique = arch.to_unique_str(consider_zero=True)
        class_id = classes.setdefault(unique, len(classes))
        digits = "".join(str(OPS.index(op)) for node in arch.nodes for op, _ in node)
        rows.append(f"{index}\t{s}\t{enumeration[s]}\t{digits}\t{int(arch.check_valid())}\t{class_id}\t{unique}")

    random.seed(1021)
    indexes = list(range(50000))
    random.shuffle(indexes)
    train, valid = sorted(indexes[:25000]), sorted(indexes[25000:])
    split = ["train\t" + ",".join(map(str, train)), "valid\t" + ",".join(map(str, valid))]

    spec = Path(os.environ.get("NB102_SPEC_DIR", ROOT.parent / "shared/spec"))
    if (spec / "data").is_dir():
        data = spec / "data"
        assert strings == (data / "nb201_meta_archs.txt").read_text().splitlines(), "arch list differs from the spec"
        tsv = [line.split("\t")[:7] for line in (data / "nb201_archs.tsv").read_text().splitlines()[1:]]
        assert rows == ["\t".join(r) for r in tsv], "rows differ from nb201_archs.tsv"
        official = json.loads((data / "splits/cifar-split.txt").read_text())
        assert [int(i) for i in official["train"][1]] == train and [int(i) for i in official["valid"][1]] == valid
        print(f"checked against {data}", file=sys.stderr)

    golden = {
        "arch_list": sha(strings),
        "rows": sha(rows),
        "unique_true": sha(a.to_unique_str(consider_zero=True) for a in archs),
        "unique_false": sha(a.to_unique_str(consider_zero=False) for a in archs),
        "unique_none": sha(a.to_unique_str(consider_zero=None) for a in archs),
        "cifar10_split": sha(split),
    }
    header = "# sha256 digests written by scripts/golden/space.py (xautodl 1.0.0); see that script for the line formats\n"
    OUT.write_text(header + "".join(f"{k}\t{v}\n" for k, v in golden.items()))
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
