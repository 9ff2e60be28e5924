"""What the compatibility tests share: the official NATS-Bench sample records opened by the reference and by nb102.

Data: `$NB102_REFERENCE_DIR/nats-tss-sample` and `nats-sss-sample` (default `../shared/reference` beside the
repository).
"""

import os
import tempfile
from pathlib import Path

import pytest

import nb102

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Path(os.environ.get("NB102_REFERENCE_DIR", ROOT / "../shared/reference"))
SAMPLE = REFERENCE / "nats-tss-sample"
SIZE_SAMPLE = REFERENCE / "nats-sss-sample"

# Imports go to a cache of this run, so that every run imports the archives afresh.
os.environ.setdefault("NB102_CACHE_DIR", tempfile.mkdtemp(prefix="nb102-cache-"))


def opened(sample, space, hp):
    """`(nats_bench's API, nb102's, the sample's architectures)` over the sample records of `space`."""
    if not sample.is_dir():
        pytest.skip("the official sample records are not at {} (set NB102_REFERENCE_DIR)".format(sample))
    nats_bench = pytest.importorskip("nats_bench")
    ref = nats_bench.create(str(sample), space, fast_mode=True, verbose=False)
    ours = nb102.create(str(sample), space, fast_mode=True, verbose=False)
    archs = [0, 11, 284]
    # The reference's fast mode lists only architectures already read; read them all so that both list the same.
    for i in archs:
        ref.get_more_info(i, "cifar10", hp=hp)
    return ref, ours, archs


@pytest.fixture(scope="module")
def nats():
    """The topology space's sample, opened by both (`opened`)."""
    return opened(SAMPLE, "tss", "200")


@pytest.fixture(scope="module")
def nats_size():
    """The size space's sample, opened by both (`opened`)."""
    return opened(SIZE_SAMPLE, "sss", "90")
