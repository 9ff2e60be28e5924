"""Drop-ins for ``nats_bench`` 1.8 (``create``, ``NATStopology``, ``NATSsize``) and ``nas_201_api`` 2.1
(``NASBench201API``).

Same method names, argument names, defaults, return types, keys and numbers as the reference; the same draws of
Python's ``random`` module (``random.choice`` of a cell's seeds per ``get_more_info``, ``random.randint`` for
``ArchResults.get_metrics(is_random=True)`` and ``random()``), so a script seeded with ``random.seed(s)``
follows the same trajectory against either package. The hot methods (``get_more_info``, ``get_cost_info``,
``simulate_train_eval``, ``query_index_by_arch``) are native (``nb102._native.Engine``).

Deliberate differences:

- nothing is loaded into memory up front: ``fast_mode`` is accepted and changes nothing, and
  ``evaluated_indexes`` lists every cell with results from the start (the reference's fast mode lists only the
  cells queried so far, which left ``find_best`` and ``statistics`` empty);
- ``verbose`` prints the creation lines and one line per public call, not the reference's nested logs;
- ``reload`` and ``clear_params`` have nothing to do (weights are read only when asked for);
- a file or archive of the other space is refused with a ``ValueError`` (the reference's ``create(path, 'sss')``
  opens a topology archive and answers with its cells).
"""

from __future__ import annotations

import collections
import errno
import functools
import inspect
import os
import random as _random
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from . import _native

# A cell as the reference takes it: an index, an architecture string, or (for query_index_by_arch) a structure.
ArchLike = Union[int, str, Any]

# The official files' names: where the reference looks when it is given no path (`$TORCH_HOME`).
ALL_BASE_NAMES = ["NATS-tss-v1_0-3ffb9"]
SIZE_BASE_NAMES = ["NATS-sss-v1_0-50262"]
ALL_BENCHMARK_FILES = ["NAS-Bench-201-v1_0-e61699.pth", "NAS-Bench-201-v1_1-096897.pth"]

NATS_BENCH_TSS_NAMEs = ("tss", "topology")
NATS_BENCH_SSS_NAMEs = ("sss", "size")
_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
_META_ARCHS: Dict[str, List[str]] = {}


