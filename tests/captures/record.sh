#!/usr/bin/env bash
# record.sh - record the real-capture corpus used by tests/e2e/test_tshark_parity.c.
#
# Real authoritative servers (nsd, knot, bind9) answer real clients (dig,
# kdig, drill, nsupdate, dnsperf) across a veth pair between two network
# namespaces that this script creates; tcpdump and dumpcap record the traffic.
# Nothing in the captures is produced by dcvscope's own packet generator.
#
# Usage: sudo tests/captures/record.sh [OUTDIR]     (default: this folder)
# Needs root and the Debian packages: nsd knot bind9 bind9-dnsutils
# knot-dnsutils ldnsutils dnsperf nftables iproute2 tcpdump tshark clang
# libbpf-dev (clang + libbpf headers only for the VLAN tagging programs).
#
# Every namespace and process started here is removed on exit, also on
# failure (trap). Every client call is bounded in time (timeout) and every
# loop in count. Addresses come from the documentation ranges (RFC 5737
# 192.0.2.0/24, RFC 3849 2001:db8::/32) and exist only inside the namespaces.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "${1:-$HERE}" && pwd)
WORK=$(mktemp -d /tmp/dcv-record.XXXXXX)
NS_SRV="dcvrec-srv-$$"
NS_CLI="dcvrec-cli-$$"
PIDS=()        # every background process started here, killed by PID on exit
CAPTURE_PID="" # the capture running now, if any

# Server addresses: one per server so that all three listen on port 53.
NSD4=192.0.2.1 KNOT4=192.0.2.2 BIND4=192.0.2.3
NSD6=2001:db8::1 KNOT6=2001:db8::2 BIND6=2001:db8::3
# Client addresses, each with its own fate in the server's firewall.
CLI4=192.0.2.100     # answered
DROP4=192.0.2.101    # every UDP query dropped: unanswered
RST4=192.0.2.102     # TCP/53 refused with RST
SYNDROP4=192.0.2.103 # TCP/53 SYNs dropped
LOSSY4=192.0.2.104   # every third segment from the server lost on the way
CLI6=2001:db8::100
RST6=2001:db8::102

log() { printf 'record: %s\n' "$*" >&2; }

cleanup() {
	local rc=$?
	set +e
	if [ -n "$CAPTURE_PID" ]; then kill -INT "$CAPTURE_PID" 2>/dev/null; fi
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	ip netns del "$NS_SRV" 2>/dev/null
	ip netns del "$NS_CLI" 2>/dev/null
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT INT TERM

srv() { ip netns exec "$NS_SRV" "$@"; }
cli() { ip netns exec "$NS_CLI" timeout 20 "$@"; }
# q: client call whose failure (timeout, no answer) is part of the scenario.
q() { cli "$@" >/dev/null 2>&1 || true; }

# ---------------------------------------------------------------- network
setup_network() {
	ip netns add "$NS_SRV"
	ip netns add "$NS_CLI"
	ip link add s0 netns "$NS_SRV" type veth peer name c0 netns "$NS_CLI"
	local ns
	for ns in "$NS_SRV" "$NS_CLI"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_SRV" link set s0 address 02:00:00:00:00:01 up
	ip -n "$NS_CLI" link set c0 address 02:00:00:00:00:64 up
	local a
	for a in $NSD4 $KNOT4 $BIND4; do ip -n "$NS_SRV" addr add "$a/24" dev s0; done
	for a in $NSD6 $KNOT6 $BIND6; do ip -n "$NS_SRV" addr add "$a/64" dev s0 nodad; done
	for a in $CLI4 $DROP4 $RST4 $SYNDROP4 $LOSSY4; do ip -n "$NS_CLI" addr add "$a/24" dev c0; done
	for a in $CLI6 $RST6; do ip -n "$NS_CLI" addr add "$a/64" dev c0 nodad; done

	# Server firewall: the fates of the client addresses above, and every
	# UDP query whose first label is "drop" (4 'd' 'r' 'o' 'p' right after
	# the 8-byte UDP header and the 12-byte DNS header) is dropped.
	srv nft -f - <<EOF
table inet dcvrec {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $DROP4 udp dport 53 drop
		udp dport 53 @th,160,40 0x0464726f70 drop
		ip saddr $RST4 tcp dport 53 reject with tcp reset
		ip6 saddr $RST6 tcp dport 53 reject with tcp reset
		ip saddr $SYNDROP4 tcp dport 53 drop
	}
}
EOF
	# Client firewall: every third segment the server sends to LOSSY4 is
	# lost after the server-side capture point, so the server retransmits
	# (TCP) and the client retries (UDP, same query ID).
	cli nft -f - <<EOF
table inet dcvrec {
	chain input {
		type filter hook input priority 0; policy accept;
		ip daddr $LOSSY4 tcp sport 53 numgen inc mod 3 == 1 drop
		ip daddr $LOSSY4 udp sport 53 numgen inc mod 3 == 1 drop
	}
}
EOF
}

