# From D-X-Y/NATS-Bench at 1d4a304 (notebooks/issue-33.ipynb), its code cells as written, one after another: a public
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

from nats_bench import create
import numpy as np

# Create the API for size search space
api = create(None, 'tss', fast_mode=True, verbose=False)
print('There are {:} architectures on the size search space'.format(len(api)))
print(api.simulate_train_eval(2, 'cifar10', iepoch=24, hp='200'))
print(api.simulate_train_eval(2, 'cifar100', iepoch=24, hp='200'))
print(api.simulate_train_eval(2, 'cifar100', iepoch=100, hp='200'))
print(api.simulate_train_eval(2, 'cifar100', iepoch=150, hp='200'))
print(api.simulate_train_eval(2, 'cifar100', iepoch=180, hp='200'))
print(api.simulate_train_eval(2, 'cifar100', iepoch=199, hp='200'))
print(api.simulate_train_eval(2, 'ImageNet16-120', iepoch=180, hp='200'))
print(api.simulate_train_eval(2, 'ImageNet16-120', iepoch=199, hp='200'))
