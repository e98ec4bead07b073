#!/bin/sh
# Records the comparison fixtures with the real CLI against loopback servers (nothing leaves
# 127.0.0.1):   tests/data/runs/record.sh [path/to/nestscope]
#   before.json  http-service down, http-slow slow (1.5 s), http-legacy up
#   after.json   http-service up,   http-slow fast,         http-legacy down
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nestscope=${1:-$here/../../../build/ci/app/nestscope}
plan=$here/../plans/before-after.yaml
pids=""
serve() { python3 "$here/loopbackhttpd.py" "$1" "$2" & pids="$pids $!"; }
stop() { [ -z "$pids" ] || kill $pids 2>/dev/null || true; wait 2>/dev/null || true; pids=""; }
trap stop EXIT

serve 18432 1.5
serve 18433 0
sleep 1
"$nestscope" run --local --plan "$plan" --json "$here/before.json" --quiet || true
stop

serve 18431 0
serve 18432 0
sleep 1
"$nestscope" run --local --plan "$plan" --json "$here/after.json" --quiet || true
stop
