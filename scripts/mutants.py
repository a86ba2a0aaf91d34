#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mutants.py — does the test suite catch the bugs it exists to catch?

Each mutation below is a small, plausible bug: an off-by-one in τ, a term dropped from an
equation, a memory order weakened. For each one the script copies the tree to a scratch
directory, applies the mutation (an exact text replacement that must match once, so a mutation
that no longer applies to the code as it now is fails loudly instead of passing silently),
checks that it compiles, runs the tests meant to catch it, and reports caught or survived.
Before any mutant, the same tests must pass on the clean copy.

Every catching test compares with something independent of the code under test: a closed form
(the queueing law μ = 1 − 1/M), exact moments from the moment recursions and ODEs, or a race
detector (ThreadSanitizer), never only one implementation against another.

usage: scripts/mutants.sh [--only ID[,ID...]] [--out DIR] [--keep] [--list]
Writes DIR/summary.md and DIR/summary.json (default results/mutants/); exit 0 when every
mutant was caught, 1 when one survived, 2 for bad usage or a mutation that does not apply.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The catching tests. A test is (build, target, argv): build "release" or "tsan"; argv's first
# element is the built program, relative to the build directory; "{asgd}" and "{failmalloc}"
# stand for those artefacts.
T_QUEUE = ("release", "test_engine",
           ("tests/test_engine", "--jobs", "1", "--filter", "engine/exponential_work_gives_queueing_staleness*"))
T_MOMENTUM = ("release", "test_engine",
              ("tests/test_engine", "--jobs", "1", "--filter", "engine/momentum_replicas_match_exact_msgd_moments"))
T_STOP = ("release", "test_engine",
          ("tests/test_engine", "--jobs", "1", "--filter", "engine/master_bound_run_sees_the_stop_flag"))
T_SME_EXACT = ("release", "test_sme_exact", ("tests/test_sme_exact", "--jobs", "1"))
T_COMBINING = ("release", "test_engine",
               ("tests/test_engine", "--jobs", "1", "--filter", "engine/combining_is_master_mode_without_a_master"))
T_F32 = ("release", "test_precision",
         ("tests/test_precision", "--jobs", "1", "--filter", "precision/f32_one_worker_is_float_rounded_sequential_sgd"))
T_STAMPS = ("release", "test_timestamps",
            ("tests/test_timestamps", "--jobs", "1", "--filter", "timestamps/merge_matches_the_definition"))
T_QUEUE_HOGWILD = ("release", "test_engine",
                   ("tests/test_engine", "--jobs", "1", "--filter", "engine/exponential_work_gives_queueing_staleness_hogwild"))
T_TSAN_ENGINE = ("tsan", "torture_engine", ("tests/torture_engine",))
T_SHARDS = ("release", "test_engine",
            ("tests/test_engine", "--jobs", "1", "--filter", "engine/shards_give_the_bits_of_one_shard_on_one_worker"))
T_TSAN_SHARDS = ("tsan", "torture_shards", ("tests/torture_shards",))
T_FAULTS = ("release", "asgd failmalloc",
            ("bash", "{src}/tests/faults.sh", "{asgd}", "{failmalloc}"))

# Seconds a test may run before it counts as caught by timeout (default 600). The stop test's
# mutant would otherwise run until its queue happens to drain, about a minute.
TIMEOUT = {T_STOP: 30}

