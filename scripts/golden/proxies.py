#!/usr/bin/env python3
"""Golden scores of the zero-cost proxies, made by the reference code on xautodl's networks.

    NB102_ORACLES_DIR=../shared/oracles .venv/bin/python scripts/golden/proxies.py [CASE...]

The reference code is not on PyPI: zero-cost-nas's `foresight` and NASLib's measures, read from NB102_ORACLES_DIR
(default ../shared/oracles next to the checkout; see its README). Nothing of it is copied here.

Per case: `torch.manual_seed(seed)`, then xautodl's `TinyNetwork` (or the size space's `DynamicShapeTinyNet` for a
channel string) with PyTorch's default initialisation, wrapped so that `forward` returns the logits and
`forward_before_global_avg_pool` the maps entering global pooling (NASLib's zen calls it); the batch x ~ N(0, 1),
y uniform over the classes, from `torch.manual_seed(batch_seed)`. Then, on that wrapper and batch:
- foresight's `find_measures(net, [(x, y)], ('random', 1, classes), cpu, measure_names=[its eight])`, and its
  `l2_norm` function called directly (`find_measures` cannot call it);
- NASLib's `find_measures` for jacov, epe_nas and nwot, each alone as NASLib's predictor calls it, and for zen with
  `torch.manual_seed(zen_seed)` right before;
- nwot_relu: NASLib's nwot with the `ReLUConvBN` wrappers excluded as NASLib excludes its own (`'naslib'` in the
  type's name), so only `nn.ReLU` modules are hooked.

Writes into crates/nb102-model/tests/data/proxies/: cases.json (per case: the network, the seeds, Σ|parameters|
as a check of identical weights, and every score as Python's repr, so that nan and -inf survive) and
<case>.batch.safetensors (`x`, `y`).

NASLib's `p_utils` imports a `models` package and its `predictive` imports tensorwatch (for flops and params,
unused here); neither is among the oracles, so both are stood in by empty modules.
"""
import json
import os
import sys
import types
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from xautodl.config_utils import dict2config
from xautodl.models import get_cell_based_tiny_net
from xautodl.models.cell_infers.tiny_network import TinyNetwork
from xautodl.models.cell_operations import ReLUConvBN
from xautodl.models.cell_searchs.genotypes import Structure

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nb102-model/tests/data/proxies"
ORACLES = Path(os.environ.get("NB102_ORACLES_DIR", ROOT.parent / "shared" / "oracles"))

FORESIGHT = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow", "synflow_bn"]
NASLIB = ["jacov", "epe_nas", "nwot"]
# The size space's fixed cell (exps/NATS-Bench/main-sss.py).
SIZE_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"

