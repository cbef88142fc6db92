#!/bin/sh
# dnssec_lab.sh - records the DNSSEC/CAA/EDNS lab capture and analyzes it.
#
#   dnssec_lab.sh DCVSCOPE VALIDATORS_TSV WORKDIR
#
# Serves five zones with a real Knot DNS on 127.0.0.1 (a port derived from
# the PID, so concurrent runs do not collide) and a fake server that drops
# OPT (python3, stdlib) on the next port, queries them with kdig from a
# validator address of VALIDATORS_TSV (127.10.1.10 = letsencrypt), captures
# with tcpdump on lo, then runs `dcvscope analyze --db WORKDIR/lab.db
# --format json` into WORKDIR/analyze.json. Zones:
#   good.test     signed, valid for decades         -> SECURE, no finding
#   expired.test  signed, expired in 2020           -> DNSSEC_BOGUS
#   soon.test     signed, expires in two days       -> DNSSEC_EXPIRING
#   stripped.test unsigned but publishes a DNSKEY   -> DNSSEC_RRSIG_MISSING
#   caa.test      CAA 0 issue "digicert.com"        -> CAA_DENIES_CA letsencrypt
# Every process is stopped by its PID on exit; WORKDIR is the caller's.
set -eu
DCVSCOPE=$1
VALIDATORS=$2
W=$3
PORT=$((20000 + $$ % 20000))
FAKE=$((PORT + 1))
VALIDATOR=127.10.1.10
KNOT_PID= TCPDUMP_PID= FAKE_PID=
cleanup() {
	for p in $KNOT_PID $FAKE_PID $TCPDUMP_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $KNOT_PID $FAKE_PID $TCPDUMP_PID; do
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM
cd "$W"

zone() { # name -> unsigned zone file on stdout
	cat <<EOF
\$ORIGIN $1.
\$TTL 300
@ SOA ns.$1. hostmaster.$1. 1 3600 900 604800 300
@ NS ns.$1.
ns A 127.0.0.1
@ A 192.0.2.10
www A 192.0.2.11
EOF
}

sign() { # name inception expiration
	k=$(ldns-keygen -a ECDSAP256SHA256 -k "$1")
	zone "$1" >"$1.zone"
	ldns-signzone -i "$2" -e "$3" -f "$1.zone.signed" "$1.zone" "$k"
	rm -f "$k.private" "$k.ds"
	mv "$k.key" "$1.key"
}

now=$(date -u +%s)
sign good.test 20200101000000 20370101000000
sign expired.test 20200101000000 20200201000000
sign soon.test "$(date -u -d @$((now - 86400)) +%Y%m%d%H%M%S)" \
	"$(date -u -d @$((now + 2 * 86400)) +%Y%m%d%H%M%S)"
k=$(ldns-keygen -a ECDSAP256SHA256 -k stripped.test)
{ zone stripped.test; cat "$k.key"; } >stripped.test.zone.signed
rm -f "$k.private" "$k.ds" "$k.key"
{ zone caa.test; echo '@ CAA 0 issue "digicert.com"'; } >caa.test.zone.signed

cat >knot.conf <<EOF
server:
    listen: 127.0.0.1@$PORT
    rundir: $W
database:
    storage: $W
template:
  - id: default
    storage: $W
    semantic-checks: off
zone:
  - domain: good.test
    file: good.test.zone.signed
  - domain: expired.test
    file: expired.test.zone.signed
  - domain: soon.test
    file: soon.test.zone.signed
  - domain: stripped.test
    file: stripped.test.zone.signed
  - domain: caa.test
    file: caa.test.zone.signed
EOF

# a server that answers A queries without OPT, whatever the query had
cat >fake.py <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    i = 12
    while i < len(q) and q[i] != 0:
        i += q[i] + 1
    question = q[12:i + 5]
    hdr = q[:2] + struct.pack(">HHHHH", 0x8400, 1, 1, 0, 0)
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 99])
    s.sendto(hdr + question + rr, peer)
EOF

tcpdump -i lo -U --immediate-mode -n -w lab.pcap "udp and (port $PORT or port $FAKE)" 2>tcpdump.err &
TCPDUMP_PID=$!
knotd -c knot.conf >knot.log 2>&1 &
KNOT_PID=$!
python3 fake.py "$FAKE" &
FAKE_PID=$!
i=0
until kdig @127.0.0.1 -p "$PORT" +short +timeout=1 +retry=0 good.test SOA >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat knot.log >&2; exit 1; }
	sleep 0.1
done
i=0
until kdig @127.0.0.1 -p "$FAKE" +timeout=1 +retry=0 ready.example A >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || exit 1
	sleep 0.1
done
i=0
until grep -q listening tcpdump.err; do
	i=$((i + 1))
	[ $i -lt 50 ] || exit 1
	sleep 0.1
done

kdig @127.0.0.1 -p "$FAKE" +edns +timeout=2 +retry=0 plain.example A >/dev/null
kdig @127.0.0.1 -p "$FAKE" +edns +timeout=2 +retry=0 www.plain.example A >/dev/null
q() { kdig -b "$VALIDATOR" @127.0.0.1 -p "$PORT" +timeout=2 +retry=0 "$@" >/dev/null; }
for z in good expired soon stripped; do
	q +dnssec "$z.test" DNSKEY
	q +dnssec "$z.test" A
	q +dnssec "www.$z.test" A
done
q +dnssec nothere.good.test A
q caa.test CAA
sleep 0.5
kill "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null || true
TCPDUMP_PID=

"$DCVSCOPE" analyze --no-progress --db lab.db --format json --port "$PORT" --port "$FAKE" \
	--validators "$VALIDATORS" lab.pcap >analyze.json
