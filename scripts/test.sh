#!/usr/bin/env bash
# Builds and runs every test with node's own runner. Pass paths under dist/test to run fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
./node_modules/.bin/tsc -p .
if [ $# -eq 0 ]; then set -- dist/test/; fi
exec node --enable-source-maps --test --test-reporter=spec "$@"
