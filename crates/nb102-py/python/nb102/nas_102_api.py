"""``nas_102_api`` v1.0, the seed's own API (NAS-Bench-102, January 2020), answered by nb102: ``import
nb102.nas_102_api as nas_102_api``, or unchanged through ``nb102.install_as('nas_102_api')`` and ``python -m
nb102.run``.

v1.0 differs from ``nas_201_api`` 2.x, and this module answers as v1.0 does:

- every query takes ``use_12epochs_result=False``: **200-epoch results by default** (2.x defaults to ``hp='12'``);
- ``NASBench102API(path, verbose=True)`` over a v1.0 benchmark file (or any file nb102 opens); ``reload(dir,
  index)`` reads a per-cell ``{index:06d}-FULL.pth`` file of the archive, weights included;
- ``get_more_info`` draws a trial per set (``random.randint``, one draw per ``get_metrics``), so the training and
  validation numbers may come from different trials, and returns v1.0's keys (times only on ``cifar10-valid``,
  no ``valtest-*``);
- ``query_index_by_arch`` takes strings and structures only (an int is ``-1``); ``find_best`` reads the names it is
  given; ``ArchResults.get_comput_costs`` (sic) has no 2.x spelling; ``ResultsCount.get_config`` needs its
  ``str2structure``;
- ``ArchResults`` and ``ResultsCount`` are v1.0's classes, made from the file or from a state dict
  (``ResultsCount.create_from_state_dict(torch.load('000157-FULL.pth')['full']['all_results'][('cifar10-valid',
  777)])``), with v1.0's arithmetic (numpy means, Python sums in epoch order).

Nothing is loaded up front: a cell's results are read from the file when queried.
"""

from __future__ import annotations

import copy
import operator
import os
import random as _random
from collections import OrderedDict, defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _native
from ._compat import _information_lines, _meta_archs

__all__ = ["NAS_BENCH_102_API_VERSION", "ArchResults", "NASBench102API", "ResultsCount", "print_information"]

NAS_BENCH_102_API_VERSION = "v1.0"
# How many cells' results an API keeps decoded for its own reads (get_more_info, find_best, show, …).
_STORED_CELLS = 256


def _np():
    from . import _numpy

    return _numpy()


def print_information(information: "ArchResults", extra_info: Any = None, show: bool = False) -> List[str]:
    """v1.0's summary lines of an ``ArchResults``; printed too with ``show``."""
    strings = _information_lines(information, extra_info, "loss = {:.3f}, top1 = {:.2f}%", "get_comput_costs")
    if show:
        print("\n".join(strings))
    return strings


