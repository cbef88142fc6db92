#!/usr/bin/env bash
# capture_bench.sh - the packet rate each live capture mode of `dcvscope watch`
# (eBPF, libpcap) sustains with zero loss, and how each accounts for its
# losses when overloaded.
#
# usage: tools/bench/capture_bench.sh [--build-dir DIR] [--json FILE] [--modes LIST]
#                                     [--sources K] [--step-s S] [--start-rate PPS]
#                                     [--small-buffer BYTES] [--consumer-rate FPS]
#                                     [--overload-count N] [--time-limit S] [--pin]
#   --build-dir DIR      take dcv-capbench-send and dcv-capbench-read from DIR;
#                        without it the script builds a Release tree in build-bench/
#   --json FILE          also write a JSON summary to FILE
#   --modes LIST         capture modes, comma-separated: ebpf, pcap, or either
#                        with a snap length as MODE/SNAPLEN (dcvscope watch
#                        --snaplen); default ebpf,pcap,pcap/1500
#   --sources K          distinct client addresses 192.0.2.100.. (default 8, at most 100)
#   --step-s S           seconds of traffic per search step (default 1); a step
#                        sends exactly rate * S packets (at least 10000)
#   --start-rate PPS     first offered rate of the search (default 50000)
#   --small-buffer BYTES ring buffer / pcap buffer of the overload runs (default
#                        262144, the eBPF source's smallest ring)
#   --consumer-rate FPS  frames/s the slow consumer takes in the second overload
#                        run (default 50000)
#   --overload-count N   packets of each overload run, sent as fast as possible
#                        (default 1000000)
#   --time-limit S       stop searching after S seconds in all (default 240)
#   --pin                the sender on CPU 0, the reader on CPU 1 (default: where
#                        the scheduler puts them, which dodges other load better)
#
# What it does, in two private network namespaces joined by a veth pair
# (192.0.2.0/24, IPv6 off, a permanent neighbour entry so that no ARP runs):
#  1. a UDP sink on 192.0.2.1:53 (so the flood meets no ICMP), and the path
#     alone: the sender at full speed with no capture;
#  2. per mode, a search: the sender (dcv-capbench-send) sends an exact count
#     of DNS queries at a paced rate from K source addresses while the reader
#     (dcv-capbench-read, the capture/ sources with their default buffers)
#     captures on the server's veth. The rate doubles while a step loses
#     nothing, then is bisected to within 10 %, and the best rate is run
#     once more to confirm it (stepping down 20 % at a time while that
#     loses). A step passes when every packet sent reached the server's veth
#     (its rx counter, as `ip -s link` shows it: packets the kernel dropped
#     before the capture point are not the capture's fault) and the reader
#     got every one of them, each source's in full (counted from the frame
#     bytes). The rate reported is the one the sender achieved, not the one
#     asked for; when the sender cannot go faster, the result is "sender"
#     bound (a lower bound: on a veth the receive path, the eBPF program and
#     the packet socket run on the sender's CPU; --pin puts the sender on
#     CPU 0 and the reader on CPU 1);
#  3. per mode, two overload runs at the sender's full speed with the small
#     buffer, the second with a slow consumer: sent, reached the veth,
#     delivered, and the drops the source reports (eBPF: ring-buffer drops
#     counted by the program; pcap: pcap_stats ps_drop + ps_ifdrop), then the
#     identity delivered + reported drops == reached the veth (and == sent
#     when the path lost nothing).
# In every eBPF run the program's in-kernel per-source counters must equal
# what the sender sent from each address (less what the path dropped, which
# is then reported); if they do not, the script says so and exits 1.
#
# Why pcap/1500 is in the default list: in immediate mode libpcap uses
# TPACKET_V2, whose ring has fixed-size frame slots sized from the snap
# length; on an interface with segmentation or receive offload (veth, most
# NICs) a 65535 snap length makes each slot about 64 KiB, so the default
# 16 MiB buffer holds about 250 packets, and a reader that is off the CPU for
# a few milliseconds loses packets. --snaplen 1500 gives ~10000 slots.
#
# Needs root (namespaces, eBPF, packet sockets). eBPF is skipped, with the
# reason, only where the kernel refuses to load BPF programs. Leaves no
# namespace, interface, qdisc or process behind. Takes about two minutes.
# A measurement, not a test: other load on the machine moves the numbers.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=""
JSON=""
MODES="ebpf,pcap,pcap/1500"
NSRC=8
STEP_S=1
START_RATE=50000
SMALL_BUF=262144
CONSUMER_RATE=50000
OVER_COUNT=1000000
TIME_LIMIT=240
PIN=0
MIN_STEP_COUNT=10000
MIN_RATE=2000     # halving stops below this
MAX_TARGET=4000000 # offered rates stop doubling here
SENDER_BOUND=0.95  # achieved / asked below this: the sender is the limit
BISECT_RATIO=1.10  # bisect until hi / lo is at most this

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	--modes) MODES=$2; shift 2 ;;
	--sources) NSRC=$2; shift 2 ;;
	--step-s) STEP_S=$2; shift 2 ;;
	--start-rate) START_RATE=$2; shift 2 ;;
	--small-buffer) SMALL_BUF=$2; shift 2 ;;
	--consumer-rate) CONSUMER_RATE=$2; shift 2 ;;
	--overload-count) OVER_COUNT=$2; shift 2 ;;
	--time-limit) TIME_LIMIT=$2; shift 2 ;;
	--pin) PIN=1; shift ;;
	-h|--help) sed -n '2,/^set -/{/^set -/d;p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "capture_bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
