#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""behaviour.py — is the command line's behaviour unchanged by a refactor?

`snapshot ASGD DIR` runs a fixed list of commands (every command, small sizes, fixed seeds,
`--workers 1` wherever the real engine runs, since more workers differ from run to run) with the
binary ASGD and keeps, per command, its exit status, stdout, stderr and every file it wrote.
`compare A B` says whether two snapshots are the same apart from what may differ: timings and
throughputs, timestamps, the machine, the output directory's path, and floating-point values
that differ by less than 1e-12 relative (the order of a summation may change). A refactor is
behaviour-neutral when `compare BEFORE AFTER` reports no difference; scripts/behaviour-check.sh
builds a git revision and the working tree and compares the two.

usage: scripts/behaviour.py snapshot ASGD DIR
       scripts/behaviour.py compare DIR_A DIR_B [--rel 1e-12] [--rename OLD=NEW ...]
                                    [--skip GLOB ...]
       scripts/behaviour.py list
Exit 0 when the snapshots agree, 1 when they differ, 2 for bad usage.
"""
import argparse
import csv
import fnmatch
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys

DATA_SVM = "rcv1:n=2000,d=500,nnz=20"
# Every command, small and seeded. Each entry: (name, argv after `asgd`). "{out}" is the
# command's output directory, "{taus}" a file of staleness values written by the snapshot.
COMMANDS = [
    ("help", ["--help"]),
    ("unknown-command", ["frobnicate"]),
    ("run-fig4", ["run", "--preset", "fig4", "--workers", "1", "--replicas", "5", "--iters", "200",
                  "--work", "none", "--seed", "3", "--out", "{out}"]),
    ("run-fig6-momentum", ["run", "--preset", "fig6", "--workers", "1", "--replicas", "3",
                           "--iters", "100", "--momentum", "0.5", "--work", "none", "--out", "{out}"]),
    ("run-fig8-batch", ["run", "--preset", "fig8", "--workers", "1", "--replicas", "3", "--iters",
                        "100", "--batch", "4", "--work", "none", "--out", "{out}"]),
    ("run-logistic-hogwild", ["run", "--model", "logistic", "--data", "heart_scale", "--mode",
                              "hogwild", "--workers", "1", "--replicas", "2", "--iters", "500",
                              "--work", "none", "--out", "{out}"]),
    ("run-hinge-inplace", ["run", "--model", "hinge", "--data", DATA_SVM, "--workers", "1",
                           "--replicas", "2", "--iters", "500", "--work", "none", "--out", "{out}"]),
    ("run-squares-master", ["run", "--model", "squares", "--data", "regression:n=300,d=8",
                            "--mode", "master", "--workers", "1", "--replicas", "2", "--iters",
                            "300", "--work", "none", "--observe", "coord:2", "--out", "{out}"]),
    ("run-bad-workers", ["run", "--workers", "0"]),
    ("run-bad-preset", ["run", "--preset", "fig99"]),
    ("fit", ["fit", "--workers", "4", "--mixture-max", "2", "--out", "{out}", "{taus}"]),
    ("fit-missing", ["fit", "--out", "{out}", "/nonexistent/taus.txt"]),
    ("simulate-asgd", ["simulate", "--model", "asgd", "--preset", "fig4", "--paths", "256",
                       "--iters", "100", "--seed", "2", "--threads", "2", "--out", "{out}"]),
    ("simulate-msgd", ["simulate", "--model", "msgd", "--preset", "fig6", "--paths", "128",
                       "--iters", "50", "--threads", "1", "--out", "{out}"]),
    ("simulate-minibatch", ["simulate", "--model", "minibatch", "--preset", "fig8", "--batch", "4",
                            "--paths", "128", "--iters", "50", "--out", "{out}"]),
    ("simulate-exact", ["simulate", "--model", "asgd", "--preset", "fig4", "--exact", "--iters",
                        "100", "--out", "{out}"]),
    ("sme-asgd-evolve", ["sme", "--model", "sme-asgd", "--sigma", "evolve", "--preset", "fig4",
                         "--paths", "256", "--iters", "60", "--out", "{out}"]),
    ("sme-asgd-linear", ["sme", "--model", "sme-asgd-linear", "--preset", "fig8", "--paths", "128",
                         "--iters", "60", "--out", "{out}"]),
    ("sme-msgd", ["sme", "--model", "sme-msgd", "--preset", "fig6", "--paths", "64", "--iters",
                  "30", "--out", "{out}"]),
    ("sme-sgd-exact", ["sme", "--model", "sme-sgd", "--preset", "fig4", "--exact", "--iters", "80",
                       "--out", "{out}"]),
    ("theory-fig4", ["theory", "--preset", "fig4", "--out", "{out}"]),
    ("theory-a", ["theory", "--a", "2", "--sigma2", "0.5", "--mu", "0.8", "--json", "--out", "{out}"]),
    ("compare", ["compare", "--preset", "fig4", "--paths", "256", "--out", "{out}"]),
    ("compare-quartic", ["compare", "--preset", "fig5-quartic", "--paths", "128", "--out", "{out}"]),
    ("order", ["order", "--preset", "fig4", "--halvings", "2", "--out", "{out}"]),
    ("validate", ["validate", "--preset", "fig4", "--workers", "1", "--work", "none", "--replicas",
                  "20", "--iters", "100", "--paths", "256", "--out", "{out}"]),
    ("validate-data", ["validate", "--model", "logistic", "--data", "heart_scale", "--workers", "1",
                       "--work", "none", "--replicas", "4", "--iters", "100", "--paths", "16",
                       "--out", "{out}"]),
    ("sweep", ["sweep", "--workers", "1", "--preset", "fig4", "--work", "none", "--replicas", "10",
               "--iters", "100", "--paths", "256", "--out", "{out}"]),
    ("batch", ["batch", "--preset", "fig8", "--horizon", "100", "--paths", "64", "--replicas", "5",
               "--workers", "1", "--work", "none", "--out", "{out}"]),
    ("advise", ["advise", "--preset", "fig4", "--workers", "1", "--work", "none",
                "--probe-replicas", "4", "--replicas", "5", "--iters", "100", "--out", "{out}"]),
]
for cmd in ("run", "fit", "simulate", "sme", "theory", "compare", "order", "validate", "sweep",
            "batch", "advise"):
    COMMANDS.append((f"{cmd}-help", [cmd, "--help"]))

# JSON keys and CSV columns whose values are timings, rates, dates or the machine, or the count
# of gradients computed after a run's last update (a worker may or may not have started one more
# when the run ends, even with one worker): compared for presence only.
VOLATILE_KEY = re.compile(r"(^|_)(wall|seconds|secs|time|elapsed|date|timestamp|throughput|"
                          r"machine|updates_per_s|rate|per_s|nproc|work_realised|load|loadavg|"
                          r"commit|kernel|computed|discarded)($|_)|_s$")
# stdout/stderr lines that carry timings or the machine: compared for presence only.
VOLATILE_LINE = re.compile(r"throughput|updates/s|engine time|machine|elapsed|took|wall|"
                           r"accounting")
# A table whose header (one of the 3 lines above a row) names a timing column: the last two
# numbers of its rows may differ.
VOLATILE_HEADER = re.compile(r"updates/s|engine s|t_target|wall")
NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf", re.I)


def write_taus(path):
    """A fixed staleness log: a geometric(0.6) sample from a seeded LCG, no randomness of Python's."""
    state, out = 12345, []
    for _ in range(4000):
        state = (6364136223846793005 * state + 1442695040888963407) % (1 << 64)
        u = ((state >> 11) + 0.5) / (1 << 53)
        out.append(str(int(math.log(u) / math.log(0.6))))
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def snapshot(asgd, dest):
    asgd = os.path.abspath(asgd)
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    taus = os.path.join(dest, "taus.txt")
    write_taus(taus)
    env = dict(os.environ, LC_ALL="C")
    for name, argv in COMMANDS:
        d = os.path.join(dest, name)
        os.makedirs(d)
        # Relative paths, run from the command's directory: outputs that quote the command line
        # or a path then read the same in every snapshot.
        args = [a.replace("{out}", "out").replace("{taus}", "../taus.txt") for a in argv]
        r = subprocess.run(["asgd"] + args, executable=asgd, capture_output=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=900, cwd=d)
        with open(os.path.join(d, "rc"), "w") as f:
            f.write(f"{r.returncode}\n")
        with open(os.path.join(d, "stdout"), "wb") as f:
            f.write(r.stdout)
        with open(os.path.join(d, "stderr"), "wb") as f:
            f.write(r.stderr)
        print(f"{name:<24} exit {r.returncode}", file=sys.stderr)
    return 0


