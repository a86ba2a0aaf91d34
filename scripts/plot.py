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
  plot.py validate DIR [-o FILE.png] [--coords 0]
      The output of `asgd validate`: the real engine's mean and second moment over replicas with
      a +-2 standard-error band, against each model's line (second moment on a log scale).
  plot.py staleness DIR [-o FILE.png]
      The staleness measured by `asgd validate` (or `asgd run`): the empirical pmf on a log
      axis, with the fitted geometric and, from validate, the fitted mixture of geometrics.

  plot.py sweep DIR [-o FILE.png]
      The output of `asgd sweep`: the fitted mu_hat (95% interval) against M beside 1 - 1/M,
      and the stationary quantity (sweep.json's "quantity": E||x - x*||^2 on presets, the loss
      gap E f(x) - f* on data models, with the optimum f* and the target's gap) of the real
      run, of Proposition 1's matched MSGD (mu' = mu_hat, eta' = eta(1 - mu_hat)) and of
      discrete ASGD at mu_hat, each +-2 SE; for 1-D quadratics also the exact MSGD and
      discrete ASGD values and Appendix B.
  plot.py batch DIR [-o FILE.png]
      The output of `asgd batch`, like the paper's Figure 8: E|x_k - x*|^2 against k (log
      scale) for the optimal, the constant and the equal-total schedules -- the simulator with
      a +-2 standard-error band, the real engine dashed with markers, the control model (4.5)
      dotted -- and below it the batch size B_k of each, with the transition k*. On a model
      on data (batch.json's "measure" is "loss_gap") the curves are the loss gap f(x_k) - f*
      instead, with the loss f(x_k) itself on the right-hand axis and the optimum f* named.

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
import matplotlib.ticker  # noqa: E402

COLORS = {"asgd": "black", "sme-asgd": "tab:blue", "sme-sgd": "tab:red",
          "sme-asgd-linear": "tab:cyan", "msgd": "tab:green", "sme-msgd": "tab:olive",
          "sgd": "tab:gray", "minibatch": "tab:purple"}
LABELS = {"asgd": "ASGD (2.1)", "sme-asgd": "SME-ASGD (2.11)", "sme-sgd": "SME-SGD (3.3)"}
# asgd validate's models: colour by family, line style by staleness law.
VALIDATE_STYLE = {"sme-asgd": ("tab:blue", "-"), "sme-sgd": ("tab:red", "-"),
                  "asgd-geometric": ("tab:green", "-"), "asgd-measured-pmf": ("tab:green", "--"),
                  "asgd-mixture-pmf": ("tab:green", ":"), "sme-asgd-mixture": ("tab:blue", ":")}


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


def read_json(path, what):
    if not os.path.isfile(path):
        fail(f"'{os.path.dirname(path) or '.'}' has no {os.path.basename(path)}: is it {what}?")
    with open(path) as fp:
        return json.load(fp)


def short_problem(spec):
    """'logistic on heart_scale' for a data model's spec, the spec itself for a preset."""
    spec = str(spec)
    if ":data=" not in spec:
        return spec
    loss, rest = spec.split(":data=", 1)
    source = rest.split(",lambda=")[0].split(" (scaled")[0]
    return f"{loss} on {os.path.basename(source.rstrip('/')) or source}"


def moment_names(observe):
    """The panels' titles for what the moments are of (validation.json's settings.observe)."""
    if observe == "loss":
        return "E f(x_k)  (the loss)", "E f(x_k)^2"
    if observe and observe.startswith("coord"):
        return f"E x_j ({observe})", f"E x_j^2 ({observe})"
    if observe and observe.startswith("proj"):
        return f"E u.x ({observe})", f"E (u.x)^2 ({observe})"
    return "E x_k", "E x_k^2"


def plot_validate(args):
    info = read_json(os.path.join(args.dir, "validation.json"), "the --out of 'asgd validate'")
    real = read_moments(os.path.join(args.dir, "real", "moments.csv"))
    models = [m for m in info.get("models", {})
              if os.path.isfile(os.path.join(args.dir, m, "moments.csv"))]
    data = {m: read_moments(os.path.join(args.dir, m, "moments.csv")) for m in models}
    coords = parse_coords(args.coords) if args.coords else [0]
    for c in coords:
        if c not in real:
            fail(f"--coords: coordinate {c} is not in the data (0..{max(real)})")
    se = info.get("settings", {})
    names = moment_names(se.get("observe"))
    fstar = se.get("optimum_loss")
    fig, axes = plt.subplots(len(coords), 2, figsize=(11, 3.8 * len(coords)), squeeze=False,
                             constrained_layout=True)
    for row, c in enumerate(coords):
        for col, (key, name) in enumerate((("mean", names[0]), ("second", names[1]))):
            ax = axes[row][col]
            band(ax, real[c], key, "black", "real engine (+-2 SE)")
            if key == "mean" and fstar is not None:
                ax.axhline(fstar, color="tab:gray", ls=":", lw=1.0,
                           label=f"optimum f* = {fstar:.6g}")
            for m in models:
                color, ls = VALIDATE_STYLE.get(m, (None, "-"))
                d = data[m][c]
                ax.plot(d["k"], d[key], color=color, ls=ls, lw=1.0, label=m)
            coord = f" (coordinate {c})" if len(real) > 1 else ""
            if key == "second":  # log: the transient and the stationary level both show
                ax.set_yscale("log")
            ax.set_title(f"{name}{coord}" + (", log scale" if key == "second" else ""))
            ax.set_xlabel("iteration k")
            ax.grid(alpha=0.3)
            if row == 0 and col == 0:
                ax.legend(fontsize=7)
    st = info.get("staleness") or {}
    mu = st.get("mu_hat")
    title = short_problem(se.get("preset"))
    fig.suptitle(f"{title}: M={se.get('workers')}, work={se.get('work')}, "
                 f"eta={se.get('eta'):.4g}, {info.get('real', {}).get('replicas')} real runs, "
                 f"mu_hat={mu:.4f}, {se.get('paths')} paths per model" if mu is not None
                 else f"{title}: no staleness measured")
    save(fig, args.output or os.path.join(args.dir, "validate.png"))


def read_staleness_csv(path):
    pmf = {}
    with open(path, newline="") as fp:
        rows = csv.DictReader(fp)
        if rows.fieldnames is None or not {"l", "count", "pmf", "geometric_pmf"} <= set(rows.fieldnames):
            fail(f"'{path}' is not a staleness.csv (needs columns l,count,pmf,geometric_pmf)")
        for r in rows:
            pmf[int(r["l"])] = (float(r["count"]), float(r["pmf"]), float(r["geometric_pmf"]))
    if not pmf:
        fail(f"'{path}' has no rows")
    return pmf


def plot_staleness(args):
    path = next((p for p in (os.path.join(args.dir, "real", "staleness.csv"),
                             os.path.join(args.dir, "staleness.csv")) if os.path.isfile(p)), None)
    if path is None:
        fail(f"'{args.dir}' has no staleness.csv or real/staleness.csv: is it the --out of "
             "'asgd validate' or 'asgd run'?")
    rows = read_staleness_csv(path)
    # the fit: validate's validation.json (with the mixture), else the summary.json beside the csv
    vpath = os.path.join(args.dir, "validation.json")
    spath = os.path.join(os.path.dirname(path), "summary.json")
    jpath = vpath if os.path.isfile(vpath) else spath if os.path.isfile(spath) else None
    st = (read_json(jpath, "").get("staleness") or {}) if jpath else {}
    mix = st.get("mixture")
    n = sum(c for c, _, _ in rows.values())
    ls = sorted(rows)
    top = max(ls)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    seen = [l for l in ls if rows[l][1] > 0]
    p = [rows[l][1] for l in seen]
    err = [2 * math.sqrt(q * (1 - q) / n) if n > 0 else 0 for q in p]
    lo = [min(e, q * 0.999) for e, q in zip(err, p)]  # keep the bars above 0 on a log axis
    ax.errorbar(seen, p, yerr=[lo, err], fmt="o", color="black", ms=3, lw=0.8,
                label=f"measured ({int(n)} gradients, +-2 SE)")
    ax.plot(ls, [rows[l][2] for l in ls], color="tab:blue", lw=1.2,
            label=f"geometric, mu_hat={st['mu_hat']:.4f}" if "mu_hat" in st else "geometric")
    if mix:
        comps = mix.get("components", [])
        q = [sum(c["weight"] * (1 - c["mu"]) * c["mu"] ** l for c in comps) for l in range(top + 1)]
        desc = " + ".join(f"{c['weight']:.2f} geom({c['mu']:.3f})" for c in comps)
        ax.plot(range(top + 1), q, color="tab:orange", lw=1.2, ls="--",
                label=f"mixture K={mix.get('count', mix.get('k'))}: {desc}")  # 'k' before issue 14
    ax.set_yscale("log")
    ax.set_xlabel("staleness l")
    ax.set_ylabel("P(tau = l)")
    title = "staleness"
    if st:
        num = lambda v, f: "n/a" if v is None else format(v, f)  # null: not defined
        p = st.get("chi2_p")  # as the commands print it: below 1e-300 is rounding
        p = "n/a" if p is None else "< 1e-300" if p < 1e-300 else format(p, ".3g")
        title += (f": chi2 p={p}, TV={num(st.get('tv_distance'), '.3f')}, "
                  f"lag-1={num(st.get('lag1_autocorr'), '.3f')}")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    save(fig, args.output or os.path.join(args.dir, "staleness.png"))


# ---- asgd sweep ----

SWEEP_MU = ("workers", "mu_hat", "mu_ci95_lo", "mu_ci95_hi")
# Per quantity: the generic name of each stationary column -> its name in sweep.json, and which
# of them a row must have (asgd_ex2 came later: a sweep.json before it draws without it).
SWEEP_QUANTITY = {
    "msd": ({"real": "real_ex2", "real_se": "real_ex2_se", "msgd": "msgd_ex2",
             "msgd_se": "msgd_ex2_se", "asgd": "asgd_ex2", "asgd_se": "asgd_ex2_se",
             "msgd_exact": "msgd_exact_ex2", "appendix_b": "appendix_b_ex2",
             "asgd_exact": "asgd_exact_ex2"},
            ("real", "real_se", "msgd", "msgd_se", "msgd_exact", "appendix_b", "asgd_exact")),
    "loss_gap": ({"real": "real_gap", "real_se": "real_gap_se", "msgd": "msgd_gap",
                  "msgd_se": "msgd_gap_se", "asgd": "asgd_gap", "asgd_se": "asgd_gap_se"},
                 ("real", "real_se", "msgd", "msgd_se", "asgd", "asgd_se")),
}


def num(v):
    """A JSON number, or NaN for null (no test, not a 1-D quadratic)."""
    return float("nan") if v is None else float(v)


def read_sweep(d):
    """sweep.json's settings, and its rows by M as lists under SWEEP_MU's and generic names."""
    path = os.path.join(d, "sweep.json")
    if not os.path.isdir(d):
        fail(f"'{d}' does not exist or is not a directory")
    if not os.path.isfile(path):
        fail(f"'{d}' has no sweep.json: is it the --out of 'asgd sweep'?")
    try:
        with open(path) as fp:
            info = json.load(fp)
    except (OSError, ValueError) as e:
        fail(f"'{path}' is not readable JSON: {e}")
    rows = info.get("rows") if isinstance(info, dict) else None
    if not isinstance(rows, list):
        fail(f"'{path}' has no list of rows: is it the sweep.json of 'asgd sweep'?")
    if not rows:
        fail(f"'{path}' has no rows (an interrupted sweep before its first M?)")
    quantity = info.get("quantity", "msd")  # a sweep.json before the loss gap: always msd
    if quantity not in SWEEP_QUANTITY:
        fail(f"'{path}': quantity '{quantity}' is not one of {', '.join(SWEEP_QUANTITY)}")
    names, needed = SWEEP_QUANTITY[quantity]
    keys = dict({k: k for k in SWEEP_MU}, **names)
    for i, r in enumerate(rows):
        missing = [keys[k] for k in SWEEP_MU + needed if not isinstance(r, dict) or keys[k] not in r]
        if missing:
            fail(f"'{path}': row {i} lacks {', '.join(missing)}")
        try:
            for k in keys.values():
                num(r.get(k))
        except (TypeError, ValueError):
            fail(f"'{path}': row {i} has a value that is not a number")
    rows = sorted(rows, key=lambda r: num(r["workers"]))
    return info, quantity, {k: [num(r.get(name)) for r in rows] for k, name in keys.items()}


def finite(xs, ys):
    pairs = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def errbars(ax, m, y, se, color, label, shift):
    """y +- 2 SE at M * shift (a small offset on the log axis keeps the bars apart)."""
    pts = [(x * shift, a, 2 * s if math.isfinite(s) else 0.0)
           for x, a, s in zip(m, y, se) if math.isfinite(a)]
    if pts:
        ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[p[2] for p in pts],
                    fmt="o", color=color, capsize=3, ms=5, label=label)