for v in "--sources $NSRC" "--start-rate $START_RATE" "--small-buffer $SMALL_BUF" \
	"--consumer-rate $CONSUMER_RATE" "--overload-count $OVER_COUNT" "--time-limit $TIME_LIMIT"; do
	case "${v#* }" in '' | *[!0-9]*) echo "capture_bench.sh: ${v% *} wants a whole number" >&2; exit 2 ;; esac
done
case "$STEP_S" in '' | *[!0-9.]* | *.*.* | .) echo "capture_bench.sh: --step-s wants a number" >&2; exit 2 ;; esac
if [ "$START_RATE" -lt "$MIN_RATE" ]; then
	echo "capture_bench.sh: --start-rate must be at least $MIN_RATE" >&2
	exit 2
fi
if [ "$NSRC" -lt 1 ] || [ "$NSRC" -gt 100 ]; then
	echo "capture_bench.sh: --sources must be 1..100" >&2
	exit 2
fi
IFS=, read -r -a MODE_LIST <<<"$MODES"
for mode in "${MODE_LIST[@]}"; do
	case "$mode" in
	ebpf | pcap | ebpf/[1-9]* | pcap/[1-9]*) ;;
	*) echo "capture_bench.sh: unknown mode $mode (ebpf, pcap, MODE/SNAPLEN)" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "capture_bench.sh: needs root (network namespaces, eBPF programs, packet sockets); run it with sudo" >&2
	exit 2
fi

if [ -z "$BUILD" ]; then
	BUILD="$REPO/build-bench"
	cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDCV_TESTS=OFF >/dev/null
	make -C "$BUILD" -j2 dcv-capbench-send dcv-capbench-read >/dev/null
fi
SEND="$BUILD/tools/bench/dcv-capbench-send"
READ="$BUILD/tools/bench/dcv-capbench-read"
for b in "$SEND" "$READ"; do
	[ -x "$b" ] || { echo "capture_bench.sh: $b not found" >&2; exit 2; }
done

# ---- test bed and cleanup --------------------------------------------------

NS_S=dcvcbS$$
NS_C=dcvcbC$$
IF_S=cb$$s
IF_C=cb$$c
SRV=192.0.2.1
CLI=192.0.2.2
SRC0=192.0.2.100
TMP=$(mktemp -d /tmp/dcvcapbench.XXXXXX)
SINK="" READER="" SENDER=""