class ResultsCount:
    """v1.0's ``ResultsCount``: one trial's curves, costs and (where the source has them) trained weights."""

    def __init__(self, name, state_dict, train_accs, train_losses, params, flop, arch_config, seed, epochs,
                 latency) -> None:
        self.name = name
        self.net_state_dict = state_dict
        self.train_acc1es = copy.deepcopy(train_accs)
        self.train_acc5es = None
        self.train_losses = copy.deepcopy(train_losses)
        self.train_times = None
        self.arch_config = copy.deepcopy(arch_config)
        self.params = params
        self.flop = flop
        self.seed = seed
        self.epochs = epochs
        self.latency = latency
        self.reset_eval()

    # The weights of a trial read from a benchmark file are decoded only when asked for (`_weights`, a function).
    @property
    def net_state_dict(self) -> Any:
        if "_net_state_dict" in self.__dict__:
            return self.__dict__["_net_state_dict"]
        weights = self.__dict__.get("_weights")
        return None if weights is None else weights()

    @net_state_dict.setter
    def net_state_dict(self, value: Any) -> None:
        self.__dict__["_net_state_dict"] = value

    def update_train_info(self, train_acc1es, train_acc5es, train_losses, train_times) -> None:
        self.train_acc1es = train_acc1es
        self.train_acc5es = train_acc5es
        self.train_losses = train_losses
        self.train_times = train_times

    def reset_eval(self) -> None:
        self.eval_names = []
        self.eval_acc1es = {}
        self.eval_times = {}
        self.eval_losses = {}

    def update_latency(self, latency) -> None:
        self.latency = copy.deepcopy(latency)

    def update_eval(self, accs, losses, times) -> None:
        """Adds sets' per-epoch results (keys ``set@epoch``)."""
        for data_name in set(x.split("@")[0] for x in accs.keys()):
            assert data_name not in self.eval_names, "{:} has already been added into eval-names".format(data_name)
            self.eval_names.append(data_name)
            for iepoch in range(self.epochs):
                key = "{:}@{:}".format(data_name, iepoch)
                self.eval_acc1es[key] = accs[key]
                self.eval_losses[key] = losses[key]
                self.eval_times[key] = times[key]

    def update_OLD_eval(self, name, accs, losses) -> None:
        """Adds a set's results by epoch, without times (the oldest records' layout)."""
        assert name not in self.eval_names, "{:} has already added".format(name)
        self.eval_names.append(name)
        for iepoch in range(self.epochs):
            if iepoch in accs:
                self.eval_acc1es["{:}@{:}".format(name, iepoch)] = accs[iepoch]
                self.eval_losses["{:}@{:}".format(name, iepoch)] = losses[iepoch]

    def __repr__(self) -> str:
        return ("{name}({xname}, arch={arch}, FLOP={flop:.2f}M, Param={param:.3f}MB, seed={seed}, {num_eval} "
                "eval-sets: {set_name})").format(
            name=self.__class__.__name__, xname=self.name, arch=self.arch_config["arch_str"], flop=self.flop,
            param=self.params, seed=self.seed, num_eval=len(self.eval_names),
            set_name="[" + ", ".join(self.eval_names) + "]")

    def get_latency(self) -> float:
        """The mean of the recorded latencies, or -1 where there are none."""
        if self.latency is None:
            return -1
        return sum(self.latency) / len(self.latency)

    def get_times(self) -> Dict[str, Any]:
        """Mean and total training time per epoch, and each set's evaluation time (numpy), or ``None``s."""
        if self.train_times is not None and isinstance(self.train_times, dict):
            np = _np()
            train_times = list(self.train_times.values())
            info = {"T-train@epoch": np.mean(train_times), "T-train@total": np.sum(train_times)}
            for name in self.eval_names:
                xtimes = [self.eval_times["{:}@{:}".format(name, i)] for i in range(self.epochs)]
                info["T-{:}@epoch".format(name)] = np.mean(xtimes)
                info["T-{:}@total".format(name)] = np.sum(xtimes)
            return info
        info = {"T-train@epoch": None, "T-train@total": None}
        for name in self.eval_names:
            info["T-{:}@epoch".format(name)] = None
            info["T-{:}@total".format(name)] = None
        return info

    def get_eval_set(self) -> List[str]:
        return self.eval_names

    def get_train(self, iepoch: Optional[int] = None) -> Dict[str, Any]:
        """Training loss, accuracy and times after ``iepoch`` (default: the last)."""
        if iepoch is None:
            iepoch = self.epochs - 1
        assert 0 <= iepoch < self.epochs, "invalid iepoch={:} < {:}".format(iepoch, self.epochs)
        if self.train_times is not None:
            xtime = self.train_times[iepoch]
            atime = sum([self.train_times[i] for i in range(iepoch + 1)])
        else:
            xtime, atime = None, None
        return {"iepoch": iepoch, "loss": self.train_losses[iepoch], "accuracy": self.train_acc1es[iepoch],
                "cur_time": xtime, "all_time": atime}

    def get_eval(self, name: str, iepoch: Optional[int] = None) -> Dict[str, Any]:
        """Loss, accuracy and times on the set ``name`` after ``iepoch`` (default: the last)."""
        if iepoch is None:
            iepoch = self.epochs - 1
        assert 0 <= iepoch < self.epochs, "invalid iepoch={:} < {:}".format(iepoch, self.epochs)
        if isinstance(self.eval_times, dict) and len(self.eval_times) > 0:
            xtime = self.eval_times["{:}@{:}".format(name, iepoch)]
            atime = sum([self.eval_times["{:}@{:}".format(name, i)] for i in range(iepoch + 1)])
        else:
            xtime, atime = None, None
        key = "{:}@{:}".format(name, iepoch)
        return {"iepoch": iepoch, "loss": self.eval_losses[key], "accuracy": self.eval_acc1es[key],
                "cur_time": xtime, "all_time": atime}

    def get_net_param(self) -> Any:
        """The trained weights, or ``None`` where the source has none (a benchmark file)."""
        return self.net_state_dict

    def get_config(self, str2structure: Callable[[str], Any]) -> Dict[str, Any]:
        """The network's config (``infer.tiny``) with the cell as ``str2structure`` makes it."""
        return {"name": "infer.tiny", "C": self.arch_config["channel"], "N": self.arch_config["num_cells"],
                "genotype": str2structure(self.arch_config["arch_str"]), "num_classes": self.arch_config["class_num"]}

    def state_dict(self) -> Dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("_net_state_dict", "_weights")}
        state["net_state_dict"] = self.net_state_dict
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        for key, value in state_dict.items():
            setattr(self, key, value)

    @staticmethod
    def create_from_state_dict(state_dict: Dict[str, Any]) -> "ResultsCount":
        x = ResultsCount(None, None, None, None, None, None, None, None, None, None)
        x.load_state_dict(state_dict)
        return x


