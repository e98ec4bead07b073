#!/bin/sh
# Records two runs of the built-in "Nested VM network" plan on the lab with the real CLI, as a
# user investigating the ipv6-only failure would: before the fix (scenario ipv6-only: the bridge
# has no IPv4 and the runner no IPv6 path out) and after it (scenario healthy). Every endpoint is
# in the lab's own lab.test zone; nothing leaves the lab. Needs root and the lab:
#   sudo tests/lab/lab up && sudo tests/data/runs/record-lab.sh [path/to/nestscope]
# Writes lab-ipv6-only.json and lab-healthy.json beside this script, and leaves the lab healthy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../../lab/lab
nestscope=${1:-$here/../../../build/ci/app/nestscope}
record() {
  "$lab" scenario "$1" >/dev/null
  "$nestscope" run --host nestscope-lab --ssh-config "$("$lab" ssh-config --path)" \
    --plan builtin:nested-vm-network \
    --var dns_name=www.lab.test --var web_host=www.lab.test --var http_url=http://www.lab.test/ \
    --var https_url=https://www.lab.test/ --var ping_host=www.lab.test \
    --var registry_url=https://registry.lab.test/v2/ --var bulk_base=https://www.lab.test/bytes/ \
    --json "$here/lab-$1.json" --quiet || true
}
trap '"$lab" scenario healthy >/dev/null' EXIT
record ipv6-only
record healthy
