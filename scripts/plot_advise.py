#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The figure of `asgd advise` (matplotlib, Debian's python3-matplotlib).

  plot_advise.py DIR [-o FILE.png]
      E||x_k - x*||^2 against the iteration k on a log axis, for your current setting and the
      recommended one, each with a +-2 standard-error band (over the real engine's replicas),
      the --target level, and -- for 1-D presets -- each setting's predicted noise floor
      Sigma eta / (2a(1 - beta)). The title carries the verdict.
      On a model on data (advise.json's "measure" is "loss_gap") the runs measure the loss:
      the top panel draws the loss f(x_k) with the optimum f* and the target loss, the bottom
      one the loss gap f(x_k) - f* on a log axis, from <setting>/loss_gap.csv.

DIR is the --out of `asgd advise`: advise.json and current/msd.csv, recommended/msd.csv.
The figure (default DIR/advise.png) is written to a temporary file and renamed, so a failed run
never leaves half a PNG. Bad input exits 2 with a message naming it.
"""
import argparse
import csv
import json
import math
import os
import sys
import tempfile
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SETTINGS = (("current", "black", "your setting"), ("recommended", "tab:blue", "recommended"))


def fail(msg):
    print(f"plot_advise.py: {msg}", file=sys.stderr)
    sys.exit(2)


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


def read_advise(d):
    if not os.path.isdir(d):
        fail(f"'{d}' does not exist or is not a directory")
    path = os.path.join(d, "advise.json")
    if not os.path.isfile(path):
        fail(f"'{d}' has no advise.json: is it the --out of 'asgd advise'?")
    try:
        with open(path) as fp:
            info = json.load(fp)
    except (OSError, ValueError) as e:
        fail(f"'{path}' is not readable JSON: {e}")
    if not isinstance(info, dict) or not isinstance(info.get("settings"), dict):
        fail(f"'{path}' has no settings: is it the advise.json of 'asgd advise'?")
    return info


def read_msd(path):
    """{'k': [...], 'msd': [...], 'se': [...]} from a k,msd,se file."""
    out = {"k": [], "msd": [], "se": []}
    try:
        with open(path, newline="") as fp:
            rows = csv.DictReader(fp)
            if rows.fieldnames is None or not {"k", "msd", "se"} <= set(rows.fieldnames):
                fail(f"'{path}' is not an msd.csv (needs columns k, msd, se)")
            for i, r in enumerate(rows):
                try:
                    out["k"].append(int(r["k"]))
                    out["msd"].append(float(r["msd"]))
                    out["se"].append(float(r["se"]))
                except (TypeError, ValueError):
                    fail(f"'{path}': row {i + 1} is not k,msd,se numbers")
    except OSError as e:
        fail(f"'{path}' cannot be read: {e}")
    if not out["k"]:
        fail(f"'{path}' has no rows")
    return out


def read_gap(path):
    """{'k', 'loss', 'msd' (the gap, so that band() draws it), 'se'} from a loss_gap.csv."""
    out = {"k": [], "loss": [], "msd": [], "se": []}
    try:
        with open(path, newline="") as fp:
            rows = csv.DictReader(fp)
            if rows.fieldnames is None or not {"k", "loss", "loss_gap", "se"} <= set(rows.fieldnames):
                fail(f"'{path}' is not a loss_gap.csv (needs columns k, loss, loss_gap, se)")
            for i, r in enumerate(rows):
                try:
                    out["k"].append(int(r["k"]))
                    out["loss"].append(float(r["loss"]))
                    out["msd"].append(float(r["loss_gap"]))
                    out["se"].append(float(r["se"]))
                except (TypeError, ValueError):
                    fail(f"'{path}': row {i + 1} is not k,loss,loss_gap,se numbers")
    except OSError as e:
        fail(f"'{path}' cannot be read: {e}")
    if not out["k"]:
        fail(f"'{path}' has no rows")
    return out


def num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


def band(ax, d, color, label, floor):
    """The curve with mean +- 2 SE; the lower edge is clipped to @floor on the log axis."""
    k, m, se = d["k"], d["msd"], d["se"]
    ax.plot(k, m, color=color, lw=1.3, label=label)
    lo = [max(a - 2 * s, floor) if math.isfinite(s) else a for a, s in zip(m, se)]
    hi = [a + 2 * s if math.isfinite(s) else a for a, s in zip(m, se)]
    ax.fill_between(k, lo, hi, color=color, alpha=0.2, lw=0)


def loss_panel(ax, info, data):
    """The loss f(x_k) of each setting, the optimum f* and the target loss (data models)."""
    for name, color, label in SETTINGS:
        if name in data:
            ax.plot(data[name]["k"], data[name]["loss"], color=color, lw=1.3, label=label)
    fstar = num((info.get("measure") or {}).get("fstar"))
    if math.isfinite(fstar):
        ax.axhline(fstar, color="tab:green", lw=1, label=f"optimum f* = {fstar:.6g}")
    target = num(info["settings"].get("target"))
    if math.isfinite(target):
        ax.axhline(target, color="tab:red", ls="--", lw=1, label=f"target loss {target:.6g}")
    ax.set_ylabel("loss f(x_k), mean over runs")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot_advise(args):
    info = read_advise(args.dir)
    gap = (info.get("measure") or {}).get("name") == "loss_gap"
    stem, what = ("loss_gap", "f(x_k) - f*") if gap else ("msd", "E||x_k - x*||^2")
    data = {}
    for name, _, _ in SETTINGS:
        path = os.path.join(args.dir, name, stem + ".csv")
        if os.path.isfile(path):
            data[name] = read_gap(path) if gap else read_msd(path)
    if "current" not in data:
        fail(f"'{args.dir}' has no current/{stem}.csv (interrupted before the first setting ran?)")
    positive = [v for d in data.values() for v in d["msd"] if math.isfinite(v) and v > 0]
    if not positive:
        fail(f"'{args.dir}': no positive {what} to draw on a log axis")
    floor = 0.5 * min(positive)
    rec = info.get("recommendation") or {}
    outcomes = info.get("outcomes") or {}
    if gap:
        fig, (top, ax) = plt.subplots(2, 1, figsize=(9, 8), sharex=True, constrained_layout=True)
        loss_panel(top, info, data)
    else:
        fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    for name, color, label in SETTINGS:
        if name not in data:
            continue
        o = outcomes.get(name) or {}
        beta = num(o.get("momentum"))
        band(ax, data[name], color, f"{label}: beta = {beta:.4g} (+-2 SE)", floor)
        nf = num(o.get("noise_floor"))
        if math.isfinite(nf) and nf > 0:
            ax.axhline(nf, color=color, ls=":", lw=1,
                       label=f"{label}: predicted floor Sigma eta/(2a(1-beta)) = {nf:.3g}")
    target = num(info["settings"].get("target"))
    if gap:
        target -= num((info.get("measure") or {}).get("fstar"))
    if math.isfinite(target) and target > 0:
        ax.axhline(target, color="tab:red", ls="--", lw=1,
                   label=f"target {target:g}" + (" (the target loss - f*)" if gap else ""))
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("loss gap f(x_k) - f*" if gap else "E||x_k - x*||^2")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    se = info["settings"]
    mu = num((info.get("measurements") or {}).get("mu_hat"))
    head = (f"asgd advise {se.get('preset')}: M={se.get('workers')}, work={se.get('work')}, "
            f"eta={se.get('eta')}, mu_hat={mu:.4f}, mu_opt={num(rec.get('mu_opt')):.4f}, "
            f"{se.get('replicas')} runs each" + (" (PARTIAL)" if info.get("partial") else ""))
    verdict = (info.get("verdict") or {}).get("text") or ""
    title = head + "\n" + "\n".join(textwrap.wrap(verdict, 110))
    if gap:
        fig.suptitle(title, fontsize=9)
    else:
        ax.set_title(title, fontsize=9)
    save(fig, args.output or os.path.join(args.dir, "advise.png"))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("-o", "--output")
    plot_advise(ap.parse_args())


if __name__ == "__main__":
    main()