# VLAN tagging on the link: none, dot1q (VID 100) or qinq (S 200 / C 100).
set_tagging() {
	local mode=$1 ns dev
	for ns in "$NS_SRV" "$NS_CLI"; do
		dev=s0
		[ "$ns" = "$NS_CLI" ] && dev=c0
		ip netns exec "$ns" tc qdisc del dev "$dev" clsact 2>/dev/null || true
		[ "$mode" = none ] && continue
		ip netns exec "$ns" tc qdisc add dev "$dev" clsact
		if [ "$mode" = dot1q ]; then
			ip netns exec "$ns" tc filter add dev "$dev" egress bpf da obj "$WORK/vlan_tag.bpf.o" sec tc program push_dot1q
			ip netns exec "$ns" tc filter add dev "$dev" ingress bpf da obj "$WORK/vlan_tag.bpf.o" sec tc program pop_one
		else
			ip netns exec "$ns" tc filter add dev "$dev" egress bpf da obj "$WORK/vlan_tag.bpf.o" sec tc program push_qinq
			ip netns exec "$ns" tc filter add dev "$dev" ingress bpf da obj "$WORK/vlan_tag.bpf.o" sec tc program pop_two
		fi
	done
}

# ---------------------------------------------------------------- zones
# big_txt NAME: a TXT RRset of 14 strings of 200 bytes (~2.9 KB), so that a
# UDP answer with EDNS 4096 is larger than the 1500-byte MTU and fragments.
# (The servers' own UDP limits default to 1232 and are raised to 4096 below.)
big_txt() {
	local name=$1 i s
	s=$(printf 'v=dcvscope-corpus-padding-%0174d' 0)
	for i in $(seq -w 1 14); do
		printf '%s TXT "%s-%s"\n' "$name" "$i" "${s:0:195}"
	done
}