# name, arch, C, N, classes, input size, batch, seed, batch seed, zen seed
CASES = [
    # Spec 11.8: the ResNet-like cell 11472 at the benchmark's shape and batch.
    ("resnet-nb201", "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", 16, 5, 10, 32, 64, 0, 1, 2),
    # Only skips and pools at the benchmark's shape: no convolution inside the cells.
    ("pool-skip-nb201", "|avg_pool_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|skip_connect~0|avg_pool_3x3~1|skip_connect~2|", 16, 5, 10, 32, 16, 3, 4, 5),
    ("conv3x3", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", 8, 2, 10, 16, 16, 6, 7, 8),
    # Official cell 2000: node 2's convolutions reach the output only through none.
    ("dead-conv", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|", 4, 2, 10, 8, 8, 9, 10, 11),
    # Node 1 reaches the output only through none; node 2 through a 1x1 conv from the input; 100 classes.
    ("mostly-none", "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|skip_connect~2|", 4, 1, 100, 16, 8, 12, 13, 14),
    # Nothing reaches the output: the cells output zeros.
    ("all-none", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 4, 1, 10, 8, 8, 15, 16, 17),
    # 120 classes (ImageNet16-120's count): epe_nas's other formula, with classes of one image skipped.
    ("pool-mixed", "|avg_pool_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|", 6, 1, 120, 16, 12, 18, 19, 20),
    # The size space: widths change after the residual blocks (stride-1 FactorizedReduce on skip edges).
    ("size-mixed", "8:16:24:32:40", None, None, 10, 16, 16, 21, 22, 23),
]


def load_oracles():
    if not (ORACLES / "zero-cost-nas" / "foresight").is_dir():
        sys.exit(f"expected the reference code in {ORACLES} (set NB102_ORACLES_DIR), found none")
    sys.path.insert(0, str(ORACLES / "zero-cost-nas"))
    sys.path.insert(0, str(ORACLES / "naslib-zero-cost"))
    tensorwatch = types.ModuleType("tensorwatch")
    tensorwatch.ModelStats = None  # an annotation of model_stats.py
    sys.modules.setdefault("tensorwatch", tensorwatch)
    sys.modules.setdefault("naslib.predictors.utils.models", types.ModuleType("naslib.predictors.utils.models"))
    from foresight.pruners import predictive as foresight
    from foresight.pruners.measures import l2_norm as foresight_l2
    from naslib.predictors.utils.pruners import predictive as naslib

    return foresight, foresight_l2, naslib


class Logits(nn.Module):
    """The harnesses need `forward` to return the logits; zen needs the maps before global pooling."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[1]

    def forward_before_global_avg_pool(self, x):
        out = self.net.stem(x)
        for cell in self.net.cells:
            out = cell(out)
        return self.net.lastact(out)


def build(arch, C, N, classes):
    if ":" in arch:
        config = {"name": "infer.shape.tiny", "channels": arch, "genotype": SIZE_CELL, "num_classes": classes}
        return get_cell_based_tiny_net(dict2config(config, None))
    return TinyNetwork(C, N, Structure.str2structure(arch), classes)


def exclude_relu_conv_bn(net):
    """NASLib hooks modules whose type name has 'ReLU' and not 'naslib': give the wrappers such a name."""
    shim = type("ReLUConvBN", (ReLUConvBN,), {"__module__": "naslib_shim"})
    for m in net.modules():
        if type(m) is ReLUConvBN:
            m.__class__ = shim


def make_case(oracles, name, arch, C, N, classes, size, batch, seed, batch_seed, zen_seed):
    foresight, foresight_l2, naslib = oracles
    torch.manual_seed(seed)
    net = Logits(build(arch, C, N, classes))
    torch.manual_seed(batch_seed)
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, classes, (batch,))
    loader = [(x, y)]
    info = ("random", 1, classes)
    device = torch.device("cpu")
    scores = dict(foresight.find_measures(net, loader, info, device, measure_names=FORESIGHT))
    l2 = foresight_l2.get_l2_norm_array(net, x, y, mode="param")
    scores["l2_norm"] = sum(t.sum() for t in l2).item() if l2 else 0.0
    for measure in NASLIB:
        scores[measure] = naslib.find_measures(net, loader, info, device, F.cross_entropy, measure_names=[measure])
    torch.manual_seed(zen_seed)
    scores["zen"] = naslib.find_measures(net, loader, info, device, F.cross_entropy, measure_names=["zen"])
    relu_only = Logits(build(arch, C, N, classes))
    relu_only.load_state_dict(net.state_dict())
    exclude_relu_conv_bn(relu_only)
    scores["nwot_relu"] = naslib.find_measures(relu_only, loader, info, device, F.cross_entropy, measure_names=["nwot"])
    save_file({"x": x.contiguous(), "y": y.contiguous()}, OUT / f"{name}.batch.safetensors")
    abs_sum = sum(p.abs().sum().item() for p in net.net.state_dict().values() if p.is_floating_point())
    return {
        "name": name,
        "arch": arch,
        "channels": C,
        "cells": N,
        "classes": classes,
        "input": size,
        "batch": batch,
        "seed": seed,
        "batch_seed": batch_seed,
        "zen_seed": zen_seed,
        "abs_sum": abs_sum,
        "scores": {k: repr(float(v)) for k, v in scores.items()},
    }


def main(names):
    torch.set_num_threads(1)
    oracles = load_oracles()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "cases.json"
    done = {c["name"]: c for c in json.loads(path.read_text())} if path.exists() else {}
    for case in CASES:
        if names and case[0] not in names:
            continue
        done[case[0]] = make_case(oracles, *case)
        print(case[0], done[case[0]]["scores"], flush=True)
    order = [c[0] for c in CASES]
    cases = sorted(done.values(), key=lambda c: order.index(c["name"]))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cases, indent=1) + "\n")
    tmp.replace(path)


if __name__ == "__main__":
    main(sys.argv[1:])
