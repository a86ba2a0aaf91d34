#!/usr/bin/env bash
# cli_outputs.sh — docs/OUTPUTS.md documents every output: every command runs small into a
# scratch directory, and every JSON key written (walked to any depth) and every CSV header
# column must be named in docs/OUTPUTS.md. A failure names the key, the path it was found at and
# the file, and says which line to add. Documented keys no run wrote are listed as a note only:
# many are conditional (MPI, a stop, hogwild clocks).
# usage: tests/cli_outputs.sh PATH/TO/asgd
asgd=${1:?usage: cli_outputs.sh PATH/TO/asgd}
. "$(dirname "$0")/lib.sh"
doc="$(dirname "$0")/../docs/OUTPUTS.md"
[ -r "$doc" ] || { echo "cli_outputs: $doc missing" >&2; exit 1; }

o=$tmp/out
# produce NAME args...: one command run small; its --out is $o/NAME.
produce() {
  local name=$1; shift
  if "$asgd" "$@" --out "$o/$name" >"$tmp/$name.log" 2>&1; then ok; else
    fail "asgd $* exited $?: $(tail -3 "$tmp/$name.log")"
  fi
}
heart=(--loss logistic --data heart_scale)
produce run-fig4 run --preset fig4 --replicas 3 --iters 100 --work none --quiet
produce run-work run --preset fig4 --replicas 2 --iters 100 --work fixed:1us --quiet
produce run-hogwild run --preset fig4 --replicas 2 --iters 100 --work none --mode hogwild \
  --hogwild-clock both --quiet
produce run-bounded run --preset fig4 --workers 4 --max-staleness 1 --replicas 2 --iters 100 \
  --work none --quiet
produce run-combining run --preset fig4 --mode combining --replicas 2 --iters 100 --work none --quiet
produce run-quadratic run --preset quadratic:d=3,n=50 --replicas 2 --iters 100 --work none --quiet
produce run-data run "${heart[@]}" --replicas 2 --iters 300 --test-fraction 0.2 --quiet \
  --save-model "$tmp/model.txt"
produce validate validate --replicas 4 --paths 16 --iters 60 --work none --quiet
produce validate-bounded validate --workers 4 --max-staleness 1 --replicas 4 --paths 16 \
  --iters 60 --work none --quiet
produce validate-data validate "${heart[@]}" --replicas 4 --paths 8 --iters 100 --quiet
produce simulate simulate --paths 50 --iters 50
produce simulate-exact simulate --exact --iters 50
produce simulate-basins simulate --preset fig5-doublewell --paths 50 --iters 50
produce simulate-data simulate "${heart[@]}" --paths 10 --iters 50
produce sme sme --model sme-asgd --paths 50 --iters 50
produce sme-mixture sme --model sme-asgd-mixture --mixture 0.5:0.5,0.5:0.9 --paths 50 --iters 50
produce sme-exact sme --model sme-asgd --exact --iters 50
produce sme-msgd sme --model sme-msgd --paths 20 --iters 50
produce sweep sweep --workers 1,2 --replicas 2 --iters 200 --paths 20 --work none
produce sweep-data sweep --workers 1,2 --replicas 2 --iters 200 --paths 20 "${heart[@]}"
produce advise advise --probe-replicas 4 --replicas 2 --iters 200 --work none
produce advise-data advise "${heart[@]}" --probe-replicas 4 --replicas 2 --iters 200
produce batch batch --paths 50 --replicas 2 --horizon 200
produce batch-data batch "${heart[@]}" --paths 10 --replicas 2 --horizon 200
produce theory theory
produce order order --halvings 2
produce order-mc order --monte-carlo --paths 50 --halvings 1 --iters 50
produce compare compare --paths 50 --iters 50
produce compare-basins compare --preset fig5-doublewell --paths 50 --iters 50
# --save-model: the model file of docs/FORMATS.md, which OUTPUTS.md points to.
head -1 "$tmp/model.txt" 2>/dev/null | grep -q '^# asgd model v1 loss=logistic d=13 ' && ok ||
  fail "--save-model wrote no model file with the v1 header"
produce fit fit --workers 4 "$o/run-fig4/staleness.csv"

# Every kind of file the commands are known to write must have appeared: a run that silently
# wrote less would otherwise pass the key check vacuously.
for f in summary.json moments.csv staleness.csv validation.json final.csv exact.csv sweep.json \
  sweep.csv msgd_moments.csv asgd_moments.csv advise.json advise.csv msd.csv loss_gap.csv \
  control.json schedule.csv batch.json batch.csv curves.csv theory.json theory.csv order.json \
  order.csv comparison.json; do
  [ -n "$(find "$o" -name "$f" -print -quit)" ] && ok || fail "no command wrote $f"
