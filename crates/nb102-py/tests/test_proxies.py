"""Zero-cost proxy scores from Python: NAS-Bench-Suite-Zero's real partial file, imported by `nb102 import
suite-zero`, read back through `nb102.Benchmark` and compared with the JSON as Python's own `json` reads it.

Data: `$NB102_REFERENCE_DIR/suite-zero-nb201-partial.json` (default `../shared/reference` beside the repository).
"""

import json
import math
import subprocess

import pytest

import nb102
from conftest import REFERENCE, ROOT

SUITE_ZERO = REFERENCE / "suite-zero-nb201-partial.json"
# NASLib's op order; its tuple positions are NAS-Bench-201's edges 1<-0, 2<-0, 3<-0, 2<-1, 3<-1, 3<-2 (spec 11.9).
NASLIB_OPS = ["skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3"]


def cell_string(tuple_text):
    t = [NASLIB_OPS[int(x)] for x in tuple_text.strip("()").split(",")]
    return f"|{t[0]}~0|+|{t[1]}~0|{t[3]}~1|+|{t[2]}~0|{t[4]}~1|{t[5]}~2|"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    if not SUITE_ZERO.is_file():
        pytest.skip(f"NAS-Bench-Suite-Zero's partial file is not at {SUITE_ZERO} (set NB102_REFERENCE_DIR)")
    prefix = tmp_path_factory.mktemp("proxies") / "zc"
    command = ["cargo", "run", "--quiet", "--package", "nb102-cli", "--bin", "nb102", "--", "import", "suite-zero"]
    out = subprocess.run(command + [str(SUITE_ZERO), "-o", str(prefix)], cwd=ROOT, check=True, capture_output=True)
    return nb102.Benchmark(out.stdout.decode().strip()), json.loads(SUITE_ZERO.read_text())


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def test_every_score_of_the_file_reads_back(imported):
    bench, data = imported
    columns = bench.proxy_columns()
    assert len(columns) == 36 and {c["batch_size"] for c in columns} == {32} and {c["variant"] for c in columns} == {"naslib"}
    checked = 0
    for dataset, cells in data.items():
        arrays = {}
        for tuple_text, record in cells.items():
            arch = cell_string(tuple_text)
            for name, field in record.items():
                if name in ("idx", "arch", "val_accuracy"):
                    continue
                assert same(bench.proxy(arch, name, setting=dataset), field["score"]), (dataset, tuple_text, name)
                if name not in arrays:
                    arrays[name] = bench.proxy_scores(name, setting=dataset)
                index = nb102.Arch(arch).index
                assert same(float(arrays[name][index]), field["score"])
                checked += 1
        for name, scores in arrays.items():
            assert len(scores) == nb102.NUM_ARCHS
            assert (~__import__("numpy").isnan(scores)).sum() <= len(cells)
    assert checked == 2173 * 12


def test_params_are_nas_bench_201_s_and_ambiguity_is_an_error(imported):
    bench, _ = imported
    assert [bench.proxy(4811, "params", setting=s) for s in ("cifar10", "cifar100", "ImageNet16-120")] == [
        0.615386,
        0.621236,
        0.622536,
    ]
    with pytest.raises(ValueError, match="expected one synflow column, found 3"):
        bench.proxy(4811, "synflow")
    with pytest.raises(ValueError, match="expected a proxy the file scores"):
        bench.proxy(4811, "zen", setting="cifar10")
    with pytest.raises(ValueError, match="expected a cell that"):
        bench.proxy(1, "synflow", setting="cifar10")
    with pytest.raises(ValueError, match="expected raw or naslib"):
        bench.proxy(4811, "synflow", setting="cifar10", variant="log")