write_zones() {
	mkdir -p "$WORK/nsd" "$WORK/knot" "$WORK/bind"
	cat >"$WORK/nsd/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@ SOA ns1 hostmaster 2024010101 3600 900 604800 300
@ NS ns1
@ MX 10 mail
@ CAA 0 issue "letsencrypt.org"
ns1 A $NSD4
ns1 AAAA $NSD6
www A 192.0.2.80
www AAAA 2001:db8::80
mail A 192.0.2.25
alias CNAME www
_acme-challenge TXT "dcv-token-4f1c2a"
$(big_txt big)
EOF
	cat >"$WORK/nsd/signed.test.zone" <<EOF
\$ORIGIN signed.test.
\$TTL 300
@ SOA ns1 hostmaster 2024010101 3600 900 604800 300
@ NS ns1
@ CAA 0 issue "letsencrypt.org"
ns1 A $NSD4
www A 192.0.2.81
_acme-challenge TXT "dcv-token-signed"
$(big_txt big)
EOF
	# DNSSEC: RSA keys (large DNSKEY answers), NSEC chain.
	(
		cd "$WORK/nsd"
		ksk=$(ldns-keygen -a RSASHA256 -b 2048 -k signed.test)
		zsk=$(ldns-keygen -a RSASHA256 -b 1024 signed.test)
		ldns-signzone -e 20990101000000 signed.test.zone "$zsk" "$ksk"
	)

	cat >"$WORK/nsd/nsd.conf" <<EOF
server:
	ip-address: $NSD4
	ip-address: $NSD6
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$WORK/nsd"
	pidfile: "$WORK/nsd/nsd.pid"
	database: ""
	xfrdfile: "$WORK/nsd/xfrd.state"
	xfrdir: "$WORK/nsd"
	zonelistfile: "$WORK/nsd/zone.list"
	logfile: "$WORK/nsd/nsd.log"
	server-count: 1
	answer-cookie: yes
	ipv4-edns-size: 4096
	ipv6-edns-size: 4096
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: example.test
	zonefile: example.test.zone
zone:
	name: signed.test
	zonefile: signed.test.zone.signed
EOF

	# knot: automatic signing (default policy: ECDSA P-256, NSEC).
	cat >"$WORK/knot/knot.test.zone" <<EOF
\$ORIGIN knot.test.
\$TTL 300
@ SOA ns1 hostmaster 2024010101 3600 900 604800 300
@ NS ns1
@ CAA 0 issue "letsencrypt.org"
ns1 A $KNOT4
ns1 AAAA $KNOT6
www A 192.0.2.82
www AAAA 2001:db8::82
_acme-challenge TXT "dcv-token-knot"
$(big_txt big)
EOF
	cat >"$WORK/knot/knot.conf" <<EOF
server:
    rundir: "$WORK/knot"
    listen: [ $KNOT4@53, $KNOT6@53 ]
    udp-max-payload: 4096
log:
  - target: stderr
    any: info
database:
    storage: "$WORK/knot"
template:
  - id: default
    storage: "$WORK/knot"
zone:
  - domain: knot.test
    file: knot.test.zone
    dnssec-signing: on
EOF

	# bind9: one good zone and one that fails to load (-> SERVFAIL).
	cat >"$WORK/bind/bind.test.zone" <<EOF
\$ORIGIN bind.test.
\$TTL 300
@ SOA ns1 hostmaster 2024010101 3600 900 604800 300
@ NS ns1
@ CAA 0 issue "letsencrypt.org"
ns1 A $BIND4
www A 192.0.2.83
_acme-challenge TXT "dcv-token-bind"
EOF
	cat >"$WORK/bind/broken.test.zone" <<EOF
\$ORIGIN broken.test.
\$TTL 300
@ SOA ns1 hostmaster 2024010101 3600 900 604800 300
; no NS record and a record out of zone: named refuses to load this zone
www.elsewhere.example. A 192.0.2.84
EOF
	cat >"$WORK/bind/named.conf" <<EOF
options {
	directory "$WORK/bind";
	pid-file "$WORK/bind/named.pid";
	session-keyfile "$WORK/bind/session.key";
	managed-keys-directory "$WORK/bind";
	listen-on port 53 { $BIND4; };
	listen-on-v6 port 53 { $BIND6; };
	recursion no;
	dnssec-validation no;
	allow-query { any; };
	edns-udp-size 4096;
	max-udp-size 4096;
};
zone "bind.test" { type primary; file "bind.test.zone"; };
zone "broken.test" { type primary; file "broken.test.zone"; };
EOF
}

# ---------------------------------------------------------------- servers
start_bg() { # start_bg LOGFILE CMD... : run in the server namespace, remember the PID
	local logf=$1
	shift
	ip netns exec "$NS_SRV" "$@" >"$logf" 2>&1 &
	PIDS+=($!)
}

wait_answer() { # wait_answer ADDR ZONE: up to 10 s for the server to answer SOA
	local i
	for i in $(seq 1 50); do
		if ip netns exec "$NS_CLI" dig @"$1" "$2" SOA +time=1 +tries=1 +short >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	log "server $1 did not answer for $2"
	return 1
}

start_servers() {
	start_bg "$WORK/nsd/stderr" nsd -d -c "$WORK/nsd/nsd.conf"
	start_bg "$WORK/knot/stderr" knotd -c "$WORK/knot/knot.conf"
	start_bg "$WORK/bind/stderr" named -g -n 1 -c "$WORK/bind/named.conf"
	wait_answer $NSD4 example.test
	wait_answer $NSD4 signed.test
	wait_answer $KNOT4 knot.test
	wait_answer $BIND4 bind.test
	# knot signs in the background: wait (bounded) for the DNSKEY.
	local i
	for i in $(seq 1 50); do
		ip netns exec "$NS_CLI" dig @$KNOT4 knot.test DNSKEY +short +time=1 +tries=1 | grep -q . && break
		sleep 0.2
	done
}