cleanup() {
	for p in $READER $SENDER $SINK; do kill "$p" 2>/dev/null || true; done
	for p in $READER $SENDER $SINK; do wait "$p" 2>/dev/null || true; done
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
for ns in "$NS_S" "$NS_C"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_S" addr add "$SRV/24" dev "$IF_S"
ip -n "$NS_C" addr add "$CLI/24" dev "$IF_C"
for i in $(seq 0 $((NSRC - 1))); do
	ip -n "$NS_C" addr add "192.0.2.$((100 + i))/32" dev "$IF_C"
done
ip -n "$NS_S" link set "$IF_S" up
ip -n "$NS_C" link set "$IF_C" up
MAC_S=$(ip netns exec "$NS_S" cat "/sys/class/net/$IF_S/address")
ip -n "$NS_C" neigh replace "$SRV" lladdr "$MAC_S" dev "$IF_C" nud permanent

ip netns exec "$NS_S" "$SEND" --sink "$SRV" >"$TMP/sink.out" 2>&1 &
SINK=$!
for _ in $(seq 50); do grep -q ready "$TMP/sink.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$TMP/sink.out" || { echo "capture_bench.sh: the UDP sink did not start: $(cat "$TMP/sink.out")" >&2; exit 1; }

# --pin: the sender (and with it the veth receive path, which runs in its
# softirq) on the first CPU, the reader on the second
PIN_SEND=() PIN_READ=()
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	PIN_SEND=(taskset -c 0)
	PIN_READ=(taskset -c 1)
fi

T_START=$(date +%s)
elapsed() { echo $(($(date +%s) - T_START)); }

# ---- one run ---------------------------------------------------------------

kv() { sed -n "s/^$2=//p" "$1" | head -1; }
calc() { awk "BEGIN { x = $1; printf \"%.0f\", x }"; }
ge() { [ "$(awk "BEGIN { print ($1 >= $2) }")" = 1 ]; }
# the server veth's rx packets and the client veth's tx drops: as ip -s link shows them
stat_s() { ip netns exec "$NS_S" cat "/sys/class/net/$IF_S/statistics/$1"; }
stat_c() { ip netns exec "$NS_C" cat "/sys/class/net/$IF_C/statistics/$1"; }

# run MODE RATE COUNT BUFFER CONSUMER_RATE: one run (MODE "none" = no capture,
# RATE 0 = as fast as possible). Sets SENT ACHIEVED COMPLETE ARRIVED PATHDROP
# DELIVERED MATCHED PSDROP IFDROP RBDROP DRAINED SRC_OK SRC_NOTE; returns 1 if
# the reader could not open the source (reason in READ_ERR).
run() {
	local mode=$1 rate=$2 count=$3 buf=$4 crate=$5 maxs snap=0
	case "$mode" in */*) snap=${mode#*/} ;; esac
	maxs=$(awk "BEGIN { m = ($rate > 0 ? 3 * $count / $rate : 10); print (m < 2 ? 2 : m) }")
	READ_ERR=""
	if [ "$mode" != none ]; then
		: >"$TMP/read.out"
		ip netns exec "$NS_S" "${PIN_READ[@]}" "$READ" --kind "${mode%%/*}" --iface "$IF_S" --buffer "$buf" --snaplen "$snap" \
			--consumer-rate "$crate" --max-s "$(calc "$maxs + 30")" >"$TMP/read.out" 2>"$TMP/read.err" &
		READER=$!
		for _ in $(seq 100); do
			grep -q '^ready' "$TMP/read.out" && break
			kill -0 "$READER" 2>/dev/null || break
			sleep 0.05
		done
		if ! grep -q '^ready' "$TMP/read.out"; then
			wait "$READER" 2>/dev/null || true
			READER=""
			READ_ERR=$(cat "$TMP/read.err")
			return 1
		fi
	fi
	local rx0 drop0 rx1 drop1
	rx0=$(stat_s rx_packets)
	drop0=$(stat_c tx_dropped)
	ip netns exec "$NS_C" "${PIN_SEND[@]}" "$SEND" --dst "$SRV" --count "$count" --rate "$rate" \
		--src "$SRC0" --sources "$NSRC" --max-s "$maxs" >"$TMP/send.out" 2>"$TMP/send.err" &
	SENDER=$!
	wait "$SENDER" || true
	SENDER=""
	sleep 0.05 # the last packets leave the backlog
	rx1=$(stat_s rx_packets)
	drop1=$(stat_c tx_dropped)
	if [ -n "$READER" ]; then
		kill -USR1 "$READER"
		wait "$READER" || { READER=""; echo "capture_bench.sh: reader failed: $(cat "$TMP/read.err")" >&2; exit 1; }
		READER=""
	fi
	SENT=$(kv "$TMP/send.out" sent)
	[ -n "$SENT" ] || { echo "capture_bench.sh: sender failed: $(cat "$TMP/send.err")" >&2; exit 1; }
	ACHIEVED=$(kv "$TMP/send.out" rate)
	COMPLETE=$(kv "$TMP/send.out" complete)
	ARRIVED=$((rx1 - rx0))
	PATHDROP=$((drop1 - drop0))
	DELIVERED=0 MATCHED=0 PSDROP=0 IFDROP=0 RBDROP=0 DRAINED=1 SRC_OK=n/a SRC_NOTE=""
	[ "$mode" = none ] && return 0
	DELIVERED=$(kv "$TMP/read.out" delivered)
	MATCHED=$(kv "$TMP/read.out" kernel_matched)
	PSDROP=$(kv "$TMP/read.out" kernel_dropped)
	IFDROP=$(kv "$TMP/read.out" if_dropped)
	RBDROP=$(kv "$TMP/read.out" ringbuf_dropped)
	DRAINED=$(kv "$TMP/read.out" drained)
	CHOICE=$(kv "$TMP/read.out" choice)
	check_sources "${mode%%/*}"
}

