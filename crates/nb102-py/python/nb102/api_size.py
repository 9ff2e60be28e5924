"""``nats_bench.api_size``: the size search space's API (``NATSsize``) and what scripts import beside it."""

from __future__ import annotations

from ._compat import SIZE_BASE_NAMES as ALL_BASE_NAMES
from ._compat import NATSsize, _printer

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

__all__ = ["ALL_BASE_NAMES", "NATSsize", "print_information"]


print_information = _printer(NATSsize._METRIC2STR, valid_test=True)
