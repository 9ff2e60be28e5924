"""The reference packages' module names served by nb102's modules (``nb102.install_as``)."""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from typing import Dict

# Each reference package's modules (``""``: the package itself) and the nb102 module that answers for it.
PACKAGES: Dict[str, Dict[str, str]] = {
    "nats_bench": {
        "": "nb102.nats_bench",
        "api_utils": "nb102.api_utils",
        "api_topology": "nb102.api_topology",
        "api_size": "nb102.api_size",
        "genotype_utils": "nb102.genotype_utils",
    },
    "nas_201_api": {
        "": "nb102.nas_201_api",
        "api_utils": "nb102.api_utils",
        "api_201": "nb102.api_201",
    },
    "nas_102_api": {
        "": "nb102.nas_102_api",
        "api": "nb102.nas_102_api",
    },
}


class _Missing(importlib.abc.MetaPathFinder):
    """Says which module of an installed package nb102 lacks, instead of "'nats_bench' is not a package"."""

    def find_spec(self, fullname, path, target=None):
        package = fullname.split(".")[0]
        if "." in fullname and package in PACKAGES and sys.modules.get(package) is _facade(package):
            raise ModuleNotFoundError(
                "No module named {!r} in nb102's {:}: nb102 does not answer for it".format(fullname, package),
                name=fullname)
        return None


_FINDER = _Missing()


def _facade(package: str):
    return importlib.import_module(PACKAGES[package][""])


def install_as(name: str) -> None:
    """Serves ``import name`` and its submodules (``from nats_bench.api_utils import time_string``) with nb102, so
    that a script written for ``nats_bench`` or ``nas_201_api`` runs unchanged. Call it before anything imports
    ``name``. ``nas_102_api`` is the seed's v1.0 API (``nb102.nas_102_api``).

    Raises:
      ValueError: ``name`` is not ``nats_bench``, ``nas_201_api`` or ``nas_102_api``.
      ImportError: the real package is already imported in this process.
    """
    if name not in PACKAGES:
        raise ValueError("nb102.install_as: expected one of {}, found {!r}".format(", ".join(map(repr, PACKAGES)), name))
    modules = {(name + "." + sub if sub else name): importlib.import_module(target)
               for sub, target in PACKAGES[name].items()}
    for full, ours in modules.items():
        there = sys.modules.get(full)
        if there is not None and there is not ours:
            raise ImportError(
                "nb102.install_as({!r}): the real {:} is already imported (from {:}); install nb102 as {:} before "
                "anything imports it".format(name, full, getattr(there, "__file__", "?"), name),
                name=full,
            )
    sys.modules.update(modules)
    # A package's submodules are looked for only under a package: an empty path sends every other submodule's
    # import to `_Missing`, which names what is missing.
    modules[name].__path__ = []
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
