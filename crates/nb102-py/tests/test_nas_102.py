"""The seed's own API, `nas_102_api` v1.0: every snippet of its README, and the rest of its API, run unchanged through
`python -m nb102.run` on a v1.0-format file and per-cell files, print what the reference printed on them line for
line (failures included).

Data: `tests/data/nas102/`, made by `scripts/golden/nas_102_v1.py` with the reference's v1.0 classes and code
(D-X-Y/NAS-Bench-201 at e1f6f5b): the files, and the reference's transcript of `tests/scripts/nas_102_seed.py`.
"""

import bz2
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nb102

DATA = Path(__file__).parent / "data" / "nas102"
SCRIPT = Path(__file__).parent / "scripts" / "nas_102_seed.py"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder as the snippets expect it: the benchmark file, 000157-FULL.pth, and the archive folder."""
    pytest.importorskip("torch")
    pytest.importorskip("xautodl")
    work = tmp_path_factory.mktemp("nas102")
    archive = work / "NAS-BENCH-102-4-v1.0-archive"
    archive.mkdir()
    for name, folder in (("NAS-Bench-102-v1_0-e61699.pth", work), ("000157-FULL.pth", work),
                         ("000003-FULL.pth", archive)):
        (folder / name).write_bytes(bz2.decompress((DATA / (name + ".bz2")).read_bytes()))
    return work


def test_the_seeds_snippets_print_what_the_reference_printed(work):
    env = dict(os.environ, TORCH_HOME=str(work))
    ran = subprocess.run([sys.executable, "-m", "nb102.run", str(SCRIPT)], cwd=work, env=env, capture_output=True,
                         text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    expected = bz2.decompress((DATA / "transcript.txt.bz2").read_bytes()).decode().splitlines()
    # The folder is a temporary one in each run.
    ours = [re.sub(re.escape(str(work)), "WORK", line) for line in ran.stdout.splitlines()]
    expected = [re.sub(r"/tmp/\w+/work", "WORK", line) for line in expected]
    assert len(ours) == len(expected), (len(ours), len(expected))
    for k, (a, b) in enumerate(zip(ours, expected)):
        assert a == b, "line {}:\n ours: {}\n  ref: {}".format(k + 1, a[:400], b[:400])


def test_v1_defaults_to_200_epochs_and_v1_semantics(work):
    from nb102 import nas_102_api

    api = nas_102_api.NASBench102API(str(work / "NAS-Bench-102-v1_0-e61699.pth"), verbose=False)
    assert api.query_meta_info_by_index(157).get_comput_costs  # v1.0's spelling
    assert not hasattr(api.query_meta_info_by_index(157), "get_compute_costs")
    assert api.query_by_index(157, "cifar10-valid")[777].epochs == 200
    assert api.query_by_index(157, "cifar10-valid", True)[777].epochs == 12
    assert api.query_index_by_arch(157) == -1, "v1.0 takes no int"
    # Pickled as its file, with the cells reload read.
    api.reload(str(work / "NAS-BENCH-102-4-v1.0-archive"), 3)
    import pickle

    again = pickle.loads(pickle.dumps(api))
    assert sorted(again.get_net_param(3, "cifar10", None)) == [777, 888]
    with pytest.raises(AssertionError, match="invalid data path"):
        api.reload(str(work), 5)


def test_install_as_serves_nas_102_api():
    out = subprocess.run([sys.executable, "-c", "import nb102; nb102.install_as('nas_102_api'); import nas_102_api; "
                          "from nas_102_api.api import NASBench102API; print(nas_102_api.NAS_BENCH_102_API_VERSION, "
                          "NASBench102API is nb102.nas_102_api.NASBench102API)"], capture_output=True, text=True)
    assert out.stdout.split() == ["v1.0", "True"], out.stderr
