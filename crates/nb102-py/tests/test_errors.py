"""Bad calls raise what the reference raises, since scripts catch those types: the same table of calls against
`nats_bench` 1.8 and `nb102`, compared by exception type (message aside).

Data: the official NATS-Bench sample records (the `nats` fixture of `conftest.py`).
"""

import contextlib
import io
import random

import pytest

import nb102

HUGE = 2**70
CALLS = {
    "get_more_info(-1)": lambda a: a.get_more_info(-1, "cifar10"),
    "get_more_info(huge)": lambda a: a.get_more_info(HUGE, "cifar10"),
    "get_more_info(100000)": lambda a: a.get_more_info(100000, "cifar10"),
    "get_more_info(1.5)": lambda a: a.get_more_info(1.5, "cifar10"),
    "get_more_info(dataset=None)": lambda a: a.get_more_info(0, None),
    "get_more_info(dataset='mnist')": lambda a: a.get_more_info(0, "mnist"),
    "get_more_info(iepoch=1.5)": lambda a: a.get_more_info(0, "cifar10", iepoch=1.5),
    "get_more_info(iepoch=-1)": lambda a: a.get_more_info(0, "cifar10", iepoch=-1),
    "get_more_info(iepoch=12)": lambda a: a.get_more_info(0, "cifar10", iepoch=12),
    "get_more_info(iepoch=huge)": lambda a: a.get_more_info(0, "cifar10", iepoch=HUGE),
    "get_more_info(hp=None)": lambda a: a.get_more_info(0, "cifar10", hp=None),
    "get_more_info(hp='012')": lambda a: a.get_more_info(0, "cifar10", hp="012"),
    "get_more_info(hp='13')": lambda a: a.get_more_info(0, "cifar10", hp="13"),
    "get_more_info(is_random=None)": lambda a: a.get_more_info(0, "cifar10", is_random=None),
    "get_more_info(is_random=778)": lambda a: a.get_more_info(0, "cifar10", hp="200", is_random=778),
    "get_more_info(is_random=-1)": lambda a: a.get_more_info(0, "cifar10", hp="200", is_random=-1),
    "get_more_info(is_random=huge)": lambda a: a.get_more_info(0, "cifar10", hp="200", is_random=HUGE),
    "get_cost_info(-1)": lambda a: a.get_cost_info(-1, "cifar10"),
    "get_cost_info(huge)": lambda a: a.get_cost_info(HUGE, "cifar10"),
    "get_cost_info(dataset=None)": lambda a: a.get_cost_info(0, None),
    "get_cost_info(hp=None)": lambda a: a.get_cost_info(0, "cifar10", hp=None),
    "get_cost_info(hp='012')": lambda a: a.get_cost_info(0, "cifar10", hp="012"),
    "get_latency(-1)": lambda a: a.get_latency(-1, "cifar10"),
    "get_latency(huge)": lambda a: a.get_latency(HUGE, "cifar10"),
    "simulate_train_eval(-1)": lambda a: a.simulate_train_eval(-1, "cifar10"),
    "simulate_train_eval(huge)": lambda a: a.simulate_train_eval(HUGE, "cifar10"),
    "simulate_train_eval(dataset=None)": lambda a: a.simulate_train_eval(0, None),
    "simulate_train_eval(hp=None)": lambda a: a.simulate_train_eval(0, "cifar10", hp=None),
    "simulate_train_eval(iepoch=1.5)": lambda a: a.simulate_train_eval(0, "cifar10", iepoch=1.5),
    "find_best(hp='13')": lambda a: a.find_best("cifar10", "valid", hp="13"),
    "find_best(hp=None)": lambda a: a.find_best("cifar10", "valid", hp=None),
    "find_best('mnist')": lambda a: a.find_best("mnist", "valid"),
    "find_best(set='xx')": lambda a: a.find_best("cifar10", "xx"),
    "get_net_config(-1)": lambda a: a.get_net_config(-1, "cifar10"),
    "get_net_config(huge)": lambda a: a.get_net_config(HUGE, "cifar10"),
    "get_net_config(dataset=None)": lambda a: a.get_net_config(0, None),
    "query_by_index(-1)": lambda a: a.query_by_index(-1, "cifar10"),
    "query_by_index(huge)": lambda a: a.query_by_index(HUGE, "cifar10"),
    "query_meta_info_by_index(-1)": lambda a: a.query_meta_info_by_index(-1),
    "query_meta_info_by_index(huge)": lambda a: a.query_meta_info_by_index(HUGE),
    "arch(-1)": lambda a: a.arch(-1),
    "arch(huge)": lambda a: a.arch(HUGE),
    "query_index_by_arch('xx')": lambda a: a.query_index_by_arch("xx"),
    "query_index_by_arch(-1)": lambda a: a.query_index_by_arch(-1),
    "query_index_by_arch(huge)": lambda a: a.query_index_by_arch(HUGE),
    "statistics(hp=None)": lambda a: a.statistics("cifar10", None),
    "statistics('mnist')": lambda a: a.statistics("mnist", "12"),
    "get_net_param(huge)": lambda a: a.get_net_param(HUGE, "cifar10", None),
    "get_net_param(seed=huge)": lambda a: a.get_net_param(0, "cifar10", HUGE),
    "get_net_param(seed=-1)": lambda a: a.get_net_param(0, "cifar10", -1),
}


def outcome(call):
    random.seed(1)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            call()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__
    return "returns"


@pytest.mark.parametrize("name", CALLS)
def test_bad_calls_raise_what_the_reference_raises(nats, name):
    ref, ours, _ = nats
    assert outcome(lambda: CALLS[name](ours)) == outcome(lambda: CALLS[name](ref))


def test_bad_paths_raise_what_the_reference_raises(tmp_path):
    nats_bench = pytest.importorskip("nats_bench")
    nas_201_api = pytest.importorskip("nas_201_api")
    for path in [tmp_path / "missing", tmp_path]:
        assert outcome(lambda: nb102.create(str(path), "tss", True, False)) == outcome(
            lambda: nats_bench.create(str(path), "tss", True, False))
    missing = str(tmp_path / "missing")
    assert outcome(lambda: nb102.NASBench201API(missing, verbose=False)) == outcome(
        lambda: nas_201_api.NASBench201API(missing, verbose=False)) == "AssertionError"
