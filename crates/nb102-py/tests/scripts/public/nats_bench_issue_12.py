# From D-X-Y/NATS-Bench at 1d4a304 (notebooks/issue-12.ipynb), its code cells as written, one after another: a
# public script that imports nats_bench, run unchanged by tests/test_public.py. Its licence:
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
from nats_bench.api_utils import time_string
import numpy as np

# Create the API for topology search space
api = create(None, 'tss', fast_mode=True, verbose=False)
print('{:} There are {:} architectures on the topology search space'.format(time_string(), len(api)))

unique_strs = []
for index in range(len(api)):
    unique_str = api.get_unique_str(index)
    unique_strs.append(unique_str)
print('{:} There are {:} isomorphism architectures on the topology search space'.format(time_string(), len(set(unique_strs))))
