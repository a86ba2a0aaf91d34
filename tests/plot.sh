#!/usr/bin/env bash
# plot.sh — scripts/plot.py on every kind of output: each subcommand draws a readable figure
# with the expected panels (counted on the figure itself), mode 0644 under umask 022, in PNG,
# PDF and SVG; `plot.py DIR` recognises what DIR holds and writes DIR/report.md linking the
# figures it drew; --help answers without matplotlib, and a python without it re-runs the
# script under Debian's. Exits 77 (ctest: skipped) where /usr/bin/python3 has no matplotlib.
# usage: tests/plot.sh PATH/TO/asgd
asgd=${1:?usage: plot.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
scripts="$(cd "$(dirname "$0")/.." && pwd)/scripts"
plot=$scripts/plot.py
py=/usr/bin/python3
if ! [ -x "$py" ] || ! "$py" -c "import matplotlib" 2>/dev/null; then
  echo "plot: skipped: $py has no matplotlib (apt-get install python3-matplotlib)"
  exit 77
fi
export MPLBACKEND=Agg
umask 022
usage_cmd=("$py" "$plot")

# ---- small outputs of every command --------------------------------------------------------
q=(--quiet --seed 1)
"$asgd" run --preset fig4 --replicas 10 --iters 200 --work none "${q[@]}" --out "$tmp/run" ||
  fail "asgd run"
"$asgd" run --loss logistic --data heart_scale --replicas 4 --iters 200 "${q[@]}" \
  --out "$tmp/rund" || fail "asgd run on data"
"$asgd" validate --replicas 10 --paths 100 --iters 200 --work none "${q[@]}" --out "$tmp/val" ||
  fail "asgd validate"
"$asgd" validate --loss logistic --data heart_scale --replicas 4 --paths 20 --iters 200 "${q[@]}" \
  --out "$tmp/vald" || fail "asgd validate on data"
"$asgd" sweep --workers 1,2 --replicas 3 --paths 20 --iters 200 --work none "${q[@]}" \
  --out "$tmp/sweep" || fail "asgd sweep"
"$asgd" advise --workers 2 --work none --probe-replicas 3 --replicas 3 --iters 200 "${q[@]}" \
  --out "$tmp/adv" || fail "asgd advise"
"$asgd" batch --horizon 50 --paths 64 --replicas 0 --gamma 1 "${q[@]}" --out "$tmp/batch" ||
  fail "asgd batch"
"$asgd" compare --preset fig4 --paths 64 --iters 50 "${q[@]}" --out "$tmp/cmp" || fail "asgd compare"
"$asgd" order --preset fig4 --halvings 2 "${q[@]}" --out "$tmp/ord" || fail "asgd order"

# ---- every subcommand: the figure's panels, readable, mode 0644 -----------------------------
# The figures are drawn through plot.py's own functions, with save() wrapped to count the
# axes of each figure before it is written; then each file is read back.
"$py" - "$scripts" "$tmp" <<'PY' >/dev/null || fail "figures: panels, readable PNGs, modes"
import argparse, os, stat, sys
sys.path.insert(0, sys.argv[1])
import plot
import matplotlib.image
t = sys.argv[2]
plot.load_matplotlib()
axes = {}
real_save = plot.save
labels = {}
def save(fig, default, args):
    n = len(fig.axes)
    labels[default] = {"y": [a.get_ylabel() for a in fig.axes], "suptitle": fig._suptitle.get_text() if fig._suptitle else "",
                       "lines": [l.get_label() for a in fig.axes for l in a.get_lines()]}
    path = real_save(fig, default, args)
    axes[path] = n
    return path
plot.save = save
# (subcommand, dir, expected axes): validate has a residual panel under each moment,
# staleness a linear body and a log tail, run trajectory + body + tail + per-worker,
# advise on a preset one panel.
cases = [("run", "run", 4), ("run", "rund", 4), ("validate", "val", 4), ("validate", "vald", 4),
         ("staleness", "val", 2), ("staleness", "run", 2), ("sweep", "sweep", 2),
         ("advise", "adv", 1), ("batch", "batch", 2), ("compare", "cmp", 2), ("order", "ord", 1)]
for what, d, want in cases:
    out = os.path.join(t, "figs", f"{what}-{d}.png")
    args = argparse.Namespace(dir=os.path.join(t, d), output=out, coords=None, format=None,
                              dpi=60)
    path = plot.DRAW[what](args)
    assert path == out, (path, out)
    assert axes[out] == want, (what, d, axes[out], want)
    img = matplotlib.image.imread(out)
    assert img.shape[0] > 100 and img.shape[1] > 100, (out, img.shape)
    assert img.std() > 0.01, f"{out} is blank"
    mode = stat.S_IMODE(os.stat(out).st_mode)
    assert mode == 0o644, (out, oct(mode))
# on data the loss is named, the problem short, and the optimum drawn
for what, d in (("run", "rund"), ("validate", "vald")):
    lab = labels[os.path.join(t, d, what + ".png")]
    assert lab["y"][0].startswith("E f(x_k)"), lab["y"]
    assert "logistic on heart_scale" in lab["suptitle"] and "/" not in lab["suptitle"].split(":")[0], lab
    assert any(l.startswith("optimum f* = ") for l in lab["lines"]), lab["lines"]
# the staleness tail stops at the largest observed l, not at the pmf table's end
import csv
rows = list(csv.DictReader(open(os.path.join(t, "val", "real", "staleness.csv"))))
top = max(int(r["l"]) for r in rows if float(r["count"]) > 0)
fig, (body, tail) = plot.plt.subplots(1, 2)
plot.staleness_panels(body, tail, plot.read_staleness_csv(os.path.join(t, "val", "real", "staleness.csv")), {"mu_hat": 0.5})
assert tail.get_xlim()[1] <= top + 2, (tail.get_xlim(), top)
smallest = min(float(r["pmf"]) for r in rows if float(r["pmf"]) > 0)
assert tail.get_ylim()[0] >= smallest / 10, (tail.get_ylim(), smallest)
# the residual of a model equal to the real run is 0; one 3 SE above it reads 3
real = {"k": [0, 1, 2], "mean": [1.0, 0.5, 0.25], "se_mean": [0.0, 0.1, 0.1]}
model = {"k": [0, 1, 2], "mean": [1.0, 0.5 + 3 * 0.1 * 2 ** 0.5, 0.25], "se_mean": [0.0, 0.1, 0.1]}
k, z = plot.residuals(real, model, "mean")
assert k == [1, 2] and abs(z[0] - 3) < 1e-12 and z[1] == 0, (k, z)
PY
[ -s "$tmp/figs/run-run.png" ] && ok

# ---- plot.py DIR: recognised, drawn, report.md ----------------------------------------------
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
for c in "run run.png" "rund run.png" "val validate.png staleness.png" "sweep sweep.png" \
         "adv advise.png" "batch batch.png" "cmp compare.png" "ord order.png"; do
  set -- $c
  d=$tmp/$1; shift
  "$py" "$plot" "$d" >"$tmp/out" 2>"$tmp/err" || { fail "plot.py $d: $(cat "$tmp/err")"; continue; }
  for f in "$@"; do
    is_png "$d/$f" && grep -qF "]($f)" "$d/report.md" && ok || fail "plot.py $d: $f in report.md"
  done
  [ "$(stat -c %a "$d/report.md")" = 644 ] && ok || fail "report.md mode in $d"
  grep -q '^command: `asgd ' "$d/report.md" && grep -q '^machine: ' "$d/report.md" && ok ||
    fail "report.md of $d names the command and the machine"
done
# the verdict table: one row per model of validation.json, with its inside-band verdict
"$py" - "$tmp/val" <<'PY' && ok || fail "validate report.md table"
import json, sys
d = sys.argv[1]
info = json.load(open(d + "/validation.json"))
md = open(d + "/report.md").read()
for name, m in info["models"].items():
    row = next(l for l in md.splitlines() if l.startswith(f"| {name} |"))
    assert row.endswith("| yes |" if m["inside_band"] else "| no |"), row
PY
head -1 "$tmp/rund/report.md" | grep -qx "# asgd run logistic on heart_scale" &&
  grep -q "^| final loss ± SE | 0\.[0-9]* ± 0\.[0-9]* |$" "$tmp/rund/report.md" && ok ||
  fail "data run report: short problem name"
"$py" "$plot" report "$tmp/run" --format svg >/dev/null && grep -q "](run.svg)" "$tmp/run/report.md" &&
  grep -q "<svg" "$tmp/run/run.svg" && ok || fail "report --format svg"
"$py" "$plot" run "$tmp/run" --format pdf >/dev/null && [ "$(head -c 4 "$tmp/run/run.pdf")" = "%PDF" ] &&
  ok || fail "run --format pdf"
"$py" "$plot" run "$tmp/run" -o "$tmp/r.svg" >/dev/null && grep -q "<svg" "$tmp/r.svg" && ok ||
  fail "-o FILE.svg gives SVG"
"$py" "$scripts/plot_advise.py" "$tmp/adv" -o "$tmp/a.png" >/dev/null && is_png "$tmp/a.png" && ok ||
  fail "plot_advise.py shim"
ls "$tmp"/*/*.tmp "$tmp"/figs/*.tmp 2>/dev/null | grep -q . && fail "temporary file left behind" || ok

# ---- bad input exits 2 ---------------------------------------------------------------------
mkdir -p "$tmp/empty"
expect_usage "holds none of" "$tmp/empty"
expect_usage "holds none of" report "$tmp/empty"
expect_usage "has no summary.json" run "$tmp/empty"
expect_usage "invalid choice: 'gif'" run "$tmp/run" --format gif
expect_usage "--dpi '5' is not allowed" run "$tmp/run" --dpi 5
expect_usage "does not exist" report "$tmp/nope"

# ---- without matplotlib --------------------------------------------------------------------
# A package named matplotlib that fails to import stands for a python without it.
mkdir -p "$tmp/fake/matplotlib"
echo 'raise ImportError("no matplotlib here")' >"$tmp/fake/matplotlib/__init__.py"
PYTHONPATH=$tmp/fake ASGD_PLOT_NO_REEXEC=1 "$py" "$plot" --help >"$tmp/out" 2>&1 &&
  grep -q "usage: plot.py" "$tmp/out" && ok || fail "--help without matplotlib: $(cat "$tmp/out")"
PYTHONPATH=$tmp/fake ASGD_PLOT_NO_REEXEC=1 "$py" "$plot" run --help >"$tmp/out" 2>&1 &&
  grep -q -- "--format" "$tmp/out" && ok || fail "run --help without matplotlib"
PYTHONPATH=$tmp/fake ASGD_PLOT_NO_REEXEC=1 "$py" "$plot" run "$tmp/run" >"$tmp/out" 2>&1
[ $? -eq 1 ] && grep -q "matplotlib is not installed" "$tmp/out" && ok ||
  fail "no matplotlib and no re-exec: exit 1 naming it: $(cat "$tmp/out")"
# another python without matplotlib (here: one that is not /usr/bin/python3 by name, for
# which the package fails) re-runs the script under /usr/bin/python3, which draws
cat >"$tmp/fake/matplotlib/__init__.py" <<PY2
import sys
if sys.executable != "$py":
    raise ImportError("no matplotlib for " + sys.executable)
del sys.modules["matplotlib"]
sys.path.remove("$tmp/fake")
import matplotlib
PY2
ln -s "$py" "$tmp/otherpython"
rm -f "$tmp/run/run.png"
PYTHONPATH=$tmp/fake "$tmp/otherpython" "$plot" run "$tmp/run" >"$tmp/out" 2>&1 &&
  is_png "$tmp/run/run.png" && ok || fail "re-exec under $py: $(cat "$tmp/out")"
rm -f "$tmp/run/run.png"
PYTHONPATH=$tmp/fake ASGD_PLOT_NO_REEXEC=1 "$tmp/otherpython" "$plot" run "$tmp/run" >"$tmp/out" 2>&1
[ $? -eq 1 ] && ! [ -e "$tmp/run/run.png" ] && ok || fail "ASGD_PLOT_NO_REEXEC=1 forbids the re-exec"

finish plot
