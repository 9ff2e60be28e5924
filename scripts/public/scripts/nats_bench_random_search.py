# From D-X-Y/NATS-Bench at 1d4a304 (notebooks/random-search.ipynb), its code cells as written, one after another: a public
# script that imports nats_bench, run unchanged by scripts/public/run.py. Its licence:
#
# MIT License
#
# Copyright (c) since 2020 Xuanyi Dong (GitHub: https://github.com/D-X-Y)
#
# Permission is hereby granted, free of charge, to any person obtaining a copy
# of this software and associated documentation files (the "Software"), to deal
# in the Software without restriction, including without limitation the rights
# to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
# copies of the Software, and to permit persons to whom the Software is
# furnished to do so, subject to the following conditions:
#
# The above copyright notice and this permission notice shall be included in all
# copies or substantial portions of the Software.
#
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
# IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
# FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
# AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
# LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
# OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
# SOFTWARE.

import random
import numpy as np
from nats_bench import create
from pprint import pprint
# Create the API for tologoy search space
api_tss = create(None, 'tss', fast_mode=True, verbose=False)
def random_search(api, trials=20, dataset='ImageNet16-120'):
    api.reset_time()
    highest_accuracy, best_arch = -1, -1
    for i in range(trials):
        arch_index = random.randint(0, len(api)-1)
        accuracy, _, _, total_cost = api.simulate_train_eval(
            arch_index, dataset, hp="12"
        )
        if accuracy > highest_accuracy:
            highest_accuracy = accuracy
            best_arch = arch_index
    return arch_index
# Just a small example, not the full experiment in the paper
dataset = 'ImageNet16-120'
rs_times, accuracies = 100, []
for i in range(rs_times):
    arch_index = random_search(api_tss, dataset=dataset)
    info = api_tss.get_more_info(arch_index, dataset, hp='200', is_random=False)
    accuracies.append(info['test-accuracy'])
print('Random Search on {:} : {:.4f} $\pm$ {:.4f}'.format(dataset, np.mean(accuracies), np.std(accuracies)))
