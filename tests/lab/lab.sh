#!/usr/bin/env bash
# lab.sh - one scenario of the real-nameserver fault lab.
#
#   lab.sh SCENARIO OUTDIR
#
# Inside a private network namespace (dcvlab<pid>, its own loopback) it starts
# BIND (named, Debian bind9) authoritative for "example" on 127.0.0.53:53,
# installs the scenario's fault (nftables table dcvscope_test_<pid>, matching
# only loopback traffic to the server, or a named ACL), captures port 53 on lo
# with tcpdump, drives the server with dcv-valsim from six 127.R.C.10 sources
# (tests/captures/validators-lab.tsv maps them to CAs and regions), then stops
# everything and runs
#   dcvscope analyze --validators validators-lab.tsv --db OUTDIR/lab.db --format json
#   dcvscope rules --db OUTDIR/lab.db --format json
# OUTDIR receives: lab.pcap valsim.json analyze.json analyze.rc rules.json
# rules.rc rules.err named.log tcpdump.log nft.txt.
#
# Scenarios: clean session_cap session_cap_150 tcp_clients rate_limit rrl
# rrl_netblock region_silence tcp53_rejected tcp53_silent refused fragments.
# Needs root
# (netns, nftables, tcpdump).
# Environment: DCV_BINARY, DCV_VALSIM (binaries), DCV_SOURCE_DIR (repo root);
# DCV_LAB_LISTEN_QUEUE=N caps the namespace's listen queues (net.core.somaxconn)
# so the server's queue overflows under a burst of connections and the kernel
# drops SYNs until the client retransmits them (unset: the kernel default,
# and named's tcp-listen-queue 1024 takes a burst without drops, so that the
# 1 s and 3 s SYN retransmissions do not decide a scenario on a busy machine).
# Every process it starts is stopped by PID; the table and the namespace are
# deleted on every exit path (trap). Exit 0 when the scenario ran (the
# findings are judged by the caller), non-zero when the lab itself failed.
set -euo pipefail

