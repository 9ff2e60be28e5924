#!/usr/bin/env python3
"""Golden files of the NATS-Bench size space, made with the reference (xautodl 1.0.0 and the official archive's meta).

    .venv/bin/python scripts/golden/size_space.py

Writes crates/nb102-space/tests/data/size-golden.tsv:
- `meta_archs<TAB>sha256`: the digest of the 32,768 channel strings of the official meta file
  (`$NB102_REFERENCE_DIR/nats-sss-sample/meta.pickle.pbz2`), one per line in official order;
- one line per network of a seeded sample (the spec's test vectors and 150 random indices): `index`, `channels`, then
  `params_mb/flops_m` of xautodl's `get_model_infos` on `infer.shape.tiny` (`DynamicShapeTinyNet` with the fixed
  cell) for CIFAR-10, CIFAR-100 and ImageNet16-120, to six decimals.
"""
import bz2
import hashlib
import os
import pickle
import random
from pathlib import Path

from xautodl.config_utils import dict2config
from xautodl.models import get_cell_based_tiny_net
from xautodl.models.cell_searchs.genotypes import Structure
from xautodl.utils import get_model_infos

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("NB102_REFERENCE_DIR", ROOT.parent / "shared/reference"))
OUT = ROOT / "crates/nb102-space/tests/data/size-golden.tsv"
CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
SHAPES = [(10, 32), (100, 32), (120, 16)]


def main():
    with bz2.open(REFERENCE / "nats-sss-sample/meta.pickle.pbz2") as f:
        archs = pickle.load(f)["meta_archs"]
    digest = hashlib.sha256("".join(a + "\n" for a in archs).encode()).hexdigest()
    rng = random.Random(10)
    indices = sorted({0, 1, 7, 8, 11, 64, 284, 4681, 9362, 18724, 28672, 32760, 32767} | set(rng.sample(range(len(archs)), 150)))
    lines = ["# written by scripts/golden/size_space.py", "meta_archs\t" + digest]
    for index in indices:
        costs = []
        for classes, side in SHAPES:
            config = {"name": "infer.shape.tiny", "channels": archs[index], "genotype": Structure.str2structure(CELL),
                      "num_classes": classes}
            flops, params = get_model_infos(get_cell_based_tiny_net(dict2config(config, None)), (1, 3, side, side))
            costs.append("{:.6f}/{:.6f}".format(params, flops))
        lines.append("\t".join([str(index), archs[index], *costs]))
    OUT.write_text("".join(line + "\n" for line in lines))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