class Diff:
    def __init__(self, rel):
        self.rel = rel
        self.items = []

    def add(self, where, what):
        self.items.append(f"{where}: {what}")

    def num_equal(self, a, b):
        if a == b or (math.isnan(a) and math.isnan(b)):
            return True
        if math.isinf(a) or math.isinf(b):
            return False
        return abs(a - b) <= self.rel * max(abs(a), abs(b)) or abs(a - b) < 1e-300


def to_num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def compare_json(a, b, where, diff, renames, volatile=False):
    if isinstance(a, dict) and isinstance(b, dict):
        ka = {renames.get(k, k): v for k, v in a.items()}
        for k in sorted(set(ka) | set(b)):
            if k not in ka or k not in b:
                diff.add(f"{where}.{k}", "only in " + ("before" if k in ka else "after"))
                continue
            compare_json(ka[k], b[k], f"{where}.{k}", diff, renames,
                         volatile or bool(VOLATILE_KEY.search(k)))
    elif isinstance(a, list) and isinstance(b, list):
        if volatile:
            return
        if len(a) != len(b):
            diff.add(where, f"list of {len(a)} against {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare_json(x, y, f"{where}[{i}]", diff, renames, volatile)
    elif volatile:
        return
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        if not diff.num_equal(float(a), float(b)):
            diff.add(where, f"{a!r} against {b!r}")
    elif a != b:
        diff.add(where, f"{str(a)[:80]!r} against {str(b)[:80]!r}")


def compare_text_lines(la, lb, where, diff):
    if len(la) != len(lb):
        diff.add(where, f"{len(la)} lines against {len(lb)}")
        return
    for i, (x, y) in enumerate(zip(la, lb)):
        if x == y:
            continue
        if VOLATILE_LINE.search(x) and VOLATILE_LINE.search(y):
            continue
        nx, ny = NUM.findall(x), NUM.findall(y)
        free = 2 if any(VOLATILE_HEADER.search(h) for h in la[max(0, i - 3):i]) else 0
        if NUM.sub("#", x) == NUM.sub("#", y) and len(nx) == len(ny) and \
                all(diff.num_equal(float(p), float(q)) or j >= len(nx) - free
                    for j, (p, q) in enumerate(zip(nx, ny))):
            continue
        diff.add(f"{where}:{i + 1}", f"{x[:100]!r} against {y[:100]!r}")
        return  # one line per file is enough to look at


def compare_csv(pa, pb, where, diff):
    ra = list(csv.reader(open(pa, newline="")))
    rb = list(csv.reader(open(pb, newline="")))
    if len(ra) != len(rb):
        diff.add(where, f"{len(ra)} rows against {len(rb)}")
        return
    header = ra[0] if ra else []
    for i, (x, y) in enumerate(zip(ra, rb)):
        if x == y:
            continue
        if len(x) != len(y):
            diff.add(f"{where}:{i + 1}", f"{len(x)} fields against {len(y)}")
            return
        for j, (p, q) in enumerate(zip(x, y)):
            fp, fq = to_num(p), to_num(q)
            if p == q or (fp is not None and fq is not None and diff.num_equal(fp, fq)):
                continue
            if i > 0 and j < len(header) and VOLATILE_KEY.search(header[j]):
                continue
            diff.add(f"{where}:{i + 1}:{j + 1}", f"{p!r} against {q!r}")
            return


def compare_file(pa, pb, where, diff, renames):
    if pa.endswith(".json"):
        try:
            ja, jb = json.load(open(pa)), json.load(open(pb))
        except ValueError as e:
            diff.add(where, f"not JSON: {e}")
            return
        compare_json(ja, jb, where, diff, renames)
    elif pa.endswith(".csv"):
        compare_csv(pa, pb, where, diff)
    elif pa.endswith((".png", ".pdf", ".svg")):
        return
    else:
        la = open(pa, errors="replace").read().splitlines()
        lb = open(pb, errors="replace").read().splitlines()
        compare_text_lines(la, lb, where, diff)


def files_under(d):
    out = set()
    for root, _, files in os.walk(d):
        for f in files:
            out.add(os.path.relpath(os.path.join(root, f), d))
    return out


def compare(da, db, rel, renames, skip):
    diff = Diff(rel)
    names = sorted(n for n, _ in COMMANDS if not any(fnmatch.fnmatch(n, g) for g in skip))
    for name in names:
        a, b = os.path.join(da, name), os.path.join(db, name)
        if not os.path.isdir(a) or not os.path.isdir(b):
            diff.add(name, "missing from a snapshot")
            continue
        fa, fb = files_under(a), files_under(b)
        for f in sorted(fa ^ fb):
            diff.add(f"{name}/{f}", "only in " + ("before" if f in fa else "after"))
        for f in sorted(fa & fb):
            compare_file(os.path.join(a, f), os.path.join(b, f), f"{name}/{f}", diff, renames)
    for line in diff.items:
        print(line)
    print(f"behaviour: {len(names)} commands compared, {len(diff.items)} difference(s)",
          file=sys.stderr)
    return 1 if diff.items else 0


def main():
    ap = argparse.ArgumentParser(prog="scripts/behaviour.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    s = sub.add_parser("snapshot", help="run the command list into DIR")
    s.add_argument("asgd")
    s.add_argument("dir")
    c = sub.add_parser("compare", help="compare two snapshots")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--rel", type=float, default=1e-12, help="relative tolerance (default 1e-12)")
    c.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                   help="a JSON key renamed on purpose (may repeat)")
    c.add_argument("--skip", action="append", default=[], metavar="GLOB",
                   help="leave out the commands named like GLOB, e.g. '*-help' when the help "
                        "text changed on purpose (may repeat)")
    sub.add_parser("list", help="print the command list")
    args = ap.parse_args()
    if args.what == "snapshot":
        return snapshot(args.asgd, os.path.abspath(args.dir))
    if args.what == "list":
        for name, argv in COMMANDS:
            print(f"{name:<24} asgd {' '.join(argv)}")
        return 0
    renames = {}
    for r in args.rename:
        if "=" not in r:
            print(f"behaviour: --rename '{r}' is not OLD=NEW", file=sys.stderr)
            return 2
        old, new = r.split("=", 1)
        renames[old] = new
    return compare(args.a, args.b, args.rel, renames, args.skip)


if __name__ == "__main__":
    sys.exit(main())
