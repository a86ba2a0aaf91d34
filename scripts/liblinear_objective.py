#!/usr/bin/env python3
"""liblinear_objective.py — a liblinear model's regularised loss, in asgd's scale.

usage: liblinear_objective.py DATA.svm MODEL C [squares|logistic|hinge]   (default logistic)

asgd's data model with λ = 1/(nC) minimises f(w) = (1/n) Σ_i ℓ(w·x_i, y_i) + (λ/2)‖w‖², with
ℓ = ½(m − y)², log(1 + exp(−y m)) or max(0, 1 − y m). liblinear (no bias) minimises, for the
solver that matches each loss,

    logistic  -s 0  -c C          P(w) = ½‖w‖² + C Σ log(1 + exp(−y w·x))
    hinge     -s 3  -c C          P(w) = ½‖w‖² + C Σ max(0, 1 − y w·x)  (solved in the dual)
    squares   -s 11 -p 0 -c C/2   P(w) = ½‖w‖² + (C/2) Σ (y − w·x)²

and in every case f(w) = P(w)/(nC): for squares, ½‖w‖² + C' Σ r² = nC·f needs C' = C/2. This
prints f(w) for liblinear's w, computed from the data file directly (plain Python, no asgd code),
so that the two solvers are compared on the same objective. C is asgd's (`asgd run --C`).
"""
import math
import sys

LOSSES = ("squares", "logistic", "hinge")


def read_model(path):
    with open(path) as fh:
        lines = fh.read().split("\n")
    head = {}
    i = 0
    while lines[i].strip() != "w":
        key, _, val = lines[i].partition(" ")
        head[key] = val.strip()
        i += 1
    if head.get("bias", "-1") not in ("-1", "-1.0"):
        sys.exit("liblinear_objective.py: models with a bias term are not supported")
    w = [float(v.split()[0]) for v in lines[i + 1:] if v.strip()]
    if "label" not in head:  # regression: no classes
        return None, w
    # liblinear's w scores the first label as positive
    return float(head["label"].split()[0]), w


def loss(kind, m, y):
    if kind == "squares":
        return 0.5 * (m - y) * (m - y)
    z = y * m
    if kind == "hinge":
        return max(0.0, 1 - z)
    return math.log1p(math.exp(-z)) if z > 0 else -z + math.log1p(math.exp(z))


def main():
    if len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[4] not in LOSSES):
        sys.exit(__doc__.strip().split("\n\n")[1])
    kind = sys.argv[4] if len(sys.argv) == 5 else "logistic"
    positive, w = read_model(sys.argv[2])
    C = float(sys.argv[3])
    total, n = 0.0, 0
    with open(sys.argv[1]) as fh:
        for line in fh:
            line = line.split("#")[0].split()
            if not line:
                continue
            y = float(line[0])
            if kind != "squares":
                y = 1.0 if y == positive else -1.0
            m = 0.0
            for tok in line[1:]:
                j, v = tok.split(":")
                if j != "qid" and int(j) <= len(w):
                    m += w[int(j) - 1] * float(v)
            total += loss(kind, m, y)
            n += 1
    lam = 1.0 / (n * C)
    print("%.15g" % (total / n + 0.5 * lam * math.fsum(x * x for x in w)))


if __name__ == "__main__":
    main()
