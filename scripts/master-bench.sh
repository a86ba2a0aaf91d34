#!/usr/bin/env bash
# Regenerate results/bench/master.md and master.csv: master mode's hand-offs against none
# (bench/bench_master.c: the snapshot master, the in-place master and combining mode beside a
# plain sequential loop) and against PyTorch's Hogwild (bench/torch_hogwild.py, 2 processes,
# python3-torch from Debian), interleaved repetition by repetition, medians.
# Usage: scripts/master-bench.sh [REPS]   (default 5; BUILD: the build directory; an idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
build=${BUILD:-build}
[[ -x $build/bench_master ]] || { scripts/setup.sh "$build" >/dev/null; cmake --build "$build" --target bench_master >/dev/null; }
# Debian's python3-torch lives in the system python; a python3 earlier on PATH may not see it
py=python3
$py -c "import torch" 2>/dev/null || py=/usr/bin/python3
$py -c "import torch" 2>/dev/null || { echo "master-bench.sh: needs python3-torch (apt-get install python3-torch)" >&2; exit 2; }
mkdir -p results/bench
tmp=$(mktemp -d)
md=$(mktemp results/bench/.master.md.XXXXXX)
trap 'rm -rf "$tmp" "$md"' EXIT
iters=1000000
for r in $(seq "$reps"); do
  "$build/bench_master" --reps 1 --iters $iters --csv "$tmp/engine.$r.csv" >/dev/null 2>&1
  for d in 1 100; do
    $py bench/torch_hogwild.py --dim $d --procs 2 --iters 200000 | sed -n 's/^median //p' \
      >"$tmp/torch.$d.$r"
  done
  echo "master-bench.sh: repetition $r/$reps" >&2
done
python3 - "$tmp" "$reps" "$iters" >"$md.body" <<'PY'
import csv, statistics, sys
tmp, reps, iters = sys.argv[1], int(sys.argv[2]), sys.argv[3]
eng, plain, torch = {}, {}, {}
for r in range(1, reps + 1):
    for row in csv.DictReader(open(f"{tmp}/engine.{r}.csv")):
        key = (row["d"], row["workers"], row["mode"])
        eng.setdefault(key, []).append(float(row["updates_per_s_median"]))
        plain.setdefault(row["d"], []).append(float(row["plain_per_s_median"]))
    for d in ("1", "100"):
        torch.setdefault(d, []).append(float(open(f"{tmp}/torch.{d}.{r}").read()))
med = statistics.median
print("| d | M | mode | updates/s | over the plain loop | + µs per update | over PyTorch Hogwild (2 procs) |")
print("|---|---|---|---|---|---|---|")
for (d, m, mode), v in sorted(eng.items(), key=lambda kv: (int(kv[0][0]), int(kv[0][1]), kv[0][2])):
    e, p, t = med(v), med(plain[d]), med(torch[d])
    print(f"| {d} | {m} | {mode} | {e:,.0f} | {e / p:.3f} | {(1 / e - 1 / p) * 1e6:+.3f} | {e / t:.2f} |")
print()
for d in ("1", "100"):
    print(f"- d = {d}: plain sequential loop {med(plain[d]):,.0f} updates/s; PyTorch Hogwild, 2 "
          f"processes, {med(torch[d]):,.0f} updates/s")
PY
{
  echo "# Master mode without hand-offs: combining mode and Hogwild against the masters, a plain loop and PyTorch"
  echo
  echo "- command: \`scripts/master-bench.sh $reps\` ($build/bench_master --reps 1 --iters $iters and"
  echo "  bench/torch_hogwild.py --dim D --procs 2 --iters 200000, alternating, $reps times; medians)"
  echo "- machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d), torch $($py -c 'import torch; print(torch.__version__)')"
  echo "- problem: quadratic:d=D,n=10 (f_i = sum_j a_j x_j^2/2 - b_i.x), no injected work, staleness recorded"
  echo
  cat "$md.body"
} >"$md"
rm -f "$md.body"
mv "$md" results/bench/master.md
trap 'rm -rf "$tmp"' EXIT
cat results/bench/master.md
