#!/usr/bin/env bash
# Regenerate results/bench/staleness-modes.md: what a faster master changes in the staleness we
# measure. fig4, exp:100us work, M = 2, 4, 8, 20 replicas of 2000 updates, in the snapshot master
# mode, in combining mode (no master thread) and in Hogwild with each of its clocks for tau (the
# shared counter, the per-worker timestamps that replaced it): mu_hat with its 95% interval
# beside the queueing law 1 - 1/M, the TV distance to the fitted geometric, lag-1 autocorrelation.
# Usage: scripts/staleness-modes.sh   (about a minute; BUILD: the build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
[[ -x $build/asgd ]] || scripts/setup.sh "$build" >/dev/null
mkdir -p results/bench
tmp=$(mktemp -d)
md=$(mktemp results/bench/.staleness-modes.md.XXXXXX)
trap 'rm -rf "$tmp" "$md"' EXIT
{
  echo "# Staleness measured by the snapshot master, combining mode and Hogwild's two clocks"
  echo
  echo "- command: \`scripts/staleness-modes.sh\` (each row: \`$build/asgd run --preset fig4 --mode MODE"
  echo "  [--hogwild-clock CLOCK] --workers M --work exp:100us --replicas 20 --iters 2000\`)"
  echo "- machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d)"
  echo
  echo "| M | mode | mu_hat [95%] | 1 - 1/M | TV | lag-1 | realised work (ns) |"
  echo "|---|---|---|---|---|---|---|"
  for m in 2 4 8; do
    for variant in master combining hogwild:counter hogwild:timestamp; do
      mode=${variant%%:*}
      clock=()
      [[ $variant == *:* ]] && clock=(--hogwild-clock "${variant#*:}")
      "$build/asgd" run --preset fig4 --mode $mode "${clock[@]}" --workers $m --work exp:100us \
        --replicas 20 --iters 2000 --quiet --out "$tmp/run" >/dev/null
      python3 -c "
import json, sys
j = json.load(open(sys.argv[1])); s = j['staleness']
print('| %s | %s | %.4f [%.4f, %.4f] | %.4f | %.4f | %.3f | %.0f |' % (sys.argv[2], sys.argv[3],
      s['mu_hat'], s['mu_ci95'][0], s['mu_ci95'][1], s['mu_queueing'], s['tv_distance'],
      s['lag1_autocorr'], j['work_realised']['mean_ns']))" "$tmp/run/summary.json" $m "$variant"
    done
  done
} >"$md"
mv "$md" results/bench/staleness-modes.md
trap 'rm -rf "$tmp"' EXIT
cat results/bench/staleness-modes.md
