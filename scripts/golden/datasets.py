#!/usr/bin/env python3
"""Tiny CIFAR-10, CIFAR-100 and ImageNet16 folders in the pickled layouts of the real ones, for nb102-loader's tests.

    .venv/bin/python scripts/golden/datasets.py

The real batches are Python 2 pickles (protocol 2) of {'data': uint8 array (N, 3·side²), labels: [ints], ...},
with Python 2 strings for the keys and the array's bytes; `Py2Pickler` writes bytes that way (SHORT_BINSTRING /
BINSTRING) so these files have the same opcodes. Pixel (n, c, y, x) of batch b is (7·b + 5·n + 3·c + y + 2·x) mod
256; labels follow a fixed rule, written beside as expected.json, together with what each folder should load as.
Output: crates/nb102-loader/tests/data/{cifar-10-batches-py, cifar-100-python, ImageNet16}/, expected.json.
"""
import json
import pickle
import struct
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "crates/nb102-loader/tests/data"


class Py2Pickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj):
        n = len(obj)
        self.write((pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + struct.pack("<i", n)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def pixels(batch, n, side):
    c, y, x = np.meshgrid(np.arange(3), np.arange(side), np.arange(side), indexing="ij")
    rows = [((7 * batch + 5 * i + 3 * c + y + 2 * x) % 256).astype(np.uint8).reshape(-1) for i in range(n)]
    return np.stack(rows)


def write(path, batch, n, side, label_key, labels, extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {b"batch_label": b"batch %d" % batch, b"data": pixels(batch, n, side), label_key: labels, **extra}
    with open(path, "wb") as f:
        Py2Pickler(f, protocol=2).dump(record)


def main():
    expected = {}
    # CIFAR-10: 3 images per training batch, 4 in the test batch.
    for b in range(1, 6):
        write(OUT / f"cifar-10-batches-py/data_batch_{b}", b, 3, 32, b"labels", [(b + i) % 10 for i in range(3)],
              {b"filenames": [b"x.png"] * 3})
    write(OUT / "cifar-10-batches-py/test_batch", 0, 4, 32, b"labels", [i % 10 for i in range(4)], {})
    expected["cifar10"] = {"train": [(b + i) % 10 for b in range(1, 6) for i in range(3)], "test": [0, 1, 2, 3]}
    # CIFAR-100: fine labels are what counts (coarse ones differ on purpose).
    write(OUT / "cifar-100-python/train", 1, 5, 32, b"fine_labels", [90 + i for i in range(5)],
          {b"coarse_labels": [i for i in range(5)]})
    write(OUT / "cifar-100-python/test", 0, 2, 32, b"fine_labels", [99, 0], {b"coarse_labels": [1, 1]})
    expected["cifar100"] = {"train": [90, 91, 92, 93, 94], "test": [99, 0]}
    # ImageNet16: labels 1..1000, only 1..=120 kept (as 0..119).
    labels = {b: [1 + ((b * 37 + i * 61) % 200) for i in range(4)] for b in range(1, 11)}
    for b in range(1, 11):
        write(OUT / f"ImageNet16/train_data_batch_{b}", b, 4, 16, b"labels", labels[b], {b"mean": np.zeros(768)})
    write(OUT / "ImageNet16/val_data", 0, 4, 16, b"labels", [120, 121, 1, 500], {})
    kept = [(b, i, l - 1) for b in range(1, 11) for i, l in enumerate(labels[b]) if l <= 120]
    expected["imagenet16"] = {"train": [l for _, _, l in kept], "train_origin": [[b, i] for b, i, _ in kept],
                              "test": [119, 0], "test_origin": [[0, 0], [0, 2]]}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
