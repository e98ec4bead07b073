#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds Nestscope with warnings as errors, runs every test label
# (unit, widgets, integration, lab), then builds the core and models tests with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs them. This is README's test command
# and what CI runs (.ci/run calls it unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
stage_start=$SECONDS
declare -a timings=()
stage() { # stage NAME: closes the previous stage's timer and starts a new one
    if [[ -n ${current_stage:-} ]]; then
        timings+=("$(printf '%-34s %4d s' "$current_stage" $((SECONDS - stage_start)))")
        echo "=== ${current_stage}: $((SECONDS - stage_start)) s"
    fi
    current_stage=${1:-}
    stage_start=$SECONDS
    [[ -n $current_stage ]] && echo "=== ${current_stage}"
    return 0
}
report() {
    stage ""
    echo "=== stage times"
    printf '%s\n' "${timings[@]}"
}
trap report EXIT

stage "install dependencies"
bash packaging/install-deps.sh

stage "configure + build (-Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"

stage "tests: all labels"
status=0
# ctest prints its own summary ("N% tests passed, ..."); keep going to the sanitizer stage either way.
ctest --preset ci -j "$jobs" --timeout 900 || status=1

stage "configure + build with ASan+UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"

stage "tests under ASan+UBSan (core, models)"
ctest --preset asan -j "$jobs" -L unit || status=1

exit $status
