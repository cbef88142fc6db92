#!/usr/bin/env bash
# report_bench.sh - how long `dcvscope report` takes on a week of stored
# statistics for 10 000 sources (the database is written through the db/
# writer by dcv-report-bench-db, not by analyzing a capture), per format.
#
# usage: tools/bench/report_bench.sh [--build-dir DIR] [--sources N] [--days D]
#                                    [--bucket-s S] [--active PERCENT] [--runs N]
#                                    [--keep]
#   --build-dir DIR  take dcvscope and dcv-report-bench-db from DIR; without it
#                    the script builds a Release tree in build-bench/
#   --sources N      sources (default 10000), --days D days (default 7),
#   --bucket-s S     bucket length (default 300 s), --active PERCENT share of
#                    buckets in which a source sends (default 10)
#   --runs N         run each report N times (default 1) and show the fastest
#                    run (least CPU): on a busy machine the others' work
#                    inflates single runs, CPU time included
#   --keep           keep the temporary directory (the database, the reports)
# Prints the database size and, per format, the wall time, the CPU time
# (user + system: what the report costs on an idle machine when the machine
# is shared) and peak memory of `dcvscope report --since 24h` (the default
# period) and of `--since 7d`. The target: a week (--since 7d) under 2 s,
# in every format. The last line is the verdict, "verdict: PASS" or
# "verdict: FAIL", judged on CPU time (wall time on a shared machine
# measures the other work too); the exit status is 0 either way.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=""
SOURCES=10000
DAYS=7
BUCKET=300
ACTIVE=10
KEEP=0
RUNS=1
TARGET_S=2

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD=$2; shift 2 ;;
	--sources) SOURCES=$2; shift 2 ;;
	--days) DAYS=$2; shift 2 ;;
	--bucket-s) BUCKET=$2; shift 2 ;;
	--active) ACTIVE=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "report_bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

case "$RUNS" in
''|*[!0-9]*|0) echo "report_bench.sh: --runs takes a positive number" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/time ]; then
	echo "report_bench.sh: /usr/bin/time is missing (apt-get install time)" >&2
	exit 2
fi
if [ -z "$BUILD" ]; then
	BUILD="$REPO/build-bench"
	cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDCV_TESTS=OFF >/dev/null
	make -C "$BUILD" -j2 dcvscope dcv-report-bench-db >/dev/null
fi
DCVSCOPE="$BUILD/tools/dcvscope"
MAKEDB="$BUILD/tools/bench/dcv-report-bench-db"
for b in "$DCVSCOPE" "$MAKEDB"; do
	[ -x "$b" ] || { echo "report_bench.sh: $b not found" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/dcvreportbench.XXXXXX)
cleanup() { [ "$KEEP" -eq 1 ] && echo "kept $TMP" >&2 || rm -rf "$TMP"; }
trap cleanup EXIT

"$MAKEDB" --db "$TMP/bench.db" --sources "$SOURCES" --days "$DAYS" --bucket-s "$BUCKET" \
	--active "$ACTIVE"
echo "database: $(du -h "$TMP/bench.db" | cut -f1) (load average $(cut -d' ' -f1-3 /proc/loadavg))"
slow=0
worst_cpu=0
worst_wall=0
for since in 24h 7d; do
	for fmt in text markdown json html; do
		cpu=""
		for _ in $(seq "$RUNS"); do
			/usr/bin/time -f "%e %U %S %M" -o "$TMP/time" \
				"$DCVSCOPE" report --db "$TMP/bench.db" --since "$since" \
				--format "$fmt" -o "$TMP/report.$fmt"
			read -r s_wall user sys s_kib <"$TMP/time"
			s_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
			if [ -z "$cpu" ] || awk -v a="$s_cpu" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then
				cpu=$s_cpu secs=$s_wall kib=$s_kib
			fi
		done
		printf 'report --since %-3s --format %-8s %6.2f s wall  %6.2f s CPU  %6d KiB peak  %8d bytes\n' \
			"$since" "$fmt" "$secs" "$cpu" "$kib" "$(stat -c %s "$TMP/report.$fmt")"
		[ "$since" = 7d ] || continue
		if awk -v s="$cpu" -v t="$TARGET_S" 'BEGIN { exit !(s >= t) }'; then
			slow=1
		fi
		worst_cpu=$(awk -v a="$worst_cpu" -v b="$cpu" 'BEGIN { print (b > a ? b : a) }')
		worst_wall=$(awk -v a="$worst_wall" -v b="$secs" 'BEGIN { print (b > a ? b : a) }')
	done
done
verdict=PASS
[ "$slow" -eq 0 ] || verdict=FAIL
printf 'verdict: %s: target a week (--since 7d) under %s s in every format; slowest %.2f s CPU (%.2f s wall, load average %s)\n' \
	"$verdict" "$TARGET_S" "$worst_cpu" "$worst_wall" "$(cut -d' ' -f1 /proc/loadavg)"
