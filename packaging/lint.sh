#!/usr/bin/env bash
# clang-tidy with the checks in .clang-tidy over core/ and app/, from a build's
# compile_commands.json. Exit 1 on any finding.   bash packaging/lint.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
[[ -f $build/compile_commands.json ]] || { echo "lint: no $build/compile_commands.json; configure first (cmake --preset ci)" >&2; exit 2; }
# run-clang-tidy takes a regex over the files of the compile database.
run-clang-tidy -quiet -p "$build" -j "$(nproc)" "$PWD/(core|app)/.*\\.cpp$" 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' | grep -v -E '^(Running clang-tidy|[0-9]+ warnings? generated|Suppressed [0-9]+ warnings|Use -header-filter|clang-tidy-14 |$)' \
    > "$build/lint.log" || true
if grep -q -E 'warning:|error:' "$build/lint.log"; then
    cat "$build/lint.log"
    echo "lint: clang-tidy found the problems above" >&2
    exit 1
fi
echo "lint: clean ($(grep -c -E '\.cpp"' "$build/compile_commands.json" || true) compile commands, core/ and app/ checked)"
