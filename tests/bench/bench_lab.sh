#!/usr/bin/env bash
# bench_lab: how long the lab takes to come up and to switch scenarios (tests/lab/README.md).
#
#   sudo bash tests/bench/bench_lab.sh [ROUNDS]        (default 3 rounds of every switch)
#
# Baseline, measured in the same run: rebuilding the lab from nothing (`down` then `up`), which
# is what a switch spares. Prints each switch's min/median/max over the rounds, its ratio to
# the rebuild, and whether it meets the 5 s target (and `up` its 60 s one). Leaves the lab up,
# scenario healthy. Not root: says so and exits 0 (the `bench` target runs it with the others).
set -uo pipefail
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")/../lab" && pwd)/lab
ROUNDS=${1:-3}
if [[ $(id -u) -ne 0 ]]; then
  echo "bench_lab: skipped: the lab needs root (sudo bash tests/bench/bench_lab.sh)"; exit 0
fi
command -v lxd >/dev/null 2>&1 || { echo "bench_lab: skipped: lxd is not installed (packaging/install-deps.sh)"; exit 0; }

now() { date +%s%N; }
seconds() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
run_timed() {  # run_timed COMMAND...: prints nanoseconds; fails when the command does
  local s e; s=$(now); "$@" >/dev/null 2>&1 || return 1; e=$(now); echo $((e - s))
}
stats() {  # stats NS...: "min median max" in seconds
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f %.3f %.3f", v[1] / 1e9, v[int((NR + 1) / 2)] / 1e9, v[NR] / 1e9 }'
}

"$LAB" down >/dev/null 2>&1
rebuild=$(run_timed "$LAB" up --scenario healthy) || { echo "bench_lab: lab up failed: run it by hand to see why"; exit 1; }
again=$(run_timed "$LAB" up) || { echo "bench_lab: second up failed"; exit 1; }
echo "bench_lab: $ROUNDS rounds, load average $(cut -d' ' -f1-3 /proc/loadavg), on $(nproc) cores"
printf '  %-34s %8s s   target < 60 s: %s\n' "(baseline) up from nothing" "$(seconds "$rebuild")" \
  "$(awk -v t="$rebuild" 'BEGIN { print (t < 60e9 ? "met" : "NOT met") }')"
printf '  %-34s %8s s   ratio to rebuild %s\n' "up again (idempotent)" "$(seconds "$again")" \
  "$(awk -v a="$again" -v b="$rebuild" 'BEGIN { printf "%.2f", a / b }')"

order=(ipv6-only forward-drop nat-off ip-forward-off dns-down healthy)
declare -A times=()
for ((r = 1; r <= ROUNDS; r++)); do
  from=healthy
  for to in "${order[@]}"; do
    t=$(run_timed "$LAB" scenario "$to") || { echo "bench_lab: switch $from -> $to failed"; exit 1; }
    times["$from -> $to"]+="$t "
    from=$to
  done
done
worst=0
from=healthy
for to in "${order[@]}"; do
  key="$from -> $to"
  # shellcheck disable=SC2086 # the list is space-separated numbers
  read -r lo med hi <<<"$(stats ${times[$key]})"
  printf '  %-34s %s / %s / %s s (min/median/max)   ratio to rebuild %s   target < 5 s: %s\n' "switch $key" \
    "$lo" "$med" "$hi" "$(awk -v m="$med" -v b="$rebuild" 'BEGIN { printf "%.2f", m * 1e9 / b }')" \
    "$(awk -v m="$hi" 'BEGIN { print (m < 5 ? "met" : "NOT met (max)") }')"
  worst=$(awk -v a="$worst" -v b="$hi" 'BEGIN { print (b > a ? b : a) }')
  from=$to
done
echo "  slowest switch $worst s"