def panel_mu(ax, d):
    m = d["workers"]
    lo = [max(a - b, 0) for a, b in zip(d["mu_hat"], d["mu_ci95_lo"])]
    hi = [max(b - a, 0) for a, b in zip(d["mu_hat"], d["mu_ci95_hi"])]
    ax.errorbar(m, d["mu_hat"], yerr=[lo, hi], fmt="o", color="black", capsize=3,
                label="mu_hat (95% interval)")
    top = max(m)
    grid = [1 + i * (top - 1) / 200 for i in range(201)] if top > 1 else [1]
    ax.plot(grid, [1 - 1 / g for g in grid], "--", color="tab:red", lw=1, label="1 - 1/M")
    ax.set_xlabel("workers M")
    ax.set_ylabel("staleness mu")
    ax.set_title("fitted staleness against the queueing prediction")


def panel_stationary(ax, info, quantity, d):
    """The stationary quantity against M: the real run and the two ensembles +-2 SE, and the
    closed forms where there are any; for the loss gap, the target's gap f_target - f*."""
    m = d["workers"]
    errbars(ax, m, d["real"], d["real_se"], "black", "real run (+-2 SE)", 1.0)
    errbars(ax, m, d["msgd"], d["msgd_se"], "tab:green",
            "MSGD(mu_hat, eta(1-mu_hat)) (+-2 SE)", 1.06)
    errbars(ax, m, d["asgd"], d["asgd_se"], "tab:purple",
            "discrete ASGD(mu_hat, eta) (+-2 SE)", 1 / 1.06)
    for key, color, ls, label in (("msgd_exact", "tab:green", "--", "MSGD exact"),
                                  ("appendix_b", "tab:blue", "-", "Appendix B"),
                                  ("asgd_exact", "tab:purple", ":", "discrete ASGD exact")):
        x, y = finite(m, d.get(key, []))
        if x:
            ax.plot(x, y, ls, color=color, marker=".", lw=1.2, label=label)
    ax.set_xlabel("workers M")
    if quantity == "loss_gap":
        fstar, target = num(info.get("optimum_loss")), num(info.get("target"))
        if math.isfinite(fstar) and math.isfinite(target) and target > fstar:
            ax.axhline(target - fstar, color="tab:red", ls="--", lw=1,
                       label=f"target f <= {target:.6g} (gap {target - fstar:.3g})")
        ax.set_ylabel("stationary loss gap E f(x) - f*")
        ax.set_title(f"stationary excess loss over the optimum f* = {fstar:.6g}")
    else:
        ax.set_ylabel("stationary E||x - x*||^2")
        ax.set_title("stationary spread: ASGD and Proposition 1's MSGD")