def _numpy_float64():
    """numpy's ``float64``, or ``None`` without numpy."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy.float64


def _meta_archs(space: str = "topology") -> List[str]:
    """The official strings of ``space`` (``topology``: 15,625 cells; ``size``: 32,768 channel strings)."""
    if space not in _META_ARCHS:
        _META_ARCHS[space] = _native.official_archs(space)
    return _META_ARCHS[space]


def version() -> str:
    """The ``nats_bench`` API version this package answers as."""
    return "v1.8"


def search_space_info(main_tag: str, aux_tag: Optional[str]) -> Dict[str, Any]:
    """``nats_bench.search_space_info``: the topology space's ops and nodes, or the size space's candidates and
    layers."""
    nats_sss = dict(candidates=[8, 16, 24, 32, 40, 48, 56, 64], num_layers=5)
    nats_tss = dict(op_names=list(_OPS), num_nodes=4)
    if main_tag == "nats-bench":
        if aux_tag in NATS_BENCH_SSS_NAMEs:
            return nats_sss
        if aux_tag in NATS_BENCH_TSS_NAMEs:
            return nats_tss
        raise ValueError("Unknown auxiliary tag: {:}".format(aux_tag))
    if main_tag == "nas-bench-201":
        if aux_tag is not None:
            raise ValueError("For NAS-Bench-201, the auxiliary tag should be None.")
        return nats_tss
    raise ValueError("Unknown main tag: {:}".format(main_tag))


def create(file_path_or_dict: Any, search_space: str, fast_mode: bool = False, verbose: bool = True) -> Any:
    """``nats_bench.create``: the topology search space's API (``'tss'``, ``'topology'``) over an ``.nb102`` file,
    a NATS-Bench topology archive folder or a NAS-Bench-201 ``.pth`` file, or the size search space's
    (``'sss'``, ``'size'``) over an ``.nb102`` file or a NATS-Bench size archive folder."""
    if search_space in NATS_BENCH_TSS_NAMEs:
        return NATStopology(file_path_or_dict, fast_mode, verbose)
    if search_space in NATS_BENCH_SSS_NAMEs:
        return NATSsize(file_path_or_dict, fast_mode, verbose)
    raise ValueError("invalid search space : {:}".format(search_space))


def _time_string():
    return "[{:}]".format(time.strftime("%Y-%m-%d %X", time.gmtime(time.time())))


def _logged(method, name):
    def call(*args, **kwargs):
        shown = ", ".join([repr(a) for a in args] + ["{}={!r}".format(k, v) for k, v in kwargs.items()])
        print("{:} Call {:}({:})".format(_time_string(), name, shown))
        return method(*args, **kwargs)

    call.__doc__ = method.__doc__
    return call


def _information_lines(information, extra_info, metric_format, costs="get_compute_costs", valid_test=False):
    """The reference's ``print_information`` lines of an ``ArchResults``, each metric formatted by
    ``metric_format`` (the packages differ in its punctuation), costs read with the method ``costs`` (v1.0's
    ``get_comput_costs``); with ``valid_test`` (the size space's), ``cifar10-valid``'s line has its test set too."""
    dataset_names = information.get_dataset_names()
    strings = [information.arch_str, "datasets : {:}, extra-info : {:}".format(dataset_names, extra_info)]

    def metric2str(info):
        return metric_format.format(info["loss"], info["accuracy"])

    for dataset in dataset_names:
        metric = getattr(information, costs)(dataset)
        flop, param, latency = metric["flops"], metric["params"], metric["latency"]
        str1 = "{:14s} FLOP={:6.2f} M, Params={:.3f} MB, latency={:} ms.".format(
            dataset, flop, param, "{:.2f}".format(latency * 1000) if latency is not None and latency > 0 else None)
        train = metric2str(information.get_metrics(dataset, "train"))
        if dataset == "cifar10-valid" and valid_test:
            valid = metric2str(information.get_metrics(dataset, "x-valid"))
            test = metric2str(information.get_metrics(dataset, "ori-test"))
            str2 = "{:14s} train : [{:}], valid : [{:}], test : [{:}]".format(dataset, train, valid, test)
        elif dataset == "cifar10-valid":
            valid = metric2str(information.get_metrics(dataset, "x-valid"))
            str2 = "{:14s} train : [{:}], valid : [{:}]".format(dataset, train, valid)
        elif dataset == "cifar10":
            test = metric2str(information.get_metrics(dataset, "ori-test"))
            str2 = "{:14s} train : [{:}], test  : [{:}]".format(dataset, train, test)
        else:
            valid = metric2str(information.get_metrics(dataset, "x-valid"))
            test = metric2str(information.get_metrics(dataset, "x-test"))
            str2 = "{:14s} train : [{:}], valid : [{:}], test : [{:}]".format(dataset, train, valid, test)
        strings += [str1, str2]
    return strings


def _printer(metric_format, valid_test=False):
    """The reference module's ``print_information``, with its package's metric format (and the size space's
    ``cifar10-valid`` test line)."""

    def print_information(information, extra_info=None, show=False):
        """The summary lines of an ``ArchResults`` as ``show`` prints them; printed too with ``show``."""
        strings = _information_lines(information, extra_info, metric_format, valid_test=valid_test)
        if show:
            print("\n".join(strings))
        return strings

    return print_information


def _reopen(cls, path):
    """An API of class ``cls`` over the benchmark file ``path``, without output (``__setstate__`` then restores
    its attributes)."""
    api = cls.__new__(cls, path, verbose=False)
    api._setup(path, False)
    return api


class _API(_native.Engine):
    """What the drop-ins share."""

    _flavour = "nats"
    # The search space of the file, which names its schedules and architectures.
    _space = "topology"
    _full_epochs = 200
    # Whether `show` prints cifar10-valid's test set (the size space's print_information does).
    _valid_test = False
    _LOGGED = ("get_more_info", "get_cost_info", "get_latency", "simulate_train_eval", "find_best",
               "query_meta_info_by_index", "query_by_index", "get_net_param", "get_net_config", "statistics")

    def __new__(cls, file_path_or_dict=None, *args, **kwargs):
        # The reference's opening lines come before anything can fail.
        file_path_or_dict = cls._announce(file_path_or_dict, *args, **kwargs)
        if isinstance(file_path_or_dict, dict):
            raise ValueError("nb102 reads files, not a loaded dict: pass the path it was loaded from")
        path = str(file_path_or_dict)
        if not os.path.exists(path):
            raise cls._missing(path)
        try:
            # The import of an official archive prints its progress only where the caller asked for output.
            return super().__new__(cls, path, cls._flavour, cls._verbose(*args, **kwargs), cls._space)
        except _native.DamagedBenchmarkError:
            meta = os.path.join(path, "meta.pickle.pbz2")
            if os.path.isdir(path) and not os.path.exists(meta):
                # Not an archive at all: the reference's error of looking for its meta file.
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), meta) from None
            raise

    @staticmethod
    def _missing(path):
        """The reference's error for a path that does not exist."""
        raise NotImplementedError

    @staticmethod
    def _announce(file_path_or_dict, *args, **kwargs):
        """Prints the lines the reference prints on creation before it reads anything, and returns the path it
        reads: the one given, or where it looks when given none (its error where it cannot say)."""
        raise NotImplementedError

    @staticmethod
    def _verbose(*args, **kwargs):
        """The ``verbose`` argument among the constructor's other arguments."""
        raise NotImplementedError

    def _setup(self, path, verbose):
        self.filename = os.path.basename(str(path))
        self.verbose = verbose
        self.meta_archs = list(_meta_archs(self._space))
        self.archstr2index = {arch: i for i, arch in enumerate(self.meta_archs)}
        cells, hps = self._contents()
        self._cells = cells
        self._avaliable_hps = set(hps)

    @property
    def verbose(self) -> Any:
        """Whether each public call prints a line; a script may set it, as the reference's attribute."""
        return self.__dict__.get("_verbose_on", False)

    @verbose.setter
    def verbose(self, value: Any) -> None:
        self.__dict__["_verbose_on"] = value
        for name in self._LOGGED:
            if value:
                setattr(self, name, _logged(getattr(type(self), name).__get__(self), name))
            else:
                self.__dict__.pop(name, None)

    def __reduce__(self):
        """Pickled (and copied) as its benchmark file, opened again on the other side, with the attributes a
        script may have changed and the simulated time charged so far: ``copy.deepcopy(api)`` and
        ``multiprocessing`` with ``spawn`` work as with the reference."""
        # What the file gives is read from it again; the logged wrappers of `verbose` are made again.
        derived = ("meta_archs", "archstr2index", "_cells") + self._LOGGED
        state = {k: v for k, v in self.__dict__.items() if k not in derived}
        state["_used_time"] = self.used_time
        return (_reopen, (type(self), str(self.nb102_path)), state)

    def __setstate__(self, state):
        used = state.pop("_used_time")
        self.__dict__.update(state)
        self.reset_time()
        if used:  # the int 0 until a simulated run is charged
            self._charge(used)
        self.verbose = self.verbose  # the logged wrappers, made again

    def __getitem__(self, index: int) -> str:
        return self.meta_archs[index]

    def __len__(self) -> int:
        return len(self.meta_archs)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.meta_archs))

    def arch(self, index: int) -> str:
        """The string of the ``index``-th architecture."""
        if index < 0 or index >= len(self.meta_archs):
            raise ValueError("invalid index : {:} vs. {:}.".format(index, len(self.meta_archs)))
        return self.meta_archs[index]

    @property
    def avaliable_hps(self) -> List[str]:
        """The schedules the file holds trials of (``'12'``, ``'200'``), in no particular order."""
        return list(self._avaliable_hps)

    @property
    def full_train_epochs(self) -> int:
        """The epochs of the full schedule: 200 (90 in the size space)."""
        return self._full_epochs

    def random(self) -> int:
        """A random index of all architectures (``random.randint``, as the reference draws)."""
        return _random.randint(0, len(self.meta_archs) - 1)

    def reload(self, archive_root: Optional[str] = None, index: Optional[int] = None) -> None:
        """Nothing to reload: cells are read from the file when queried."""

    def clear_params(self, index: int, hp: Optional[str] = None) -> None:
        """Nothing to clear: weights are read only by ``get_net_param``."""

    def statistics(self, dataset: str, hp: Union[int, str]) -> Dict[int, int]:
        """How many cells have 0, 1, 2, … trials of ``dataset`` and ``hp``."""
        valid_datasets = ["cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"]
        if dataset not in valid_datasets:
            raise ValueError("{:} not in {:}".format(dataset, valid_datasets))
        return dict(self._statistics(dataset, str(hp)))

    def query_by_arch(self, arch: ArchLike, hp: Union[int, str]) -> Optional[str]:
        """The reference's older name of ``query_info_str_by_arch``."""
        return self.query_info_str_by_arch(arch, hp)

    def query_info_str_by_arch(self, arch: ArchLike, hp: Union[int, str] = "12") -> Optional[str]:
        """The reference's printed summary of a cell, as one string (None for a cell without results)."""
        arch_index = self.query_index_by_arch(arch)
        if arch_index < 0 or arch_index not in self.evaluated_indexes:
            print("Find this arch-index : {:}, but this arch is not evaluated.".format(arch_index))
            return None
        info = self.query_meta_info_by_index(arch_index, hp)
        return "\n".join(self._print_information(info, "arch-index={:}".format(arch_index)))

    def _cell_index(self, arch: ArchLike) -> Any:
        """An index as it is; an official string or a structure as its cell's index (nb102 takes them wherever an
        index is taken)."""
        if isinstance(arch, int):
            return arch
        index = self.query_index_by_arch(arch)
        if index < 0:
            raise ValueError("arch_index [{:}] does not in arch2infos".format(arch))
        return index

    def query_meta_info_by_index(self, arch_index: ArchLike, hp: Union[int, str] = "12") -> ArchResults:
        """The ``ArchResults`` of an architecture and schedule."""
        arch_index = self._cell_index(arch_index)
        hp = str(hp)
        layout = dict(self._layout_of(arch_index))
        if hp not in layout:
            raise ValueError("The {:}-th architecture only has hyper-parameters of {:} instead of {:}.".format(
                arch_index, list(layout), hp))
        return ArchResults(self, arch_index, hp, layout[hp])

    def _layout_of(self, arch_index):
        try:
            return self._layout(arch_index)
        except _native.DamagedBenchmarkError:
            raise
        except (ValueError, KeyError, TypeError, OverflowError):
            raise ValueError("arch_index [{:}] does not in arch2infos".format(arch_index)) from None

    def query_by_index(
        self, arch_index: int, dataname: Optional[str] = None, hp: Union[int, str] = "12"
    ) -> Union[ArchResults, Dict[int, ResultsCount]]:
        """The ``ArchResults`` of a cell, or with ``dataname`` its trials on that dataset by seed."""
        info = self.query_meta_info_by_index(self._cell_index(arch_index), str(hp))
        if dataname is None:
            return info
        if dataname not in info.get_dataset_names():
            raise ValueError("invalid dataset-name : {:} vs. {:}".format(dataname, info.get_dataset_names()))
        return info.query(dataname)

    def get_net_param(self, index: int, dataset: str, seed: Optional[int], hp: Union[int, str] = "12") -> Any:
        """The trained weights: a state dict (torch tensors when torch is importable, else numpy), or with
        ``seed=None`` a dict of them by seed."""
        from . import load_state_dict_bytes

        index = self._cell_index(index)
        self._layout_of(index)  # the reference's ValueError for an index it does not hold
        try:
            weights = self._net_param(index, dataset, seed, str(hp))
        except OverflowError:  # a seed no trial can have
            raise ValueError("key={:} not in the trials".format((dataset, seed))) from None
        if seed is not None:
            return load_state_dict_bytes(weights[0][1])
        return {s: load_state_dict_bytes(w) for s, w in weights}

    def show(self, index: int = -1) -> None:
        """Prints the reference's summary of a cell (or of every cell with ``index < 0``)."""
        indexes = sorted(self.evaluated_indexes) if index < 0 else [index]
        if index >= len(self.meta_archs):
            print("This index ({:}) is out of range (0~{:}).".format(index, len(self.meta_archs)))
            return
        if index < 0:
            print(self)
        for i, idx in enumerate(indexes):
            if index < 0:
                print("\n" + "-" * 10 + " The ({:5d}/{:5d}) {:06d}-th architecture! ".format(
                    i, len(indexes), idx) + "-" * 10)
                print("arch : {:}".format(self.meta_archs[idx]))
            if idx not in self.evaluated_indexes:
                print("The {:}-th architecture has not been evaluated or not saved.".format(idx))
                continue
            for hp, _ in self._layout(idx):
                result = self.query_meta_info_by_index(idx, hp)
                print(">" * 40 + " {:03d} epochs ".format(result.get_total_epoch()) + ">" * 40)
                print("\n".join(self._print_information(result)))
            print("<" * 40 + "------------" + "<" * 40)

    _METRIC2STR = "loss = {:.3f} & top1 = {:.2f}%"

    def _print_information(self, information, extra_info=None):
        return _information_lines(information, extra_info, self._METRIC2STR, valid_test=self._valid_test)

    def __repr__(self):
        return "{name}({num}/{total} architectures, fast_mode={fast_mode}, file={filename})".format(
            name=self.__class__.__name__, num=len(self.evaluated_indexes), total=len(self.meta_archs),
            fast_mode=getattr(self, "fast_mode", None), filename=self.filename)


