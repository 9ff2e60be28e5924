# From D-X-Y/NATS-Bench at 1d4a304 (notebooks/find-largest.ipynb), its code cells as written, one after another: a public
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
api = create(None, 'tss', fast_mode=True, verbose=False)
# query the largest model's performance
largest_candidate_tss = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'
arch_index = api.query_index_by_arch(largest_candidate_tss)
print('The architecture-index for the largest model is {:}'.format(arch_index))
datasets = ('cifar10', 'cifar100', 'ImageNet16-120')
for dataset in datasets:
    print('Its performance on {:} with 12-epoch-training'.format(dataset))
    info = api.get_more_info(arch_index, dataset, hp='12', is_random=False)
    pprint(info)
    print('Its performance on {:} with 200-epoch-training'.format(dataset))
    info = api.get_more_info(arch_index, dataset, hp='200', is_random=False)
    pprint(info)
