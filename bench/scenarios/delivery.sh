#!/usr/bin/env bash
# Delivery capacity, fan-out 1 and 10: signed deliveries per second to nginx, each attempt recorded.
# Method: bench_preload writes DELIVERY_DELIVERIES pending deliveries (fan-out 1: that many messages to one
# endpoint; fan-out 10: a tenth as many messages, each to 10 endpoints at nginx) through the store interface
# while hookd is not running, as if the endpoints had been paused. hookd then starts on that store and the
# time from its launch until nginx has answered every delivery and hookd's /metrics shows none pending or
# sending gives the rate. No ingest runs meanwhile, and no delivery fails (no retry schedule in the way).
#   DELIVERY_DELIVERIES (default 200000), DELIVERY_FANOUTS (default "1 10")
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
DELIVERIES="${DELIVERY_DELIVERIES:-200000}"
start_nginx
nginx_ceiling
make_payloads
header "delivery (preloaded backlog, drained by hookd)"
row "ceiling: wrk -> nginx, keep-alive POST 1 KB" "$CEIL_NGINX req/s" "" ""
for fanout in ${DELIVERY_FANOUTS:-1 10}; do
  fanout_endpoints "$fanout"
  log "fan-out $fanout: preloading $DELIVERIES deliveries"
  preload --data-dir "$WORK/delivery-$fanout" "${ENDPOINT_ARGS[@]}" --messages $((DELIVERIES / fanout))
  measure_drain "$WORK/delivery-$fanout" "$DELIVERIES" 600
  row "hookd delivery, fan-out $fanout ($DRAIN_RECORDED recorded in ${DRAIN_SECONDS} s)" "$DRAIN_RATE del/s" \
    "nginx keep-alive" "$(calc "$DRAIN_RATE / $CEIL_NGINX")"
  row "  CPU per 1,000 deliveries, fan-out $fanout" "$DRAIN_CPU_PER_1K s" "" ""
  row "  busiest threads, fan-out $fanout" "$DRAIN_THREADS" "" ""
  row "  peak RSS, fan-out $fanout" "$DRAIN_HWM_MIB MiB" "" ""
  row "  writer commits (durable) / jobs, fan-out $fanout" \
    "${DRAIN_COMMITS:-?} (${DRAIN_DURABLE_COMMITS:-?}) / ${DRAIN_JOBS:-?}" "" ""
  rm -rf "$WORK/delivery-$fanout"
done