REFERENCE = {
    T_QUEUE: "queueing law mu = 1 - 1/M (closed form), batch-means SE",
    T_MOMENTUM: "exact MSGD moments (moment recursion), replica SE",
    T_STOP: "the stop requirement (latency of a raised flag)",
    T_SME_EXACT: "exact SME moments (moment ODE), Monte Carlo SE",
    T_TSAN_ENGINE: "ThreadSanitizer's happens-before analysis",
    T_FAULTS: "junk-filled allocation-failure sweep (crash = caught)",
    T_COMBINING: "each step 2 eta (x_v -+ 1) for the recorded v (exact to rounding)",
    T_SHARDS: "the bits of S = 1 (the one-thread apply, itself sequential SGD bit for bit)",
    T_TSAN_SHARDS: "ThreadSanitizer's happens-before analysis",
    T_F32: "sequential SGD with float-rounded writes, written in the test (bit for bit)",
    T_STAMPS: "tau by its definition, counted brute force, on random logs with ties",
    T_QUEUE_HOGWILD: "queueing law mu = 1 - 1/M (closed form), batch-means SE",
}

# id, title, edits, catching tests. An edit is (file, original text, replacement) or, for the
# common case of one edit, the three fields given inline.
MUTANTS = [
    ("1", "master tau off by one (k - v - 1, clamped at 0)", "src/engine/engine.c",
     "\t\t\tres->tau[k] = k - w->version;\n",
     "\t\t\tres->tau[k] = k > w->version ? k - w->version - 1 : 0;\n",
     [T_QUEUE]),
    ("2", "Hogwild's read noted after the gradient and the work (v by the counter, t_r by the clock)", [
        ("src/engine/engine_hogwild.c", "!land_update(w, v, batch)",
         "!land_update(w, atomic_load_explicit(&hw->completed, memory_order_acquire), batch)"),
        ("src/engine/engine_hogwild.c", "\t\tw->t_read = t > w->t_read ? t : w->t_read;",
         "\t\t(void)t;"),
        ("src/engine/engine_hogwild.c", "\tfinite = write_gradient(hw, &w->sg, r);",
         "\tif (hw->stamp)\n\t\tw->t_read = asgd__stamp(hw->tsc);\n"
         "\tfinite = write_gradient(hw, &w->sg, r);")],
     [T_QUEUE]),
    ("3", "continuum Sigma = G, dropping -c^2 Y Y^T", [
        ("src/models/sme_scalar.c", "asgd__sme_root_clamped(G - c * c * y * y, &ncl)",
         "asgd__sme_root_clamped(G, &ncl)"),
        ("src/models/sme_vector.c", ": st->sig[0] - c * c * st->y[0] * st->y[0],", ": st->sig[0],"),
        ("src/models/sigma.c", "sigma[r * d + q] = G[r * d + q] - c * c * y[r] * y[q];",
         "sigma[r * d + q] = G[r * d + q];")],
     [T_SME_EXACT]),
    ("4", "the c(1-mu)/mu grad f grad f^T term of (2.12) dropped", [
        ("src/models/sme_scalar.c", "const double kg = mode == ASGD_SIGMA_EVOLVE ? c * (1 - mu) / mu : 0;",
         "const double kg = 0;"),
        ("src/models/sigma.c", "const double kg = c * (1 - mu) / mu, ky", "const double kg = 0, ky")],
     [T_SME_EXACT]),
    ("5", "SME-ASGD's friction replaced by SME-MSGD's (nonlinear form (2.11))", "src/models/sme.c",
     "cx->fric = sqrt((1 - mu) / eta);\n\t\tcx->noise = pow(eta, 0.75)",
     "cx->fric = (1 - mu) / sqrt(eta);\n\t\tcx->noise = pow(eta, 0.75)",
     [T_SME_EXACT]),
    ("6", "momentum applied in the wrong order (x_{k+1} = x_k + v_k)", "src/engine/engine.c",
     "\t\t\teng->velocity[j] = beta * eng->velocity[j] - eta * g[j];\n"
     "\t\t\txn[j] = x[j] + eng->velocity[j];\n",
     "\t\t\txn[j] = x[j] + eng->velocity[j];\n"
     "\t\t\teng->velocity[j] = beta * eng->velocity[j] - eta * g[j];\n",
     [T_MOMENTUM]),
    ("7", "the master's beta*v term dropped", "src/engine/engine.c",
     "\t\t\teng->velocity[j] = beta * eng->velocity[j] - eta * g[j];\n",
     "\t\t\teng->velocity[j] = -eta * g[j] + 0 * beta;\n",
     [T_MOMENTUM]),
    ("8", "the slot released before tau, batch and nnz are read", "src/engine/engine.c",
     "\t\tif (res->tau) {\n\t\t\tres->tau[k] = k - w->version;\n\t\t\tres->worker[k] = w->id;\n\t\t}\n"
     "\t\tres->evaluations += w->batch;\n"
     "\t\tres->coords_written += asgd__live_is_set(eng->live) ? w->sg.nnz : eng->dim;\n"
     "\t\tif (eng->ssp.s)\n\t\t\tssp_applied(eng, w, k + 1, res);\n\t\telse\n\t\t\trelease_slot(w);\n",
     "\t\tif (!eng->ssp.s)\n\t\t\trelease_slot(w);\n"
     "\t\tif (res->tau) {\n\t\t\tres->tau[k] = k - w->version;\n\t\t\tres->worker[k] = w->id;\n\t\t}\n"
     "\t\tres->evaluations += w->batch;\n"
     "\t\tres->coords_written += asgd__live_is_set(eng->live) ? w->sg.nnz : eng->dim;\n"
     "\t\tif (eng->ssp.s)\n\t\t\tssp_applied(eng, w, k + 1, res);\n",
     [T_TSAN_ENGINE]),
    ("9", "snapshot publication relaxed instead of release", "src/engine/engine.c",
     "atomic_store_explicit(&eng->current, s, memory_order_release);",
     "atomic_store_explicit(&eng->current, s, memory_order_relaxed);",
     [T_TSAN_ENGINE]),
    ("10", "gradient hand-off read relaxed instead of acquire", "src/engine/engine.c",
     "unsigned s = atomic_load_explicit(&w->state, memory_order_acquire);",
     "unsigned s = atomic_load_explicit(&w->state, memory_order_relaxed);",
     [T_TSAN_ENGINE]),
    ("11", "the master looks at the stop flag only when its queue is empty", "src/engine/engine.c",
     "\t\tif (stop_requested(eng)) {\n\t\t\tres->interrupted = 1;\n\t\t\tbreak;\n\t\t}\n"
     "\t\tw = eng->ssp.s ? ssp_next(eng, k, res) : next_gradient(eng);",
     "\t\tw = eng->ssp.s ? ssp_next(eng, k, res) : next_gradient(eng);",
     [T_STOP]),
    ("12", "worker buffers zeroed only after the first allocations", "src/engine/engine.c",
     "\tif (!eng->workers)\n\t\treturn ASGD_ENOMEM;\n"
     "\tmemset(eng->workers, 0, cfg->workers * sizeof(struct worker));\n"
     "\tres->x_final = malloc(eng->dim * sizeof(double));\n"
     "\tif (!res->x_final || start_vector(eng, x0) != ASGD_OK)\n\t\treturn ASGD_ENOMEM;\n",
     "\tres->x_final = malloc(eng->dim * sizeof(double));\n"
     "\tif (!eng->workers || !res->x_final || start_vector(eng, x0) != ASGD_OK)\n\t\treturn ASGD_ENOMEM;\n"
     "\tmemset(eng->workers, 0, cfg->workers * sizeof(struct worker));\n",
     [T_FAULTS]),
    ("13", "SME-ASGD's friction replaced by SME-MSGD's (linear form (2.5))", "src/models/sme.c",
     "cx->fric = sqrt((1 - mu) / eta);\n\t\tcx->noise = pow(eta * (1 - mu), 0.25);",
     "cx->fric = (1 - mu) / sqrt(eta);\n\t\tcx->noise = pow(eta * (1 - mu), 0.25);",
     [T_SME_EXACT]),
    ("14", "combining mode's read not checked against the sequence lock", "src/engine/engine_hogwild.c",
     "if (atomic_load_explicit(&hw->seq, memory_order_relaxed) == s)",
     "if (1 || atomic_load_explicit(&hw->seq, memory_order_relaxed) == s)",
     [T_COMBINING]),
    ("15", "the sharded master publishes before its appliers are done", "src/engine/engine.c",
     "\teng->blocks_target += eng->n_appliers;\n\twait_blocks(eng, eng->blocks_target);\n",
     "\teng->blocks_target += eng->n_appliers;\n",
     [T_TSAN_SHARDS, T_SHARDS]),
    ("16", "an applier skips the last coordinate of its block", "src/engine/engine.c",
     "a->finite = apply_block(eng, &eng->task, a->lo, a->hi);",
     "a->finite = apply_block(eng, &eng->task, a->lo, a->hi - 1);",
     [T_SHARDS]),
    ("17", "the f32 gather reads coordinate e of x instead of idx[e]", "src/engine/live.c",
     "xs[e] = atomic_load_explicit(&live.f[j], memory_order_acquire);",
     "xs[e] = atomic_load_explicit(&live.f[e], memory_order_acquire);",
     [T_F32]),
    ("18", "the f32 write stores the old value, not the rounded new one", "src/engine/engine_internal.h",
     "\t\tatomic_store_explicit(xj, v, order);\n\t\tbad |= asgd__not_finite_f(v);",
     "\t\tatomic_store_explicit(xj, atomic_load_explicit(xj, memory_order_relaxed), order);\n"
     "\t\tbad |= asgd__not_finite_f(v);",
     [T_F32]),
    ("19", "Hogwild's timestamp tau forgets the worker's own earlier writes", "src/engine/timestamps.c",
     "tau[k] = k - next[w] - nseen[o];",
     "tau[k] = k - nseen[o];",
     [T_STAMPS, T_QUEUE_HOGWILD]),
    ("20", "the heap merge counts a write that ended at the read's instant as after it", "src/engine/timestamps.c",
     "if (lo == n || tw[lo] > t)",
     "if (lo == n || tw[lo] >= t)",
     [T_STAMPS]),
]



