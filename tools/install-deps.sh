#!/usr/bin/env bash
# Installs every Debian package dcvscope needs to build, test, fuzz and
# benchmark. Idempotent: when everything is present it changes nothing.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev
  libpcap-dev libsqlite3-dev libldns-dev libjansson-dev libbpf-dev libelf-dev zlib1g-dev
  bpftool libmaxminddb-dev libinih-dev libcurl4-openssl-dev
  # dnstap input: Frame Streams and protobuf-c (protoc-c generates the decoder)
  libfstrm-dev libprotobuf-c-dev protobuf-c-compiler
  # tests
  libcriterion-dev tshark tcpdump sqlite3 iproute2 time python3
  # live capture tests: a real authoritative server and clients in network namespaces
  knot knot-dnsutils bind9 bind9-dnsutils iputils-ping nftables
  # dnstap end to end: Knot's dnstap module writes the log
  knot-module-dnstap
  # DNSSEC lab: zone keys and signing (ldns-keygen, ldns-signzone)
  ldnsutils
  # the HTML report in a real browser (tests/e2e/test_report_browser.c)
  chromium
  # fleet shipping tests: a real ClickHouse server (and curl to query it)
  clickhouse-server curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
