#!/usr/bin/env python3
"""Golden files of the NAS-Bench-201 network and the NATS-Bench size space's, made with the reference implementation
(xautodl 1.0.0: `TinyNetwork`, and `DynamicShapeTinyNet` for a case whose arch is a channel string).

    .venv/bin/python scripts/golden/model.py [CASE...]

Writes into crates/nb102-model/tests/data/:
- cases.tsv: one line per case: name, arch, C, N, classes, input size, batch, seed (C and N are `-` for a size-space
  network, whose widths are its channel string);
- <case>.weights.safetensors: a state dict (the seeded initial weights, then batch-norm statistics and
  affine parameters perturbed so that eval mode is not the identity);
- <case>.io.safetensors: `init.<key>` (the state dict right after `torch.manual_seed(seed)` and
  construction), `x` (an input batch), `eval.features` / `eval.logits` (eval mode, no grad),
  `train.features` / `train.logits` (train mode, from the same weights) and `train_state.<key>`
  (the buffers after that train-mode forward);
- tiny.weights.pt: the first case's weights written by `torch.save(state_dict)`;
- <case>.sgd.safetensors for the cases of SGD_CASES: `targets`, and the state dict after three training steps
  (train-mode forward, cross-entropy, `torch.optim.SGD(lr, momentum=0.9, weight_decay=5e-4, nesterov=True)`
  with the learning rates of SGD_LRS) from the case's weights on its `x`;
- statedict-keys-arch1-cifar10.txt: `key shape dtype` of the benchmark network of index 1, 10 classes;
- costs-golden.txt (in nb102-space's test data): sha256 of the params/FLOPs lines of all 15,625 cells on the three datasets (see `costs`).

Outputs differ from one CPU to another in their last float32 bits (oneDNN's kernels); the tests compare within
1e-5 of each tensor's scale. The committed files of the first six cases were written on an Intel Xeon, those of
dead-conv on an AMD EPYC, so every test run compares against another CPU's numbers on one of them; all-full was
added later (`model.py all-full`), on an AMD EPYC, and so were the size-space cases (`model.py size-mixed size-284
size-equal`).
"""
import hashlib
import os
import random
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from xautodl.config_utils import dict2config
from xautodl.models import get_cell_based_tiny_net
from xautodl.models.cell_infers.tiny_network import TinyNetwork
from xautodl.models.cell_searchs.genotypes import Structure
from xautodl.models.cell_searchs.genotypes import architectures as CELL_ARCHITECTURES
from xautodl.utils import get_model_infos

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nb102-model/tests/data"
# The cost model lives in the pure nb102-space, and so does its test.
COSTS_OUT = ROOT / "crates/nb102-space/tests/data"