def edits_of(m):
    """A mutant's edits as a list of (file, original, replacement)."""
    return m[2] if len(m) == 4 else [(m[2], m[3], m[4])]


def tests_of(m):
    return m[-1]


def sh(cmd, cwd, log, timeout=None, env=None):
    """Run cmd; append its output to log; return (exit code, seconds). 124 on a timeout."""
    t0 = time.time()
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        try:
            rc = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                timeout=timeout, env=env).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    return rc, time.time() - t0


def copy_tree(dst):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, check=True).stdout.split(b"\0")
    for rel in files:
        if not rel:
            continue
        rel = rel.decode()
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel))


class Scratch:
    """One scratch copy of the tree with a Release and a TSan build beside it."""

    def __init__(self, base, log):
        self.src = os.path.join(base, "src")
        self.log = log
        self.builds = {"release": os.path.join(base, "build"),
                       "tsan": os.path.join(base, "build-tsan")}
        self.configured = set()
        copy_tree(self.src)

    def build(self, kind, targets):
        bdir = self.builds[kind]
        if kind not in self.configured:
            args = ["cmake", "-S", self.src, "-B", bdir, "-DASGD_BUILD_BENCH=OFF"]
            args += ["-DASGD_SANITIZE=thread"] if kind == "tsan" else ["-DCMAKE_BUILD_TYPE=Release"]
            if sh(args, self.src, self.log)[0] != 0:
                return False
            self.configured.add(kind)
        cmd = ["cmake", "--build", bdir, "-j", str(os.cpu_count() or 2), "--target"] + targets.split()
        return sh(cmd, self.src, self.log)[0] == 0

    def run(self, test):
        """Run one catching test; return (exit code, seconds, the evidence: a few lines of its
        output that say what failed)."""
        kind, _, argv = test
        bdir = self.builds[kind]
        subst = {"{asgd}": os.path.join(bdir, "asgd"), "{src}": self.src,
                 "{failmalloc}": os.path.join(bdir, "tests", "libfailmalloc.so")}
        argv = [subst.get(a, a.replace("{src}", self.src)) for a in argv]
        if not argv[0].startswith("/") and argv[0] not in ("bash",):
            argv[0] = os.path.join(bdir, argv[0])
        env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 exitcode=66")
        out = self.log + ".last"
        if os.path.exists(out):
            os.remove(out)
        rc, secs = sh(argv, bdir, out, timeout=TIMEOUT.get(test, 600), env=env)
        text = open(out, errors="replace").read()
        with open(self.log, "a") as f:
            f.write(text)
        seen = evidence(text).replace(self.src + "/", "")
        if rc == 124:
            seen = "; ".join(x for x in (seen, f"still running after {TIMEOUT.get(test, 600)} s") if x)
        return rc, secs, seen


