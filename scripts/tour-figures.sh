#!/usr/bin/env bash
# Regenerate results/tour/: the three figures of the README's tour, drawn by scripts/plot.py
# from the committed outputs of the tour's commands (no run: the figures show exactly the
# numbers the committed results hold), and results/tour/README.md naming each figure's
# source, the command that produced it and the machine it ran on (from the outputs' JSON).
#   run.png       plot.py run results/staleness/M4          (asgd run, fig4, M = 4)
#   validate.png  plot.py validate results/validation/fig4-M4
#   sweep.png     plot.py sweep results/validation/sweep-fig4
# Usage: scripts/tour-figures.sh [OUT]   (default results/tour; a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/tour}
py=${PYTHON:-/usr/bin/python3}   # Debian's matplotlib belongs to Debian's python3
[ -x "$py" ] || py=python3
mkdir -p "$out"
dpi=80   # small committed PNGs: under 300 KB for the three
"$py" scripts/plot.py run results/staleness/M4 -o "$out/run.png" --dpi $dpi >/dev/null
"$py" scripts/plot.py validate results/validation/fig4-M4 -o "$out/validate.png" --dpi $dpi >/dev/null
"$py" scripts/plot.py sweep results/validation/sweep-fig4 -o "$out/sweep.png" --dpi $dpi >/dev/null
tmp=$(mktemp "$out/.README.md.XXXXXX")
trap 'rm -f "$tmp"' EXIT   # a failed run leaves no half-written README
"$py" - >"$tmp" <<'PY'
import json


def command(info):
    cl = info.get("command_line") or info.get("argv")
    if isinstance(cl, list):
        return " ".join(cl)
    if cl:
        return cl
    # summary.json before `argv` was recorded: its settings say the same
    return (f"asgd run --preset {info['preset']} --workers {info['workers']} --work {info['work']} "
            f"--replicas {info.get('replicas_requested', info.get('replicas'))} "
            f"--iters {info['iterations']} --seed {info['seed']}")


print("# The tour's figures\n")
print("`scripts/tour-figures.sh` draws them with `scripts/plot.py` from the committed outputs "
      "below (no new run), at 80 dpi.\n")
print("| figure | drawn by | from the output of | machine |")
print("|---|---|---|---|")
for fig, sub, src, js in (("run.png", "run", "results/staleness/M4", "summary.json"),
                          ("validate.png", "validate", "results/validation/fig4-M4", "validation.json"),
                          ("sweep.png", "sweep", "results/validation/sweep-fig4", "sweep.json")):
    info = json.load(open(f"{src}/{js}"))
    m = info.get("machine") or {}
    print(f"| [{fig}]({fig}) | `plot.py {sub} {src}` | `{command(info)}` | "
          f"nproc {m.get('nproc')}, {m.get('description')} |")
PY
chmod 644 "$tmp"   # mktemp makes it 0600
mv "$tmp" "$out/README.md"
trap - EXIT
ls -l "$out"
