"""The seed's own snippets: every code block of NAS-Bench-102 v1.0's README (`nas_102_api`, D-X-Y/NAS-Bench-201 at
e1f6f5b, MIT licence) as written, then the rest of v1.0's API, each printed.

Run in a folder holding `NAS-Bench-102-v1_0-e61699.pth` and `000157-FULL.pth`, with `TORCH_HOME` holding the
`NAS-Bench-102-v1_0-e61699.pth` and the per-cell archive `NAS-BENCH-102-4-v1.0-archive` (`000003-FULL.pth`); by
`scripts/golden/nas_102_v1.py` against the reference (its transcript is the golden file) and by
`tests/test_nas_102.py` through `python -m nb102.run` against nb102. A snippet that fails prints the exception's
type and the script goes on, so a snippet that fails against the reference must fail the same way.
"""
import hashlib
import random
import traceback

import torch

SNIPPETS = [
    # 1. Creating an API instance from a file.
    """
from nas_102_api import NASBench102API as API
api = API('$path_to_meta_nas_bench_file')
""",
    """
api = API('NAS-Bench-102-v1_0-e61699.pth')
api = API('{:}/{:}'.format(os.environ['TORCH_HOME'], 'NAS-Bench-102-v1_0-e61699.pth'))
""",
    # 2. The number of architectures and each architecture.
    """
num = len(api)
for i, arch_str in enumerate(api):
  print ('{:5d}/{:5d} : {:}'.format(i, len(api), arch_str))
""",
    # 3. The results of all trials of one architecture.
    """
api.show(1)
api.show(2)
""",
    """
info = api.query_meta_info_by_index(1)  # This is an instance of `ArchResults`
res_metrics = info.get_metrics('cifar10', 'train') # This is a dict with metric names as keys
cost_metrics = info.get_comput_costs('cifar100') # This is a dict with metric names as keys, e.g., flops, params, latency
print(res_metrics)
print(cost_metrics)
""",
    """
results = api.query_by_index(1, 'cifar100') # a dict of all trials for 1st net on cifar100, where the key is the seed
print ('There are {:} trials for this architecture [{:}] on cifar100'.format(len(results), api[1]))
print ('Latency : {:}'.format(results[0].get_latency()))
print ('Train Info : {:}'.format(results[0].get_train()))
print ('Valid Info : {:}'.format(results[0].get_eval('x-valid')))
print ('Test  Info : {:}'.format(results[0].get_eval('x-test')))
# for the metric after a specific epoch
print ('Train Info [10-th epoch] : {:}'.format(results[0].get_train(10)))
""",
    # 4. The index of an architecture by its string.
    """
index = api.query_index_by_arch('|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|')
api.show(index)
""",
    # ResultsCount.
    """
from nas_102_api import ResultsCount
xdata  = torch.load('000157-FULL.pth')
odata  = xdata['full']['all_results'][('cifar10-valid', 777)]
result = ResultsCount.create_from_state_dict( odata )
print(result) # print it
print(result.get_train())   # print the final training loss/accuracy/[optional:time-cost-of-a-training-epoch]
print(result.get_train(11)) # print the training info of the 11-th epoch
print(result.get_eval('x-valid'))     # print the final evaluation info on the validation set
print(result.get_eval('x-valid', 11)) # print the info on the validation set of the 11-th epoch
print(result.get_latency())           # print the evaluation latency [in batch]
result.get_net_param()                # the trained parameters of this trial
arch_config = result.get_config(CellStructure.str2structure) # create the network with params
net_config  = dict2config(arch_config, None)
network    = get_cell_based_tiny_net(net_config)
network.load_state_dict(result.get_net_param())
""",
    # ArchResults.
    """
from nas_102_api import ArchResults
xdata   = torch.load('000157-FULL.pth')
archRes = ArchResults.create_from_state_dict(xdata['less']) # load trials trained with  12 epochs
archRes = ArchResults.create_from_state_dict(xdata['full']) # load trials trained with 200 epochs

print(archRes.arch_idx_str())      # print the index of this architecture 
print(archRes.get_dataset_names()) # print the supported training data
print(archRes.get_comput_costs('cifar10-valid')) # print all computational info when training on cifar10-valid 
print(archRes.get_metrics('cifar10-valid', 'x-valid', None, False)) # print the average loss/accuracy/time on all trials
print(archRes.get_metrics('cifar10-valid', 'x-valid', None,  True)) # print loss/accuracy/time of a randomly selected trial
""",
    # NASBench102API.
    """
from nas_102_api import NASBench102API as API
api = API('NAS-Bench-102-v1_0-e61699.pth') # This will load all the information of NAS-Bench-102 except the trained weights
api = API('{:}/{:}'.format(os.environ['TORCH_HOME'], 'NAS-Bench-102-v1_0-e61699.pth')) # The same as the above line while I usually save NAS-Bench-102-v1_0-e61699.pth in ~/.torch/.
api.show(-1)  # show info of all architectures
api.reload('{:}/{:}'.format(os.environ['TORCH_HOME'], 'NAS-BENCH-102-4-v1.0-archive'), 3) # This code will reload the information 3-th architecture with the trained weights

weights = api.get_net_param(3, 'cifar10', None) # Obtaining the weights of all trials for the 3-th architecture on cifar10. It will returns a dict, where the key is the seed and the value is the trained weights.
""",
    """
print(sorted(weights))
print(describe(weights[sorted(weights)[0]]))
print(describe(result.get_net_param()))
""",
    # The rest of v1.0's API.
    """
import nas_102_api
print(nas_102_api.NAS_BENCH_102_API_VERSION)
print(api)
print(api.query_index_by_arch(api[157]), api.query_index_by_arch(157), api.query_index_by_arch('|bogus~0|'))
print(api.arch(157))
print(api.query_by_arch(api[157]))
print(api.query_by_arch(api[157], True))
print(api.query_by_arch(5))
print(api.query_by_arch('|bogus~0|'))
random.seed(1); print(api.random(), api.random())
""",
    """
for index in api.evaluated_indexes:
  for flag in (False, True):
    for dataset in ('cifar10-valid', 'cifar10', 'cifar100', 'ImageNet16-120'):
      for iepoch in (None, 0, 11, 150):
        for is_random in (False, True):
          random.seed(index + iepoch if iepoch else index)
          try:
            print(index, flag, dataset, iepoch, is_random, api.get_more_info(index, dataset, iepoch, flag, is_random))
          except Exception as e:
            print(index, flag, dataset, iepoch, is_random, type(e).__name__)
""",
    """
for dataset, metric in (('cifar10-valid', 'x-valid'), ('cifar10', 'ori-test'), ('cifar100', 'x-test'),
                        ('ImageNet16-120', 'x-valid'), ('cifar10-valid', 'train')):
  for flop_max, param_max in ((None, None), (None, 0.41), (57.5, None)):
    for flag in (False, True):
      try:
        print(dataset, metric, flop_max, param_max, flag, api.find_best(dataset, metric, flop_max, param_max, flag))
      except Exception as e:
        print(dataset, metric, flop_max, param_max, flag, type(e).__name__)
""",
    """
info = api.query_meta_info_by_index(157, True)
print(info)
print(info.get_dataset_names(), info.arch_idx_str(), info.arch_index, info.arch_str, info.dataset_seed)
print(sorted(info.all_results))
for dataset in info.get_dataset_names():
  print(info.get_comput_costs(dataset))
  print(sorted(info.query(dataset)))
  random.seed(3)
  print(info.get_metrics(dataset, 'train', 5, True), info.get_metrics(dataset, 'train'))
print(info.show())
trial = api.query_by_index(157, 'cifar10-valid', True)[777]
print(trial, trial.get_times(), trial.get_eval_set(), trial.get_latency(), trial.seed, trial.epochs, trial.name)
print(trial.get_config(CellStructure.str2structure))
print(api.query_by_index(157), api.query_by_index(157, None, True))
print(api.query_by_index(157, 'mnist'))
""",
    """
print(api.query_meta_info_by_index(4))
""",
    """
print(api.get_net_param(157, 'cifar10-valid', 777))
""",
    """
api.show(15625)
api.show(4)
print(len(api.query_by_index(3, 'cifar10')))
print(api.query_meta_info_by_index(3).get_comput_costs('cifar10'))
""",
]


def describe(state):
    """A state dict's names, shapes and the sha256 of its values."""
    if state is None:
        return None
    return [(name, tuple(t.shape), hashlib.sha256(t.detach().contiguous().numpy().tobytes()).hexdigest()[:16])
            for name, t in state.items()]


def main():
    import os

    from xautodl.config_utils import dict2config
    from xautodl.models import get_cell_based_tiny_net
    from xautodl.models.cell_searchs.genotypes import Structure as CellStructure

    namespace = {"os": os, "torch": torch, "random": random, "describe": describe, "CellStructure": CellStructure,
                 "dict2config": dict2config, "get_cell_based_tiny_net": get_cell_based_tiny_net}
    # Every draw of `random` (v1.0 draws seeds with `random.randint`) follows from here.
    random.seed(0)
    for k, snippet in enumerate(SNIPPETS):
        print("## snippet {}".format(k))
        try:
            exec(snippet, namespace)
        except Exception as e:
            # The failing line of the snippet, and the exception's type.
            line = traceback.extract_tb(e.__traceback__)[1].lineno
            print("!! {} at line {}".format(type(e).__name__, line))


if __name__ == "__main__":
    main()
