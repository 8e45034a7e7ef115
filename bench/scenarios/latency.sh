#!/usr/bin/env bash
# Latency: create-to-receiver time at a fixed LATENCY_RATE (default 5,000) messages/s for LATENCY_SECONDS
# (default 30, or BENCH_SECONDS when that is shorter). bench/tools/loadgen.mjs sends at a fixed schedule
# (open loop) and writes the send time (CLOCK_MONOTONIC) into each payload; bench/tools/receiver.mjs, the
# endpoint, reads it back on arrival. Reference in the same run: the same load generator posting straight
# to the receiver (no hookd), which is the harness's own floor. Targets: p50 <= 2 ms, p99 <= 10 ms.
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
RATE="${LATENCY_RATE:-5000}"
SECS="${LATENCY_SECONDS:-30}"
[ -n "${BENCH_SECONDS:-}" ] && [ "$BENCH_SECONDS" -lt "$SECS" ] && SECS=$BENCH_SECONDS
make_payloads
start_receiver

log "reference: loadgen -> receiver at $RATE/s for ${SECS}s"
DIRECT=$(node bench/tools/loadgen.mjs --url "http://127.0.0.1:$RECEIVER_PORT/direct" --body-file "$WORK/body.json" \
  --rate "$RATE" --seconds "$SECS")
wait_receiver "$(json "$DIRECT" ok)" 30 /direct
DIRECT_STATS=$(receiver_stats /direct reset)

start_hookd "$WORK/data" --catalog booking-platform
api POST /api/v1/app '{"name":"latency","uid":"latency"}' >/dev/null
api POST /api/v1/app/latency/endpoint "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT/hook\"}" >/dev/null
CPU0=$(cpu_seconds "$HOOKD_PID")
log "hookd: loadgen -> hookd -> receiver at $RATE/s for ${SECS}s"
LOAD=$(node bench/tools/loadgen.mjs --url "http://127.0.0.1:$HOOKD_PORT/api/v1/app/latency/msg" --token "$TOKEN" \
  --body-file "$WORK/body.json" --rate "$RATE" --seconds "$SECS")
wait_receiver "$(json "$LOAD" ok)" 60 /hook
CPU1=$(cpu_seconds "$HOOKD_PID")
STATS=$(receiver_stats /hook)
DELIVERED=$(json "$STATS" count)

header "latency (create -> receiver, fixed $RATE messages/s for ${SECS} s)"
row "load generator: achieved rate to hookd (202s)" "$(json "$LOAD" rate_achieved) msg/s" "target $RATE" \
  "$(calc "$(json "$LOAD" rate_achieved) / $RATE")"
row "  ingest answers failed / worst schedule lag" "$(json "$LOAD" failed) / $(json "$LOAD" worst_lag_ms) ms" "" ""
row "  load generator straight to the receiver" "$(json "$DIRECT" rate_achieved) msg/s" "target $RATE" \
  "$(calc "$(json "$DIRECT" rate_achieved) / $RATE")"
for q in p50 p99 p999; do
  v=$(json "$STATS" "${q}_ms"); d=$(json "$DIRECT_STATS" "${q}_ms")
  row "hookd create -> receiver $q" "$v ms" "direct $d ms" "$(calc "$v / $d")"
done
row "  vs target p50 <= 2 ms / p99 <= 10 ms" "" "" \
  "$(calc "$(json "$STATS" p50_ms) / 2") / $(calc "$(json "$STATS" p99_ms) / 10")"
row "  deliveries received / max" "$DELIVERED / $(json "$STATS" max_ms) ms" "" ""
row "  CPU per 1,000 deliveries (ingest included)" "$(calc "($CPU1 - $CPU0) / ($DELIVERED / 1000)") s" "" ""
row "  peak RSS" "$(( $(hwm_kib "$HOOKD_PID") / 1024 )) MiB" "" ""
