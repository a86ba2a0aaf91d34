#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Figures from asgd's outputs (matplotlib, Debian's python3-matplotlib).

  plot.py DIR [--format png|pdf|svg]
      Recognises which command's --out DIR is (validation.json, sweep.json, batch.json,
      advise.json, comparison.json, order.json, or run's summary.json), draws its figures and
      writes DIR/report.md: the command line, the machine, the verdict or summary table in
      Markdown and the figures, linked relatively -- a run read without opening JSON.
      The same as `plot.py report DIR`. An existing DIR/report.md is replaced.
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
      a +-2 standard-error band, against each model's line (second moment on a log scale), and
      under each the residual (model - real) / sqrt(se_model^2 + se_real^2) with the +-2 band
      of the verdict table's "cells within 2 SE". On data (observe=loss): the loss E f(x_k)
      with the optimum f* as a line, and the problem named short ("logistic on heart_scale").
  plot.py staleness DIR [-o FILE.png]
      The staleness measured by `asgd validate` (or `asgd run`): the empirical pmf with the
      fitted geometric and, from validate, the fitted mixture of geometrics -- on a linear axis
      over the l that hold 99% of the mass, and on a log axis over every observed l, clipped
      just below the smallest observed pmf.
  plot.py run DIR [-o FILE.png]
      The output of `asgd run`: the trajectory (E x_k, or the loss with f* on data) with its
      +-2 SE band, the staleness pmf with the fit (both panels above), and each worker's mean
      staleness with its share of the gradients.
  plot.py advise DIR [-o FILE.png]
      The output of `asgd advise`: E||x_k - x*||^2 (on data the loss gap, and the loss above
      it) of your setting and the recommended one, +-2 SE, the target, each setting's
      predicted noise floor (1-D presets) and the verdict (scripts/plot_advise.py is a shim).

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

