#!/usr/bin/env bash
# Builds the engine natively (build/: tests, benchmarks) and for WASM (dist/: the npm package's
# .mjs + .wasm files). Incremental: run it again after a change.
#   scripts/build.sh            both
#   scripts/build.sh native     native only
#   scripts/build.sh wasm       WASM only
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
what=${1:-all}

if [ "$what" = all ] || [ "$what" = native ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$JOBS"
fi
if [ "$what" = all ] || [ "$what" = wasm ]; then
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-wasm -j"$JOBS"
fi
