#!/usr/bin/env bash
# bench.sh - throughput and memory of dcvscope against a bare libpcap read loop
# and tshark, on one generated capture.
#
# usage: tools/bench/bench.sh [--build-dir DIR] [--json FILE] [--tshark-prefix N]
#                             [--many N] [--keep] [PACKETS]
#   PACKETS          packets of the bench capture (default 5000000)
#   --build-dir DIR  take dcvscope, dcvscope-gen (and dcv-pcap-read-loop,
#                    dcv-analyzer-bench) from DIR; without it the script builds a
#                    Release tree in build-bench/
# dcvscope analyze runs twice over: free to use every CPU (its writer thread
# stores rows on a second CPU while the analysis thread reads on), and pinned
# to one CPU with taskset, where the CPU time of every thread counts.
# Besides the end-to-end time, dcv-analyzer-bench (when built) times the
# analyzer alone over the capture held in memory (as much memory as the
# capture's size): the packet path without the file, the database and its
# writer thread.
#   --json FILE      also write a JSON summary to FILE
#   --tshark-prefix N  tshark reads only the first N packets (default 500000;
#                    0 = the whole file) and its time is scaled per packet
#   --many N         queries of the many-sources capture (default 2000000; 0 = skip)
#   --keep           keep the temporary directory
# Environment:
#   DCV_ANALYZE      the dcvscope command line, with {db} and {file} placeholders
#                    (default: "$BUILD/tools/dcvscope analyze --db {db} {file}").
#                    When dcvscope has no analyze command yet, a stand-in runs the
#                    bare loop twice, and the output says STAND-IN.
# Needs: /usr/bin/time (Debian package "time"), tshark and editcap (package
# "tshark"; tshark is skipped with a note when missing).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PACKETS=5000000
BUILD=""
JSON=""
PREFIX=500000
MANY=2000000
KEEP=0
RSS_LIMIT_MIB=512

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	--tshark-prefix) PREFIX=$2; shift 2 ;;
	--many) MANY=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	*) PACKETS=$1; shift ;;
	esac
done

if [ ! -x /usr/bin/time ]; then
	echo "bench.sh: /usr/bin/time is missing (apt-get install time)" >&2
	exit 2
fi

if [ -z "$BUILD" ]; then
	BUILD="$REPO/build-bench"
	cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDCV_TESTS=OFF >/dev/null
	make -C "$BUILD" -j2 dcvscope dcvscope-gen dcv-analyzer-bench >/dev/null
fi
GEN="$BUILD/tools/dcvscope-gen"
DCVSCOPE="$BUILD/tools/dcvscope"
[ -x "$GEN" ] || { echo "bench.sh: $GEN not found" >&2; exit 2; }

TMP=$(mktemp -d /tmp/dcvbench.XXXXXX)
cleanup() { [ "$KEEP" = 1 ] && echo "kept $TMP" >&2 || rm -rf "$TMP"; }
trap cleanup EXIT

LOOP="$BUILD/tools/bench/dcv-pcap-read-loop"
if [ ! -x "$LOOP" ]; then
	LOOP="$TMP/dcv-pcap-read-loop"
	cc -O2 -o "$LOOP" "$REPO/tools/bench/pcap_read_loop.c" -lpcap
fi

STANDIN=0
if [ -z "${DCV_ANALYZE:-}" ]; then
	if [ -x "$DCVSCOPE" ] && "$DCVSCOPE" analyze --help >/dev/null 2>&1; then
		DCV_ANALYZE="$DCVSCOPE analyze --db {db} {file}"
	else
		STANDIN=1
		DCV_ANALYZE="sh -c '\"\$0\" \"\$1\" >/dev/null && \"\$0\" \"\$1\"' $LOOP {file}"
	fi
fi

# run_timed NAME CMD...: runs once under /usr/bin/time -v; sets WALL (s), RSS
# (KiB) and CPU (user + system s, every thread).
run_timed() {
	local name=$1
	shift
	local t0 t1
	t0=$(date +%s.%N)
	if ! /usr/bin/time -v -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
		echo "bench.sh: $name failed:" >&2
		tail -5 "$TMP/$name.err" >&2
		exit 1
	fi
	t1=$(date +%s.%N)
	WALL=$(calc "$t1 - $t0")
	RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/$name.time")
	CPU=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.3f", s}' "$TMP/$name.time")
}

# best_of N NAME CMD...: the fastest of N runs; sets BEST_WALL, BEST_CPU (of
# that run) and BEST_RSS (max RSS).
best_of() {
	local n=$1 name=$2
	shift 2
	BEST_WALL=""
	BEST_CPU=""
	BEST_RSS=0
	for _ in $(seq "$n"); do
		rm -f "$TMP/bench.db"*
		run_timed "$name" "$@"
		if [ -z "$BEST_WALL" ] || [ "$(awk "BEGIN { print ($WALL < $BEST_WALL) }")" = 1 ]; then
			BEST_WALL=$WALL
			BEST_CPU=$CPU
		fi
		if [ "$RSS" -gt "$BEST_RSS" ]; then BEST_RSS=$RSS; fi
	done
}

