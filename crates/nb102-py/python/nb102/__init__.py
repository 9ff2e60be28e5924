"""nb102: NAS-Bench-201 (NAS-Bench-102) in Rust, for Python.

Two ways in:

- drop-ins for the official APIs, so that a script changes one import line::

      import nb102 as nats_bench                  # was: import nats_bench
      api = nats_bench.create(path, 'tss', fast_mode=True, verbose=False)

      from nb102 import NASBench201API as API     # was: from nas_201_api import NASBench201API as API

  ``path`` may be an ``.nb102`` file, a NATS-Bench topology archive folder (``NATS-tss-v1_0-3ffb9-simple``) or a
  NAS-Bench-201 ``.pth`` file; official archives are imported once into ``nb102.cache_dir()``. The size search
  space is ``create(path, 'sss')`` over its archive folder (``NATS-sss-v1_0-50262-simple``) or ``.nb102`` file.

- the native API, where the schedule and the seed choice are always explicit::

      bench = nb102.Benchmark(path)
      bench.more_info(11472, 'cifar100', 200, seed='mean').valid.accuracy
      accs = bench.final_accuracies('cifar10-valid', 200, 'x-valid')   # numpy, one value per cell
      nb102.Benchmark(size_path).more_info('8:16:24:32:40', 'cifar100', 90, seed='mean')   # the size space
      bench.proxy(11472, 'synflow', setting='cifar10')                # zero-cost proxy scores, where the file
      synflow = bench.proxy_scores('synflow', setting='cifar10')      # holds them (nb102 import suite-zero, ...)

- ``nb102.search``: the multi-trial baselines (REA, RS, REINFORCE, BOHB) and a simulated budget for one's own
  search, as ``cargo xtask bench-algos`` runs them.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Union

from ._native import (
    NUM_ARCHS,
    NUM_SIZES,
    Arch,
    Channels,
    CostInfo,
    DamagedBenchmarkError,
    Metrics,
    MoreInfo,
    __version__,
    cache_dir,
    resolve,
)
from ._native import Benchmark as _NativeBenchmark
from ._aliases import install_as
from . import search
from ._compat import (ArchResults, NASBench201API, NATSsize, NATStopology, ResultsCount, create, search_space_info,
                      version)

__all__ = [
    "NUM_ARCHS",
    "NUM_SIZES",
    "Arch",
    "Channels",
    "ArchResults",
    "Benchmark",
    "CostInfo",
    "DamagedBenchmarkError",
    "Metrics",
    "MoreInfo",
    "NASBench201API",
    "NATSsize",
    "NATStopology",
    "ResultsCount",
    "__version__",
    "cache_dir",
    "create",
    "install_as",
    "load_state_dict_bytes",
    "resolve",
    "search",
    "search_space_info",
    "version",
]


def _numpy():
    try:
        import numpy
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("this nb102 function returns numpy arrays: pip install numpy (or nb102[numpy])") from e
    return numpy


def load_state_dict_bytes(data: bytes) -> Dict[str, Any]:
    """Tensors of a safetensors file's bytes, in the state dict's order (the metadata's ``order`` where an import
    kept it, else file order): torch tensors when torch is importable, else numpy."""
    import collections
    import json
    import struct

    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    metadata = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + size :]
    try:
        import torch
    except ImportError:
        torch = None
    np = _numpy()
    dtypes = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
              "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
    state = collections.OrderedDict()
    if "order" in metadata:
        names = json.loads(metadata["order"])
    else:
        names = sorted(header, key=lambda name: header[name]["data_offsets"][0])
    for name in names:
        info = header[name]
        start, end = info["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"]).copy()
        state[name] = torch.from_numpy(array) if torch is not None else array
    return state


class Benchmark(_NativeBenchmark):
    """An nb102 benchmark file opened for queries (see ``help(nb102._native.Benchmark)`` for every method).

    Adds the numpy-returning bulk queries and weights as tensors to the native class.
    """

    def __reduce__(self) -> Tuple[Any, Tuple[str]]:
        """Pickled (and copied) as its file, opened again on the other side (``multiprocessing``, ``deepcopy``)."""
        return (type(self), (str(self.path),))

    def final_accuracies(self, setting: str, hp: Union[int, str], set: str) -> Any:
        """Every architecture's seed-mean accuracy on ``set`` after the last epoch: a float64 array indexed by
        official index (15,625 values, or 32,768 in the size space), NaN where there are no such trials."""
        np = _numpy()
        accuracy, _, _ = self.cell_means_bytes(setting, set, hp)
        return np.frombuffer(accuracy, dtype="<f8")

    def costs(self, setting: str, hp: Union[int, str]) -> Tuple[Any, Any]:
        """Every architecture's seed-mean FLOPs and parameters (millions): two float64 arrays indexed by official
        index (15,625 values, or 32,768 in the size space), NaN where there are no such trials."""
        np = _numpy()
        _, flops, params = self.cell_means_bytes(setting, "x-valid" if setting == "cifar10-valid" else "ori-test", hp)
        return np.frombuffer(flops, dtype="<f8"), np.frombuffer(params, dtype="<f8")

    def proxy_scores(
        self,
        proxy: str,
        setting: Optional[str] = None,
        batch_size: Optional[int] = None,
        seed: Optional[int] = None,
        variant: Optional[str] = None,
    ) -> Any:
        """Every architecture's score in the one proxy-score column of ``proxy`` that the other arguments pick: a
        float64 array indexed by official index, NaN where the column scores no cell (``proxy_columns`` lists them;
        ``ValueError`` when none or several match)."""
        np = _numpy()
        return np.frombuffer(self.proxy_scores_bytes(proxy, setting, batch_size, seed, variant), dtype="<f8")

    def net_param(self, index: Union[int, str, Arch, Channels], setting: str, hp: Union[int, str], seed: int) -> Dict[str, Any]:
        """The trained weights of one seed's trial: the reference's state dict (torch tensors, or numpy)."""
        return load_state_dict_bytes(self.net_param_bytes(index, setting, hp, seed))
