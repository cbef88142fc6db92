#!/usr/bin/env bash
# fleet_bench.sh - the fleet view on a month of a 50-server fleet: starts its
# own clickhouse-server on loopback, ships every server's statistics through
# the real path (`dcvscope ship`), then times the fleet report and the fleet
# rules, whose sums run inside ClickHouse.
#
# usage: tools/bench/fleet_bench.sh [--build-dir DIR] [--servers N] [--sites N]
#                                   [--days D] [--sources N] [--bucket-s S]
#                                   [--distinct N] [--keep]
#   --build-dir DIR  take dcvscope and dcv-report-bench-db from DIR (default:
#                    build/ of the checkout when it has them, else a Release
#                    tree built in build-bench/)
#   --servers N      servers (default 50), spread over --sites N sites (5)
#   --days D         days of statistics per server (default 30)
#   --sources N      sources per server (default 40; one in ten a validator)
#   --bucket-s S     bucket length (default 3600 s: a month of 300 s buckets
#                    for 50 servers takes far longer than a few minutes to
#                    ship on 2 cores)
#   --distinct N     databases generated (default 10, seeds 1..N); server i
#                    ships a copy of database i mod N (shipping watermarks are
#                    per file, so every copy ships in full)
#   --tmp DIR        where the temporary directory goes (default /dev/shm when
#                    it is writable, else /tmp): shipping a month in daily
#                    partitions leaves tens of thousands of part files, and
#                    removing them from a disk takes minutes on its own
#   --keep           keep the temporary directory (databases, server logs)
# Prints what was generated (rows per table), the shipping throughput (rows
# shipped per second of wall time, ClickHouse's insert included), and the
# wall time of `dcvscope report --clickhouse` (every format) and of
# `dcvscope rules --clickhouse` over the whole period, right after shipping
# and again once the parts are merged.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=""
SERVERS=50
SITES=5
DAYS=30
SOURCES=40
BUCKET=3600
DISTINCT=10
KEEP=0
TMPBASE=""
CH_SERVER=/usr/sbin/clickhouse-server

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD=$2; shift 2 ;;
	--servers) SERVERS=$2; shift 2 ;;
	--sites) SITES=$2; shift 2 ;;
	--days) DAYS=$2; shift 2 ;;
	--sources) SOURCES=$2; shift 2 ;;
	--bucket-s) BUCKET=$2; shift 2 ;;
	--distinct) DISTINCT=$2; shift 2 ;;
	--tmp) TMPBASE=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h|--help) sed -n '2,/^set /p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "fleet_bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

for tool in "$CH_SERVER" python3 curl; do
	command -v "$tool" >/dev/null || { echo "fleet_bench.sh: $tool is missing" >&2; exit 2; }
done
if [ -z "$BUILD" ]; then
	if [ -x "$REPO/build/tools/dcvscope" ] && [ -x "$REPO/build/tools/bench/dcv-report-bench-db" ]; then
		BUILD="$REPO/build"
	else
		BUILD="$REPO/build-bench"
		cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDCV_TESTS=OFF >/dev/null
		make -C "$BUILD" -j2 dcvscope dcv-report-bench-db >/dev/null
	fi
fi
DCVSCOPE="$BUILD/tools/dcvscope"
MAKEDB="$BUILD/tools/bench/dcv-report-bench-db"
for b in "$DCVSCOPE" "$MAKEDB"; do
	[ -x "$b" ] || { echo "fleet_bench.sh: $b not found" >&2; exit 2; }
done

