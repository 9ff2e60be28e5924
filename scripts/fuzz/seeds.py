#!/usr/bin/env python3
"""Small seed inputs for the fuzz targets of crates/nb102-fuzz, written into crates/nb102-fuzz/seeds/<target>/.

    .venv/bin/python scripts/fuzz/seeds.py

Seeds are small (a fuzzer mutates small inputs faster and keeps the corpus in the repository small) and valid,
so that mutations start deep inside each reader:
- arch: the official spellings of a few cells, an index, a short spelling;
- nats_record, pickle: the 12-epoch half of the NATS-like fixture record (crates/nb102-store/tests/data/nats-like),
  and a meta file of a few strings; the pickle target also gets nb102-loader's pickled dataset batches;
- nb201_pth: a per-cell archive `{'full', 'less'}` of 4- and 2-epoch runs without weights, in both torch.save
  serializations, built by scripts/golden/nb201_pth.py's functions with the real nas-bench-201 package;
- csv_table: a table with NAS-Bench-201's columns and made-up numbers (the real table is never committed);
- dataset: one input per dataset file of crates/nb102-fuzz's folders, the first byte choosing the file (the
  order of `nb102_fuzz::dataset`), the rest its valid content.
benchmark_file and trial_file seeds are written by nb102 itself (scripts/fuzz/run.sh makes them).
"""
import bz2
import io
import pickle
import random
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "crates/nb102-fuzz/seeds"
sys.path.insert(0, str(ROOT / "scripts/golden"))
import nb201_pth  # noqa: E402


def write(target, name, data):
    (CORPUS / target).mkdir(parents=True, exist_ok=True)
    (CORPUS / target / name).write_bytes(data)


def main():
    for name, text in [("resnet", "|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~0|skip_connect~2|"),
                       ("official-1", nb201_pth.meta_archs()[1]), ("all-none", nb201_pth.meta_archs()[0]),
                       ("index", "11472"), ("short", "none~0++")]:
        write("arch", name, text.encode())
    fixture = ROOT / "crates/nb102-store/tests/data/nats-like"
    record = pickle.loads(bz2.decompress((fixture / "000007.pickle.pbz2").read_bytes()))
    less = pickle.dumps({"12": record["12"]}, protocol=4)
    write("nats_record", "record-12", less)
    write("pickle", "record-12", less)
    meta = pickle.dumps({"meta_archs": nb201_pth.meta_archs()[:3], "total_archs": 3}, protocol=4)
    write("nats_record", "meta-3", meta)
    write("pickle", "meta-3", meta)
    data = ROOT / "crates/nb102-loader/tests/data"
    for path in [data / "cifar-10-batches-py/test_batch", data / "cifar-100-python/test", data / "ImageNet16/val_data"]:
        write("pickle", f"{path.parent.name}-{path.name}", path.read_bytes())

    arch = nb201_pth.meta_archs()[7]
    rng = random.Random(7)
    plan = {"cifar10-valid": [777], "cifar100": [888]}
    cell = {"full": nb201_pth.arch_results(rng, 7, arch, 4, plan, True, False),
            "less": nb201_pth.arch_results(rng, 7, arch, 2, plan, False, False)}
    for zip_format, name in [(True, "cell-zip.pth"), (False, "cell-legacy.pth")]:
        buffer = io.BytesIO()
        torch.save(cell, buffer, _use_new_zipfile_serialization=zip_format)
        write("nb201_pth", name, buffer.getvalue())

    header = ("index,arch_str,c10valid_valid_200ep_mean,c10_test_200ep_mean,c100_valid_200ep_mean,c100_test_200ep_mean,"
              "in16_valid_200ep_mean,in16_test_200ep_mean,c10_test_12ep,c10valid_valid_12ep,c100_test_12ep,"
              "c100_valid_12ep,in16_test_12ep,in16_valid_12ep")
    rows = [f"{i},{nb201_pth.meta_archs()[i]}," + ",".join(f"{10 + i % 80 + k * 0.5:.2f}" for k in range(12))
            for i in (0, 7, 11472)]
    write("csv_table", "three-cells.csv", ("\n".join([header, *rows]) + "\n").encode())

    # The order of nb102_fuzz::dataset's files: the fixtures' folders (sorted names), then the generated ones.
    files = []
    for folder in ["cifar-10-batches-py", "cifar-100-python", "ImageNet16"]:
        files += sorted((data / folder).iterdir())
    for i, path in enumerate(files):
        write("dataset", f"{i:02d}-{path.parent.name}-{path.name}", bytes([i]) + path.read_bytes())
    print(f"wrote {CORPUS}", file=sys.stderr)


if __name__ == "__main__":
    main()