# check_sources MODE: per source, the eBPF in-kernel count (ksrc) against what
# the sender sent (src). Sets SRC_OK (yes/no/na) and SRC_NOTE.
check_sources() {
	local bad=0 n=0 addr want got
	SRC_OK=n/a
	SRC_NOTE="libpcap keeps no per-source counters"
	[ "$1" = ebpf ] || return 0
	SRC_NOTE=""
	while read -r _ addr want; do
		n=$((n + 1))
		got=$(awk -v a="$addr" '$1 == "ksrc" && $2 == a { print $3 }' "$TMP/read.out")
		if [ "${got:-0}" != "$want" ]; then
			bad=$((bad + 1))
			SRC_NOTE="$SRC_NOTE $addr sent $want kernel ${got:-none};"
		fi
	done < <(grep '^src ' "$TMP/send.out")
	local ksum
	ksum=$(awk '$1 == "ksrc" { s += $3 } END { print s + 0 }' "$TMP/read.out")
	if [ "$bad" = 0 ]; then
		SRC_OK=yes
		SRC_NOTE="$n sources, each exact"
	elif [ "$ARRIVED" != "$SENT" ] && [ "$ksum" = "$ARRIVED" ]; then
		# the path dropped packets before the program ran: per source, what
		# reached the program cannot be known, the sum can
		SRC_OK=sum
		SRC_NOTE="path dropped $((SENT - ARRIVED)) before the program; kernel total $ksum == reached veth"
	else
		SRC_OK=no
		SRC_NOTE="INEXACT:$SRC_NOTE kernel total $ksum, reached veth $ARRIVED"
	fi
}

# check_usrc: per source, the frames the reader got (usrc, from the frame
# bytes) against what the sender sent (src); 0 if all equal.
check_usrc() {
	local addr want got
	while read -r _ addr want; do
		got=$(awk -v a="$addr" '$1 == "usrc" && $2 == a { print $3 }' "$TMP/read.out")
		[ "${got:-0}" = "$want" ] || return 1
	done < <(grep '^src ' "$TMP/send.out")
	return 0
}

# ---- the path alone ----------------------------------------------------------

echo "capture_bench: $(nproc) CPUs, kernel $(uname -r), $NSRC sources, veth in private namespaces" >&2
run none 0 "$OVER_COUNT" 0 0
PATH_RATE=$ACHIEVED
PATH_NOTE="sent $SENT, reached veth $ARRIVED, veth tx drops $PATHDROP"
echo "path without capture: $PATH_RATE pkt/s ($PATH_NOTE)" >&2

# ---- search and overload per mode -----------------------------------------

