"""What the compatibility tests share: the official NATS-Bench sample records opened by the reference and by nb102.

Data: `$NB102_REFERENCE_DIR/nats-tss-sample` (default `../shared/reference` beside the repository).
"""

import os
import tempfile
from pathlib import Path

import pytest

import nb102

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Path(os.environ.get("NB102_REFERENCE_DIR", ROOT / "../shared/reference"))
SAMPLE = REFERENCE / "nats-tss-sample"

# Imports go to a cache of this run, so that every run imports the archives afresh.
os.environ.setdefault("NB102_CACHE_DIR", tempfile.mkdtemp(prefix="nb102-cache-"))


@pytest.fixture(scope="module")
def nats():
    """`(nats_bench's API, nb102's, the sample's cells)` over the sample records."""
    if not SAMPLE.is_dir():
        pytest.skip("the official sample records are not at {} (set NB102_REFERENCE_DIR)".format(SAMPLE))
    nats_bench = pytest.importorskip("nats_bench")
    ref = nats_bench.create(str(SAMPLE), "tss", fast_mode=True, verbose=False)
    ours = nb102.create(str(SAMPLE), "tss", fast_mode=True, verbose=False)
    cells = [0, 11, 284]
    # The reference's fast mode lists only cells already read; read them all so that both list the same.
    for i in cells:
        ref.get_more_info(i, "cifar10", hp="200")
    return ref, ours, cells