class _CellStrings:
    """What the topology space's APIs add: cells' strings as lists and matrices, and isomorphism."""

    def get_unique_str(self, arch: ArchLike) -> str:
        """The string shared by isomorphic cells (``to_unique_str(consider_zero=True)``)."""
        index = self.query_index_by_arch(arch)
        return _native.Arch(index).unique_str(True)

    @staticmethod
    def str2lists(arch_str: str) -> List[Tuple[Tuple[str, int], ...]]:
        """The cell as a list of nodes, each a tuple of ``(op, input_node)`` pairs."""
        genotypes = []
        for node_str in arch_str.split("+"):
            inputs = [x for x in node_str.split("|") if x != ""]
            for xinput in inputs:
                assert len(xinput.split("~")) == 2, "invalid input length : {:}".format(xinput)
            genotypes.append(tuple((op, int(idx)) for op, idx in (xi.split("~") for xi in inputs)))
        return genotypes

    @staticmethod
    def str2matrix(arch_str: str, search_space: Tuple[str, ...] = _OPS) -> Any:
        """The cell as NAS-Bench-101's numpy matrix of op indices (rows: nodes, columns: inputs)."""
        from . import _numpy

        np = _numpy()
        node_strs = arch_str.split("+")
        matrix = np.zeros((len(node_strs) + 1, len(node_strs) + 1))
        for i, node_str in enumerate(node_strs):
            inputs = [x for x in node_str.split("|") if x != ""]
            for xinput in inputs:
                assert len(xinput.split("~")) == 2, "invalid input length : {:}".format(xinput)
            for xi in inputs:
                op, idx = xi.split("~")
                if op not in search_space:
                    raise ValueError("this op ({:}) is not in {:}".format(op, search_space))
                matrix[i + 1, int(idx)] = list(search_space).index(op)
        return matrix


