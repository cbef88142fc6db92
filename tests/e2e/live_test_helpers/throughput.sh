#!/bin/sh
# throughput.sh BUILD_DIR - a bounded 2 s sendmmsg UDP flood across a veth
# pair in two private network namespaces, captured on the receiving end by
# the eBPF source and then by libpcap. Prints delivered frames/s and losses.
# Not a test: a measurement. Needs root. Cleans up its namespaces on exit.
set -eu
BUILD=$(cd "${1:?usage: throughput.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
TMP=$(mktemp -d)
NS_S=dcvtpS$$; NS_C=dcvtpC$$; IF_S=tp$$s; IF_C=tp$$c
cleanup() {
	[ -n "${READER:-}" ] && kill "$READER" 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
cc -O2 -D_GNU_SOURCE -o "$TMP/udp_flood" "$HERE/udp_flood.c"
cc -O2 -D_GNU_SOURCE -I"$SRC/capture" -o "$TMP/live_reader" "$HERE/live_reader.c" \
	"$BUILD/capture/libdcv_capture.a" -lbpf -lelf -lz -lpcap
ip netns add "$NS_S"; ip netns add "$NS_C"
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add 192.0.2.1/24 dev "$IF_S"; ip -n "$NS_S" link set "$IF_S" up
ip -n "$NS_C" addr add 192.0.2.2/24 dev "$IF_C"; ip -n "$NS_C" link set "$IF_C" up
# a UDP sink on :53 so the flood is not answered with ICMP
ip netns exec "$NS_S" sh -c 'exec 0</dev/null; python3 -c "
import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((\"192.0.2.1\",53)); s.setblocking(False)
t=time.time()+60
while time.time()<t: time.sleep(1)
"' &
SINK=$!
sleep 0.3
echo "flood without capture:"; ip netns exec "$NS_C" "$TMP/udp_flood" 192.0.2.1 53 2
for kind in ebpf pcap; do
	ip netns exec "$NS_S" "$TMP/live_reader" $kind "$IF_S" 4 > "$TMP/out" 2>"$TMP/err" &
	READER=$!
	sleep 1
	ip netns exec "$NS_C" "$TMP/udp_flood" 192.0.2.1 53 2
	wait "$READER"; READER=
	cat "$TMP/out"
done
kill "$SINK" 2>/dev/null || true
