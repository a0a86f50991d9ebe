#!/usr/bin/env bash
# `npm test`: installs what is missing, lints (clang-format, ESLint, tsc), builds everything,
# runs every suite:
# native GoogleTest (kernels, ONNX conformance), then Node's test runner (WASM package,
# model runner, browser tests in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# npm's own record of the install is older than the lock file when package.json gained a
# devDependency (vite, playwright-core, typescript) since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
bash scripts/lint.sh
bash scripts/build.sh

echo "== native tests"
(cd build && ctest --output-on-failure)

echo "== JavaScript tests"
shopt -s nullglob
js_tests=(tests/js/*.test.mjs tests/browser/*.test.mjs)
if [ ${#js_tests[@]} -gt 0 ]; then
  node --test --test-concurrency=1 "${js_tests[@]}"
fi
