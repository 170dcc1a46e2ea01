#!/usr/bin/env bash
# Runs one libFuzzer target for a while: scripts/fuzz.sh BUILD_DIR TARGET SECONDS, or
# scripts/fuzz.sh BUILD_DIR TARGET smoke: a fixed seed and a fixed number of inputs from a fresh
# corpus, so that the run is the same on every machine (CI must not pass or fail by luck).
# It starts from the seeds and the regression inputs (tests/fuzz/{seeds,regressions}/TARGET), keeps
# what it learns in BUILD_DIR/corpus-TARGET, writes any crashing input to BUILD_DIR/crashes-TARGET/
# (add it to tests/fuzz/make_regressions.py once fixed) and appends a line to BUILD_DIR/fuzz-log.
set -euo pipefail
build=$1 target=$2 seconds=$3
here=$(cd "$(dirname "$0")/.." && pwd)
corpus="$build/corpus-$target" crashes="$build/crashes-$target"
limit=(-max_total_time="$seconds")
if [ "$seconds" = smoke ]; then
  corpus="$build/smoke-corpus-$target"
  rm -rf "$corpus"
  limit=(-seed=1 -runs=30000)
fi
mkdir -p "$corpus" "$crashes"
dirs=("$corpus" "$here/tests/fuzz/seeds/$target")
[ -d "$here/tests/fuzz/regressions/$target" ] && dirs+=("$here/tests/fuzz/regressions/$target")
log="$build/fuzz-$target.log"
# Leaks are judged too (a cycle of owned pointers is one); OpenCV's and protobuf's own one-time
# allocations at exit are not the parsers'.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$here/tests/fuzz/lsan.supp
status=0
"$build/fuzz_$target" "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$crashes/" "${dirs[@]}" >"$log" 2>&1 || status=$?
runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
echo "$(date -u +%FT%TZ) $target ${seconds} runs=$runs status=$status" >>"$build/fuzz-log"
if [ "$status" -ne 0 ]; then
  echo "fuzz_$target found a failure (exit $status); input in $crashes/, log $log:" >&2
  grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2
  exit 1
fi
echo "fuzz_$target: ${seconds}, $runs inputs, no failure"