class ArchResults:
    """v1.0's ``ArchResults``: a cell's trials under one schedule, by ``(dataset, seed)``."""

    def __init__(self, arch_index: Any, arch_str: Any) -> None:
        self.arch_index = int(arch_index)
        self.arch_str = copy.deepcopy(arch_str)
        self.all_results: Dict[Tuple[str, Any], ResultsCount] = dict()
        self.dataset_seed: Dict[str, List[Any]] = dict()
        self.clear_net_done = False

    def get_comput_costs(self, dataset: str) -> Dict[str, Any]:
        """FLOPs, parameters, latency and times on ``dataset``: numpy means over its trials."""
        np = _np()
        results = [self.all_results[(dataset, seed)] for seed in self.dataset_seed[dataset]]
        latencies = [x for x in (result.get_latency() for result in results) if x > 0]
        time_infos = defaultdict(list)
        for result in results:
            for key, value in result.get_times().items():
                time_infos[key].append(value)
        info = {"flops": np.mean([r.flop for r in results]), "params": np.mean([r.params for r in results]),
                "latency": np.mean(latencies) if len(latencies) > 0 else None}
        for key, value in time_infos.items():
            info[key] = np.mean(value) if len(value) > 0 and value[0] is not None else None
        return info

    def get_metrics(self, dataset: str, setname: str, iepoch: Optional[int] = None,
                    is_random: bool = False) -> Dict[str, Any]:
        """Loss, accuracy and times on ``setname`` after ``iepoch``: numpy means over the trials, or with
        ``is_random`` one trial drawn with ``random.randint`` (after every trial was read)."""
        results = [self.all_results[(dataset, seed)] for seed in self.dataset_seed[dataset]]
        infos = defaultdict(list)
        for result in results:
            info = result.get_train(iepoch) if setname == "train" else result.get_eval(setname, iepoch)
            for key, value in info.items():
                infos[key].append(value)
        if is_random:
            index = _random.randint(0, len(results) - 1)
            return {key: value[index] for key, value in infos.items()}
        np = _np()
        return {key: np.mean(value) if len(value) > 0 and value[0] is not None else None
                for key, value in infos.items()}

    def show(self, is_print: bool = False) -> List[str]:
        return print_information(self, None, is_print)

    def get_dataset_names(self) -> List[str]:
        return list(self.dataset_seed.keys())

    def get_net_param(self, dataset: str, seed: Any = None) -> Any:
        """One trial's weights, or with ``seed=None`` a dict of them by seed."""
        if seed is None:
            return {s: self.all_results[(dataset, s)].get_net_param() for s in self.dataset_seed[dataset]}
        return self.all_results[(dataset, seed)].get_net_param()

    def query(self, dataset: str, seed: Any = None) -> Any:
        """One trial, or with ``seed=None`` a dict of them by seed."""
        if seed is None:
            return {s: self.all_results[(dataset, s)] for s in self.dataset_seed[dataset]}
        return self.all_results[(dataset, seed)]

    def arch_idx_str(self) -> str:
        return "{:06d}".format(self.arch_index)

    def update(self, dataset_name: str, seed: Any, result: ResultsCount) -> None:
        if dataset_name not in self.dataset_seed:
            self.dataset_seed[dataset_name] = []
        assert seed not in self.dataset_seed[dataset_name], "{:}-th arch alreadly has this seed ({:}) on {:}".format(
            self.arch_index, seed, dataset_name)
        self.dataset_seed[dataset_name].append(seed)
        self.dataset_seed[dataset_name] = sorted(self.dataset_seed[dataset_name])
        assert (dataset_name, seed) not in self.all_results
        self.all_results[(dataset_name, seed)] = result
        self.clear_net_done = False

    def state_dict(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["all_results"] = {k: v.state_dict() for k, v in self.all_results.items()}
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        if "all_results" in state:
            state["all_results"] = {k: ResultsCount.create_from_state_dict(v) for k, v in state["all_results"].items()}
        self.__dict__.update(state)

    @staticmethod
    def create_from_state_dict(state_dict_or_file: Union[str, Dict[str, Any]]) -> "ArchResults":
        x = ArchResults(-1, -1)
        if isinstance(state_dict_or_file, str):
            import torch

            state_dict = torch.load(state_dict_or_file)
        elif isinstance(state_dict_or_file, dict):
            state_dict = state_dict_or_file
        else:
            raise ValueError("invalid type of state_dict_or_file : {:}".format(type(state_dict_or_file)))
        x.load_state_dict(state_dict)
        return x

    def clear_params(self) -> None:
        for result in self.all_results.values():
            result.net_state_dict = None
        self.clear_net_done = True

    def __repr__(self) -> str:
        return "{name}(arch-index={index}, arch={arch}, {num} runs, clear={clear})".format(
            name=self.__class__.__name__, index=self.arch_index, arch=self.arch_str, num=len(self.all_results),
            clear=self.clear_net_done)


def _from_file(engine: "_native.Engine", index: int, hp: str) -> Optional[ArchResults]:
    """A cell's ``ArchResults`` of schedule ``hp`` read from ``engine``'s file, or ``None`` where it has none."""
    layout = dict(engine._layout(index))
    if hp not in layout:
        return None
    results = ArchResults(index, _meta_archs()[index])
    for dataset in layout[hp]:
        for seed in engine._seeds(index, dataset, hp):
            result = ResultsCount.create_from_state_dict(engine._trial(index, dataset, hp, seed))
            # As the official files hold it: the seed as four digits.
            result.seed = "{:04d}".format(seed)
            result.__dict__.pop("_net_state_dict", None)
            if engine._has_weights(index, dataset, hp, seed):
                result.__dict__["_weights"] = _weights_of(engine, index, dataset, hp, seed)
            results.update(dataset, seed, result)
    return results


def _weights_of(engine, index, dataset, hp, seed):
    def weights():
        from . import load_state_dict_bytes

        return load_state_dict_bytes(engine._net_param(index, dataset, seed, hp)[0][1])

    return weights


class NASBench102API:
    """v1.0's ``NASBench102API(file_path_or_dict, verbose=True)``: the benchmark's queries, with 200-epoch results
    unless ``use_12epochs_result=True``."""

    def __init__(self, file_path_or_dict: Any, verbose: bool = True) -> None:
        if isinstance(file_path_or_dict, dict):
            raise ValueError("nb102 reads files, not a loaded dict: pass the path it was loaded from")
        if not isinstance(file_path_or_dict, (str, os.PathLike)):
            raise ValueError("invalid type : {:} not in [str, dict]".format(type(file_path_or_dict)))
        path = str(file_path_or_dict)
        if verbose:
            print("try to create the NAS-Bench-102 api from {:}".format(path))
        assert os.path.isfile(path), "invalid path : {:}".format(path)
        self._path = path
        self._engine = _native.Engine(path, "nb201", False)
        self.meta_archs = list(_meta_archs())
        self.evaluated_indexes = sorted(self._engine._contents()[0])
        self.archstr2index = {arch: i for i, arch in enumerate(self.meta_archs)}
        # Cells read again from an archive's per-cell file (`reload`): index to that file's engine.
        self._reloaded: Dict[int, _native.Engine] = OrderedDict()
        # The results of the cells read last, by (index, hp), oldest first.
        self._stored: "OrderedDict[Tuple[int, str], ArchResults]" = OrderedDict()

    def __reduce__(self):
        return (_reopen, (self._path, [(i, e.nb102_path) for i, e in self._reloaded.items()]))

    def __getitem__(self, index: int) -> str:
        return copy.deepcopy(self.meta_archs[index])

    def __len__(self) -> int:
        return len(self.meta_archs)

    def __repr__(self) -> str:
        return "{name}({num}/{total} architectures)".format(
            name=self.__class__.__name__, num=len(self.evaluated_indexes), total=len(self.meta_archs))

    def _infos(self, index: Any, use_12epochs_result: bool, stored: bool = False) -> Tuple[str, Optional[ArchResults]]:
        """v1.0's ``arch2infos_less`` or ``arch2infos_full`` entry of ``index``: its name and the results (``None``
        for a cell the file does not hold). Made afresh, as the reference's queries return deep copies; with
        ``stored``, the object the API itself reads (kept for the cells used last), as the reference's methods
        read its dict's."""
        basestr, hp = ("12epochs", "12") if use_12epochs_result else ("200epochs", "200")
        try:
            index = operator.index(index)  # as the reference's dict is keyed: numpy ints find their cell too
        except TypeError:
            return basestr, None
        engine = self._reloaded.get(index)
        if engine is None:
            if index not in self._held():
                return basestr, None
            engine = self._engine
        if not stored:
            return basestr, _from_file(engine, index, hp)
        key = (index, hp)
        infos = self._stored.pop(key, None)
        if infos is None:
            infos = _from_file(engine, index, hp)
            if len(self._stored) >= _STORED_CELLS:
                self._stored.popitem(last=False)
        self._stored[key] = infos
        return basestr, infos

    def _held(self) -> set:
        held = self.__dict__.get("_held_set")
        if held is None:
            held = self.__dict__["_held_set"] = set(self.evaluated_indexes)
        return held

    def _get(self, index: Any, use_12epochs_result: bool) -> ArchResults:
        """``arch2infos[index]``, the stored object: a ``KeyError`` for a cell without results, as the reference's
        dict raises."""
        _, infos = self._infos(index, use_12epochs_result, stored=True)
        if infos is None:
            raise KeyError(index)
        return infos

    def random(self) -> int:
        """A random index of all architectures (``random.randint``)."""
        return _random.randint(0, len(self.meta_archs) - 1)

    def query_index_by_arch(self, arch: Any) -> int:
        """The index of an architecture string or a structure (``tostr()``); -1 for anything else."""
        if isinstance(arch, str):
            return self.archstr2index.get(arch, -1)
        if hasattr(arch, "tostr"):
            return self.archstr2index.get(arch.tostr(), -1)
        return -1

    def reload(self, archive_root: str, index: int) -> None:
        """Reads cell ``index`` again from ``archive_root/{index:06d}-FULL.pth``, weights included."""
        assert os.path.isdir(archive_root), "invalid directory : {:}".format(archive_root)
        xfile_path = os.path.join(archive_root, "{:06d}-FULL.pth".format(index))
        assert 0 <= index < len(self.meta_archs), "invalid index of {:}".format(index)
        assert os.path.isfile(xfile_path), "invalid data path : {:}".format(xfile_path)
        engine = _native.Engine(xfile_path, "nb201", False)
        assert index in engine._contents()[0], "invalid format of data in {:}".format(xfile_path)
        self._reloaded[index] = engine
        for key in [k for k in self._stored if k[0] == index]:
            del self._stored[key]

    def query_by_arch(self, arch: Any, use_12epochs_result: bool = False) -> Optional[str]:
        """The printed summary of a cell as one string; ``None`` (and a line) for a cell without results."""
        arch_index = arch if isinstance(arch, int) else self.query_index_by_arch(arch)
        if arch_index == -1:
            return None
        _, infos = self._infos(arch_index, use_12epochs_result, stored=True)
        if infos is None:
            print("Find this arch-index : {:}, but this arch is not evaluated.".format(arch_index))
            return None
        return "\n".join(print_information(infos, "arch-index={:}".format(arch_index)))

    def query_by_index(self, arch_index: int, dataname: Optional[str] = None,
                       use_12epochs_result: bool = False) -> Any:
        """A cell's ``ArchResults``, or with ``dataname`` its trials on that dataset by seed."""
        basestr, infos = self._infos(arch_index, use_12epochs_result)
        assert infos is not None, "arch_index [{:}] does not in arch2info with {:}".format(arch_index, basestr)
        if dataname is None:
            return infos
        assert dataname in infos.get_dataset_names(), "invalid dataset-name : {:}".format(dataname)
        return infos.query(dataname)

    def query_meta_info_by_index(self, arch_index: int, use_12epochs_result: bool = False) -> ArchResults:
        """A cell's ``ArchResults``."""
        basestr, infos = self._infos(arch_index, use_12epochs_result)
        assert infos is not None, "arch_index [{:}] does not in arch2info with {:}".format(arch_index, basestr)
        return infos

    def find_best(self, dataset: str, metric_on_set: str, FLOP_max: Optional[float] = None,
                  Param_max: Optional[float] = None, use_12epochs_result: bool = False) -> Tuple[int, Any]:
        """The evaluated cell with the highest mean accuracy on ``metric_on_set`` within the limits."""
        best_index, highest_accuracy = -1, None
        for idx in self.evaluated_indexes:
            infos = self._get(idx, use_12epochs_result)
            costs = infos.get_comput_costs(dataset)
            if FLOP_max is not None and costs["flops"] > FLOP_max:
                continue
            if Param_max is not None and costs["params"] > Param_max:
                continue
            accuracy = infos.get_metrics(dataset, metric_on_set)["accuracy"]
            if best_index == -1 or highest_accuracy < accuracy:
                best_index, highest_accuracy = idx, accuracy
        return best_index, highest_accuracy

    def arch(self, index: int) -> str:
        """The string of the ``index``-th architecture."""
        assert 0 <= index < len(self.meta_archs), "invalid index : {:} vs. {:}.".format(index, len(self.meta_archs))
        return copy.deepcopy(self.meta_archs[index])

    def get_net_param(self, index: int, dataset: str, seed: Any, use_12epochs_result: bool = False) -> Any:
        """A trial's weights (``None`` where the file has none: a benchmark file; ``reload`` reads them), or with
        ``seed=None`` a dict of them by seed."""
        return self._get(index, use_12epochs_result).get_net_param(dataset, seed)

    def get_more_info(self, index: int, dataset: str, iepoch: Optional[int] = None, use_12epochs_result: bool = False,
                      is_random: bool = True) -> Dict[str, Any]:
        """v1.0's metrics of a cell: training, validation and test loss and accuracy (times on ``cifar10-valid``),
        each set's trial drawn on its own with ``is_random``."""
        result = self._get(index, use_12epochs_result)

        def metrics(setname):
            return result.get_metrics(dataset, setname, iepoch=iepoch, is_random=is_random)

        def optional(setname):
            try:
                return metrics(setname)
            except Exception:  # v1.0 leaves out a set the trials lack, whatever the failure
                return None

        train = metrics("train")
        if dataset == "cifar10-valid":
            valid, test = metrics("x-valid"), optional("ori-test")
            total = train["iepoch"] + 1
            info = {"train-loss": train["loss"], "train-accuracy": train["accuracy"],
                    "train-all-time": train["all_time"], "valid-loss": valid["loss"],
                    "valid-accuracy": valid["accuracy"], "valid-all-time": valid["all_time"],
                    "valid-per-time": None if valid["all_time"] is None else valid["all_time"] / total}
            if test is not None:
                info["test-loss"], info["test-accuracy"] = test["loss"], test["accuracy"]
            return info
        test = metrics("ori-test" if dataset == "cifar10" else "x-test")
        valid = optional("x-valid")
        info = {"train-loss": train["loss"], "train-accuracy": train["accuracy"], "test-loss": test["loss"],
                "test-accuracy": test["accuracy"]}
        if valid is not None:
            info["valid-loss"], info["valid-accuracy"] = valid["loss"], valid["accuracy"]
        return info

    def show(self, index: int = -1) -> None:
        """Prints the summary of a cell at both schedules (of every evaluated cell with ``index < 0``)."""

        def both(idx):
            for title, flag in ((" 200 epochs ", False), ("  12 epochs ", True)):
                strings = print_information(self._get(idx, flag))
                print(">" * 40 + title + ">" * 40)
                print("\n".join(strings))
            print("<" * 40 + "------------" + "<" * 40)

        if index < 0:
            print(self)
            for i, idx in enumerate(self.evaluated_indexes):
                print("\n" + "-" * 10 + " The ({:5d}/{:5d}) {:06d}-th architecture! ".format(
                    i, len(self.evaluated_indexes), idx) + "-" * 10)
                print("arch : {:}".format(self.meta_archs[idx]))
                both(idx)
        elif index < len(self.meta_archs):
            if index not in self._held():
                print("The {:}-th architecture has not been evaluated or not saved.".format(index))
            else:
                both(index)
        else:
            print("This index ({:}) is out of range (0~{:}).".format(index, len(self.meta_archs)))


def _reopen(path: str, reloaded: List[Tuple[int, Any]]) -> NASBench102API:
    """A ``NASBench102API`` over ``path`` (without output), with the cells ``reload`` read from their files."""
    api = NASBench102API(path, verbose=False)
    for index, file in reloaded:
        api._reloaded[index] = _native.Engine(str(file), "nb201", False)
    return api
