#!/usr/bin/env bash
# Fuzz the parsers with libFuzzer: build the targets of fuzz/ with clang (ASan+UBSan), run each for
# a set time on a scratch copy of its corpus, merge what added coverage back into
# fuzz/corpus/<target>/, and summarise executions, coverage and crashes.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGETS...]   (default 60 s; libsvm csv parse cli)
# Env: FUZZ_JOBS targets at once (default 2), FUZZ_BUILD (default build-fuzz), CC (default clang).
# Exit status: non-zero when any target crashed (crash files are kept under the scratch
# directory and listed; reproduce with build-fuzz/fuzz/fuzz_<target> FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(libsvm csv parse cli)
jobs=${FUZZ_JOBS:-2}
build=${FUZZ_BUILD:-build-fuzz}
case $secs in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac
for t in "${targets[@]}"; do
	[ -f "fuzz/fuzz_$t.c" ] || { echo "fuzz.sh: no target '$t' (fuzz/fuzz_$t.c)" >&2; exit 2; }
done

CC=${CC:-clang} cmake -S . -B "$build" -DASGD_FUZZ=ON -DASGD_SANITIZE=address \
	-DASGD_BUILD_BENCH=OFF -DASGD_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target $(printf 'fuzz_%s ' "${targets[@]}")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/asgd-fuzz.XXXXXX")
echo "fuzz.sh: ${secs}s per target, $jobs at once, scratch $scratch"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target: fuzz a copy of the corpus, then merge the new inputs that add coverage back.
run_target() {
	local t=$1 dir=$scratch/$1 bin=$build/fuzz/fuzz_$1
	mkdir -p "$dir/corpus" "$dir/artifacts"
	cp fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
	"$bin" "$dir/corpus" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$dir/log" 2>&1 || true
	# -use_counters=0: keep an input only for a new edge, not a new hit count, so the committed
	# corpus stays small (a few hundred files at most).
	"$bin" -merge=1 -use_counters=0 "fuzz/corpus/$t" "$dir/corpus" >"$dir/merge.log" 2>&1 || true
}

pids=()
for t in "${targets[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
	run_target "$t" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

# The last status line ("#N DONE cov: C ft: F ...") and the final stats of each log.
table="| target | executions | exec/s | cov | ft | corpus files | crashes |
|---|---|---|---|---|---|---|"
failed=0
for t in "${targets[@]}"; do
	dir=$scratch/$t
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	files=$(find "fuzz/corpus/$t" -type f | wc -l)
	crashes=$(find "$dir/artifacts" -type f | wc -l)
	if [ "$crashes" -gt 0 ] || grep -qE '^==[0-9]+==ERROR|^SUMMARY: |deadly signal' "$dir/log"; then
		failed=1
		[ "$crashes" -gt 0 ] || crashes="see log"
		echo "fuzz.sh: $t CRASHED: $(ls "$dir/artifacts" | tr '\n' ' ') log $dir/log" >&2
	fi
	table+="
| $t | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $files | $crashes |"
done
echo "$table"

mkdir -p results/fuzz
tmp=$(mktemp results/fuzz/.summary.XXXXXX)
{
	echo "# Fuzzing summary"
	echo
	echo "- command: \`scripts/fuzz.sh $secs ${targets[*]}\` (FUZZ_JOBS=$jobs)"
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "- compiler: $(${CC:-clang} --version | head -1); -fsanitize=fuzzer,address,undefined"
	echo "- per target: ${secs} s, -rss_limit_mb=2048; cov/ft from the last libFuzzer status line"
	echo
	echo "$table"
	if [ $failed -ne 0 ]; then
		echo
		echo "Crashes: see $scratch/<target>/artifacts and log."
	fi
} >"$tmp"
mv "$tmp" results/fuzz/summary.md
echo "fuzz.sh: summary in results/fuzz/summary.md"
[ $failed -eq 0 ] && rm -rf "$scratch"
exit $failed
