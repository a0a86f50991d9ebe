#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, and serves the demo on 127.0.0.1.
#   npm start                        cross-origin isolated (COOP/COEP): WASM threads
#   npm start -- --no-isolation      without those headers: the single-threaded fallback
#   npm start -- --port 9000         another port (0: any free one)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d node_modules ] || npm install --no-audit --no-fund
bash scripts/build.sh wasm   # the demo needs only the WASM engine (dist/)
exec node scripts/serve.mjs "$@"
