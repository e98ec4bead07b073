#!/usr/bin/env bash
# Sets up a Debian 12 machine, checks the formatting, builds Nestscope with warnings as errors,
# runs every test label (unit, widgets, integration, then lab — beside which the build with
# AddressSanitizer + UndefinedBehaviorSanitizer and clang-tidy run at nice 19), builds the release
# .deb and installs it into a clean Debian 12 root (label package: packaging/test-deb.sh), runs
# unit, widgets and integration a second time beside a CPU hog that keeps every core busy, then
# runs the unit and widgets labels under the sanitizers. This is README's test command and what CI runs (.ci/run calls it).
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
background_pid=""
report() {
    [[ -n $hog_pid ]] && kill "$hog_pid" 2>/dev/null
    [[ -n $background_pid ]] && kill -- "$background_pid" 2>/dev/null
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

stage "tests: unit, widgets, integration"
# ctest prints its own summary ("N% tests passed, ..."); keep going to the later stages either way.
# (The ci preset leaves out the label package: the release build's .deb has its own stage.)
ctest --preset ci -j "$jobs" --timeout 900 -L 'unit|widgets|integration' || status=1

stage "tests: lab (the ASan+UBSan build and clang-tidy beside it, at nice 19)"
# The lab tests spend their time waiting for the lab's instances, not on the CPU: the two
# CPU-bound stages run beside them at the lowest priority, so the lab's daemons keep the cores
# when they need them (and the lab tests must hold on a busy machine anyway). Their output goes to
# logs, printed in the next stage.
background() {
    local t0=$SECONDS rc=0
    { nice -n 19 cmake --preset asan >/dev/null && nice -n 19 cmake --build --preset asan -j "$jobs"; } \
        >build/asan-build.log 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" >build/asan-build.rc
    t0=$SECONDS rc=0
    nice -n 19 bash packaging/lint.sh build/ci >build/lint.out 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" >build/lint.rc
}
rm -f build/asan-build.rc build/lint.rc
background &
background_pid=$!
ctest --preset ci -j "$jobs" --timeout 900 -L lab || status=1
wait "$background_pid" || true
background_pid=""

stage "lint (clang-tidy, checks in .clang-tidy) and the ASan+UBSan build: their results"
read -r asan_rc asan_s <build/asan-build.rc || asan_rc=1
read -r lint_rc lint_s <build/lint.rc || lint_rc=1
echo "ASan+UBSan build: exit ${asan_rc}, ${asan_s:-?} s (log: build/asan-build.log)"
tail -n 5 build/asan-build.log
if [[ $asan_rc != 0 ]]; then
    grep -E -B2 -A12 'error:|FAILED:' build/asan-build.log | head -n 200 || true
    status=1
fi
echo "lint: exit ${lint_rc}, ${lint_s:-?} s"
cat build/lint.out
[[ $lint_rc == 0 ]] || status=1

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

stage "tests under ASan+UBSan (unit, widgets)"
if [[ $asan_rc == 0 ]]; then
    ctest --preset asan -j "$jobs" -L 'unit|widgets' || status=1
else
    echo "not run: the ASan+UBSan build failed (above)" >&2
fi

exit $status
