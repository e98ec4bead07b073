#!/bin/sh
# Records one run of the built-in "Nested VM network" plan in every lab scenario, with the real
# CLI over SSH, each with the topology snapshot it met: the recordings the diagnosis tests read.
# Every endpoint is in the lab's own lab.test zone; nothing leaves the lab. Needs root and the lab:
#   sudo tests/lab/lab up && sudo tests/data/runs/record-scenarios.sh [path/to/nestscope] [SCENARIO...]
# Writes scenarios/<scenario>.json beside this script and leaves the lab healthy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../../lab/lab
nestscope=${1:-$here/../../../build/ci/app/nestscope}
[ $# -gt 0 ] && shift
mkdir -p "$here/scenarios"
trap '"$lab" scenario healthy >/dev/null' EXIT
for s in ${*:-$("$lab" scenarios)}; do
  "$lab" scenario "$s" >/dev/null
  "$nestscope" run --host nestscope-lab --ssh-config "$("$lab" ssh-config --path)" \
    --plan builtin:nested-vm-network \
    --var dns_name=www.lab.test --var web_host=www.lab.test --var http_url=http://www.lab.test/ \
    --var https_url=https://www.lab.test/ --var ping_host=www.lab.test \
    --var registry_url=https://registry.lab.test/v2/ --var bulk_base=https://www.lab.test/bytes/ \
    --json "$here/scenarios/$s.json" --quiet || true
  echo "recorded $s"
done
