#!/usr/bin/env python3
"""Golden files of the weight-sharing search models, made with the reference implementation (xautodl 1.0.0).

    .venv/bin/python scripts/golden/search_models.py

Writes into crates/nb102-model/tests/data/search/:
- cases.tsv: one line per case: name, xautodl model name, cell mode, track_running_stats, arch (or -), tau (or -),
  C, N, classes, input size, batch, seed;
- <case>.weights.safetensors: the model's state dict (the seeded initial weights, then `arch_parameters`,
  batch-norm statistics and affine parameters perturbed so that no mode is trivial);
- <case>.io.safetensors: `init.<key>` (the state dict right after `torch.manual_seed(seed)` and
  construction), `x` (an input batch), `logits` and `features` (train mode, no grad, as during search: batch
  statistics), and for GDAS `exponentials`, the Exp(1) draws its forward perturbs the logits with;
- controller.safetensors: ENAS's controller right after `torch.manual_seed(0)` (`init.<key>`), then, for the
  ops of CONTROLLER_OPS forced at each step, `log_prob` and `entropy`.

Outputs differ from one CPU to another in their last float32 bits; the tests compare within 1e-5 of each
tensor's scale.
"""
from pathlib import Path

import torch
from safetensors.torch import save_file
from xautodl.models import get_cell_based_tiny_net, get_search_spaces
from xautodl.models.cell_searchs.genotypes import Structure
from xautodl.models.cell_searchs.search_model_enas_utils import Controller

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nb102-model/tests/data/search"
SPACE = get_search_spaces("cell", "nas-bench-201")

# name, xautodl name, mode, track_running_stats, arch, tau, C, N, classes, size, batch, seed
CASES = [
    ("darts-bn", "DARTS-V1", "weighted", 1, None, None, 4, 1, 10, 8, 4, 11),
    ("darts-nobn", "DARTS-V2", "weighted", 0, None, None, 4, 2, 10, 8, 3, 12),
    ("gdas", "GDAS", "gumbel", 1, None, 1.0, 4, 1, 10, 8, 4, 13),
    ("gdas-none", "GDAS", "gumbel", 0, None, 10.0, 4, 1, 100, 8, 4, 14),
    ("setn-joint", "SETN", "weighted", 0, None, None, 4, 1, 10, 8, 4, 15),
    ("setn-path", "SETN", "path", 1, "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|none~2|", None, 4, 1, 10, 8, 4, 16),
    ("enas", "ENAS", "path", 1, "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|nor_conv_3x3~2|", None, 4, 1, 10, 8, 4, 17),
    ("rsps", "RANDOM", "path", 0, "|avg_pool_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|", None, 6, 1, 120, 12, 3, 18),
]
CONTROLLER_OPS = [3, 0, 4, 1, 2, 3]


def perturb(net, seed):
    g = torch.Generator().manual_seed(1000 + seed)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name == "arch_parameters":
                t.copy_(torch.randn(t.shape, generator=g) * 0.7)
            elif name.endswith("running_mean"):
                t.copy_(torch.randn(t.shape, generator=g) * 0.2)
            elif name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif name.endswith("num_batches_tracked"):
                t.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
            elif t.dim() == 1 and not name.startswith("classifier") and ".op.1." not in name:
                t.add_(torch.randn(t.shape, generator=g) * 0.1)


def make_case(name, model, mode, track, arch, tau, C, N, classes, size, batch, seed):
    torch.manual_seed(seed)
    net = get_cell_based_tiny_net(
        {"name": model, "C": C, "N": N, "max_nodes": 4, "num_classes": classes, "space": SPACE,
         "affine": False, "track_running_stats": bool(track)})
    io = {f"init.{k}": v.clone() for k, v in net.state_dict().items()}
    perturb(net, seed)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, OUT / f"{name}.weights.safetensors")
    g = torch.Generator().manual_seed(2000 + seed)
    x = torch.randn((batch, 3, size, size), generator=g)
    io["x"] = x
    if mode == "path":
        structure = Structure.str2structure(arch)
        if model == "SETN":
            net.set_cal_mode("dynamic", structure)
        elif model == "ENAS":
            net.update_arch(structure)
        else:
            net.arch_cache = structure
    elif model == "SETN":
        net.set_cal_mode("joint")
    original = torch.Tensor.exponential_
    if mode == "gumbel":
        net.set_tau(tau)
        draws = torch.empty(6, 5).exponential_(generator=g)
        io["exponentials"] = draws
        # The forward draws its Gumbel noise with `exponential_`; it gets these draws instead.
        torch.Tensor.exponential_ = lambda self, *a, **k: self.copy_(draws)
    net.train()
    try:
        with torch.no_grad():
            features, logits = net(x)
    finally:
        torch.Tensor.exponential_ = original
    io["features"], io["logits"] = features, logits
    save_file({k: v.contiguous() for k, v in io.items()}, OUT / f"{name}.io.safetensors")
    return "\t".join(str(v) for v in (name, model, mode, track, arch or "-", tau if tau is not None else "-",
                                      C, N, classes, size, batch, seed))


def make_controller():
    torch.manual_seed(0)
    controller = Controller(6, 5)
    out = {f"init.{k}": v.clone() for k, v in controller.state_dict().items()}
    ops = iter(CONTROLLER_OPS)
    original = torch.distributions.Categorical.sample
    torch.distributions.Categorical.sample = lambda self, *a: torch.full(self.logits.shape[:-1], next(ops), dtype=torch.long)
    try:
        log_prob, entropy, sampled = controller()
    finally:
        torch.distributions.Categorical.sample = original
    assert sampled == CONTROLLER_OPS, sampled
    out["log_prob"], out["entropy"] = log_prob.detach(), entropy.detach()
    save_file({k: v.contiguous() for k, v in out.items()}, OUT / "controller.safetensors")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [make_case(*case) for case in CASES]
    (OUT / "cases.tsv").write_text("\n".join(lines) + "\n")
    make_controller()


if __name__ == "__main__":
    main()
