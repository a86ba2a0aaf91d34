#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Collect results/validation/ into one markdown table (called by scripts/validation-results.sh).

usage: validation-table.py OUT_DIR ELAPSED_S
"""
import os
import sys

from results_common import load, machine

RUNS = ["fig4-M4", "fig4-M8", "fig5-doublewell-M4"]


def pval(p):
    """A p-value as the commands print it (cli_format_p): below 1e-300 is rounding."""
    return "–" if p is None else "< 1e-300" if p < 1e-300 else f"{p:.3g}"


def validate_section(out, run):
    p = os.path.join(out, run, "validation.json")
    if not os.path.isfile(p):
        return
    d = load(p)
    s, st = d["settings"], d["staleness"]
    mix = st.get("mixture") or {}
    comps = ", ".join(f"{c['weight']:.4g}×geom({c['mu']:.4f})" for c in mix.get("components", []))
    print(f"## validate {run}: {s.get('preset')}, M = {s.get('workers')}, work {s.get('work')}, "
          f"{s.get('replicas')} replicas × {s.get('iters')} updates\n")
    cl = d["command_line"]  # an array since issue 17, a string before
    print(f"command: `{' '.join(cl) if isinstance(cl, list) else cl}`\n")
    lo, hi = st["mu_ci95"]
    p_chi = pval(st["chi2_p"])
    print(f"staleness: μ̂ = {st['mu_hat']:.4f} [{lo:.4f}, {hi:.4f}] vs 1 − 1/M = {st['mu_queueing']:.4f}; "
          f"χ² p = {p_chi}, TV = {st['tv_distance']:.4f}, lag-1 = {st['lag1_autocorr']:+.3f}; "
          f"mixture by BIC: K = {mix.get('count', mix.get('k'))} ({comps})\n")  # 'k' before issue 14
    print(f"| model | max \\|mean gap\\| ± SE | max rel. E x² gap ± SE | cells within 2 SE (mean, E x²) | inside band (≥ {d['inside_fraction_required']:.0%}) |")
    print("|---|---|---|---|---|")
    for name, m in d["models"].items():
        print(f"| {name} | {m['mean_gap']:.2e} ± {m['mean_gap_se']:.1e} | "
              f"{m['second_rel_gap']:.3f} ± {m['second_rel_gap_se']:.3f} | "
              f"{100 * m['mean_inside_fraction']:.1f}%, {100 * m['second_inside_fraction']:.1f}% | "
              f"{'yes' if m['inside_band'] else '**no**'} |")
    b, e = d["best_model"], d["effects"]
    sh, co = e["shape"], e["correlation"]
    # null: none distinguishable at these sizes (files before the answer had always a name)
    bm = b["by_mean"] or f"none distinguishable (smallest: {b.get('smallest_by_mean')})"
    bs = b["by_second_moment"] or \
        f"none distinguishable (smallest: {b.get('smallest_by_second_moment')})"
    if d.get("answer"):
        print(f"\n{d['answer']['text']}")
    print(f"\nbest: {bm} (mean), {bs} (E x²). Shape of the staleness "
          f"law (gap of the geometric replay minus that of the measured-pmf replay): mean "
          f"{sh['mean']:+.2e} ± {sh['mean_se']:.1e}, E x² {sh['second_rel']:+.3f} ± {sh['second_rel_se']:.3f}; "
          f"correlated staleness and the rest (gap of the measured-pmf replay): mean "
          f"{co['mean']:.2e} ± {co['mean_se']:.1e}, E x² {co['second_rel']:.3f} ± {co['second_rel_se']:.3f}.\n")


def sweep_section(out):
    p = os.path.join(out, "sweep-fig4", "sweep.json")
    if not os.path.isfile(p):
        return
    d = load(p)
    print(f"## sweep fig4: work {d.get('work')}, {d.get('replicas_requested')} replicas per M\n")
    cl = d.get("command_line")
    print(f"command: `{' '.join(cl) if isinstance(cl, list) else cl}`\n")
    print("| M | μ̂ | 95% CI | 1 − 1/M | χ² p | TV | updates/s | E(x−x*)² real ± SE | MSGD(μ̂, η(1−μ̂)) sim | MSGD exact | App. B (μ̂) | ASGD exact (μ̂) | k to target | time to target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def f(v, fmt):
        return "–" if v is None else format(v, fmt)
    for r in d["rows"]:
        print(f"| {r['workers']} | {r['mu_hat']:.4f} | [{r['mu_ci95_lo']:.4f}, {r['mu_ci95_hi']:.4f}] | "
              f"{r['mu_queueing']:.4f} | {pval(r.get('chi2_p'))} | {f(r.get('tv_distance'), '.4f')} | "
              f"{r['updates_per_s']:.0f} | {r['real_ex2']:.5f} ± {r['real_ex2_se']:.5f} | "
              f"{f(r.get('msgd_ex2'), '.5f')} | {f(r.get('msgd_exact_ex2'), '.5f')} | "
              f"{f(r.get('appendix_b_ex2'), '.5f')} | {f(r.get('asgd_exact_ex2'), '.5f')} | "
              f"{f(r.get('iters_to_target'), '.0f')} | {f(r.get('time_to_target_s'), '.3g')} s |")
    print()


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out, elapsed = sys.argv[1:]
    print("# Real runs against the models: `asgd validate` and `asgd sweep`\n")
    print(f"command: `scripts/validation-results.sh`; machine: {machine()}; took {elapsed} s\n")
    for run in RUNS:
        validate_section(out, run)
    sweep_section(out)


if __name__ == "__main__":
    main()
