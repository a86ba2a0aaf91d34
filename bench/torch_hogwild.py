#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""torch_hogwild.py — the peer of bench_master: PyTorch's Hogwild on the same kind of problem.

P processes (torch.multiprocessing, fork) share one parameter tensor x (share_memory_) and each
runs K/P updates of a hand-written SGD step, x -= lr * g, with g the gradient of one component
of f_i(x) = sum_j a_j x_j^2 / 2 - b_i . x (quadratic:d=D,n=10, as bench_master), i uniform.
This is the loop of PyTorch's own Hogwild example without autograd, the fastest way PyTorch
does it. Prints one line per repetition, "updates_per_s", and the median last.

usage: bench/torch_hogwild.py [--dim D] [--procs P] [--iters K] [--reps R]
(python3-torch from Debian; timings only, nothing asserted)
"""
import argparse
import statistics
import time

import torch
import torch.multiprocessing as mp


def worker(x, a, b, lr, updates, seed, start, done):
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(seed)
    rows = torch.randint(0, b.shape[0], (updates,), generator=gen).tolist()
    start.wait()
    for i in rows:
        g = a * x - b[i]
        x.sub_(lr * g)
    done.put(1)


def one_run(dim, procs, iters, seed):
    torch.manual_seed(seed)
    a = 0.5 + 1.5 * torch.rand(dim, dtype=torch.float64)
    b = torch.randn(10, dim, dtype=torch.float64)
    x = torch.ones(dim, dtype=torch.float64).share_memory_()
    ctx = mp.get_context("fork")
    start, done = ctx.Barrier(procs + 1), ctx.Queue()
    share = [iters // procs + (1 if p < iters % procs else 0) for p in range(procs)]
    ps = [ctx.Process(target=worker, args=(x, a, b, 0.01, share[p], seed + p, start, done))
          for p in range(procs)]
    for p in ps:
        p.start()
    start.wait()
    t0 = time.perf_counter()
    for _ in ps:
        done.get()
    wall = time.perf_counter() - t0
    for p in ps:
        p.join()
    return iters / wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dim", type=int, default=1)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--iters", type=int, default=200000)
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rates = [one_run(args.dim, args.procs, args.iters, 1 + r) for r in range(args.reps)]
    for r in rates:
        print(f"updates_per_s {r:.0f}")
    print(f"median {statistics.median(rates):.0f}")


if __name__ == "__main__":
    main()
