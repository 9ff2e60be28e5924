#!/usr/bin/env python3
"""Golden files of the weight-sharing algorithms' steps, made with the reference implementation (xautodl 1.0.0,
PyTorch 2.11).

    .venv/bin/python scripts/golden/search_steps.py

The search models, optimisers and autograd are xautodl's and PyTorch's; the step bodies are those of the
reference's scripts (`exps/NAS-Bench-201-algos/DARTS-V1.py`, `DARTS-V2.py` with `backward_step_unrolled` and
`_hessian_vector_product`, `GDAS.py`, `SETN.py`, `RANDOM-NAS.py`, `ENAS.py` `train_shared_cnn` and
`train_controller`), with their random choices (paths, Gumbel draws, controller ops) fixed so that they can
be replayed. Writes into crates/nb102-weight-sharing/tests/data/:
- steps.tsv: one line per case: name, algorithm, track_running_stats, C, N, classes, input size, batch, seed,
  and the paths of the two steps (or -);
- <case>.io.safetensors: `init.<key>` (the seeded state dict), the batches `base{0,1}.x|y`, `arch{0,1}.x|y`,
  GDAS's Exp(1) draws `exp{0,1}{w,a}`, and `after.<key>`, the state dict after two steps from the seeded one
  (SGD lr 0.025, momentum 0.9, Nesterov, weight decay 5e-4; Adam lr 3e-4, betas (0.5, 0.999), weight decay 1e-3);
- controller.io.safetensors: ENAS's controller training: `init.<key>` (controller seeded with 3), the shared
  network `net.<key>` (ENAS model seeded with 4), batches `ctl{i}.x|y`, the ops forced at each of four samples
  (CONTROLLER_OPS), aggregated two by two with the epoch baseline 0.5, and `after.<key>`.
"""
from copy import deepcopy
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from xautodl.models import get_cell_based_tiny_net, get_search_spaces
from xautodl.models.cell_searchs.genotypes import Structure

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nb102-weight-sharing/tests/data"
SPACE = get_search_spaces("cell", "nas-bench-201")
LR, MOMENTUM, WD = 0.025, 0.9, 5e-4
PATHS = [
    "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|",
    "|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|",
]
# name, algorithm, xautodl model, track_running_stats, seed
CASES = [
    ("darts-v1", "darts-v1", "DARTS-V1", 1, 21),
    ("darts-v1-nobn", "darts-v1", "DARTS-V1", 0, 22),
    ("darts-v2", "darts-v2", "DARTS-V2", 1, 23),
    ("gdas", "gdas", "GDAS", 1, 24),
    ("setn", "setn", "SETN", 1, 25),
    ("rsps", "rsps", "RANDOM", 0, 26),
    ("enas-shared", "enas", "ENAS", 1, 27),
]
C, N, CLASSES, SIZE, BATCH = 4, 1, 10, 8, 4
CONTROLLER_OPS = [[3, 0, 4, 1, 2, 3], [1, 1, 2, 0, 4, 3], [4, 3, 3, 2, 0, 1], [0, 2, 1, 3, 3, 4]]


def build(model, track, seed):
    torch.manual_seed(seed)
    return get_cell_based_tiny_net(
        {"name": model, "C": C, "N": N, "max_nodes": 4, "num_classes": CLASSES, "space": SPACE,
         "affine": False, "track_running_stats": bool(track)})


def batches(g, io):
    for i in range(2):
        for part in ("base", "arch"):
            io[f"{part}{i}.x"] = torch.randn((BATCH, 3, SIZE, SIZE), generator=g)
            io[f"{part}{i}.y"] = torch.randint(0, CLASSES, (BATCH,), generator=g)


def concat(xs):
    return torch.cat([x.view(-1) for x in xs])