declare -A ZL_RATE ZL_BOUND ZL_CONFIRM STEPS SKIP LAST_OVER CHOSEN
SRC_FAILS=0
OVER_ROWS=""
OVER_JSON=""

# step MODE RATE: one search step with the default buffers; returns 0 on zero
# loss. Sets STEP_RESULT (pass, capture-loss, path-loss, source-mismatch).
step() {
	local mode=$1 rate=$2 count
	count=$(calc "$rate * $STEP_S")
	[ "$count" -lt "$MIN_STEP_COUNT" ] && count=$MIN_STEP_COUNT
	run "$mode" "$rate" "$count" 0 0 || return 2
	# a sender that ran out of time (COMPLETE=0) still counts: the rate is
	# the one it achieved, and every packet it sent must have arrived
	if [ "$ARRIVED" != "$SENT" ]; then
		STEP_RESULT=path-loss
	elif [ "$DELIVERED" != "$SENT" ]; then
		STEP_RESULT=capture-loss
	else
		STEP_RESULT=pass
		# the right packets too: each source's frames, as delivered
		check_usrc || STEP_RESULT=source-mismatch
	fi
	[ "$SRC_OK" = no ] && SRC_FAILS=$((SRC_FAILS + 1))
	local short=""
	[ "$COMPLETE" = 1 ] || short=" (of $count: out of time)"
	echo "  $mode asked $rate pkt/s: sent $SENT$short at $ACHIEVED pkt/s, reached veth $ARRIVED, delivered $DELIVERED, reported drops $((PSDROP + IFDROP + RBDROP)), kernel per-source $SRC_OK -> $STEP_RESULT" >&2
	STEPS[$mode]="${STEPS[$mode]:-}{\"asked\": $rate, \"sent\": $SENT, \"achieved\": $ACHIEVED, \"reached_veth\": $ARRIVED, \"delivered\": $DELIVERED, \"reported_drops\": $((PSDROP + IFDROP + RBDROP)), \"result\": \"$STEP_RESULT\"},"
	[ "$STEP_RESULT" = pass ]
}

