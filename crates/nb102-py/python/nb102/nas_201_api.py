"""``nas_201_api`` 2.1's top level, answered by nb102 (``import nb102.nas_201_api as nas_201_api``, or unchanged
through ``nb102.install_as('nas_201_api')`` and ``python -m nb102.run``)."""

from __future__ import annotations

from . import api_201, api_utils
from .api_201 import NASBench201API
from .api_utils import ArchResults, ResultsCount

__all__ = ["NAS_BENCH_201_API_VERSION", "ArchResults", "NASBench201API", "ResultsCount", "api_201", "api_utils"]

NAS_BENCH_201_API_VERSION = "v2.0"
