#!/bin/sh
# throughput.sh BUILD_DIR - a bounded 2 s sendmmsg UDP flood across a veth
# pair in two private network namespaces, captured on the receiving end by
# the eBPF source and then by libpcap. Prints what was sent, delivered and
# lost. Not a test: a quick measurement; tools/bench/capture_bench.sh is the
# full one (zero-loss rate search, overload accounting, per-source counters).
# Uses the benchmark's sender and reader (tools/bench/capbench_*.c) from
# BUILD_DIR. Needs root. Cleans up its namespaces on exit.
set -eu
BUILD=$(cd "${1:?usage: throughput.sh BUILD_DIR}" && pwd)
SEND="$BUILD/tools/bench/dcv-capbench-send"
READ="$BUILD/tools/bench/dcv-capbench-read"
for b in "$SEND" "$READ"; do
	[ -x "$b" ] || { echo "throughput.sh: $b not found (build the tree first)" >&2; exit 2; }
done
TMP=$(mktemp -d)
NS_S=dcvtpS$$; NS_C=dcvtpC$$; IF_S=tp$$s; IF_C=tp$$c
SINK="" READER=""
cleanup() {
	for p in $READER $SINK; do kill "$p" 2>/dev/null || true; done
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS_S"; ip netns add "$NS_C"
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add 192.0.2.1/24 dev "$IF_S"; ip -n "$NS_S" link set "$IF_S" up
ip -n "$NS_C" addr add 192.0.2.2/24 dev "$IF_C"; ip -n "$NS_C" link set "$IF_C" up
# a UDP sink on :53 so the flood is not answered with ICMP
ip netns exec "$NS_S" "$SEND" --sink 192.0.2.1 >/dev/null &
SINK=$!
sleep 0.3
flood() { ip netns exec "$NS_C" "$SEND" --dst 192.0.2.1 --count 1000000000 --max-s 2 >"$TMP/send" || true; }
flood
echo "flood without capture: $(sed -n 's/^rate=//p' "$TMP/send") packets/s"
for kind in ebpf pcap; do
	ip netns exec "$NS_S" "$READ" --kind $kind --iface "$IF_S" >"$TMP/out" 2>"$TMP/err" &
	READER=$!
	i=0
	until grep -q '^ready' "$TMP/out"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$READER" 2>/dev/null; then
			echo "$kind: $(cat "$TMP/err")"
			continue 2
		fi
		sleep 0.05
	done
	flood
	kill -USR1 "$READER"
	wait "$READER"; READER=
	echo "$(sed -n 's/^choice=//p' "$TMP/out"): sent $(sed -n 's/^sent=//p' "$TMP/send") at $(sed -n 's/^rate=//p' "$TMP/send")/s," \
		"delivered $(sed -n 's/^delivered=//p' "$TMP/out"), kernel matched $(sed -n 's/^kernel_matched=//p' "$TMP/out")," \
		"kernel dropped $(sed -n 's/^kernel_dropped=//p' "$TMP/out"), ringbuf dropped $(sed -n 's/^ringbuf_dropped=//p' "$TMP/out")"
done
