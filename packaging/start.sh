#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds Nestscope (release) and starts the workbench.
# Arguments are passed on to nestscope, e.g. `packaging/start.sh --plan my-plan.yaml`
# or `packaging/start.sh run --local --plan builtin:local-basics --json -` for the headless mode.
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target nestscope
# Without a display nestscope shows the headless equivalent, spelled with this script's name.
NESTSCOPE_LAUNCHER=${NESTSCOPE_LAUNCHER:-$0} exec build/release/app/nestscope "$@"