Every subcommand takes --format png|pdf|svg (default: -o's extension, else png) and --dpi.
Each figure is written to a temporary file and renamed, so a failed run never leaves half a
figure; figures and report.md get mode 0666 less the umask, as the asgd binary's files do.
A python without matplotlib (the first python3 on PATH may not be Debian's) runs this script
again under /usr/bin/python3; --help and bad usage answer without matplotlib. Bad input exits 2.
"""
import argparse
import csv
import json
import math
import os
import sys
import tempfile
import textwrap

# matplotlib is imported by load_matplotlib(), once the arguments are parsed: --help and bad
# usage answer without it.
matplotlib = None
plt = None
DEBIAN_PYTHON = "/usr/bin/python3"
NO_REEXEC = "ASGD_PLOT_NO_REEXEC"  # set on the re-exec (no loops); set it to forbid one
FORMATS = ("png", "pdf", "svg")

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


def load_matplotlib():
    """Import matplotlib (Agg); where this python lacks it, run this script again under
    Debian's python3, which has python3-matplotlib, with the same arguments."""
    global matplotlib, plt
    if plt is not None:
        return
    try:
        import matplotlib as mpl
    except ImportError:
        if (os.environ.get(NO_REEXEC) != "1" and os.path.exists(DEBIAN_PYTHON)
                and sys.executable != DEBIAN_PYTHON):
            os.environ[NO_REEXEC] = "1"
            os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
        print(f"plot.py: matplotlib is not installed for {sys.executable}: install Debian's "
              f"python3-matplotlib and run {DEBIAN_PYTHON}", file=sys.stderr)
        sys.exit(1)
    mpl.use("Agg")
    import matplotlib.pyplot
    import matplotlib.ticker  # noqa: F401
    matplotlib, plt = mpl, matplotlib.pyplot


def file_mode():
    """0666 less the umask: what open() would give a new file, as the asgd binary's outputs
    get (mkstemp's 0600 would hide the figure from the rest of a group)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def figure_format(args, default_path):
    """--format, else -o's extension where it is one of FORMATS, else png."""
    fmt = getattr(args, "format", None)
    out = getattr(args, "output", None)
    if fmt is None and out:
        ext = os.path.splitext(out)[1].lstrip(".").lower()
        fmt = ext if ext in FORMATS else None
    fmt = fmt or "png"
    return fmt, out or os.path.splitext(default_path)[0] + "." + fmt


def save(fig, default_path, args):
    """Write @fig to -o, or @default_path with --format's extension: a temporary file in the
    same directory, renamed over the target, so a failed run never leaves half a figure."""
    fmt, path = figure_format(args, default_path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, suffix=f".{fmt}.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=getattr(args, "dpi", None) or 120, bbox_inches="tight", format=fmt)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    plt.close(fig)
    print(path)
    return path


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
    return save(fig, os.path.join(args.dir, "compare.png"), args)


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
    return save(fig, os.path.join(args.dir, "order.png"), args)


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
    return save(fig, "moments.png", args)


def read_json(path, what):
    """The JSON object at @path, a file of @what ("the --out of 'asgd run'"); exits 2 naming
    the directory when the file is missing, and the file when it is not readable JSON."""
    d = os.path.dirname(path) or "."
    if not os.path.isfile(path):
        fail(f"'{d}' has no {os.path.basename(path)}: is it {what}?")
    try:
        with open(path) as fp:
            return json.load(fp)
    except (OSError, ValueError) as e:
        fail(f"'{path}' is not readable JSON: {e}")


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


def residuals(real, model, key):
    """(k, z) with z = (model - real) / sqrt(se_model^2 + se_real^2) at the rows both have and
    where the difference has a positive SE (k = 0 starts every run at the same x0)."""
    rk = {k: (y, e) for k, y, e in zip(real["k"], real[key], real["se_" + key])}
    ks, zs = [], []
    for k, y, e in zip(model["k"], model[key], model["se_" + key]):
        if k not in rk:
            continue
        ry, re_ = rk[k]
        se = math.sqrt(e * e + re_ * re_)
        if se > 0 and math.isfinite(se) and math.isfinite(y - ry):
            ks.append(k)
            zs.append((y - ry) / se)
    return ks, zs


RESIDUAL_CLIP = 12  # SE: beyond it a model is plainly outside, and the band would be a line


def residual_panel(ax, real, data, key, name):
    """Each model's (model - real) in SE units of the difference, with the +-2 band of the
    table's rule ("cells within 2 SE")."""
    ax.axhspan(-2, 2, color="tab:gray", alpha=0.15, lw=0, label="+-2 SE")
    ax.axhline(0, color="black", lw=0.8)
    top = 4.0
    for m, d in data.items():
        color, ls = VALIDATE_STYLE.get(m, (None, "-"))
        k, z = residuals(real, d, key)
        if k:
            ax.plot(k, z, color=color, ls=ls, lw=0.9, label=m)
            top = max(top, min(max(abs(v) for v in z) * 1.05, RESIDUAL_CLIP))
    ax.set_ylim(-top, top)
    ax.set_title(f"residual of {name}: (model - real) / SE" +
                 (f", clipped at +-{RESIDUAL_CLIP}" if top >= RESIDUAL_CLIP else ""), fontsize=9)
    ax.set_xlabel("iteration k")
    ax.set_ylabel("SE units")
    ax.grid(alpha=0.3)


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
    fig, axes = plt.subplots(2 * len(coords), 2, figsize=(11, 6.6 * len(coords)), squeeze=False,
                             constrained_layout=True,
                             gridspec_kw={"height_ratios": [3, 2] * len(coords)})
    for row, c in enumerate(coords):
        for col, (key, name) in enumerate((("mean", names[0]), ("second", names[1]))):
            ax = axes[2 * row][col]
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
            ax.set_ylabel(name.split("  ")[0])
            ax.grid(alpha=0.3)
            if row == 0 and col == 0:
                ax.legend(fontsize=7)
            residual_panel(axes[2 * row + 1][col], real[c], {m: data[m][c] for m in models},
                           key, name.split("  ")[0] + coord)
            if row == 0 and col == 0:
                axes[1][0].legend(fontsize=6, ncol=2)
    st = info.get("staleness") or {}
    mu = st.get("mu_hat")
    title = short_problem(se.get("preset"))
    fig.suptitle(f"{title}: M={se.get('workers')}, work={se.get('work')}, "
                 f"eta={se.get('eta'):.4g}, {info.get('real', {}).get('replicas')} real runs, "
                 f"mu_hat={mu:.4f}, {se.get('paths')} paths per model" if mu is not None
                 else f"{title}: no staleness measured")
    return save(fig, os.path.join(args.dir, "validate.png"), args)


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


def find_staleness(d):
    """(staleness.csv, the staleness object of validation.json or the summary.json beside it)."""
    path = next((p for p in (os.path.join(d, "real", "staleness.csv"),
                             os.path.join(d, "staleness.csv")) if os.path.isfile(p)), None)
    if path is None:
        fail(f"'{d}' has no staleness.csv or real/staleness.csv: is it the --out of "
             "'asgd validate' or 'asgd run'?")
    vpath = os.path.join(d, "validation.json")
    spath = os.path.join(os.path.dirname(path), "summary.json")
    jpath = vpath if os.path.isfile(vpath) else spath if os.path.isfile(spath) else None
    st = (read_json(jpath, "").get("staleness") or {}) if jpath else {}
    return read_staleness_csv(path), st


BODY_MASS = 0.99  # the linear panel shows the l that hold this much of the measured pmf


def staleness_laws(ax, rows, st, top):
    """The fitted geometric and, from validate, the fitted mixture, for l = 0..@top."""
    ls = range(top + 1)
    mu = st.get("mu_hat")
    if mu is not None:
        ax.plot(ls, [(1 - mu) * mu ** l for l in ls], color="tab:blue", lw=1.2,
                label=f"geometric, mu_hat={mu:.4f}")
    else:
        ax.plot(ls, [rows[l][2] if l in rows else math.nan for l in ls], color="tab:blue",
                lw=1.2, label="geometric")
    mix = st.get("mixture")
    if mix:
        comps = mix.get("components", [])
        q = [sum(c["weight"] * (1 - c["mu"]) * c["mu"] ** l for c in comps) for l in ls]
        desc = " + ".join(f"{c['weight']:.2f} geom({c['mu']:.3f})" for c in comps)
        ax.plot(ls, q, color="tab:orange", lw=1.2, ls="--",
                label=f"mixture K={mix.get('count', mix.get('k'))}: {desc}")  # 'k' before issue 14


def staleness_panels(body, tail, rows, st):
    """The measured pmf (+-2 SE) with the fitted laws: @body on a linear axis over the l that
    hold BODY_MASS of the mass, @tail on a log axis over every observed l, clipped just below
    the smallest observed pmf (the laws' far tail would push the axis to 1e-38)."""
    n = sum(c for c, _, _ in rows.values())
    seen = [l for l in sorted(rows) if rows[l][1] > 0]
    if not seen:
        fail("the staleness.csv has no observed staleness (every count is 0)")
    p = [rows[l][1] for l in seen]
    err = [2 * math.sqrt(q * (1 - q) / n) if n > 0 else 0 for q in p]
    cum, cut = 0.0, seen[-1]
    for l, q in zip(seen, p):
        cum += q
        if cum >= BODY_MASS:
            cut = l
            break
    cut = max(cut, min(5, seen[-1]))
    label = f"measured ({int(n)} gradients, +-2 SE)"
    inb = [i for i, l in enumerate(seen) if l <= cut]
    body.bar([seen[i] for i in inb], [p[i] for i in inb], yerr=[err[i] for i in inb],
             color="lightgray", edgecolor="black", lw=0.6, capsize=2, label=label)
    staleness_laws(body, rows, st, cut)
    body.set_xlim(-0.6, cut + 0.6)
    body.set_ylim(bottom=0)
    body.set_title(f"P(tau = l), l = 0..{cut} ({BODY_MASS:.0%} of the mass)", fontsize=9)
    lo = [min(e, q * 0.999) for e, q in zip(err, p)]  # keep the bars above 0 on a log axis
    tail.errorbar(seen, p, yerr=[lo, err], fmt="o", color="black", ms=3, lw=0.8, label=label)
    staleness_laws(tail, rows, st, seen[-1] + 1)
    tail.set_yscale("log")
    tail.set_ylim(min(p) / 5, 1.5)
    tail.set_xlim(-0.5, seen[-1] + 1.5)
    tail.set_title(f"the tail, log scale (largest observed l = {seen[-1]})", fontsize=9)
    for ax in (body, tail):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("staleness l")
        ax.set_ylabel("P(tau = l)")
        ax.grid(alpha=0.3, which="both")
    body.legend(fontsize=7)


def staleness_title(st):
    if not st:
        return "staleness"
    val = lambda v, f: "n/a" if v is None else format(v, f)  # noqa: E731 (null: not defined)
    p = st.get("chi2_p")  # as the commands print it: below 1e-300 is rounding
    p = "n/a" if p is None else "< 1e-300" if p < 1e-300 else format(p, ".3g")
    return (f"staleness: chi2 p={p}, "
            f"TV={val(st.get('tv_distance'), '.3f')}, lag-1={val(st.get('lag1_autocorr'), '.3f')}")


def plot_staleness(args):
    rows, st = find_staleness(args.dir)
    fig, (body, tail) = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    staleness_panels(body, tail, rows, st)
    fig.suptitle(staleness_title(st), fontsize=10)
    return save(fig, os.path.join(args.dir, "staleness.png"), args)


# ---- asgd run ----

def worker_panel(ax, st):
    """Each worker's mean staleness and its share of the gradients: a slow or starved worker
    shows as a bar apart from the others."""
    ws = st.get("workers") or []
    if not ws:
        ax.text(0.5, 0.5, "no per-worker staleness", ha="center", transform=ax.transAxes)
        return
    total = sum(w.get("count", 0) for w in ws) or 1
    x = [w.get("worker") for w in ws]
    y = [num(w.get("mean")) for w in ws]
    ax.bar(x, y, color="tab:blue", alpha=0.7)
    for xi, yi, w in zip(x, y, ws):
        if math.isfinite(yi):
            ax.text(xi, yi, f"{w.get('count', 0) / total:.0%}", ha="center", va="bottom",
                    fontsize=7)
    if st.get("mean") is not None:
        ax.axhline(st["mean"], color="black", ls="--", lw=1, label=f"all: {st['mean']:.3f}")
        ax.legend(fontsize=7)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("worker (label: share of the applied gradients)")
    ax.set_ylabel("mean staleness tau")
    ax.set_title("staleness per worker", fontsize=9)
    ax.grid(alpha=0.3, axis="y")


def plot_run(args):
    info = read_json(os.path.join(args.dir, "summary.json"), "the --out of 'asgd run'")
    mom = read_moments(os.path.join(args.dir, "moments.csv"))
    rows, st = find_staleness(args.dir)
    names = moment_names(info.get("observe"))
    fstar = (info.get("data") or {}).get("optimum_loss")
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    traj = axes[0][0]
    c = min(mom)
    band(traj, mom[c], "mean", "black", f"mean over {info.get('replicas')} replicas (+-2 SE)")
    if fstar is not None and info.get("observe") == "loss":
        traj.axhline(fstar, color="tab:gray", ls=":", lw=1, label=f"optimum f* = {fstar:.6g}")
    title = names[0].split("  ")[0] + (f" (coordinate {c})" if len(mom) > 1 else "")
    traj.set_title(title, fontsize=9)
    traj.set_xlabel("iteration k")
    traj.set_ylabel(title)
    traj.grid(alpha=0.3)
    traj.legend(fontsize=7)
    staleness_panels(axes[0][1], axes[1][0], rows, st)
    worker_panel(axes[1][1], st)
    mu = st.get("mu_hat")
    fig.suptitle(f"asgd run {short_problem(info.get('preset'))}: "
                 + (f"mode={info['mode']}, " if info.get("mode") else "")
                 + f"M={info.get('workers')}, work={info.get('work')}, eta={num(info.get('eta')):.4g}"
                 + (f", mu_hat={mu:.4f} (1-1/M = {num(st.get('mu_queueing')):.4f})"
                    if mu is not None else "")
                 + (" (PARTIAL)" if info.get("partial") else "") + "\n" + staleness_title(st),
                 fontsize=10)
    return save(fig, os.path.join(args.dir, "run.png"), args)


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
    return save(fig, os.path.join(args.dir, "sweep.png"), args)


# ---- asgd advise ----

ADVISE_SETTINGS = (("current", "black", "your setting"), ("recommended", "tab:blue", "recommended"))


def read_dir_json(d, name, what):
    """DIR/@name (read_json), after checking that @d is a directory."""
    if not os.path.isdir(d):
        fail(f"'{d}' does not exist or is not a directory")
    return read_json(os.path.join(d, name), what)


def read_advise(d):
    path = os.path.join(d, "advise.json")
    info = read_dir_json(d, "advise.json", "the --out of 'asgd advise'")
    if not isinstance(info, dict) or not isinstance(info.get("settings"), dict):
        fail(f"'{path}' has no settings: is it the advise.json of 'asgd advise'?")
    return info


def read_columns(path, what, cols):
    """{name: [values]} from the CSV @path (@what, as "an msd.csv"), @cols mapping each name to (column, type)."""
    out = {name: [] for name in cols}
    need = [c for c, _ in cols.values()]
    try:
        with open(path, newline="") as fp:
            rows = csv.DictReader(fp)
            if rows.fieldnames is None or not set(need) <= set(rows.fieldnames):
                fail(f"'{path}' is not {what} (needs columns {', '.join(need)})")
            for i, r in enumerate(rows):
                try:
                    for name, (c, kind) in cols.items():
                        out[name].append(kind(r[c]))
                except (TypeError, ValueError):
                    fail(f"'{path}': row {i + 1} is not {','.join(need)} numbers")
    except OSError as e:
        fail(f"'{path}' cannot be read: {e}")
    if not out["k"]:
        fail(f"'{path}' has no rows")
    return out


def read_msd(path):
    """{'k': [...], 'msd': [...], 'se': [...]} from a k,msd,se file."""
    return read_columns(path, "an msd.csv", {"k": ("k", int), "msd": ("msd", float),
                                           "se": ("se", float)})


def read_gap(path):
    """{'k', 'loss', 'msd' (the gap, so that band() draws it), 'se'} from a loss_gap.csv."""
    return read_columns(path, "a loss_gap.csv", {"k": ("k", int), "loss": ("loss", float),
                                               "msd": ("loss_gap", float), "se": ("se", float)})


def opt_num(v):
    """A JSON number, NaN for anything else (null, a missing key)."""
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


def advise_band(ax, d, color, label, floor):
    """The curve with mean +- 2 SE; the lower edge is clipped to @floor on the log axis."""
    k, m, se = d["k"], d["msd"], d["se"]
    ax.plot(k, m, color=color, lw=1.3, label=label)
    lo = [max(a - 2 * s, floor) if math.isfinite(s) else a for a, s in zip(m, se)]
    hi = [a + 2 * s if math.isfinite(s) else a for a, s in zip(m, se)]
    ax.fill_between(k, lo, hi, color=color, alpha=0.2, lw=0)


def advise_loss_panel(ax, info, data):
    """The loss f(x_k) of each setting, the optimum f* and the target loss (data models)."""
    for name, color, label in ADVISE_SETTINGS:
        if name in data:
            ax.plot(data[name]["k"], data[name]["loss"], color=color, lw=1.3, label=label)
    fstar = opt_num((info.get("measure") or {}).get("fstar"))
    if math.isfinite(fstar):
        ax.axhline(fstar, color="tab:green", lw=1, label=f"optimum f* = {fstar:.6g}")
    target = opt_num(info["settings"].get("target"))
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
    for name, _, _ in ADVISE_SETTINGS:
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
        advise_loss_panel(top, info, data)
    else:
        fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    for name, color, label in ADVISE_SETTINGS:
        if name not in data:
            continue
        o = outcomes.get(name) or {}
        beta = opt_num(o.get("momentum"))
        advise_band(ax, data[name], color, f"{label}: beta = {beta:.4g} (+-2 SE)", floor)
        nf = opt_num(o.get("noise_floor"))
        if math.isfinite(nf) and nf > 0:
            ax.axhline(nf, color=color, ls=":", lw=1,
                       label=f"{label}: predicted floor Sigma eta/(2a(1-beta)) = {nf:.3g}")
    target = opt_num(info["settings"].get("target"))
    if gap:
        target -= opt_num((info.get("measure") or {}).get("fstar"))
    if math.isfinite(target) and target > 0:
        ax.axhline(target, color="tab:red", ls="--", lw=1,
                   label=f"target {target:g}" + (" (the target loss - f*)" if gap else ""))
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("loss gap f(x_k) - f*" if gap else "E||x_k - x*||^2")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    se = info["settings"]
    mu = opt_num((info.get("measurements") or {}).get("mu_hat"))
    head = (f"asgd advise {short_problem(se.get('preset'))}: M={se.get('workers')}, work={se.get('work')}, "
            f"eta={se.get('eta')}, mu_hat={mu:.4f}, mu_opt={opt_num(rec.get('mu_opt')):.4f}, "
            f"{se.get('replicas')} runs each" + (" (PARTIAL)" if info.get("partial") else ""))
    verdict = (info.get("verdict") or {}).get("text") or ""
    title = head + "\n" + "\n".join(textwrap.wrap(verdict, 110))
    if gap:
        fig.suptitle(title, fontsize=9)
    else:
        ax.set_title(title, fontsize=9)
    return save(fig, os.path.join(args.dir, "advise.png"), args)



# ---- asgd batch ----

BATCH_COLUMNS = ("schedule", "k", "batch", "model", "sim_msd", "sim_se", "engine_msd", "engine_se")
# On data curves.csv names the measure's columns after the loss gap; read into the same keys.
BATCH_GAP_NAMES = {"model": "model_loss_gap", "sim_msd": "sim_loss_gap",
                   "engine_msd": "engine_loss_gap"}
BATCH_STYLE = {"optimal": "tab:red", "constant": "tab:blue", "equal-total": "tab:green"}


def read_batch(d):
    """(batch.json as a dict, {schedule: {column: [values]}}) from the --out of `asgd batch`."""
    info = read_dir_json(d, "batch.json", "the --out of 'asgd batch'")
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
    return save(fig, os.path.join(args.dir, "batch.png"), args)


# ---- what a directory holds, and its report ----

# The file that marks each command's --out, in the order they are tried (validate's real/ and
# sweep's M<m>/ hold a summary.json too, so run comes last).
KINDS = (("validate", "validation.json"), ("sweep", "sweep.json"), ("batch", "batch.json"),
         ("advise", "advise.json"), ("compare", "comparison.json"), ("order", "order.json"),
         ("run", "summary.json"))
SUBCOMMANDS = ("compare", "order", "moments", "validate", "staleness", "sweep", "batch", "run",
               "advise", "report")


def detect(d):
    """The command whose --out @d is, by the file that marks it."""
    if not os.path.isdir(d):
        fail(f"'{d}' does not exist or is not a directory")
    for kind, marker in KINDS:
        if os.path.isfile(os.path.join(d, marker)):
            if kind == "run" and not os.path.isfile(os.path.join(d, "moments.csv")):
                break
            return kind
    fail(f"'{d}' holds none of {', '.join(m for _, m in KINDS)}: is it the --out of an asgd "
         "command (run, validate, sweep, batch, advise, compare, order)?")


def md_cell(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return "[" + ", ".join(md_cell(num_or_none(x)) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else "n/a"
    if v is None:
        return "n/a"
    return str(v).replace("|", "\\|")


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(md_cell(v) for v in r) + " |" for r in rows]
    return out


def pm(v, se):
    return f"{md_cell(num_or_none(v))} ± {md_cell(num_or_none(se))}"


def num_or_none(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def table_validate(info):
    st = info.get("staleness") or {}
    lines = []
    if st.get("mu_hat") is not None:
        ci = st.get("mu_ci95") or [None, None]
        lines.append(f"staleness: mu_hat = {st['mu_hat']:.4f} [{md_cell(ci[0])}, {md_cell(ci[1])}] "
                     f"vs 1 - 1/M = {md_cell(st.get('mu_queueing'))}; chi2 p = "
                     f"{md_cell(st.get('chi2_p'))}, TV = {md_cell(st.get('tv_distance'))}, "
                     f"lag-1 = {md_cell(st.get('lag1_autocorr'))}")
        lines.append("")
    rows = []
    for name, m in (info.get("models") or {}).items():
        rows.append([name, pm(m.get("mean_gap"), m.get("mean_gap_se")),
                     pm(m.get("second_rel_gap"), m.get("second_rel_gap_se")),
                     f"{num(m.get('mean_inside_fraction')):.1%}, "
                     f"{num(m.get('second_inside_fraction')):.1%}",
                     "yes" if m.get("inside_band") else "no"])
    lines += md_table(["model", "max abs mean gap ± SE", "max rel. second-moment gap ± SE",
                       "cells within 2 SE", "inside band"], rows)
    best = info.get("best_model") or {}
    if best:
        lines += ["", f"best: {best.get('by_mean')} (mean), {best.get('by_second_moment')} "
                  "(second moment)"]
    return lines


def table_run(info):
    st = info.get("staleness") or {}
    tp = info.get("throughput") or {}
    data = info.get("data") or {}
    rows = [("problem", short_problem(info.get("preset"))), ("mode", info.get("mode")),
            ("workers", info.get("workers")), ("iterations", info.get("iterations")),
            ("eta", info.get("eta")), ("work", info.get("work")),
            ("replicas", info.get("replicas")), ("mu_hat", st.get("mu_hat")),
            ("mu_hat 95%", st.get("mu_ci95")), ("1 - 1/M", st.get("mu_queueing")),
            ("chi2 p", st.get("chi2_p")), ("TV distance", st.get("tv_distance")),
            ("lag-1 autocorrelation", st.get("lag1_autocorr")),
            ("updates/s", tp.get("updates_per_s"))]
    if "final_loss_mean" in data:
        rows.append(("final loss ± SE", pm(data["final_loss_mean"], data.get("final_loss_se"))))
    if data.get("optimum_loss") is not None:
        rows.append(("optimum loss f*", data["optimum_loss"]))
    if data.get("relative_gap") is not None:
        rows.append(("(final - f*) / f*", data["relative_gap"]))
    if data.get("final_accuracy") is not None:
        rows.append(("final accuracy (last replica)", data["final_accuracy"]))
    rows.append(("partial", info.get("partial")))
    return md_table(["", "value"], [(k, num_or_none(v)) for k, v in rows])


def table_sweep(info):
    q = info.get("quantity", "msd")
    names, _ = SWEEP_QUANTITY.get(q, SWEEP_QUANTITY["msd"])
    rows = [[r.get("workers"), num_or_none(r.get("mu_hat")),
             1 - 1 / r["workers"] if r.get("workers") else None,
             pm(r.get(names["real"]), r.get(names["real_se"])),
             pm(r.get(names["msgd"]), r.get(names["msgd_se"])),
             pm(r.get(names["asgd"]), r.get(names["asgd_se"])), r.get("iters_to_target")]
            for r in info.get("rows") or []]
    what = "E f - f*" if q == "loss_gap" else "E||x - x*||^2"
    return md_table(["M", "mu_hat", "1 - 1/M", f"{what} real ± SE", "MSGD(mu_hat) ± SE",
                     "ASGD(mu_hat) ± SE", "k to target"], rows)


def table_advise(info):
    """The verdict, then one column per setting and one row per measured number."""
    lines = [str((info.get("verdict") or {}).get("text") or ""), ""]
    outcomes = {k: o for k, o in (info.get("outcomes") or {}).items() if isinstance(o, dict)}
    keys = []
    for o in outcomes.values():
        keys += [k for k, v in o.items() if not isinstance(v, (dict, list)) and k not in keys]
    if outcomes:
        lines += md_table([""] + list(outcomes),
                          [[k] + [num_or_none(o.get(k)) for o in outcomes.values()] for k in keys])
    return lines


def table_scalars(info):
    """Any other output: its top-level numbers and strings."""
    return md_table(["", "value"], [(k, num_or_none(v)) for k, v in info.items()
                                     if isinstance(v, (int, float, str)) and k != "command_line"])


# kind -> (its JSON, the figures `plot.py report` draws, the table)
REPORTS = {"validate": ("validation.json", ("validate", "staleness"), table_validate),
           "run": ("summary.json", ("run",), table_run),
           "sweep": ("sweep.json", ("sweep",), table_sweep),
           "advise": ("advise.json", ("advise",), table_advise),
           "batch": ("batch.json", ("batch",), table_scalars),
           "compare": ("comparison.json", ("compare",), table_scalars),
           "order": ("order.json", ("order",), table_scalars)}


def command_line(info):
    cl = info.get("command_line")
    if isinstance(cl, list):
        return " ".join(str(a) for a in cl)
    if cl:
        return cl
    if isinstance(info.get("argv"), list):
        return " ".join(str(a) for a in info["argv"])
    return "(not recorded)"


def machine(info):
    m = info.get("machine") or {}
    return m.get("description") or (f"{m.get('nproc')} cores" if m else "(not recorded)")


def plot_report(args):
    """Draw the figures of DIR's kind and write DIR/report.md: title, command line, machine,
    the verdict or summary table and the figures, linked relatively."""
    kind = detect(args.dir)
    jname, figures, table = REPORTS[kind]
    info = read_json(os.path.join(args.dir, jname), f"the --out of 'asgd {kind}'")
    drawn = []
    for what in figures:
        sub = argparse.Namespace(dir=args.dir, output=None, coords=None, format=args.format,
                                 dpi=args.dpi)
        drawn.append(DRAW[what](sub))
    title = f"asgd {kind}"
    problem = info.get("preset") or (info.get("settings") or {}).get("preset")
    if problem:
        title += " " + short_problem(problem)
    lines = [f"# {title}", "", f"command: `{command_line(info)}`  ", f"machine: {machine(info)}",
             ""]
    if info.get("partial"):
        lines += ["**partial**: the run was interrupted; the numbers cover what it finished.", ""]
    lines += table(info) + [""]
    for path in drawn:
        name = os.path.basename(path)
        lines += [f"![{os.path.splitext(name)[0]}]({name})", ""]
    out = os.path.join(args.dir, "report.md")
    fd, tmp = tempfile.mkstemp(dir=args.dir, suffix=".md.tmp")
    try:
        with os.fdopen(fd, "w") as fp:
            fp.write("\n".join(lines))
        os.chmod(tmp, file_mode())
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(out)


DRAW = {"compare": plot_compare, "order": plot_order, "moments": plot_moments,
        "validate": plot_validate, "staleness": plot_staleness, "sweep": plot_sweep,
        "batch": plot_batch, "run": plot_run, "advise": plot_advise, "report": plot_report}


def parser():
    ap = argparse.ArgumentParser(prog="plot.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--format", choices=FORMATS,
                        help="figure format (default: -o's extension, else png)")
    common.add_argument("--dpi", type=int, default=120, help="resolution of PNGs (default 120)")
    sub = ap.add_subparsers(dest="what", required=True)
    helps = {"compare": "figure from 'asgd compare' output",
             "order": "figure from 'asgd order' output",
             "validate": "figure from 'asgd validate' output, with residuals",
             "staleness": "measured staleness pmf with the fitted laws",
             "sweep": "figure from 'asgd sweep' output",
             "batch": "figure from 'asgd batch' output (like Figure 8)",
             "run": "figure from 'asgd run' output",
             "advise": "figure from 'asgd advise' output",
             "report": "the figures of any output DIR and DIR/report.md"}
    for name, text in helps.items():
        p = sub.add_parser(name, help=text, parents=[common])
        p.add_argument("dir")
        if name != "report":
            p.add_argument("-o", "--output")
        if name in ("compare", "validate"):
            p.add_argument("--coords")
    m = sub.add_parser("moments", help="any moments.csv files", parents=[common])
    m.add_argument("csv", nargs="+")
    m.add_argument("--labels")
    m.add_argument("--coords")
    m.add_argument("-o", "--output")
    return ap


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # `plot.py DIR [--format F]`: the report of whatever DIR holds
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and first not in SUBCOMMANDS and os.path.isdir(first):
        argv = ["report"] + argv
    args = parser().parse_args(argv)
    if args.dpi is not None and not 10 <= args.dpi <= 1200:
        fail(f"--dpi '{args.dpi}' is not allowed: expected 10..1200")
    load_matplotlib()
    DRAW[args.what](args)


if __name__ == "__main__":
    main()