class _NATS(_API):
    """What ``NATStopology`` and ``NATSsize`` share: ``(file_path_or_dict, fast_mode=False, verbose=True)``."""

    _flavour = "nats"
    _base_names = ALL_BASE_NAMES

    @staticmethod
    def _missing(path):
        return ValueError("{:} is neither a file or a dir.".format(path))

    @staticmethod
    def _verbose(fast_mode=False, verbose=True):
        return verbose

    @classmethod
    def _default_path(cls, fast_mode):
        """The official archive under ``$TORCH_HOME``: its folder in fast mode, else its single file."""
        from .api_utils import get_torch_home

        name = cls._base_names[-1] + ("-simple" if fast_mode else ".pickle.pbz2")
        return os.path.join(get_torch_home(), name)

    @classmethod
    def _announce(cls, file_path_or_dict, fast_mode=False, verbose=True):
        path = file_path_or_dict
        if file_path_or_dict is None:
            path = cls._default_path(fast_mode)
            # The reference's line names the path only where it reads one file.
            print("{:} Try to use the default NATS-Bench ({:}) path from fast_mode={:} and path={:}.".format(
                _time_string(), cls._space, fast_mode, None if fast_mode else path))
            if fast_mode and not os.path.isdir(path):
                # The reference checks no default folder: it fails reading its meta file.
                meta = os.path.join(path, "meta.pickle.pbz2")
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), meta)
        if verbose and not (file_path_or_dict is None and fast_mode):
            print("{:} Try to create the NATS-Bench ({:}) api from {:} with fast_mode={:}".format(
                _time_string(), cls._space, path, fast_mode))
        return path

    def __init__(self, file_path_or_dict: Any = None, fast_mode: bool = False, verbose: bool = True) -> None:
        path = self._default_path(fast_mode) if file_path_or_dict is None else file_path_or_dict
        self._fast_mode = fast_mode
        self._archive_dir = str(path) if fast_mode else None
        self._search_space_name = self._space
        self._setup(path, verbose)
        if file_path_or_dict is None and fast_mode:
            self.filename = None
        self.evaluated_indexes = set(self._cells)
        if verbose:
            print("{:} Create NATS-Bench ({:}) done with {:}/{:} architectures avaliable.".format(
                _time_string(), self._space, len(self.evaluated_indexes), len(self.meta_archs)))

    @property
    def is_size(self) -> bool:
        """Whether this is the size search space."""
        return self._space == "size"

    @property
    def is_topology(self) -> bool:
        """Whether this is the topology search space."""
        return self._space == "topology"

    @property
    def full_epochs_in_paper(self) -> int:
        """The epochs of the paper's full schedule: 200 (90 in the size space)."""
        return self._full_epochs

    @property
    def search_space_name(self) -> str:
        """``'topology'`` or ``'size'``."""
        return self._search_space_name

    @property
    def fast_mode(self) -> bool:
        """As given to ``create``; nb102 reads cells when queried in either mode."""
        return self._fast_mode

    @property
    def archive_dir(self) -> Optional[str]:
        """The path given to ``create`` in fast mode, else None."""
        return self._archive_dir

    def reset_archive_dir(self, archive_dir: str) -> None:
        """Sets ``archive_dir`` (queries keep reading the file opened)."""
        self._archive_dir = archive_dir

    def reset_fast_mode(self, fast_mode: bool) -> None:
        """Sets ``fast_mode`` (which changes nothing in nb102)."""
        self._fast_mode = fast_mode

    def find_best(
        self,
        dataset: str,
        metric_on_set: str,
        flop_max: Optional[float] = None,
        param_max: Optional[float] = None,
        hp: Union[int, str] = "12",
        enforce_all: Optional[bool] = None,
    ) -> Tuple[int, Optional[float]]:
        """The architecture with the highest seed-mean accuracy within the limits: ``(index, accuracy)``."""
        if self._space == "size" and not isinstance(hp, str):
            # The size space's find_best looks `hp` up as given: an int is not a key (its other queries take one).
            raise KeyError(hp)
        return self._find_best(dataset, metric_on_set, flop_max, param_max, str(hp))