def plot_sweep(args):
    info, quantity, d = read_sweep(args.dir)
    if any(not math.isfinite(x) or x < 1 for x in d["workers"]):
        fail(f"'{args.dir}/sweep.json': workers must be numbers >= 1")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    panel_mu(axes[0], d)
    panel_stationary(axes[1], info, quantity, d)
    for ax in axes:
        if max(d["workers"]) > 1:
            ax.set_xscale("log", base=2)
            ax.set_xticks(sorted(set(d["workers"])))
            ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(f"asgd sweep {short_problem(info.get('preset'))}: eta={info.get('eta')}, "
                 f"work={info.get('work')}, {info.get('replicas_requested')} replicas, "
                 f"late-half averages from k={info.get('stationary_from_k')}"
                 + (" (PARTIAL)" if info.get("partial") else ""), fontsize=10)
    save(fig, args.output or os.path.join(args.dir, "sweep.png"))


# ---- asgd batch ----

BATCH_COLUMNS = ("schedule", "k", "batch", "model", "sim_msd", "sim_se", "engine_msd", "engine_se")
# On data curves.csv names the measure's columns after the loss gap; read into the same keys.
BATCH_GAP_NAMES = {"model": "model_loss_gap", "sim_msd": "sim_loss_gap",
                   "engine_msd": "engine_loss_gap"}
