#!/usr/bin/env bash
# Delivery capacity on PostgreSQL, fan-out 1 and 10: delivery.sh's method (a preloaded backlog drained by one
# hookd node to nginx, every attempt recorded) on a throwaway PostgreSQL cluster (scripts/pg-cluster.sh,
# durable: fsync and synchronous_commit on) instead of the embedded SQLite store. Loopback only.
#   PG_DELIVERY_DELIVERIES (default 20000), DELIVERY_FANOUTS (default "1 10")
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
DELIVERIES="${PG_DELIVERY_DELIVERIES:-20000}"
start_pg_cluster "$HOOKD_BIN"
start_nginx
nginx_ceiling
make_payloads
header "delivery on PostgreSQL (preloaded backlog, drained by one hookd node)"
row "ceiling: wrk -> nginx, keep-alive POST 1 KB" "$CEIL_NGINX req/s" "" ""
for fanout in ${DELIVERY_FANOUTS:-1 10}; do
  store=$(new_pg_database "hookd_drain_$fanout")
  fanout_endpoints "$fanout"
  log "fan-out $fanout: preloading $DELIVERIES deliveries"
  preload --store "$store" "${ENDPOINT_ARGS[@]}" --messages $((DELIVERIES / fanout))
  measure_drain "$WORK/pg-delivery-$fanout" "$DELIVERIES" 600 --store "$store"
  row "hookd delivery on PostgreSQL, fan-out $fanout ($DRAIN_RECORDED recorded in ${DRAIN_SECONDS} s)" \
    "$DRAIN_RATE del/s" "nginx keep-alive" "$(calc "$DRAIN_RATE / $CEIL_NGINX")"
  row "  CPU per 1,000 deliveries (hookd alone), fan-out $fanout" "$DRAIN_CPU_PER_1K s" "" ""
  row "  busiest threads, fan-out $fanout" "$DRAIN_THREADS" "" ""
done
