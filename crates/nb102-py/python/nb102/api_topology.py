"""``nats_bench.api_topology``: the topology search space's API (``NATStopology``) and what scripts import
beside it."""

from __future__ import annotations

from ._compat import ALL_BASE_NAMES, NATStopology, _printer

# What the reference's module imports, and scripts import from it.
from .api_utils import (  # noqa: F401
    PICKLE_EXT,
    ArchResults,
    NASBenchMetaAPI,
    get_torch_home,
    nats_is_dir,
    nats_is_file,
    pickle_load,
    time_string,
)
from .genotype_utils import topology_str2structure  # noqa: F401

__all__ = ["ALL_BASE_NAMES", "NATStopology", "print_information"]


print_information = _printer(NATStopology._METRIC2STR)
