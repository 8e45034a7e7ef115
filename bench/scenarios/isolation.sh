#!/usr/bin/env bash
# Isolation: 10 fast endpoints (bench_receiver) with and without an 11th that never answers (bench_receiver's
# --stuck-port: it accepts and reads but never replies, so every request to it waits for hookd's request
# timeout).
# Each message goes to every endpoint of its tenant, at a fixed ISOLATION_RATE messages/s (default 300, so
# 3,000 fast deliveries/s) for ISOLATION_SECONDS (default 20, or BENCH_SECONDS when shorter). Run A: tenant
# without the stuck endpoint; run B: tenant with it; same hookd. Figure: the fast endpoints' create-to-
# receiver p50/p99 in B over A (target: p99 changes by less than 10 %).
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
need "$LOADGEN_BIN"
RATE="${ISOLATION_RATE:-300}"
SECS="${ISOLATION_SECONDS:-20}"
[ -n "${BENCH_SECONDS:-}" ] && [ "$BENCH_SECONDS" -lt "$SECS" ] && SECS=$BENCH_SECONDS
make_payloads
start_receiver
start_hookd "$WORK/data" --catalog booking-platform
for run in base stuck; do
  api POST /api/v1/app "{\"name\":\"iso-$run\",\"uid\":\"iso-$run\"}" >/dev/null
  for i in $(seq 1 10); do
    api POST "/api/v1/app/iso-$run/endpoint" "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT/$run/$i\"}" >/dev/null
  done
done
api POST /api/v1/app/iso-stuck/endpoint "{\"url\":\"http://127.0.0.1:$STUCK_PORT/never\"}" >/dev/null

declare -A P50 P99 CPU
for run in base stuck; do
  c0=$(cpu_seconds "$HOOKD_PID")
  log "run $run: $RATE msg/s x 10 fast endpoints$([ $run = stuck ] && echo ' + 1 stuck') for ${SECS}s"
  LOAD=$("$LOADGEN_BIN" --url "http://127.0.0.1:$HOOKD_PORT/api/v1/app/iso-$run/msg" \
    --token "$TOKEN" --body-file "$WORK/body.json" --rate "$RATE" --seconds "$SECS")
  wait_receiver $(( $(json "$LOAD" ok) * 10 )) 60 "/$run/"
  S=$(receiver_stats "/$run/")
  P50[$run]=$(json "$S" p50_ms); P99[$run]=$(json "$S" p99_ms)
  CPU[$run]=$(calc "($(cpu_seconds "$HOOKD_PID") - $c0) / ($(json "$S" count) / 1000)")
  echo "$run: $(json "$LOAD" rate_achieved) msg/s achieved, $(json "$S" count) fast deliveries" > "$WORK/iso-$run.txt"
done
STUCK_FAILS=$(metric 'hookd_delivery_attempts_total{outcome="fail",error="timeout"}')
header "isolation (10 fast endpoints, $RATE msg/s each to all, ${SECS} s; run B adds 1 never-answering endpoint)"
row "fast endpoints p50, with the stuck one" "${P50[stuck]} ms" "without: ${P50[base]} ms" "$(calc "${P50[stuck]} / ${P50[base]}")"
row "fast endpoints p99, with the stuck one" "${P99[stuck]} ms" "without: ${P99[base]} ms" "$(calc "${P99[stuck]} / ${P99[base]}")"
row "  (target: p99 ratio < 1.10)" "$(cat "$WORK/iso-base.txt"); $(cat "$WORK/iso-stuck.txt")" "" ""
row "  timed-out attempts to the stuck endpoint so far" "${STUCK_FAILS:-0}" "" ""
row "  CPU per 1,000 fast deliveries, without / with" "${CPU[base]} s / ${CPU[stuck]} s" "" ""
row "  peak RSS" "$(( $(hwm_kib "$HOOKD_PID") / 1024 )) MiB" "" ""
# The stuck server goes first, so hookd's graceful stop does not wait for its requests' timeout.
kill "$RECEIVER_PID" 2>/dev/null || true