calc() { awk "BEGIN { x = $1; printf \"%.9f\", x }"; }

expand() { # expand TEMPLATE DB FILE
	local s=$1
	s=${s//\{db\}/$2}
	s=${s//\{file\}/$3}
	echo "$s"
}

fmt() { printf '%.3f' "$1"; }
pps() { printf '%.0f' "$(calc "$1 / $2")"; }
mib() { printf '%.1f' "$(calc "$1 / 1024")"; }

CAP="$TMP/bench.pcap"
t0=$(date +%s.%N)
"$GEN" bench --packets "$PACKETS" -o "$CAP" --expect "$TMP/bench.json"
t1=$(date +%s.%N)
GEN_WALL=$(calc "$t1 - $t0")
SIZE=$(stat -c %s "$CAP")

# (a) bare libpcap
best_of 3 bare "$LOOP" "$CAP"
BARE_WALL=$BEST_WALL BARE_RSS=$BEST_RSS
BARE_PKTS=$(sed -n 's/^packets=\([0-9]*\).*/\1/p' "$TMP/bare.out")
[ "$BARE_PKTS" = "$PACKETS" ] || { echo "bench.sh: read $BARE_PKTS packets, expected $PACKETS" >&2; exit 1; }

# (b) dcvscope end to end with the database
CMD=$(expand "$DCV_ANALYZE" "$TMP/bench.db" "$CAP")
best_of 3 dcvscope bash -c "$CMD"
DCV_WALL=$BEST_WALL DCV_RSS=$BEST_RSS DCV_CPU=$BEST_CPU

# (b1) the same, pinned to the first CPU this script may use
ONE_CPU=$(taskset -pc $$ | sed 's/.*: //; s/[,-].*//')
best_of 3 one-cpu taskset -c "$ONE_CPU" bash -c "$CMD"
ONE_WALL=$BEST_WALL ONE_RSS=$BEST_RSS ONE_CPU_S=$BEST_CPU

# (b2) the analyzer alone, the capture held in memory (no file, no database)
CORE_WALL=""
CORE_BIN="$BUILD/tools/bench/dcv-analyzer-bench"
if [ -x "$CORE_BIN" ]; then
	run_timed core "$CORE_BIN" --runs 3 "$CAP"
	CORE_WALL=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$TMP/core.out")
fi

# (c) tshark, on a prefix when asked
TS_NOTE="not run (tshark missing)"
TS_WALL="" TS_RSS="" TS_PKTS=0 TS_SCALED=""
if command -v tshark >/dev/null; then
	TS_FILE=$CAP
	TS_PKTS=$PACKETS
	if [ "$PREFIX" -gt 0 ] && [ "$PREFIX" -lt "$PACKETS" ]; then
		TS_FILE="$TMP/prefix.pcap"
		editcap -r "$CAP" "$TS_FILE" "1-$PREFIX"
		TS_PKTS=$PREFIX
	fi
	run_timed tshark tshark -n -r "$TS_FILE" -T fields -e dns.id -e dns.flags.rcode -e dns.qry.name
	TS_WALL=$WALL TS_RSS=$RSS
	TS_SCALED=$(calc "$TS_WALL * $PACKETS / $TS_PKTS")
	if [ "$TS_PKTS" = "$PACKETS" ]; then
		TS_NOTE="whole file, 1 run"
	else
		TS_NOTE="first $TS_PKTS packets (editcap -r), time scaled per packet to $PACKETS; RSS of the prefix run"
	fi
fi

# many-sources: peak memory of dcvscope with one entry per source
MANY_RSS="" MANY_WALL=""
if [ "$MANY" -gt 0 ]; then
	MCAP="$TMP/many.pcap"
	rm -f "$CAP" "$TMP/prefix.pcap" # disk: keep one large capture at a time
	"$GEN" many-sources --packets "$MANY" -o "$MCAP"
	rm -f "$TMP/bench.db"*
	run_timed many bash -c "$(expand "$DCV_ANALYZE" "$TMP/many.db" "$MCAP")"
	MANY_WALL=$WALL MANY_RSS=$RSS
fi

LABEL="dcvscope analyze --db"
[ "$STANDIN" = 1 ] && LABEL="STAND-IN for dcvscope (bare loop twice)"
R_DCV_BARE=$(calc "$DCV_WALL / $BARE_WALL")
echo "## dcvscope benchmark"
echo
echo "Capture: bench scenario, $PACKETS packets, $(mib $((SIZE / 1024))) MiB, generated in $(fmt "$GEN_WALL") s ($(pps "$PACKETS" "$GEN_WALL") packets/s)."
[ "$STANDIN" = 1 ] && echo "**STAND-IN run: dcvscope analyze is not available; the dcvscope row runs the bare loop twice.**"
echo
echo "| what | packets | wall s | packets/s | CPU s | peak RSS MiB | note |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
echo "| bare libpcap (pcap_next_ex) | $PACKETS | $(fmt "$BARE_WALL") | $(pps "$PACKETS" "$BARE_WALL") | - | $(mib "$BARE_RSS") | best of 3 |"
echo "| $LABEL | $PACKETS | $(fmt "$DCV_WALL") | $(pps "$PACKETS" "$DCV_WALL") | $(fmt "$DCV_CPU") | $(mib "$DCV_RSS") | best of 3, end to end with SQLite, every CPU |"
echo "| $LABEL, one CPU | $PACKETS | $(fmt "$ONE_WALL") | $(pps "$PACKETS" "$ONE_WALL") | $(fmt "$ONE_CPU_S") | $(mib "$ONE_RSS") | best of 3, taskset -c $ONE_CPU |"
if [ -n "$CORE_WALL" ]; then
	echo "| dcvscope analyzer alone (dcv-analyzer-bench) | $PACKETS | $(fmt "$CORE_WALL") | $(pps "$PACKETS" "$CORE_WALL") | - | - | best of 3, capture held in memory, no database: the packet path on its own |"
fi
if [ -n "$TS_WALL" ]; then
	echo "| tshark -T fields (dns.id, rcode, qname) | $TS_PKTS | $(fmt "$TS_WALL") | $(pps "$TS_PKTS" "$TS_WALL") | - | $(mib "$TS_RSS") | $TS_NOTE |"
fi
echo
echo "- dcvscope / bare: $(printf '%.2f' "$R_DCV_BARE") x the time"
if [ -n "$TS_WALL" ]; then
	R_TS_DCV=$(calc "$TS_SCALED / $DCV_WALL")
	echo "- tshark / dcvscope: $(printf '%.2f' "$R_TS_DCV") x the time (tshark estimated $(fmt "$TS_SCALED") s for $PACKETS packets)"
else
	R_TS_DCV=""
	echo "- tshark: $TS_NOTE"
fi
verdict() { [ "$(awk "BEGIN { print ($1) }")" = 1 ] && echo met || echo "NOT met"; }
echo "- targets: 1.5 M packets/s end to end: $(verdict "$PACKETS / $DCV_WALL >= 1500000") on every CPU, $(verdict "$PACKETS / $ONE_WALL >= 1500000") on one CPU; at most 5 x the bare read: $(verdict "$R_DCV_BARE <= 5")$([ -n "$R_TS_DCV" ] && echo "; at least 20 x faster than tshark: $(verdict "$R_TS_DCV >= 20")")"
if [ -n "$MANY_RSS" ]; then
	MANY_MIB=$(mib "$MANY_RSS")
	VERDICT=$(awk "BEGIN { print ($MANY_RSS <= $RSS_LIMIT_MIB * 1024) }")
	echo "- many-sources ($MANY queries from $((MANY / 2)) sources): peak RSS $MANY_MIB MiB of the $RSS_LIMIT_MIB MiB limit ($([ "$VERDICT" = 1 ] && echo within || echo OVER)), $(fmt "$MANY_WALL") s"
fi

if [ -n "$JSON" ]; then
	cat >"$JSON" <<JSON
{
  "packets": $PACKETS,
  "capture_bytes": $SIZE,
  "stand_in": $([ "$STANDIN" = 1 ] && echo true || echo false),
  "generate": {"wall_s": $(fmt "$GEN_WALL")},
  "bare": {"wall_s": $(fmt "$BARE_WALL"), "packets_per_s": $(pps "$PACKETS" "$BARE_WALL"), "peak_rss_kib": $BARE_RSS},
  "dcvscope": {"wall_s": $(fmt "$DCV_WALL"), "packets_per_s": $(pps "$PACKETS" "$DCV_WALL"), "cpu_s": $(fmt "$DCV_CPU"), "peak_rss_kib": $DCV_RSS},
  "dcvscope_one_cpu": {"cpu": $ONE_CPU, "wall_s": $(fmt "$ONE_WALL"), "packets_per_s": $(pps "$PACKETS" "$ONE_WALL"), "cpu_s": $(fmt "$ONE_CPU_S"), "peak_rss_kib": $ONE_RSS},
  "analyzer_alone": $([ -n "$CORE_WALL" ] && echo "{\"wall_s\": $(fmt "$CORE_WALL"), \"packets_per_s\": $(pps "$PACKETS" "$CORE_WALL")}" || echo null),
  "tshark": $([ -n "$TS_WALL" ] && echo "{\"packets\": $TS_PKTS, \"wall_s\": $(fmt "$TS_WALL"), \"scaled_wall_s\": $(fmt "$TS_SCALED"), \"packets_per_s\": $(pps "$TS_PKTS" "$TS_WALL"), \"peak_rss_kib\": $TS_RSS}" || echo null),
  "ratio_dcvscope_bare": $(printf '%.3f' "$R_DCV_BARE"),
  "ratio_tshark_dcvscope": $([ -n "$R_TS_DCV" ] && printf '%.3f' "$R_TS_DCV" || echo null),
  "many_sources": $([ -n "$MANY_RSS" ] && echo "{\"queries\": $MANY, \"peak_rss_kib\": $MANY_RSS, \"limit_mib\": $RSS_LIMIT_MIB, \"wall_s\": $(fmt "$MANY_WALL")}" || echo null)
}
JSON
fi
