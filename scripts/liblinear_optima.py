#!/usr/bin/env python3
"""liblinear_optima.py — asgd's optimum of a data model against liblinear's, on one LIBSVM file.

usage: liblinear_optima.py ASGD DATA.svm C squares|logistic|hinge

Runs liblinear-train with the solver of the same objective (liblinear_objective.py has the
table; no bias, -e 1e-10) and `ASGD run --model LOSS --data DATA --C C --replicas 1 --iters 1
--work none`, whose summary.json has asgd's optimum f(x*) (data.optimum_loss), and prints one
markdown row: the set, the loss, both f, their relative difference, both times (asgd's includes
reading the file), and the verdict. Exits 0 when they agree, 1 when not, 2 on a failed run.

Agreement: |f_asgd − f_lib| ≤ 1e-7 f_lib. Where liblinear stops at its pass cap (it prints
"reaching max number of iterations": -s 3 on heart_scale) its f is an upper bound only, and
its dual value, which -s 3 prints, a lower bound (weak duality): then asgd's f must lie in
that bracket, [D_lib, f_lib] divided by nC, with 1e-6 of slack for the dual's six printed
decimals. Needs liblinear-tools: a missing liblinear-train is a failure, not a skip.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import liblinear_objective  # noqa: E402

REL_TOL = 1e-7


def liblinear_options(loss, C):
    if loss == "logistic":
        return ["-s", "0", "-c", repr(C)]
    if loss == "hinge":
        return ["-s", "3", "-c", repr(C)]
    return ["-s", "11", "-p", "0", "-c", repr(C / 2)]  # ½‖w‖² + C' Σ r² = nC f at C' = C/2


def objective(data, model, C, loss):
    out = subprocess.run([sys.executable, liblinear_objective.__file__, data, model, repr(C),
                          loss], check=True, capture_output=True, text=True).stdout
    return float(out)


def rows(data):
    with open(data) as fh:
        return sum(1 for line in fh if line.split("#")[0].strip())


def main():
    if len(sys.argv) != 5 or sys.argv[4] not in liblinear_objective.LOSSES:
        sys.exit(__doc__.strip().split("\n\n")[1])
    asgd, data, C, loss = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    train = shutil.which("liblinear-train")
    if not train:
        print("liblinear_optima: liblinear-train not found: install liblinear-tools "
              "(scripts/setup.sh does)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        opts = liblinear_options(loss, C) + ["-e", "1e-10"]
        t0 = time.monotonic()
        lib = subprocess.run([train] + opts + [data, tmp + "/model"], capture_output=True,
                             text=True)
        t_lib = time.monotonic() - t0
        if lib.returncode != 0:
            print("liblinear-train %s failed: %s" % (" ".join(opts), lib.stderr), file=sys.stderr)
            return 2
        f_lib = objective(data, tmp + "/model", C, loss)
        t0 = time.monotonic()
        run = subprocess.run([asgd, "run", "--model", loss, "--data", data, "--C", repr(C),
                              "--replicas", "1", "--iters", "1", "--work", "none", "--quiet",
                              "--out", tmp + "/run"], capture_output=True, text=True)
        t_asgd = time.monotonic() - t0
        if run.returncode != 0:
            print("asgd run failed: %s" % run.stderr, file=sys.stderr)
            return 2
        f_asgd = json.load(open(tmp + "/run/summary.json"))["data"]["optimum_loss"]
    if f_asgd is None:
        print("asgd found no optimum for %s on %s" % (loss, data), file=sys.stderr)
        return 1
    rel = (f_asgd - f_lib) / f_lib
    capped = "reaching max number of iterations" in lib.stdout
    dual = re.search(r"Objective value = (-?[0-9.]+)", lib.stdout)
    if capped and loss == "hinge" and dual:
        nC = rows(data) * C
        low = (-float(dual.group(1)) - 1e-6) / nC
        ok = low <= f_asgd <= f_lib * (1 + 1e-12)
        verdict = "in liblinear's bracket [%.9g, %.9g] (it hit its pass cap)" % (low, f_lib)
    else:
        ok = abs(rel) <= REL_TOL
        verdict = "agree (≤ %g)" % REL_TOL
    print("| %s | %s | `%s` | %.12g | %.12g | %+.1e | %.3f s | %.3f s | %s |" % (
        os.path.basename(data), loss, " ".join(opts), f_lib, f_asgd, rel, t_lib, t_asgd,
        verdict if ok else "**DISAGREE**: " + verdict))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
