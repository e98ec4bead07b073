#!/usr/bin/env bash
# Sets up a Debian 12 machine, checks the formatting, builds Nestscope with warnings as errors,
# runs every test label (unit, widgets, integration, lab), builds the release .deb and installs it
# into a clean Debian 12 root (label package: packaging/test-deb.sh), runs unit, widgets and
# integration a second time beside a CPU hog that keeps every core busy, then builds the tests with
# AddressSanitizer + UndefinedBehaviorSanitizer (core, models and widgets) and runs the unit and
# widgets labels there. This is README's test command and what CI runs (.ci/run calls it).
#
#   NESTSCOPE_SKIP_STRESS=1   leaves out the run beside the CPU hog (a quick local check)
#   NESTSCOPE_SKIP_PACKAGE=1  leaves out the release build and its .deb in a clean root
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
stage_start=$SECONDS
declare -a timings=()
stage() { # stage NAME: closes the previous stage's timer and starts a new one
    if [[ -n ${current_stage:-} ]]; then
        timings+=("$(printf '%-44s %4d s' "$current_stage" $((SECONDS - stage_start)))")
        echo "=== ${current_stage}: $((SECONDS - stage_start)) s"
    fi
    current_stage=${1:-}
    stage_start=$SECONDS
    [[ -n $current_stage ]] && echo "=== ${current_stage}"
    return 0
}
hog_pid=""
report() {
    [[ -n $hog_pid ]] && kill "$hog_pid" 2>/dev/null
    stage ""
    echo "=== stage times"
    printf '%s\n' "${timings[@]}"
    echo "total $SECONDS s"
}
trap report EXIT

stage "install dependencies"
bash packaging/install-deps.sh

status=0
stage "format (clang-format --dry-run -Werror)"
# Every C++ source the repository holds, against the committed .clang-format.
if ! git ls-files -z '*.cpp' '*.h' | xargs -0 clang-format --dry-run -Werror; then
    echo "format: the files above drift from .clang-format; run: git ls-files '*.cpp' '*.h' | xargs clang-format -i" >&2
    status=1
fi

stage "configure + build (-Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"

stage "lint (clang-tidy, checks in .clang-tidy)"
bash packaging/lint.sh build/ci || status=1

stage "tests: all labels"
# ctest prints its own summary ("N% tests passed, ..."); keep going to the later stages either way.
# (The ci preset leaves out the label package: the release build's .deb has its own stage.)
ctest --preset ci -j "$jobs" --timeout 900 || status=1

if [[ -z ${NESTSCOPE_SKIP_PACKAGE:-} ]]; then
    stage "package: .deb in a clean Debian 12 chroot"
    # The package of the build just tested (cpack -G DEB, stripped): one build fewer than a release
    # build would cost, and the same Depends. debootstrap from this machine's mirror, apt-get
    # install ./nestscope_*.deb, run it there. (ctest --preset package does the same on a release build.)
    bash packaging/test-deb.sh build/ci || status=1
fi

if [[ -z ${NESTSCOPE_SKIP_STRESS:-} ]]; then
    stage "tests beside stress-ng --cpu $jobs (unit, widgets, integration)"
    # Nothing may depend on how fast the machine is: the same tests again, with every core busy.
    stress-ng --cpu "$jobs" --quiet &
    hog_pid=$!
    ctest --preset ci -j "$jobs" --timeout 900 -L 'unit|widgets|integration' || status=1
    kill "$hog_pid" 2>/dev/null || true
    wait "$hog_pid" 2>/dev/null || true
    hog_pid=""
fi

stage "configure + build with ASan+UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"

stage "tests under ASan+UBSan (unit, widgets)"
ctest --preset asan -j "$jobs" -L 'unit|widgets' || status=1

exit $status
