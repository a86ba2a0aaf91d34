#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Figures from asgd's outputs (matplotlib, Debian's python3-matplotlib).

  plot.py compare DIR [-o FILE.png] [--coords 0,1]
      The output of `asgd compare`: the mean and second moment of discrete ASGD, SME-ASGD and
      SME-SGD against the iteration k, each ensemble with a +-2 standard-error band and, for
      quadratic presets, the exact moments as thin dashed lines -- like the paper's Figures 4-7.
  plot.py order DIR [-o FILE.png]
      The output of `asgd order`: the ASGD/SME-ASGD gap against dt on log-log axes with the
      fitted slope and Theorem 3's slope 1.
  plot.py moments CSV [CSV ...] [--labels a,b] [-o FILE.png] [--coords 0]
      Any moments.csv files side by side.

Each figure is written to a temporary file and renamed, so a failed run never leaves half a PNG.
"""
import argparse
import csv
import json
import math
import os
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"asgd": "black", "sme-asgd": "tab:blue", "sme-sgd": "tab:red",
          "sme-asgd-linear": "tab:cyan", "msgd": "tab:green", "sme-msgd": "tab:olive",
          "sgd": "tab:gray", "minibatch": "tab:purple"}
LABELS = {"asgd": "ASGD (2.1)", "sme-asgd": "SME-ASGD (2.11)", "sme-sgd": "SME-SGD (3.3)"}


def fail(msg):
    print(f"plot.py: {msg}", file=sys.stderr)
    sys.exit(2)


def read_moments(path):
    """{coord: {'k': [...], 'mean': [...], 'second': [...], 'se_mean': [...], 'se_second': [...]}}"""
    if not os.path.isfile(path):
        fail(f"'{path}' does not exist or is not a file")
    out = {}
    with open(path, newline="") as fp:
        rows = csv.DictReader(fp)
        need = {"k", "mean", "second_moment", "se_mean", "se_second"}
        if rows.fieldnames is None or not need <= set(rows.fieldnames):
            fail(f"'{path}' is not a moments.csv (needs columns {sorted(need)})")
        for r in rows:
            c = int(r.get("coord", 0) or 0)
            d = out.setdefault(c, {"k": [], "mean": [], "second": [], "se_mean": [], "se_second": []})
            d["k"].append(int(r["k"]))
            d["mean"].append(float(r["mean"]))
            d["second"].append(float(r["second_moment"]))
            d["se_mean"].append(float(r["se_mean"]))
            d["se_second"].append(float(r["se_second"]))
    if not out:
        fail(f"'{path}' has no rows")
    return out


def save(fig, path):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    plt.close(fig)
    print(path)


def band(ax, d, key, color, label):
    k, y = d["k"], d[key]
    se = d["se_" + key]
    ax.plot(k, y, color=color, lw=1.2, label=label)
    if any(s > 0 for s in se if not math.isnan(s)):
        lo = [a - 2 * s for a, s in zip(y, se)]
        hi = [a + 2 * s for a, s in zip(y, se)]
        ax.fill_between(k, lo, hi, color=color, alpha=0.2, lw=0)


def parse_coords(s):
    try:
        return [int(x) for x in s.split(",") if x != ""]
    except ValueError:
        fail(f"--coords '{s}' is not allowed: expected comma-separated coordinate indices")


def plot_compare(args):
    cmp_path = os.path.join(args.dir, "comparison.json")
    if not os.path.isfile(cmp_path):
        fail(f"'{args.dir}' has no comparison.json: is it the --out of 'asgd compare'?")
    with open(cmp_path) as fp:
        info = json.load(fp)
    models = [m for m in ("asgd", "sme-asgd", "sme-sgd")
              if os.path.isfile(os.path.join(args.dir, m, "moments.csv"))]
    if not models:
        fail(f"'{args.dir}' has no <model>/moments.csv")
    data = {m: read_moments(os.path.join(args.dir, m, "moments.csv")) for m in models}
    exact = {m: read_moments(os.path.join(args.dir, m, "exact.csv")) for m in models
             if os.path.isfile(os.path.join(args.dir, m, "exact.csv"))}
    coords = parse_coords(args.coords) if args.coords else sorted(data[models[0]])[:2]
    for c in coords:
        if c not in data[models[0]]:
            fail(f"--coords: coordinate {c} is not in the data (0..{max(data[models[0]])})")
    fig, axes = plt.subplots(len(coords), 2, figsize=(11, 3.6 * len(coords)), squeeze=False,
                             constrained_layout=True)
    for row, c in enumerate(coords):
        for col, (key, name) in enumerate((("mean", "E x_k"), ("second", "E x_k^2"))):
            ax = axes[row][col]
            for m in models:
                band(ax, data[m][c], key, COLORS.get(m, None), LABELS.get(m, m))
                if m in exact:
                    e = exact[m][c]
                    ax.plot(e["k"], e[key], color=COLORS.get(m), lw=0.8, ls="--")
            coord = f" (coordinate {c})" if len(data[models[0]]) > 1 else ""
            if key == "second":  # log: the stationary levels differ by tens of percent
                ax.set_yscale("log")
            ax.set_title(f"{name}{coord}" + (", log scale" if key == "second" else ""))
            ax.set_xlabel("iteration k")
            ax.grid(alpha=0.3)
            if row == 0 and col == 0:
                ax.legend(fontsize=8)
    fig.suptitle(f"{info.get('preset')}: eta={info.get('eta')}, mu={info.get('mu')}, "
                 f"{info.get('paths')} paths, +-2 SE bands" + (", exact dashed" if exact else ""))
    save(fig, args.output or os.path.join(args.dir, "compare.png"))


def plot_order(args):
    path = os.path.join(args.dir, "order.json")
    if not os.path.isfile(path):
        fail(f"'{args.dir}' has no order.json: is it the --out of 'asgd order'?")
    with open(path) as fp:
        info = json.load(fp)
    rungs = info.get("rungs", [])
    if not rungs:
        fail(f"'{path}' has no rungs")
    dt = [r["dt"] for r in rungs]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for key, label, color in (("mean_gap", "max |mean gap|", "tab:blue"),
                              ("second_abs_gap", "max |E x^2 gap|", "tab:red")):
        y = [r[key] for r in rungs]
        ax.loglog(dt, y, "o-", color=color, label=label)
    bound = [r["theorem3_bound"] for r in rungs]
    scale = rungs[0]["mean_gap"] / bound[0] if bound[0] > 0 else 1
    ax.loglog(dt, [b * scale for b in bound], "k--", lw=0.8, label="slope 1 (Theorem 3)")
    fit = info.get("fit", {})
    ax.set_title(f"{info.get('preset')}, mu={info.get('mu')}: fitted orders "
                 f"{fit.get('mean_gap_order', float('nan')):.2f} (mean), "
                 f"{fit.get('second_gap_order', float('nan')):.2f} (E x^2)", fontsize=9)
    ax.set_xlabel("dt = sqrt(eta (1 - mu))")
    ax.set_ylabel("gap between ASGD and SME-ASGD")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    save(fig, args.output or os.path.join(args.dir, "order.png"))


def plot_moments(args):
    labels = args.labels.split(",") if args.labels else [os.path.basename(os.path.dirname(p)) or p
                                                         for p in args.csv]
    if len(labels) != len(args.csv):
        fail(f"--labels has {len(labels)} names for {len(args.csv)} files")
    coords = parse_coords(args.coords) if args.coords else [0]
    data = [read_moments(p) for p in args.csv]
    fig, axes = plt.subplots(len(coords), 2, figsize=(11, 3.6 * len(coords)), squeeze=False,
                             constrained_layout=True)
    for row, c in enumerate(coords):
        for col, key in enumerate(("mean", "second")):
            ax = axes[row][col]
            for d, lab in zip(data, labels):
                if c not in d:
                    fail(f"--coords: coordinate {c} is missing in '{lab}'")
                band(ax, d[c], key, COLORS.get(lab), lab)
            ax.set_title(("E x_k" if key == "mean" else "E x_k^2") + f" (coordinate {c})")
            ax.set_xlabel("k")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    save(fig, args.output or "moments.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("compare", help="figure from 'asgd compare' output")
    c.add_argument("dir")
    c.add_argument("-o", "--output")
    c.add_argument("--coords")
    o = sub.add_parser("order", help="figure from 'asgd order' output")
    o.add_argument("dir")
    o.add_argument("-o", "--output")
    m = sub.add_parser("moments", help="any moments.csv files")
    m.add_argument("csv", nargs="+")
    m.add_argument("--labels")
    m.add_argument("--coords")
    m.add_argument("-o", "--output")
    args = ap.parse_args()
    {"compare": plot_compare, "order": plot_order, "moments": plot_moments}[args.what](args)


if __name__ == "__main__":
    main()