def hessian_vector_product(vector, network, criterion, base_inputs, base_targets, r=1e-2):
    R = r / concat(vector).norm()
    for p, v in zip(network.get_weights(), vector):
        p.data.add_(v, alpha=R)
    _, logits = network(base_inputs)
    grads_p = torch.autograd.grad(criterion(logits, base_targets), network.get_alphas())
    for p, v in zip(network.get_weights(), vector):
        p.data.sub_(v, alpha=2 * R)
    _, logits = network(base_inputs)
    grads_n = torch.autograd.grad(criterion(logits, base_targets), network.get_alphas())
    for p, v in zip(network.get_weights(), vector):
        p.data.add_(v, alpha=R)
    return [(x - y).div_(2 * R) for x, y in zip(grads_p, grads_n)]


def backward_step_unrolled(network, criterion, base_inputs, base_targets, w_optimizer, arch_inputs, arch_targets):
    _, logits = network(base_inputs)
    loss = criterion(logits, base_targets)
    LR_, WD_, momentum = (w_optimizer.param_groups[0][k] for k in ("lr", "weight_decay", "momentum"))
    with torch.no_grad():
        theta = concat(network.get_weights())
        try:
            moment = concat(w_optimizer.state[v]["momentum_buffer"] for v in network.get_weights())
            moment = moment.mul_(momentum)
        except Exception:
            moment = torch.zeros_like(theta)
        dtheta = concat(torch.autograd.grad(loss, network.get_weights())) + WD_ * theta
        params = theta.sub(moment + dtheta, alpha=LR_)
    unrolled_model = deepcopy(network)
    model_dict = unrolled_model.state_dict()
    new_params, offset = {}, 0
    for k, v in network.named_parameters():
        if "arch_parameters" in k:
            continue
        v_length = int(np.prod(v.size()))
        new_params[k] = params[offset: offset + v_length].view(v.size())
        offset += v_length
    model_dict.update(new_params)
    unrolled_model.load_state_dict(model_dict)
    unrolled_model.zero_grad()
    _, unrolled_logits = unrolled_model(arch_inputs)
    criterion(unrolled_logits, arch_targets).backward()
    dalpha = unrolled_model.arch_parameters.grad
    vector = [v.grad.data for v in unrolled_model.get_weights()]
    [implicit_grads] = hessian_vector_product(vector, network, criterion, base_inputs, base_targets)
    dalpha.data.sub_(implicit_grads.data, alpha=LR_)
    if network.arch_parameters.grad is None:
        network.arch_parameters.grad = deepcopy(dalpha)
    else:
        network.arch_parameters.grad.data.copy_(dalpha.data)


