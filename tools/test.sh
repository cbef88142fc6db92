#!/usr/bin/env bash
# Sets everything up and runs the whole test suite:
#   1. normal build (RelWithDebInfo) and every Criterion test through ctest,
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the fuzz targets: replay of the committed corpora, then a short
#      bounded fuzz run of each (FUZZ_SECONDS, default 30).
# Every stage runs even when an earlier one failed; the last line sums them up
# and the exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh || exit 1
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-30}
passed=0
failed=0

# run_ctest DIR: runs ctest there and adds its counts to the totals.
run_ctest() {
  local log
  log=$(mktemp)
  (cd "$1" && ctest --output-on-failure -j1) 2>&1 | tee "$log"
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
  else
    bad=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
    total=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
    passed=$((passed + total - bad))
    failed=$((failed + bad))
  fi
  rm -f "$log"
}

# build DIR CMAKE-ARGS...: configures and builds; a failed build counts as a failure.
build() {
  local dir=$1
  shift
  if ! cmake -S . -B "$dir" "$@" >/dev/null || ! make -C "$dir" -j"$jobs" --no-print-directory >/dev/null; then
    echo "build in $dir FAILED"
    make -C "$dir" --no-print-directory 2>&1 | grep -E 'error' | head -40
    failed=$((failed + 1))
    return 1
  fi
}

echo "== build and test (RelWithDebInfo)"
build build -DCMAKE_BUILD_TYPE=RelWithDebInfo && run_ctest build

echo "== build and test under ASan + UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build build-asan -DCMAKE_BUILD_TYPE=Debug -DDCV_SANITIZE=ON && run_ctest build-asan

echo "== fuzz targets: corpus replay and ${fuzz_seconds} s runs"
if CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDCV_FUZZ=ON -DDCV_TESTS=OFF; then
  for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    corpus=tests/fuzz/corpus/$name
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    if build-fuzz/tests/fuzz/"$name" -runs=0 "$work" >"$work.log" 2>&1 &&
      build-fuzz/tests/fuzz/"$name" -max_total_time="$fuzz_seconds" -timeout=10 \
        -rss_limit_mb=2048 "$work" >>"$work.log" 2>&1; then
      echo "fuzz $name: ok ($(ls "$work" | wc -l) corpus entries)"
      passed=$((passed + 1))
    else
      echo "fuzz $name: FAILED"
      tail -40 "$work.log"
      failed=$((failed + 1))
    fi
    rm -rf "$work" "$work.log"
  done
fi

echo "tests: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
