#!/usr/bin/env bash
# Builds and runs every test with node's own runner. Pass test files or folders under dist/test to run fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
./node_modules/.bin/tsc -p .
# Only *.test.js files are tests (node 20 would also run every other .js under a test/ folder).
mapfile -t files < <(find "${@:-dist/test}" -name '*.test.js' | sort)
exec node --enable-source-maps --test --test-reporter=spec "${files[@]}"
