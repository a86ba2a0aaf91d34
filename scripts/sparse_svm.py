#!/usr/bin/env python3
"""sparse_svm.py — a reproducible sparse classification set in LIBSVM text, for comparing asgd's
optima with liblinear's beyond asgd's Cholesky limit (d > 4096) on a file both can read.

usage: sparse_svm.py N D NNZ SEED > FILE

N rows of NNZ distinct features each out of D (uniform), values U(0, 1) (tf-idf-like, positive),
each row scaled to unit norm; labels ±1 from a planted w ~ N(0, 1) on the features, 10% flipped.
Feature D is always written by the last row, so that both readers see D features.
"""
import math
import random
import sys


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().split("\n\n")[1])
    n, d, nnz, seed = (int(a) for a in sys.argv[1:])
    rng = random.Random(seed)
    w = [rng.gauss(0, 1) for _ in range(d)]
    out = []
    for i in range(n):
        cols = set(rng.sample(range(d), nnz))
        if i == n - 1:
            cols.add(d - 1)
        cols = sorted(cols)
        vals = [rng.random() + 1e-3 for _ in cols]
        norm = math.sqrt(sum(v * v for v in vals))
        vals = [v / norm for v in vals]
        m = sum(w[j] * v for j, v in zip(cols, vals))
        y = 1 if (m > 0) != (rng.random() < 0.1) else -1
        out.append("%+d %s" % (y, " ".join("%d:%.6g" % (j + 1, v) for j, v in zip(cols, vals))))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
