"""``nats_bench`` 1.8's top level, answered by nb102 (``import nb102.nats_bench as nats_bench``, or unchanged
through ``nb102.install_as('nats_bench')`` and ``python -m nb102.run``)."""

from __future__ import annotations

from . import api_size, api_topology, api_utils, genotype_utils
from ._compat import NATS_BENCH_SSS_NAMEs, NATS_BENCH_TSS_NAMEs, create, search_space_info, version
from .api_size import NATSsize
from .api_topology import NATStopology
from .api_utils import ArchResults, ResultsCount, pickle_load, pickle_save

__all__ = [
    "NATS_BENCH_API_VERSIONs",
    "NATS_BENCH_SSS_NAMEs",
    "NATS_BENCH_TSS_NAMEs",
    "ArchResults",
    "NATSsize",
    "NATStopology",
    "ResultsCount",
    "api_size",
    "api_topology",
    "api_utils",
    "create",
    "genotype_utils",
    "pickle_load",
    "pickle_save",
    "search_space_info",
    "version",
]

# The versions of nats_bench's API, the last of which these modules answer as.
NATS_BENCH_API_VERSIONs = ["v1.0", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8"]