for mode in "${MODE_LIST[@]}"; do
	echo "$mode: searching the zero-loss rate" >&2
	lo=0 lo_achieved=0 hi=0 bound=capture rate=$START_RATE rc=0 retried=0
	# doubling from the start rate (halving first if the start rate loses)
	while :; do
		step "$mode" "$rate" && rc=0 || rc=$?
		if [ "$rc" = 2 ]; then
			if [ "${mode%%/*}" = ebpf ] && grep -qiE 'not permitted|permission|built without eBPF|BTF|not supported' <<<"$READ_ERR"; then
				SKIP[$mode]="eBPF unavailable: $READ_ERR"
				echo "ebpf: SKIPPED: ${SKIP[$mode]}" >&2
				break
			fi
			echo "capture_bench.sh: $mode reader failed to open: $READ_ERR" >&2
			exit 1
		fi
		if [ "$rc" = 0 ]; then
			ge "$lo_achieved" "$ACHIEVED" || lo_achieved=$ACHIEVED
			lo=$rate
			[ "$hi" -gt 0 ] && break # found by halving
			if ! ge "$ACHIEVED" "$(awk "BEGIN { print $rate * $SENDER_BOUND }")"; then
				# short of the rate asked: once may be other load, twice
				# is the sender's limit (zero loss there: a lower bound)
				[ "$retried" = "$rate" ] && { bound=sender; break; }
				retried=$rate
				continue
			fi
			rate=$((rate * 2))
			[ "$rate" -gt "$MAX_TARGET" ] && { bound=sender; break; }
		else
			hi=$rate
			bound=capture
			[ "$STEP_RESULT" = path-loss ] && bound=path
			[ "$lo" -gt 0 ] && break
			rate=$((rate / 2))
			[ "$rate" -lt "$MIN_RATE" ] && break # loses even at the lowest rate
		fi
		[ "$(elapsed)" -ge "$TIME_LIMIT" ] && { bound="time limit"; break; }
	done
	[ -n "${SKIP[$mode]:-}" ] && continue
	# bisection between the last pass and the first failure
	while [ "$hi" -gt 0 ] && [ "$lo" -gt 0 ] && ! ge "$(awk "BEGIN { print $lo * $BISECT_RATIO }")" "$hi"; do
		[ "$(elapsed)" -ge "$TIME_LIMIT" ] && { bound="time limit"; break; }
		mid=$(((lo + hi) / 2))
		if step "$mode" "$mid"; then
			lo=$mid lo_achieved=$ACHIEVED
		else
			hi=$mid
			bound=capture
			[ "$STEP_RESULT" = path-loss ] && bound=path
		fi
	done
	# run the best rate again; if that loses, step down 20 % (four times at
	# most): the rate reported is the better of the two passing runs at one
	# rate, or the later one after stepping down
	confirm=no
	first_achieved=$lo_achieved
	for try in 0 1 2 3 4; do
		[ "$lo" -gt 0 ] || break
		if step "$mode" "$lo"; then
			confirm=yes
			[ "$try" -gt 0 ] && confirm="yes, after $try step(s) of 20 % down"
			ge "$lo_achieved" "$ACHIEVED" || lo_achieved=$ACHIEVED
			break
		fi
		lo=$(calc "$lo * 0.8")
		lo_achieved=0
		[ "$lo" -lt "$MIN_RATE" ] && break
	done
	[ "$confirm" = no ] && lo_achieved=$first_achieved # one pass only: said so
	ZL_RATE[$mode]=$lo_achieved
	ZL_BOUND[$mode]=$bound
	ZL_CONFIRM[$mode]=$confirm

	# overload: full speed, small buffer; then also a slow consumer
	for variant in small-buffer slow-consumer; do
		crate=0
		[ "$variant" = slow-consumer ] && crate=$CONSUMER_RATE
		run "$mode" 0 "$OVER_COUNT" "$SMALL_BUF" "$crate" || { echo "capture_bench.sh: $mode reader failed: $READ_ERR" >&2; exit 1; }
		[ "$SRC_OK" = no ] && SRC_FAILS=$((SRC_FAILS + 1))
		if [ "${mode%%/*}" = ebpf ]; then
			reported=$RBDROP
			what="ring-buffer drops $RBDROP"
			seen=$MATCHED # what the program matched
		else
			reported=$((PSDROP + IFDROP))
			what="ps_drop $PSDROP + ps_ifdrop $IFDROP"
			seen=$MATCHED # ps_recv
		fi
		gap=$((ARRIVED - DELIVERED - reported))
		if [ "$gap" = 0 ] && [ "$ARRIVED" = "$SENT" ]; then
			identity="exact"
		elif [ "$gap" = 0 ]; then
			identity="exact vs veth; path dropped $((SENT - ARRIVED)) before capture (veth tx drops $PATHDROP)"
		else
			identity="GAP $gap (kernel matched $seen, reached veth $ARRIVED, drained $DRAINED)"
		fi
		[ "${mode%%/*}" = ebpf ] && [ "$gap" != 0 ] && SRC_FAILS=$((SRC_FAILS + 1))
		buf_label="$SMALL_BUF B buffer"
		[ "$crate" -gt 0 ] && buf_label="$buf_label, consumer $crate/s"
		echo "  $mode overload ($buf_label): sent $SENT at $ACHIEVED pkt/s, reached veth $ARRIVED, delivered $DELIVERED, $what; identity: $identity; kernel per-source: $SRC_OK ($SRC_NOTE)" >&2
		OVER_ROWS="$OVER_ROWS| $mode | $buf_label | $SENT | $ARRIVED | $DELIVERED | $reported ($what) | $identity | $SRC_OK |
"
		OVER_JSON="$OVER_JSON{\"mode\": \"$mode\", \"variant\": \"$variant\", \"buffer_bytes\": $SMALL_BUF, \"consumer_rate\": $crate, \"sent\": $SENT, \"achieved\": $ACHIEVED, \"reached_veth\": $ARRIVED, \"veth_tx_drops\": $PATHDROP, \"delivered\": $DELIVERED, \"kernel_matched\": $seen, \"reported_drops\": $reported, \"ps_drop\": $PSDROP, \"ps_ifdrop\": $IFDROP, \"ringbuf_drops\": $RBDROP, \"gap\": $gap, \"per_source_exact\": \"$SRC_OK\"},"
		LAST_OVER[$mode]="$SENT | $DELIVERED | $reported | $identity | $SRC_OK"
		CHOSEN[$mode]=$CHOICE
	done
