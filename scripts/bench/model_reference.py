#!/usr/bin/env python3
"""The reference's training step, timed like `cargo bench -p nb102-model --bench train_step`.

xautodl 1.0.0's TinyNetwork (C=16, N=5), `torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=5e-4,
nesterov=True)`, cross-entropy, train mode: the step of `exps/NAS-Bench-201/functions.py procedure`
(zero_grad, forward, loss, backward, step) on one random batch already on the device.
Prints one JSON line: median seconds per step and of its phases.

    python model_reference.py --arch ARCH --classes 10 --size 32 --batch 256 --steps 10 --warmup 3 --threads 2 --device cpu
"""
import argparse
import json
import statistics
import time

import torch
from xautodl.models.cell_infers.tiny_network import TinyNetwork
from xautodl.models.cell_searchs.genotypes import Structure


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    net = TinyNetwork(16, 5, Structure.str2structure(args.arch), args.classes).to(device).train()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    criterion = torch.nn.CrossEntropyLoss()
    x = torch.randn(args.batch, 3, args.size, args.size, device=device)
    y = torch.randint(0, args.classes, (args.batch,), device=device)

    phases = {"step": [], "forward": [], "backward": [], "optimizer": []}
    for i in range(args.warmup + args.steps):
        sync()
        t0 = time.perf_counter()
        optimizer.zero_grad()
        _, logits = net(x)
        loss = criterion(logits, y)
        sync()
        t1 = time.perf_counter()
        loss.backward()
        sync()
        t2 = time.perf_counter()
        optimizer.step()
        sync()
        t3 = time.perf_counter()
        if i >= args.warmup:
            for key, value in zip(phases, (t3 - t0, t1 - t0, t2 - t1, t3 - t2)):
                phases[key].append(value)
    print(json.dumps({k: statistics.median(v) for k, v in phases.items()} | {"torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
