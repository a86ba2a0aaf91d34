#!/usr/bin/env bash
# mpi-compare.sh — threads against MPI ranks at equal worker counts, on this machine.
# For M = 2, 4, 8 workers: `asgd run` with M threads (master mode) and `mpirun -np M+1 asgd run
# --mode mpi` (rank 0 the parameter server), both on fig4 with exponential work of mean 100 µs,
# R replicas of K updates; the staleness fit (μ̂ against 1 − 1/M, TV, lag-1), throughput, and the
# per-worker mean τ; then one MPI run with a straggler (worker 0's messages delayed 1 ms).
# Writes results/mpi/compare.md and compare.csv atomically, with the command and machine.
# PART servers: sharded parameter servers, S = 1, 2, 4, against the threaded in-place master, on
# the RCV1-like hinge SVM with 3 workers, REPS interleaved repetitions of SITERS updates each (see
# scripts/mpi-servers.py); writes results/mpi/servers.md and servers.csv.
# usage: scripts/mpi-compare.sh [BUILD_DIR] [REPLICAS] [ITERS] [workers|servers|all] [REPS] [SITERS]
#        (defaults: build 200 1000 all 5 300000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
R=${2:-200}
K=${3:-1000}
part=${4:-all}
reps=${5:-5}
siters=${6:-300000}
case "$part" in workers|servers|all) ;; *) echo "mpi-compare: PART '$part': workers, servers or all" >&2; exit 2;; esac
asgd="$build/asgd"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
command -v mpirun >/dev/null || { echo "mpi-compare: install openmpi-bin" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=results/mpi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--preset fig4 --work exp:100us --replicas "$R" --iters "$K" --seed 1 --quiet)
machine="nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"

if [ "$part" != workers ]; then
  # Interleaved: each repetition runs every configuration once, so that a burst of load on the
  # shared machine hits all of them alike; the medians are compared.
  svm=(--loss hinge --data rcv1: --iters "$siters" --replicas 1 --work none
       --record-every $((siters / 10)) --quiet)
  for rep in $(seq 1 "$reps"); do
    echo "mpi-compare: servers, repetition $rep of $reps" >&2
    "$asgd" run "${svm[@]}" --mode master-inplace --workers 3 --seed "$rep" --out "$tmp/sv-threads-$rep"
    for S in 1 2 4; do
      # --loss-sample above n: rank 0 scores every row, as the threads do
      mpirun --oversubscribe -np $((S + 3)) "$asgd" run --mode mpi --servers "$S" "${svm[@]}" \
        --loss-sample 1000000000 --seed "$rep" --out "$tmp/sv-mpi$S-$rep"
    done
  done
  $py scripts/mpi-servers.py "$tmp" "$out" "$reps" "$siters" "$machine" "scripts/mpi-compare.sh $*"
fi
[ "$part" = servers ] && exit 0

for M in 2 4 8; do
  echo "mpi-compare: M = $M threads" >&2
  "$asgd" run "${common[@]}" --workers "$M" --out "$tmp/threads-$M"
  echo "mpi-compare: M = $M ranks" >&2
  mpirun --oversubscribe -np $((M + 1)) "$asgd" run --mode mpi "${common[@]}" --out "$tmp/mpi-$M"
done
echo "mpi-compare: M = 4 ranks, worker 0 a straggler" >&2
mpirun --oversubscribe -np 5 "$asgd" run --mode mpi "${common[@]}" --straggler 0:fixed:1ms \
  --out "$tmp/mpi-straggler"

$py - "$tmp" "$out" "$R" "$K" "$machine" "scripts/mpi-compare.sh $*" <<'PY'
import json, os, sys
tmp, out, R, K, machine, cmd = sys.argv[1:7]
rows = []
for M in (2, 4, 8):
    for kind in ("threads", "mpi"):
        d = json.load(open(f"{tmp}/{kind}-{M}/summary.json"))
        st = d["staleness"]
        rows.append(dict(M=M, kind=kind, mu_hat=st["mu_hat"], lo=st["mu_ci95"][0],
                         hi=st["mu_ci95"][1], queue=1 - 1 / M, tv=st["tv_distance"],
                         lag1=st["lag1_autocorr"], ups=d["throughput"]["updates_per_s"],
                         per_worker=[w["mean"] for w in st["workers"]]))
s = json.load(open(f"{tmp}/mpi-straggler/summary.json"))
lines = ["# Threads against MPI ranks at equal worker counts", "",
         f"- command: `{cmd}`", f"- machine: {machine}",
         f"- fig4, work exp:100us per gradient, {R} replicas x {K} updates each; threads: master"
         " mode; MPI: rank 0 the parameter server, one worker per further rank (Open MPI, shared"
         " memory on one machine)", "",
         "| M | engine | mu_hat | 95% CI | 1 - 1/M | TV | lag-1 | updates/s | per-worker mean tau |",
         "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    lines.append("| {M} | {kind} | {mu_hat:.4f} | [{lo:.4f}, {hi:.4f}] | {queue:.4f} | {tv:.3f} |"
                 " {lag1:+.3f} | {ups:.0f} | {pw} |".format(
                     pw=" ".join(f"{x:.2f}" for x in r["per_worker"]), **r))
sw = s["staleness"]["workers"]
lines += ["", "Straggler (M = 4 ranks, worker 0's messages delayed by a fixed 1 ms):", "",
          "| worker | gradients applied | mean tau |", "|---|---|---|"]
lines += [f"| {w['worker']} | {w['count']} | {w['mean']:.2f} |" for w in sw]
lines += ["", f"mu_hat {s['staleness']['mu_hat']:.4f}, updates/s "
          f"{s['throughput']['updates_per_s']:.0f}."]
def write(name, text):
    tmpf = f"{out}/.{name}.tmp"
    open(tmpf, "w").write(text)
    os.replace(tmpf, f"{out}/{name}")
write("compare.md", "\n".join(lines) + "\n")
csv = [f"# command: {cmd}", f"# machine: {machine}",
       "M,engine,mu_hat,mu_lo,mu_hi,queueing,tv,lag1,updates_per_s"]
csv += ["{M},{kind},{mu_hat:.6f},{lo:.6f},{hi:.6f},{queue:.6f},{tv:.6f},{lag1:.6f},{ups:.1f}".format(**r)
        for r in rows]
write("compare.csv", "\n".join(csv) + "\n")
print("\n".join(lines))
PY