class NATStopology(_CellStrings, _NATS):
    """``nats_bench.NATStopology``: ``NATStopology(file_path_or_dict, fast_mode=False, verbose=True)``."""


class NATSsize(_NATS):
    """``nats_bench.NATSsize``: the size search space, ``NATSsize(file_path_or_dict, fast_mode=False, verbose=True)``,
    over an ``.nb102`` file of the size space or a NATS-Bench size archive folder (``NATS-sss-v1_0-50262-simple``).
    Schedules are ``'01'``, ``'12'`` and ``'90'``; architectures are channel strings such as ``'8:16:24:32:40'``."""

    _space = "size"
    _base_names = SIZE_BASE_NAMES
    _full_epochs = 90
    _valid_test = True




class NASBench201API(_CellStrings, _API):
    """``nas_201_api.NASBench201API``: ``NASBench201API(file_path_or_dict, verbose=True)``."""

    _flavour = "nb201"

    @staticmethod
    def _missing(path):
        return AssertionError("invalid path : {:}".format(path))
    _METRIC2STR = "loss = {:.3f}, top1 = {:.2f}%"

    @staticmethod
    def _verbose(verbose=True):
        return verbose

    @staticmethod
    def _default_path():
        """The official file under ``$TORCH_HOME`` (a ``KeyError`` where it is not set, as the reference's)."""
        return os.path.join(os.environ["TORCH_HOME"], ALL_BENCHMARK_FILES[-1])

    @classmethod
    def _announce(cls, file_path_or_dict, verbose=True):
        path = file_path_or_dict
        if file_path_or_dict is None:
            path = cls._default_path()
            print("Try to use the default NAS-Bench-201 path from {:}.".format(path))
        if verbose:
            print("try to create the NAS-Bench-201 api from {:}".format(path))
        return path

    def __repr__(self):
        return "{name}({num}/{total} architectures, file={filename})".format(
            name=self.__class__.__name__, num=len(self.evaluated_indexes), total=len(self.meta_archs),
            filename=self.filename)

    def __init__(self, file_path_or_dict: Any = None, verbose: bool = True) -> None:
        self._setup(self._default_path() if file_path_or_dict is None else file_path_or_dict, verbose)
        self.evaluated_indexes = sorted(self._cells)

    def simulate_train_eval(  # type: ignore[override]
        self, arch: ArchLike, dataset: str, hp: Union[int, str] = "12", account_time: bool = True
    ) -> Tuple[float, Optional[float], float, float]:
        """``(valid_acc, latency, time_cost, used_time)`` of a simulated run, as ``nas_201_api`` 2.1 charges it
        (latency of the 12-epoch trials, as it reads them)."""
        index = self.query_index_by_arch(arch)
        all_names = ("cifar10", "cifar100", "ImageNet16-120")
        assert dataset in all_names, "Invalid dataset name : {:} vs {:}".format(dataset, all_names)
        source = "cifar10-valid" if dataset == "cifar10" else dataset
        info = self.get_more_info(index, source, iepoch=None, hp=hp, is_random=True)
        valid_acc, time_cost = info["valid-accuracy"], info["train-all-time"] + info["valid-per-time"]
        latency = self.get_latency(index, dataset)
        used = self._charge(time_cost) if account_time else self.used_time
        return valid_acc, latency, time_cost, used

    def find_best(
        self,
        dataset: str,
        metric_on_set: str,
        FLOP_max: Optional[float] = None,
        Param_max: Optional[float] = None,
        hp: Union[int, str] = "12",
    ) -> Tuple[int, Optional[float]]:
        """The cell with the highest seed-mean accuracy within the limits: ``(index, accuracy)``."""
        return self._find_best(dataset, metric_on_set, FLOP_max, Param_max, str(hp))


