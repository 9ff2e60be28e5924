"""A script that reaches into the reference packages' modules, as public NAS code does (NATS-Bench's own tests,
AutoDL-Projects' search scripts, NASWOT's space wrapper): structures from `genotype_utils`, the API classes and
their helpers from `api_topology` / `api_201`, the utilities of `api_utils`. It prints what it gets.

    python modules.py nats ARCHIVE TMPDIR      # nats_bench 1.8
    python modules.py nb201 FILE.pth TMPDIR    # nas_201_api 2.1

`tests/test_modules.py` runs it as it is against the reference packages and through `python -m nb102.run`, and
compares the two outputs line for line.
"""
import itertools
import sys


def structures(names, api, cells):
    """Structures of every cell of the space, and of the benchmark's cells in detail."""
    from nats_bench.genotype_utils import TopologyStructure, topology_str2structure

    unique = {None: set(), False: set(), True: set()}
    for arch in api:
        structure = topology_str2structure(arch)
        for zero in unique:
            unique[zero].add(structure.to_unique_str(consider_zero=zero))
    print("classes", {str(k): len(v) for k, v in unique.items()})
    print("valid", sum(topology_str2structure(a).check_valid() for a in api))
    for i in cells:
        s = TopologyStructure.str2structure(api[i])
        print(i, repr(s), s.tostr() == api[i], len(s), s.node_num, s.node_N, s.nodes)
        print(" ", s.tolist("none"), s.tolist("skip_connect"), s.tolist(None))
        print(" ", s.node(1), s.node(2), s[0], s.check_valid_op(names), s.check_valid_op(["none"]))
        print(" ", TopologyStructure.str2structure(s) is s, TopologyStructure(s.nodes).tostr())
        print(" ", TopologyStructure.str2fullstructure(api[i]).tostr())


def nats(archive, tmp):
    import nats_bench
    from nats_bench import api_utils
    from nats_bench.api_topology import ALL_BASE_NAMES, NATStopology, print_information
    from nats_bench.api_utils import mean, pickle_load, pickle_save, remap_dataset_set_names

    print(nats_bench.version(), nats_bench.NATS_BENCH_API_VERSIONs, ALL_BASE_NAMES)
    print(nats_bench.NATS_BENCH_TSS_NAMEs, nats_bench.NATS_BENCH_SSS_NAMEs, nats_bench.search_space_info("nats-bench", "tss"))
    api = NATStopology(archive, True, False)
    print(isinstance(api, api_utils.NASBenchMetaAPI), len(api))
    cells = [0, 11, 284]
    structures(nats_bench.search_space_info("nats-bench", "tss")["op_names"], api, cells)
    for i in cells:
        for hp in ("12", "200"):
            info = api.query_meta_info_by_index(i, hp=hp)
            print(isinstance(info, nats_bench.ArchResults), print_information(info, "extra"))
            print(print_information(info, None, show=True) == print_information(info))
            for dataset in info.get_dataset_names():
                # Printed whole: numpy scalars and the four-digit seeds show in their reprs.
                print(api.get_cost_info(i, dataset, hp=hp), api.get_latency(i, dataset, hp=hp))
                for seed, result in api.query_by_index(i, dataset, hp=hp).items():
                    print(seed, result, isinstance(result, nats_bench.ResultsCount), result.seed, result.params)
                    print(" ", result.get_train(), result.get_latency(), result.latency, result.train_times)
    datasets = ("cifar10", "cifar100", "ImageNet16-120", "cifar10-valid", "mnist")
    sets = ("valid", "test", "train", "x-valid", "ori-test")
    print([remap_dataset_set_names(d, s) for d, s in itertools.product(datasets, sets)])
    print(mean([1, 2, 4]), api_utils.PICKLE_EXT, api_utils.get_file_system())
    pickle_save({"cells": cells, "archs": [api[i] for i in cells]}, tmp + "/saved")
    print(pickle_load(tmp + "/saved"), pickle_load(tmp + "/saved.pbz2"), api_utils.nats_is_file(tmp + "/saved.pbz2"))
    print(api_utils.nats_is_dir(tmp), api_utils.time_string()[:3], len(api_utils.time_string()))


def nb201(path, tmp):
    import nas_201_api
    from nas_201_api.api_201 import ALL_ARCHIVE_DIRS, ALL_BENCHMARK_FILES, NASBench201API, print_information
    from nas_201_api.api_utils import ArchResults, NASBenchMetaAPI, ResultsCount, remap_dataset_set_names

    print(nas_201_api.NAS_BENCH_201_API_VERSION, ALL_BENCHMARK_FILES, ALL_ARCHIVE_DIRS)
    api = NASBench201API(path, verbose=False)
    print(isinstance(api, NASBenchMetaAPI), nas_201_api.NASBench201API is NASBench201API, repr(api))
    for i in api.evaluated_indexes:
        info = api.query_meta_info_by_index(i)
        print(isinstance(info, ArchResults), print_information(info, "extra"))
        print(api.get_cost_info(i, "cifar10"), api.get_latency(i, "cifar10"))
        for seed, result in api.query_by_index(i, "cifar10").items():
            print(seed, result, isinstance(result, ResultsCount), result.get_eval("ori-test"), result.seed)
    print(remap_dataset_set_names("cifar100", "valid"), remap_dataset_set_names("cifar10", "test"))


if __name__ == "__main__":
    {"nats": nats, "nb201": nb201}[sys.argv[1]](sys.argv[2], sys.argv[3])
