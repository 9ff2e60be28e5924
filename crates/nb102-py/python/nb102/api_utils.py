"""``nats_bench.api_utils`` and ``nas_201_api.api_utils``: the helpers scripts import from the reference's utility
module, and its result classes (``ArchResults``, ``ResultsCount``) and API base class (``NASBenchMetaAPI``).

``pickle_save`` and ``pickle_load`` read and write bz2-compressed pickles as the reference does (the NATS-Bench
archives' format); the file-system switch knows the reference's ``default`` and ``google`` libraries.
"""

from __future__ import annotations

import bz2
import os
import pickle
import time
from typing import Any, Sequence, Tuple

from ._compat import _API as NASBenchMetaAPI
from ._compat import ArchResults, ResultsCount

__all__ = [
    "PICKLE_EXT",
    "ArchResults",
    "NASBenchMetaAPI",
    "ResultsCount",
    "get_file_system",
    "get_torch_home",
    "mean",
    "nats_is_dir",
    "nats_is_file",
    "pickle_load",
    "pickle_save",
    "remap_dataset_set_names",
    "reset_file_system",
    "time_string",
]

PICKLE_EXT = "pickle.pbz2"
_FILE_SYSTEMS = ("default", "google")
_file_system = "default"


def mean(xlist: Sequence[float]) -> float:
    """The arithmetic mean, summed left to right as the reference sums it."""
    return sum(xlist) / len(xlist)


def time_string() -> str:
    """The current UTC time as the reference's logs print it: ``[2021-03-17 10:00:00]``."""
    return "[{:}]".format(time.strftime("%Y-%m-%d %X", time.gmtime(time.time())))


def reset_file_system(lib: str = "default") -> None:
    """Chooses the library files are read with: ``default`` (the OS) or ``google`` (``tf.io.gfile``)."""
    global _file_system
    _file_system = lib


def get_file_system() -> str:
    """The library files are read with (``reset_file_system``)."""
    return _file_system


def _checked_file_system() -> str:
    if _file_system not in _FILE_SYSTEMS:
        raise ValueError("Unknown file system lib: {:}".format(_file_system))
    return _file_system


def get_torch_home() -> str:
    """``$TORCH_HOME``, else ``$HOME/.torch``: where the reference looks for its benchmark files."""
    if "TORCH_HOME" in os.environ:
        return os.environ["TORCH_HOME"]
    if "HOME" in os.environ:
        return os.path.join(os.environ["HOME"], ".torch")
    raise ValueError(
        "Did not find HOME in os.environ. Please at least setup the path of HOME or TORCH_HOME in the environment."
    )


def nats_is_dir(file_path: Any) -> bool:
    """Whether ``file_path`` is a folder, on the chosen file system."""
    if _checked_file_system() == "google":
        import tensorflow as tf

        return tf.io.gfile.isdir(file_path)
    return os.path.isdir(file_path)


def nats_is_file(file_path: Any) -> bool:
    """Whether ``file_path`` is a file, on the chosen file system."""
    if _checked_file_system() == "google":
        import tensorflow as tf

        return tf.io.gfile.exists(file_path) and not tf.io.gfile.isdir(file_path)
    return os.path.isfile(file_path)


def pickle_save(obj: Any, file_path: Any, ext: str = ".pbz2", protocol: int = 4) -> None:
    """Pickles ``obj`` into the bz2-compressed file ``file_path + ext``."""
    if _checked_file_system() != "default":
        raise ValueError("Unknown file system lib: {:}".format(_file_system))
    with bz2.BZ2File(str(file_path) + ext, "wb") as out:
        pickle.dump(obj, out, protocol=protocol)


def pickle_load(file_path: Any, ext: str = ".pbz2") -> Any:
    """Unpickles the bz2-compressed file ``file_path`` (or ``file_path + ext`` if there is no such file).

    Like the reference, this runs ``pickle``: load only files you trust. nb102 itself never unpickles the
    benchmark's archives (``nb102.resolve`` imports them with a reader that executes no code)."""
    path = str(file_path) if nats_is_file(str(file_path)) else str(file_path) + ext
    if _checked_file_system() == "google":
        import tensorflow as tf

        return pickle.loads(bz2.decompress(tf.io.gfile.GFile(file_path, mode="rb").read()))
    with bz2.BZ2File(path, "rb") as source:
        return pickle.load(source)


# The reference's names for a dataset's sets in queries: `valid` and `test` of `cifar10` are two settings.
_SET_NAMES = {
    ("cifar10", "valid"): ("cifar10-valid", "x-valid"),
    ("cifar10", "test"): ("cifar10", "ori-test"),
    ("cifar10", "train"): ("cifar10", "train"),
    ("cifar100", "valid"): ("cifar100", "x-valid"),
    ("cifar100", "test"): ("cifar100", "x-test"),
    ("ImageNet16-120", "valid"): ("ImageNet16-120", "x-valid"),
    ("ImageNet16-120", "test"): ("ImageNet16-120", "x-test"),
}


def remap_dataset_set_names(dataset: Any, metric_on_set: Any, verbose: bool = False) -> Tuple[Any, Any]:
    """The setting and set that ``find_best`` reads for ``dataset`` and ``metric_on_set`` (``valid``, ``test``,
    ``train`` on the reference's datasets; any other pair is returned as it is)."""
    if verbose:
        print(
            "Call internal function _remap_dataset_set_names with dataset={:} and metric_on_set={:}".format(
                dataset, metric_on_set
            )
        )
    try:
        dataset, metric_on_set = _SET_NAMES.get((dataset, metric_on_set), (dataset, metric_on_set))
    except TypeError:  # an unhashable argument is no name of the table
        pass
    if verbose:
        print("  return dataset={:} and metric_on_set={:}".format(dataset, metric_on_set))
    return dataset, metric_on_set