# ---------------------------------------------------------------- capture
capture_start() { # capture_start FILE CMD...: the capture tool writes FILE
	local file=$1 i
	shift
	rm -f "$file"
	ip netns exec "$NS_SRV" "$@" >"$WORK/capture.log" 2>&1 &
	CAPTURE_PID=$!
	for i in $(seq 1 50); do
		grep -qiE 'listening on|capturing on' "$WORK/capture.log" && break
		sleep 0.1
	done
	sleep 0.5
}

capture_stop() {
	sleep 1 # let the last answers and FINs arrive
	kill -INT "$CAPTURE_PID"
	wait "$CAPTURE_PID" || true
	CAPTURE_PID=""
	cat "$WORK/capture.log" >&2
}

# ---------------------------------------------------------------- clients
D="+time=1 +tries=1"

dnsperf_names() { # dnsperf_names ZONE ROUNDS: 5 queries a round, one NXDOMAIN
	local z=$1 i
	for i in $(seq 1 "$2"); do
		printf 'www.%s A\n_acme-challenge.%s TXT\n%s CAA\nnx%d.%s A\n%s SOA\n' "$z" "$z" "$z" "$i" "$z" "$z"
	done
}

clients_nsd() {
	# UDP, IPv4: NOERROR of several types, NXDOMAIN, REFUSED, CNAME.
	q dig @$NSD4 -b $CLI4 $D www.example.test A www.example.test AAAA example.test MX \
		example.test CAA _acme-challenge.example.test TXT alias.example.test A \
		nonexistent.example.test A www.not-served.test A
	# IPv6, with and without cookies.
	q dig @$NSD6 -b $CLI6 $D www.example.test AAAA nx.example.test TXT +nocookie
	q kdig @$NSD6 -b $CLI6 +cookie +timeout=1 +retry=0 example.test SOA
	q drill -6 @$NSD6 example.test NS
	# DNSSEC: DO bit, NSEC proof of non-existence, large DNSKEY.
	q dig @$NSD4 -b $CLI4 $D +dnssec signed.test DNSKEY nope.signed.test A www.signed.test A
	q drill -D @$NSD4 signed.test SOA
	# Fragmented UDP answers (EDNS 4096), IPv4 and IPv6.
	q dig @$NSD4 -b $CLI4 $D +bufsize=4096 big.example.test TXT
	q dig @$NSD6 -b $CLI6 $D +bufsize=4096 +dnssec big.signed.test TXT
	# Truncated answer (TC) at 1232, then retried over TCP by dig.
	q dig @$NSD4 -b $CLI4 $D +bufsize=1232 big.example.test TXT
	# TCP: one query per connection, and several on one connection.
	q dig @$NSD4 -b $CLI4 $D +tcp www.example.test A
	q dig @$NSD6 -b $CLI6 $D +tcp +dnssec signed.test DNSKEY
	q kdig @$NSD4 -b $CLI4 +tcp +keepopen +timeout=1 +retry=0 www.example.test A \
		mail.example.test A nx2.example.test A example.test CAA big.example.test TXT
	# Unusual: EDNS version 1 (BADVERS), opcode IQUERY/STATUS (NOTIMP),
	# no question (FORMERR), dynamic UPDATE (NOTIMP or REFUSED).
	q dig @$NSD4 -b $CLI4 $D +edns=1 +noednsneg www.example.test A
	q dig @$NSD4 -b $CLI4 $D +opcode=1 www.example.test A
	q dig @$NSD4 -b $CLI4 $D +opcode=2 www.example.test A
	q dig @$NSD4 -b $CLI4 $D +header-only www.example.test A
	printf 'server %s\nzone example.test\nupdate add new.example.test 300 A 192.0.2.9\nsend\n' $NSD4 |
		q nsupdate -t 2 -u 1 -r 0
	# Unanswered: dropped by name and by source.
	q dig @$NSD4 -b $CLI4 $D drop.example.test A
	q dig @$NSD6 -b $CLI6 $D drop.example.test AAAA
	q dig @$NSD4 -b $DROP4 $D www.example.test A example.test CAA
	# Lossy path: retransmitted TCP segments, retried UDP queries.
	q dig @$NSD4 -b $LOSSY4 +time=1 +tries=2 www.example.test A mail.example.test A example.test MX
	q kdig @$NSD4 -b $LOSSY4 +tcp +keepopen +timeout=3 +retry=0 www.example.test A \
		mail.example.test A example.test CAA
}