def _accepts_1x(method):
    """``method`` with ``nas_201_api`` 1.x's spelling of the schedule as well: ``use_12epochs_result=True|False``
    (or that flag in ``hp``'s place) for ``hp='12'|'200'``."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        flag = kwargs.pop("use_12epochs_result", None)
        bound = signature.bind(self, *args, **kwargs)
        if flag is not None:
            if "hp" in bound.arguments:
                raise TypeError("{}() got multiple values for argument 'hp'".format(method.__name__))
            bound.arguments["hp"] = "12" if flag else "200"
        elif isinstance(bound.arguments.get("hp"), bool):
            bound.arguments["hp"] = "12" if bound.arguments["hp"] else "200"
        return method(*bound.args, **bound.kwargs)

    return call


for _name in ("query_by_index", "query_meta_info_by_index", "find_best", "statistics", "get_net_param",
              "clear_params", "query_by_arch", "query_info_str_by_arch"):
    setattr(NASBench201API, _name, _accepts_1x(getattr(NASBench201API, _name)))


class ArchResults:
    """The reference's ``ArchResults``: a cell's trials under one schedule, read from the benchmark file."""

    def __init__(self, api: _API, arch_index: int, hp: str, datasets: List[str]) -> None:
        self._api, self._hp = api, hp
        self.arch_index = int(arch_index)
        self.arch_str = api.meta_archs[arch_index]
        self.dataset_seed = {d: api._seeds(arch_index, d, hp) for d in datasets}
        self.clear_net_done = False
        self._results = None

    @property
    def all_results(self) -> Dict[Tuple[str, int], ResultsCount]:
        """Every trial, by ``(dataset, seed)``."""
        if self._results is None:
            self._results = {(d, s): self.query(d, s) for d, seeds in self.dataset_seed.items() for s in seeds}
        return self._results

    def get_compute_costs(self, dataset: str) -> Dict[str, Any]:
        """FLOPs, parameters, latency and times on ``dataset``, seed means (``get_cost_info``'s dict)."""
        return self._api.get_cost_info(self.arch_index, dataset, self._hp)

    def get_metrics(
        self, dataset: str, setname: str, iepoch: Optional[int] = None, is_random: Union[bool, int] = False
    ) -> Dict[str, Any]:
        """Loss, accuracy and times on ``setname`` (``train``, ``x-valid``, …) after ``iepoch`` (default: the
        last): the seed mean, a seed drawn with ``random.randint`` (``is_random=True``) or a given seed."""
        x_seeds = self.dataset_seed[dataset]
        if isinstance(is_random, bool) and is_random:
            seed = x_seeds[_random.randint(0, len(x_seeds) - 1)]
        elif isinstance(is_random, bool):
            seed = None
        elif isinstance(is_random, int):
            if is_random not in x_seeds:
                raise ValueError("can not find random seed ({:}) from {:}".format(is_random, x_seeds))
            seed = is_random
        else:
            raise ValueError("invalid value for is_random: {:}".format(is_random))
        return self._api._metrics(self.arch_index, dataset, setname, iepoch, self._hp, seed)

    def get_dataset_names(self) -> List[str]:
        """The datasets (settings) with trials."""
        return list(self.dataset_seed.keys())

    def get_dataset_seeds(self, dataset: str) -> List[int]:
        """The seeds of the trials on ``dataset``."""
        return list(self.dataset_seed[dataset])

    def get_net_param(self, dataset: str, seed: Optional[int] = None) -> Any:
        """The trained weights of one seed's trial, or with ``seed=None`` a dict of them by seed."""
        return self._api.get_net_param(self.arch_index, dataset, seed, self._hp)

    def get_latency(self, dataset: str) -> float:
        """The mean latency over the seeds' trials (ValueError where one has none)."""
        latencies = []
        for seed in self.dataset_seed[dataset]:
            latency = self.query(dataset, seed).get_latency()
            if not isinstance(latency, float) or latency <= 0:
                raise ValueError("invalid latency of {:} with seed={:} : {:}".format(dataset, seed, latency))
            latencies.append(latency)
        return sum(latencies) / len(latencies)

    def get_total_epoch(self, dataset: Optional[str] = None) -> int:
        """The schedule's epochs."""
        return int(self._hp)

    def query(self, dataset: str, seed: Optional[int] = None) -> Union[ResultsCount, Dict[int, ResultsCount]]:
        """The trial of one seed on ``dataset``, or with ``seed=None`` a dict of them by seed."""
        if seed is None:
            return {s: self.query(dataset, s) for s in self.dataset_seed[dataset]}
        return ResultsCount(self._api, self.arch_index, dataset, self._hp, seed)

    def arch_idx_str(self) -> str:
        """The index as six digits."""
        return "{:06d}".format(self.arch_index)

    def clear_params(self) -> None:
        """Marks the weights cleared (nb102 reads weights only when asked for)."""
        self.clear_net_done = True

    def __repr__(self):
        return "{name}(arch-index={index}, arch={arch}, {num} runs, clear={clear})".format(
            name=self.__class__.__name__, index=self.arch_index, arch=self.arch_str,
            num=sum(len(s) for s in self.dataset_seed.values()), clear=self.clear_net_done)


class ResultsCount:
    """The reference's ``ResultsCount``: one trial, with its attributes (``train_acc1es``, ``eval_acc1es``, …)."""

    def __init__(self, api: _API, arch_index: int, dataset: str, hp: str, seed: int) -> None:
        self._api, self._index, self._hp, self._seed = api, arch_index, hp, seed
        self.__dict__.update(api._trial(arch_index, dataset, hp, seed))
        # As the official files hold them: the seed as four digits (`'0777'`); in NATS-Bench's archives the
        # parameters and latencies as numpy floats and the training times as an OrderedDict.
        self.seed = "{:04d}".format(seed)
        if api._flavour == "nats":
            self.train_times = collections.OrderedDict(self.train_times)
            float64 = _numpy_float64()
            if float64 is not None:
                self.params = float64(self.params)
                if self.latency is not None:
                    self.latency = [float64(x) for x in self.latency]

    @property
    def net_state_dict(self) -> Any:
        """The trained weights (see ``get_net_param``)."""
        return self.get_net_param()

    def get_total_epoch(self) -> int:
        """The schedule's epochs."""
        return self.epochs

    def get_latency(self) -> float:
        """The mean of the recorded latencies, or -1.0 where there are none."""
        if self.latency is None:
            return -1.0
        return sum(self.latency) / len(self.latency)

    def get_times(self) -> Dict[str, Optional[float]]:
        """Mean and total training time and each set's evaluation time over all epochs."""
        return self._api._trial_times(self._index, self.name, self._hp, self._seed)

    def get_eval_set(self) -> List[str]:
        """The evaluation sets."""
        return self.eval_names

    def get_train(self, iepoch: Optional[int] = None) -> Dict[str, Any]:
        """Training loss, accuracy and times after ``iepoch`` (default: the last)."""
        return self._api._metrics(self._index, self.name, "train", iepoch, self._hp, self._seed)

    def get_eval(self, name: str, iepoch: Optional[int] = None) -> Dict[str, Any]:
        """Loss, accuracy and times on the set ``name`` after ``iepoch`` (default: the last)."""
        return self._api._metrics(self._index, self.name, name, iepoch, self._hp, self._seed)

    def get_net_param(self, clone: bool = False) -> Any:
        """The trained weights: a state dict of torch tensors when torch is importable, else numpy arrays."""
        return self._api.get_net_param(self._index, self.name, self._seed, self._hp)

    def get_config(self, str2structure: Optional[Callable[[str], Any]]) -> Dict[str, Any]:
        """The network's config (``infer.tiny``, or the size space's ``infer.shape.tiny``), with the cell as a
        string or as ``str2structure`` makes it."""
        if self.arch_config.get("name") == "infer.shape.tiny":
            genotype = self.arch_config["genotype"]
            return {"name": "infer.shape.tiny", "channels": self.arch_config["channels"],
                    "genotype": genotype if str2structure is None else str2structure(genotype),
                    "num_classes": self.arch_config["class_num"]}
        config = {"name": "infer.tiny", "C": self.arch_config["channel"], "N": self.arch_config["num_cells"]}
        if str2structure is None:
            config["arch_str"] = self.arch_config["arch_str"]
        else:
            config["genotype"] = str2structure(self.arch_config["arch_str"])
        config["num_classes"] = self.arch_config["class_num"]
        return config

    def __repr__(self):
        return ("{name}({xname}, arch={arch}, FLOP={flop:.2f}M, Param={param:.3f}MB, seed={seed}, "
                "{num_eval} eval-sets: [{set_name}])").format(
            name=self.__class__.__name__, xname=self.name, arch=self.arch_config["arch_str"], flop=self.flop,
            param=self.params, seed=self.seed, num_eval=len(self.eval_names), set_name=", ".join(self.eval_names))
