#!/usr/bin/env python3
"""The reference's training and evaluation loop on the CPU, for `cargo bench -p nb102-train --bench train_loop`.

    python train_reference.py ARCH_STR IMAGES THREADS WORKERS

xautodl's network, `torch.optim.SGD` (Nesterov, momentum 0.9, weight decay 5e-4), `CrossEntropyLoss`, and the
data pipeline of xautodl's `get_datasets` for CIFAR-10: PIL images through RandomHorizontalFlip, RandomCrop(32,
padding=4), ToTensor and Normalize in a DataLoader (batch 256, shuffled, WORKERS worker processes). The loop body is
`xautodl.procedures.funcs_nasbench.procedure` without its CUDA calls (zero_grad, forward, loss, backward, step,
top-1/top-5 and `loss.item()` per batch). IMAGES random CIFAR-shaped images; one training epoch and one evaluation
pass over them; prints images per second of each as JSON.
"""
import json
import sys
import time

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image
from xautodl.config_utils import dict2config
from xautodl.models import get_cell_based_tiny_net
from xautodl.models.cell_searchs.genotypes import Structure
from xautodl.procedures.eval_funcs import obtain_accuracy

MEAN = [x / 255 for x in [125.3, 123.0, 113.9]]
STD = [x / 255 for x in [63.0, 62.1, 66.7]]


class Images(torch.utils.data.Dataset):
    def __init__(self, data, labels, transform):
        self.data, self.labels, self.transform = data, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.data[i])), int(self.labels[i])


def main():
    arch, images, threads, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, size=(images, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=images)
    train = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(32, padding=4), T.ToTensor(), T.Normalize(MEAN, STD)])
    test = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
    train_loader = torch.utils.data.DataLoader(Images(data, labels, train), batch_size=256, shuffle=True,
                                               num_workers=workers, pin_memory=False)
    test_loader = torch.utils.data.DataLoader(Images(data, labels, test), batch_size=256, shuffle=False,
                                              num_workers=workers, pin_memory=False)
    torch.manual_seed(777)
    net = get_cell_based_tiny_net(dict2config({"name": "infer.tiny", "C": 16, "N": 5,
                                               "genotype": Structure.str2structure(arch), "num_classes": 10}, None))
    optimizer = torch.optim.SGD(net.parameters(), 0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    criterion = torch.nn.CrossEntropyLoss()

    net.train()
    start = time.perf_counter()
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        _, logits = net(inputs)
        loss = criterion(logits, targets)
        loss.backward()
        optimizer.step()
        obtain_accuracy(logits.data, targets.data, topk=(1, 5))
        loss.item()
    train_seconds = time.perf_counter() - start

    net.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for inputs, targets in test_loader:
            _, logits = net(inputs)
            criterion(logits, targets).item()
            obtain_accuracy(logits.data, targets.data, topk=(1, 5))
    eval_seconds = time.perf_counter() - start
    print(json.dumps({"train": images / train_seconds, "eval": images / eval_seconds}))


if __name__ == "__main__":
    main()
