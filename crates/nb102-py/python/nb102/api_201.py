"""``nas_201_api.api_201``: NAS-Bench-201's API (``NASBench201API``) and what scripts import beside it."""

from __future__ import annotations

from ._compat import ALL_BENCHMARK_FILES, NASBench201API, _printer

# What the reference's module imports, and scripts import from it.
from .api_utils import ArchResults, NASBenchMetaAPI, remap_dataset_set_names  # noqa: F401

__all__ = ["ALL_ARCHIVE_DIRS", "ALL_BENCHMARK_FILES", "NASBench201API", "print_information"]

ALL_ARCHIVE_DIRS = ["NAS-Bench-201-v1_1-archive"]

print_information = _printer(NASBench201API._METRIC2STR)