def evidence(text):
    """The lines of a failed test's output that say what it saw."""
    lines = text.splitlines()
    keep = []
    for i, line in enumerate(lines):
        if "Assertion Failed" in line:
            keep += [l.strip(" []-") for l in lines[i + 1:i + 4] if l.strip(" []-")][:1]
        elif line.startswith("FAIL:") or "WARNING: ThreadSanitizer" in line:
            keep.append(line.strip())
        elif "#0 " in line and keep and "ThreadSanitizer" in keep[-1] and len(keep) < 3:
            keep.append(line.strip().split(" (")[0])
    seen = []
    for k in keep:
        if k not in seen:
            seen.append(k)
    return "; ".join(seen[:3])


def apply(path, old, new):
    text = open(path).read()
    n = text.count(old)
    if n != 1:
        return False, text
    open(path, "w").write(text.replace(old, new))
    return True, text


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}"


def commit():
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return r.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def test_name(t):
    argv = t[2]
    if "--filter" in argv:
        return f"{argv[0].split('/')[-1]} {argv[argv.index('--filter') + 1]}"
    if argv[0] == "bash":
        return argv[1].split("/")[-1]
    return argv[0].split("/")[-1] + (" (TSan)" if t[0] == "tsan" else "")


def write_summary(out, rows, started, wall):
    os.makedirs(out, exist_ok=True)
    doc = {"command": "scripts/mutants.sh " + " ".join(sys.argv[1:]), "machine": machine(),
           "commit": commit(), "date": started, "wall_s": round(wall, 1), "mutants": rows}
    tmp = os.path.join(out, ".summary.json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "summary.json"))
    lines = ["# Mutation testing: does the suite catch the bugs it exists for?", "",
             "Regenerate with `scripts/mutants.sh` (takes a few minutes: one scratch copy, one",
             "Release and one ThreadSanitizer build, incremental per mutant).", "",
             f"- command: `{doc['command'].strip()}`", f"- machine: {doc['machine']}",
             f"- commit: {doc['commit']}", f"- date: {started}, {wall:.0f} s", "",
             "Each mutant is applied alone to a clean copy; 'caught' means at least one of its",
             "tests failed (a failed assertion, a ThreadSanitizer report, a crash or a timeout);",
             "the tests pass on the clean copy first.", "",
             "| # | mutation | file | result | caught by | compared with |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['id']} | {r['title']} | `{r['file']}` | {r['result']} | "
                     f"{'; '.join(r['caught_by']) or '-'} | {'; '.join(r['references'])} |")
    lines += ["", "What each catching test saw (the first lines of its failure):", ""]
    for r in rows:
        seen = " / ".join(r["evidence"]).replace("|", "\\|") or "-"
        lines.append(f"- **{r['id']}.** {seen}")
    lines.append("")
    tmp = os.path.join(out, ".summary.md.tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, os.path.join(out, "summary.md"))


def main():
    ap = argparse.ArgumentParser(prog="scripts/mutants.sh", description=__doc__.split("\n\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated mutant ids (default: all)")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "mutants"),
                    help="where summary.md and summary.json go (default results/mutants)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory and its log")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args()

    mutants = sorted(MUTANTS, key=lambda m: int(m[0]))
    if args.list:
        for m in mutants:
            files = ", ".join(sorted({e[0] for e in edits_of(m)}))
            print(f"{m[0]:>3}  {m[1]}  ({files}; caught by {', '.join(test_name(t) for t in tests_of(m))})")
        return 0
    if args.only:
        want = set(args.only.split(","))
        unknown = want - {m[0] for m in mutants}
        if unknown:
            print(f"mutants: unknown id(s) {', '.join(sorted(unknown))}; allowed "
                  f"{', '.join(m[0] for m in mutants)}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m[0] in want]

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t_start = time.time()
    base = tempfile.mkdtemp(prefix="asgd-mutants-")
    log = os.path.join(base, "log.txt")
    print(f"mutants: scratch copy in {base}; log {log}", file=sys.stderr)
    scratch = Scratch(base, log)

    tests = []
    for m in mutants:
        for t in tests_of(m):
            if t not in tests:
                tests.append(t)
    for t in tests:  # the clean copy first: a test that fails there proves nothing
        if not scratch.build(t[0], t[1]):
            print(f"mutants: the clean copy does not build ({t[1]}); see {log}", file=sys.stderr)
            return 2
        rc, secs, _ = scratch.run(t)
        print(f"clean   {test_name(t):<70} {'pass' if rc == 0 else 'FAIL'} ({secs:.1f} s)", file=sys.stderr)
        if rc != 0:
            print(f"mutants: {test_name(t)} fails on the clean copy; see {log}", file=sys.stderr)
            return 2

    rows, status = [], 0
    for m in mutants:
        mid, title, mtests = m[0], m[1], tests_of(m)
        edits = edits_of(m)
        row = {"id": mid, "title": title, "file": ", ".join(sorted({e[0] for e in edits})),
               "caught_by": [], "references": [], "evidence": [], "result": ""}
        originals = {}
        for rel, old, new in edits:
            path = os.path.join(scratch.src, rel)
            ok, text = apply(path, old, new)
            originals.setdefault(path, text)
            if not ok:
                for p, t in originals.items():
                    open(p, "w").write(t)
                print(f"mutants: mutation {mid} ({title}) does not apply to {rel} any more: "
                      "update scripts/mutants.py", file=sys.stderr)
                return 2
        try:
            for t in mtests:
                if not scratch.build(t[0], t[1]):
                    print(f"mutants: mutation {mid} does not compile; see {log}", file=sys.stderr)
                    return 2
                rc, secs, seen = scratch.run(t)
                row["references"].append(REFERENCE[t])
                if rc != 0:
                    why = "timeout" if rc == 124 else ("TSan report" if rc == 66 else f"exit {rc}")
                    row["caught_by"].append(f"{test_name(t)} ({why})")
                    if seen:
                        row["evidence"].append(seen)
        finally:
            for p, t in originals.items():
                open(p, "w").write(t)
        row["result"] = "caught" if row["caught_by"] else "**survived**"
        if not row["caught_by"]:
            status = 1
        print(f"mutant {mid:>2} {title:<66} {row['result']}", file=sys.stderr)
        rows.append(row)
    write_summary(args.out, rows, started, time.time() - t_start)
    if args.keep:
        print(f"mutants: kept {base}", file=sys.stderr)
    else:
        shutil.rmtree(base, ignore_errors=True)
    print(f"mutants: {sum(r['result'] == 'caught' for r in rows)} caught, "
          f"{sum(r['result'] != 'caught' for r in rows)} survived; {args.out}/summary.md", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
