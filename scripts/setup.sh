#!/usr/bin/env bash
# Installs what hookd needs on a Debian 12 machine, only when missing. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(build-essential cmake pkg-config ccache
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
      libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev
      libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
      curl postgresql nginx-light wrk clang libclang-rt-14-dev chromium libfaketime)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages: the portal and the end-to-end tests pin theirs in lockfiles.
for dir in web tests/e2e tests/e2e-portal tests/schema-suite; do
  if [ -f "$dir/package.json" ]; then
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      echo "setup: npm ci in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
done