done

python3 - "$doc" "$o" <<'PY' && ok || fail "outputs not documented in docs/OUTPUTS.md (above)"
import csv, json, os, re, sys

doc_path, out = sys.argv[1], sys.argv[2]
doc = open(doc_path, encoding="utf-8").read()

# Objects whose keys are names of things, not fixed keys: (file, parent path) -> the
# placeholder that docs/OUTPUTS.md writes for them, and the fixed keys that sit beside the names.
NAMED = {
    # validation.json: one entry per model run against the real engine (asgd-geometric, ...)
    ("validation.json", "models"): ("<model>", set()),
    # comparison.json: one entry per model ensemble (asgd, sme-asgd, sme-sgd)
    ("comparison.json", "models"): ("<model>", set()),
    # comparison.json: the gaps of each SME to discrete ASGD (sme-asgd, sme-sgd)
    ("comparison.json", "gaps"): ("<sme>", set()),
    # comparison.json, two-minima presets: basin fractions per model, beside the minima list
    ("comparison.json", "basins"): ("<model>", {"minima"}),
}

# Documented keys: every `code` before the first " — " of a list item ("- `key` — ...", or
# "- `a`, `b`, ... — as above"; an item goes on over its indented lines). Documented CSV
# columns: every `code` after "columns:" in an item that starts with the CSV's name.
items, cur = [], None
for line in doc.splitlines():
    if line.startswith("- "):
        cur = [line]
        items.append(cur)
    elif cur is not None and line.startswith("  ") and line.strip():
        cur.append(line)
    else:
        cur = None
keys, columns = set(), {}
for it in items:
    text = " ".join(l.strip() for l in it)
    m = re.match(r"- `([^`]+)`", text)
    if not m:
        continue
    if m.group(1).endswith(".csv"):
        cols = columns.setdefault(m.group(1), set())
        if "columns:" in text:
            cols.update(re.findall(r"`([^`]+)`", text.split("columns:", 1)[1]))
    else:
        keys.update(re.findall(r"`([^`]+)`", text.split(" — ")[0]))

missing, seen = [], set()

def check(name, path, where):
    """Is key `name`, at generalised path `path`, documented?"""
    seen.add(name)
    seen.add(path)
    if name in keys or any(path == k or path.endswith("." + k) for k in keys if "." in k):
        return
    missing.append((path, name, where))

def walk(node, path, fname, where):
    if isinstance(node, list):
        for v in node:
            walk(v, path + "[]", fname, where)
        return
    if not isinstance(node, dict):
        return
    named = NAMED.get((fname, path))
    for k, v in node.items():
        if named and k not in named[1]:
            sub = (path + "." if path else "") + named[0]
            check(sub, sub, where)
        else:
            sub = (path + "." if path else "") + k
            check(k, sub, where)
        walk(v, sub, fname, where)

csv_missing = []
for root, _, files in os.walk(out):
    for f in sorted(files):
        full = os.path.join(root, f)
        where = os.path.relpath(full, out)
        if f.endswith(".json"):
            walk(json.load(open(full)), "", f, where)
        elif f.endswith(".csv"):
            with open(full, newline="") as fh:
                header = next(csv.reader(fh), [])
            doc_cols = columns.get(f)
            if doc_cols is None:
                csv_missing.append((f, None, where))
                continue
            for c in header:
                seen.add(c)
                if c not in doc_cols:
                    csv_missing.append((f, c, where))

bad = False
reported = set()
for path, name, where in missing:
    if path in reported:
        continue
    reported.add(path)
    bad = True
    print(f"UNDOCUMENTED key `{path}` (key name `{name}`) in {where}: add the line "
          f"\"- `{name}` — meaning, unit, when present\" to the section of docs/OUTPUTS.md "
          f"that documents {os.path.basename(where)}", file=sys.stderr)
for f, c, where in sorted(set(csv_missing)):
    bad = True
    if c is None:
        print(f"UNDOCUMENTED file {f} ({where}): add \"- `{f}` — what it holds. columns: "
              f"`a`, `b`, ...\" to docs/OUTPUTS.md", file=sys.stderr)
    else:
        print(f"UNDOCUMENTED column `{c}` of {f} ({where}): add `{c}` after \"columns:\" on "
              f"the \"- `{f}`\" line of docs/OUTPUTS.md", file=sys.stderr)

never = sorted(k for k in keys if k not in seen and not k.endswith((".csv", ".json"))
               and "." not in k)
if never:
    print(f"note: {len(never)} documented keys no run here wrote (conditional ones are "
          f"expected): {' '.join(never)}")
sys.exit(1 if bad else 0)
PY

finish cli_outputs
