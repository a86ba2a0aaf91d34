#!/usr/bin/env bash
# Regenerate results/staleness/: the measured staleness of `asgd run` on fig4 with
# exponential work for M = 2, 4, 8, 16 workers, fitted to the geometric model, beside the
# queueing prediction 1 - 1/M. Each M keeps its full output directory (summary.json,
# staleness.csv, moments.csv); table.md collects the fit.
# Usage: scripts/staleness-table.sh [WORK] [REPLICAS]   (defaults exp:100us, 200)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-exp:100us}
replicas=${2:-200}
scripts/setup.sh build >/dev/null
out=results/staleness
mkdir -p "$out"
for m in 2 4 8 16; do
  build/asgd run --preset fig4 --workers "$m" --work "$work" --replicas "$replicas" \
    --iters 1000 --seed 1 --quiet --out "$out/M$m"
done
tmp=$(mktemp "$out/.table.md.XXXXXX")
trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written table
python3 - "$out" "$work" "$replicas" >"$tmp" <<'PY'
import json, subprocess, sys
out, work, replicas = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
print(f"# Staleness of `asgd run` on fig4, work {work}, {replicas} replicas x 1000 updates\n")
print(f"command: `scripts/staleness-table.sh {work} {replicas}`; machine: nproc {nproc}, {cpu}\n")
print("| M | mu_hat | 95% CI | 1-1/M | chi2 p | TV | lag-1 | mean tau | realised work mean (us) | CV | updates/s |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for m in (2, 4, 8, 16):
    d = json.load(open(f"{out}/M{m}/summary.json"))
    s, w = d["staleness"], d["work_realised"]
    p = "n/a" if s["chi2_p"] is None else f"{s['chi2_p']:.3g}"
    print(f"| {m} | {s['mu_hat']:.4f} | [{s['mu_ci95'][0]:.4f}, {s['mu_ci95'][1]:.4f}] | "
          f"{1 - 1 / m:.4f} | {p} | {s['tv_distance']:.4f} | {s['lag1_autocorr']:.4f} | "
          f"{s['mean']:.3f} | {w.get('mean_ns', float('nan')) / 1000:.1f} | {w.get('cv', float('nan')):.3f} | "
          f"{d['throughput']['updates_per_s']:.0f} |")
PY
mv "$tmp" "$out/table.md"
cat "$out/table.md"
