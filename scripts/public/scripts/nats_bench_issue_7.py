# From D-X-Y/NATS-Bench at 1d4a304 (notebooks/issue-7.ipynb), its code cells as written, one after another: a public
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

#
# Aims to solve the issue mentioned in https://github.com/D-X-Y/NATS-Bench/issues/7
#
import nats_bench

print('NATS-Bench version: {:}'.format(nats_bench.version()))
# Create the API for tologoy search space
api = nats_bench.create(None, 'tss', fast_mode=True, verbose=True)
# Find the best architecture on CIFAR-10 validation set
api.verbose = False
best_arch_index, highest_valid_accuracy = api.find_best(dataset='cifar10-valid', metric_on_set='x-valid', hp='12')
print('{:} The best architecture on CIFAR-10 validation set with 12-epoch training is: [{:}] {:}'.format(
    nats_bench.api_utils.time_string(), best_arch_index, api.arch(best_arch_index)))
