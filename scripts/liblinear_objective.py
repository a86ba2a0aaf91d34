#!/usr/bin/env python3
"""liblinear_objective.py — the regularised logistic loss of a liblinear model, in asgd's scale.

usage: liblinear_objective.py DATA.svm MODEL C

liblinear (-s 0, no bias) minimises P(w) = ½‖w‖² + C Σ_i log(1 + exp(−y_i w·x_i)). asgd's
logistic model with λ = 1/(nC) minimises f(w) = (1/n) Σ_i log(1 + exp(−y_i w·x_i)) + (λ/2)‖w‖²
= P(w)/(nC). This prints f(w) for liblinear's w, computed from the data file directly (plain
Python, no asgd code), so that the two solvers are compared on the same objective.
"""
import math
import sys


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
    labels = [float(v) for v in head["label"].split()]
    w = [float(v.split()[0]) for v in lines[i + 1:] if v.strip()]
    return labels[0], w  # liblinear's w scores the first label as positive


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().split("\n\n")[1])
    positive, w = read_model(sys.argv[2])
    C = float(sys.argv[3])
    loss, n = 0.0, 0
    with open(sys.argv[1]) as fh:
        for line in fh:
            line = line.split("#")[0].split()
            if not line:
                continue
            y = 1.0 if float(line[0]) == positive else -1.0
            m = 0.0
            for tok in line[1:]:
                j, v = tok.split(":")
                if j != "qid" and int(j) <= len(w):
                    m += w[int(j) - 1] * float(v)
            z = y * m
            loss += math.log1p(math.exp(-z)) if z > 0 else -z + math.log1p(math.exp(z))
            n += 1
    lam = 1.0 / (n * C)
    print("%.12g" % (loss / n + 0.5 * lam * sum(x * x for x in w)))


if __name__ == "__main__":
    main()
