#!/usr/bin/env bash
# Sets everything up and runs the main job on built-in demo data: builds
# dcvscope, generates the demo capture (an authoritative server's traffic with
# CA validation queries, drops, REFUSED/SERVFAIL, TCP sessions and rejected
# SYNs), analyzes it into demo/dcvscope.db and writes the nightly report of it
# to demo/report.html (one self-contained page).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
make -C build -j"$(nproc)" --no-print-directory dcvscope dcvscope-gen >/dev/null
mkdir -p demo
build/tools/dcvscope-gen demo -o demo/demo.pcap
rm -f demo/dcvscope.db
build/tools/dcvscope analyze --db demo/dcvscope.db "$@" demo/demo.pcap
build/tools/dcvscope report --db demo/dcvscope.db --format html -o demo/report.html
echo "nightly report of the demo: demo/report.html (dcvscope report --db demo/dcvscope.db)"