if [ -z "$TMPBASE" ]; then
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then TMPBASE=/dev/shm; else TMPBASE=/tmp; fi
fi
TMP=$(mktemp -d "$TMPBASE/dcvfleetbench.XXXXXX")
CH_PID=""
# The server is ours and its data thrown away: it gets 5 s to stop, then KILL.
cleanup() {
	if [ -n "$CH_PID" ]; then
		kill "$CH_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$CH_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$CH_PID" 2>/dev/null || true
		wait "$CH_PID" 2>/dev/null || true
	fi
	if [ "$KEEP" -eq 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# ---- a clickhouse-server of our own, on free loopback ports -------------
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
HTTP_PORT=$(free_port)
TCP_PORT=$(free_port)
while [ "$TCP_PORT" = "$HTTP_PORT" ]; do TCP_PORT=$(free_port); done
cat >"$TMP/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$TMP/server.log</log><errorlog>$TMP/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>$HTTP_PORT</http_port>
  <tcp_port>$TCP_PORT</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$TMP/data/</path>
  <tmp_path>$TMP/tmp/</tmp_path>
  <user_files_path>$TMP/user_files/</user_files_path>
  <format_schema_path>$TMP/format_schemas/</format_schema_path>
  <users_config>$TMP/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
EOF
cat >"$TMP/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
"$CH_SERVER" --config-file="$TMP/config.xml" >"$TMP/stdout.log" 2>&1 &
CH_PID=$!
for _ in $(seq 1 300); do
	[ "$(curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT/ping" || true)" = "Ok." ] && break
	kill -0 "$CH_PID" 2>/dev/null || { echo "fleet_bench.sh: clickhouse-server exited; see $TMP" >&2; KEEP=1; exit 1; }
	sleep 0.1
done
URL="http://127.0.0.1:$HTTP_PORT/fleetbench"
chq() { curl -sS --fail "http://127.0.0.1:$HTTP_PORT/" --data-binary "$1"; }
echo "clickhouse-server $(chq 'SELECT version()') on 127.0.0.1:$HTTP_PORT (pid $CH_PID)"

# ---- the servers' databases ----------------------------------------------
t0=$(now)
for i in $(seq 1 "$DISTINCT"); do
	"$MAKEDB" --db "$TMP/gen-$i.db" --sources "$SOURCES" --days "$DAYS" --bucket-s "$BUCKET" \
		--seed "$i" >/dev/null
done
for i in $(seq 1 "$SERVERS"); do
	cp "$TMP/gen-$(( (i - 1) % DISTINCT + 1 )).db" "$TMP/ns$i.db"
done
echo "generated $DISTINCT database(s) of $SOURCES sources x $DAYS days (${BUCKET} s buckets)" \
	"for $SERVERS servers in $SITES sites in $(elapsed "$t0" "$(now)") s"

# ---- shipping ------------------------------------------------------------
t0=$(now)
for i in $(seq 1 "$SERVERS"); do
	"$DCVSCOPE" ship --db "$TMP/ns$i.db" --clickhouse "$URL" --server "ns$i" \
		--site "site$(( (i - 1) % SITES + 1 ))" --batch-rows 100000 --format json >"$TMP/ship-$i.json"
done
t1=$(now)
SHIP_S=$(elapsed "$t0" "$t1")
ROWS=$(python3 - "$TMP" "$SERVERS" <<'EOF'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
print(sum(t["rows"] for i in range(1, n + 1)
          for t in json.load(open(f"{tmp}/ship-{i}.json"))["tables"].values()))
EOF
)
echo "shipped $ROWS rows in $SHIP_S s: $(python3 -c "print(round($ROWS / $SHIP_S))") rows/s"
for t in source_stats transactions validator_sources attempts attempt_perspectives findings runs; do
	printf '  %-22s %10s rows\n' "$t" "$(chq "SELECT count() FROM fleetbench.$t")"
done
echo "  on disk: $(chq "SELECT formatReadableSize(sum(bytes)) FROM system.parts WHERE database = 'fleetbench' AND active")"

# ---- the fleet report and the fleet rules --------------------------------
SINCE="${DAYS}d"
for fmt in text json markdown html; do
	t0=$(now)
	"$DCVSCOPE" report --clickhouse "$URL" --since "$SINCE" --format "$fmt" >"$TMP/report.$fmt"
	echo "report --clickhouse --since $SINCE --format $fmt: $(elapsed "$t0" "$(now)") s wall" \
		"($(wc -c <"$TMP/report.$fmt") bytes)"
done
t0=$(now)
"$DCVSCOPE" report --clickhouse "$URL" --format json >/dev/null
echo "report --clickhouse (default: last 24 h): $(elapsed "$t0" "$(now)") s wall"
t0=$(now)
"$DCVSCOPE" rules --clickhouse "$URL" --from 0 --format json >"$TMP/rules.json"
echo "rules --clickhouse over all $DAYS days: $(elapsed "$t0" "$(now)") s wall," \
	"$(python3 -c "import json; print(len(json.load(open('$TMP/rules.json'))['findings']))" ) finding(s)"

# ---- the same once ClickHouse has merged the parts ----------------------
# Right after shipping every table holds thousands of small parts (one per
# day and insert) and FINAL reads them all; in a fleet that ships all day
# the background merges keep them few. OPTIMIZE ... FINAL merges them now.
t0=$(now)
for t in source_stats transactions validator_sources attempts findings runs; do
	chq "OPTIMIZE TABLE fleetbench.$t FINAL" >/dev/null
done
echo "merged (OPTIMIZE TABLE ... FINAL) in $(elapsed "$t0" "$(now)") s:" \
	"$(chq "SELECT count() FROM system.parts WHERE database = 'fleetbench' AND table = 'source_stats' AND active") source_stats parts"
t0=$(now)
"$DCVSCOPE" report --clickhouse "$URL" --since "$SINCE" --format json >/dev/null
echo "report --clickhouse --since $SINCE --format json, merged: $(elapsed "$t0" "$(now)") s wall"
t0=$(now)
"$DCVSCOPE" rules --clickhouse "$URL" --from 0 --format json >/dev/null
echo "rules --clickhouse over all $DAYS days, merged: $(elapsed "$t0" "$(now)") s wall"
python3 - "$TMP/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
print(f"fleet report: {len(r['sites'])} sites, {len(r['servers'])} servers, {t['queries']} queries,"
      f" {t['validators']['queries']} validator queries, {t['attempts']['total']} attempts,"
      f" {len(r['fleet_findings'])} fleet finding(s)")
EOF
