#!/usr/bin/env bash
# Soak: mixed load with receiver faults, kill -9 and restarts, secret rotations, against a Release hookd on
# loopback; ends with a loss/duplicate/latency/RSS report (tests/soak/soak.mjs). Exit status 1 if anything
# accepted was lost or badly signed.
#   scripts/soak.sh --minutes 5 [--rate 40] [--kill-every 60] [--rotate-every 15] [--drain 180]
# HOOKD_BIN picks the binary; by default build/hookd (built with `make build` when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${HOOKD_BIN:-}" ]; then
  [ -x build/hookd ] || make build
  HOOKD_BIN="$PWD/build/hookd"
fi
export HOOKD_BIN
exec node tests/soak/soak.mjs "$@"