SCEN=${1:?scenario}
OUT=${2:?outdir}
SRC_DIR=${DCV_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DCV=${DCV_BINARY:?DCV_BINARY}
VALSIM=${DCV_VALSIM:?DCV_VALSIM}
VALIDATORS=$SRC_DIR/tests/captures/validators-lab.tsv

SERVER=127.0.0.53
NS=dcvlab$$
TABLE=dcvscope_test_$$
SOURCES=(127.10.1.10 127.20.1.10 127.30.1.10 127.10.2.10 127.20.2.10 127.30.2.10)
READY_TRIES=100     # x 0.1 s for named and tcpdump to come up
ANSWER_TIMEOUT_MS=1000
VALSIM_TIMEOUT_MS=1200
VALSIM_MAX_S=40
RRL_RATE=20 # rrl: BIND responses-per-second
# rrl_netblock: burst-only sources in letsencrypt's arin /24, and a limit
# that each stays below while the three together pass it
NETBLOCK_SOURCES="127.10.1.21 127.10.1.22 127.10.1.23"
RRL_NETBLOCK_RATE=40

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
NAMED_PID=""
TCPDUMP_PID=""

in_ns() { ip netns exec "$NS" "$@"; }

cleanup() {
	set +e
	if [ -n "$TCPDUMP_PID" ]; then
		kill -INT "$TCPDUMP_PID" 2>/dev/null
		wait "$TCPDUMP_PID" 2>/dev/null
	fi
	if [ -n "$NAMED_PID" ]; then
		kill -TERM "$NAMED_PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$NAMED_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$NAMED_PID" 2>/dev/null
		wait "$NAMED_PID" 2>/dev/null
	fi
	if ip netns list | grep -qw "$NS"; then
		in_ns nft delete table inet "$TABLE" 2>/dev/null
		ip netns delete "$NS"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- namespace and server -------------------------------------------------
# namespaces of earlier runs whose script was killed (no trap ran): remove
for old in $(ip netns list | awk '{print $1}' | grep -E '^dcvlab[0-9]+$' || true); do
	kill -0 "${old#dcvlab}" 2>/dev/null || ip netns delete "$old" 2>/dev/null || true
done
ip netns add "$NS"
in_ns ip link set lo up
if [ -n "${DCV_LAB_LISTEN_QUEUE:-}" ]; then
	in_ns sysctl -q net.core.somaxconn="$DCV_LAB_LISTEN_QUEUE"
fi
in_ns ip addr add "$SERVER/32" dev lo
# fragments: an Ethernet-sized MTU, so that large UDP answers leave in
# IP fragments (loopback's own MTU is 64 KiB)
if [ "$SCEN" = fragments ]; then in_ns ip link set lo mtu 1500; fi

ALLOW_QUERY="any;"
RATE_LIMIT=""
TCP_CLIENTS=2000
TCP_TIMEOUTS=""
MAX_UDP=""
case "$SCEN" in
# answers as large as the client's EDNS buffer allows (the old default)
fragments) MAX_UDP="max-udp-size 4096;" ;;
# BIND serves at most 25 TCP clients at once; the kernel still completes
# the handshakes beyond that, which then stall unanswered
tcp_clients) TCP_CLIENTS=25 ;;
refused) ALLOW_QUERY="!127.30.0.0/16; any;" ;; # the apnic "region" is refused
# BIND's response rate limiting: 20 identical answers a second per client
# netblock; above that half the answers are dropped, half slip as TC=1
rrl) RATE_LIMIT="rate-limit { responses-per-second $RRL_RATE; window 1; slip 2; };" ;;
rrl_netblock) RATE_LIMIT="rate-limit { responses-per-second $RRL_NETBLOCK_RATE; window 1; slip 2; };" ;;
# named closes a connection that brought no query within 2.5 s (its least):
# in tcp53_silent the queries never reach it
tcp53_silent) TCP_TIMEOUTS="tcp-initial-timeout 25;" ;;
esac

mkdir -p "$OUT/named"
cp "$SRC_DIR/tests/lab/example.zone" "$OUT/named/example.zone"
EXTRA_ZONES=""
case "$SCEN" in
acme_ttl) # the challenge tokens are cached for an hour by every resolver
	sed -i 's/^_acme-challenge.a.b.lab\t60 /_acme-challenge.a.b.lab\t3600 /' "$OUT/named/example.zone" ;;
acme_missing) # the challenge record was never published on this server
	sed -i '/^_acme-challenge/d' "$OUT/named/example.zone" ;;
servfail) # lab.example is configured but its file does not load: SERVFAIL
	printf 'this is not a zone file\n' >"$OUT/named/lab.zone"
	EXTRA_ZONES="zone \"lab.example\" { type primary; file \"$OUT/named/lab.zone\"; };" ;;