done

# ---- report ------------------------------------------------------------------

echo "## Capture modes of dcvscope watch"
echo
echo "$(nproc) CPUs, kernel $(uname -r); veth pair between two network namespaces; $NSRC source addresses; DNS queries of 89 bytes on the wire (47 bytes of DNS)."
echo "Path without capture: $PATH_RATE pkt/s ($PATH_NOTE)."
echo
echo "| mode | zero-loss rate (pkt/s) | limited by | confirmed | overload sent | delivered | reported dropped | accounting | kernel per-source exact |"
echo "| --- | ---: | --- | --- | ---: | ---: | ---: | --- | --- |"
for mode in "${MODE_LIST[@]}"; do
	if [ -n "${SKIP[$mode]:-}" ]; then
		echo "| $mode | skipped: ${SKIP[$mode]} | | | | | | | |"
		continue
	fi
	IFS='|' read -r o_sent o_del o_rep o_id o_src <<<"${LAST_OVER[$mode]}"
	src_label=$o_src
	[ "${mode%%/*}" = pcap ] && src_label=" n/a (libpcap keeps none)"
	label=${mode%%/*}
	[ "$label" = ebpf ] && label=${CHOSEN[$mode]} # with the attach mode
	[ "${mode#*/}" != "$mode" ] && label="$label --snaplen ${mode#*/}"
	echo "| $label | ${ZL_RATE[$mode]} | ${ZL_BOUND[$mode]} | ${ZL_CONFIRM[$mode]} | ${o_sent// /} | ${o_del// /} | ${o_rep// /} |$o_id|$src_label |"
done
echo
echo "Overload runs (sender at full speed):"
echo
echo "| mode | buffer | sent | reached veth | delivered | reported dropped | delivered + dropped vs reached | per-source exact |"
echo "| --- | --- | ---: | ---: | ---: | --- | --- | --- |"
printf '%s' "$OVER_ROWS"
echo
echo "Zero-loss rate: the rate the sender achieved in the best step in which every packet reached the veth and the capture delivered all of them, each source's in full ($STEP_S s steps, default buffers); \"sender\" means the sender could not go faster, so the capture's limit is higher. The overload columns are those of the slow-consumer run."
echo "Total time: $(elapsed) s."

if [ -n "$JSON" ]; then
	{
		echo "{"
		echo "  \"cpus\": $(nproc), \"kernel\": \"$(uname -r)\", \"sources\": $NSRC, \"step_s\": $STEP_S,"
		echo "  \"path_without_capture_pps\": $PATH_RATE,"
		echo "  \"modes\": {"
		first=1
		for mode in "${MODE_LIST[@]}"; do
			[ "$first" = 1 ] || echo ","
			first=0
			if [ -n "${SKIP[$mode]:-}" ]; then
				printf '    "%s": {"skipped": "%s"}' "$mode" "${SKIP[$mode]//\"/\'}"
				continue
			fi
			printf '    "%s": {"zero_loss_pps": %s, "limited_by": "%s", "confirmed": %s, "steps": [%s]}' \
				"$mode" "${ZL_RATE[$mode]}" "${ZL_BOUND[$mode]}" \
				"$([[ ${ZL_CONFIRM[$mode]} == yes* ]] && echo true || echo false)" "${STEPS[$mode]%,}"
		done
		echo
		echo "  },"
		echo "  \"overload\": [${OVER_JSON%,}],"
		echo "  \"kernel_counters_exact\": $([ "$SRC_FAILS" = 0 ] && echo true || echo false),"
		echo "  \"wall_s\": $(elapsed)"
		echo "}"
	} >"$JSON"
fi

if [ "$SRC_FAILS" != 0 ]; then
	echo "capture_bench.sh: FAIL: the eBPF in-kernel counters were not exact in $SRC_FAILS run(s) (see above)" >&2
	exit 1
fi
