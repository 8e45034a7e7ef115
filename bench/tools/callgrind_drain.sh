#!/usr/bin/env bash
# Instruction counts of a delivery drain: hookd runs under valgrind's callgrind while it drains a preloaded
# backlog to nginx (as bench/scenarios/delivery.sh does, loopback only). Instruction counts do not depend on
# machine noise, so they compare two builds where wall-clock rates cannot (perf gets no samples in our VM).
#   bench/tools/callgrind_drain.sh [HOOKD] [OUT]   (default build/hookd, /tmp/hookd-drain.callgrind)
#   DRAIN_DELIVERIES (default 20000), DRAIN_FANOUT (default 10)
# Then: callgrind_annotate --inclusive=yes OUT | grep -E 'claim_due|record_outcomes|GroupCommitWriter::run'
REAL="$(realpath "${1:-build/hookd}")"
OUT="$(realpath -m "${2:-/tmp/hookd-drain.callgrind}")"
PRELOAD_BIN="${PRELOAD_BIN:-$(dirname "$REAL")/bench_preload}"
source "$(dirname "$0")/../lib.sh"
callgrind_hookd "$REAL" "$OUT"
N="${DRAIN_DELIVERIES:-20000}"; FANOUT="${DRAIN_FANOUT:-10}"
start_nginx
make_payloads
fanout_endpoints "$FANOUT"
preload --data-dir "$WORK/drain" "${ENDPOINT_ARGS[@]}" --messages $((N / FANOUT))
measure_drain "$WORK/drain" "$N" 1800
echo "drained $DRAIN_RECORDED deliveries under callgrind; profile in $OUT"
