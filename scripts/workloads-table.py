#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Collect results/workloads/study/ into one markdown page (called by scripts/workloads-study.sh).

usage: workloads-table.py OUT_DIR

Every number is read from the runs' own JSON (validation.json, sweep.json) and wall_s.txt.
"""
import datetime
import os
import re
import sys

from results_common import load, machine


def command(d):
    """The command line as the user would type it: the scratch directory it ran in is the
    final one (workloads-study.sh moves each run into place whole)."""
    line = d["command_line"]
    if isinstance(line, list):  # an array in every JSON since issue 17
        line = " ".join(line)
    return re.sub(r"/\.run\.[^/]+/", "/", line)


def wall(out, run):
    p = os.path.join(out, run, "wall_s.txt")
    return open(p).read().strip() if os.path.isfile(p) else "?"


def validate_section(out, run):
    p = os.path.join(out, run, "validation.json")
    if not os.path.isfile(p):
        return
    d = load(p)
    s, st = d["settings"], d["staleness"]
    lo, hi = st["mu_ci95"]
    print(f"## {run}\n")
    print(f"command: `{command(d)}` — {wall(out, run)} s wall\n")
    print(f"{s['replicas']} real replicas of {s['iters']} updates, M = {s['workers']}, η = "
          f"{s['eta']:.4g}, work {s['work']}; {s['paths']} paths per model, {s['substeps']} "
          f"substep{'' if s['substeps'] == 1 else 's'}, rows every {s.get('record_every', 1)} "
          f"updates; moments of the {s.get('observe', 'x')}, optimum f* = "
          f"{s.get('optimum_loss', float('nan')):.6g}\n")
    print(f"staleness: μ̂ = {st['mu_hat']:.4f} [{lo:.4f}, {hi:.4f}] against 1 − 1/M = "
          f"{st['mu_queueing']:.4f}, lag-1 {st['lag1_autocorr']:+.3f}\n")
    print(f"| model | μ | max \\|mean gap\\| ± SE | max rel. E f² gap ± SE | cells within 2 SE "
          f"(mean, E f²) | inside band (≥ {d['inside_fraction_required']:.0%}) | wall s |")
    print("|---|---|---|---|---|---|---|")
    for name, m in d["models"].items():
        mu = "—" if name == "sme-sgd" else f"{m['mu']:.4f}"
        print(f"| {name} | {mu} | {m['mean_gap']:.2e} ± {m['mean_gap_se']:.1e} | "
              f"{m['second_rel_gap']:.2e} ± {m['second_rel_gap_se']:.1e} | "
              f"{100 * m['mean_inside_fraction']:.1f}%, {100 * m['second_inside_fraction']:.1f}% | "
              f"{'yes' if m['inside_band'] else '**no**'} | {m['wall_s']:.1f} |")
    a, g = d["models"].get("sme-asgd"), d["models"].get("sme-sgd")
    if a and g:
        diff = g["mean_gap"] - a["mean_gap"]
        se = (a["mean_gap_se"] ** 2 + g["mean_gap_se"] ** 2) ** 0.5
        print(f"\nSME-SGD's largest mean gap minus SME-ASGD's: {diff:+.2e} ± {se:.1e} "
              f"({diff / se:+.1f} combined SE).")
    print(f"\n![{run}]({run}/validate.png) ![staleness]({run}/staleness.png)\n")


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def sweep_section(out, run):
    p = os.path.join(out, run, "sweep.json")
    if not os.path.isfile(p):
        return
    d = load(p)
    print(f"## {run}\n")
    print(f"command: `{command(d)}` — {wall(out, run)} s wall\n")
    print(f"{d['quantity_meaning']}; η = {d['eta']:.4g}, {d['iterations']} updates, "
          f"{d['replicas_requested']} replicas, {d['msgd_paths']} paths per ensemble, optimum "
          f"f* = {fmt(d.get('optimum_loss'), '.6g')}, target loss {fmt(d.get('target'), '.6g')}\n")
    print("| M | μ̂ [95%] | lag-1 | updates/s | real gap ± SE | MSGD(μ̂, η(1−μ̂)) ± SE | "
          "ASGD(μ̂) ± SE | updates to target | s to target |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in d["rows"]:
        print(f"| {r['workers']} | {r['mu_hat']:.4f} [{r['mu_ci95_lo']:.4f}, {r['mu_ci95_hi']:.4f}] | "
              f"{fmt(r['lag1_autocorr'], '+.3f')} | {r['updates_per_s']:.3g} | "
              f"{r['real_gap']:.3e} ± {r['real_gap_se']:.1e} | "
              f"{fmt(r['msgd_gap'], '.3e')} ± {fmt(r['msgd_gap_se'], '.1e')} | "
              f"{fmt(r['asgd_gap'], '.3e')} ± {fmt(r['asgd_gap_se'], '.1e')} | "
              f"{fmt(r['iters_to_target'], '.0f')} | {fmt(r['time_to_target_s'], '.3g')} |")
    print(f"\n![{run}]({run}/sweep.png)\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: workloads-table.py OUT_DIR")
    out = sys.argv[1]
    print("# Every question on two data sets: validate and sweep with the data defaults\n")
    print(f"Made by `scripts/workloads-study.sh` on {machine()}, "
          f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. "
          "The reading is in [README.md](README.md).\n")
    for run in ("heart_scale-validate", "heart_scale-validate-eta0.37", "rcv1-validate"):
        validate_section(out, run)
    for run in ("heart_scale-sweep", "heart_scale-sweep-eta0.37", "rcv1-sweep"):
        sweep_section(out, run)


if __name__ == "__main__":
    main()