# name, arch, C, N, classes, input size, batch, seed
CASES = [
    ("conv3x3", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", 4, 1, 10, 8, 4, 1),
    ("resnet", "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", 8, 2, 10, 16, 4, 2),
    ("skip-nb201", "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|", 16, 5, 10, 32, 2, 3),
    ("mostly-none", "|none~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|skip_connect~2|", 4, 1, 100, 16, 4, 4),
    ("all-none", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 4, 1, 10, 8, 4, 5),
    ("pool-mixed", "|avg_pool_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|", 6, 1, 120, 12, 3, 6),
    # Official cell 2000: node 2's convolutions reach the output only through `none` (x * 0), so their
    # parameters' gradient is zero and their batch norms still update.
    ("dead-conv", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|", 4, 1, 10, 8, 4, 7),
    # xautodl's `CellArchitectures['all_full']` (the seed's train-a-net.sh all_full): four layers on every edge.
    ("all-full", CELL_ARCHITECTURES["all_full"].tostr(), 4, 1, 10, 8, 4, 8),
    # The size space's infer.shape.tiny: both cells after a residual block change width (stride-1 FactorizedReduce on
    # the skip edge, node-0 convolutions from the input width) ...
    ("size-mixed", "8:16:24:32:40", "-", "-", 10, 16, 4, 9),
    # ... official index 284, as in the sample archive ...
    ("size-284", "8:8:40:32:40", "-", "-", 120, 16, 3, 10),
    # ... and none does (identity skip edges).
    ("size-equal", "24:32:32:16:16", "-", "-", 100, 8, 4, 11),
]
# The cases whose three SGD steps are written (<case>.sgd.safetensors).
SGD_CASES = ("conv3x3", "resnet", "dead-conv", "all-full", "size-mixed")
# The size space's fixed cell (exps/NATS-Bench/main-sss.py), topology index 9930.
SIZE_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def build(arch, C, N, classes):
    if ":" in arch:
        config = {"name": "infer.shape.tiny", "channels": arch, "genotype": SIZE_CELL, "num_classes": classes}
        return get_cell_based_tiny_net(dict2config(config, None))
    return TinyNetwork(C, N, Structure.str2structure(arch), classes)


def perturb(net, seed):
    """Non-trivial batch-norm statistics and affine parameters, drawn from a separate generator."""
    g = torch.Generator().manual_seed(1000 + seed)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("running_mean"):
                t.copy_(torch.randn(t.shape, generator=g) * 0.2)
            elif name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif name.endswith("num_batches_tracked"):
                t.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
            elif t.dim() == 1 and not name.startswith("classifier"):  # batch-norm weight or bias
                t.add_(torch.randn(t.shape, generator=g) * 0.1)


def make_case(name, arch, C, N, classes, size, batch, seed):
    torch.manual_seed(seed)
    net = build(arch, C, N, classes)
    init = {f"init.{k}": v.clone() for k, v in net.state_dict().items()}
    perturb(net, seed)
    weights = {k: v.clone().contiguous() for k, v in net.state_dict().items()}
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(2000 + seed))
    net.eval()
    with torch.no_grad():
        eval_features, eval_logits = net(x)
    net.train()
    with torch.no_grad():
        train_features, train_logits = net(x)
    state = {f"train_state.{k}": v.clone() for k, v in net.state_dict().items() if "running" in k or "num_batches" in k}
    io = {"x": x, "eval.features": eval_features, "eval.logits": eval_logits,
          "train.features": train_features, "train.logits": train_logits, **init, **state}
    save_file(weights, OUT / f"{name}.weights.safetensors")
    save_file({k: v.contiguous() for k, v in io.items()}, OUT / f"{name}.io.safetensors")
    return weights


SGD_LRS = [0.1, 0.05, 0.02]


def sgd_steps(name, arch, C, N, classes, size, batch, seed, weights):
    """The reference's training step (`exps/NAS-Bench-201/functions.py procedure`) three times."""
    net = build(arch, C, N, classes)
    net.load_state_dict(weights)
    net.train()
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(2000 + seed))
    targets = torch.randint(0, classes, (batch,), generator=torch.Generator().manual_seed(3000 + seed))
    optimizer = torch.optim.SGD(net.parameters(), lr=SGD_LRS[0], momentum=0.9, weight_decay=5e-4, nesterov=True)
    for lr in SGD_LRS:
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        _, logits = net(x)
        torch.nn.functional.cross_entropy(logits, targets).backward()
        optimizer.step()
    after = {f"after.{k}": v.clone().contiguous() for k, v in net.state_dict().items()}
    save_file({"targets": targets, **after}, OUT / f"{name}.sgd.safetensors")


def costs_digest():
    """sha256 of `index<TAB>params10<TAB>flops10<TAB>params100<TAB>flops100<TAB>params120<TAB>flops120` lines
    (6 and 5 decimals), taken from the spec's nb201_archs.tsv after checking 300 random rows against
    xautodl's get_model_infos (the closed form behind the table was checked on every row when it was made)."""
    spec = Path(os.environ.get("NB102_SPEC_DIR", ROOT.parent / "shared/spec")) / "data/nb201_archs.tsv"
    rows = [line.split("\t") for line in spec.read_text().splitlines()[1:]]
    lines = ["\t".join([r[0], *r[7:13]]) for r in rows]
    rng = random.Random(0)
    for r in rng.sample(rows, 300):
        for (classes, size), (p, f) in zip([(10, 32), (100, 32), (120, 16)], [(7, 8), (9, 10), (11, 12)]):
            flops, params = get_model_infos(build(r[1], 16, 5, classes), (1, 3, size, size))
            assert (f"{params:.6f}", f"{flops:.5f}") == (r[p], r[f]), (r[0], classes, params, flops)
    return hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()


def main(names):
    """Writes every file, or (given case names) only those cases' files, so that the committed files of the others
    keep the CPU they were written on."""
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "cases.tsv", "w") as f:
        f.write("# name\tarch\tC\tN\tclasses\tsize\tbatch\tseed (scripts/golden/model.py)\n")
        for case in CASES:
            f.write("\t".join(map(str, case)) + "\n")
            if names and case[0] not in names:
                continue
            weights = make_case(*case)
            if case[0] == "conv3x3":
                torch.save(weights, OUT / "tiny.weights.pt")
            if case[0] in SGD_CASES:
                sgd_steps(*case, weights)
    if names:
        return

    net = build("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", 16, 5, 10)
    keys = [f"{k} {tuple(v.shape)} {str(v.dtype).removeprefix('torch.')}" for k, v in net.state_dict().items()]
    (OUT / "statedict-keys-arch1-cifar10.txt").write_text("".join(k + "\n" for k in keys))

    header = "# sha256 written by scripts/golden/model.py (costs_digest)\n"
    (COSTS_OUT / "costs-golden.txt").write_text(header + f"costs\t{costs_digest()}\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
