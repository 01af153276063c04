#!/usr/bin/env bash
# Builds and runs every benchmark under bench/ (or the ones named: api, store, engine, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
./node_modules/.bin/tsc -p . >/dev/null || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  # (lib and real-cluster are modules the benchmarks share, not benchmarks)
  for f in dist/bench/*.js; do
    n="$(basename "$f" .js)"
    case "$n" in lib | real-cluster) ;; *) names+=("$n") ;; esac
  done
fi
for n in "${names[@]}"; do
  echo "== bench/$n"
  node --enable-source-maps "dist/bench/$n.js"
done