esac
cat >"$OUT/named/named.conf" <<EOF
options {
	directory "$OUT/named";
	pid-file "$OUT/named/named.pid";
	session-keyfile "$OUT/named/session.key";
	managed-keys-directory "$OUT/named";
	listen-on port 53 { $SERVER; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	allow-query { $ALLOW_QUERY };
	tcp-clients $TCP_CLIENTS;
	tcp-listen-queue 1024;
	$TCP_TIMEOUTS
	$MAX_UDP
	minimal-responses yes;
	$RATE_LIMIT
};
controls { };
zone "example" { type primary; file "$OUT/named/example.zone"; };
$EXTRA_ZONES
EOF

# started with ip netns exec directly (no shell function) so that $! is the
# server itself: ip execs it in place
ip netns exec "$NS" named -g -c "$OUT/named/named.conf" >"$OUT/named.log" 2>&1 &
NAMED_PID=$!
ok=0
for _ in $(seq 1 $READY_TRIES); do
	if in_ns dig +time=1 +tries=1 +short @"$SERVER" example SOA >/dev/null 2>&1 &&
		[ -n "$(in_ns dig +time=1 +tries=1 +short @"$SERVER" example SOA 2>/dev/null)" ]; then
		ok=1
		break
	fi
	kill -0 "$NAMED_PID" 2>/dev/null || break
	sleep 0.1
done
[ $ok = 1 ] || { echo "lab: named did not come up" >&2; cat "$OUT/named.log" >&2; exit 1; }

# --- the fault --------------------------------------------------------------
TO_SERVER="iifname \"lo\" ip daddr $SERVER"
in_ns nft add table inet "$TABLE"
in_ns nft add chain inet "$TABLE" input '{ type filter hook input priority 0; policy accept; }'
case "$SCEN" in
session_cap | session_cap_150)
	CAP=25
	[ "$SCEN" = session_cap_150 ] && CAP=150
	# per-client concurrent TCP cap: the SYN of connection CAP+1 is reset
	in_ns nft add set inet "$TABLE" sc '{ type ipv4_addr; flags dynamic; size 65535; }'
	in_ns nft add rule inet "$TABLE" input $TO_SERVER tcp dport 53 ct state new \
		add @sc "{ ip saddr ct count over $CAP }" reject with tcp reset
	;;
rate_limit)
	# per-client UDP rate limit: above 50 queries/s the excess is dropped
	in_ns nft add set inet "$TABLE" rl '{ type ipv4_addr; flags dynamic,timeout; timeout 10s; size 65535; }'
	in_ns nft add rule inet "$TABLE" input $TO_SERVER udp dport 53 \
		add @rl '{ ip saddr limit rate over 50/second burst 5 packets }' drop
	;;
region_silence)
	# geo-blocking: the ripe "region" (127.20.0.0/16) gets no answers at all
	in_ns nft add rule inet "$TABLE" input $TO_SERVER ip saddr 127.20.0.0/16 \
		meta l4proto '{ tcp, udp }' th dport 53 drop
	;;
tcp53_rejected)
	# TCP/53 reset for every validator prefix while UDP works
	in_ns nft add rule inet "$TABLE" input $TO_SERVER \
		ip saddr '{ 127.10.0.0/16, 127.20.0.0/16, 127.30.0.0/16 }' tcp dport 53 reject with tcp reset
	;;
tcp53_silent)
	# TCP/53 accepted, then its DNS dropped (a firewall's DNS inspection):
	# segments without data (the handshake, bare ACKs and FINs) pass, every
	# segment carrying data to port 53 from a validator prefix is dropped,
	# after the capture has seen it; UDP works
	in_ns nft add rule inet "$TABLE" input $TO_SERVER \
		ip saddr '{ 127.10.0.0/16, 127.20.0.0/16, 127.30.0.0/16 }' tcp dport 53 \
		ip length gt 64 drop
	;;
fragments)
	# a network on the way that drops IP fragments (after the capture has
	# seen them): the non-first fragments of answers to the validators
	# never arrive, before the kernel could reassemble them
	in_ns nft add chain inet "$TABLE" raw '{ type filter hook prerouting priority -500; policy accept; }'
	in_ns nft add rule inet "$TABLE" raw iifname lo ip saddr $SERVER \
		ip daddr '{ 127.10.0.0/16, 127.20.0.0/16, 127.30.0.0/16 }' ip frag-off '& 0x1fff != 0' drop
	;;
clean | refused | servfail | acme_ttl | acme_missing | rrl | rrl_netblock | tcp_clients) ;;
*)
	echo "lab: unknown scenario $SCEN" >&2
	exit 2
	;;
esac
in_ns nft list table inet "$TABLE" >"$OUT/nft.txt"