BATCH_STYLE = {"optimal": "tab:red", "constant": "tab:blue", "equal-total": "tab:green"}


def read_batch(d):
    """(batch.json as a dict, {schedule: {column: [values]}}) from the --out of `asgd batch`."""
    if not os.path.isdir(d):
        fail(f"'{d}' does not exist or is not a directory")
    path = os.path.join(d, "batch.json")
    if not os.path.isfile(path):
        fail(f"'{d}' has no batch.json: is it the --out of 'asgd batch'?")
    try:
        with open(path) as fp:
            info = json.load(fp)
    except (OSError, ValueError) as e:
        fail(f"'{path}' is not readable JSON: {e}")
    if not isinstance(info, dict) or not isinstance(info.get("schedules"), list):
        fail(f"'{d}/batch.json' has no list of schedules: is it the --out of 'asgd batch'?")
    path = os.path.join(d, "curves.csv")
    if not os.path.isfile(path):
        fail(f"'{d}' has no curves.csv: is it the --out of 'asgd batch'?")
    curves = {}
    names = {k: k for k in BATCH_COLUMNS}
    if info.get("measure") == "loss_gap":
        names.update(BATCH_GAP_NAMES)
    with open(path, newline="") as fp:
        rows = csv.DictReader(fp)
        if rows.fieldnames is None or not set(names.values()) <= set(rows.fieldnames):
            fail(f"'{path}' is not a curves.csv (needs columns {', '.join(names.values())})")
        for i, r in enumerate(rows):
            c = curves.setdefault(r["schedule"], {k: [] for k in BATCH_COLUMNS[1:]})
            try:
                for k in BATCH_COLUMNS[1:]:
                    c[k].append(float(r[names[k]]))
            except (TypeError, ValueError):
                fail(f"'{path}': row {i + 2} has a value that is not a number")
    if not curves:
        fail(f"'{path}' has no rows")
    return info, curves