clients_knot() {
	q dig @$KNOT4 -b $CLI4 $D +dnssec knot.test DNSKEY knot.test SOA nx.knot.test A www.knot.test A
	q kdig @$KNOT6 -b $CLI6 +dnssec +cookie +timeout=1 +retry=0 www.knot.test AAAA
	q kdig @$KNOT4 -b $CLI4 +bufsize=4096 +timeout=1 +retry=0 big.knot.test TXT
	q kdig @$KNOT6 -b $CLI6 +bufsize=4096 +dnssec +timeout=1 +retry=0 big.knot.test TXT
	q drill -D @$KNOT4 www.knot.test A
	q drill -t @$KNOT4 knot.test CAA
	q kdig @$KNOT4 -b $CLI4 +tcp +keepopen +timeout=1 +retry=0 knot.test SOA www.knot.test A \
		_acme-challenge.knot.test TXT nx1.knot.test A out.of.zone.test A
	q dig @$KNOT4 -b $CLI4 $D +edns=1 +noednsneg www.knot.test A
	q dig @$KNOT4 -b $CLI4 $D +header-only www.knot.test A
	q dig @$KNOT4 -b $CLI4 $D +opcode=4 knot.test SOA
	printf 'server %s\nzone knot.test\nupdate add new.knot.test 300 A 192.0.2.9\nsend\n' $KNOT4 |
		q nsupdate -t 2 -u 1 -r 0
	# TCP/53 rejected with RST, IPv4 and IPv6.
	q dig @$KNOT4 -b $RST4 $D +tcp www.knot.test A
	q kdig @$KNOT6 -b $RST6 +tcp +timeout=1 +retry=0 www.knot.test AAAA
	# A short dnsperf burst over UDP (50 queries).
	dnsperf_names knot.test 10 >"$WORK/knot-queries.txt"
	q dnsperf -s $KNOT4 -a $CLI4 -d "$WORK/knot-queries.txt" -n 1 -c 1 -Q 200 -l 5
}

clients_bind() {
	q dig @$BIND4 -b $CLI4 $D www.bind.test A bind.test CAA www.broken.test A broken.test SOA \
		www.example.test A nx.bind.test A
	q dig @$BIND6 -b $CLI6 $D www.broken.test AAAA _acme-challenge.bind.test TXT
	q dig @$BIND4 -b $CLI4 $D +edns=1 +noednsneg www.bind.test A
	q dig @$BIND4 -b $CLI4 $D +cookie=0102 www.bind.test A
	q dig @$BIND4 -b $CLI4 $D +opcode=2 www.bind.test A
	q dig @$BIND4 -b $CLI4 $D +header-only www.bind.test A
	printf 'server %s\nzone bind.test\nupdate add new.bind.test 300 A 192.0.2.9\nsend\n' $BIND4 |
		q nsupdate -t 2 -u 1 -r 0
	q kdig @$BIND4 -b $CLI4 +tcp +keepopen +timeout=1 +retry=0 www.bind.test A \
		www.broken.test A nx.bind.test A
	q drill -6 -t @$BIND6 bind.test SOA
	# TCP SYNs dropped: the query never leaves the client.
	q dig @$BIND4 -b $SYNDROP4 +time=2 +tries=1 +tcp www.bind.test A
	q dig @$BIND4 -b $CLI4 $D drop.bind.test A
}

