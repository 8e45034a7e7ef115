#!/usr/bin/env bash
# Latency: create-to-receiver time at a fixed LATENCY_RATE (default 5,000) messages/s for LATENCY_SECONDS
# (default 30, or BENCH_SECONDS when that is shorter). bench_loadgen (bench/tools/loadgen.cpp) sends at a
# fixed schedule (open loop) and writes the send time (CLOCK_MONOTONIC) into each payload; bench_receiver
# (bench/tools/receiver.cpp), the endpoint, reads it back on arrival. Reference in the same run: the same
# load generator posting straight to the receiver (no hookd), which is the harness's own floor. Targets:
# p50 <= 2 ms, p99 <= 10 ms.
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
need "$LOADGEN_BIN"
RATE="${LATENCY_RATE:-5000}"
SECS="${LATENCY_SECONDS:-30}"
[ -n "${BENCH_SECONDS:-}" ] && [ "$BENCH_SECONDS" -lt "$SECS" ] && SECS=$BENCH_SECONDS
make_payloads
start_receiver

# Each path first runs LATENCY_WARMUP seconds (default 3) at the same rate, reported apart: the first
# second of a run opens the load generator's 128 connections and fills hookd's caches, and that burst alone
# decided the whole run's p99.
WARMUP="${LATENCY_WARMUP:-3}"
# The load generator at $RATE: URL, bearer token (or ""), seconds.
load() {
  "$LOADGEN_BIN" --url "$1" ${2:+--token "$2"} --body-file "$WORK/body.json" --rate "$RATE" --seconds "$3"
}
warm_up() {
  wait_receiver "$(json "$(load "$1" "$2" "$WARMUP")" ok)" 60 "$3"
  receiver_stats "$3" reset
}

log "reference: loadgen -> receiver at $RATE/s for ${WARMUP}s + ${SECS}s"
DIRECT_WARM=$(warm_up "http://127.0.0.1:$RECEIVER_PORT/direct" "" /direct)
DIRECT=$(load "http://127.0.0.1:$RECEIVER_PORT/direct" "" "$SECS")
wait_receiver "$(json "$DIRECT" ok)" 30 /direct
DIRECT_STATS=$(receiver_stats /direct reset)

start_hookd "$WORK/data" --catalog booking-platform
api POST /api/v1/app '{"name":"latency","uid":"latency"}' >/dev/null
api POST /api/v1/app/latency/endpoint "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT/hook\"}" >/dev/null
log "hookd: loadgen -> hookd -> receiver at $RATE/s for ${WARMUP}s + ${SECS}s"
WARM=$(warm_up "http://127.0.0.1:$HOOKD_PORT/api/v1/app/latency/msg" "$TOKEN" /hook)
CPU0=$(cpu_seconds "$HOOKD_PID")
# The writer's durable commits (each create waits for one) and how many took over 10 ms, over the run.
read -r COMMITS0 SLOW0 <<<"$(durable_commits)"
LOAD=$(load "http://127.0.0.1:$HOOKD_PORT/api/v1/app/latency/msg" "$TOKEN" "$SECS")
wait_receiver "$(json "$LOAD" ok)" 60 /hook
CPU1=$(cpu_seconds "$HOOKD_PID")
read -r COMMITS1 SLOW1 <<<"$(durable_commits)"
STATS=$(receiver_stats /hook)
DELIVERED=$(json "$STATS" count)

header "latency (create -> receiver, fixed $RATE messages/s for ${SECS} s)"
row "load generator: achieved rate to hookd (202s)" "$(json "$LOAD" rate_achieved) msg/s" "target $RATE" \
  "$(calc "$(json "$LOAD" rate_achieved) / $RATE")"
row "  ingest answers failed / worst schedule lag" "$(json "$LOAD" failed) / $(json "$LOAD" worst_lag_ms) ms" "" ""
row "  ingest answer p50 / p99 (the create request alone)" \
  "$(json "$LOAD" answer_p50_ms) / $(json "$LOAD" answer_p99_ms) ms" "" ""
row "  load generator straight to the receiver" "$(json "$DIRECT" rate_achieved) msg/s" "target $RATE" \
  "$(calc "$(json "$DIRECT" rate_achieved) / $RATE")"
for q in p50 p99 p999; do
  v=$(json "$STATS" "${q}_ms"); d=$(json "$DIRECT_STATS" "${q}_ms")
  row "hookd create -> receiver $q" "$v ms" "direct $d ms" "$(calc "$v / $d")"
done
row "  warm-up (first ${WARMUP} s, not in the figures above) p99 / p999" \
  "$(json "$WARM" p99_ms) / $(json "$WARM" p999_ms) ms" \
  "direct $(json "$DIRECT_WARM" p99_ms) / $(json "$DIRECT_WARM" p999_ms) ms" ""
row "  vs target p50 <= 2 ms / p99 <= 10 ms" "" "" \
  "$(calc "$(json "$STATS" p50_ms) / 2") / $(calc "$(json "$STATS" p99_ms) / 10")"
row "  deliveries received / max" "$DELIVERED / $(json "$STATS" max_ms) ms" "" ""
row "  durable commits / of them over 10 ms (the fsync every create waits for)" \
  "$((COMMITS1 - COMMITS0)) / $((SLOW1 - SLOW0))" "" ""
row "  CPU per 1,000 deliveries (ingest included)" "$(calc "($CPU1 - $CPU0) / ($DELIVERED / 1000)") s" "" ""
row "  peak RSS" "$(( $(hwm_kib "$HOOKD_PID") / 1024 )) MiB" "" ""
# Deliveries handed to the dispatcher as written, or claimed later (the endpoint's slots were all taken).
row "  deliveries handed over / claimed" "$(metric 'hookd_deliveries_started_total{source="handoff"}') / \
$(metric 'hookd_deliveries_started_total{source="claim"}')" "" ""