def make_case(name, algorithm, model, track, seed):
    net = build(model, track, seed)
    io = {f"init.{k}": v.clone() for k, v in net.state_dict().items()}
    g = torch.Generator().manual_seed(3000 + seed)
    batches(g, io)
    weights = net.get_weights() if hasattr(net, "get_weights") else list(net.parameters())
    w_opt = torch.optim.SGD(weights, LR, momentum=MOMENTUM, weight_decay=WD, nesterov=True)
    a_opt = (torch.optim.Adam(net.get_alphas(), lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
             if hasattr(net, "get_alphas") else None)
    criterion = torch.nn.CrossEntropyLoss()
    net.train()
    original = torch.Tensor.exponential_
    for i in range(2):
        base_x, base_y, arch_x, arch_y = (io[f"base{i}.x"], io[f"base{i}.y"], io[f"arch{i}.x"], io[f"arch{i}.y"])
        path = Structure.str2structure(PATHS[i])
        if algorithm == "darts-v1" or algorithm == "gdas":
            if algorithm == "gdas":
                net.set_tau(2.0)
                draws = [torch.empty(6, 5).exponential_(generator=g) for _ in range(2)]
                io[f"exp{i}w"], io[f"exp{i}a"] = draws
                queue = list(draws)
                torch.Tensor.exponential_ = lambda self, *a, **k: self.copy_(queue.pop(0))
            w_opt.zero_grad()
            _, logits = net(base_x)
            criterion(logits, base_y).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5)
            w_opt.step()
            a_opt.zero_grad()
            _, logits = net(arch_x)
            criterion(logits, arch_y).backward()
            a_opt.step()
            torch.Tensor.exponential_ = original
        elif algorithm == "darts-v2":
            a_opt.zero_grad()
            backward_step_unrolled(net, criterion, base_x, base_y, w_opt, arch_x, arch_y)
            a_opt.step()
            w_opt.zero_grad()
            _, logits = net(base_x)
            criterion(logits, base_y).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5)
            w_opt.step()
        elif algorithm == "setn":
            net.set_cal_mode("dynamic", path)
            net.zero_grad()
            _, logits = net(base_x)
            criterion(logits, base_y).backward()
            w_opt.step()
            net.set_cal_mode("joint")
            net.zero_grad()
            _, logits = net(arch_x)
            criterion(logits, arch_y).backward()
            a_opt.step()
        else:  # rsps and ENAS's shared weights: one path, clipped
            if algorithm == "rsps":
                net.arch_cache = path
            else:
                net.update_arch(path)
            w_opt.zero_grad()
            _, logits = net(base_x)
            criterion(logits, base_y).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5)
            w_opt.step()
    io.update({f"after.{k}": v.clone() for k, v in net.state_dict().items()})
    save_file({k: v.contiguous() for k, v in io.items()}, OUT / f"{name}.io.safetensors")
    return "\t".join(str(v) for v in (name, algorithm, track, C, N, CLASSES, SIZE, BATCH, seed, *PATHS))


def make_controller():
    shared = build("ENAS", 1, 4)
    torch.manual_seed(3)
    controller = shared.create_controller()
    io = {f"init.{k}": v.clone() for k, v in controller.state_dict().items()}
    io.update({f"net.{k}": v.clone() for k, v in shared.state_dict().items()})
    optimizer = torch.optim.Adam(controller.parameters(), lr=0.001, betas=(0.0, 0.999), eps=0.001)
    g = torch.Generator().manual_seed(4000)
    shared.eval()
    controller.train()
    controller.zero_grad()
    baseline_b, aggregate = 0.5, 2
    original = torch.distributions.Categorical.sample
    for step, ops in enumerate(CONTROLLER_OPS):
        x, y = torch.randn((BATCH, 3, SIZE, SIZE), generator=g), torch.randint(0, CLASSES, (BATCH,), generator=g)
        io[f"ctl{step}.x"], io[f"ctl{step}.y"] = x, y
        forced = iter(ops)
        torch.distributions.Categorical.sample = lambda self, *a: torch.full(self.logits.shape[:-1], next(forced), dtype=torch.long)
        log_prob, entropy, sampled_arch = controller()
        torch.distributions.Categorical.sample = original
        with torch.no_grad():
            shared.update_arch(sampled_arch)
            _, logits = shared(x)
            val_top1 = (logits.argmax(1) == y).float().sum().mul_(100.0 / BATCH).view(-1) / 100
        reward = val_top1 + 0.0001 * entropy
        baseline = baseline_b - (1 - 0.99) * (baseline_b - reward)
        loss = -1 * log_prob * (reward - baseline)
        (loss / aggregate).backward(retain_graph=True)
        if (step + 1) % aggregate == 0:
            torch.nn.utils.clip_grad_norm_(controller.parameters(), 5.0)
            optimizer.step()
            controller.zero_grad()
    io.update({f"after.{k}": v.clone() for k, v in controller.state_dict().items()})
    save_file({k: v.contiguous() for k, v in io.items()}, OUT / "controller.io.safetensors")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [make_case(*case) for case in CASES]
    (OUT / "steps.tsv").write_text("\n".join(lines) + "\n")
    make_controller()


if __name__ == "__main__":
    main()