clients_pipelined() {
	# dnsperf over TCP keeps up to 10 queries outstanding on one connection,
	# so several DNS messages share a TCP segment.
	dnsperf_names example.test 10 >"$WORK/nsd-queries.txt"
	q dnsperf -m tcp -s $NSD4 -a $CLI4 -d "$WORK/nsd-queries.txt" -n 1 -c 1 -q 10 -l 5
	dnsperf_names knot.test 4 >"$WORK/knot-queries20.txt"
	q dnsperf -m tcp -s $KNOT6 -a $CLI6 -d "$WORK/knot-queries20.txt" -n 1 -c 1 -q 10 -l 5
	q dig @$BIND4 -b $CLI4 $D +tcp +keepalive www.bind.test A
	q kdig @$NSD6 -b $CLI6 +tcp +keepopen +timeout=1 +retry=0 +dnssec signed.test DNSKEY \
		big.signed.test TXT www.signed.test A
	q dig @$NSD4 -b $LOSSY4 +time=1 +tries=2 +tcp big.example.test TXT
	q dig @$KNOT4 -b $RST4 $D +tcp knot.test SOA
	q dig @$BIND4 -b $CLI4 $D www.broken.test A
}

clients_vlan() {
	q dig @$NSD4 -b $CLI4 $D www.example.test A nx.example.test A www.not-served.test A
	q dig @$NSD6 -b $CLI6 $D +bufsize=4096 big.example.test TXT
	q dig @$KNOT4 -b $CLI4 $D +bufsize=4096 +dnssec big.knot.test TXT
	q kdig @$KNOT4 -b $CLI4 +tcp +keepopen +timeout=1 +retry=0 www.knot.test A knot.test SOA
	q dig @$BIND4 -b $CLI4 $D www.broken.test A bind.test SOA
	q dig @$NSD4 -b $CLI4 $D drop.example.test A
	q dig @$KNOT4 -b $RST4 $D +tcp www.knot.test A
}

# ---------------------------------------------------------------- main
main() {
	[ "$(id -u)" = 0 ] || {
		log "needs root (network namespaces)"
		exit 1
	}
	clang -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" \
		-c "$HERE/vlan_tag.bpf.c" -o "$WORK/vlan_tag.bpf.o"
	setup_network
	write_zones
	start_servers
	local snap="-s 0 -U --immediate-mode -n"

	log "nsd over Ethernet (pcap)"
	capture_start "$OUT/nsd-ether.pcap" tcpdump $snap -i s0 -w "$OUT/nsd-ether.pcap"
	clients_nsd
	capture_stop

	log "knot, Linux cooked v1 (tcpdump -i any)"
	capture_start "$OUT/knot-sll.pcap" tcpdump $snap -i any -y LINUX_SLL -w "$OUT/knot-sll.pcap"
	clients_knot
	capture_stop

	log "bind9, Linux cooked v2 (tcpdump -i any -y LINUX_SLL2)"
	capture_start "$OUT/bind-sll2.pcap" tcpdump $snap -i any -y LINUX_SLL2 -w "$OUT/bind-sll2.pcap"
	clients_bind
	capture_stop

	log "TCP pipelining, resets and retransmissions (dumpcap pcapng)"
	capture_start "$OUT/tcp-pipelined.pcapng" dumpcap -q -i s0 -w "$OUT/tcp-pipelined.pcapng"
	clients_pipelined
	capture_stop

	log "802.1Q VID 100 (pcap)"
	set_tagging dot1q
	capture_start "$OUT/vlan-dot1q.pcap" tcpdump $snap -i s0 -w "$OUT/vlan-dot1q.pcap"
	clients_vlan
	capture_stop

	log "QinQ 802.1ad 200 / 802.1Q 100 (dumpcap pcapng)"
	set_tagging qinq
	capture_start "$OUT/vlan-qinq.pcapng" dumpcap -q -i s0 -w "$OUT/vlan-qinq.pcapng"
	clients_vlan
	capture_stop
	set_tagging none

	chmod 0644 "$OUT"/*.pcap "$OUT"/*.pcapng
	ls -l "$OUT"/*.pcap "$OUT"/*.pcapng >&2
}

main "$@"
