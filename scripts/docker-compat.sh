#!/usr/bin/env bash
# Runs the same docker CLI commands against `berth engine` and a real dockerd (Debian docker.io,
# started here with --iptables=false --bridge=none on its own socket and directories), compares the
# normalized outputs, and fails on a difference not listed in docs/docker-compat.md. Needs root.
# Pass a regular expression to run only the matching steps.
set -euo pipefail
cd "$(dirname "$0")/.."
./node_modules/.bin/tsc -p . >/dev/null || true
exec node --enable-source-maps -e 'import("./dist/test/engineapi/compat.js").then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })' -- "$@"
