#!/usr/bin/env bash
# `npm run lint` (also the first step of `npm test`): C++ formatting against .clang-format,
# ESLint over the JavaScript (eslint.config.js), and tsc over the published types
# (tsconfig.json). Fix formatting with: git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== clang-format"
git ls-files -z '*.cpp' '*.h' | xargs -0 clang-format --dry-run -Werror || status=1
echo "== eslint"
node node_modules/eslint/bin/eslint.js . || status=1
echo "== tsc"
node node_modules/typescript/bin/tsc -p tsconfig.json || status=1
[ $status -eq 0 ] && echo "lint: clean"
exit $status
