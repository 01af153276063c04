#!/usr/bin/env bash
# Installs what Berth needs on a fresh Debian machine (as root) and builds it. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: the real parts Berth drives (see DESIGN.md, "Real components").
pkgs=(runc containernetworking-plugins busybox-static etcd-server iptables skopeo openssl docker.io docker-registry)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, so not installing ${missing[*]}; tests that need them will skip" >&2
  fi
fi

# npm packages, only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

./node_modules/.bin/tsc -p .
