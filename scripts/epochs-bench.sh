#!/usr/bin/env bash
# Regenerate results/bench/epochs.md: the objective after 10 epochs of Hogwild (1 worker, so
# that the numbers are deterministic) on the rcv1-like SVM (hinge, lambda = 1/n), uniform
# sampling against shuffled epochs, over a grid of step sizes and per-epoch decays
# (`asgd run --sampling`, `--eta-decay`). Written atomically, with the command and the machine.
# Usage: scripts/epochs-bench.sh   (about 3 minutes; BUILD: the build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
[[ -x $build/asgd ]] || scripts/setup.sh "$build" >/dev/null
mkdir -p results/bench
out=$(mktemp -d)
md=$(mktemp results/bench/.epochs.md.XXXXXX)
trap 'rm -rf "$out" "$md"' EXIT
iters=2000000   # 10 epochs of n = 200000 updates
{
  echo "# Objective after 10 epochs: uniform sampling against shuffled epochs"
  echo
  echo "- command: \`scripts/epochs-bench.sh\` (each cell: \`$build/asgd run --loss hinge --data rcv1"
  echo "  --mode hogwild --workers 1 --replicas 1 --iters $iters --work none --sampling S"
  echo "  --eta-decay F --eta ETA --record-every $iters\`)"
  echo "- machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d)"
  echo "- data: rcv1:n=200000,d=47236,nnz=70,seed=1; f = mean hinge + (lambda/2)|w|^2, lambda = 1/n;"
  echo "  one worker, so every cell is deterministic (the same seed gives the same bits)"
  echo
  echo "| eta | decay per epoch | f(x), uniform | f(x), shuffle |"
  echo "|---|---|---|---|"
  for eta in 0.1 0.2 0.5; do
    for decay in 1 0.9 0.8; do
      row="| $eta | $decay |"
      for s in uniform shuffle; do
        "$build/asgd" run --loss hinge --data rcv1 --mode hogwild --workers 1 --replicas 1 \
          --iters $iters --work none --sampling $s --eta-decay $decay --eta $eta \
          --record-every $iters --quiet --out "$out/run" >/dev/null
        row="$row $(python3 -c "import json,sys; print('%.5f' % json.load(open(sys.argv[1]))['data']['final_loss'])" "$out/run/summary.json") |"
      done
      echo "$row"
    done
  done
  echo
  echo "Where these runs are heading: the same worker, shuffled, for longer (each row one run):"
  echo
  echo "| eta | decay per epoch | epochs | f(x), shuffle |"
  echo "|---|---|---|---|"
  for spec in "0.5 0.9 50" "0.2 0.95 100"; do
    set -- $spec
    "$build/asgd" run --loss hinge --data rcv1 --mode hogwild --workers 1 --replicas 1 \
      --iters $(($3 * 200000)) --work none --sampling shuffle --eta-decay $2 --eta $1 \
      --record-every $(($3 * 200000)) --quiet --out "$out/run" >/dev/null
    echo "| $1 | $2 | $3 | $(python3 -c "import json,sys; print('%.5f' % json.load(open(sys.argv[1]))['data']['final_loss'])" "$out/run/summary.json") |"
  done
} >"$md"
mv "$md" results/bench/epochs.md
trap 'rm -rf "$out"' EXIT
cat results/bench/epochs.md