def batch_panel_msd(ax, curves):
    for name, c in curves.items():
        color = BATCH_STYLE.get(name, "black")
        pts = [(k, y, s if math.isfinite(s) else 0.0)
               for k, y, s in zip(c["k"], c["sim_msd"], c["sim_se"]) if math.isfinite(y)]
        if pts:
            k = [p[0] for p in pts]
            ax.plot(k, [p[1] for p in pts], color=color, lw=1.3, label=f"{name}: simulator")
            # +-2 SE, the lower edge kept positive for the log axis
            ax.fill_between(k, [max(p[1] - 2 * p[2], p[1] / 10) for p in pts],
                            [p[1] + 2 * p[2] for p in pts], color=color, alpha=0.2, lw=0)
        x, y = finite(c["k"], c["engine_msd"])
        if x:
            every = max(len(x) // 25, 1)
            ax.plot(x, y, "--", color=color, lw=0.9, marker="o", ms=3, markevery=every,
                    label=f"{name}: engine")
        x, y = finite(c["k"], c["model"])
        if x:
            ax.plot(x, y, ":", color=color, lw=1, label=f"{name}: model (4.5)")
    ax.set_yscale("log")
    ax.set_ylabel("E|x_k - x*|^2")


def batch_panel_size(ax, curves, kstar):
    for name, c in curves.items():
        ax.step(c["k"], c["batch"], where="post", color=BATCH_STYLE.get(name, "black"), lw=1.2,
                label=name)
    if kstar is not None and math.isfinite(num(kstar)) and num(kstar) > 0:
        ax.axvline(num(kstar), color="gray", ls="--", lw=0.8, label=f"k* = {num(kstar):.0f}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("batch size B_k")


def plot_batch(args):
    info, curves = read_batch(args.dir)
    ctl = info.get("control") if isinstance(info.get("control"), dict) else {}
    fig, axes = plt.subplots(2, 1, figsize=(9, 8), sharex=True, constrained_layout=True,
                             gridspec_kw={"height_ratios": [3, 1.3]})
    batch_panel_msd(axes[0], curves)
    fstar = num(info.get("fstar"))
    if info.get("measure") == "loss_gap" and math.isfinite(fstar):
        axes[0].set_ylabel(f"loss gap f(x_k) - f*  (optimum f* = {fstar:.6g})")
        right = axes[0].secondary_yaxis("right", functions=(lambda g: g + fstar,
                                                             lambda f: f - fstar))
        right.set_ylabel("loss f(x_k)")
    batch_panel_size(axes[1], curves, ctl.get("k_star"))
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, ncol=3 if ax is axes[0] else 4)
    fig.suptitle(f"asgd batch {short_problem(info.get('preset'))}: eta={info.get('eta')}, mu={info.get('mu')}, "
                 f"gamma={num(info.get('gamma')):.3g} (gamma*={num(ctl.get('gamma_star')):.3g}), "
                 f"K={info.get('horizon')}, {info.get('workers')} engine workers"
                 + (" (PARTIAL)" if info.get("partial") else ""), fontsize=10)
    save(fig, args.output or os.path.join(args.dir, "batch.png"))


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
    v = sub.add_parser("validate", help="figure from 'asgd validate' output")
    v.add_argument("dir")
    v.add_argument("-o", "--output")
    v.add_argument("--coords")
    s = sub.add_parser("staleness", help="measured staleness pmf with the fitted laws")
    s.add_argument("dir")
    s.add_argument("-o", "--output")
    w = sub.add_parser("sweep", help="figure from 'asgd sweep' output")
    w.add_argument("dir")
    w.add_argument("-o", "--output")
    b = sub.add_parser("batch", help="figure from 'asgd batch' output (like Figure 8)")
    b.add_argument("dir")
    b.add_argument("-o", "--output")
    args = ap.parse_args()
    {"compare": plot_compare, "order": plot_order, "moments": plot_moments,
     "validate": plot_validate, "staleness": plot_staleness, "sweep": plot_sweep,
     "batch": plot_batch}[args.what](args)


if __name__ == "__main__":
    main()