# --- capture ----------------------------------------------------------------
# non-first IPv4 fragments carry no ports: 'port 53' alone would drop them
rm -f "$OUT/lab.pcap"
ip netns exec "$NS" tcpdump -Z root --immediate-mode -B 65536 -i lo -U -s 8192 -w "$OUT/lab.pcap" 'port 53 or ip[6:2] & 0x1fff != 0' >"$OUT/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
ok=0
for _ in $(seq 1 $READY_TRIES); do
	grep -q "listening on" "$OUT/tcpdump.log" 2>/dev/null && { ok=1; break; }
	kill -0 "$TCPDUMP_PID" 2>/dev/null || break
	sleep 0.1
done
[ $ok = 1 ] || { echo "lab: tcpdump did not start" >&2; cat "$OUT/tcpdump.log" >&2; exit 1; }

# --- traffic ------------------------------------------------------------------
VS=(--server "$SERVER" --name a.b.lab.example --timeout-ms $VALSIM_TIMEOUT_MS
	--max-seconds $VALSIM_MAX_S --max-queries 20000 --group-size 3)
# --group-size 3: an attempt is one CA's three perspectives (SOURCES order),
# the CAs take turns
for s in "${SOURCES[@]}"; do VS+=(--source "$s"); done
case "$SCEN" in
session_cap | session_cap_150 | tcp_clients)
	# 40 or 170 connections at once from one source: on a busy CI machine
	# the server may take more than a second to answer them all
	CONNS=40
	[ "$SCEN" = session_cap_150 ] && CONNS=170
	ANSWER_TIMEOUT_MS=3000
	VS+=(--attempts 4 --tcp-conns $CONNS --tcp-sources 1 --tcp-hold-ms 3500 --timeout-ms 3000)
	;;
rate_limit) VS+=(--attempts 4 --burst-qps 100 --burst-seconds 4 --burst-sources 1) ;;
# a first second below the limit, answered, then 100 q/s, suppressed
rrl) VS+=(--attempts 4 --burst-first-qps 15 --burst-qps 100 --burst-seconds 5 --burst-sources 1) ;;
# three validator addresses of one /24, each below the limit, together above
# it: RRL counts the netblock (BIND's ipv4-prefix-length 24), not the address
rrl_netblock)
	VS+=(--attempts 4 --burst-first-qps 12 --burst-qps 20 --burst-seconds 5)
	for s in $NETBLOCK_SOURCES; do VS+=(--burst-source "$s"); done
	;;
# each TC=1 answer's TCP retry waits out valsim's timeout
tcp53_silent) VS+=(--attempts 6 --interval-ms 250) ;;
# a 4096-byte EDNS buffer, and after a timeout the question again at 1232
# bytes (a resolver's fallback): TC=1, then TCP
fragments) VS+=(--attempts 4 --interval-ms 250 --edns-size 4096 --udp-retry-edns 1232) ;;
*) VS+=(--attempts 10 --interval-ms 250) ;;
esac
in_ns "$VALSIM" "${VS[@]}" >"$OUT/valsim.json"
# tcp53_silent: the last session's close shows in the capture (the client's
# FIN rides on its data's retransmission, named's comes 2.5 s after the
# handshake)
if [ "$SCEN" = tcp53_silent ]; then sleep 2; fi
# let the capture see the last answers; then one query from a non-validator
# source moves the capture clock past the analyzer's answer timeout, so the
# last unanswered validator queries count as unanswered, not pending at end
sleep 1
ip netns exec "$NS" dig +time=1 +tries=1 -b 127.99.0.1 @"$SERVER" example SOA >/dev/null 2>&1 || true
sleep 0.3
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=""

# --- analysis -----------------------------------------------------------------
rm -f "$OUT/lab.db"
set +e
"$DCV" analyze --validators "$VALIDATORS" --db "$OUT/lab.db" --format json \
	--timeout-ms $ANSWER_TIMEOUT_MS --top 0 --no-progress "$OUT/lab.pcap" \
	>"$OUT/analyze.json" 2>"$OUT/analyze.err"
echo $? >"$OUT/analyze.rc"
"$DCV" rules --db "$OUT/lab.db" --format json >"$OUT/rules.json" 2>"$OUT/rules.err"
echo $? >"$OUT/rules.rc"
exit 0
