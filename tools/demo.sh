#!/usr/bin/env bash
# Sets everything up and runs the main job on built-in demo data: builds
# dcvscope, generates the demo capture (an authoritative server's traffic with
# CA validation queries, drops, REFUSED/SERVFAIL, TCP sessions and rejected
# SYNs) and analyzes it into demo/dcvscope.db.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
make -C build -j"$(nproc)" --no-print-directory dcvscope dcvscope-gen >/dev/null
mkdir -p demo
build/tools/dcvscope-gen demo -o demo/demo.pcap
rm -f demo/dcvscope.db
build/tools/dcvscope analyze --db demo/dcvscope.db "$@" demo/demo.pcap
